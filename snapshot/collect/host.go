package collect

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/netsnap/netsnap/internal/rootfs"
	"github.com/netsnap/netsnap/snapshot"
	"github.com/netsnap/netsnap/snapshot/collect/sockdiag"
)

func readString(r rootfs.Root, p string) string {
	b, err := readHead(r, p, 64<<10)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// Hostname returns the host name seen through root ("/" = this host).
func Hostname(root string) string {
	r := rootfs.Root{Dir: root}
	if r.Dir == "" {
		r.Dir = rootfs.HostRoot
	}
	if h := readString(r, "/proc/sys/kernel/hostname"); h != "" {
		return h
	}
	if h := readString(r, "/etc/hostname"); h != "" {
		return h
	}
	if r.Live() {
		if h, err := os.Hostname(); err == nil {
			return h
		}
	}
	return "unknown"
}

// identify fills the manifest's host identity.
func (c *collector) identify() {
	r := c.root
	c.m.Hostname = Hostname(r.Dir)
	c.m.KernelRelease = readString(r, "/proc/sys/kernel/osrelease")
	c.m.KernelVersion = readString(r, "/proc/sys/kernel/version")
	c.m.BootID = readString(r, "/proc/sys/kernel/random/boot_id")
	if r.Live() {
		var u syscall.Utsname
		if c.m.KernelRelease == "" && syscall.Uname(&u) == nil {
			c.m.KernelRelease = utsString(u.Release[:])
		}
	}
	c.m.CPUs = cpuCount(readString(r, "/sys/devices/system/cpu/online"))
	if c.m.CPUs == 0 {
		if b, err := readHead(r, "/proc/stat", 1<<20); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if len(line) > 3 && strings.HasPrefix(line, "cpu") && line[3] >= '0' && line[3] <= '9' {
					c.m.CPUs++
				}
			}
		}
	}
	if c.m.CPUs == 0 && r.Live() {
		c.m.CPUs = runtime.NumCPU()
	}
}

func utsString(b []int8) string {
	var sb strings.Builder
	for _, c := range b {
		if c == 0 {
			break
		}
		sb.WriteByte(byte(c))
	}
	return sb.String()
}

// cpuCount counts the CPUs of a list such as "0-3,6,8-9".
func cpuCount(list string) int {
	n := 0
	for _, part := range strings.Split(list, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return 0
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return 0
			}
		}
		n += b - a + 1
	}
	return n
}

// kmsg reads the kernel ring buffer from /dev/kmsg without blocking and keeps its tail.
func kmsg(c *collector, s *Source, sample int) []snapshot.SourceResult {
	t0 := time.Now()
	p := s.Paths[0]
	r := snapshot.SourceResult{Name: s.Name, Path: p, Sample: sample}
	c.spool.Reset()
	fd, err := syscall.Open(c.root.Path(p), syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		r.Status, r.Error = statusOf(&os.PathError{Op: "open", Path: p, Err: err}), err.Error()
		return []snapshot.SourceResult{r}
	}
	defer syscall.Close(fd)
	buf := make([]byte, 16<<10)
	limit := 4 * c.opt.LogMaxBytes // the ring buffer is at most 32 MiB
	for c.spool.Len() < limit {
		if c.ctx.Err() != nil || time.Since(t0) > c.opt.SourceTimeout {
			r.Error = "stopped early: timeout"
			break
		}
		n, err := syscall.Read(fd, buf)
		if err == syscall.EINTR || err == syscall.EPIPE {
			continue // EPIPE: records were overwritten while we read; go on with the next
		}
		if err == syscall.EAGAIN || n <= 0 {
			break
		}
		if err != nil {
			r.Error = err.Error()
			break
		}
		if _, err := c.spool.Write(buf[:n]); err != nil {
			r.Status, r.Error = snapshot.StatusError, err.Error()
			return []snapshot.SourceResult{r}
		}
	}
	off := c.spool.TailOffset(c.opt.LogMaxBytes)
	n, err := c.addSpool(archiveName(p, sample), off)
	if err != nil {
		r.Status, r.Error = snapshot.StatusError, err.Error()
		return []snapshot.SourceResult{r}
	}
	r.Archive, r.Bytes, r.Truncated = archiveName(p, sample), n, off > 0
	r.DurationMS = c.ms(t0)
	return []snapshot.SourceResult{r}
}

