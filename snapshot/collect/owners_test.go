package collect

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/netsnap/netsnap/internal/rootfs"
	"github.com/netsnap/netsnap/snapshot"
)

// entryLines returns the lines of an archive entry.
func entryLines(t *testing.T, s *snapshot.Snapshot, name string) []string {
	return strings.Split(strings.TrimSuffix(string(readEntry(t, s, name)), "\n"), "\n")
}

// TestOwnersOfListenersAndSynSent snapshots this machine after opening a
// listener behind more than ownersFirst other fds (so only the walk's
// second pass can find it), and checks that every listening socket of the
// socket table has its owner, this one with this process's pid.
func TestOwnersOfListenersAndSynSent(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to read other processes' fds")
	}
	for range ownersFirst + 10 {
		f, err := os.Open(os.DevNull)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var st syscall.Stat_t
	rc, _ := ln.(*net.TCPListener).SyscallConn()
	var fd uintptr
	rc.Control(func(f uintptr) { fd = f; syscall.Fstat(int(f), &st) })
	if fd < ownersFirst {
		t.Fatalf("listener got fd %d, want one past %d", fd, ownersFirst)
	}

	s, m := collectTo(t, context.Background(), Options{Samples: 1, Only: []string{"tcp", "socket-owners"}})
	tcp := results(m, "tcp", 1)
	if len(tcp) == 0 || tcp[0].Archive != "samples/1/netsnap/tcp.txt" {
		t.Skipf("no NETLINK_SOCK_DIAG socket table here: %+v", tcp)
	}
	owners := map[string]string{}
	for _, l := range entryLines(t, s, socketOwnersArchive)[1:] {
		f := strings.Split(l, "\t")
		if len(f) != 3 {
			t.Fatalf("owners line %q", l)
		}
		owners[f[0]] = f[1]
	}
	mine := strconv.FormatUint(st.Ino, 10)
	if owners[mine] != strconv.Itoa(os.Getpid()) {
		t.Errorf("listener inode %s (fd %d): owner %q, want pid %d", mine, fd, owners[mine], os.Getpid())
	}
	r := results(m, "socket-owners", 0)
	t.Logf("socket-owners: %+v", r)
	if len(r) != 1 || !strings.Contains(r[0].Error, "were not read") {
		return // a full walk (some process's fds could not be read, or a listener's owner is not in the first pass)
	}
	// The walk stopped early: that is only right when every listener and
	// SYN_SENT socket has its owner.
	sc := bufio.NewScanner(strings.NewReader(strings.Join(entryLines(t, s, "samples/1/netsnap/tcp.txt"), "\n")))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) == 10 && (f[0] == "LISTEN" || f[0] == "SYN_SENT") && f[9] != "0" && owners[f[9]] == "" {
			t.Errorf("%s %s: inode %s has no owner in %s", f[0], f[1], f[9], socketOwnersArchive)
		}
	}
}

// TestCountFDsLive compares the count from the fd directory's size (Linux
// 6.2 and later) with a listing, on this process.
func TestCountFDsLive(t *testing.T) {
	c := &collector{root: rootfs.Root{Dir: rootfs.HostRoot}}
	for range 20 {
		f, err := os.Open(os.DevNull)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
	}
	dir := "/proc/" + strconv.Itoa(os.Getpid()) + "/fd"
	got := c.countFDs(dir)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The listing holds one descriptor of its own while it reads.
	if got < 23 || got > len(ents) || got < len(ents)-1 {
		t.Errorf("countFDs = %d, listing shows %d", got, len(ents))
	}
}

