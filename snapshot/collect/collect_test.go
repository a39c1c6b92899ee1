package collect

import (
	"bytes"
	"context"
	"errors"
	"github.com/netsnap/netsnap/internal/fixture"

	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/netsnap/netsnap/internal/rootfs"
	"github.com/netsnap/netsnap/snapshot"
)

// fixtures is the repository's fixture hosts, relative to this package.
const fixtures = "../../testdata/hosts"

// corpus is the shared third-party corpus beside the repository.
const corpus = "../../../shared/corpus"

// collectTo runs the collector with opt into a file and opens the result.
func collectTo(t *testing.T, ctx context.Context, opt Options) (*snapshot.Snapshot, *snapshot.Manifest) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "snap.tgz")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Run(ctx, opt, f)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	snap, err := snapshot.Open(out, snapshot.ReadOptions{})
	if err != nil {
		t.Fatalf("open the snapshot just written: %v", err)
	}
	t.Cleanup(func() { snap.Close() })
	if snap.Manifest.Hostname != m.Hostname || len(snap.Manifest.Sources) != len(m.Sources) {
		t.Fatalf("manifest in archive differs from the one returned")
	}
	return snap, m
}

// results indexes a manifest's results by name and sample.
func results(m *snapshot.Manifest, name string, sample int) []snapshot.SourceResult {
	var out []snapshot.SourceResult
	for _, r := range m.Sources {
		if r.Name == name && r.Sample == sample {
			out = append(out, r)
		}
	}
	return out
}

func one(t *testing.T, m *snapshot.Manifest, name string, sample int) snapshot.SourceResult {
	t.Helper()
	rs := results(m, name, sample)
	if len(rs) != 1 {
		t.Fatalf("source %s sample %d: %d results, want 1: %+v", name, sample, len(rs), rs)
	}
	return rs[0]
}

func readEntry(t *testing.T, s *snapshot.Snapshot, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(s, name)
	if err != nil {
		t.Fatalf("archive entry %s: %v", name, err)
	}
	return b
}

// checkVerbatim asserts every stored file that is neither truncated nor
// filtered equals the file in the root, byte for byte.
func checkVerbatim(t *testing.T, root string, s *snapshot.Snapshot, m *snapshot.Manifest) {
	t.Helper()
	r := rootfs.Root{Dir: root}
	n := 0
	for _, res := range m.Sources {
		if res.Status != snapshot.StatusOK || res.Truncated || res.Filter != "" || res.Files > 0 || strings.HasPrefix(res.Archive, "netsnap/") || strings.Contains(res.Archive, "/netsnap/") {
			continue
		}
		fp, err := r.Resolve(res.Path)
		if err != nil {
			t.Errorf("%s: %v", res.Path, err)
			continue
		}
		want, err := os.ReadFile(fp)
		if err != nil {
			t.Errorf("%s: %v", res.Path, err)
			continue
		}
		if got := readEntry(t, s, res.Archive); !bytes.Equal(got, want) {
			t.Errorf("%s stored as %s: %d bytes differ from the %d on disk", res.Path, res.Archive, len(got), len(want))
		}
		if res.Bytes != int64(len(want)) {
			t.Errorf("%s: manifest says %d bytes, file has %d", res.Path, res.Bytes, len(want))
		}
		n++
	}
	if n == 0 {
		t.Fatal("no file was checked")
	}
}

