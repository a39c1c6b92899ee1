package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/netsnap/netsnap/snapshot"
	"github.com/netsnap/netsnap/snapshot/collect/sockdiag"
)

const fixtureHosts = "../../testdata/hosts"

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// netsnapBinary builds the command once per test binary.
func netsnapBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "netsnap-cli-test")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "netsnap")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = err
			binPath = string(out)
		}
	})
	if binErr != nil {
		t.Fatalf("go build: %v\n%s", binErr, binPath)
	}
	return binPath
}

// runInProcess runs the command in this process.
func runInProcess(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--samples", "0"}, "--samples 0: want 1 to 1000"},
		{[]string{"--compress", "bzip2"}, `--compress "bzip2": want gzip or zstd`},
		{[]string{"--bogus"}, "unknown flag: --bogus"},
		{[]string{"--interval", "soon"}, `invalid argument "soon"`},
		{[]string{"--only", "tcp,nope"}, `unknown source "nope"`},
		{[]string{"--log-max", "lots"}, `--log-max: bad size "lots"`},
		{[]string{"--root", "/nonexistent/x"}, "--root /nonexistent/x"},
		{[]string{"extra-arg"}, "unknown command"},
	} {
		code, out, errOut := runInProcess(tc.args...)
		if code != exitUsage || out != "" || !strings.Contains(errOut, tc.want) || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "netsnap: ") {
			t.Errorf("netsnap %v: exit %d, stderr %q; want exit %d and one line containing %q", tc.args, code, errOut, exitUsage, tc.want)
		}
	}
}

func TestUnwritableOutput(t *testing.T) {
	dir := t.TempDir()
	for _, out := range []string{filepath.Join(dir, "no/such/dir/x.tgz"), dir} {
		code, _, errOut := runInProcess("--root", filepath.Join(fixtureHosts, "proxy-modern"), "-q", "-o", out)
		if code != exitFailed || !strings.Contains(errOut, out) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("-o %s: exit %d, stderr %q", out, code, errOut)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("files left behind: %v", ents)
	}
}

func TestListSources(t *testing.T) {
	code, out, _ := runInProcess("--list-sources")
	if code != 0 || !strings.Contains(out, "conntrack-count") || !strings.Contains(out, "sampled, live only") {
		t.Errorf("--list-sources: exit %d\n%s", code, out)
	}
}

func TestSizes(t *testing.T) {
	for in, want := range map[string]int64{"16MiB": 16 << 20, "512K": 512 << 10, "1G": 1 << 30, "100": 100, "2mb": 2 << 20} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "0", "1.5M", "9999999999999G"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) accepted", in)
		}
	}
}

