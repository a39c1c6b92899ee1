package analysis

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"path"
	"slices"
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
	// An nginx whose master runs in another network namespace (a pod, a
	// container, an ip netns) belongs to that namespace's model.
	inNS := map[int]bool{}
	for _, ns := range m.NetNS {
		if ns.Skipped == "" && ns.Dir != "" {
			for _, pid := range ns.PIDs {
				inNS[pid] = true
			}
		}
	}
	l.nginxIn = func(pid int) bool { return !inNS[pid] }
	l.loadNginx()
	for i := range m.NetNS {
		if ns := &m.NetNS[i]; ns.Skipped == "" && ns.Dir != "" {
			l.h.Namespaces = append(l.h.Namespaces, loadNetNS(snap, ns, l.h))
		}
	}
	attributeSynFloods(l.h)
	return l.h, nil
}

// attributeSynFloods moves "Possible SYN flooding on port ADDR:PORT" lines
// from the host to the namespace that has that listener. The kernel log is
// one for every namespace, but a listener is in one: a line naming
// 10.255.0.2:9000 is about the namespace listening there. A line naming
// only a port, or an address several namespaces (or the host) listen on,
// stays with the host.
func attributeSynFloods(h *model.Host) {
	ev := h.Kernel["syn-flood"]
	if ev == nil || len(h.Namespaces) == 0 {
		return
	}
	for detail, n := range ev.Details {
		ap, err := netip.ParseAddrPort(detail)
		if err != nil {
			continue
		}
		ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		var owner *model.Host
		owners := 0
		for _, m := range append([]*model.Host{h}, h.Namespaces...) {
			if listensOn(m, ap) {
				owner = m
				owners++
			}
		}
		if owners != 1 || owner == h {
			continue
		}
		to := owner.Kernel["syn-flood"]
		if to == nil {
			to = &model.KernelEvents{ID: ev.ID, First: ev.First, Last: ev.Last, Details: map[string]int{}}
			owner.Kernel["syn-flood"] = to
		}
		to.Count += n
		to.Details[detail] += n
		ev.Count -= n
		delete(ev.Details, detail)
	}
	if ev.Count <= 0 {
		delete(h.Kernel, "syn-flood")
	}
}

// listensOn says whether m has a listener that takes connections to ap.
func listensOn(m *model.Host, ap netip.AddrPort) bool {
	mine := m.NetNS != nil && slices.Contains(m.NetNS.Addrs, ap.Addr())
	for _, s := range m.Samples {
		if s.TCP == nil {
			continue
		}
		for _, l := range s.TCP.Listen {
			la := l.Local.Addr().Unmap()
			if l.Local.Port() == ap.Port() && (la == ap.Addr() || la.IsUnspecified() && mine) {
				return true
			}
		}
	}
	return false
}

// loadNetNS builds the model of one other network namespace from its
// directory (netns/INODE: samples/N/proc/net/..., proc/sys/net/...), with
// the host's identity and clock. Its problems are its own.
func loadNetNS(snap *snapshot.Snapshot, ns *snapshot.NetNS, host *model.Host) *model.Host {
	h := &model.Host{
		Hostname:      host.Hostname,
		KernelRelease: host.KernelRelease,
		OS:            host.OS,
		CPUs:          host.CPUs,
		Live:          host.Live,
		CaptureStart:  host.CaptureStart,
		CaptureEnd:    host.CaptureEnd,
		Partial:       host.Partial,
		PartialReason: host.PartialReason,
		BootID:        host.BootID,
		Collector:     host.Collector,
		Kernel:        map[string]*model.KernelEvents{},
		NetNS: &model.NetNS{Inode: ns.Inode, Name: ns.Name, Kind: ns.Kind, Container: ns.Container, ContainerID: ns.ContainerID,
			Pod: ns.Pod, PodNamespace: ns.PodNamespace, PIDs: ns.PIDs},
	}
	l := &loader{snap: snap, h: h, ns: ns}
	l.collectionProblems()
	l.sysctls()
	for _, s := range snap.Manifest.Samples {
		l.sample(s)
	}
	in := map[int]bool{}
	for _, pid := range ns.PIDs {
		in[pid] = true
	}
	for _, p := range host.Processes {
		if in[p.PID] {
			h.Processes = append(h.Processes, p)
		}
	}
	h.Owners = host.Owners
	l.nginxIn = func(pid int) bool { return in[pid] }
	l.loadNginx()
	h.HostsFile = host.HostsFile
	h.NetNS.Addrs = nsAddrs(h)
	return h
}

