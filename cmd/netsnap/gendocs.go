//go:build gendocs

package main

import (
	"github.com/spf13/cobra"

	"github.com/netsnap/netsnap/internal/docgen"
)

// addGendocs adds the hidden `gendocs DIR` command, which writes the man
// pages and shell completions (make dist). It exists only in builds with the
// gendocs tag, so release binaries do not link cobra/doc and go-md2man.
func addGendocs(root *cobra.Command) {
	// The hidden command gives the root a subcommand, which would make cobra
	// add `completion` and `help` commands the release binary lacks.
	root.CompletionOptions.DisableDefaultCmd = true
	root.AddCommand(&cobra.Command{
		Use:    "gendocs DIR",
		Short:  "Write man pages and shell completions under DIR",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return docgen.Write(cmd.Root(), args[0], docgen.Options{Version: buildInfo().Version})
		},
	})
}
