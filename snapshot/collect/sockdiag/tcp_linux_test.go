package sockdiag

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tcpRow is one line of the socket table format, split.
type tcpRow struct {
	state, local, remote              string
	recvQ, sendQ, timer, expires, ret uint64
	uid, inode                        uint64
}

func parseTCPRows(t *testing.T, out string) []tcpRow {
	t.Helper()
	if !strings.HasPrefix(out, TCPHeader) {
		t.Fatalf("no header:\n%.300s", out)
	}
	var rows []tcpRow
	for i, line := range strings.Split(strings.TrimSuffix(out[len(TCPHeader):], "\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 10 {
			t.Fatalf("line %d: %d fields: %q", i+2, len(f), line)
		}
		var n [7]uint64
		for j := range n {
			v, err := strconv.ParseUint(f[3+j], 10, 64)
			if err != nil {
				t.Fatalf("line %d: field %d: %v", i+2, 4+j, err)
			}
			n[j] = v
		}
		for _, a := range f[1:3] {
			if _, err := netip.ParseAddrPort(a); err != nil {
				t.Fatalf("line %d: %v", i+2, err)
			}
		}
		rows = append(rows, tcpRow{f[0], f[1], f[2], n[0], n[1], n[2], n[3], n[4], n[5], n[6]})
	}
	return rows
}

func dumpTCP(t *testing.T, limit int64) (string, int, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var buf bytes.Buffer
	n, err := DumpTCP(ctx, &buf, TCPOptions{Limit: limit})
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPROTONOSUPPORT) {
		t.Skipf("NETLINK_SOCK_DIAG not available here: %v", err)
	}
	return buf.String(), n, err
}

