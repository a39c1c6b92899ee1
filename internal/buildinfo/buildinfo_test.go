package buildinfo

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestFromBuild(t *testing.T) {
	goLine := runtime.Version() + ", " + runtime.GOOS + "/" + runtime.GOARCH
	vcs := []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"}, {Key: "vcs.modified", Value: "true"}}
	for _, tc := range []struct {
		name            string
		version, commit string
		bi              *debug.BuildInfo
		want            string
	}{
		{"ldflags", "v0.3.0-12-gabc1234", "abc1234def", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs},
			"v0.3.0-12-gabc1234 (commit abc1234def, " + goLine + ")"},
		{"go install module@version", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.3.0"}},
			"v0.3.0 (" + goLine + ")"},
		{"go build in a checkout", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261121091500-0123456789ab+dirty"}, Settings: vcs},
			"v0.0.0-20261121091500-0123456789ab+dirty (commit 0123456789abcdef0123456789abcdef01234567 modified, " + goLine + ")"},
		{"go build -buildvcs=false", "", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}},
			"dev (" + goLine + ")"},
		{"no build information", "", "", nil, "dev (" + goLine + ")"},
		{"ldflags version only", "v1.0.0", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs[:1]},
			"v1.0.0 (commit 0123456789abcdef0123456789abcdef01234567, " + goLine + ")"},
		{"platform from the build", "v1", "c", &debug.BuildInfo{GoVersion: "go1.99.1", Settings: []debug.BuildSetting{{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "arm64"}}},
			"v1 (commit c, go1.99.1, linux/arm64)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fromBuild(tc.version, tc.commit, tc.bi).String(); got != tc.want {
				t.Errorf("fromBuild(%q, %q) = %q; want %q", tc.version, tc.commit, got, tc.want)
			}
		})
	}
}

func TestReadInTest(t *testing.T) {
	// A test binary has build information but no ldflags: the version falls back.
	in := Read("", "")
	if in.Version == "" || in.Go != runtime.Version() || in.Platform != runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("Read = %+v", in)
	}
}
