package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the command failed (a snapshot could not be read)
	exitUsage = 2 // bad flags or arguments
)

var version = "dev"

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
	cmd := &cobra.Command{
		Use:           "netanalyze",
		Short:         "Read netsnap snapshots of Linux proxy hosts",
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	cmd.AddCommand(newInspectCmd(stdout))
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return err })
	return cmd
}