func inodeOf(t *testing.T, c syscall.Conn) uint64 {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var st syscall.Stat_t
	rc.Control(func(fd uintptr) { err = syscall.Fstat(int(fd), &st) })
	if err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// TestDumpTCPLive makes a listener, an established connection and a
// TIME_WAIT socket, and finds each in the dump with the values the kernel
// gives them.
func TestDumpTCPLive(t *testing.T) {
	const backlog = 37
	lfd, laddr, linode := listen(t, syscall.AF_INET, netip.MustParseAddr("127.0.0.1"), backlog)
	_, l6, l6inode := listen(t, syscall.AF_INET6, netip.MustParseAddr("::1"), backlog)

	est, err := net.Dial("tcp", laddr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer est.Close()
	afd, _, err := syscall.Accept(lfd)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(afd)
	estLocal := est.LocalAddr().String()

	// The client closes first and keeps the TIME_WAIT end.
	tw, err := net.Dial("tcp", laddr.String())
	if err != nil {
		t.Fatal(err)
	}
	twLocal := tw.LocalAddr().String()
	bfd, _, err := syscall.Accept(lfd)
	if err != nil {
		t.Fatal(err)
	}
	tw.Close()
	buf := make([]byte, 1)
	syscall.Read(bfd, buf) // EOF once the FIN is in
	syscall.Close(bfd)

	var rows []tcpRow
	var out string
	find := func(state, local, remote string) (tcpRow, bool) {
		for _, r := range rows {
			if r.state == state && r.local == local && (remote == "" || r.remote == remote) {
				return r, true
			}
		}
		return tcpRow{}, false
	}
	for i := 0; ; i++ {
		var n int
		out, n, err = dumpTCP(t, 0)
		if err != nil {
			t.Fatalf("DumpTCP: %v", err)
		}
		rows = parseTCPRows(t, out)
		if n != len(rows) {
			t.Fatalf("DumpTCP returned %d, wrote %d rows", n, len(rows))
		}
		if _, ok := find("TIME_WAIT", twLocal, laddr.String()); ok || i == 50 {
			break
		}
		time.Sleep(10 * time.Millisecond) // the last ACK is on its way
	}

	want := min(uint64(backlog), uint64(somaxconn(t)))
	if r, ok := find("LISTEN", laddr.String(), "0.0.0.0:0"); !ok || r.sendQ != want || r.inode != linode {
		t.Errorf("listener %v: %+v (found %v), want send_q %d inode %d", laddr, r, ok, want, linode)
	}
	if r, ok := find("LISTEN", l6.String(), "[::]:0"); !ok || r.inode != l6inode {
		t.Errorf("IPv6 listener %v: %+v (found %v), want inode %d", l6, r, ok, l6inode)
	}
	r, ok := find("ESTABLISHED", estLocal, laddr.String())
	if !ok || r.inode != inodeOf(t, est.(*net.TCPConn)) || r.uid != uint64(syscall.Getuid()) {
		t.Errorf("client end %s: %+v (found %v)", estLocal, r, ok)
	}
	if _, ok := find("ESTABLISHED", laddr.String(), estLocal); !ok {
		t.Errorf("server end of %s missing", estLocal)
	}
	r, ok = find("TIME_WAIT", twLocal, laddr.String())
	if !ok || r.timer != 3 || r.expires == 0 || r.expires > 60000 || r.inode != 0 {
		t.Errorf("TIME_WAIT %s: %+v (found %v), want timer 3, 0 < expires_ms <= 60000, inode 0", twLocal, r, ok)
	}
	// IPv4 rows first; in each family the listeners first.
	v6, other := false, false
	for _, r := range rows {
		is6 := strings.HasPrefix(r.local, "[")
		switch {
		case v6 && !is6:
			t.Errorf("IPv4 row after IPv6 ones: %+v", r)
		case is6 && !v6:
			v6, other = true, false
		}
		if r.state != "LISTEN" {
			other = true
		} else if other {
			t.Errorf("listener after a connection of its family: %+v", r)
		}
	}
	if t.Failed() {
		t.Logf("dump:\n%s", out)
	}
}

// TestDumpTCPLimit cuts the dump at a byte limit: whole lines only, never
// past the limit, and ErrLimit says so.
func TestDumpTCPLimit(t *testing.T) {
	for range 3 {
		listen(t, syscall.AF_INET, netip.MustParseAddr("127.0.0.1"), 1)
	}
	limit := int64(len(TCPHeader) + 60)
	out, n, err := dumpTCP(t, limit)
	if errors.Is(err, ErrLimit) {
		// The callback sees exactly the sockets written.
		calls := 0
		var buf bytes.Buffer
		m, err := DumpTCP(context.Background(), &buf, TCPOptions{Limit: limit, Socket: func(uint8, uint32) { calls++ }})
		if !errors.Is(err, ErrLimit) || calls != m {
			t.Errorf("Socket called %d times for %d sockets (%v)", calls, m, err)
		}
	}
	if !errors.Is(err, ErrLimit) {
		t.Fatalf("err = %v, want ErrLimit", err)
	}
	if int64(len(out)) > limit || !strings.HasSuffix(out, "\n") {
		t.Errorf("wrote %d bytes (limit %d): %q", len(out), limit, out)
	}
	if rows := parseTCPRows(t, out); len(rows) != n || n < 1 {
		t.Errorf("%d rows, returned %d", len(rows), n)
	}
}

func TestDumpTCPContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var buf bytes.Buffer
	if _, err := DumpTCP(ctx, &buf, TCPOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled ctx: err = %v", err)
	}
}

// BenchmarkDumpTCP dumps the table of this test's namespace with 2000
// extra connections (both ends) and reports the cost per socket.
func BenchmarkDumpTCP(b *testing.B) {
	lfd, laddr, _ := listen(b, syscall.AF_INET, netip.MustParseAddr("127.0.0.1"), 4096)
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur < 5000 {
		b.Skipf("RLIMIT_NOFILE %d too low", rl.Cur)
	}
	for range 1000 {
		c, err := net.Dial("tcp", laddr.String())
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		fd, _, err := syscall.Accept(lfd)
		if err != nil {
			b.Fatal(err)
		}
		defer syscall.Close(fd)
	}
	var n int
	for b.Loop() {
		var err error
		if n, err = DumpTCP(context.Background(), discard{}, TCPOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/socket")
}
