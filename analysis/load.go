package analysis

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/netsnap/netsnap/analysis/model"
	"github.com/netsnap/netsnap/analysis/parse"
	"github.com/netsnap/netsnap/snapshot"
	"github.com/netsnap/netsnap/snapshot/collect/sockdiag"
)

// essential sources are the ones whose absence the report calls a problem;
// others (conntrack when not loaded, rc.local) are simply facts.
var essential = map[string]bool{
	"uptime": true, "tcp": true, "netstat": true, "snmp": true, "sockstat": true,
	"sysctl-net": true, "slabinfo": true, "kernel": true,
}

// Load parses a snapshot into a host model. It fails only when the snapshot
// cannot be read at all; malformed lines and missing sources become
// Problems.
func Load(snap *snapshot.Snapshot) (*model.Host, error) {
	m := snap.Manifest
	l := &loader{snap: snap, h: &model.Host{
		Hostname:      m.Hostname,
		KernelRelease: m.KernelRelease,
		CPUs:          m.CPUs,
		Live:          m.Live,
		CaptureStart:  m.Start,
		CaptureEnd:    m.End,
		Partial:       m.Partial,
		PartialReason: m.PartialReason,
		BootID:        m.BootID,
		Collector:     strings.TrimSpace(m.Tool + " " + m.ToolVersion),
		Kernel:        map[string]*model.KernelEvents{},
	}}
	l.collectionProblems()
	l.sysctls()
	l.osRelease()
	for _, s := range m.Samples {
		l.sample(s)
	}
	for i := 1; i < len(l.h.Samples); i++ {
		a, b := l.h.Samples[i-1], l.h.Samples[i]
		if b.Uptime > 0 && b.Uptime < a.Uptime {
			l.problem("proc/uptime", 0, fmt.Sprintf("uptime went down from %.0f s to %.0f s between samples %d and %d: the host rebooted, so changes during the capture are not computed", a.Uptime, b.Uptime, a.Index, b.Index))
		}
	}
	l.conntrackTable()
	l.kernelLog()
	l.processes()
	for _, n := range m.Nginx {
		l.h.Nginx = append(l.h.Nginx, model.NginxInstance{PID: n.PID, Workers: n.Workers, Flavor: n.Flavor, Conf: n.Conf, Prefix: n.Prefix})
	}
	l.nginx()
	return l.h, nil
}

type loader struct {
	snap *snapshot.Snapshot
	h    *model.Host
	// ephemeral range and reserved ports, from the sysctls
	portLo, portHi int
	reserved       []portRange
}

type portRange struct{ lo, hi int }

// open opens an archive entry; a missing one is (nil, false) without a problem.
func (l *loader) open(name string) (fs.File, bool) {
	f, err := l.snap.Open(name)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			l.problem(name, 0, err.Error())
		}
		return nil, false
	}
	return f, true
}

func (l *loader) problem(file string, line int, msg string) {
	l.h.Problems = append(l.h.Problems, model.Problem{File: file, Line: line, Message: msg})
}

// problems moves a parser's malformed lines into the host's problems.
func (l *loader) problems(p *parse.Problems) {
	for _, q := range p.First {
		l.problem(p.File, q.Line, q.Msg)
	}
	if more := p.Count - len(p.First); more > 0 {
		l.problem(p.File, 0, fmt.Sprintf("%d more malformed lines", more))
	}
}

// parseEntry opens an entry and runs fn on it, recording read errors and malformed lines.
func (l *loader) parseEntry(name string, fn func(r io.Reader, p *parse.Problems) error) bool {
	f, ok := l.open(name)
	if !ok {
		return false
	}
	defer f.Close()
	p := &parse.Problems{File: name}
	if err := fn(f, p); err != nil {
		l.problem(name, 0, err.Error())
	}
	l.problems(p)
	return true
}

// collectionProblems turns the manifest's failed sources into problems.
func (l *loader) collectionProblems() {
	m := l.snap.Manifest
	if m.Partial {
		l.problem("manifest.json", 0, "partial capture: "+m.PartialReason)
	}
	for _, s := range m.Sources {
		var msg string
		switch s.Status {
		case snapshot.StatusOK:
			if s.Truncated && s.Filter == "" && !strings.HasPrefix(s.Path, "/var/log") && s.Name != "kmsg" && s.Name != "journal-kernel" && s.Name != "nginx" {
				msg = fmt.Sprintf("cut at %d bytes by the collector's cap: counts from it are lower bounds", s.Bytes)
			}
		case snapshot.StatusMissing:
			if essential[s.Name] {
				msg = "not captured: " + s.Error
			}
		case snapshot.StatusSkipped:
		default:
			msg = s.Status + ": " + s.Error
		}
		if msg == "" {
			continue
		}
		file := s.Path
		if s.Sample > 0 {
			file = fmt.Sprintf("%s (sample %d)", s.Path, s.Sample)
		}
		l.problem(file, 0, msg)
	}
}

