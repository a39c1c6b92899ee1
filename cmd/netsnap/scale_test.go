package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/netsnap/netsnap/internal/fixture"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/netsnap/netsnap/internal/netns"
	"github.com/netsnap/netsnap/snapshot"
)

// TestMemoryFlatAcrossTableSizes checks the collector's promise to keep memory
// flat however large the socket tables are: it fills the TCP table of a fresh
// network namespace with ~1,000 and then ~110,000 sockets (lab/sockgen), runs
// `netsnap --samples 1` inside each and compares the peak RSS.
//
// It needs root (network namespaces) and takes about a minute; it is skipped
// under -short unless NETSNAP_SCALE=1. NETSNAP_BIN=/path/to/netsnap measures
// that binary instead of building this package.
//
// Peak RSS is read through bench/rusage, not from this process's
// ProcessState: os/exec starts children with vfork, and the kernel then
// counts the parent's (this test binary's) peak RSS into the child's
// ru_maxrss, so the direct figure would be a floor of this process's size.
func TestMemoryFlatAcrossTableSizes(t *testing.T) {
	if testing.Short() && os.Getenv("NETSNAP_SCALE") != "1" {
		t.Skip("scale test: skipped under -short (set NETSNAP_SCALE=1 to run it)")
	}
	if os.Geteuid() != 0 {
		t.Skip("network namespaces unavailable: not running as root")
	}
	bins := buildScaleTools(t)

	sizes := []struct {
		name        string
		established int // ESTABLISHED rows (both ends)
		timewait    int
	}{
		{"small", 600, 400},
		{"large", 40000, 70000},
	}
	rss := map[string]int64{}
	for _, sz := range sizes {
		t.Run(sz.name, func(t *testing.T) {
			rss[sz.name] = measureNetsnap(t, bins, sz.established, sz.timewait)
		})
	}
	small, okS := rss["small"]
	large, okL := rss["large"]
	if !okS || !okL || small == 0 || large == 0 {
		t.Fatal("a size was not measured; see the subtests")
	}
	const mib = 1024
	t.Logf("netsnap peak RSS: small %.1f MiB, large %.1f MiB (+%.1f MiB)",
		float64(small)/mib, float64(large)/mib, float64(large-small)/mib)
	if large > small+24*mib {
		t.Errorf("peak RSS grows with the table: %d KiB at ~1k sockets, %d KiB at ~110k (limit +24 MiB)", small, large)
	}
	if large > 64*mib {
		t.Errorf("peak RSS at ~110k sockets is %d KiB, over 64 MiB", large)
	}
}

type scaleTools struct{ netsnap, sockgen, rusage string }

func buildScaleTools(t *testing.T) scaleTools {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("scale test: go toolchain not found in PATH")
	}
	dir := t.TempDir()
	b := scaleTools{
		netsnap: filepath.Join(dir, "netsnap"),
		sockgen: filepath.Join(dir, "sockgen"),
		rusage:  filepath.Join(dir, "rusage"),
	}
	build := func(out, pkg string) {
		cmd := exec.Command(goBin, "build", "-o", out, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if o, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, o)
		}
	}
	if p := os.Getenv("NETSNAP_BIN"); p != "" {
		b.netsnap = p
		t.Logf("measuring NETSNAP_BIN=%s", p)
	} else {
		build(b.netsnap, ".")
	}
	build(b.sockgen, "github.com/netsnap/netsnap/lab/sockgen")
	build(b.rusage, "github.com/netsnap/netsnap/bench/rusage")
	return b
}

