package collect

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/netsnap/netsnap/snapshot"
)

// procInfo is what the process scan keeps of one process: a few numbers,
// and the command line only for nginx-family processes.
type procInfo struct {
	pid, ppid  int
	uid        int
	comm       string
	cmdline    string // NULs turned into spaces; nginx family only
	rawCmdline []byte // nginx family only
	fds        int    // -1 when unknown
	nofileSoft string
	nofileHard string
	nginx      bool
}

// processesArchive is the archive name of the process list.
const processesArchive = "netsnap/processes.txt"

// socketOwnersArchive is the archive name of the socket ownership list.
const socketOwnersArchive = "netsnap/socket-owners.txt"

// nginxNames are the command names of the nginx family.
var nginxNames = map[string]bool{"nginx": true, "openresty": true, "tengine": true}

// scanProcs reads the process table once (cached), bounded by the per-source timeout.
func (c *collector) scanProcs() ([]procInfo, error) {
	if c.procs != nil {
		return c.procs, nil
	}
	ents, err := c.root.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	procs := make([]procInfo, 0, 256)
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		if c.ctx.Err() != nil || time.Since(t0) > c.opt.SourceTimeout {
			break
		}
		p, ok := c.readProc(pid)
		if ok {
			procs = append(procs, p)
		}
	}
	c.procs = procs
	return procs, nil
}

func (c *collector) readProc(pid int) (procInfo, bool) {
	dir := "/proc/" + strconv.Itoa(pid)
	p := procInfo{pid: pid, uid: -1, fds: -1, nofileSoft: "-", nofileHard: "-"}
	stat, err := readHead(c.root, dir+"/stat", 4096)
	if err != nil {
		return p, false // gone, or not a process directory
	}
	// pid (comm) state ppid ...: comm may hold spaces and parentheses.
	open := bytes.IndexByte(stat, '(')
	closeP := bytes.LastIndexByte(stat, ')')
	if open < 0 || closeP < open {
		return p, false
	}
	p.comm = cleanField(string(stat[open+1 : closeP]))
	rest := strings.Fields(string(stat[closeP+1:]))
	if len(rest) >= 2 {
		p.ppid, _ = strconv.Atoi(rest[1])
	}
	if fi, err := c.root.Stat(dir); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			p.uid = int(st.Uid)
		}
	}
	if lim, err := readHead(c.root, dir+"/limits", 8192); err == nil {
		p.nofileSoft, p.nofileHard = parseNofile(lim)
	}
	p.fds = c.countFDs(dir + "/fd")
	raw, err := readHead(c.root, dir+"/cmdline", 8192)
	if err == nil && isNginxProc(p.comm, raw) {
		p.nginx = true
		p.rawCmdline = raw
		p.cmdline = strings.TrimSpace(strings.ReplaceAll(string(raw), "\x00", " "))
	}
	return p, true
}

// isNginxProc tells an nginx, Tengine or OpenResty process by its name or its (rewritten) title.
func isNginxProc(comm string, cmdline []byte) bool {
	if nginxNames[comm] {
		return true
	}
	first, _, _ := strings.Cut(string(cmdline), "\x00")
	if name, _, ok := strings.Cut(first, ": "); ok && nginxNames[name] {
		return true
	}
	return nginxNames[path.Base(strings.Fields(first + " x")[0])]
}

// parseNofile returns the soft and hard "Max open files" of /proc/PID/limits.
func parseNofile(limits []byte) (soft, hard string) {
	for _, line := range strings.Split(string(limits), "\n") {
		if !strings.HasPrefix(line, "Max open files") {
			continue
		}
		f := strings.Fields(strings.TrimPrefix(line, "Max open files"))
		if len(f) >= 2 {
			return f[0], f[1]
		}
	}
	return "-", "-"
}

// countFDs counts the entries of /proc/PID/fd without holding them all.
// Since Linux 6.2 the directory's size is that count (a stat instead of
// listing thousands of descriptors); older kernels report 0 and are listed.
func (c *collector) countFDs(dir string) int {
	fp, err := c.root.Resolve(dir)
	if err != nil {
		return -1
	}
	if c.root.Live() {
		var st syscall.Stat_t
		if err := syscall.Stat(fp, &st); err == nil && st.Size > 0 {
			return int(st.Size)
		}
	}
	f, err := os.Open(fp)
	if err != nil {
		return -1
	}
	defer f.Close()
	n := 0
	for {
		names, err := f.Readdirnames(1024)
		n += len(names)
		if err != nil || len(names) == 0 {
			break
		}
	}
	return n
}

func cleanField(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
	if s == "" {
		return "-"
	}
	return s
}

