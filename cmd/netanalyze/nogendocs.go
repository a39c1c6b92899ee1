//go:build !gendocs

package main

import "github.com/spf13/cobra"

// addGendocs does nothing in release builds: see gendocs.go.
func addGendocs(*cobra.Command) {}