func openSnap(t *testing.T, p string) *snapshot.Snapshot {
	t.Helper()
	s, err := snapshot.Open(p, snapshot.ReadOptions{})
	if err != nil {
		t.Fatalf("open %s: %v", p, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestFixtureToFileAndSummary(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.tgz")
	code, stdout, stderr := runInProcess("--root", filepath.Join(fixtureHosts, "proxy-modern"), "--samples", "2", "--interval", "10ms", "-o", out)
	if code != 0 || stdout != "" {
		t.Fatalf("exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	for _, want := range []string{"netsnap: wrote " + out, "2 samples", "nginx (master pid 4242, 2 workers): /etc/nginx/nginx.conf, 4 config files, 2 error logs", "skipped: listeners, kmsg, journal-kernel, socket-owners"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, stderr)
		}
	}
	s := openSnap(t, out)
	if s.Manifest.Hostname != "proxy-modern" || len(s.Manifest.Samples) != 2 {
		t.Errorf("manifest: %+v", s.Manifest)
	}
	code, _, stderr = runInProcess("--root", filepath.Join(fixtureHosts, "proxy-modern"), "--samples", "1", "-q", "-o", out, "--compress", "zstd")
	if code != 0 || stderr != "" {
		t.Fatalf("-q: exit %d stderr %q", code, stderr)
	}
	if s := openSnap(t, out); s.Manifest.Options.Compression != "zstd" {
		t.Error("zstd snapshot not recorded as zstd")
	}
}

func TestStreamToStdout(t *testing.T) {
	var o, e bytes.Buffer
	code := run([]string{"--root", filepath.Join(fixtureHosts, "centos6-ipconntrack"), "--samples", "1", "-o", "-"}, &o, &e)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	p := filepath.Join(t.TempDir(), "s.tgz")
	if err := os.WriteFile(p, o.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if s := openSnap(t, p); s.Manifest.Hostname != "web-f5-01" {
		t.Errorf("hostname %q", s.Manifest.Hostname)
	}
	if !strings.Contains(e.String(), "wrote stdout") {
		t.Errorf("summary: %s", e.String())
	}
}

// TestLiveSnapshot snapshots this machine with the real binary and checks
// that stock tar opens the archive and the manifest describes this host.
func TestLiveSnapshot(t *testing.T) {
	bin := netsnapBinary(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "live.tgz")
	cmd := exec.Command(bin, "--samples", "2", "--interval", "200ms", "-o", out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("netsnap: %v\n%s", err, stderr.String())
	}
	listing, err := exec.Command("tar", "tzf", out).Output()
	if err != nil {
		t.Fatalf("tar tzf: %v", err)
	}
	// The socket table comes through NETLINK_SOCK_DIAG where inet_diag is
	// already in the kernel, else from /proc/net/tcp.
	table := "samples/1/proc/net/tcp\n"
	modules, modErr := os.ReadFile("/proc/modules")
	builtin, binErr := os.ReadFile("/lib/modules/" + kernelRelease() + "/modules.builtin")
	if ok, why := sockdiag.Available(modules, modErr, builtin, binErr); ok {
		table = "samples/1/netsnap/tcp.txt\n"
	} else {
		t.Logf("NETLINK_SOCK_DIAG not used here: %s", why)
	}
	for _, want := range []string{table, "samples/2/proc/net/snmp\n", "proc/sys/net/core/somaxconn\n", "manifest.json\n"} {
		if !strings.Contains(string(listing), want) {
			t.Errorf("archive lacks %q", want)
		}
	}
	if !strings.HasSuffix(string(listing), "manifest.json\n") {
		t.Error("manifest.json is not the last entry")
	}
	s := openSnap(t, out)
	m := s.Manifest
	host, _ := os.Hostname()
	release := kernelRelease()
	if !m.Live || m.Hostname != host || m.KernelRelease != release || m.CPUs < 1 || m.Partial || len(m.Samples) != 2 {
		t.Errorf("manifest: live %v host %q (want %q) kernel %q (want %q) cpus %d partial %v samples %d", m.Live, m.Hostname, host, m.KernelRelease, release, m.CPUs, m.Partial, len(m.Samples))
	}
	if gap := m.Samples[1].Start.Sub(m.Samples[0].Start); gap < 200*time.Millisecond || gap > 2*time.Second {
		t.Errorf("samples %s apart, want about 200ms", gap)
	}
	for _, r := range m.Sources {
		if (r.Name == "tcp" || r.Name == "netstat" || r.Name == "sysctl-net") && r.Status != snapshot.StatusOK {
			t.Errorf("%s: %+v", r.Name, r)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("output directory holds %d entries, want only the archive", len(ents))
	}
}

// TestSIGTERMLeavesPartialArchive interrupts a capture: the archive is finished, valid and marked partial.
func TestSIGTERMLeavesPartialArchive(t *testing.T) {
	bin := netsnapBinary(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "partial.tgz")
	cmd := exec.Command(bin, "--root", filepath.Join(fixtureHosts, "proxy-modern"), "--samples", "20", "--interval", "500ms", "-o", out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(800 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("netsnap after SIGTERM: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "warning: partial snapshot: interrupted: signal terminated") {
		t.Errorf("stderr: %s", stderr.String())
	}
	m := openSnap(t, out).Manifest
	if !m.Partial || len(m.Samples) < 1 || len(m.Samples) > 4 {
		t.Errorf("partial %v, %d samples", m.Partial, len(m.Samples))
	}
}

// TestSIGKILLLeavesNothing kills a capture outright: nothing appears under
// the final name and no temporary file is left.
func TestSIGKILLLeavesNothing(t *testing.T) {
	bin := netsnapBinary(t)
	dir := t.TempDir()
	spool := t.TempDir()
	out := filepath.Join(dir, "killed.tgz")
	cmd := exec.Command(bin, "--root", filepath.Join(fixtureHosts, "proxy-modern"), "--samples", "20", "--interval", "500ms", "-o", out)
	cmd.Env = append(os.Environ(), "TMPDIR="+spool)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(700 * time.Millisecond)
	cmd.Process.Kill()
	cmd.Wait()
	for _, d := range []string{dir, spool} {
		if ents, _ := os.ReadDir(d); len(ents) != 0 {
			t.Errorf("%s holds %v after SIGKILL", d, ents)
		}
	}
}

// TestClosedStdout: `netsnap -o - | head -c 10` ends with a clear error, not a crash or a hang.
func TestClosedStdout(t *testing.T) {
	bin := netsnapBinary(t)
	// A table that compresses badly, so the archive cannot fit in the pipe's buffer.
	root := t.TempDir()
	rnd := make([]byte, 2<<20)
	rand.Read(rnd)
	os.MkdirAll(filepath.Join(root, "proc/net"), 0o755)
	os.WriteFile(filepath.Join(root, "proc/net/tcp"), []byte(hex.EncodeToString(rnd)), 0o644)
	cmd := exec.Command(bin, "--root", root, "--samples", "2", "--interval", "100ms", "-o", "-")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	io.ReadFull(stdout, buf)
	stdout.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("netsnap hung on a closed stdout")
	}
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != exitFailed || !strings.Contains(stderr.String(), "reader went away") || strings.Contains(stderr.String(), "goroutine") {
		t.Errorf("exit %v, stderr %q; want exit %d and a one-line error", err, stderr.String(), exitFailed)
	}
}

// TestCollectorLinksNoAnalyzerLibraries enforces DESIGN.md: netsnap stays small and dependency-light.
func TestCollectorLinksNoAnalyzerLibraries(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"go-pretty", "BurntSushi/toml", "expr-lang", "/analysis", "/redact", "cobra/doc", "go-md2man"} {
			if strings.Contains(dep, banned) {
				t.Errorf("netsnap links %s", dep)
			}
		}
	}
}

// kernelRelease is uname -r.
func kernelRelease() string {
	var u syscall.Utsname
	syscall.Uname(&u)
	release := ""
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		release += string(rune(c))
	}
	return release
}
