package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/netsnap/netsnap/redact"
)

type redactOptions struct {
	mapFile string
	reverse bool
	output  string
}

func newRedactCmd(stdout, stderr io.Writer) *cobra.Command {
	var o redactOptions
	cmd := &cobra.Command{
		Use:   "redact IN OUT [--map FILE] | redact --reverse --map FILE [REPORT]",
		Short: "Replace every address and host name of a snapshot by a consistent pseudonym, for a ticket outside the company",
		Long: `redact writes a copy of snapshot IN to OUT in which every IP address and every
host or domain name is replaced by a pseudonym: the same original always gets the
same pseudonym, addresses keep their class (loopback, private, link-local, public)
and their common prefixes, ports and every count stay, so the redacted snapshot
gives the same findings. OUT is written whole, then renamed.

  netanalyze redact host.tgz host-redacted.tgz
  netanalyze redact host.tgz host-redacted.tgz --map host.map.json   # keep the key and the pairs
  netanalyze redact --reverse --map host.map.json report.txt         # a report back in real names

--map FILE keeps the key and every original -> pseudonym pair in FILE (mode 0600;
created if missing, extended otherwise), so that later snapshots of the host are
redacted alike (their diff still lines up) and reports can be translated back.
Whoever has the map can undo the redaction: never attach it to the ticket.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if o.reverse {
				return cobra.MaximumNArgs(1)(cmd, args)
			}
			if len(args) != 2 {
				return fmt.Errorf("want IN and OUT (or --reverse --map FILE [REPORT]), got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.reverse {
				return runReverse(cmd.InOrStdin(), stdout, args, &o)
			}
			return runRedact(stderr, args[0], args[1], &o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.mapFile, "map", "", "keep the key and the pairs in FILE (mode 0600; created if missing): it un-redacts, keep it private")
	f.BoolVar(&o.reverse, "reverse", false, "translate a report (file or stdin) back to the real names with --map")
	f.StringVarP(&o.output, "output", "o", "", "with --reverse: write to FILE (written whole, then renamed) instead of stdout")
	return cmd
}

func runRedact(stderr io.Writer, in, out string, o *redactOptions) error {
	if o.output != "" {
		return failure{exitUsage, errors.New("-o is for --reverse; the redacted snapshot goes to OUT")}
	}
	m, err := loadMap(o.mapFile)
	if err != nil {
		return err
	}
	output, err := redact.Prepare(in, out, m, redact.Options{})
	if err != nil {
		return redactFailure(err)
	}
	if o.mapFile != "" {
		if err := saveMap(m, o.mapFile); err != nil {
			output.Abort()
			return err
		}
	}
	if err := output.Commit(); err != nil {
		return failure{exitError, err}
	}
	names, addrs := m.Pairs()
	fmt.Fprintf(stderr, "netanalyze: redacted %s into %s: %d names and %d addresses replaced\n", in, out, names, addrs)
	return nil
}

// redactFailure gives a redaction error its exit status: 1 when the
// output could not be written, 2 for a bad input.
func redactFailure(err error) error {
	var oe *redact.OutputError
	if errors.As(err, &oe) {
		return failure{exitError, err}
	}
	return failure{exitUsage, err}
}

// loadMap reads the map file, or makes a new key when there is none (or no file).
func loadMap(file string) (*redact.Map, error) {
	if file == "" {
		m, err := redact.NewMap()
		if err != nil {
			return nil, failure{exitError, err}
		}
		return m, nil
	}
	m, _, err := redact.LoadMapFile(file)
	if err != nil {
		return nil, failure{exitUsage, fmt.Errorf("--map: %w", err)}
	}
	return m, nil
}

func saveMap(m *redact.Map, file string) error {
	mf, err := m.PrepareMapFile(file)
	if err == nil {
		err = mf.Commit()
	}
	if err != nil {
		return failure{exitError, fmt.Errorf("--map %s: %w", file, unwrapPath(err))}
	}
	return nil
}

func runReverse(stdin io.Reader, stdout io.Writer, args []string, o *redactOptions) error {
	if o.mapFile == "" {
		return failure{exitUsage, errors.New("--reverse needs --map FILE")}
	}
	if _, err := os.Stat(o.mapFile); err != nil {
		return failure{exitUsage, fmt.Errorf("--map: %w", err)}
	}
	m, err := loadMap(o.mapFile)
	if err != nil {
		return err
	}
	in := stdin
	if len(args) == 1 && args[0] != "-" {
		f, err := os.Open(args[0])
		if err != nil {
			return failure{exitUsage, err}
		}
		defer f.Close()
		in = f
	}
	var buf bytes.Buffer
	if err := m.Reverse(&buf, in); err != nil {
		return failure{exitUsage, err}
	}
	return writeOutput(stdout, o.output, buf.Bytes())
}

// redaction redacts the snapshots of one report, diff or fleet run before
// they are analysed (--redact), with one map for all, into a private
// temporary directory that close removes.
type redaction struct {
	m       *redact.Map
	mapFile string
	dir     string
	n       int
}

// redaction starts the redaction of a run, or returns nil without --redact.
func (o *reportOptions) redaction() (*redaction, error) {
	if !o.redact {
		if o.redactMap != "" {
			return nil, failure{exitUsage, errors.New("--map needs --redact")}
		}
		return nil, nil
	}
	m, err := loadMap(o.redactMap)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "netanalyze-redact-")
	if err != nil {
		return nil, failure{exitError, fmt.Errorf("--redact: %w", err)}
	}
	return &redaction{m: m, mapFile: o.redactMap, dir: dir}, nil
}

// snapshot redacts the snapshot at path and returns where its redacted
// copy is, under the original's file name with its identifiers replaced
// (reports name the snapshot by its file name).
func (rd *redaction) snapshot(path string) (string, error) {
	rd.n++
	sub := filepath.Join(rd.dir, strconv.Itoa(rd.n))
	if err := os.Mkdir(sub, 0o700); err != nil {
		return "", failure{exitError, fmt.Errorf("--redact: %w", err)}
	}
	tmp := filepath.Join(sub, ".redacting")
	if err := redact.File(path, tmp, rd.m, redact.Options{}); err != nil {
		return "", redactFailure(err)
	}
	out := filepath.Join(sub, rd.name(path))
	if err := os.Rename(tmp, out); err != nil {
		return "", failure{exitError, fmt.Errorf("--redact: %w", err)}
	}
	return out, nil
}

// name is the redacted file name of the snapshot at path.
func (rd *redaction) name(path string) string {
	name := rd.m.Text(filepath.Base(filepath.Clean(path)))
	if name == "" || name == "." || name == ".." || name == ".redacting" || name == string(filepath.Separator) {
		name = "snapshot"
	}
	return name
}

// unreadable gives a snapshot that could not be redacted a path under its
// redacted name, for fleet to report it in its row.
func (rd *redaction) unreadable(path string) string {
	rd.n++
	sub := filepath.Join(rd.dir, strconv.Itoa(rd.n))
	abs, err := filepath.Abs(path)
	if err != nil || os.Mkdir(sub, 0o700) != nil {
		return path
	}
	link := filepath.Join(sub, rd.name(path))
	if os.Symlink(abs, link) != nil {
		return path
	}
	return link
}

// save writes the map file (with --map).
func (rd *redaction) save() error {
	if rd == nil || rd.mapFile == "" {
		return nil
	}
	return saveMap(rd.m, rd.mapFile)
}

// cleanup removes the redacted copies.
func (rd *redaction) cleanup() {
	if rd != nil {
		os.RemoveAll(rd.dir)
	}
}

// redactPath redacts one snapshot with --redact (and writes the map), or
// returns path as it is without.
func (o *reportOptions) redactPath(rd *redaction, path string) (string, error) {
	if rd == nil {
		return path, nil
	}
	return rd.snapshot(path)
}

// fleet redacts the snapshots of a fleet run; one that cannot be read
// keeps its error for its row (under its redacted name).
func (rd *redaction) fleet(paths []string) ([]string, error) {
	if rd == nil {
		return paths, nil
	}
	out := make([]string, len(paths))
	for i, p := range paths {
		q, err := rd.snapshot(p)
		var f failure
		if errors.As(err, &f) && f.code == exitUsage {
			q, err = rd.unreadable(p), nil
		}
		if err != nil {
			return nil, err
		}
		out[i] = q
	}
	return out, rd.save()
}
