package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/netsnap/netsnap/internal/netns"
	"github.com/netsnap/netsnap/snapshot"
)

// TestManyNamespaces: a node with many pods. netsnap captures every
// namespace (each named, its tables read in every sample, its settings
// read by joining it) well inside its deadline, and --netns-max caps the
// work and lists the rest as skipped. 60 namespaces here (CI); by hand,
// 200 took 4.7 s for 3 samples 2 s apart (the README's figures).
func TestManyNamespaces(t *testing.T) {
	if testing.Short() && os.Getenv("NETSNAP_SCALE") != "1" {
		t.Skip("scale test: skipped under -short (set NETSNAP_SCALE=1 to run it)")
	}
	if os.Geteuid() != 0 {
		t.Skip("network namespaces unavailable: not running as root")
	}
	const n = 60
	var pids []string
	for i := 0; i < n; i++ {
		ns := netns.New(t, "nsmany")
		cmd := ns.Command(context.Background(), "sleep", "120")
		ns.Start(t, cmd)
		pids = append(pids, strconv.Itoa(cmd.Process.Pid))
	}
	time.Sleep(200 * time.Millisecond) // ip netns exec has become sleep in each
	bin := netsnapBinary(t)
	run := func(args ...string) *snapshot.Manifest {
		t.Helper()
		out := filepath.Join(t.TempDir(), "many.tgz")
		start := time.Now()
		full := append([]string{"--samples", "2", "--interval", "1s", "--timeout", "30s", "-q", "-o", out}, args...)
		if o, err := exec.Command(bin, full...).CombinedOutput(); err != nil {
			t.Fatalf("netsnap %v: %v\n%s", args, err, o)
		}
		t.Logf("netsnap --netns (%d PIDs) %v: %v", len(pids), args[2:], time.Since(start).Round(time.Millisecond))
		s, err := snapshot.Open(out, snapshot.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		return s.Manifest
	}
	// Only this test's namespaces: the machine may have others.
	m := run("--netns", strings.Join(pids, ","))
	if m.Partial || len(m.NetNS) != n {
		t.Fatalf("partial %v (%s), %d namespaces, want %d", m.Partial, m.PartialReason, len(m.NetNS), n)
	}
	ok, sysctls := 0, 0
	for _, r := range m.Sources {
		switch {
		case r.Name == "netns" && r.Status == snapshot.StatusOK && r.Files >= 6:
			ok++
		case r.Name == "netns-sysctl" && r.Status == snapshot.StatusOK && r.Files >= 15:
			sysctls++
		}
	}
	if ok != 2*n || sysctls != n {
		t.Errorf("%d of %d table reads and %d of %d settings reads succeeded", ok, 2*n, sysctls, n)
	}
	for _, ns := range m.NetNS {
		if ns.Kind != "netns" || !strings.HasPrefix(ns.Name, "nsmany") || ns.Skipped != "" {
			t.Errorf("namespace %+v", ns)
			break
		}
	}
	// The cap: the first 10 (lowest PIDs), the other 50 listed as skipped.
	m = run("--netns", strings.Join(pids, ","), "--netns-max", "10")
	captured, skipped := 0, 0
	for _, ns := range m.NetNS {
		if ns.Skipped == "" {
			captured++
		} else {
			skipped++
		}
	}
	b, _ := json.Marshal(m.Warnings)
	if captured != 10 || skipped != n-10 || !strings.Contains(string(b), "only the first 10") {
		t.Errorf("--netns-max 10: %d captured, %d skipped, warnings %s", captured, skipped, b)
	}
}
