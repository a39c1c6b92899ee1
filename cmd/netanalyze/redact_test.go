package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/netsnap/netsnap/internal/golden"
	"github.com/netsnap/netsnap/redact"
)

// fixedMap writes a map file with a fixed key, so that redacted reports
// are the same on every run.
func fixedMap(t *testing.T) string {
	t.Helper()
	var key [redact.KeySize]byte
	for i := range key {
		key[i] = byte(i + 1)
	}
	p := filepath.Join(t.TempDir(), "fixed.map.json")
	var buf bytes.Buffer
	if err := redact.NewMapKey(key).WriteMap(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// dirNames lists a directory.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// TestRedactCommand: redact writes the archive and the map (0600), a
// second run with the map gives the same bytes, and the redacted
// snapshot's report names neither the host nor its addresses.
func TestRedactCommand(t *testing.T) {
	snap := goldenSnapshot(t, "proxy-modern")
	dir := t.TempDir()
	out, out2, mapFile := filepath.Join(dir, "r.tgz"), filepath.Join(dir, "r2.tgz"), filepath.Join(dir, "m.json")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"redact", snap, out, "--map", mapFile}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.HasPrefix(stderr.String(), "netanalyze: redacted ") || strings.Count(stderr.String(), "\n") != 1 || stdout.Len() != 0 {
		t.Errorf("stdout %q, stderr %q; want one line on stderr", stdout.String(), stderr.String())
	}
	fi, err := os.Stat(mapFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("map file: %v %v; want mode 0600", err, fi)
	}
	if code := run([]string{"redact", snap, out2, "--map", mapFile}, &stdout, &stderr); code != exitOK {
		t.Fatalf("second run: exit %d: %s", code, stderr.String())
	}
	a, _ := os.ReadFile(out)
	b, _ := os.ReadFile(out2)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("one map, two runs: the redacted archives differ")
	}
	if got := dirNames(t, dir); !slices.Equal(got, []string{"m.json", "r.tgz", "r2.tgz"}) {
		t.Errorf("directory holds %v", got)
	}
	stdout.Reset()
	if code := run([]string{"report", out, "-f", "json"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("report of the redacted snapshot: exit %d", code)
	}
	for _, leak := range []string{"proxy-modern", "10.0.0.10", "10.0.0.20", "10.0.0.21", "10.0.0.100", "app1", "app2"} {
		if strings.Contains(stdout.String(), leak) {
			t.Errorf("the report of the redacted snapshot holds %q", leak)
		}
	}
	var doc struct {
		Host     struct{ Hostname string } `json:"host"`
		Findings []struct{ ID string }     `json:"findings"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil || !strings.HasPrefix(doc.Host.Hostname, "host-") || len(doc.Findings) == 0 {
		t.Errorf("redacted report: host %q, %d findings, %v", doc.Host.Hostname, len(doc.Findings), err)
	}
}

// TestRedactErrors: bad input exits 2 with one line naming the file, a
// failed output 1, and nothing is left under OUT either way (an OUT that
// was there stays as it was).
func TestRedactErrors(t *testing.T) {
	snap := goldenSnapshot(t, "healthy-proxy")
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.tgz")
	os.WriteFile(garbage, []byte("this is not an archive\n"), 0o644)
	whole, _ := os.ReadFile(snap)
	truncated := filepath.Join(dir, "truncated.tgz")
	os.WriteFile(truncated, whole[:len(whole)/2], 0o644)
	badMap := filepath.Join(dir, "bad.map.json")
	os.WriteFile(badMap, []byte("{\n  \"netsnap_redact_map\": 1,\n  \"key\": 7\n}\n"), 0o600)
	hostile := filepath.Join(dir, "hostile.tgz")
	os.WriteFile(hostile, tgz(t, []tar.Header{{Name: "/etc/passwd"}, {Name: "manifest.json"}}, []string{"root:x:0:0\n", manifest}), 0o644)
	kept := filepath.Join(dir, "kept.tgz")
	os.WriteFile(kept, []byte("keep me"), 0o644)
	out := filepath.Join(dir, "out.tgz")
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"redact"}, exitUsage, "want IN and OUT"},
		{[]string{"redact", snap}, exitUsage, "want IN and OUT"},
		{[]string{"redact", filepath.Join(dir, "missing.tgz"), out}, exitUsage, "missing.tgz"},
		{[]string{"redact", garbage, out}, exitUsage, garbage + ": not a netsnap snapshot"},
		{[]string{"redact", truncated, out}, exitUsage, truncated + ":"},
		{[]string{"redact", truncated, kept}, exitUsage, "truncated"},
		{[]string{"redact", hostile, out}, exitUsage, hostile + `: "/etc/passwd": unsafe entry`},
		{[]string{"redact", snap, out, "--map", badMap}, exitUsage, badMap + ": line 3"},
		{[]string{"redact", snap, filepath.Join(dir, "no/such/dir/out.tgz")}, exitError, "no/such/dir"},
		{[]string{"redact", snap, out, "-o", "x"}, exitUsage, "-o is for --reverse"},
		{[]string{"redact", "--reverse"}, exitUsage, "--reverse needs --map"},
		{[]string{"redact", "--reverse", "--map", filepath.Join(dir, "none.json")}, exitUsage, "none.json"},
		{[]string{"report", snap, "--map", filepath.Join(dir, "m.json")}, exitUsage, "--map needs --redact"},
		{[]string{"report", garbage, "--redact"}, exitUsage, "not a netsnap snapshot"},
		{[]string{"diff", snap, garbage, "--redact"}, exitUsage, "not a netsnap snapshot"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(tc.args, &stdout, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), tc.err) || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("netanalyze %v: exit %d, stderr %q; want %d and %q on one line", tc.args, code, stderr.String(), tc.code, tc.err)
		}
		if stdout.Len() != 0 {
			t.Errorf("netanalyze %v wrote to stdout: %q", tc.args, stdout.String())
		}
	}
	if b, _ := os.ReadFile(kept); string(b) != "keep me" {
		t.Errorf("a failed run changed the file under OUT: %q", b)
	}
	want := []string{"bad.map.json", "garbage.tgz", "hostile.tgz", "kept.tgz", "truncated.tgz"}
	if got := dirNames(t, dir); !slices.Equal(got, want) {
		t.Errorf("after the failed runs the directory holds %v; want %v", got, want)
	}
}

var rePseudonym = regexp.MustCompile(`host-[0-9a-f]{6}`)

// TestReportRedact: --redact on report, the root shorthand, diff and
// fleet gives the same findings with no host name, and --reverse brings
// the names back.
func TestReportRedact(t *testing.T) {
	snap := goldenSnapshot(t, "proxy-modern")
	again := goldenSnapshot(t, "proxy-modern")
	healthy := goldenSnapshot(t, "healthy-proxy")
	mapFile := filepath.Join(t.TempDir(), "m.json")
	ids := func(b []byte) []string {
		var doc struct {
			Findings []struct{ ID, Severity, Status string } `json:"findings"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%v: %.200s", err, b)
		}
		var out []string
		for _, f := range doc.Findings {
			out = append(out, f.ID+" "+f.Severity+" "+f.Status)
		}
		return out
	}
	for _, args := range [][]string{
		{"report", snap, "-f", "json"},
		{snap, "-f", "json"},
		{"diff", snap, again, "-f", "json"},
		{snap, again, "-f", "json"},
	} {
		var plain, red, stderr bytes.Buffer
		if code := run(args, &plain, &stderr); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, stderr.String())
		}
		if code := run(append(args, "--redact", "--map", mapFile), &red, &stderr); code != exitOK {
			t.Fatalf("%v --redact: exit %d: %s", args, code, stderr.String())
		}
		if a, b := ids(plain.Bytes()), ids(red.Bytes()); !slices.Equal(a, b) || len(a) == 0 {
			t.Errorf("%v: findings %v, with --redact %v", args, a, b)
		}
		for _, leak := range []string{"proxy-modern", "10.0.0.20", "app1"} {
			if strings.Contains(red.String(), leak) {
				t.Errorf("%v --redact: %q in the output", args, leak)
			}
		}
		if !rePseudonym.Match(red.Bytes()) {
			t.Errorf("%v --redact: no pseudonym in the output", args)
		}
	}
	var fl, stderr bytes.Buffer
	if code := run([]string{"fleet", snap, healthy, filepath.Join(t.TempDir()), "--redact", "--map", mapFile}, &fl, &stderr); code != exitUsage {
		t.Errorf("fleet with an empty directory: exit %d, want %d", code, exitUsage)
	}
	fl.Reset()
	stderr.Reset()
	if code := run([]string{"fleet", snap, healthy, "--redact", "--map", mapFile}, &fl, &stderr); code != exitOK {
		t.Fatalf("fleet --redact: exit %d: %s", code, stderr.String())
	}
	for _, leak := range []string{"proxy-modern", "healthy-proxy", "10.0.0."} {
		if strings.Contains(fl.String(), leak) {
			t.Errorf("fleet --redact: %q in the output", leak)
		}
	}
	// An unreadable snapshot is a row under its redacted name.
	broken := filepath.Join(t.TempDir(), "proxy-modern-broken.tgz")
	os.WriteFile(broken, []byte("not a snapshot"), 0o644)
	fl.Reset()
	stderr.Reset()
	if code := run([]string{"fleet", snap, broken, "--redact", "--map", mapFile}, &fl, &stderr); code != exitUsage {
		t.Errorf("fleet with a broken snapshot: exit %d, want %d", code, exitUsage)
	}
	if !strings.Contains(fl.String()+stderr.String(), "-broken.tgz") || strings.Contains(fl.String()+stderr.String(), "proxy-modern") {
		t.Errorf("fleet --redact with a broken snapshot:\n%s\n%s", fl.String(), stderr.String())
	}
	// The owner of the map reads the report in real names again.
	var rep bytes.Buffer
	if code := run([]string{"report", snap, "--redact", "--map", mapFile}, &rep, &stderr); code != exitOK {
		t.Fatal(stderr.String())
	}
	report := filepath.Join(t.TempDir(), "report.txt")
	os.WriteFile(report, rep.Bytes(), 0o644)
	var back bytes.Buffer
	if code := run([]string{"redact", "--reverse", "--map", mapFile, report}, &back, &stderr); code != exitOK {
		t.Fatalf("--reverse: exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(back.String(), "netsnap report for proxy-modern") || rePseudonym.Match(back.Bytes()) {
		t.Errorf("--reverse did not bring the names back:\n%s", back.String())
	}
	// and from stdin
	cmd := newRootCmd(&back, &stderr)
	back.Reset()
	cmd.SetIn(bytes.NewReader(rep.Bytes()))
	cmd.SetArgs([]string{"redact", "--reverse", "--map", mapFile})
	if err := cmd.Execute(); err != nil || !strings.Contains(back.String(), "proxy-modern") {
		t.Errorf("--reverse from stdin: %v\n%s", err, back.String())
	}
}

// TestRedactGolden: the redacted report of a fixture host, with a fixed
// key, in text and json.
func TestRedactGolden(t *testing.T) {
	snap := goldenSnapshot(t, "proxy-modern")
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var out, stderr bytes.Buffer
			if code := run([]string{"report", snap, "--redact", "--map", fixedMap(t), "-f", format, "--color", "never"}, &out, &stderr); code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			golden.Check(t, out.Bytes())
		})
	}
}
