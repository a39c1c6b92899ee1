// Package collect is the netsnap collector: it reads a host's network state
// (socket tables, counters, conntrack, sysctls, slabinfo, kernel logs, nginx
// configurations and error logs) through a Root and writes it as a snapshot
// archive. It is read-only, bounded in time and bytes per source, and keeps
// memory flat: every source streams through a spool into the archive.
package collect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
	"time"

	"github.com/netsnap/netsnap/internal/rootfs"
	"github.com/netsnap/netsnap/snapshot"
)

// Defaults for Options fields left zero.
const (
	DefaultSamples       = 3
	DefaultInterval      = 2 * time.Second
	DefaultTimeout       = 60 * time.Second
	DefaultSourceTimeout = 15 * time.Second
	DefaultLogMaxBytes   = 16 << 20
	DefaultTableMaxBytes = 1 << 30
)

// Values of Options.Sockets.
const (
	SocketsAuto    = "auto"
	SocketsNetlink = "netlink"
	SocketsProc    = "proc"
)

// Options configures one capture.
type Options struct {
	// Root is the directory laid out like "/" to read from; "" or "/" is the live host.
	Root string
	// Samples is how many times the fast-moving sources are read.
	Samples int
	// Interval is the time between the starts of two samples.
	Interval time.Duration
	// Timeout bounds the whole capture; when it passes the archive is finished with what was read and marked partial.
	Timeout time.Duration
	// SourceTimeout bounds the reading of any one source.
	SourceTimeout time.Duration
	// Compression is snapshot.Gzip (default) or snapshot.Zstd.
	Compression string
	// LogMaxBytes caps each log file (its tail is kept).
	LogMaxBytes int64
	// TableMaxBytes caps each /proc table (its head is kept).
	TableMaxBytes int64
	// Only, when not empty, restricts the capture to these source names; Skip removes sources.
	Only, Skip []string
	// TempDir is where large sources are spooled (os.TempDir() when empty). Nothing is left there.
	TempDir string
	// Sockets is how the TCP socket table is read: SocketsAuto (the
	// default: NETLINK_SOCK_DIAG where the live kernel already has inet_diag,
	// else /proc/net/tcp{,6}), SocketsNetlink or SocketsProc.
	Sockets string
	// NetNS says which network namespaces are captured besides netsnap's
	// own: NetNSAuto (the default), NetNSAll, NetNSHost, or process IDs
	// separated by commas (their namespaces); see ParseNetNS.
	NetNS string
	// NetNSMax bounds the namespaces captured (DefaultNetNSMax when 0).
	NetNSMax int
	// Version is the tool version recorded in the manifest.
	Version string
	// Now, when set, is the clock the manifest's times come from (the
	// schedule of samples still follows the real clock). Tests and the
	// sample generator set it to get byte-identical snapshots.
	Now func() time.Time
	// BeforeSample, when set, runs before each sample is read (i is 1-based).
	// Tests and the sample generator use it to change a --root tree between
	// samples, as counters change on a live host.
	BeforeSample func(i int)
}

func (o *Options) setDefaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Samples <= 0 {
		o.Samples = DefaultSamples
	}
	if o.Interval < 0 {
		o.Interval = 0
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.SourceTimeout <= 0 {
		o.SourceTimeout = DefaultSourceTimeout
	}
	if o.Compression == "" {
		o.Compression = snapshot.Gzip
	}
	if o.Sockets == "" {
		o.Sockets = SocketsAuto
	}
	if o.LogMaxBytes <= 0 {
		o.LogMaxBytes = DefaultLogMaxBytes
	}
	if o.TableMaxBytes <= 0 {
		o.TableMaxBytes = DefaultTableMaxBytes
	}
}