// journalArchive is where journalctl's output is stored.
const journalArchive = "netsnap/journalctl-k.txt"

// journal runs `journalctl -k -b` when the host keeps its kernel log in the
// journal and has no kern.log. It is the only program netsnap ever executes.
func journal(c *collector, s *Source, sample int) []snapshot.SourceResult {
	t0 := time.Now()
	r := snapshot.SourceResult{Name: s.Name, Path: s.Paths[0], Sample: sample}
	if _, err := c.root.Stat("/var/log/kern.log"); err == nil {
		r.Status, r.Error = snapshot.StatusSkipped, "the host has /var/log/kern.log"
		return []snapshot.SourceResult{r}
	}
	if _, err := c.root.Stat("/run/systemd/journal"); err != nil {
		r.Status, r.Error = snapshot.StatusMissing, "no journald on this host"
		return []snapshot.SourceResult{r}
	}
	bin, err := exec.LookPath("journalctl")
	if err != nil {
		r.Status, r.Error = snapshot.StatusMissing, "journalctl not found"
		return []snapshot.SourceResult{r}
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.opt.SourceTimeout)
	defer cancel()
	c.spool.Reset()
	cmd := exec.CommandContext(ctx, bin, "-k", "-b", "--no-pager", "-q", "-o", "short-precise", "-n", "200000")
	cmd.Stdout = c.spool
	var stderr bytes.Buffer
	cmd.Stderr = &limitedBuffer{b: &stderr, max: 4096}
	cmd.Env = []string{"LC_ALL=C", "SYSTEMD_PAGER=", "PATH=/usr/bin:/bin:/usr/sbin:/sbin"}
	err = cmd.Run()
	if ctx.Err() != nil {
		r.Error = "stopped after " + ms2s(time.Since(t0)) + ": timeout"
		r.Truncated = true
	} else if err != nil {
		r.Status, r.Error = snapshot.StatusError, strings.TrimSpace(err.Error()+": "+stderr.String())
		if c.spool.Len() == 0 {
			return []snapshot.SourceResult{r}
		}
	}
	off := c.spool.TailOffset(c.opt.LogMaxBytes)
	n, werr := c.addSpool(journalArchive, off)
	if werr != nil {
		r.Status, r.Error = snapshot.StatusError, werr.Error()
		return []snapshot.SourceResult{r}
	}
	r.Archive, r.Bytes = journalArchive, n
	r.Truncated = r.Truncated || off > 0
	r.DurationMS = c.ms(t0)
	return []snapshot.SourceResult{r}
}

type limitedBuffer struct {
	b   *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.b.Len(); room > 0 {
		if len(p) > room {
			l.b.Write(p[:room])
		} else {
			l.b.Write(p)
		}
	}
	return len(p), nil
}

// listenersArchive is the archive name of the listener dump within a sample.
const listenersArchive = "netsnap/listeners.txt"

