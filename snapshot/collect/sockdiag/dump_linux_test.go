package sockdiag

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// listen opens a TCP listener with the given backlog through raw syscalls
// (net.Listen picks its own backlog) and returns its fd, address and inode.
func listen(t testing.TB, family int, addr netip.Addr, backlog int) (int, netip.AddrPort, uint64) {
	t.Helper()
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	var sa syscall.Sockaddr
	if addr.Is4() {
		sa = &syscall.SockaddrInet4{Addr: addr.As4()}
	} else {
		sa = &syscall.SockaddrInet6{Addr: addr.As16()}
	}
	if err := syscall.Bind(fd, sa); err != nil {
		t.Skipf("bind %v: %v", addr, err)
	}
	if err := syscall.Listen(fd, backlog); err != nil {
		t.Fatalf("listen: %v", err)
	}
	got, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatalf("getsockname: %v", err)
	}
	var port int
	switch a := got.(type) {
	case *syscall.SockaddrInet4:
		port = a.Port
	case *syscall.SockaddrInet6:
		port = a.Port
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		t.Fatalf("fstat: %v", err)
	}
	return fd, netip.AddrPortFrom(addr, uint16(port)), st.Ino
}

// dump runs DumpListeners, skipping the test when the kernel or the sandbox
// refuses NETLINK_SOCK_DIAG.
func dump(t testing.TB) (string, []Listener) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var buf bytes.Buffer
	n, err := DumpListeners(ctx, &buf)
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPROTONOSUPPORT) {
		t.Skipf("NETLINK_SOCK_DIAG not available here: %v", err)
	}
	if err != nil {
		t.Fatalf("DumpListeners: %v (after %d sockets)", err, n)
	}
	ls, errs := Parse(bytes.NewReader(buf.Bytes()))
	if len(errs) != 0 {
		t.Fatalf("Parse of our own output: %v\n%s", errs, buf.String())
	}
	if len(ls) != n {
		t.Fatalf("DumpListeners returned %d, wrote %d lines", n, len(ls))
	}
	if !strings.HasPrefix(buf.String(), Header) {
		t.Fatalf("output does not start with the header:\n%s", buf.String())
	}
	return buf.String(), ls
}

func somaxconn(t testing.TB) uint32 {
	b, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err != nil {
		t.Fatalf("somaxconn: %v", err)
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32)
	if err != nil {
		t.Fatalf("somaxconn: %v", err)
	}
	return uint32(v)
}

func find(ls []Listener, a netip.AddrPort) (Listener, bool) {
	for _, l := range ls {
		if l.Addr == a {
			return l, true
		}
	}
	return Listener{}, false
}

func TestDumpListenersLive(t *testing.T) {
	const backlog = 37
	want := min(uint32(backlog), somaxconn(t))
	_, a4, ino4 := listen(t, syscall.AF_INET, netip.MustParseAddr("127.0.0.1"), backlog)
	// The queue listener never accepts: 3 connections stay in its accept queue.
	_, aq, _ := listen(t, syscall.AF_INET, netip.MustParseAddr("127.0.0.1"), backlog)
	for range 3 {
		c, err := net.Dial("tcp", aq.String())
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer c.Close()
	}

	out, ls := dump(t)
	l, ok := find(ls, a4)
	if !ok {
		t.Fatalf("listener %v missing from dump:\n%s", a4, out)
	}
	if l.Family != "inet" || l.SendQ != want || l.RecvQ != 0 || l.Inode != ino4 || l.UID != uint32(os.Getuid()) {
		t.Errorf("got %+v, want inet SendQ %d RecvQ 0 inode %d uid %d", l, want, ino4, os.Getuid())
	}
	// The handshake completes in softirq context; give it a moment.
	for i := 0; ; i++ {
		q, ok := find(ls, aq)
		if !ok {
			t.Fatalf("listener %v missing from dump:\n%s", aq, out)
		}
		if q.RecvQ == 3 {
			break
		}
		if i == 20 {
			t.Fatalf("RecvQ = %d, want 3 (%+v)", q.RecvQ, q)
		}
		time.Sleep(10 * time.Millisecond)
		out, ls = dump(t)
	}
	// IPv4 before IPv6.
	seen6 := false
	for _, l := range ls {
		if l.Family == "inet6" {
			seen6 = true
		} else if seen6 {
			t.Errorf("inet listener %v after an inet6 one", l.Addr)
		}
	}
}

func TestDumpListenersLiveIPv6(t *testing.T) {
	const backlog = 37
	want := min(uint32(backlog), somaxconn(t))
	_, a6, ino6 := listen(t, syscall.AF_INET6, netip.MustParseAddr("::1"), backlog)
	out, ls := dump(t)
	l, ok := find(ls, a6)
	if !ok {
		t.Fatalf("listener %v missing from dump:\n%s", a6, out)
	}
	if l.Family != "inet6" || l.SendQ != want || l.Inode != ino6 {
		t.Errorf("got %+v, want inet6 SendQ %d inode %d", l, want, ino6)
	}
}

func TestDumpListenersContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var buf bytes.Buffer
	if _, err := DumpListeners(ctx, &buf); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled ctx: err = %v", err)
	}
	if buf.Len() != 0 {
		t.Errorf("canceled ctx wrote %q", buf.String())
	}
}

type failWriter struct{ after int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.after == 0 {
		return 0, errors.New("disk full")
	}
	w.after--
	return len(p), nil
}

func TestDumpListenersWriteError(t *testing.T) {
	listen(t, syscall.AF_INET, netip.MustParseAddr("127.0.0.1"), 1)
	_, err := DumpListeners(context.Background(), &failWriter{after: 1})
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EPROTONOSUPPORT) {
		t.Skip(err)
	}
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("err = %v, want the writer's error", err)
	}
}

// BenchmarkDumpListeners measures a dump with b.N-independent 3000 extra
// listeners (the fd limit permitting).
func BenchmarkDumpListeners(b *testing.B) {
	const extra = 3000
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur < extra+100 {
		b.Skipf("RLIMIT_NOFILE %d too low", rl.Cur)
	}
	for i := range extra {
		if i%2 == 0 {
			listen(b, syscall.AF_INET, netip.MustParseAddr("127.0.0.1"), 511)
		} else {
			listen(b, syscall.AF_INET6, netip.MustParseAddr("::1"), 511)
		}
	}
	var n int
	for b.Loop() {
		var err error
		n, err = DumpListeners(context.Background(), discard{})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n), "sockets")
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
