package netns

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestNamespaceLifecycle(t *testing.T) {
	var name string
	t.Run("use", func(t *testing.T) {
		ns := New(t, "nstest")
		name = ns.Name()
		ns.Sysctl(t, "net.ipv4.tcp_max_tw_buckets", "12345")
		out, err := ns.Command(context.Background(), "cat", "/proc/sys/net/ipv4/tcp_max_tw_buckets").Output()
		if err != nil || strings.TrimSpace(string(out)) != "12345" {
			t.Fatalf("sysctl inside the namespace: %q, %v", out, err)
		}
		// The main namespace is untouched.
		if host, err := exec.Command("cat", "/proc/sys/net/ipv4/tcp_max_tw_buckets").Output(); err == nil && strings.TrimSpace(string(host)) == "12345" {
			t.Fatalf("tcp_max_tw_buckets changed outside the namespace")
		}
		out, err = ns.Command(context.Background(), "ip", "-o", "link", "show", "lo").Output()
		if err != nil || !strings.Contains(string(out), "UP") {
			t.Fatalf("lo not up: %q, %v", out, err)
		}
		// A process left running is killed by the cleanup.
		ns.Start(t, ns.Command(context.Background(), "sleep", "600"))
	})
	if name == "" {
		return // skipped
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, _ := exec.Command("ip", "netns", "list").Output()
		if !strings.Contains(string(out), name) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("namespace %s still listed after cleanup", name)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestSysctlRefusesGlobalKeys(t *testing.T) {
	ft := &fatalRecorder{TB: t}
	ns := &NS{name: "unused"}
	func() {
		defer func() { _ = recover() }()
		ns.Sysctl(ft, "vm.swappiness", "1")
	}()
	if !ft.failed {
		t.Fatal("Sysctl accepted a global key")
	}
}

type fatalRecorder struct {
	testing.TB
	failed bool
}

func (f *fatalRecorder) Helper() {}
func (f *fatalRecorder) Fatalf(string, ...any) {
	f.failed = true
	panic("fatal")
}