// Validate checks the options a user gave, with one-line messages.
func (o *Options) Validate() error {
	if o.Samples < 1 || o.Samples > 1000 {
		return fmt.Errorf("--samples %d: want 1 to 1000", o.Samples)
	}
	if o.Interval < 0 {
		return fmt.Errorf("--interval %s: must not be negative", o.Interval)
	}
	if o.Timeout <= 0 {
		return fmt.Errorf("--timeout %s: must be positive", o.Timeout)
	}
	if o.Compression != snapshot.Gzip && o.Compression != snapshot.Zstd {
		return fmt.Errorf("--compress %q: want gzip or zstd", o.Compression)
	}
	switch o.Sockets {
	case "", SocketsAuto, SocketsNetlink, SocketsProc:
	default:
		return fmt.Errorf("--sockets %q: want auto, netlink or proc", o.Sockets)
	}
	if _, err := ParseNetNS(o.NetNS); err != nil {
		return err
	}
	if o.NetNSMax < 0 {
		return fmt.Errorf("--netns-max %d: must not be negative", o.NetNSMax)
	}
	known := map[string]bool{}
	for _, s := range Sources() {
		known[s.Name] = true
	}
	for _, list := range [][]string{o.Only, o.Skip} {
		for _, n := range list {
			if !known[n] {
				return fmt.Errorf("unknown source %q (see --list-sources)", n)
			}
		}
	}
	if o.Root != "" && o.Root != rootfs.HostRoot {
		fi, err := os.Stat(o.Root)
		if err != nil {
			return fmt.Errorf("--root %s: %w", o.Root, rootfs.UnwrapPathErr(err))
		}
		if !fi.IsDir() {
			return fmt.Errorf("--root %s: not a directory", o.Root)
		}
	}
	return nil
}

// collector is the state of one capture.
type collector struct {
	opt   Options
	root  rootfs.Root
	arch  *pipe
	m     *snapshot.Manifest
	ctx   context.Context
	spool *spool
	// procs is filled by the process scan and read by the nginx source.
	procs []procInfo
	// fixedClock is true when Options.Now was given: durations are not recorded.
	fixedClock bool
	// first is when sample 1 started, by the real clock.
	first time.Time
	// writeErr is set when the archive cannot be written; it ends the run.
	writeErr error
	// diagOK and diagWhy cache sockDiagAvailable (diagWhy "" until asked).
	diagOK  bool
	diagWhy string
	// tcpDiag marks the samples whose TCP table came from NETLINK_SOCK_DIAG.
	tcpDiag map[int]bool
	// owners is the walk of /proc/*/fd started with the capture, or nil.
	owners *ownersJob
	// copyBuf is copyTimed's buffer, reused from one file to the next.
	copyBuf []byte
	// tap, when set, also gets what readFile reads (sample 1's /proc/net/tcp
	// and tcp6, for the sockets whose owners the fd walk looks for).
	tap io.Writer
	// procWant collects those sockets from /proc tables; procWantBad says a
	// table could not be read whole, so the walk must read every fd.
	procWant    map[uint32]bool
	procWantBad bool
	// netns are the other network namespaces (netns.go).
	netns netnsState
}

