// Package netns is a test helper: it creates a throw-away Linux network
// namespace for one test, runs commands inside it and removes it (and every
// process the test started in it) when the test ends.
//
// Everything a test changes through an NS (sysctls, sockets, load) stays
// inside that namespace: Sysctl only ever writes inside it, and the namespace
// starts with nothing but a loopback interface, so traffic made there can only
// reach its own 127.0.0.0/8 and ::1.
//
// Tests that use it need root and iproute2; New skips the test otherwise.
package netns

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// NS is a network namespace created by New for one test.
type NS struct {
	name string

	mu    sync.Mutex
	procs []*exec.Cmd
}

var counter atomic.Int64

// New creates a uniquely named namespace (prefix + pid + counter), brings its
// lo up and registers a cleanup that kills the processes started in it with
// Start that are still alive, then deletes it. It skips the test when the
// namespace cannot be created (not root, no iproute2, no CAP_SYS_ADMIN, ...).
func New(t testing.TB, prefix string) *NS {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("network namespaces unavailable: not running as root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("network namespaces unavailable: iproute2 `ip` not found")
	}
	name := fmt.Sprintf("%s%d-%d", prefix, os.Getpid(), counter.Add(1))
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Skipf("network namespaces unavailable: ip netns add %s: %v: %s", name, err, strings.TrimSpace(string(out)))
	}
	ns := &NS{name: name}
	t.Cleanup(ns.cleanup(t))
	if out, err := ns.Command(context.Background(), "ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("netns %s: ip link set lo up: %v: %s", name, err, strings.TrimSpace(string(out)))
	}
	return ns
}

// Name is the namespace's name, as `ip netns` knows it.
func (ns *NS) Name() string { return ns.name }

// Path is the namespace's bind mount, for `nsenter --net=PATH`.
func (ns *NS) Path() string { return "/run/netns/" + ns.name }

// Sysctl sets key (dotted, e.g. "net.ipv4.tcp_max_tw_buckets") to value inside
// the namespace only. Only namespaced keys (net.*) are accepted: a global
// key such as vm.* would change the whole machine.
func (ns *NS) Sysctl(t testing.TB, key, value string) {
	t.Helper()
	if !strings.HasPrefix(key, "net.") || strings.ContainsAny(key, "/ \t\n") {
		t.Fatalf("netns %s: refusing sysctl %q: only per-namespace net.* keys may be set", ns.name, key)
	}
	// Write /proc/sys directly (sysctl(8) may be absent); the path is resolved
	// by a process inside the namespace, so the write lands there.
	path := "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
	cmd := ns.Command(context.Background(), "sh", "-c", `printf '%s\n' "$1" > "$2"`, "sh", value, path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("netns %s: sysctl %s=%q: %v: %s", ns.name, key, value, err, strings.TrimSpace(string(out)))
	}
}

// Command returns an exec.Cmd that runs name with args inside the namespace
// (`ip netns exec NAME name args...`). ip execs the command in place, so the
// Cmd's process is the command itself (same PID).
func (ns *NS) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	full := append([]string{"netns", "exec", ns.name, name}, args...)
	cmd := exec.CommandContext(ctx, "ip", full...)
	// On cancel, ask politely first; WaitDelay then kills.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// Start starts cmd (usually from Command) and tracks it: the cleanup kills it
// if it is still running when the test ends.
func (ns *NS) Start(t testing.TB, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatalf("netns %s: start %v: %v", ns.name, cmd.Args, err)
	}
	ns.mu.Lock()
	ns.procs = append(ns.procs, cmd)
	ns.mu.Unlock()
}

// Stop sends SIGTERM to a process started with Start and waits up to grace
// for it to exit, then kills it. It returns the Wait error.
func (ns *NS) Stop(cmd *exec.Cmd, grace time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		return err
	case <-time.After(grace):
		_ = cmd.Process.Kill()
		return <-done
	}
}

func (ns *NS) cleanup(t testing.TB) func() {
	return func() {
		ns.mu.Lock()
		procs := ns.procs
		ns.procs = nil
		ns.mu.Unlock()
		// Only processes we started, by PID. Kill is safe on one that has
		// already exited and been reaped (os.Process tracks it by pidfd).
		for _, cmd := range procs {
			if cmd.Process != nil {
				_ = cmd.Process.Kill()
			}
		}
		// Reap them, briefly; a Wait already running elsewhere makes ours return at once.
		for _, cmd := range procs {
			if cmd.Process == nil {
				continue
			}
			done := make(chan struct{})
			go func() { _, _ = cmd.Process.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
			}
		}
		var out []byte
		var err error
		for i := 0; i < 5; i++ {
			if out, err = exec.Command("ip", "netns", "del", ns.name).CombinedOutput(); err == nil {
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Errorf("netns %s: ip netns del: %v: %s", ns.name, err, strings.TrimSpace(string(out)))
	}
}