// measureNetsnap fills a fresh namespace and returns netsnap's peak RSS in KiB.
func measureNetsnap(t *testing.T, bins scaleTools, established, timewait int) int64 {
	ns := netns.New(t, "nsscale")
	ns.Sysctl(t, "net.ipv4.ip_local_port_range", "1024 65535")
	ns.Sysctl(t, "net.ipv4.tcp_max_tw_buckets", strconv.Itoa(max(262144, 2*timewait)))
	ns.Sysctl(t, "net.ipv4.tcp_rfc1337", "1")

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	sg := ns.Command(ctx, bins.sockgen, "-established", strconv.Itoa(established),
		"-timewait", strconv.Itoa(timewait), "-addrs", "8", "-hold", "5m")
	var sgErr fixture.LockedBuffer
	sg.Stderr = &sgErr
	stdout, err := sg.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ns.Start(t, sg)
	defer func() {
		if err := ns.Stop(sg, 10*time.Second); err != nil {
			t.Logf("sockgen exit: %v", err)
		}
	}()
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "ready ") {
				ready <- sc.Text()
			}
		}
		close(ready)
	}()
	var line string
	select {
	case l, ok := <-ready:
		if !ok {
			t.Fatalf("sockgen exited before ready:\n%s", sgErr.String())
		}
		line = l
	case <-time.After(90 * time.Second):
		t.Fatalf("sockgen not ready after 90s:\n%s", sgErr.String())
	}
	t.Logf("sockgen: %s (%v)", line, time.Since(start).Round(time.Millisecond))

	// What a reader of /proc/net/tcp sees. The walk of the hash table shared by
	// all namespaces may skip a few rows while others change it: allow 1%.
	out, err := ns.Command(ctx, "wc", "-l", "/proc/net/tcp").Output()
	if err != nil {
		t.Fatalf("wc -l /proc/net/tcp in %s: %v", ns.Name(), err)
	}
	f := strings.Fields(string(out))
	if len(f) == 0 {
		t.Fatalf("wc -l printed %q", out)
	}
	lines, err := strconv.Atoi(f[0])
	if err != nil {
		t.Fatalf("wc -l printed %q", out)
	}
	rows, want := lines-1, established+timewait
	if rows < want-want/100 {
		t.Fatalf("/proc/net/tcp in %s has %d rows, want at least %d", ns.Name(), rows, want)
	}

	archive := filepath.Join(t.TempDir(), "x.tgz")
	res := filepath.Join(t.TempDir(), "rusage.txt")
	run := ns.Command(ctx, bins.rusage, "-o", res, "-floor", "--",
		bins.netsnap, "--samples", "1", "-q", "-o", archive)
	if o, err := run.CombinedOutput(); err != nil {
		t.Fatalf("netsnap in %s: %v\n%s", ns.Name(), err, o)
	}
	r, err := readRusage(res)
	if err != nil {
		t.Fatal(err)
	}
	naive := run.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
	t.Logf("%d rows in /proc/net/tcp: netsnap wall %.0f ms, cpu %.0f ms, peak RSS %d KiB (wrapper floor %d KiB; "+
		"ProcessState.Maxrss seen from the test, which has the test binary's own peak RSS as a floor: %d KiB)",
		rows, r["wall_s"]*1000, r["cpu_s"]*1000, int64(r["maxrss_kib"]), int64(r["floor_kib"]), naive)

	checkArchive(t, archive, rows)
	checkOwners(t, archive, established, "samples/1/netsnap/tcp.txt")

	// The same with /proc/net/tcp copied verbatim: the walk of fds learns
	// what it looks for from that table instead.
	procArchive := filepath.Join(t.TempDir(), "proc.tgz")
	if o, err := ns.Command(ctx, bins.netsnap, "--sockets", "proc", "--samples", "1", "-q", "-o", procArchive).CombinedOutput(); err != nil {
		t.Fatalf("netsnap --sockets proc in %s: %v\n%s", ns.Name(), err, o)
	}
	checkOwners(t, procArchive, established, "samples/1/proc/net/tcp")
	return int64(r["maxrss_kib"])
}

func readRusage(path string) (map[string]float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := map[string]float64{}
	for _, kv := range strings.Fields(string(b)) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if m[k], err = strconv.ParseFloat(v, 64); err != nil {
			return nil, fmt.Errorf("%s: %q: %v", path, kv, err)
		}
	}
	if m["maxrss_kib"] <= 0 {
		return nil, fmt.Errorf("%s: no maxrss in %q", path, b)
	}
	return m, nil
}