// Run captures a snapshot into w (the compressed archive) and returns its
// manifest. The capture stops early, and the archive is still completed and
// marked partial, when ctx is cancelled (a signal) or opt.Timeout passes.
// Run fails only when the archive itself cannot be written.
func Run(ctx context.Context, opt Options, w io.Writer) (*snapshot.Manifest, error) {
	fixed := opt.Now != nil
	opt.setDefaults()
	start := opt.Now()
	c := &collector{opt: opt, root: rootfs.Root{Dir: opt.Root}, fixedClock: fixed, tcpDiag: map[int]bool{}}
	if c.root.Dir == "" {
		c.root.Dir = rootfs.HostRoot
	}
	c.m = &snapshot.Manifest{
		FormatVersion: snapshot.FormatVersion,
		Tool:          "netsnap",
		ToolVersion:   opt.Version,
		Live:          c.root.Live(),
		Start:         start.UTC(),
		Options: snapshot.Options{
			Samples:         opt.Samples,
			IntervalSeconds: opt.Interval.Seconds(),
			TimeoutSeconds:  opt.Timeout.Seconds(),
			Compression:     opt.Compression,
			LogMaxBytes:     opt.LogMaxBytes,
			TableMaxBytes:   opt.TableMaxBytes,
			Only:            opt.Only,
			Skip:            opt.Skip,
		},
	}
	if !c.root.Live() {
		c.m.Root = c.root.Dir // as given, so a generator can make byte-identical snapshots
	}
	c.identify()
	if c.root.Live() && os.Geteuid() != 0 {
		c.m.Warnings = append(c.m.Warnings, "not running as root: other users' processes, sockets and some files could not be read")
	}

	aw, err := snapshot.NewWriter(w, opt.Compression, start)
	if err != nil {
		return nil, err
	}
	c.arch = newPipe(aw, opt.TempDir)
	c.spool = newSpool(opt.TempDir)
	defer func() { c.spool.Close() }()

	cctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()
	c.ctx = cctx

	if err := c.capture(); err != nil {
		c.arch.close(c.m)
		return c.m, err
	}

	c.m.End = c.opt.Now().UTC()
	if cctx.Err() != nil {
		c.m.Partial = true
		switch {
		case ctx.Err() != nil:
			c.m.PartialReason = "interrupted: " + causeText(ctx)
		default:
			c.m.PartialReason = fmt.Sprintf("total timeout of %s reached", opt.Timeout)
		}
	}
	if len(c.m.Samples) < opt.Samples && !c.m.Partial {
		c.m.Partial = true
		c.m.PartialReason = "fewer samples than asked"
	}
	if err := c.arch.close(c.m); err != nil {
		return c.m, err
	}
	return c.m, nil
}

func causeText(ctx context.Context) string {
	if c := context.Cause(ctx); c != nil {
		return c.Error()
	}
	return ctx.Err().Error()
}

// errWrite marks a failure to write the archive, which ends the run.
type errWrite struct{ err error }

func (e errWrite) Error() string { return e.err.Error() }
func (e errWrite) Unwrap() error { return e.err }