// loadNginx loads the nginx instances nginxIn selects: their configuration
// and error logs (nothing when there are none: a namespace without nginx
// reads no /etc/hosts either).
func (l *loader) loadNginx() {
	var insts []snapshot.NginxInstance
	for _, n := range l.snap.Manifest.Nginx {
		if l.nginxIn == nil || l.nginxIn(n.PID) {
			insts = append(insts, n)
		}
	}
	if len(insts) == 0 && l.ns != nil {
		return
	}
	for _, n := range insts {
		l.h.Nginx = append(l.h.Nginx, model.NginxInstance{PID: n.PID, Workers: n.Workers, Flavor: n.Flavor, Conf: n.Conf, Prefix: n.Prefix})
	}
	l.hostFiles = true
	l.nginx(insts)
	l.hostFiles = false
}

// nsAddrs are the addresses a namespace's sockets show as their own.
func nsAddrs(h *model.Host) []netip.Addr {
	seen := map[netip.Addr]bool{}
	var out []netip.Addr
	add := func(a netip.Addr) {
		a = a.Unmap()
		if !a.IsValid() || a.IsUnspecified() || seen[a] {
			return
		}
		seen[a] = true
		out = append(out, a)
	}
	for _, s := range h.Samples {
		if s.TCP == nil {
			continue
		}
		for _, x := range s.TCP.Listen {
			add(x.Local.Addr())
		}
		// An accepted connection's service is its local end.
		for ep := range s.TCP.Incoming {
			add(netip.AddrPort(ep).Addr())
		}
		for d := range s.TCP.PortUse {
			add(d.Local)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Less(out[j]) })
	return out
}

type loader struct {
	snap *snapshot.Snapshot
	h    *model.Host
	// ns is the namespace being loaded (nil: the host): entry names are
	// mapped to its directory, and host-wide entries are not read.
	ns *snapshot.NetNS
	// hostFiles lifts that mapping while the nginx files are read: the
	// collector read them at their paths on the host.
	hostFiles bool
	// nginxIn selects the nginx instances (by master PID) of this model.
	nginxIn func(pid int) bool
	// ephemeral range and reserved ports, from the sysctls
	portLo, portHi int
	reserved       []portRange
}

type portRange struct{ lo, hi int }

// open opens an archive entry; a missing one is (nil, false) without a problem.
func (l *loader) open(name string) (fs.File, bool) {
	name, ok := l.entry(name)
	if !ok {
		return nil, false
	}
	f, err := l.snap.Open(name)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			l.problem(name, 0, err.Error())
		}
		return nil, false
	}
	return f, true
}

// entry maps the name of a host entry to where a namespace keeps its own
// (its net tables per sample, its net settings); host-wide entries a
// namespace shares (the clock, the kernel) are read as they are, and the
// others do not exist for it.
func (l *loader) entry(name string) (string, bool) {
	if l.ns == nil || l.hostFiles {
		return name, true
	}
	if rest, ok := strings.CutPrefix(name, "samples/"); ok {
		_, file, _ := strings.Cut(rest, "/")
		switch {
		case strings.HasPrefix(file, "proc/net/"):
			return l.ns.Dir + "/" + name, true
		case file == "proc/uptime":
			return name, true
		}
		return "", false
	}
	switch {
	case strings.HasPrefix(name, "proc/sys/net/"):
		return l.ns.Dir + "/" + name, true
	case strings.HasPrefix(name, "proc/sys/"), name == "etc/os-release":
		return name, true
	}
	return "", false
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
		if (l.ns != nil) != (s.Name == "netns" || s.Name == "netns-sysctl") || l.ns != nil && !strings.HasPrefix(s.Archive, l.ns.Dir+"/") {
			continue
		}
		if l.ns != nil && s.Status == snapshot.StatusSkipped && s.Name == "netns-sysctl" {
			l.problem(s.Archive, 0, "the namespace's settings were not read ("+s.Error+"): rules that need them stay silent")
			continue
		}
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
	root := "proc/sys"
	if l.ns != nil {
		root = l.ns.Dir + "/proc/sys"
	}
	p := &parse.Problems{File: root}
	sys, err := parse.SysctlTree(l.snap, root, p)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		l.problem(root, 0, err.Error())
	}
	l.problems(p)
	if sys == nil {
		sys = model.Sysctls{}
	}
	l.h.Sysctls = sys
	if l.ns != nil {
		// The host's settings outside net (fs, kernel) hold in every namespace.
		host, _ := parse.SysctlTree(l.snap, "proc/sys", &parse.Problems{})
		for k, v := range host {
			if !strings.HasPrefix(k, "net.") {
				sys[k] = v
			}
		}
	}
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

	if l.ns != nil {
		return // the host's sysctl.conf is not the namespace's
	}
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
	if ts, ok := l.snap.Prepared.(*tableStream); ok && l.ns == nil {
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