func (l *loader) sysctls() {
	p := &parse.Problems{File: "proc/sys"}
	sys, err := parse.SysctlTree(l.snap, "proc/sys", p)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		l.problem("proc/sys", 0, err.Error())
	}
	l.problems(p)
	if sys == nil {
		sys = model.Sysctls{}
	}
	l.h.Sysctls = sys
	if lo, hi, ok := sysctlRange(sys["net.ipv4.ip_local_port_range"]); ok {
		l.portLo, l.portHi = lo, hi
	} else {
		l.portLo, l.portHi = 32768, 60999 // the kernel's default
	}
	l.reserved = parseReserved(sys["net.ipv4.ip_local_reserved_ports"])
	for k := range sys {
		if rest, ok := strings.CutPrefix(k, "net.ipv4.conf."); ok {
			if i := strings.LastIndexByte(rest, '.'); i > 0 {
				name := rest[:i]
				if name != "all" && name != "default" {
					l.h.Interfaces = append(l.h.Interfaces, name)
				}
			}
		}
	}
	l.h.Interfaces = uniqSorted(l.h.Interfaces)

	// Persisted settings: sysctl.conf, sysctl.d (in the order sysctl --system applies them), rc.local.
	var confs []string
	for _, e := range l.snap.Entries() {
		n := e.Name
		switch {
		case n == "etc/sysctl.conf", strings.Contains(n, "sysctl.d/") && strings.HasSuffix(n, ".conf"):
			confs = append(confs, n)
		}
	}
	sort.Slice(confs, func(i, j int) bool { return path.Base(confs[i]) < path.Base(confs[j]) })
	for _, n := range confs {
		l.parseEntry(n, func(r io.Reader, p *parse.Problems) error {
			s, err := parse.SysctlConf(r, "/"+n, p)
			l.h.Persisted = append(l.h.Persisted, s...)
			return err
		})
	}
	for _, n := range []string{"etc/rc.local", "etc/rc.d/rc.local"} {
		l.parseEntry(n, func(r io.Reader, p *parse.Problems) error {
			s, err := parse.RCLocal(r, "/"+n, p)
			l.h.Persisted = append(l.h.Persisted, s...)
			return err
		})
	}
}

func (l *loader) osRelease() {
	f, ok := l.open("etc/os-release")
	if !ok {
		return
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, 64<<10))
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			l.h.OS = strings.Trim(v, `"'`)
		}
	}
}

// sysctlRange reads "32768 60999".
func sysctlRange(v string) (lo, hi int, ok bool) {
	f := strings.Fields(v)
	if len(f) != 2 {
		return 0, 0, false
	}
	a, err1 := strconv.Atoi(f[0])
	b, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || a <= 0 || b < a || b > 65535 {
		return 0, 0, false
	}
	return a, b, true
}

// parseReserved reads ip_local_reserved_ports: "8080,9000-9010".
func parseReserved(v string) []portRange {
	var out []portRange
	for _, part := range strings.Split(strings.TrimSpace(v), ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				continue
			}
		}
		out = append(out, portRange{a, b})
	}
	return out
}

func (l *loader) isEphemeral(port uint16) bool {
	p := int(port)
	if p < l.portLo || p > l.portHi {
		return false
	}
	for _, r := range l.reserved {
		if p >= r.lo && p <= r.hi {
			return false
		}
	}
	return true
}

