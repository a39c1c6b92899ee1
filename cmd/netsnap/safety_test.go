package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/netsnap/netsnap/internal/netns"
)

// traced is one system call seen by strace.
type traced struct {
	call, args string
}

var straceLine = regexp.MustCompile(`^\d+\s+(\w+)\((.*)$`)

// straceRun runs netsnap under strace and returns the calls it made.
func straceRun(t *testing.T, env []string, args ...string) []traced {
	t.Helper()
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("strace not installed (apt-get install strace): cannot observe netsnap's system calls")
	}
	trace := filepath.Join(t.TempDir(), "trace")
	full := append([]string{"-f", "-qq", "-e", "signal=none", "-e",
		"trace=socket,execve,execveat,open,openat,openat2,creat,mkdir,mkdirat,unlink,unlinkat,rename,renameat,renameat2,link,linkat,symlink,symlinkat,truncate,chmod,fchmodat,init_module,finit_module,delete_module,setns,unshare",
		"-o", trace, netsnapBinary(t)}, args...)
	cmd := exec.Command(strace, full...)
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		if strings.Contains(string(out), "PTRACE_TRACEME") || strings.Contains(string(out), "Operation not permitted") {
			t.Skipf("strace cannot trace here: %s", out)
		}
		t.Fatalf("strace netsnap: %v\n%s", err, out)
	}
	f, err := os.Open(trace)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var calls []traced
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if m := straceLine.FindStringSubmatch(sc.Text()); m != nil {
			calls = append(calls, traced{m[1], m[2]})
		}
	}
	if len(calls) == 0 {
		t.Fatal("strace recorded no calls")
	}
	return calls
}

var quoted = regexp.MustCompile(`"([^"]*)"`)

// TestProductionManners: on this live host netsnap opens no netfilter
// netlink socket, loads no module, executes nothing (journalctl only where
// the kernel log lives in the journal alone), and creates, writes, renames
// or removes no file but its output and its anonymous spool.
func TestProductionManners(t *testing.T) {
	outDir := t.TempDir()
	spool := t.TempDir()
	out := filepath.Join(outDir, "live.tgz")
	calls := straceRun(t, []string{"TMPDIR=" + spool}, "--samples", "2", "--interval", "100ms", "-q", "-o", out)
	sockdiag, _ := checkManners(t, calls, outDir, spool)
	if _, err := os.Stat(out); err != nil {
		t.Errorf("no archive: %v", err)
	}
	t.Logf("%d calls observed, %d sock_diag sockets", len(calls), sockdiag)
}

// TestProductionMannersWithNamespaces: with another network namespace on
// the host (a process in an ip netns), netsnap joins it only to read its
// settings: setns with CLONE_NEWNET once, never unshare, and the rest of the
// manners hold.
func TestProductionMannersWithNamespaces(t *testing.T) {
	ns := netns.New(t, "nsmanners")
	cmd := ns.Command(context.Background(), "sleep", "30")
	ns.Start(t, cmd)
	outDir := t.TempDir()
	spool := t.TempDir()
	out := filepath.Join(outDir, "live.tgz")
	calls := straceRun(t, []string{"TMPDIR=" + spool}, "--samples", "1", "-q", "--netns", strconv.Itoa(cmd.Process.Pid), "-o", out)
	_, setns := checkManners(t, calls, outDir, spool)
	if setns != 1 {
		t.Errorf("setns called %d times for one namespace, want 1", setns)
	}
}

// checkManners applies the production rules to the calls strace saw and
// returns the sock_diag sockets and setns calls counted.
func checkManners(t *testing.T, calls []traced, outDir, spool string) (sockdiag, setns int) {
	t.Helper()
	for _, c := range calls {
		args := c.args
		switch c.call {
		case "socket":
			if strings.Contains(args, "AF_NETLINK") {
				if !strings.Contains(args, "NETLINK_SOCK_DIAG") {
					t.Errorf("netlink socket other than sock_diag: socket(%s", args)
				}
				sockdiag++
			}
			if strings.Contains(args, "NETLINK_NETFILTER") {
				t.Errorf("NETLINK_NETFILTER socket opened: %s", args)
			}
		case "execve", "execveat":
			prog := ""
			if m := quoted.FindStringSubmatch(args); m != nil {
				prog = m[1]
			}
			if prog != netsnapBinary(t) && filepath.Base(prog) != "journalctl" {
				t.Errorf("executed %s", args)
			}
		case "init_module", "finit_module", "delete_module":
			t.Errorf("module call %s(%s", c.call, args)
		case "setns":
			if !strings.Contains(args, "CLONE_NEWNET") {
				t.Errorf("setns into something other than a network namespace: setns(%s", args)
			}
			setns++
		case "unshare":
			t.Errorf("unshare(%s", args)
		case "open", "openat", "openat2", "creat":
			if c.call != "creat" && !regexp.MustCompile(`O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND`).MatchString(args) {
				continue
			}
			m := quoted.FindStringSubmatch(args)
			if m == nil || !(strings.HasPrefix(m[1], outDir) || strings.HasPrefix(m[1], spool)) {
				t.Errorf("opened for writing outside output and spool: %s(%s", c.call, args)
			}
		default: // mkdir, unlink, rename, link, symlink, truncate, chmod
			for _, m := range quoted.FindAllStringSubmatch(args, -1) {
				if strings.HasPrefix(m[1], "/proc/self/fd/") {
					continue // linkat of the finished O_TMPFILE output
				}
				if !strings.HasPrefix(m[1], outDir) {
					t.Errorf("%s outside the output directory: %s", c.call, args)
				}
			}
		}
	}
	return sockdiag, setns
}

// TestRootCaptureExecutesNothing: under --root no socket is opened and nothing is executed.
func TestRootCaptureExecutesNothing(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.tgz")
	calls := straceRun(t, nil, "--root", filepath.Join(fixtureHosts, "proxy-modern"), "--samples", "1", "-q", "-o", out)
	for _, c := range calls {
		if c.call == "socket" || (c.call == "execve" && !strings.Contains(c.args, netsnapBinary(t))) {
			t.Errorf("%s(%s under --root", c.call, c.args)
		}
	}
}
