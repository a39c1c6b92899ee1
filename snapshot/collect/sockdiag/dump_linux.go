package sockdiag

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"time"
)

const (
	pollInterval = 250 * time.Millisecond
	stallMax     = 10 * time.Second // give up after this long without data, whatever ctx says
)

// kernelErrno returns a positive kernel error number as a syscall.Errno, so
// that errors.Is(err, syscall.EINVAL) works.
func kernelErrno(e int32) error { return syscall.Errno(e) }

// DumpListeners writes one line per TCP listening socket (IPv4 then IPv6) to w in the text format
// of the package comment and returns the number of sockets written. It honours ctx (deadline/cancel) between netlink reads.
//
// Call it only when [Available] reports true: a dump on a kernel without
// inet_diag/tcp_diag makes the kernel load them. Each line is written to w as
// soon as its socket is parsed; memory use does not grow with the number of
// sockets. The netlink socket is always closed before returning.
func DumpListeners(ctx context.Context, w io.Writer) (int, error) {
	d := dumper{w: w, states: 1 << tcpListen}
	return d.run(ctx, Header)
}

// DumpTCP writes every TCP socket of the reader's network namespace (IPv4
// then IPv6; in each, listeners first) to w in the socket table format of
// the package comment, and returns the number of sockets written. When
// opt.Limit > 0 and writing the next line would pass that many bytes, it
// stops and returns ErrLimit with what it wrote so far. opt.Socket, when
// set, is called with the state and inode of every socket written. The same
// conditions as [DumpListeners] apply: call it only when [Available]
// reports true.
//
// Lines are buffered (64 KiB) before they reach w; memory use does not grow
// with the number of sockets.
func DumpTCP(ctx context.Context, w io.Writer, opt TCPOptions) (int, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	d := dumper{w: bw, states: allStates, all: true, limit: opt.Limit, seen: opt.Socket}
	d.async = newFormatter(&d)
	_, err := d.run(ctx, TCPHeader)
	if ferr := d.async.wait(); err == nil || errors.Is(ferr, ErrLimit) {
		err = ferr
	}
	n := d.n // written by the formatter, read after it ended
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return n, err
}

// sofar is the count of sockets written, for the synchronous dump (the
// asynchronous one's count is read after its formatter ended).
func (d *dumper) sofar() int {
	if d.async != nil {
		return 0
	}
	return d.n
}

// run opens the netlink socket, writes header and dumps both families.
func (d *dumper) run(ctx context.Context, header string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	fd, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, netlinkSockDiag)
	if err != nil {
		return 0, fmt.Errorf("sockdiag: open NETLINK_SOCK_DIAG socket: %w", err)
	}
	defer syscall.Close(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}); err != nil {
		return 0, fmt.Errorf("sockdiag: bind: %w", err)
	}
	// Reads block at most pollInterval (less near ctx's deadline, see
	// setTimeout) so that cancellation and the deadline are noticed between
	// reads even if the kernel never answers. Sends to the kernel do not
	// block in practice; bound them anyway.
	tv := syscall.NsecToTimeval(pollInterval.Nanoseconds())
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &tv); err != nil {
		return 0, fmt.Errorf("sockdiag: SO_SNDTIMEO: %w", err)
	}
	if _, err := io.WriteString(d.w, header); err != nil {
		return 0, err
	}
	d.fd, d.buf, d.line = fd, make([]byte, recvBufSize), make([]byte, 0, 128)
	d.bytes = int64(len(header))
	for i, family := range []uint8{afInet, afInet6} {
		if err := d.dumpFamily(ctx, family, uint32(i+1)); err != nil {
			return d.sofar(), err
		}
	}
	return d.sofar(), nil
}

func (d *dumper) dumpFamily(ctx context.Context, family uint8, seq uint32) error {
	name := familyName(family)
	req := request(family, seq, d.states)
	for {
		err := syscall.Sendto(d.fd, req, 0, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK})
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("sockdiag: %s: send request: %w", name, err)
		}
		break
	}
	lastData := time.Now()
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("sockdiag: %s: %w", name, err)
		}
		if err := d.setTimeout(ctx); err != nil {
			return fmt.Errorf("sockdiag: %s: %w", name, err)
		}
		buf := d.buf
		if d.async != nil {
			if err := d.async.failed(); err != nil {
				return fmt.Errorf("sockdiag: %s: %w", name, err)
			}
			buf = d.async.next()
		}
		n, from, err := recvmsg(d.fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.EAGAIN {
			if time.Since(lastData) > stallMax {
				return fmt.Errorf("sockdiag: %s: no reply from the kernel in %v", name, stallMax)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("sockdiag: %s: receive: %w", name, err)
		}
		lastData = time.Now()
		if from != 0 {
			continue // not from the kernel (port id 0); cannot happen unless someone sends to us
		}
		var done bool
		if d.async != nil {
			done, err = d.scan(buf[:n], family, seq)
			d.async.got(n, family, seq, done || err != nil)
		} else {
			done, err = d.handle(buf[:n], family, seq)
		}
		if err != nil {
			return fmt.Errorf("sockdiag: %s: %w", name, err)
		}
		if done {
			return nil
		}
	}
}

// setTimeout shortens the receive timeout to what is left before ctx's
// deadline when that is less than pollInterval.
func (d *dumper) setTimeout(ctx context.Context) error {
	timeout := pollInterval
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left < timeout {
			timeout = max(left, time.Millisecond)
		}
	}
	if timeout == d.timeout {
		return nil
	}
	tv := syscall.NsecToTimeval(timeout.Nanoseconds())
	if err := syscall.SetsockoptTimeval(d.fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		return fmt.Errorf("SO_RCVTIMEO: %w", err)
	}
	d.timeout = timeout
	return nil
}

var errTruncated = errors.New("netlink message truncated by the receive buffer")

// recvmsg reads one datagram and returns its length and the sender's port id.
func recvmsg(fd int, buf []byte) (int, uint32, error) {
	n, _, flags, from, err := syscall.Recvmsg(fd, buf, nil, 0)
	if err != nil {
		return 0, 0, err
	}
	if flags&syscall.MSG_TRUNC != 0 {
		return 0, 0, errTruncated
	}
	var pid uint32
	if sa, ok := from.(*syscall.SockaddrNetlink); ok {
		pid = sa.Pid
	}
	return n, pid, nil
}
