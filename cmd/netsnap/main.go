// Command netsnap captures a Linux host's network state into one compressed
// snapshot archive for netanalyze. It is read-only and bounded in time and
// memory; see README.md.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