func TestCollectProxyModern(t *testing.T) {
	root := filepath.Join(fixtures, "proxy-modern")
	s, m := collectTo(t, context.Background(), Options{Root: root, Samples: 2, Interval: time.Millisecond})
	checkVerbatim(t, root, s, m)

	if m.Hostname != "proxy-modern" || m.KernelRelease != "6.1.0-18-amd64" || m.CPUs != 4 || m.BootID == "" || m.Live || m.Partial {
		t.Errorf("identity = %q %q cpus %d boot %q live %v partial %v", m.Hostname, m.KernelRelease, m.CPUs, m.BootID, m.Live, m.Partial)
	}
	if len(m.Samples) != 2 || m.Samples[1].Dir != "samples/2" {
		t.Fatalf("samples = %+v", m.Samples)
	}
	for _, name := range []string{"tcp", "tcp6", "udp", "udp6", "netstat", "snmp", "sockstat", "sockstat6", "conntrack-stat", "conntrack-count", "slabinfo", "softnet", "file-nr", "uptime"} {
		for i := 1; i <= 2; i++ {
			if r := one(t, m, name, i); r.Status != snapshot.StatusOK || !strings.HasPrefix(r.Archive, "samples/") {
				t.Errorf("%s sample %d: %+v", name, i, r)
			}
		}
	}
	for _, name := range []string{"listeners", "kmsg", "journal-kernel", "socket-owners"} {
		for _, r := range m.Source(name) {
			if r.Status != snapshot.StatusSkipped {
				t.Errorf("live-only %s under --root: status %s, want skipped", name, r.Status)
			}
		}
	}
	if r := one(t, m, "conntrack-table", 0); r.Archive != "proc/net/nf_conntrack" {
		t.Errorf("conntrack-table = %+v", r)
	}
	sysctl := one(t, m, "sysctl-net", 0)
	if sysctl.Files < 15 || sysctl.Status != snapshot.StatusOK {
		t.Errorf("sysctl-net = %+v", sysctl)
	}
	if got := string(readEntry(t, s, "proc/sys/net/ipv4/ip_local_port_range")); got != "32768\t60999\n" {
		t.Errorf("ip_local_port_range = %q", got)
	}
	// /etc/os-release is a relative link to ../usr/lib/os-release: resolved inside the root.
	if !bytes.Contains(readEntry(t, s, "etc/os-release"), []byte("bookworm")) {
		t.Error("etc/os-release not followed through its link")
	}

	if len(m.Nginx) != 1 {
		t.Fatalf("nginx instances = %+v", m.Nginx)
	}
	n := m.Nginx[0]
	if n.PID != 4242 || len(n.Workers) != 2 || n.Conf != "/etc/nginx/nginx.conf" || n.Prefix != "/usr/share/nginx" || n.Exe != "/usr/sbin/nginx" || n.Flavor != "nginx" {
		t.Errorf("nginx = %+v", n)
	}
	if n.Globals != "daemon on; master_process on;" {
		t.Errorf("nginx -g = %q", n.Globals)
	}
	wantConf := []string{"/etc/nginx/nginx.conf", "/etc/nginx/mime.types", "/etc/nginx/conf.d/upstreams.conf", "/etc/nginx/sites-enabled/app"}
	if strings.Join(n.ConfigFiles, " ") != strings.Join(wantConf, " ") {
		t.Errorf("config files = %v, want %v", n.ConfigFiles, wantConf)
	}
	// sites-enabled/app is an absolute link to /etc/nginx/sites-available/app, which must resolve inside the root.
	if !bytes.Contains(readEntry(t, s, "etc/nginx/sites-enabled/app"), []byte("proxy_pass http://app;")) {
		t.Error("sites-enabled/app content not captured through its absolute link")
	}
	if strings.Join(n.ErrorLogs, " ") != "/var/log/nginx/error.log /var/log/nginx/app.error.log" {
		t.Errorf("error logs = %v", n.ErrorLogs)
	}
	for _, p := range []string{"proc/4242/limits", "proc/4243/limits", "proc/4244/status", "var/log/nginx/app.error.log"} {
		readEntry(t, s, p)
	}
	procs := string(readEntry(t, s, processesArchive))
	if !strings.Contains(procs, "4242\t1\t") || !strings.Contains(procs, "nginx: master process /usr/sbin/nginx") {
		t.Errorf("processes.txt lacks the nginx master:\n%s", procs)
	}
	if strings.Contains(procs, "password") {
		t.Error("processes.txt records a non-nginx command line (it may hold secrets)")
	}
	if !strings.Contains(procs, "777\t1\t") || !strings.Contains(procs, "java (app) x") {
		t.Errorf("processes.txt mangles a comm with spaces and parentheses:\n%s", procs)
	}
	if m.Sources[len(m.Sources)-1].Sample != 2 {
		t.Error("the last source captured should belong to the last sample")
	}
}

