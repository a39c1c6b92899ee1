package main

import (
	"bytes"
	"runtime"
	"testing"
)

func TestVersionLine(t *testing.T) {
	defer func(v, c string) { version, commit = v, c }(version, commit)
	platform := runtime.Version() + ", " + runtime.GOOS + "/" + runtime.GOARCH
	for _, tc := range []struct{ version, commit, want string }{
		{"v0.3.0-12-gabc1234", "abc1234def", "netanalyze v0.3.0-12-gabc1234 (commit abc1234def, " + platform + ")\n"},
		{"", "", "netanalyze dev (" + platform + ")\n"}, // a test binary records no version or revision
	} {
		version, commit = tc.version, tc.commit
		var stdout, stderr bytes.Buffer
		if code := run([]string{"--version"}, &stdout, &stderr); code != exitOK || stdout.String() != tc.want {
			t.Errorf("version %q commit %q: netanalyze --version = %d, %q (stderr %q); want 0, %q", tc.version, tc.commit, code, stdout.String(), stderr.String(), tc.want)
		}
	}
}
