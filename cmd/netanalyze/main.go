// Command netanalyze reads netsnap snapshots. Until the analyzer lands it
// offers `inspect`, which prints a snapshot's manifest and contents.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