// checkArchive asserts the archive is a non-empty gzip tar holding
// samples/1/proc/net/tcp, and logs how many of the table's rows it holds.
func checkArchive(t *testing.T, path string, procRows int) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("archive: %v", err)
	}
	if st.Size() == 0 {
		t.Fatal("archive is empty")
	}
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	zr, err := gzip.NewReader(fh)
	if err != nil {
		t.Fatalf("archive: %v", err)
	}
	tr := tar.NewReader(zr)
	var entries, tcpRows int
	var tcpBytes int64
	found := ""
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("archive: after %d entries: %v", entries, err)
		}
		entries++
		// The socket table: netsnap's NETLINK_SOCK_DIAG dump where the
		// kernel has inet_diag (one "#" header line), else /proc/net/tcp
		// (one column header line).
		if h.Name != "samples/1/netsnap/tcp.txt" && h.Name != "samples/1/proc/net/tcp" {
			continue
		}
		found = h.Name
		buf := make([]byte, 64<<10)
		for {
			n, err := tr.Read(buf)
			tcpBytes += int64(n)
			tcpRows += bytes.Count(buf[:n], []byte{'\n'})
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("archive: %s: %v", h.Name, err)
			}
		}
		tcpRows-- // the header
	}
	if found == "" {
		t.Fatalf("archive %s (%d bytes, %d entries) has no socket table", path, st.Size(), entries)
	}
	// The namespace's sockets are all IPv4 (127.x), so both tables hold
	// them all; allow the 1% a table walk may miss while others change it.
	if tcpRows < procRows-procRows/100 {
		t.Errorf("archive: %s has %d rows, /proc/net/tcp showed %d", found, tcpRows, procRows)
	}
	t.Logf("archive: %d bytes, %d entries; %s %d bytes, %d rows (the namespace's /proc/net/tcp showed %d)",
		st.Size(), entries, found, tcpBytes, tcpRows, procRows)
}

// checkOwners asserts what the walk of /proc/*/fd promises on a table of
// this shape: every listener in the socket table has its owner, and since
// sockgen opens its listeners before its thousands of connections, the
// walk stopped after its first pass instead of reading every fd.
func checkOwners(t *testing.T, path string, established int, table string) {
	t.Helper()
	s := openSnap(t, path)
	tcp, err := fs.ReadFile(s, table)
	if err != nil {
		t.Logf("no %s (%v): owners not checked", table, err)
		return
	}
	own, err := fs.ReadFile(s, "netsnap/socket-owners.txt")
	if err != nil {
		t.Fatal(err)
	}
	owned := map[string]bool{}
	for _, l := range strings.Split(string(own), "\n") {
		if f := strings.Split(l, "\t"); len(f) == 3 {
			owned[f[0]] = true
		}
	}
	listeners := 0
	for _, l := range strings.Split(string(tcp), "\n") {
		var state, local, inode string
		if f := strings.Split(l, "\t"); len(f) == 10 { // netsnap's table
			state, local, inode = f[0], f[1], f[9]
		} else if f := strings.Fields(l); len(f) >= 10 && f[3] == "0A" { // /proc/net/tcp
			state, local, inode = "LISTEN", f[1], f[9]
		}
		if state == "LISTEN" {
			listeners++
			if !owned[inode] {
				t.Errorf("listener %s (inode %s) has no owner", local, inode)
			}
		}
	}
	var r snapshot.SourceResult
	for _, x := range s.Manifest.Sources {
		if x.Name == "socket-owners" {
			r = x
		}
	}
	t.Logf("%d listeners; socket-owners: %d sockets in %.0f ms: %s", listeners, r.Items, r.DurationMS, r.Error)
	if listeners == 0 {
		t.Error("no listener in the socket table")
	}
	if established >= 10000 && (!strings.Contains(r.Error, "were not read") || r.Items >= established/2) {
		t.Errorf("the walk read %d sockets' fds (of %d ESTABLISHED): its second pass was not skipped (%q)", r.Items, established, r.Error)
	}
}