func (l *loader) sample(s snapshot.Sample) {
	dir := s.Dir + "/"
	smp := model.Sample{Index: s.Index, Time: s.Start, ConntrackCount: -1}
	l.parseEntry(dir+"proc/uptime", func(r io.Reader, p *parse.Problems) error {
		up, _, err := parse.Uptime(r)
		smp.Uptime = up
		return err
	})
	smp.TCP = l.tcp(dir)
	smp.Counters = model.Counters{}
	for _, name := range []string{"proc/net/netstat", "proc/net/snmp"} {
		l.parseEntry(dir+name, func(r io.Reader, p *parse.Problems) error {
			c, err := parse.Counters(r, p)
			for g, m := range c {
				smp.Counters[g] = m
			}
			return err
		})
	}
	l.parseEntry(dir+"proc/net/sockstat", func(r io.Reader, p *parse.Problems) error {
		st, err := parse.Sockstat(r, p)
		smp.Sockstat = &st
		return err
	})
	for _, name := range []string{"proc/sys/net/netfilter/nf_conntrack_count", "proc/sys/net/ipv4/netfilter/ip_conntrack_count"} {
		if l.parseEntry(dir+name, func(r io.Reader, p *parse.Problems) error {
			b, err := io.ReadAll(io.LimitReader(r, 64))
			if err != nil {
				return err
			}
			n, perr := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
			if perr != nil {
				p.Addf(1, "not a count: %q", strings.TrimSpace(string(b)))
				return nil
			}
			smp.ConntrackCount = n
			return nil
		}) {
			break
		}
	}
	for _, name := range []string{"proc/net/stat/nf_conntrack", "proc/net/stat/ip_conntrack"} {
		if l.parseEntry(dir+name, func(r io.Reader, p *parse.Problems) error {
			st, err := parse.ConntrackStat(r, p)
			smp.ConntrackStat = st
			return err
		}) {
			break
		}
	}
	l.parseEntry(dir+"proc/slabinfo", func(r io.Reader, p *parse.Problems) error {
		sl, err := parse.Slabinfo(r, p)
		smp.Slabs = sl
		return err
	})
	l.parseEntry(dir+"proc/sys/fs/file-nr", func(r io.Reader, p *parse.Problems) error {
		a, u, mx, err := parse.FileNr(r)
		smp.FileNr = [3]int64{a, u, mx}
		return err
	})
	smp.HasListenerBacklog = l.parseEntry(dir+"netsnap/listeners.txt", func(r io.Reader, p *parse.Problems) error {
		ls, errs := sockdiag.Parse(r)
		for _, e := range errs {
			p.Addf(0, "%v", e)
		}
		for _, x := range ls {
			smp.Listeners = append(smp.Listeners, model.Listener{Local: unmap(x.Addr), Queue: x.RecvQ, Backlog: x.SendQ, Inode: x.Inode, UID: x.UID})
		}
		return nil
	})
	if !smp.HasListenerBacklog && smp.TCP != nil {
		// netsnap's socket table gives each listener's backlog as its
		// send_q; /proc/net/tcp gives the queue but not the backlog.
		smp.HasListenerBacklog = smp.TCP.FromSockDiag
		for _, s := range smp.TCP.Listen {
			ln := model.Listener{Local: s.Local, Queue: s.RxQueue, Inode: s.Inode, UID: s.UID}
			if smp.TCP.FromSockDiag {
				ln.Backlog = s.TxQueue
			}
			smp.Listeners = append(smp.Listeners, ln)
		}
	}
	l.h.Samples = append(l.h.Samples, smp)
}

func unmap(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}

// tcp streams a sample's socket table (netsnap's, or tcp and tcp6) into
// one aggregate.
func (l *loader) tcp(dir string) *model.TCPSample {
	var prev []model.Socket
	if n := len(l.h.Samples); n > 0 && l.h.Samples[n-1].TCP != nil {
		prev = l.h.Samples[n-1].TCP.Listen
	}
	// Parsed already, while the archive was read (OpenSnapshot)?
	if ts, ok := l.snap.Prepared.(*tableStream); ok {
		for _, diag := range []bool{true, false} {
			if s := ts.take(dir, diag, prev); s != nil {
				for _, p := range s.problems {
					l.problems(p)
				}
				t := s.agg.finish(l.isEphemeral)
				t.FromSockDiag = diag
				return t
			}
		}
	}
	a := newTCPAgg(prev)
	// netsnap's socket table (NETLINK_SOCK_DIAG) when the collector could
	// dump one, else the kernel's tables verbatim.
	if l.parseEntry(dir+tcpTableArchive, func(r io.Reader, p *parse.Problems) error {
		return parseTableParallel(r, p, a.add)
	}) {
		t := a.finish(l.isEphemeral)
		t.FromSockDiag = true
		return t
	}
	found := false
	for _, name := range []string{"proc/net/tcp", "proc/net/tcp6"} {
		found = l.parseEntry(dir+name, func(r io.Reader, p *parse.Problems) error {
			return parse.TCP(r, p, a.add)
		}) || found
	}
	if !found {
		return nil
	}
	return a.finish(l.isEphemeral)
}

