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
	root.AddCommand(&cobra.Command{
		Use:    "gendocs DIR",
		Short:  "Write man pages and shell completions under DIR",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			// The pages document the tree as the release binary has it: with
			// cobra's `completion` command, which is added at Execute.
			root.InitDefaultCompletionCmd()
			return docgen.Write(root, args[0], docgen.Options{Version: buildInfo().Version})
		},
	})
}