// listeners dumps TCP listeners with their backlog through NETLINK_SOCK_DIAG,
// only when the kernel already has inet_diag and tcp_diag (asking for them
// would make the kernel load the modules).
func listeners(c *collector, s *Source, sample int) []snapshot.SourceResult {
	t0 := time.Now()
	r := snapshot.SourceResult{Name: s.Name, Path: s.Paths[0], Sample: sample}
	if c.tcpDiag[sample] {
		r.Status, r.Error = snapshot.StatusSkipped, "in "+archiveName(tcpTableArchive, sample)+" (send_q of the LISTEN rows)"
		return []snapshot.SourceResult{r}
	}
	if ok, why := c.sockDiagAvailable(); !ok {
		r.Status, r.Error = snapshot.StatusSkipped, why
		return []snapshot.SourceResult{r}
	}
	c.spool.Reset()
	ctx, cancel := context.WithTimeout(c.ctx, c.opt.SourceTimeout)
	defer cancel()
	if _, err := sockdiag.DumpListeners(ctx, c.spool); err != nil {
		r.Status, r.Error = statusOf(err), err.Error()
		return []snapshot.SourceResult{r}
	}
	name := archiveName(listenersArchive, sample)
	n, err := c.addSpool(name, 0)
	if err != nil {
		r.Status, r.Error = snapshot.StatusError, err.Error()
		return []snapshot.SourceResult{r}
	}
	r.Archive, r.Bytes, r.DurationMS = name, n, c.ms(t0)
	return []snapshot.SourceResult{r}
}

// sockDiagAvailable reports (once per run) whether a NETLINK_SOCK_DIAG dump
// of TCP sockets cannot make the kernel load a module.
func (c *collector) sockDiagAvailable() (bool, string) {
	if c.diagWhy == "" {
		modules, modErr := readHead(c.root, "/proc/modules", 4<<20)
		builtin, binErr := readHead(c.root, "/lib/modules/"+c.m.KernelRelease+"/modules.builtin", 4<<20)
		c.diagOK, c.diagWhy = sockdiag.Available(modules, modErr, builtin, binErr)
	}
	return c.diagOK, c.diagWhy
}

// tcpTableArchive is the archive name of the socket table within a sample.
const tcpTableArchive = "netsnap/tcp.txt"

// tcpTable captures the TCP socket table: through NETLINK_SOCK_DIAG into
// netsnap/tcp.txt (both families) when the live kernel has inet_diag and
// --sockets allows it, else /proc/net/tcp verbatim (tcp6 then follows).
// In auto mode a failed dump is recorded and /proc/net/tcp read instead.
func tcpTable(c *collector, s *Source, sample int) []snapshot.SourceResult {
	var out []snapshot.SourceResult
	var note string
	mode := c.opt.Sockets
	if mode != SocketsProc {
		r := snapshot.SourceResult{Name: s.Name, Path: s.Paths[0], Sample: sample}
		ok, why := c.root.Live(), "needs the live kernel (not read under --root)"
		if ok {
			ok, why = c.sockDiagAvailable()
		}
		if ok {
			t0 := time.Now()
			c.spool.Reset()
			n, size, want, err := c.dumpTCP(sample == 1 && c.owners != nil)
			if err == nil || errors.Is(err, sockdiag.ErrLimit) {
				c.wantOwners(want)
				name := archiveName(tcpTableArchive, sample)
				if aerr := c.addMember(name, size); aerr != nil {
					r.Status, r.Error = snapshot.StatusError, aerr.Error()
					return append(out, r)
				}
				r.Archive, r.Bytes, r.Items, r.DurationMS = name, size, n, c.ms(t0)
				r.Truncated = err != nil
				c.tcpDiag[sample] = true
				return append(out, r)
			}
			c.spool.Reset()
			r.Status, r.Error, r.DurationMS = statusOf(err), err.Error(), c.ms(t0)
			if c.ctx.Err() != nil {
				return append(out, r) // the run is ending: no fallback
			}
		} else {
			r.Status, r.Error = snapshot.StatusSkipped, why
		}
		if mode == SocketsNetlink {
			if r.Status == snapshot.StatusSkipped {
				r.Status = snapshot.StatusError // asked for, not possible
			}
			return append(out, r)
		}
		if r.Status != snapshot.StatusSkipped {
			out = append(out, r) // the failed dump is worth a line in the report
		} else if c.root.Live() {
			note = "NETLINK_SOCK_DIAG not used: " + why
		}
	}
	r := c.captureProcTable(s.Name, s.Paths[1], sample)
	if (r.Status == "" || r.Status == snapshot.StatusOK) && r.Error == "" { // "" is ok until run records it
		r.Error = note
	}
	return append(out, r)
}

