package collect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/netsnap/netsnap/snapshot"
)

// Values of Options.NetNS (besides a list of PIDs).
const (
	NetNSAuto = "auto" // all when root on the live host, or under --root; else host
	NetNSAll  = "all"  // every network namespace that has a process
	NetNSHost = "host" // only netsnap's own namespace, as before namespaces were captured
)

// DefaultNetNSMax bounds the namespaces captured besides the host's.
const DefaultNetNSMax = 256

// NetNSDir is the archive directory of the other network namespaces: each
// is netns/INODE/, laid out like the archive's top (samples/N/proc/net/...,
// proc/sys/net/...), so a reader can analyse it as a host of its own.
const NetNSDir = "netns"

// netnsTables are the files of /proc/PID/net read for each namespace in each
// sample: the namespace's own view, as /proc/net is for netsnap's.
var netnsTables = []string{"tcp", "tcp6", "udp", "udp6", "netstat", "snmp", "sockstat", "sockstat6", "stat/nf_conntrack"}

// netnsSysctls are the per-namespace settings the analyzer reads, below
// /proc/sys/net. /proc only shows the reader's own namespace's values, so
// they are read by a thread that joins the namespace (see readInNetNS).
var netnsSysctls = []string{
	"core/somaxconn",
	"ipv4/ip_local_port_range",
	"ipv4/ip_local_reserved_ports",
	"ipv4/tcp_max_tw_buckets",
	"ipv4/tcp_tw_reuse",
	"ipv4/tcp_fin_timeout",
	"ipv4/tcp_max_syn_backlog",
	"ipv4/tcp_syncookies",
	"ipv4/tcp_abort_on_overflow",
	"ipv4/tcp_timestamps",
	"ipv4/tcp_keepalive_time",
	"ipv4/tcp_keepalive_intvl",
	"ipv4/tcp_keepalive_probes",
	"ipv4/tcp_max_orphans",
	"ipv4/tcp_mem",
	"ipv4/ip_forward",
	"netfilter/nf_conntrack_max",
	"netfilter/nf_conntrack_count",
	"netfilter/nf_conntrack_buckets",
	"netfilter/nf_conntrack_tcp_timeout_time_wait",
}

