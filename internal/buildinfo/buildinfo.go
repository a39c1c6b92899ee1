// Package buildinfo says which build of a command is running, for --version
// and the snapshot manifest. Release builds (make build, make dist) set the
// version and commit with -ldflags "-X main.version=... -X main.commit=...";
// a binary built without them (go install module@version, go build) falls
// back to what the Go toolchain recorded in it: the module version and the
// VCS revision (vcs.revision, vcs.modified).
package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// Info is one binary's identity.
type Info struct {
	Version  string // "v0.3.0-12-gabc1234", a module version, or "dev"
	Commit   string // the full revision, or "" when unknown
	Modified bool   // built from a tree with uncommitted changes (from vcs.modified)
	Go       string // runtime.Version()
	Platform string // GOOS/GOARCH
}

// Read returns the binary's Info: version and commit as set by -ldflags
// (empty when not set), completed from the build information.
func Read(version, commit string) Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return fromBuild(version, commit, bi)
}

// fromBuild is Read with the build information given (nil when the binary
// has none).
func fromBuild(version, commit string, bi *debug.BuildInfo) Info {
	in := Info{Version: version, Commit: commit, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi == nil {
		if in.Version == "" {
			in.Version = "dev"
		}
		return in
	}
	if bi.GoVersion != "" {
		in.Go = bi.GoVersion
	}
	if in.Version == "" {
		// "(devel)" is what a build inside the module's own tree records when
		// the toolchain did not stamp a version from VCS.
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			in.Version = v
		} else {
			in.Version = "dev"
		}
	}
	set := map[string]string{}
	for _, s := range bi.Settings {
		set[s.Key] = s.Value
	}
	if in.Commit == "" && set["vcs.revision"] != "" {
		in.Commit, in.Modified = set["vcs.revision"], set["vcs.modified"] == "true"
	}
	if set["GOOS"] != "" && set["GOARCH"] != "" {
		in.Platform = set["GOOS"] + "/" + set["GOARCH"]
	}
	return in
}

// String is the version line after the command's name:
// "v0.3.0-12-gabc1234 (commit 0123abcd…, go1.26.8, linux/amd64)".
// A revision recorded by the toolchain from a modified tree says so
// ("commit 0123abcd… modified"); the commit is left out when unknown.
func (in Info) String() string {
	var b strings.Builder
	b.WriteString(in.Version)
	b.WriteString(" (")
	if in.Commit != "" {
		b.WriteString("commit ")
		b.WriteString(in.Commit)
		if in.Modified {
			b.WriteString(" modified")
		}
		b.WriteString(", ")
	}
	b.WriteString(in.Go)
	b.WriteString(", ")
	b.WriteString(in.Platform)
	b.WriteString(")")
	return b.String()
}