// capture runs the sample loop; the sources captured once run after the first sample.
func (c *collector) capture() error {
	// The walk of every process's fds takes as long as the socket tables on
	// a busy host; start it now, beside them.
	for _, s := range c.selected(false) {
		if s.Name == "socket-owners" && c.root.Live() {
			c.owners = c.startOwners(s)
			defer func() {
				if c.owners != nil { // never stored: the capture stopped first
					c.owners.cancel()
					<-c.owners.done
					c.owners.sp.Close()
				}
			}()
		}
	}
	for i := 1; i <= c.opt.Samples; i++ {
		if i > 1 {
			// Samples are due every Interval after the start of sample 1.
			due := c.first.Add(time.Duration(i-1) * c.opt.Interval)
			if !sleepUntil(c.ctx, due) {
				break
			}
		}
		if c.ctx.Err() != nil {
			break
		}
		if c.opt.BeforeSample != nil {
			c.opt.BeforeSample(i)
		}
		if err := c.sample(i); err != nil {
			return err
		}
		if i == 1 {
			if c.procWant != nil && !c.procWantBad {
				c.wantOwners(c.procWant) // from /proc/net/tcp and tcp6 (--sockets proc, old kernels)
			}
			c.wantOwners(nil) // no socket table told the walk what it needs: all of it
			for _, s := range c.selected(false) {
				if c.ctx.Err() != nil {
					c.record(snapshot.SourceResult{Name: s.Name, Path: s.describe(), Status: snapshot.StatusSkipped, Error: "capture deadline reached first"})
					continue
				}
				if err := c.run(s, 0); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (c *collector) sample(i int) error {
	smp := snapshot.Sample{Index: i, Dir: fmt.Sprintf("samples/%d", i), Start: c.opt.Now().UTC()}
	if i == 1 {
		c.first = time.Now()
	}
	for _, s := range c.selected(true) {
		if c.ctx.Err() != nil {
			break
		}
		if err := c.run(s, i); err != nil {
			return err
		}
	}
	smp.End = c.opt.Now().UTC()
	c.m.Samples = append(c.m.Samples, smp)
	return nil
}

// selected returns the sources to capture, sampled or once, after --only/--skip.
func (c *collector) selected(sampled bool) []*Source {
	var out []*Source
	for _, s := range Sources() {
		if s.Sampled != sampled || !c.wanted(s.Name) {
			continue
		}
		out = append(out, s)
	}
	return out
}

func (c *collector) wanted(name string) bool {
	for _, n := range c.opt.Skip {
		if n == name {
			return false
		}
	}
	if len(c.opt.Only) == 0 {
		return true
	}
	for _, n := range c.opt.Only {
		if n == name {
			return true
		}
	}
	return false
}

// run captures one source and records its results.
func (c *collector) run(s *Source, sample int) error {
	if s.LiveOnly && !c.root.Live() {
		c.record(snapshot.SourceResult{Name: s.Name, Path: s.describe(), Sample: sample, Status: snapshot.StatusSkipped, Error: "needs the live kernel (not read under --root)"})
		return nil
	}
	for _, r := range s.capture(c, s, sample) {
		if r.Status == "" {
			r.Status = snapshot.StatusOK
		}
		c.record(r)
	}
	return c.writeErr
}

func (c *collector) record(r snapshot.SourceResult) {
	if r.Name == "" {
		return
	}
	c.m.Sources = append(c.m.Sources, r)
}

// archiveName is where host path p goes inside the archive for a sample (0 = once).
func archiveName(p string, sample int) string {
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	if sample > 0 {
		return fmt.Sprintf("samples/%d/%s", sample, p)
	}
	return p
}

// statusOf maps a read error to a manifest status.
func statusOf(err error) string {
	switch {
	case err == nil:
		return snapshot.StatusOK
	case errors.Is(err, fs.ErrNotExist):
		return snapshot.StatusMissing
	case errors.Is(err, fs.ErrPermission):
		return snapshot.StatusDenied
	case errors.Is(err, errTimeout), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return snapshot.StatusTimeout
	default:
		return snapshot.StatusError
	}
}

var errTimeout = errors.New("timed out")

// readMode says which part of an over-long source is kept.
type readMode int

const (
	headMode readMode = iota // the first max bytes (tables)
	tailMode                 // the last max bytes, from a line start (logs)
)

// readFile reads host path p into the spool (reset first), bounded by max
// bytes and by the per-source timeout. It returns the offset in the spool at
// which the kept data start and whether data were cut.
func (c *collector) readFile(p string, max int64, mode readMode, filter func([]byte) bool) (off int64, truncated bool, err error) {
	c.spool.Reset()
	f, err := c.root.Open(p)
	if err != nil {
		return 0, false, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return 0, false, err
	}
	if fi.IsDir() {
		f.Close()
		return 0, false, &fs.PathError{Op: "read", Path: p, Err: syscall.EISDIR}
	}
	if !fi.Mode().IsRegular() && fi.Mode()&fs.ModeNamedPipe == 0 {
		f.Close()
		return 0, false, &fs.PathError{Op: "read", Path: p, Err: errors.New("not a regular file")}
	}
	limit := max + 1
	if filter != nil {
		limit = 4 * max // read at most this much of a file that is filtered
	}
	if mode == tailMode && fi.Mode().IsRegular() && fi.Size() > limit {
		// Start near the end: skip to the first line start after the cut.
		if _, err := f.Seek(fi.Size()-limit, io.SeekStart); err != nil {
			f.Close()
			return 0, false, err
		}
		truncated = true
	}
	var dst io.Writer = c.spool
	var lf *lineFilter
	if filter != nil {
		lf = &lineFilter{w: c.spool, keep: filter, dropFirst: truncated}
		dst = lf
	}
	if c.tap != nil {
		dst = io.MultiWriter(dst, c.tap)
	}
	n, err := c.copyTimed(dst, f, limit)
	if lf != nil && err == nil {
		err = lf.Flush()
	}
	if err != nil {
		return 0, truncated, err
	}
	switch mode {
	case headMode:
		if n > max {
			c.spool.Cut(max)
			return 0, true, nil
		}
	case tailMode:
		if n >= limit && filter == nil {
			truncated = true
		}
		if truncated && filter == nil && fi.Mode().IsRegular() {
			// The first line was cut by the seek; drop it.
			off = c.spool.TailOffset(c.spool.Len() - 1)
		}
		if c.spool.Len()-off > max {
			off = c.spool.TailOffset(max)
			truncated = true
		}
	}
	return off, truncated, nil
}

// copyTimed copies at most limit bytes from f into dst, giving up after the
// per-source timeout or when the capture is cancelled. It closes f. A read
// that blocks (a FIFO, a hung filesystem) is abandoned: its goroutine owns
// the spool from then on and the collector continues with a fresh one.
func (c *collector) copyTimed(dst io.Writer, f *os.File, limit int64) (int64, error) {
	type result struct {
		n   int64
		err error
	}
	done := make(chan result, 1)
	sp := c.spool
	if c.copyBuf == nil {
		c.copyBuf = make([]byte, 64<<10)
	}
	buf := c.copyBuf
	go func() {
		n, err := io.CopyBuffer(dst, io.LimitReader(onlyReader{f}, limit), buf)
		done <- result{n, err}
	}()
	tm := time.NewTimer(c.opt.SourceTimeout)
	defer tm.Stop()
	select {
	case r := <-done:
		f.Close()
		return r.n, r.err
	case <-tm.C:
	case <-c.ctx.Done():
	}
	f.Close()
	c.spool = newSpool(c.opt.TempDir)
	c.copyBuf = nil // the abandoned read still owns it
	go func() { <-done; sp.Close() }()
	if c.ctx.Err() != nil {
		return 0, fmt.Errorf("%w: capture interrupted", errTimeout)
	}
	return 0, fmt.Errorf("%w after %s", errTimeout, c.opt.SourceTimeout)
}

// onlyReader hides ReaderFrom/WriterTo so CopyBuffer uses our buffer and honours the limit.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// addSpool writes the spool from off as archive entry name.
func (c *collector) addSpool(name string, off int64) (int64, error) {
	if c.spool.err != nil {
		return 0, fmt.Errorf("spool in %s: %w", c.opt.TempDir, c.spool.err)
	}
	if err := c.arch.failed(); err != nil {
		c.writeErr = errWrite{err}
		return 0, c.writeErr
	}
	n := c.spool.Len() - off
	c.spool = c.arch.add(name, c.spool, off)
	return n, nil
}

// addMember hands the spool, a compressed member of size bytes of data, to
// the archive as entry name.
func (c *collector) addMember(name string, size int64) error {
	if c.spool.err != nil {
		return fmt.Errorf("spool in %s: %w", c.opt.TempDir, c.spool.err)
	}
	if err := c.arch.failed(); err != nil {
		c.writeErr = errWrite{err}
		return c.writeErr
	}
	c.spool = c.arch.addMember(name, c.spool, size)
	return nil
}

// lineFilter passes whole lines for which keep is true. A line longer than
// 1 MiB is dropped rather than buffered.
type lineFilter struct {
	w    io.Writer
	keep func([]byte) bool
	buf  []byte
	// dropFirst drops the current (partial) line.
	dropFirst bool
}

func (l *lineFilter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if len(l.buf)+len(p) > 1<<20 {
				l.buf = l.buf[:0]
				l.dropFirst = true
			} else if !l.dropFirst {
				l.buf = append(l.buf, p...)
			}
			break
		}
		line := p[:i+1]
		if len(l.buf) > 0 {
			l.buf = append(l.buf, line...)
			line = l.buf
		}
		p = p[i+1:]
		if l.dropFirst {
			l.dropFirst = false
		} else if l.keep(line) {
			if _, err := l.w.Write(line); err != nil {
				return 0, err
			}
		}
		l.buf = l.buf[:0]
	}
	return n, nil
}

// Flush writes a last unterminated line if it is kept.
func (l *lineFilter) Flush() error {
	if len(l.buf) > 0 && !l.dropFirst && l.keep(l.buf) {
		if _, err := l.w.Write(l.buf); err != nil {
			return err
		}
	}
	l.buf = l.buf[:0]
	return nil
}