// processes writes the process list as netsnap/processes.txt.
func processes(c *collector, s *Source, sample int) []snapshot.SourceResult {
	t0 := time.Now()
	r := snapshot.SourceResult{Name: s.Name, Path: "/proc/[0-9]*", Sample: sample}
	procs, err := c.scanProcs()
	if err != nil {
		r.Status, r.Error = statusOf(err), errText(err)
		return []snapshot.SourceResult{r}
	}
	c.spool.Reset()
	fmt.Fprintf(c.spool, "# netsnap processes v1: pid ppid uid comm open_fds nofile_soft nofile_hard cmdline\n")
	fmt.Fprintf(c.spool, "# tab-separated; \"-\" = unknown; cmdline is recorded for nginx-family processes only\n")
	for _, p := range procs {
		cmd := "-"
		if p.nginx && p.cmdline != "" {
			cmd = cleanField(p.cmdline)
		}
		fds := "-"
		if p.fds >= 0 {
			fds = strconv.Itoa(p.fds)
		}
		uid := "-"
		if p.uid >= 0 {
			uid = strconv.Itoa(p.uid)
		}
		fmt.Fprintf(c.spool, "%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", p.pid, p.ppid, uid, p.comm, fds, p.nofileSoft, p.nofileHard, cmd)
	}
	n, err := c.addSpool(processesArchive, 0)
	if err != nil {
		r.Status, r.Error = snapshot.StatusError, err.Error()
		return []snapshot.SourceResult{r}
	}
	r.Archive, r.Bytes, r.Items, r.DurationMS = processesArchive, n, len(procs), c.ms(t0)
	return []snapshot.SourceResult{r}
}

// socketOwners stores what the walk of /proc/*/fd (see walkOwners) found:
// started at the beginning of the capture on a goroutine of its own (it
// overlaps the socket table dumps on the other core), or run now.
func socketOwners(c *collector, s *Source, sample int) []snapshot.SourceResult {
	job := c.owners
	if job == nil {
		job = c.startOwners(s)
	}
	c.owners = nil
	<-job.done
	r := job.r
	if r.Status != "" && r.Status != snapshot.StatusTimeout {
		job.sp.Close()
		return []snapshot.SourceResult{r}
	}
	if job.sp.err != nil {
		job.sp.Close()
		r.Status, r.Error = snapshot.StatusError, fmt.Sprintf("spool in %s: %v", c.opt.TempDir, job.sp.err)
		return []snapshot.SourceResult{r}
	}
	if err := c.arch.failed(); err != nil {
		job.sp.Close()
		c.writeErr = errWrite{err}
		r.Status, r.Error = snapshot.StatusError, err.Error()
		return []snapshot.SourceResult{r}
	}
	r.Archive, r.Bytes = socketOwnersArchive, job.sp.Len()
	c.arch.give(socketOwnersArchive, job.sp)
	return []snapshot.SourceResult{r}
}

// ownersJob is a walk of /proc/*/fd under way.
type ownersJob struct {
	done chan struct{}
	sp   *spool                // what the walk wrote; handed to the archive
	r    snapshot.SourceResult // its result, valid after done

	// want receives, once, the inodes whose owners the analyzer uses
	// (listening and SYN_SENT sockets of sample 1), or nil for every socket.
	want   chan map[uint32]bool
	sent   bool // want was sent (collector goroutine only)
	cancel context.CancelFunc
}

// ownersFirst is how many fds of each process the first pass of the walk reads.
const ownersFirst = 64

// maxWanted bounds the set of inodes the walk looks for; past it, it reads every fd.
const maxWanted = 1 << 16

// startOwners starts walkOwners on a goroutine of its own, writing to a
// spool of its own.
func (c *collector) startOwners(s *Source) *ownersJob {
	ctx, cancel := context.WithCancel(c.ctx)
	job := &ownersJob{done: make(chan struct{}), sp: newSpool(c.opt.TempDir), want: make(chan map[uint32]bool, 1), cancel: cancel}
	go func() {
		defer close(job.done)
		defer cancel()
		job.r = c.walkOwners(ctx, s, job.sp, job.want)
	}()
	return job
}

// wantOwners tells the walk which inodes it looks for (nil: all). Only the
// first call counts.
func (c *collector) wantOwners(want map[uint32]bool) {
	if c.owners != nil && !c.owners.sent {
		c.owners.sent = true
		c.owners.want <- want
	}
}

