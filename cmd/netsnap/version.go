package main

import (
	"github.com/spf13/cobra"

	"github.com/netsnap/netsnap/internal/buildinfo"
)

// version and commit are set by release builds (make build, make dist):
//
//	go build -ldflags "-X main.version=$(git describe --tags --always --dirty) -X main.commit=$(git rev-parse HEAD)"
//
// Left empty (go install), they come from the build information the Go
// toolchain recorded in the binary.
var version, commit string

// buildInfo is this binary's version, commit, Go version and platform.
func buildInfo() buildinfo.Info { return buildinfo.Read(version, commit) }

// setVersion makes --version print
// "netsnap v0.3.0-12-gabc1234 (commit abc1234…, go1.26.8, linux/amd64)".
func setVersion(cmd *cobra.Command) {
	cmd.Version = buildInfo().String()
	cmd.SetVersionTemplate("{{.Name}} {{.Version}}\n")
}