func TestCollectOldKernelNames(t *testing.T) {
	root := filepath.Join(fixtures, "centos6-ipconntrack")
	s, m := collectTo(t, context.Background(), Options{Root: root, Samples: 1})
	checkVerbatim(t, root, s, m)
	if r := one(t, m, "conntrack-count", 1); r.Path != "/proc/sys/net/ipv4/netfilter/ip_conntrack_count" || r.Archive != "samples/1/proc/sys/net/ipv4/netfilter/ip_conntrack_count" {
		t.Errorf("conntrack-count = %+v", r)
	}
	if r := one(t, m, "conntrack-stat", 1); r.Path != "/proc/net/stat/ip_conntrack" || r.Status != snapshot.StatusOK {
		t.Errorf("conntrack-stat = %+v", r)
	}
	if r := one(t, m, "conntrack-table", 0); r.Path != "/proc/net/ip_conntrack" {
		t.Errorf("conntrack-table = %+v", r)
	}
	if r := one(t, m, "tcp6", 1); r.Status != snapshot.StatusMissing {
		t.Errorf("tcp6 on a host without IPv6 = %+v, want missing", r)
	}
	if got := string(readEntry(t, s, "proc/sys/net/ipv4/tcp_tw_recycle")); got != "1\n" {
		t.Errorf("tcp_tw_recycle = %q", got)
	}
	readEntry(t, s, "etc/rc.local")
	var msgs snapshot.SourceResult
	for _, r := range m.Source("syslog-kernel") {
		if r.Path == "/var/log/messages" {
			msgs = r
		}
	}
	if msgs.Archive != "var/log/messages.kernel" || msgs.Filter != "kernel lines" {
		t.Fatalf("messages = %+v", msgs)
	}
	got := string(readEntry(t, s, "var/log/messages.kernel"))
	if strings.Count(got, "\n") != 2 || strings.Contains(got, "sshd") || !strings.Contains(got, "ip_conntrack: table full") {
		t.Errorf("kernel lines of messages = %q", got)
	}
	if len(m.Nginx) != 1 {
		t.Fatalf("nginx = %+v", m.Nginx)
	}
	n := m.Nginx[0]
	if n.PID != 0 || n.Conf != "/usr/local/nginx/conf/nginx.conf" || len(n.ConfigFiles) != 2 || len(n.ErrorLogs) != 1 {
		t.Errorf("nginx at default path = %+v", n)
	}
	if len(n.Problems) != 1 || !strings.Contains(n.Problems[0], "missing.conf") || !strings.Contains(n.Problems[0], "nginx.conf:5") {
		t.Errorf("nginx problems = %q, want the missing include with file:line", n.Problems)
	}
}

func TestCollectCorpusProcfs(t *testing.T) {
	root := filepath.Join(corpus, "procfs")
	if _, err := os.Stat(root); err != nil {
		t.Skipf("shared corpus not beside the repository: %v", err)
	}
	s, m := collectTo(t, context.Background(), Options{Root: root, Samples: 1})
	checkVerbatim(t, root, s, m)
	for _, name := range []string{"tcp", "tcp6", "udp", "udp6", "sockstat", "sockstat6", "softnet", "slabinfo"} {
		if r := one(t, m, name, 1); r.Status != snapshot.StatusOK || r.Bytes == 0 {
			t.Errorf("%s = %+v", name, r)
		}
	}
	if r := one(t, m, "conntrack-count", 1); r.Status != snapshot.StatusMissing {
		t.Errorf("conntrack-count = %+v, want missing", r)
	}
}

