package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/netsnap/netsnap/analysis"
	"github.com/netsnap/netsnap/analysis/diff"
	"github.com/netsnap/netsnap/analysis/render"
	"github.com/netsnap/netsnap/analysis/report"
	"github.com/netsnap/netsnap/analysis/rules"
	"github.com/netsnap/netsnap/snapshot"
)

type diffOptions struct {
	reportOptions
	force bool
}

func newDiffCmd(stdout io.Writer) *cobra.Command {
	var o diffOptions
	cmd := &cobra.Command{
		Use:   "diff BEFORE AFTER",
		Short: "Compare two snapshots of one host: settings, sockets, rates, nginx, findings new/resolved/persisting (also: netanalyze BEFORE AFTER)",
		Args:  cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			return runDiff(stdout, args[0], args[1], &o)
		},
	}
	addReportFlags(cmd, &o.reportOptions)
	cmd.Flags().BoolVar(&o.force, "force", false, "compare snapshots of different hosts")
	return cmd
}

// analyzeFile opens and analyses one snapshot.
func analyzeFile(path string, set *rules.Set) (*analysis.Result, error) {
	snap, err := analysis.OpenSnapshot(path, snapshot.ReadOptions{})
	if err != nil {
		return nil, failure{exitUsage, err}
	}
	defer snap.Close()
	res, err := analysis.Run(snap, set)
	if err != nil {
		return nil, failure{exitError, fmt.Errorf("%s: %w", path, err)}
	}
	return res, nil
}

func runDiff(stdout io.Writer, before, after string, o *diffOptions) error {
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
	beforePath, err := o.redactPath(rd, before)
	if err != nil {
		return err
	}
	afterPath, err := o.redactPath(rd, after)
	if err != nil {
		return err
	}
	if err := rd.save(); err != nil {
		return err
	}
	a, err := analyzeFile(beforePath, set)
	if err != nil {
		return err
	}
	b, err := analyzeFile(afterPath, set)
	if err != nil {
		return err
	}
	d, err := diff.Compare(a, b, o.force)
	if errors.Is(err, diff.ErrDifferentHosts) {
		return failure{exitUsage, err}
	} else if err != nil {
		return failure{exitError, err}
	}
	var buf bytes.Buffer
	if err := render.Diff(&buf, format, d, render.Options{Color: o.useColor(stdout)}); err != nil {
		return failure{exitError, err}
	}
	if err := writeOutput(stdout, o.output, buf.Bytes()); err != nil {
		return err
	}
	if failOn > 0 && b.Report.Worst() >= failOn {
		return failure{exitFindings, fmt.Errorf("%s: %d critical, %d warning findings (--fail-on %s)", after, b.Report.Count(report.Critical), b.Report.Count(report.Warning), failOn)}
	}
	return nil
}
