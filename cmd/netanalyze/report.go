package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/netsnap/netsnap"
	"github.com/netsnap/netsnap/analysis"
	"github.com/netsnap/netsnap/analysis/render"
	"github.com/netsnap/netsnap/analysis/report"
	"github.com/netsnap/netsnap/analysis/rules"
	"github.com/netsnap/netsnap/snapshot"
)

// reportOptions are the flags shared by the commands that produce a report.
type reportOptions struct {
	format    string
	output    string
	rulesFile []string
	failOn    string
	color     string
	redact    bool   // --redact: analyse a redacted copy (redact.go)
	redactMap string // --map FILE with --redact
}

func addReportFlags(cmd *cobra.Command, o *reportOptions) {
	f := cmd.Flags()
	f.StringVarP(&o.format, "format", "f", "", "text, markdown, json or html (default: text; markdown for tickets, json for automation, html for a page with charts)")
	f.StringVarP(&o.output, "output", "o", "", "write the report to FILE (written whole, then renamed) instead of stdout")
	f.StringArrayVar(&o.rulesFile, "rules", nil, "merge this rules file over the defaults (repeatable)")
	f.StringVar(&o.failOn, "fail-on", "", "exit with status 3 when a finding of this severity or worse is reported (warning or critical)")
	f.StringVar(&o.color, "color", "auto", "colour severity tags in text: auto, always or never")
	f.BoolVar(&o.redact, "redact", false, "replace every address and host name by a pseudonym before analysing (see netanalyze redact)")
	f.StringVar(&o.redactMap, "map", "", "with --redact: keep the key and the pairs in FILE, one map for all snapshots (mode 0600; it un-redacts)")
}

func newReportCmd(stdout io.Writer) *cobra.Command {
	var o reportOptions
	cmd := &cobra.Command{
		Use:   "report SNAPSHOT",
		Short: "Analyse one snapshot: findings first, then the evidence (also: netanalyze SNAPSHOT)",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return runReport(stdout, args[0], &o)
		},
	}
	addReportFlags(cmd, &o)
	return cmd
}

// loadRules merges the user's files over the embedded defaults.
func loadRules(files []string) (*rules.Set, error) {
	var user []rules.Source
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, failure{exitUsage, fmt.Errorf("--rules: %w", err)}
		}
		user = append(user, rules.Source{Name: f, Data: b})
	}
	set, err := rules.Load(rules.Source{Name: "rules.toml (default)", Data: netsnap.DefaultRules}, user...)
	if err != nil {
		return nil, failure{exitUsage, err}
	}
	return set, nil
}

func (o *reportOptions) parse() (render.Format, report.Severity, error) {
	format := render.Text
	if o.format != "" {
		f, err := render.ParseFormat(o.format)
		if err != nil {
			return "", 0, failure{exitUsage, fmt.Errorf("--format: %w", err)}
		}
		format = f
	}
	var failOn report.Severity
	if o.failOn != "" {
		s, err := report.ParseSeverity(o.failOn)
		if err != nil || s == report.Info {
			return "", 0, failure{exitUsage, fmt.Errorf("--fail-on %q: want warning or critical", o.failOn)}
		}
		failOn = s
	}
	switch o.color {
	case "auto", "always", "never":
	default:
		return "", 0, failure{exitUsage, fmt.Errorf("--color %q: want auto, always or never", o.color)}
	}
	return format, failOn, nil
}

func runReport(stdout io.Writer, path string, o *reportOptions) error {
	format, failOn, err := o.parse()
	if err != nil {
		return err
	}
	set, err := loadRules(o.rulesFile)
	if err != nil {
		return err
	}
	rd, err := o.redaction()
	if err != nil {
		return err
	}
	defer rd.cleanup()
	if path, err = o.redactPath(rd, path); err != nil {
		return err
	}
	if err := rd.save(); err != nil {
		return err
	}
	snap, err := analysis.OpenSnapshot(path, snapshot.ReadOptions{})
	if err != nil {
		return failure{exitUsage, err}
	}
	defer snap.Close()
	rep, err := analysis.Analyze(snap, set)
	if err != nil {
		return failure{exitError, err}
	}
	var buf bytes.Buffer
	if err := render.Report(&buf, format, rep, render.Options{Color: o.useColor(stdout)}); err != nil {
		return failure{exitError, err}
	}
	if err := writeOutput(stdout, o.output, buf.Bytes()); err != nil {
		return err
	}
	if failOn > 0 && rep.Worst() >= failOn {
		return failure{exitFindings, fmt.Errorf("%s: %d critical, %d warning findings (--fail-on %s)", path, rep.Count(report.Critical), rep.Count(report.Warning), failOn)}
	}
	return nil
}

func (o *reportOptions) useColor(stdout io.Writer) bool {
	switch o.color {
	case "always":
		return true
	case "never":
		return false
	}
	if o.output != "" || os.Getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := stdout.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// writeOutput writes b to stdout, or to file via a temporary file renamed
// into place, so a failed run never leaves a half-written report.
func writeOutput(stdout io.Writer, file string, b []byte) error {
	if file == "" || file == "-" {
		_, err := stdout.Write(b)
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".tmp*")
	if err != nil {
		return failure{exitError, fmt.Errorf("-o %s: %w", file, unwrapPath(err))}
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return failure{exitError, fmt.Errorf("-o %s: %w", file, err)}
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		os.Remove(tmp.Name())
		return failure{exitError, fmt.Errorf("-o %s: %w", file, unwrapPath(err))}
	}
	return nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