// captureProcTable copies /proc/net/tcp or tcp6 verbatim; in sample 1 it
// also notes the listening and SYN_SENT sockets for the walk of fds.
func (c *collector) captureProcTable(name, p string, sample int) snapshot.SourceResult {
	var tap *procTap
	if sample == 1 && c.owners != nil && c.root.Live() && !c.procWantBad {
		if c.procWant == nil {
			c.procWant = map[uint32]bool{}
		}
		tap = &procTap{want: c.procWant}
		c.tap = tap
	}
	var r snapshot.SourceResult
	if c.root.Live() {
		r = c.captureStreamed(name, p, archiveName(p, sample), sample, c.opt.TableMaxBytes)
	} else {
		r = c.captureFile(name, p, archiveName(p, sample), sample, c.opt.TableMaxBytes, headMode, nil)
	}
	c.tap = nil
	failed := r.Status != "" && r.Status != snapshot.StatusOK && r.Status != snapshot.StatusMissing // "" is ok until run records it
	if tap != nil && (failed || r.Truncated || tap.over) {
		c.procWantBad = true // an abandoned read may still be writing to the map: never read it
	}
	return r
}

// captureStreamed copies the head (max bytes) of a large live table
// verbatim, compressing it on another goroutine while it is read (a member
// of its own, as the socket table dump is), instead of after. /proc/net/tcp
// gives at most a page per read(): the copy is buffered before it is handed
// over, 64 KiB at a time.
func (c *collector) captureStreamed(name, p, archive string, sample int, max int64) snapshot.SourceResult {
	t0 := time.Now()
	r := snapshot.SourceResult{Name: name, Path: p, Sample: sample}
	f, err := c.root.Open(p)
	if err == nil {
		if fi, serr := f.Stat(); serr != nil || !fi.Mode().IsRegular() {
			f.Close()
			err = &fs.PathError{Op: "read", Path: p, Err: errors.New("not a regular file")}
		}
	}
	if err != nil {
		r.Status, r.Error = statusOf(err), errText(err)
		return r
	}
	c.spool.Reset()
	mw, err := snapshot.NewAsyncMember(c.opt.Compression, c.spool, false)
	if err != nil {
		f.Close()
		r.Status, r.Error = snapshot.StatusError, err.Error()
		return r
	}
	bw := bufio.NewWriterSize(mw, 64<<10) // the kernel gives a page per read: hand over 64 KiB at a time
	head := &headWriter{w: bw, left: max}
	var dst io.Writer = head
	if c.tap != nil {
		dst = io.MultiWriter(head, c.tap)
	}
	n, err := c.copyTimed(dst, f, max+1)
	if err != nil {
		if !errors.Is(err, errTimeout) {
			mw.Close() // an abandoned read keeps the writer; else end it
		}
		r.Status, r.Error = statusOf(err), errText(err)
		return r
	}
	err = bw.Flush()
	size, cerr := mw.Close()
	if err == nil {
		err = cerr
	}
	if err == nil {
		err = c.addMember(archive, size)
	}
	if err != nil {
		r.Status, r.Error = snapshot.StatusError, err.Error()
		return r
	}
	r.Archive, r.Bytes, r.Truncated, r.DurationMS = archive, size, n > max, c.ms(t0)
	return r
}

// headWriter passes on the first left bytes written to it and drops the rest.
type headWriter struct {
	w    io.Writer
	left int64
}

func (h *headWriter) Write(p []byte) (int, error) {
	keep := p
	if int64(len(keep)) > h.left {
		keep = keep[:h.left]
	}
	if len(keep) > 0 {
		if _, err := h.w.Write(keep); err != nil {
			return 0, err
		}
		h.left -= int64(len(keep))
	}
	return len(p), nil
}

// procTap reads the lines of /proc/net/tcp{,6} as they are copied and
// keeps the inodes of LISTEN (0A) and SYN_SENT (02) rows.
type procTap struct {
	want    map[uint32]bool
	partial []byte
	over    bool // more than maxWanted sockets: the walk reads every fd
}

