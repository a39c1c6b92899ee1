package main

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// tgz builds a gzip tar from entries; a nil body makes a symlink to "../../etc/passwd".
func tgz(t *testing.T, entries []tar.Header, bodies []string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for i, h := range entries {
		h.Size = int64(len(bodies[i]))
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		h.Mode = 0o644
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write([]byte(bodies[i]))
		}
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

const manifest = `{"format_version": 1, "tool": "netsnap", "hostname": "h", "samples": [], "sources": []}`

// TestHostileSnapshots: every unsafe or broken archive is refused with one
// line naming the problem, exit status 2, and no report is written.
func TestHostileSnapshots(t *testing.T) {
	dir := t.TempDir()
	bomb := func() []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		tw := tar.NewWriter(zw)
		tw.WriteHeader(&tar.Header{Name: "proc/net/tcp", Size: 20 << 30, Mode: 0o644, Typeflag: tar.TypeReg})
		zeros := make([]byte, 1<<20)
		for i := 0; i < 64; i++ { // 64 MiB of zeros compress to ~64 KiB; the header claims 20 GiB
			tw.Write(zeros)
		}
		zw.Close()
		return buf.Bytes()
	}
	good := tgz(t, []tar.Header{{Name: "manifest.json"}}, []string{manifest})
	cases := map[string]struct {
		data []byte
		want string
	}{
		"dotdot.tgz":     {tgz(t, []tar.Header{{Name: "../evil"}, {Name: "manifest.json"}}, []string{"x", manifest}), "unsafe"},
		"absolute.tgz":   {tgz(t, []tar.Header{{Name: "/etc/cron.d/evil"}, {Name: "manifest.json"}}, []string{"x", manifest}), "unsafe"},
		"symlink.tgz":    {tgz(t, []tar.Header{{Name: "proc/net/tcp", Typeflag: tar.TypeSymlink, Linkname: "../../etc/passwd"}, {Name: "manifest.json"}}, []string{"", manifest}), "unsafe"},
		"hardlink.tgz":   {tgz(t, []tar.Header{{Name: "x", Typeflag: tar.TypeLink, Linkname: "/etc/passwd"}, {Name: "manifest.json"}}, []string{"", manifest}), "unsafe"},
		"device.tgz":     {tgz(t, []tar.Header{{Name: "dev/sda", Typeflag: tar.TypeBlock}, {Name: "manifest.json"}}, []string{"", manifest}), "unsafe"},
		"duplicate.tgz":  {tgz(t, []tar.Header{{Name: "manifest.json"}, {Name: "manifest.json"}}, []string{manifest, manifest}), "duplicate"},
		"future.tgz":     {tgz(t, []tar.Header{{Name: "manifest.json"}}, []string{`{"format_version": 99}`}), "format_version 99"},
		"nomanifest.tgz": {tgz(t, []tar.Header{{Name: "proc/net/tcp"}}, []string{"x"}), "no manifest.json"},
		"truncated.tgz":  {good[:len(good)/2], "truncated"},
		"bomb.tgz":       {bomb(), "cap"},
	}
	for name, tc := range cases {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, tc.data, 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, name+".report")
		var stdout, stderr bytes.Buffer
		code := run([]string{"report", p, "-o", out}, &stdout, &stderr)
		msg := stderr.String()
		if code != exitUsage || strings.Count(msg, "\n") != 1 || !strings.Contains(msg, name) || !strings.Contains(strings.ToLower(msg), tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d and one line naming the file and %q", name, code, msg, exitUsage, tc.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: a report was written", name)
		}
	}
	// Nothing was extracted anywhere: the directory holds only the inputs.
	ents, _ := os.ReadDir(dir)
	if len(ents) != len(cases) {
		t.Errorf("%d entries in the directory, want the %d inputs", len(ents), len(cases))
	}
}