// ParseNetNS checks a --netns value: auto, all, host, or PIDs separated by commas.
func ParseNetNS(v string) ([]int, error) {
	switch v {
	case "", NetNSAuto, NetNSAll, NetNSHost:
		return nil, nil
	}
	var pids []int
	for _, f := range strings.Split(v, ",") {
		pid, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || pid <= 0 {
			return nil, fmt.Errorf("--netns %q: want auto, all, host or process IDs separated by commas", v)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

// netnsState is what the collector knows of the other namespaces, found
// when the first namespace source runs.
type netnsState struct {
	done bool
	list []*netnsView
}

// netnsView is one network namespace other than netsnap's own.
type netnsView struct {
	m    *snapshot.NetNS
	pids []int // processes in it when the capture began, sorted
}

// netnsLink reads the namespace inode from a /proc/PID/ns/net link target, "net:[4026531840]".
func netnsLink(target string) (uint64, bool) {
	s, ok := strings.CutPrefix(target, "net:[")
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, "]")
	if !ok {
		return 0, false
	}
	ino, err := strconv.ParseUint(s, 10, 64)
	return ino, err == nil && ino > 0
}

// pidNetNS is the namespace inode of a process (0 when it cannot be read).
func (c *collector) pidNetNS(pid int) uint64 {
	t, err := c.root.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/net")
	if err != nil {
		return 0
	}
	ino, _ := netnsLink(t)
	return ino
}

// hostNetNS is netsnap's own namespace: the one /proc/net shows. Under
// --root it is /proc/self's in the tree if there is one, else PID 1's.
func (c *collector) hostNetNS(pids []int) uint64 {
	if t, err := c.root.Readlink("/proc/self/ns/net"); err == nil {
		if ino, ok := netnsLink(t); ok {
			return ino
		}
	}
	if c.root.Live() {
		return 0
	}
	if ino := c.pidNetNS(1); ino != 0 {
		return ino
	}
	if len(pids) > 0 {
		return c.pidNetNS(pids[0])
	}
	return 0
}

// discoverNetNS finds the namespaces to capture, once. It returns nil when
// there are none besides netsnap's own, or --netns host.
func (c *collector) discoverNetNS() []*netnsView {
	st := &c.netns
	if st.done {
		return st.list
	}
	st.done = true
	mode := c.opt.NetNS
	if mode == "" || mode == NetNSAuto {
		mode = NetNSAll
		if c.root.Live() && os.Geteuid() != 0 {
			mode = NetNSHost
		}
	}
	if mode == NetNSHost {
		return nil
	}
	ents, err := c.root.ReadDir("/proc")
	if err != nil {
		c.m.Warnings = append(c.m.Warnings, "network namespaces not captured: "+errText(err))
		return nil
	}
	var pids []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	sort.Ints(pids)
	host := c.hostNetNS(pids)
	byIno := map[uint64]*netnsView{}
	var order []*netnsView
	for _, pid := range pids {
		ino := c.pidNetNS(pid)
		if ino == 0 || ino == host {
			continue
		}
		v := byIno[ino]
		if v == nil {
			v = &netnsView{m: &snapshot.NetNS{Inode: ino}}
			byIno[ino] = v
			order = append(order, v)
		}
		v.pids = append(v.pids, pid)
	}
	if want, _ := ParseNetNS(c.opt.NetNS); want != nil {
		keep := map[uint64]bool{}
		for _, pid := range want {
			ino := c.pidNetNS(pid)
			switch {
			case ino == 0:
				c.m.Warnings = append(c.m.Warnings, fmt.Sprintf("--netns: process %d not found (or its namespace unreadable)", pid))
			case ino == host:
				// the host's view is captured anyway
			default:
				keep[ino] = true
			}
		}
		order = slices.DeleteFunc(order, func(v *netnsView) bool { return !keep[v.m.Inode] })
	}
	max := c.opt.NetNSMax
	if max <= 0 {
		max = DefaultNetNSMax
	}
	if len(order) > max {
		c.m.Warnings = append(c.m.Warnings, fmt.Sprintf("%d network namespaces found; only the first %d (by lowest PID) were captured (--netns-max)", len(order), max))
		for _, v := range order[max:] {
			v.m.Skipped = "over --netns-max"
			v.m.PIDs = v.pids
		}
	}
	skipped := order[min(max, len(order)):]
	order = order[:min(max, len(order))]
	t0 := time.Now()
	names := newNamer(c)
	for _, v := range order {
		v.m.Dir = fmt.Sprintf("%s/%d", NetNSDir, v.m.Inode)
		v.m.PIDs = v.pids
		if c.ctx.Err() == nil && time.Since(t0) < c.opt.SourceTimeout {
			names.name(v)
		}
	}
	for _, v := range order {
		c.m.NetNS = append(c.m.NetNS, *v.m)
	}
	for _, v := range skipped {
		c.m.NetNS = append(c.m.NetNS, *v.m)
	}
	st.list = order
	return order
}

// livePID returns a process still in namespace v (PIDs are reused: its link
// is checked before each read), or 0.
func (c *collector) livePID(v *netnsView) int {
	for _, pid := range v.pids {
		if c.pidNetNS(pid) == v.m.Inode {
			return pid
		}
	}
	return 0
}

// netnsTablesSource captures each namespace's /proc/PID/net tables in a
// sample: one result per namespace.
func netnsTablesSource(c *collector, s *Source, sample int) []snapshot.SourceResult {
	list := c.discoverNetNS()
	var out []snapshot.SourceResult
	for _, v := range list {
		dir := fmt.Sprintf("%s/samples/%d/proc/net", v.m.Dir, sample)
		r := snapshot.SourceResult{Name: s.Name, Path: "/proc/PID/net", Archive: dir, Sample: sample}
		if c.ctx.Err() != nil {
			r.Status, r.Error = snapshot.StatusSkipped, "capture deadline reached first"
			out = append(out, r)
			continue
		}
		pid := c.livePID(v)
		if pid == 0 {
			r.Status, r.Error = snapshot.StatusMissing, "no process left in the namespace"
			out = append(out, r)
			continue
		}
		t0 := time.Now()
		r.Path = fmt.Sprintf("/proc/%d/net", pid)
		var missing []string
		for _, f := range netnsTables {
			one := c.captureFile(s.Name, r.Path+"/"+f, dir+"/"+f, sample, c.opt.TableMaxBytes, headMode, nil)
			switch {
			case one.Status == "" || one.Status == snapshot.StatusOK:
				r.Files++
				r.Bytes += one.Bytes
				r.Truncated = r.Truncated || one.Truncated
			case one.Status == snapshot.StatusMissing:
				missing = append(missing, f)
			default:
				if r.Error == "" {
					r.Status, r.Error = one.Status, f+": "+one.Error
				}
			}
			if c.writeErr != nil {
				return append(out, r)
			}
		}
		if r.Files == 0 && r.Status == "" {
			r.Status, r.Error = snapshot.StatusMissing, "no table could be read"
		} else if len(missing) > 0 && r.Error == "" {
			r.Error = "not present: " + strings.Join(missing, " ")
		}
		r.DurationMS = c.ms(t0)
		out = append(out, r)
	}
	return out
}

// netnsSysctlSource reads each namespace's settings through a thread that
// joins it; only on the live host, as root.
func netnsSysctlSource(c *collector, s *Source, _ int) []snapshot.SourceResult {
	list := c.discoverNetNS()
	var out []snapshot.SourceResult
	for _, v := range list {
		dir := v.m.Dir + "/proc/sys/net"
		r := snapshot.SourceResult{Name: s.Name, Path: "setns /proc/PID/ns/net; /proc/sys/net", Archive: dir}
		pid := 0
		switch {
		case !c.root.Live():
			r.Status, r.Error = snapshot.StatusSkipped, "needs the live kernel (not read under --root)"
		case c.ctx.Err() != nil:
			r.Status, r.Error = snapshot.StatusSkipped, "capture deadline reached first"
		case sysSetns == 0:
			r.Status, r.Error = snapshot.StatusSkipped, "setns not known on "+runtime.GOARCH
		default:
			pid = c.livePID(v)
			if pid == 0 {
				r.Status, r.Error = snapshot.StatusMissing, "no process left in the namespace"
			}
		}
		if pid == 0 {
			out = append(out, r)
			continue
		}
		t0 := time.Now()
		r.Path = fmt.Sprintf("setns /proc/%d/ns/net; /proc/sys/net", pid)
		files, err := readInNetNS(c.ctx, c.opt.SourceTimeout, pid, v.m.Inode, netnsSysctls)
		if err != nil {
			r.Status, r.Error = statusOf(err), errText(err)
		}
		for _, f := range files {
			if f.err != nil {
				continue
			}
			c.spool.Reset()
			c.spool.Write(f.data)
			n, err := c.addSpool(dir+"/"+f.name, 0)
			if err != nil {
				r.Status, r.Error = snapshot.StatusError, err.Error()
				return append(out, r)
			}
			r.Files++
			r.Bytes += n
		}
		if r.Files == 0 && r.Status == "" {
			r.Status, r.Error = snapshot.StatusError, "no setting could be read"
		}
		r.DurationMS = c.ms(t0)
		out = append(out, r)
	}
	return out
}

// nsFile is one file read inside a namespace.
type nsFile struct {
	name string
	data []byte
	err  error
}

// errNetNSChanged: the process left the namespace (or its PID was reused)
// between finding it and joining it.
var errNetNSChanged = errors.New("the process is no longer in that network namespace")

// readInNetNS reads /proc/sys/net/NAME for each of names as seen from the
// network namespace of pid, which must still be inode ino. A goroutine locks
// itself to an OS thread other than the main one, joins the namespace with
// setns(2) and reads the files, and nothing else; it never unlocks the
// thread, so the Go runtime ends the thread with the goroutine and no other
// code ever runs in the namespace. Joining a namespace changes nothing in it.
func readInNetNS(ctx context.Context, timeout time.Duration, pid int, ino uint64, names []string) ([]nsFile, error) {
	type result struct {
		files []nsFile
		err   error
	}
	ch := make(chan result, 1)
	join := func() {
		runtime.LockOSThread()
		// No UnlockOSThread: the thread exits with this goroutine.
		files, err := joinAndRead(pid, ino, names)
		ch <- result{files, err}
	}
	go func() {
		runtime.LockOSThread()
		if syscall.Gettid() != os.Getpid() {
			join()
			return
		}
		// This is the main thread. The runtime never ends it (a goroutine
		// that exits locked to it only wedges it), and /proc/self/net, which
		// every /proc/net read of netsnap goes through, shows the main
		// thread's namespace: a join here would move the whole capture into
		// the container. Hold the main thread and join from another, which
		// the scheduler must then use.
		go join()
		r := <-ch
		runtime.UnlockOSThread()
		ch <- r
	}()
	tm := time.NewTimer(timeout)
	defer tm.Stop()
	select {
	case r := <-ch:
		return r.files, r.err
	case <-tm.C:
		return nil, fmt.Errorf("%w after %s", errTimeout, timeout)
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: capture interrupted", errTimeout)
	}
}

// joinAndRead runs on a locked thread of its own (see readInNetNS).
func joinAndRead(pid int, ino uint64, names []string) ([]nsFile, error) {
	nsPath := fmt.Sprintf("/proc/%d/ns/net", pid)
	fd, err := syscall.Open(nsPath, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: nsPath, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, &os.PathError{Op: "stat", Path: nsPath, Err: err}
	}
	if st.Ino != ino {
		return nil, fmt.Errorf("%w (inode %d, was %d)", errNetNSChanged, st.Ino, ino)
	}
	if _, _, e := syscall.RawSyscall(sysSetns, uintptr(fd), syscall.CLONE_NEWNET, 0); e != 0 {
		return nil, &os.PathError{Op: "setns", Path: nsPath, Err: e}
	}
	out := make([]nsFile, 0, len(names))
	buf := make([]byte, 64<<10)
	for _, n := range names {
		data, err := readSmall("/proc/sys/net/"+n, buf)
		out = append(out, nsFile{name: n, data: data, err: err})
	}
	return out, nil
}

// readSmall reads a small /proc file with plain system calls (no poller).
func readSmall(p string, buf []byte) ([]byte, error) {
	fd, err := syscall.Open(p, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	n := 0
	for n < len(buf) {
		k, err := syscall.Read(fd, buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if k == 0 {
			break
		}
		n += k
	}
	return bytes.Clone(buf[:n]), nil
}