// TestCollectCorpusHotsos collects real sosreport captures: their /proc/net
// lives under proc/PID/net, so each host is rebuilt as a tree laid out like /.
func TestCollectCorpusHotsos(t *testing.T) {
	base := filepath.Join(corpus, "procfs-hotsos/tests/unit/fake_data_root")
	hosts, err := os.ReadDir(base)
	if err != nil {
		t.Skipf("shared corpus not beside the repository: %v", err)
	}
	checked := 0
	for _, h := range hosts {
		procDir := filepath.Join(base, h.Name(), "proc")
		pids, _ := filepath.Glob(filepath.Join(procDir, "[0-9]*", "net"))
		if len(pids) != 1 {
			continue
		}
		t.Run(h.Name(), func(t *testing.T) {
			root := t.TempDir()
			fixture.CopyTree(t, pids[0], filepath.Join(root, "proc/net"))
			fixture.CopyTree(t, filepath.Join(procDir, "sys"), filepath.Join(root, "proc/sys"))
			if b, err := os.ReadFile(filepath.Join(procDir, "slabinfo")); err == nil {
				os.WriteFile(filepath.Join(root, "proc/slabinfo"), b, 0o644)
			}
			s, m := collectTo(t, context.Background(), Options{Root: root, Samples: 1})
			checkVerbatim(t, root, s, m)
			for _, name := range []string{"tcp", "netstat", "snmp", "sockstat"} {
				if r := one(t, m, name, 1); r.Status != snapshot.StatusOK || r.Bytes == 0 {
					t.Errorf("%s = %+v", name, r)
				}
			}
			if r := one(t, m, "sysctl-net", 0); r.Files < 400 {
				t.Errorf("sysctl-net stored %d files, want the whole tree (400+)", r.Files)
			}
		})
		checked++
	}
	if checked == 0 {
		t.Fatal("no hotsos host found")
	}
}

// mkroot builds a small tree laid out like / from path -> content.
func mkroot(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		fp := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(fp), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(fp, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestLogTailKeepsWholeLastLines(t *testing.T) {
	var b strings.Builder
	for i := 0; b.Len() < 3<<20; i++ {
		b.WriteString("Nov 20 10:00:00 host kernel: line ")
		b.WriteString(strings.Repeat("x", i%50))
		b.WriteString("\n")
	}
	b.WriteString("Nov 20 10:00:01 host kernel: the last line\n")
	log := b.String()
	root := mkroot(t, map[string]string{"var/log/kern.log": log})
	s, m := collectTo(t, context.Background(), Options{Root: root, Samples: 1, LogMaxBytes: 1 << 20, Only: []string{"kern-log"}})
	r := one(t, m, "kern-log", 0)
	got := readEntry(t, s, "var/log/kern.log")
	if !r.Truncated || int64(len(got)) != r.Bytes || len(got) > 1<<20 || len(got) < 1<<20-200 {
		t.Fatalf("tail: truncated %v, %d bytes stored (manifest %d)", r.Truncated, len(got), r.Bytes)
	}
	if !strings.HasPrefix(string(got), "Nov 20 10:00:00 host kernel: line") || !strings.HasSuffix(log, string(got)) {
		t.Errorf("the tail does not start at a line start or is not the end of the file: %q...", got[:60])
	}
}

func TestTableCapKeepsHead(t *testing.T) {
	table := "  sl  local_address\n" + strings.Repeat("   0: 0100007F:0050 00000000:0000 0A\n", 1000)
	root := mkroot(t, map[string]string{"proc/net/tcp": table})
	s, m := collectTo(t, context.Background(), Options{Root: root, Samples: 1, TableMaxBytes: 4096, Only: []string{"tcp"}})
	r := one(t, m, "tcp", 1)
	got := readEntry(t, s, "samples/1/proc/net/tcp")
	if !r.Truncated || len(got) != 4096 || !strings.HasPrefix(table, string(got)) {
		t.Errorf("head: truncated %v, %d bytes", r.Truncated, len(got))
	}
}

func TestSpillsLargeSourcesAndLeavesNothing(t *testing.T) {
	row := "   0: 0100007F:0050 0200007F:C350 06 00000000:00000000 03:00000F3C 00000000     0        0 0 3 0000000000000000\n"
	big := "  sl  local_address rem_address   st\n" + strings.Repeat(row, 40000) // ~4.6 MB: past the in-memory spool
	root := mkroot(t, map[string]string{"proc/net/tcp": big, "proc/sys/net/core/somaxconn": "4096\n"})
	before := treeDigest(t, root)
	spoolDir := t.TempDir()
	s, m := collectTo(t, context.Background(), Options{Root: root, Samples: 2, TempDir: spoolDir})
	if got := readEntry(t, s, "samples/2/proc/net/tcp"); string(got) != big {
		t.Errorf("spilled table differs: %d bytes, want %d", len(got), len(big))
	}
	if one(t, m, "tcp", 1).Bytes != int64(len(big)) {
		t.Error("manifest size of the spilled table is wrong")
	}
	if ents, _ := os.ReadDir(spoolDir); len(ents) != 0 {
		t.Errorf("spool directory not empty after the run: %v", ents)
	}
	if after := treeDigest(t, root); after != before {
		t.Errorf("the collector changed the tree it read:\n%s\nvs\n%s", before, after)
	}
}

// treeDigest lists every path with its size and modification time.
func treeDigest(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		b.WriteString(p + " " + fi.Mode().String() + " " + fi.ModTime().String() + " " + string(rune('0'+fi.Size()%10)) + "\n")
		return nil
	})
	return b.String()
}

