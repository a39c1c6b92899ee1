package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitOK       = 0
	exitError    = 1 // the command failed (the report could not be written)
	exitUsage    = 2 // bad input: flags, arguments, rules file, or a snapshot that is unreadable or unsafe
	exitFindings = 3 // --fail-on: a finding at or above the severity was reported
)

// failure is an error that carries its exit code.
type failure struct {
	code int
	err  error
}

func (f failure) Error() string { return f.err.Error() }

func run(args []string, stdout, stderr io.Writer) int {
	cmd := newRootCmd(stdout, stderr)
	cmd.SetArgs(args)
	err := cmd.Execute()
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "netanalyze: %v\n", err)
	var f failure
	if errors.As(err, &f) {
		return f.code
	}
	return exitUsage
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	var o reportOptions
	var force bool
	cmd := &cobra.Command{
		Use:   "netanalyze [SNAPSHOT]",
		Short: "Analyse netsnap snapshots of Linux proxy hosts",
		Long: `netanalyze turns a netsnap snapshot into a findings report: conclusions first,
each with its numbers, then the evidence tables and what to do.

  netanalyze host.tgz                      # = netanalyze report host.tgz
  netanalyze report host.tgz -f markdown   # for a ticket
  netanalyze report host.tgz -f json       # for automation (--fail-on warning)
  netanalyze before.tgz after.tgz          # = netanalyze diff before.tgz after.tgz
  netanalyze fleet snapshots/              # many hosts side by side
  netanalyze redact host.tgz ticket.tgz    # addresses and names pseudonymised (--redact on report/diff/fleet)
  netanalyze rules --facts                 # what rules can be written against`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch len(args) {
			case 0:
				return cmd.Help()
			case 1:
				return runReport(stdout, args[0], &o)
			case 2:
				return runDiff(stdout, args[0], args[1], &diffOptions{reportOptions: o, force: force})
			}
			return fmt.Errorf("want one snapshot (report) or two (diff), got %d arguments", len(args))
		},
	}
	setVersion(cmd)
	addGendocs(cmd)
	addReportFlags(cmd, &o)
	cmd.Flags().BoolVar(&force, "force", false, "with two snapshots: compare snapshots of different hosts")
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	cmd.AddCommand(newReportCmd(stdout), newDiffCmd(stdout), newFleetCmd(stdout, stderr), newRulesCmd(stdout), newInspectCmd(stdout), newRedactCmd(stdout, stderr))
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return err })
	return cmd
}