// tcpTableArchive is the archive name, within a sample, of the socket table
// netsnap writes from a NETLINK_SOCK_DIAG dump.
const tcpTableArchive = "netsnap/tcp.txt"

func (l *loader) conntrackTable() {
	for _, name := range []string{"proc/net/nf_conntrack", "proc/net/ip_conntrack"} {
		ct := &model.ConntrackTable{ByProto: map[string]int{}, ByTCPState: map[string]int{}}
		if l.parseEntry(name, func(r io.Reader, p *parse.Problems) error {
			return parse.Conntrack(r, p, func(e *model.ConntrackEntry) {
				ct.Entries++
				ct.ByProto[e.Proto]++
				if e.State != "" {
					ct.ByTCPState[e.State]++
				}
				if e.Assured {
					ct.Assured++
				}
				if e.Unreplied {
					ct.Unreplied++
				}
			})
		}) {
			for _, s := range l.snap.Manifest.Source("conntrack-table") {
				ct.Truncated = ct.Truncated || s.Truncated
			}
			l.h.Conntrack = ct
			return
		}
	}
}

// kernelLog counts the kernel messages the rules read, from one family of
// sources so that no message is counted twice: kern.log (with its
// rotations) when present; else the kernel lines of syslog/messages (which
// repeat kern.log on Debian and Ubuntu); else the journal; else the ring
// buffer; else the boot-time dmesg files.
func (l *loader) kernelLog() {
	byName := map[string][]string{}
	for _, s := range l.snap.Manifest.Sources {
		if s.Status == snapshot.StatusOK && s.Archive != "" {
			byName[s.Name] = append(byName[s.Name], s.Archive)
		}
	}
	var use []string
	for _, name := range []string{"kern-log", "syslog-kernel", "journal-kernel", "kmsg", "dmesg-log"} {
		if len(byName[name]) > 0 {
			use = byName[name]
			break
		}
	}
	year := l.h.CaptureStart.Year()
	if year < 1971 {
		year = time.Now().Year()
	}
	for _, name := range use {
		format := parse.KernlogFormat(name)
		if format == "" {
			continue
		}
		l.h.KernelLogSources = append(l.h.KernelLogSources, name)
		l.parseEntry(name, func(r io.Reader, p *parse.Problems) error {
			return parse.Kernlog(r, format, year, time.UTC, p, func(rec *model.KernelRecord) {
				// Syslog lines carry no year: a December line read in January belongs to last year.
				if !rec.Time.IsZero() && rec.Time.After(l.h.CaptureStart.Add(48*time.Hour)) {
					rec.Time = rec.Time.AddDate(-1, 0, 0)
				}
				id, detail := parse.ClassifyKernel(rec.Text)
				if id == "" {
					return
				}
				ev := l.h.Kernel[id]
				if ev == nil {
					ev = &model.KernelEvents{ID: id, First: *rec, Details: map[string]int{}}
					l.h.Kernel[id] = ev
				}
				ev.Count++
				ev.Last = *rec
				if detail != "" && len(ev.Details) < 1000 {
					ev.Details[detail]++
				}
			})
		})
	}
}

// processes reads the process table and the owners of the sockets the report names.
func (l *loader) processes() {
	l.parseEntry("netsnap/processes.txt", func(r io.Reader, p *parse.Problems) error {
		ps, err := parse.Processes(r, p)
		l.h.Processes = ps
		return err
	})
	want := map[uint64]bool{}
	for _, s := range l.h.Samples {
		for _, x := range s.Listeners {
			want[x.Inode] = true
		}
		if s.TCP != nil {
			for _, x := range s.TCP.Listen {
				want[x.Inode] = true
			}
			for _, x := range s.TCP.SynSent {
				want[x.Inode] = true
			}
		}
	}
	delete(want, 0)
	l.h.Owners = map[uint64]model.SocketOwner{}
	l.parseEntry("netsnap/socket-owners.txt", func(r io.Reader, p *parse.Problems) error {
		return parse.SocketOwners(r, p, func(o model.SocketOwner) {
			if want[o.Inode] {
				if _, dup := l.h.Owners[o.Inode]; !dup {
					l.h.Owners[o.Inode] = o
				}
			}
		})
	})
}

func uniqSorted(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