func TestWriteOnlySysctlsAreNotRead(t *testing.T) {
	root := mkroot(t, map[string]string{"proc/sys/net/core/somaxconn": "128\n", "proc/sys/net/ipv4/route/flush": ""})
	if err := os.Chmod(filepath.Join(root, "proc/sys/net/ipv4/route/flush"), 0o200); err != nil {
		t.Fatal(err)
	}
	_, m := collectTo(t, context.Background(), Options{Root: root, Samples: 1, Only: []string{"sysctl-net"}})
	r := one(t, m, "sysctl-net", 0)
	if r.Files != 1 || len(r.FileErrors) != 0 {
		t.Errorf("sysctl-net = %+v, want somaxconn only and no errors", r)
	}
}

func TestBlockingSourceIsCutOff(t *testing.T) {
	root := mkroot(t, map[string]string{"proc/net/udp": "  sl  local_address\n"})
	fifo := filepath.Join(root, "proc/net/tcp")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	// Hold a writer open that never writes, so a read blocks.
	w, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	t0 := time.Now()
	s, m := collectTo(t, context.Background(), Options{Root: root, Samples: 1, SourceTimeout: 200 * time.Millisecond, Only: []string{"tcp", "udp"}})
	if took := time.Since(t0); took > 10*time.Second {
		t.Errorf("a blocking source held the capture for %s", took)
	}
	if r := one(t, m, "tcp", 1); r.Status != snapshot.StatusTimeout {
		t.Errorf("tcp from a FIFO = %+v, want timeout", r)
	}
	if r := one(t, m, "udp", 1); r.Status != snapshot.StatusOK {
		t.Errorf("the source after the blocked one = %+v", r)
	}
	readEntry(t, s, "samples/1/proc/net/udp")
}

func TestDeadlineFinishesPartialArchive(t *testing.T) {
	root := filepath.Join(fixtures, "proxy-modern")
	_, m := collectTo(t, context.Background(), Options{Root: root, Samples: 10, Interval: 400 * time.Millisecond, Timeout: time.Second})
	if !m.Partial || !strings.Contains(m.PartialReason, "timeout") {
		t.Errorf("partial %v reason %q", m.Partial, m.PartialReason)
	}
	if len(m.Samples) < 2 || len(m.Samples) > 4 {
		t.Errorf("%d samples in 1s at 400ms", len(m.Samples))
	}
}

