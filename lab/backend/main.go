//go:build linux

// Command backend is the lab's upstream: a tiny HTTP/1.x server whose
// connection behaviour is set by flags, so that the lab can make nginx meet
// a backend with a tiny accept queue, a slow acceptor or keepalive, on
// purpose. Run it only inside a throw-away network namespace (see lab/README.md).
//
//	backend -listen 10.255.0.2:9000 [-backlog 8] [-accept-delay 50ms] [-delay 0] [-close] [-stats FILE]
//
// Every request gets "200 OK" with a -body byte body and a Content-Length.
// By default the backend never closes a connection first (it answers
// "Connection: close" requests too, then waits for the client's FIN), so the
// TIME_WAIT of a non-keepalive upstream connection stays on the proxy, as it
// does in front of most application servers that honour the proxy's close;
// -close makes it close after each response instead. Idle connections are
// closed after -idle.
//
// -backlog N listens with backlog N (the kernel clips it to net.core.somaxconn);
// 0 uses the Go default (somaxconn). -accept-delay sleeps after every accept,
// so the accept queue fills when connections arrive faster than that.
//
// It prints "ready ADDR" on stdout once listening, appends its counters to
// -stats every 100 ms and on exit, one line each:
//
//	UNIX_NANOSECONDS accepted=N requests=N closed=N
//
// (so a test can tell how many connections it accepted between two moments),
// and exits on SIGTERM/SIGINT or after -max-time, whichever comes first.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

type config struct {
	listen      string
	backlog     int
	acceptDelay time.Duration
	delay       time.Duration
	closeFirst  bool
	idle        time.Duration
	body        int
	stats       string
	maxTime     time.Duration
}

type counters struct {
	accepted, requests, closed atomic.Int64
}

func main() {
	var c config
	fs := flag.NewFlagSet("backend", flag.ExitOnError)
	fs.StringVar(&c.listen, "listen", "127.0.0.1:9000", "address:port to listen on (IPv4)")
	fs.IntVar(&c.backlog, "backlog", 0, "listen backlog (0: the Go default, net.core.somaxconn)")
	fs.DurationVar(&c.acceptDelay, "accept-delay", 0, "sleep after every accept (a slow acceptor)")
	fs.DurationVar(&c.delay, "delay", 0, "wait this long before answering each request")
	fs.BoolVar(&c.closeFirst, "close", false, "close the connection after each response (else wait for the client to close)")
	fs.DurationVar(&c.idle, "idle", 30*time.Second, "close a connection idle for this long")
	fs.IntVar(&c.body, "body", 64, "response body size in bytes")
	fs.StringVar(&c.stats, "stats", "", "append the counters to this file every 100 ms")
	fs.DurationVar(&c.maxTime, "max-time", 2*time.Minute, "exit after this long whatever happens")
	_ = fs.Parse(os.Args[1:])
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "backend:", err)
		os.Exit(1)
	}
}

func run(c config) error {
	if c.body < 0 || c.backlog < 0 || c.maxTime <= 0 || c.idle <= 0 {
		return errors.New("-body and -backlog must be >= 0, -max-time and -idle > 0")
	}
	ln, err := listen(c.listen, c.backlog)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, c.maxTime)
	defer cancel()
	go func() { <-ctx.Done(); ln.Close() }()

	var n counters
	var stats *os.File
	if c.stats != "" {
		if stats, err = os.OpenFile(c.stats, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644); err != nil {
			return err
		}
		defer stats.Close()
	}
	statsDone := make(chan struct{})
	go func() {
		defer close(statsDone)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			writeStats(stats, &n)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	fmt.Printf("ready %s\n", ln.Addr())

	resp := response(c.body)
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return err
		}
		n.accepted.Add(1)
		go serve(ctx, conn, c, resp, &n)
		if c.acceptDelay > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(c.acceptDelay):
			}
		}
	}
	<-statsDone
	writeStats(stats, &n)
	return nil
}

// listen opens a TCP listener with an explicit backlog (net.Listen always
// asks for somaxconn).
func listen(addr string, backlog int) (net.Listener, error) {
	if backlog == 0 {
		return net.Listen("tcp4", addr)
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().Is4() {
		return nil, fmt.Errorf("-listen %q: want IPv4 address:port", addr)
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	f := os.NewFile(uintptr(fd), "listener")
	defer f.Close() // FileListener dups it
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		return nil, fmt.Errorf("setsockopt: %w", err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}); err != nil {
		return nil, fmt.Errorf("bind %s: %w", addr, err)
	}
	if err := syscall.Listen(fd, backlog); err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	return net.FileListener(f)
}

func response(body int) []byte {
	return []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
		strconv.Itoa(body) + "\r\n\r\n" + strings.Repeat("x", body))
}

// serve answers requests on conn until the client closes it, it idles
// for c.idle, or (with -close) after the first response.
func serve(ctx context.Context, conn net.Conn, c config, resp []byte, n *counters) {
	defer n.closed.Add(1)
	defer conn.Close()
	r := bufio.NewReader(conn)
	for ctx.Err() == nil {
		_ = conn.SetReadDeadline(time.Now().Add(c.idle))
		bodyLen, err := readRequest(r)
		if err != nil {
			return
		}
		if bodyLen > 0 {
			if _, err := io.CopyN(io.Discard, r, bodyLen); err != nil {
				return
			}
		}
		if c.delay > 0 {
			time.Sleep(c.delay)
		}
		n.requests.Add(1)
		if _, err := conn.Write(resp); err != nil {
			return
		}
		if c.closeFirst {
			return
		}
	}
}

// readRequest reads one request head and returns its Content-Length.
func readRequest(r *bufio.Reader) (int64, error) {
	var bodyLen int64
	first := true
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return 0, err
		}
		line = strings.TrimRight(line, "\r\n")
		if first {
			if line == "" {
				continue // tolerate a stray CRLF between requests
			}
			first = false
			continue
		}
		if line == "" {
			return bodyLen, nil
		}
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), "Content-Length") {
			if bodyLen, err = strconv.ParseInt(strings.TrimSpace(v), 10, 64); err != nil || bodyLen < 0 {
				return 0, fmt.Errorf("bad Content-Length %q", v)
			}
		}
	}
}

func writeStats(f *os.File, n *counters) {
	if f == nil {
		return
	}
	fmt.Fprintf(f, "%d accepted=%d requests=%d closed=%d\n", time.Now().UnixNano(), n.accepted.Load(), n.requests.Load(), n.closed.Load())
}