func (t *procTap) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if len(t.partial)+len(p) <= 4096 {
				t.partial = append(t.partial, p...)
			}
			break
		}
		line := p[:i]
		if len(t.partial) > 0 {
			line = append(t.partial, line...)
		}
		t.line(line)
		t.partial = t.partial[:0]
		p = p[i+1:]
	}
	return n, nil
}

// line looks at the st (4th) and inode (10th) fields of one row.
func (t *procTap) line(l []byte) {
	var st, inode []byte
	for f, i := 0, 0; f < 10; f++ {
		for i < len(l) && l[i] == ' ' {
			i++
		}
		j := i
		for j < len(l) && l[j] != ' ' {
			j++
		}
		switch f {
		case 3:
			st = l[i:j]
			if string(st) != "0A" && string(st) != "02" {
				return
			}
		case 9:
			inode = l[i:j]
		}
		i = j
	}
	v, err := strconv.ParseUint(string(inode), 10, 32)
	if err != nil || v == 0 || t.over {
		return
	}
	if len(t.want) >= maxWanted {
		t.over = true
		return
	}
	t.want[uint32(v)] = true
}

// dumpTCP dumps the socket table into the spool as a compressed member,
// compressing on another goroutine while the kernel answers.
// With wanted, it also returns the inodes of the listening and SYN_SENT
// sockets (nil when there are more than the walk of fds would look for).
func (c *collector) dumpTCP(wanted bool) (sockets int, size int64, want map[uint32]bool, err error) {
	mw, err := snapshot.NewAsyncMember(c.opt.Compression, c.spool, true)
	if err != nil {
		return 0, 0, nil, err
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.opt.SourceTimeout)
	defer cancel()
	opt := sockdiag.TCPOptions{Limit: c.opt.TableMaxBytes}
	if wanted {
		want = map[uint32]bool{}
		opt.Socket = func(state uint8, inode uint32) {
			if (state == tcpListen || state == tcpSynSent) && inode != 0 && want != nil {
				want[inode] = true
				if len(want) > maxWanted {
					want = nil
				}
			}
		}
	}
	n, err := sockdiag.DumpTCP(ctx, mw, opt)
	size, cerr := mw.Close()
	if cerr != nil && (err == nil || errors.Is(err, sockdiag.ErrLimit)) {
		err = fmt.Errorf("compress: %w", cerr)
	}
	if err != nil && !errors.Is(err, sockdiag.ErrLimit) || size == 0 {
		want = nil
	}
	return n, size, want, err
}

// The TCP states whose sockets' owners the analyzer names.
const (
	tcpSynSent = 2
	tcpListen  = 10
)

// tcp6Table captures /proc/net/tcp6 unless the tcp source dumped both
// families through NETLINK_SOCK_DIAG in this sample.
func tcp6Table(c *collector, s *Source, sample int) []snapshot.SourceResult {
	if c.tcpDiag[sample] {
		return []snapshot.SourceResult{{Name: s.Name, Path: s.Paths[0], Sample: sample, Status: snapshot.StatusSkipped,
			Error: "in " + archiveName(tcpTableArchive, sample) + " (NETLINK_SOCK_DIAG)"}}
	}
	if c.opt.Sockets == SocketsNetlink {
		return []snapshot.SourceResult{{Name: s.Name, Path: s.Paths[0], Sample: sample, Status: snapshot.StatusSkipped,
			Error: "--sockets netlink"}}
	}
	return []snapshot.SourceResult{c.captureProcTable(s.Name, s.Paths[0], sample)}
}

// readHead reads the first max bytes of a small regular host file directly,
// for facts the collector needs itself (hostname, kernel release, modules).
func readHead(r rootfs.Root, p string, max int64) ([]byte, error) {
	f, err := r.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, &os.PathError{Op: "read", Path: p, Err: errors.New("not a regular file")}
	}
	return io.ReadAll(io.LimitReader(f, max))
}