// walkOwners walks /proc/*/fd and writes "inode pid fd" for the sockets it
// meets to w, streaming. Reading every fd link costs about as much as the
// socket table on a busy host, and the analyzer only names the owners of
// listening and SYN_SENT sockets, so it goes in two passes: the first
// ownersFirst fds of every process (where servers keep their listeners),
// then, unless the owner of every wanted inode (see wantOwners) was found,
// the rest. It reads only (the collector's root, options and context) and
// runs beside the capture.
func (c *collector) walkOwners(ctx context.Context, s *Source, w io.Writer, wantCh <-chan map[uint32]bool) snapshot.SourceResult {
	t0 := time.Now()
	r := snapshot.SourceResult{Name: s.Name, Path: "/proc/*/fd"}
	ents, err := c.root.ReadDir("/proc")
	if err != nil {
		r.Status, r.Error = statusOf(err), errText(err)
		return r
	}
	io.WriteString(w, "# netsnap socket owners v1: inode pid fd (tab-separated)\n")
	wk := ownerWalk{c: c, ctx: ctx, w: w, t0: t0, link: make([]byte, 128), buf: make([]byte, 0, 64)}
	type rest struct {
		pid  int
		seen []string
	}
	var more []rest
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		seen, full, stop := wk.process(pid, nil, ownersFirst)
		if stop {
			break
		}
		if !full {
			more = append(more, rest{pid, seen})
		}
	}
	var want map[uint32]bool
	if !wk.stopped {
		select {
		case want = <-wantCh:
		case <-ctx.Done():
			wk.stop()
		}
	}
	skipped := 0
	if want != nil && !wk.stopped {
		wk.want = want
		for ino := range want {
			if wk.found[ino] {
				delete(want, ino)
			}
		}
	}
	for _, m := range more {
		if wk.stopped {
			break
		}
		if want != nil && len(want) == 0 {
			skipped++
			continue
		}
		if _, _, stop := wk.process(m.pid, m.seen, -1); stop {
			break
		}
	}
	switch {
	case wk.stopped:
	case skipped > 0:
		r.Error = fmt.Sprintf("owners of all listening and SYN_SENT sockets found: the fds past the first %d of %d processes were not read", ownersFirst, skipped)
	case wk.denied > 0:
		r.Error = fmt.Sprintf("the fds of %d processes could not be read (not root, or restricted by the kernel)", wk.denied)
	}
	if wk.stopped {
		r.Status, r.Error, r.Truncated = snapshot.StatusTimeout, "stopped after "+ms2s(time.Since(t0)), true
	}
	r.Items, r.DurationMS = wk.sockets, c.ms(t0)
	return r
}

// ownerWalk is the state of walkOwners.
type ownerWalk struct {
	c         *collector
	ctx       context.Context
	w         io.Writer
	t0        time.Time
	link, buf []byte
	sockets   int
	denied    int
	stopped   bool
	found     map[uint32]bool // wanted-candidate inodes met in the first pass
	want      map[uint32]bool // in the second pass: inodes still looked for
}

func (wk *ownerWalk) stop() { wk.stopped = true }

// process reads the fd links of one process: at most max names (-1: all),
// skipping those in skip. It returns the names read when it stopped at max,
// full when the process had no more, and stop when the walk must end.
func (wk *ownerWalk) process(pid int, skip []string, max int) (seen []string, full, stop bool) {
	c := wk.c
	dir := "/proc/" + strconv.Itoa(pid) + "/fd/"
	f, err := os.Open(c.root.Path(dir))
	if err != nil {
		if os.IsPermission(err) {
			wk.denied++
		}
		return nil, true, false
	}
	defer f.Close()
	deniedHere := false
	defer func() {
		if deniedHere {
			wk.denied++
		}
	}()
	skipSet := map[string]bool{}
	for _, n := range skip {
		skipSet[n] = true
	}
	for {
		if wk.ctx.Err() != nil || time.Since(wk.t0) > c.opt.SourceTimeout {
			wk.stop()
			return seen, true, true
		}
		batch := 1024
		if max >= 0 {
			batch = max - len(seen)
		}
		names, err := f.Readdirnames(batch)
		for _, name := range names {
			if max >= 0 {
				seen = append(seen, name)
			}
			if skipSet[name] {
				continue
			}
			n, err := syscall.Readlink(c.root.Path(dir+name), wk.link)
			if err == syscall.EACCES || err == syscall.EPERM {
				deniedHere = true
				continue
			}
			link := wk.link
			if err != nil || n < 9 || string(link[:8]) != "socket:[" || link[n-1] != ']' {
				continue
			}
			wk.buf = append(wk.buf[:0], link[8:n-1]...)
			wk.buf = append(wk.buf, '\t')
			wk.buf = strconv.AppendInt(wk.buf, int64(pid), 10)
			wk.buf = append(wk.buf, '\t')
			wk.buf = append(wk.buf, name...)
			wk.buf = append(wk.buf, '\n')
			wk.w.Write(wk.buf)
			wk.sockets++
			if ino, err := strconv.ParseUint(string(link[8:n-1]), 10, 32); err == nil {
				if wk.want != nil {
					delete(wk.want, uint32(ino))
				} else if max >= 0 && len(wk.found) < maxWanted {
					if wk.found == nil {
						wk.found = map[uint32]bool{}
					}
					wk.found[uint32(ino)] = true
				}
			}
		}
		if err != nil || len(names) == 0 {
			return seen, true, false
		}
		if max >= 0 && len(seen) >= max {
			return seen, false, false
		}
		if wk.want != nil && len(wk.want) == 0 {
			return seen, false, false // everything wanted is found
		}
	}
}