func TestCancelFinishesPartialArchive(t *testing.T) {
	root := filepath.Join(fixtures, "proxy-modern")
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(300*time.Millisecond, func() { cancel(errors.New("signal terminated")) })
	_, m := collectTo(t, ctx, Options{Root: root, Samples: 5, Interval: time.Second})
	if !m.Partial || m.PartialReason != "interrupted: signal terminated" || len(m.Samples) != 1 {
		t.Errorf("partial %v reason %q samples %d", m.Partial, m.PartialReason, len(m.Samples))
	}
	// The sources captured once after the first sample are in.
	if len(m.Source("sysctl-net")) != 1 {
		t.Error("sysctl-net missing from an interrupted capture")
	}
}

type failWriter struct{ after int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.after -= len(p); f.after < 0 {
		return 0, syscall.ENOSPC
	}
	return len(p), nil
}

func TestRunFailsWhenArchiveCannotBeWritten(t *testing.T) {
	row := "   0: 0100007F:0050 0200007F:C350 06 00000000:00000000 03:00000F3C 00000000     0        0 0 3 0000000000000000\n"
	root := mkroot(t, map[string]string{"proc/net/tcp": strings.Repeat(row, 20000)})
	_, err := Run(context.Background(), Options{Root: root, Samples: 1}, &failWriter{after: 1000})
	if !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("Run into a full disk = %v, want ENOSPC", err)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		opt  Options
		want string
	}{
		{Options{Samples: 0, Timeout: time.Second, Compression: "gzip"}, "--samples 0"},
		{Options{Samples: 1, Timeout: time.Second, Compression: "lz4"}, `--compress "lz4"`},
		{Options{Samples: 1, Timeout: 0, Compression: "gzip"}, "--timeout"},
		{Options{Samples: 1, Timeout: time.Second, Compression: "gzip", Only: []string{"tcpp"}}, `unknown source "tcpp"`},
		{Options{Samples: 1, Timeout: time.Second, Compression: "gzip", Root: "/nonexistent/root"}, "--root /nonexistent/root"},
		{Options{Samples: 1, Timeout: time.Second, Compression: "gzip"}, ""},
	} {
		err := tc.opt.Validate()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("Validate(%+v) = %v, want %q", tc.opt, err, tc.want)
		}
	}
}

func TestLowerPriority(t *testing.T) {
	if err := LowerPriority(); err != nil {
		t.Fatal(err)
	}
	tids, _ := os.ReadDir("/proc/self/task")
	for _, tid := range tids {
		stat, err := os.ReadFile("/proc/self/task/" + tid.Name() + "/stat")
		if err != nil {
			continue
		}
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+2:]))
		// Field 19 (nice) is the 17th after the comm.
		if f[16] != "19" {
			t.Errorf("thread %s nice = %s, want 19", tid.Name(), f[16])
		}
	}
	prio, _, e := syscall.Syscall(syscall.SYS_IOPRIO_GET, ioprioWhoProc, 0, 0)
	if e != 0 || prio != IOPrio {
		t.Errorf("ioprio = %#x (%v), want %#x", prio, e, IOPrio)
	}
}

func TestArchiveIsReadableWhileLarge(t *testing.T) {
	// A sanity check of the spool reuse: two large sources back to back keep their own bytes.
	a := strings.Repeat("a", 2<<20)
	b := strings.Repeat("b", 3<<20)
	root := mkroot(t, map[string]string{"proc/net/tcp": a, "proc/net/tcp6": b})
	s, _ := collectTo(t, context.Background(), Options{Root: root, Samples: 1, Only: []string{"tcp", "tcp6"}})
	if got := readEntry(t, s, "samples/1/proc/net/tcp"); string(got) != a {
		t.Error("tcp corrupted")
	}
	if got := readEntry(t, s, "samples/1/proc/net/tcp6"); string(got) != b {
		t.Error("tcp6 corrupted")
	}
}
