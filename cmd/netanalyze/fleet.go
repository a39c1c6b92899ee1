package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netsnap/netsnap/analysis/fleet"
	"github.com/netsnap/netsnap/analysis/render"
	"github.com/netsnap/netsnap/snapshot"
)

type fleetOptions struct {
	reportOptions
	jobs int
}

func newFleetCmd(stdout, stderr io.Writer) *cobra.Command {
	var o fleetOptions
	cmd := &cobra.Command{
		Use:   "fleet SNAPSHOT|DIR|GLOB...",
		Short: "Compare many hosts: one row each, findings by host, settings that differ from the majority",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return runFleet(stdout, stderr, args, &o)
		},
	}
	addReportFlags(cmd, &o.reportOptions)
	cmd.Flags().IntVarP(&o.jobs, "jobs", "j", 0, "snapshots analysed at once (default: one per CPU)")
	return cmd
}

// isSnapshotFile tells snapshot files by name inside directories given to fleet.
func isSnapshotFile(name string) bool {
	for _, ext := range []string{".tgz", ".tar.gz", ".tar.zst", ".tzst", ".tar"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// expand turns the arguments into snapshot paths: files as given, globs
// expanded, directories searched (an extracted snapshot, with a
// manifest.json, is itself one).
func expand(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		matches := []string{a}
		if strings.ContainsAny(a, "*?[") {
			m, err := filepath.Glob(a)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", a, err)
			}
			if len(m) == 0 {
				return nil, fmt.Errorf("%s: no snapshot matches", a)
			}
			matches = m
		}
		for _, p := range matches {
			fi, err := os.Stat(p)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p, errors.Unwrap(err))
			}
			if !fi.IsDir() {
				out = append(out, p) // an unreadable snapshot becomes a row with its error
				continue
			}
			if _, err := os.Stat(filepath.Join(p, snapshot.ManifestName)); err == nil {
				out = append(out, p)
				continue
			}
			var found []string
			filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
				if err != nil {
					return nil
				}
				if d.IsDir() && q != p {
					if _, err := os.Stat(filepath.Join(q, snapshot.ManifestName)); err == nil {
						found = append(found, q)
						return filepath.SkipDir
					}
					return nil
				}
				if !d.IsDir() && isSnapshotFile(d.Name()) {
					found = append(found, q)
				}
				return nil
			})
			if len(found) == 0 {
				return nil, fmt.Errorf("%s: no snapshot in this directory", p)
			}
			sort.Strings(found)
			out = append(out, found...)
		}
	}
	return out, nil
}

func runFleet(stdout, stderr io.Writer, args []string, o *fleetOptions) error {
	format, failOn, err := o.parse()
	if err != nil {
		return err
	}
	set, err := loadRules(o.rulesFile)
	if err != nil {
		return err
	}
	paths, err := expand(args)
	if err != nil {
		return failure{exitUsage, err}
	}
	rd, err := o.redaction()
	if err != nil {
		return err
	}
	defer rd.cleanup()
	if paths, err = rd.fleet(paths); err != nil {
		return err
	}
	var progress func(done, total int)
	if f, ok := stderr.(*os.File); ok && isTerminal(f) {
		progress = func(done, total int) {
			const width = 30
			n := done * width / total
			fmt.Fprintf(stderr, "\r[%s%s] %d/%d snapshots", strings.Repeat("#", n), strings.Repeat(" ", width-n), done, total)
			if done == total {
				fmt.Fprintln(stderr)
			}
		}
	}
	fl := fleet.Analyze(paths, set, o.jobs, progress)
	var buf bytes.Buffer
	if err := render.Fleet(&buf, format, fl, render.Options{Color: o.useColor(stdout)}); err != nil {
		return failure{exitError, err}
	}
	if err := writeOutput(stdout, o.output, buf.Bytes()); err != nil {
		return err
	}
	// The report has a row for each unreadable snapshot; the exit status
	// and stderr say so too, for automation.
	bad := 0
	for _, h := range fl.Hosts {
		if h.Error != "" {
			bad++
			fmt.Fprintf(stderr, "netanalyze: %s: %s\n", h.Snapshot, h.Error)
		}
	}
	if bad > 0 {
		return failure{exitUsage, fmt.Errorf("%d of %d snapshots could not be read (their rows say why)", bad, len(fl.Hosts))}
	}
	if failOn > 0 {
		for _, f := range fl.Findings {
			if f.Severity >= failOn {
				return failure{exitFindings, fmt.Errorf("%s findings on %d hosts (--fail-on %s)", f.Severity, len(f.Hosts), failOn)}
			}
		}
	}
	return nil
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