// TestProcTap feeds /proc/net/tcp tables in pieces of every size and
// compares the inodes it keeps with a plain reading of the same rows.
func TestProcTap(t *testing.T) {
	files, _ := filepath.Glob("../../../shared/corpus/procfs/proc/net/tcp*")
	files = append(files, "../../testdata/hosts/proxy-modern/proc/net/tcp")
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		want := map[uint32]bool{}
		for _, l := range strings.Split(string(b), "\n") {
			fs := strings.Fields(l)
			if len(fs) >= 10 && (fs[3] == "0A" || fs[3] == "02") {
				if v, err := strconv.ParseUint(fs[9], 10, 32); err == nil && v != 0 {
					want[uint32(v)] = true
				}
			}
		}
		for _, step := range []int{1, 7, 100, 4096, len(b) + 1} {
			tap := &procTap{want: map[uint32]bool{}}
			for i := 0; i < len(b); i += step {
				tap.Write(b[i:min(i+step, len(b))])
			}
			if fmt.Sprint(tap.want) != fmt.Sprint(want) {
				t.Errorf("%s in pieces of %d: %v, want %v", f, step, tap.want, want)
			}
		}
		n += len(want)
	}
	if n == 0 {
		t.Fatal("no listening socket in the tables read: the test proves nothing")
	}
}

// TestTCPFallbackNote: where the kernel lacks inet_diag, the tcp source
// copies /proc/net/tcp and its result says why the dump was not used.
func TestTCPFallbackNote(t *testing.T) {
	_, m := collectTo(t, context.Background(), Options{Samples: 1, Only: []string{"tcp"}, Sockets: SocketsAuto})
	if r := results(m, "tcp", 1); len(r) == 0 || r[0].Archive != "samples/1/netsnap/tcp.txt" {
		t.Skipf("no NETLINK_SOCK_DIAG here: %+v", r)
	}
	c := &collector{root: rootfs.Root{Dir: rootfs.HostRoot}, diagWhy: "tcp_diag not loaded", tcpDiag: map[int]bool{}, m: &snapshot.Manifest{}}
	c.opt.setDefaults()
	c.ctx = context.Background()
	c.arch = newPipe(mustWriter(t), t.TempDir())
	c.spool = newSpool(t.TempDir())
	defer c.spool.Close()
	var tcp *Source
	for _, s := range Sources() {
		if s.Name == "tcp" {
			tcp = s
		}
	}
	rs := tcpTable(c, tcp, 1)
	if len(rs) != 1 || rs[0].Path != "/proc/net/tcp" || rs[0].Error != "NETLINK_SOCK_DIAG not used: tcp_diag not loaded" {
		t.Errorf("results %+v", rs)
	}
	c.opt.Sockets = SocketsNetlink
	rs = tcpTable(c, tcp, 2)
	if len(rs) != 1 || rs[0].Status != snapshot.StatusError {
		t.Errorf("--sockets netlink without inet_diag: %+v, want an error", rs)
	}
}

func mustWriter(t *testing.T) *snapshot.Writer {
	t.Helper()
	w, err := snapshot.NewWriter(io.Discard, snapshot.Gzip, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestProcTableStreamedLive: with --sockets proc on the live host,
// /proc/net/tcp is compressed while it is read; the stored copy starts
// with the kernel's header, and --table-max keeps exactly its head.
func TestProcTableStreamedLive(t *testing.T) {
	// A row of our own, so the table is more than its header on any host.
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Skip(err)
	}
	defer ln.Close()
	head, err := os.ReadFile("/proc/net/tcp")
	if err != nil || len(head) < 100 {
		t.Skip("no /proc/net/tcp")
	}
	hdr := head[:bytes.IndexByte(head, '\n')+1]
	for _, max := range []int64{0, int64(len(hdr)) + 10} {
		s, m := collectTo(t, context.Background(), Options{Samples: 1, Only: []string{"tcp", "tcp6"}, Sockets: SocketsProc, TableMaxBytes: max})
		got := readEntry(t, s, "samples/1/proc/net/tcp")
		r := results(m, "tcp", 1)
		if !bytes.HasPrefix(got, hdr) || len(r) != 1 || r[0].Bytes != int64(len(got)) {
			t.Fatalf("max %d: stored %d bytes %q, result %+v", max, len(got), got[:min(len(got), 200)], r)
		}
		if max > 0 && (int64(len(got)) != max || !r[0].Truncated) {
			t.Errorf("max %d: stored %d bytes, truncated %v", max, len(got), r[0].Truncated)
		}
		if max == 0 && (r[0].Truncated || bytes.Count(got, []byte{'\n'}) < 2) {
			t.Errorf("whole table: %d bytes, truncated %v", len(got), r[0].Truncated)
		}
	}
}
