package facts

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/netsnap/netsnap/analysis/model"
	"github.com/netsnap/netsnap/analysis/report"
)

// autoPortStart is where the kernel's default ephemeral range begins.
const autoPortStart = 32768

// TimeWaitSeconds is how long Linux keeps a socket in TIME_WAIT (TCP_TIMEWAIT_LEN, fixed at 60 s).
const TimeWaitSeconds = 60

// Compute derives every fact and evidence table from a host. labels names
// service endpoints (an nginx upstream's servers); it may be nil.
func Compute(h *model.Host, labels map[netip.AddrPort]string) *Facts {
	f := &Facts{Tables: map[string]report.Table{}, Charts: []report.Chart{}}
	c := &computer{h: h, f: f, labels: labels}
	c.host()
	c.sysctl()
	c.tcp()
	c.tw()
	c.ports()
	c.listen()
	c.syn()
	c.conntrack()
	c.sockstat()
	c.churn()
	c.synSent()
	c.closeWait()
	c.kernel()
	c.nginx()
	c.sysctlTable()
	return f
}

type computer struct {
	h      *model.Host
	f      *Facts
	labels map[netip.AddrPort]string
	// unresolved lists upstream servers named by DNS names the snapshot cannot resolve.
	unresolved []string
}

// samplesWithTCP returns the samples that have a socket table.
func (c *computer) samplesWithTCP() []model.Sample {
	var out []model.Sample
	for _, s := range c.h.Samples {
		if s.TCP != nil {
			out = append(out, s)
		}
	}
	return out
}

func (c *computer) host() {
	h, f := c.h, &c.f.Host
	f.Hostname, f.Kernel, f.Samples = h.Hostname, h.KernelRelease, len(h.Samples)
	if n := len(h.Samples); n > 0 {
		f.Uptime = h.Samples[n-1].Uptime
		f.Duration = h.Samples[n-1].Time.Sub(h.Samples[0].Time).Seconds()
		for i := 1; i < n; i++ {
			if h.Samples[i].Uptime > 0 && h.Samples[i].Uptime < h.Samples[i-1].Uptime {
				f.Rebooted = true
			}
		}
	}
	f.Proxy = len(h.Nginx) > 0
	for _, n := range h.Nginx {
		if n.PID > 0 {
			f.ProxyRunning = true
		}
	}
	for _, p := range h.Processes {
		switch p.Comm {
		case "nginx", "openresty", "tengine":
			f.Proxy, f.ProxyRunning = true, true
		}
	}
	f.NATInterfaces = []string{}
	for _, name := range h.Interfaces {
		for _, prefix := range []string{"docker", "br-", "cni", "flannel", "cali", "cilium", "kube-", "weave", "vxlan", "virbr", "lxc", "podman", "veth"} {
			if strings.HasPrefix(name, prefix) {
				f.NATInterfaces = append(f.NATInterfaces, name)
				break
			}
		}
	}
}

// num reads a sysctl as an integer (the first field); -1 when absent or not a number.
func (c *computer) num(key string) int64 {
	v, ok := c.h.Sysctls[key]
	if !ok {
		return -1
	}
	fields := strings.Fields(v)
	if len(fields) == 0 {
		return -1
	}
	n, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// firstNum returns the first of the keys that is present.
func (c *computer) firstNum(keys ...string) int64 {
	for _, k := range keys {
		if n := c.num(k); n >= 0 {
			return n
		}
	}
	return -1
}

func (c *computer) sysctl() {
	s := &c.f.Sysctl
	s.TWBuckets = c.num("net.ipv4.tcp_max_tw_buckets")
	s.PortLow, s.PortHigh = 32768, 60999
	if f := strings.Fields(c.h.Sysctls["net.ipv4.ip_local_port_range"]); len(f) == 2 {
		lo, err1 := strconv.ParseInt(f[0], 10, 64)
		hi, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 == nil && err2 == nil && lo > 0 && hi >= lo {
			s.PortLow, s.PortHigh = lo, hi
		}
	}
	s.ReservedPorts = strings.TrimSpace(c.h.Sysctls["net.ipv4.ip_local_reserved_ports"])
	s.Somaxconn = c.num("net.core.somaxconn")
	s.SynBacklog = c.num("net.ipv4.tcp_max_syn_backlog")
	s.Syncookies = c.num("net.ipv4.tcp_syncookies")
	s.AbortOnOverflow = c.num("net.ipv4.tcp_abort_on_overflow")
	s.TWReuse = c.num("net.ipv4.tcp_tw_reuse")
	s.TWRecycle = c.num("net.ipv4.tcp_tw_recycle")
	s.Timestamps = c.num("net.ipv4.tcp_timestamps")
	s.FinTimeout = c.num("net.ipv4.tcp_fin_timeout")
	s.KeepaliveTime = c.num("net.ipv4.tcp_keepalive_time")
	s.KeepaliveIntvl = c.num("net.ipv4.tcp_keepalive_intvl")
	s.KeepaliveProbes = c.num("net.ipv4.tcp_keepalive_probes")
	s.MaxOrphans = c.num("net.ipv4.tcp_max_orphans")
	s.TCPMem = []int64{}
	for _, v := range strings.Fields(c.h.Sysctls["net.ipv4.tcp_mem"]) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			break
		}
		s.TCPMem = append(s.TCPMem, n)
	}
	s.ConntrackMax = c.firstNum("net.netfilter.nf_conntrack_max", "net.nf_conntrack_max", "net.ipv4.netfilter.ip_conntrack_max")
	s.ConntrackBuckets = c.firstNum("net.netfilter.nf_conntrack_buckets", "net.ipv4.netfilter.ip_conntrack_buckets")
	s.IPForward = c.num("net.ipv4.ip_forward")
	s.FileMax = c.num("fs.file-max")
	s.Unpersisted = []string{}
}

// stateMax returns the largest count of a state over the samples.
func (c *computer) stateMax(st model.TCPState) int {
	m := 0
	for _, s := range c.samplesWithTCP() {
		m = max(m, s.TCP.States[st])
	}
	return m
}

func (c *computer) tcp() {
	t := &c.f.TCP
	for _, s := range c.samplesWithTCP() {
		t.Total = max(t.Total, s.TCP.Total)
	}
	t.Established = c.stateMax(model.Established)
	t.SynSent = c.stateMax(model.SynSent)
	t.SynRecv = c.stateMax(model.SynRecv)
	t.FinWait1 = c.stateMax(model.FinWait1)
	t.FinWait2 = c.stateMax(model.FinWait2)
	t.TimeWait = c.stateMax(model.TimeWait)
	t.CloseWait = c.stateMax(model.CloseWait)
	t.LastAck = c.stateMax(model.LastAck)
	t.Listen = c.stateMax(model.Listen)
	t.Closing = c.stateMax(model.Closing)

	samples := c.samplesWithTCP()
	cols := []string{"state"}
	for _, s := range samples {
		cols = append(cols, fmt.Sprintf("sample %d", s.Index))
	}
	if len(samples) > 1 {
		cols = append(cols, "change")
	}
	tb := report.Table{ID: "tcp_states", Title: "TCP sockets by state", Columns: cols}
	totals := []string{"total"}
	for _, st := range model.TCPStates {
		nonzero := false
		row := []string{st.String()}
		for _, s := range samples {
			n := s.TCP.States[st]
			nonzero = nonzero || n > 0
			row = append(row, strconv.Itoa(n))
		}
		if !nonzero {
			continue
		}
		if len(samples) > 1 {
			row = append(row, signed(int64(samples[len(samples)-1].TCP.States[st]-samples[0].TCP.States[st])))
		}
		tb.Rows = append(tb.Rows, row)
	}
	for _, s := range samples {
		totals = append(totals, strconv.Itoa(s.TCP.Total))
	}
	if len(samples) > 1 {
		totals = append(totals, signed(int64(samples[len(samples)-1].TCP.Total-samples[0].TCP.Total)))
	}
	if len(samples) > 0 {
		tb.Rows = append(tb.Rows, totals)
		from := "/proc/net/tcp and tcp6"
		if samples[0].TCP.FromSockDiag {
			from = "netsnap's NETLINK_SOCK_DIAG dump (netsnap/tcp.txt)"
		}
		tb.Note = "Counted from " + from + " (sockstat's \"tw\" also counts orphaned FIN_WAIT2 sockets)."
	} else {
		tb.Note = "No socket table was captured."
	}
	c.f.Tables[tb.ID] = tb
	c.f.Charts = append(c.f.Charts, statesChart(samples))
}

// counter reads a cumulative counter across the samples.
func (c *computer) counter(group, name string) Counter {
	var out Counter
	var first, last int64
	var lastUptime float64
	var firstTime, lastTime float64
	n := 0
	prev := int64(-1)
	for _, s := range c.h.Samples {
		v, ok := s.Counters.Get(group, name)
		if !ok {
			continue
		}
		if n == 0 {
			first = v
			firstTime = float64(s.Time.UnixNano()) / 1e9
		}
		if prev >= 0 && v < prev {
			out.Reset = true
		}
		prev = v
		last, lastUptime = v, s.Uptime
		lastTime = float64(s.Time.UnixNano()) / 1e9
		n++
	}
	if n == 0 {
		return out
	}
	out.Present, out.Total = true, last
	if c.f.Host.Rebooted {
		out.Reset = true
	}
	if n > 1 && !out.Reset {
		out.Delta = last - first
		if d := lastTime - firstTime; d > 0 {
			out.Rate = float64(out.Delta) / d
		}
		out.Rising = out.Delta > 0
	}
	if lastUptime > 0 {
		out.BootRate = float64(last) / lastUptime
	}
	return out
}

func (c *computer) tw() {
	t := &c.f.TW
	t.Count = c.f.TCP.TimeWait
	t.Limit = c.f.Sysctl.TWBuckets
	t.Pct = pct(int64(t.Count), t.Limit)
	t.Overflow = c.counter("TcpExt", "TCPTimeWaitOverflow")
	if ev := c.h.Kernel["tw-bucket-overflow"]; ev != nil {
		t.Log = ev.Count
	}
	// The sample with the most TIME_WAIT is the one whose distribution we show.
	var best *model.TCPSample
	for _, s := range c.samplesWithTCP() {
		if best == nil || s.TCP.States[model.TimeWait] > best.States[model.TimeWait] {
			best = s.TCP
		}
	}
	svc := report.Table{ID: "time_wait_by_service", Title: "TIME_WAIT by service", Columns: []string{"service", "label", "direction", "TIME_WAIT", "share"}}
	peers := report.Table{ID: "time_wait_by_peer", Title: "TIME_WAIT by peer address", Columns: []string{"peer", "TIME_WAIT", "share"}}
	if best != nil && t.Count > 0 {
		type kv struct {
			ep model.Endpoint
			n  int
		}
		var list []kv
		groups := map[string]int{}
		for ep, n := range best.TimeWaitByService {
			list = append(list, kv{ep, n})
			groups[c.label(ep, best.Incoming[ep])] += n
		}
		slices.SortFunc(list, func(a, b kv) int {
			return cmp.Or(cmp.Compare(b.n, a.n), a.ep.Addr().Compare(b.ep.Addr()), cmp.Compare(a.ep.Port(), b.ep.Port()))
		})
		t.Services = len(list)
		total := best.States[model.TimeWait]
		var bars []bar
		for i, e := range list {
			if best.Incoming[e.ep] {
				t.Incoming += e.n
			}
			if i == 0 {
				t.TopService, t.TopCount, t.TopLabel = e.ep.String(), e.n, c.label(e.ep, best.Incoming[e.ep])
				t.TopPct = pct(int64(e.n), int64(total))
			}
			if i < 20 {
				dir := "outgoing"
				if best.Incoming[e.ep] {
					dir = "incoming"
				}
				svc.Rows = append(svc.Rows, []string{e.ep.String(), c.label(e.ep, best.Incoming[e.ep]), dir, strconv.Itoa(e.n), pctString(int64(e.n), int64(total))})
			}
			if i < chartTop {
				bars = append(bars, bar{serviceName(e.ep.String(), c.label(e.ep, best.Incoming[e.ep])), float64(e.n)})
			}
		}
		c.f.Charts = append(c.f.Charts, twChart(total, t.Limit, bars, len(list)))
		if len(list) > 20 {
			svc.Note = fmt.Sprintf("Top 20 of %d services, in the sample with the most TIME_WAIT (%d).", len(list), total)
		} else {
			svc.Note = fmt.Sprintf("In the sample with the most TIME_WAIT (%d).", total)
		}
		for g, n := range groups {
			if n > t.TopGroupCount || n == t.TopGroupCount && g < t.TopGroup {
				t.TopGroup, t.TopGroupCount = g, n
			}
		}
		t.TopGroupPct = pct(int64(t.TopGroupCount), int64(total))

		var plist []struct {
			a netip.Addr
			n int
		}
		for a, n := range best.TimeWaitByPeer {
			plist = append(plist, struct {
				a netip.Addr
				n int
			}{a, n})
		}
		sort.Slice(plist, func(i, j int) bool {
			if plist[i].n != plist[j].n {
				return plist[i].n > plist[j].n
			}
			return plist[i].a.Less(plist[j].a)
		})
		for i, p := range plist {
			if i == 20 {
				peers.Note = fmt.Sprintf("Top 20 of %d peers.", len(plist))
				break
			}
			peers.Rows = append(peers.Rows, []string{p.a.String(), strconv.Itoa(p.n), pctString(int64(p.n), int64(total))})
		}
	}
	c.f.Tables[svc.ID] = svc
	c.f.Tables[peers.ID] = peers

	// tw_sock memory from the last sample's slabinfo.
	slab := report.Table{ID: "tw_slab", Title: "TIME_WAIT kernel memory (slabinfo)", Columns: []string{"cache", "objects", "object size", "memory"}}
	if n := len(c.h.Samples); n > 0 {
		for _, s := range c.h.Samples[n-1].Slabs {
			switch s.Name {
			case "tw_sock_TCP", "tw_sock_TCPv6", "request_sock_TCP", "request_sock_TCPv6":
				mem := s.ActiveObjs * s.ObjSize
				slab.Rows = append(slab.Rows, []string{s.Name, strconv.FormatInt(s.ActiveObjs, 10), fmt.Sprintf("%d B", s.ObjSize), MiB(mem)})
				if strings.HasPrefix(s.Name, "tw_sock") {
					t.SlabObjects += s.ActiveObjs
					t.SlabSize = s.ObjSize
					t.MemoryBytes += mem
				}
			}
		}
	}
	c.f.Tables[slab.ID] = slab
}

func (c *computer) ports() {
	p := &c.f.Ports
	p.Low, p.High = c.f.Sysctl.PortLow, c.f.Sysctl.PortHigh
	p.Size = p.High - p.Low + 1
	reserved := reservedRanges(c.f.Sysctl.ReservedPorts)
	for _, r := range reserved {
		lo, hi := max(r[0], p.Low), min(r[1], p.High)
		if hi >= lo {
			p.Size -= hi - lo + 1
		}
	}
	isReserved := func(port int64) bool {
		for _, r := range reserved {
			if port >= r[0] && port <= r[1] {
				return true
			}
		}
		return false
	}
	tb := report.Table{ID: "ports_by_destination", Title: "Ephemeral ports in use by destination", Columns: []string{"local address", "destination", "label", "ports in use", "of range", "TIME_WAIT"}}
	// Per destination, the sample in which it used the most ports.
	type use struct {
		n, tw int
	}
	best := map[model.Dest]use{}
	for _, s := range c.samplesWithTCP() {
		for d, n := range s.TCP.PortUse {
			if n > best[d].n {
				tw := 0
				if counts := s.TCP.ByService[d.Remote]; counts != nil {
					tw = counts[model.TimeWait]
				}
				best[d] = use{n, tw}
			}
		}
	}
	type kv struct {
		d model.Dest
		u use
	}
	var list []kv
	for d, u := range best {
		list = append(list, kv{d, u})
	}
	slices.SortFunc(list, func(a, b kv) int {
		return cmp.Or(cmp.Compare(b.u.n, a.u.n), a.d.Remote.Addr().Compare(b.d.Remote.Addr()), cmp.Compare(a.d.Remote.Port(), b.d.Remote.Port()), a.d.Local.Compare(b.d.Local))
	})
	p.Destinations = len(list)
	var bars []bar
	for i, e := range list {
		if i == 0 {
			p.Busiest, p.BusiestCount = e.d.Remote.String(), e.u.n
			p.BusiestPct = pct(int64(e.u.n), p.Size)
			p.BusiestCloseRate = float64(e.u.tw) / TimeWaitSeconds
		}
		if i < 20 {
			tb.Rows = append(tb.Rows, []string{e.d.Local.String(), e.d.Remote.String(), c.label(e.d.Remote, false), strconv.Itoa(e.u.n), pctString(int64(e.u.n), p.Size), strconv.Itoa(e.u.tw)})
		}
		if i < chartTop {
			bars = append(bars, bar{serviceName(e.d.Remote.String(), c.label(e.d.Remote, false)), float64(e.u.n)})
		}
	}
	if len(list) > 0 {
		c.f.Charts = append(c.f.Charts, portsChart(p, bars))
	}
	tb.Note = fmt.Sprintf("Ephemeral range %d-%d: %d ports per (local address, destination).", p.Low, p.High, p.Size)
	if len(list) > 20 {
		tb.Note += fmt.Sprintf(" Top 20 of %d destinations.", len(list))
	}
	c.f.Tables[tb.ID] = tb

	p.OverlappingListeners = []int{}
	seen := map[int]bool{}
	for _, s := range c.h.Samples {
		for _, l := range s.Listeners {
			port := int(l.Local.Port())
			// A loopback listener high in the range is almost always one the
			// kernel handed out for "port 0" (containerd's stream server, test
			// servers): it cannot lose its port on restart, it gets a new one.
			if l.Local.Addr().IsLoopback() && port >= autoPortStart {
				continue
			}
			if int64(port) >= p.Low && int64(port) <= p.High && !isReserved(int64(port)) && !seen[port] {
				seen[port] = true
				p.OverlappingListeners = append(p.OverlappingListeners, port)
			}
		}
	}
	sort.Ints(p.OverlappingListeners)
}

func (c *computer) listen() {
	l := &c.f.Listen
	l.Overflows = c.counter("TcpExt", "ListenOverflows")
	l.Drops = c.counter("TcpExt", "ListenDrops")
	somax := c.f.Sysctl.Somaxconn
	tb := report.Table{ID: "listeners", Title: "Listening TCP sockets", Columns: []string{"local address", "process", "accept queue", "backlog", "fill"}}
	// For each listener, the fullest sample.
	type q struct {
		l    model.Listener
		fill float64
	}
	best := map[model.Endpoint]q{}
	var order []model.Endpoint
	for _, s := range c.h.Samples {
		l.BacklogKnown = l.BacklogKnown || s.HasListenerBacklog
		for _, x := range s.Listeners {
			limit := int64(x.Backlog)
			if limit == 0 {
				limit = somax
			}
			fill := 0.0
			if limit > 0 {
				fill = 100 * float64(x.Queue) / float64(limit)
			}
			cur, ok := best[x.Local]
			if !ok {
				order = append(order, x.Local)
			}
			if !ok || fill > cur.fill {
				best[x.Local] = q{x, fill}
			}
		}
	}
	slices.SortFunc(order, func(a, b model.Endpoint) int {
		return cmp.Or(cmp.Compare(a.Port(), b.Port()), a.Addr().Compare(b.Addr()))
	})
	l.Listeners = len(order)
	for _, ep := range order {
		e := best[ep]
		if e.fill > l.MaxFillPct {
			l.MaxFillPct, l.Fullest = e.fill, ep.String()
		}
		backlog := "?"
		if e.l.Backlog > 0 {
			backlog = strconv.Itoa(int(e.l.Backlog))
		} else if somax > 0 {
			backlog = fmt.Sprintf("≤ %d (somaxconn)", somax)
		}
		tb.Rows = append(tb.Rows, []string{ep.String(), c.owner(e.l.Inode), strconv.Itoa(int(e.l.Queue)), backlog, fmt.Sprintf("%.1f%%", e.fill)})
	}
	if !l.BacklogKnown {
		tb.Note = "The maximum backlog was not captured (no sock_diag dump): fill is against somaxconn, which caps every backlog."
	}
	c.f.Tables[tb.ID] = tb
}

// owner names the process holding a socket inode ("nginx[1234]"), or "".
func (c *computer) owner(inode uint64) string {
	o, ok := c.h.Owners[inode]
	if !ok || inode == 0 {
		return ""
	}
	for _, p := range c.h.Processes {
		if p.PID == o.PID {
			return fmt.Sprintf("%s[%d]", p.Comm, p.PID)
		}
	}
	return fmt.Sprintf("pid %d", o.PID)
}

func (c *computer) syn() {
	s := &c.f.Syn
	s.CookiesSent = c.counter("TcpExt", "SyncookiesSent")
	s.ReqQFullDrop = c.counter("TcpExt", "TCPReqQFullDrop")
	s.ReqQFullCookies = c.counter("TcpExt", "TCPReqQFullDoCookies")
	s.LogPorts = []string{}
	if ev := c.h.Kernel["syn-flood"]; ev != nil {
		s.Log = ev.Count
		// Details are "80" or, from newer kernels, "0.0.0.0:80": the port.
		seen := map[string]bool{}
		for _, d := range sortedKeys(ev.Details) {
			if i := strings.LastIndexByte(d, ':'); i >= 0 {
				d = d[i+1:]
			}
			if !seen[d] {
				seen[d] = true
				s.LogPorts = append(s.LogPorts, d)
			}
		}
		sort.Strings(s.LogPorts)
	}
}

func (c *computer) conntrack() {
	ct := &c.f.Conntrack
	for _, s := range c.h.Samples {
		if s.ConntrackCount >= 0 {
			ct.Loaded = true
			ct.Count = max(ct.Count, s.ConntrackCount)
		}
	}
	ct.Max = c.f.Sysctl.ConntrackMax
	ct.Buckets = c.f.Sysctl.ConntrackBuckets
	ct.Pct = pct(ct.Count, ct.Max)
	if ct.Buckets > 0 && ct.Max > 0 {
		ct.Chain = float64(ct.Max) / float64(ct.Buckets)
	}
	ct.Drop = c.statCounter("drop")
	ct.EarlyDrop = c.statCounter("early_drop")
	ct.InsertFailed = c.statCounter("insert_failed")
	if ev := c.h.Kernel["conntrack-table-full"]; ev != nil {
		ct.Log = ev.Count
	}
	if ch, ok := conntrackChart(c.h.Samples, ct.Max); ok {
		c.f.Charts = append(c.f.Charts, ch)
	}
	tb := report.Table{ID: "conntrack", Title: "Connection tracking", Columns: []string{"", "value"}}
	if !ct.Loaded && c.h.Conntrack == nil {
		tb.Note = "Connection tracking is not loaded on this host."
		c.f.Tables[tb.ID] = tb
		return
	}
	tb.Rows = append(tb.Rows,
		[]string{"entries (largest sample)", strconv.FormatInt(ct.Count, 10)},
		[]string{"nf_conntrack_max", num(ct.Max)},
		[]string{"usage", fmt.Sprintf("%.1f%%", ct.Pct)},
		[]string{"hash buckets", num(ct.Buckets)},
		[]string{"drop / early_drop / insert_failed", fmt.Sprintf("%d / %d / %d", ct.Drop.Total, ct.EarlyDrop.Total, ct.InsertFailed.Total)},
	)
	if t := c.h.Conntrack; t != nil {
		ct.Entries = t.Entries
		ct.TimeWait = t.ByTCPState["TIME_WAIT"]
		for _, p := range sortedByCount(t.ByProto) {
			tb.Rows = append(tb.Rows, []string{"table: " + p, strconv.Itoa(t.ByProto[p])})
		}
		for _, st := range sortedByCount(t.ByTCPState) {
			tb.Rows = append(tb.Rows, []string{"table: tcp " + st, strconv.Itoa(t.ByTCPState[st])})
		}
		if t.Truncated {
			tb.Note = "The table was cut at the collector's cap: its counts are lower bounds."
		}
	}
	c.f.Tables[tb.ID] = tb
}

// statCounter reads a column of /proc/net/stat/nf_conntrack across samples.
func (c *computer) statCounter(col string) Counter {
	var out Counter
	n := 0
	var first, last uint64
	var t0, t1 float64
	prev := uint64(0)
	for _, s := range c.h.Samples {
		v, ok := s.ConntrackStat[col]
		if !ok {
			continue
		}
		if n == 0 {
			first, t0 = v, float64(s.Time.UnixNano())/1e9
		} else if v < prev {
			out.Reset = true
		}
		prev, last, t1 = v, v, float64(s.Time.UnixNano())/1e9
		n++
	}
	if n == 0 {
		return out
	}
	out.Present, out.Total = true, int64(last)
	if n > 1 && !out.Reset && !c.f.Host.Rebooted {
		out.Delta = int64(last - first)
		if t1 > t0 {
			out.Rate = float64(out.Delta) / (t1 - t0)
		}
		out.Rising = out.Delta > 0
	}
	if up := c.f.Host.Uptime; up > 0 {
		out.BootRate = float64(last) / up
	}
	return out
}

func (c *computer) sockstat() {
	s := &c.f.Sockstat
	for _, smp := range c.h.Samples {
		if smp.Sockstat == nil {
			continue
		}
		tcp := smp.Sockstat.Proto["TCP"]
		s.Orphan = max(s.Orphan, tcp["orphan"])
		s.MemPages = max(s.MemPages, tcp["mem"])
	}
	s.OrphanPct = pct(s.Orphan, c.f.Sysctl.MaxOrphans)
	if m := c.f.Sysctl.TCPMem; len(m) == 3 {
		s.MemPressure, s.MemHigh = m[1], m[2]
	} else {
		s.MemPressure, s.MemHigh = -1, -1
	}
	if ev := c.h.Kernel["orphans"]; ev != nil {
		s.LogOrphans = ev.Count
	}
	if ev := c.h.Kernel["tcp-mem"]; ev != nil {
		s.LogMemory = ev.Count
	}
}

func (c *computer) churn() {
	ch := &c.f.Churn
	ch.CloseRate = float64(c.f.TW.Count) / TimeWaitSeconds
	active := c.counter("Tcp", "ActiveOpens")
	passive := c.counter("Tcp", "PassiveOpens")
	ch.OpenRate, ch.ActiveOpenRate, ch.PassiveOpenRate = -1, -1, -1
	if len(c.h.Samples) > 1 && active.Present && !active.Reset && c.f.Host.Duration > 0 {
		ch.ActiveOpenRate, ch.PassiveOpenRate = active.Rate, passive.Rate
		ch.OpenRate = active.Rate + passive.Rate
	}
	var rates []bar
	tb := report.Table{ID: "counters", Title: "TCP counters", Columns: []string{"counter", "since boot", "per second since boot", "during capture", "per second during capture"}}
	for _, k := range [][2]string{
		{"Tcp", "ActiveOpens"}, {"Tcp", "PassiveOpens"}, {"Tcp", "AttemptFails"}, {"Tcp", "EstabResets"}, {"Tcp", "OutRsts"}, {"Tcp", "RetransSegs"},
		{"TcpExt", "ListenOverflows"}, {"TcpExt", "ListenDrops"}, {"TcpExt", "TCPTimeWaitOverflow"}, {"TcpExt", "TW"},
		{"TcpExt", "SyncookiesSent"}, {"TcpExt", "TCPReqQFullDrop"}, {"TcpExt", "TCPAbortOnMemory"}, {"TcpExt", "PAWSPassive"}, {"TcpExt", "PAWSActive"},
	} {
		ctr := c.counter(k[0], k[1])
		if !ctr.Present {
			continue
		}
		during, rate := "-", "-"
		if len(c.h.Samples) > 1 && !ctr.Reset {
			during, rate = signed(ctr.Delta), fmt.Sprintf("%.1f", ctr.Rate)
			rates = append(rates, bar{k[0] + " " + k[1], ctr.Rate})
		} else if ctr.Reset {
			during, rate = "reset", "-"
		}
		tb.Rows = append(tb.Rows, []string{k[0] + " " + k[1], strconv.FormatInt(ctr.Total, 10), fmt.Sprintf("%.2f", ctr.BootRate), during, rate})
	}
	if c.f.Host.Rebooted {
		tb.Note = "The host rebooted between samples: changes during the capture are not computed."
	}
	c.f.Tables[tb.ID] = tb
	if ch, ok := countersChart(rates, c.f.Host.Duration); ok {
		c.f.Charts = append(c.f.Charts, ch)
	}
}

func (c *computer) synSent() {
	s := &c.f.SynSent
	type st struct {
		samples map[int]bool
		max     int
		retrans uint32
		owner   string
	}
	byDest := map[model.Endpoint]*st{}
	for _, smp := range c.samplesWithTCP() {
		counts := map[model.Endpoint]int{}
		for _, sock := range smp.TCP.SynSent {
			d := byDest[sock.Remote]
			if d == nil {
				d = &st{samples: map[int]bool{}}
				byDest[sock.Remote] = d
			}
			d.samples[smp.Index] = true
			counts[sock.Remote]++
			d.retrans = max(d.retrans, sock.Retransmits)
			if d.owner == "" {
				d.owner = c.owner(sock.Inode)
			}
		}
		for ep, n := range counts {
			byDest[ep].max = max(byDest[ep].max, n)
		}
	}
	tb := report.Table{ID: "syn_sent", Title: "SYN_SENT by destination", Columns: []string{"destination", "label", "samples", "sockets (max)", "SYN retransmits (max)", "process"}}
	var dests []model.Endpoint
	for ep := range byDest {
		dests = append(dests, ep)
	}
	slices.SortFunc(dests, func(a, b model.Endpoint) int {
		return cmp.Or(cmp.Compare(len(byDest[b].samples), len(byDest[a].samples)), cmp.Compare(byDest[b].max, byDest[a].max), a.Addr().Compare(b.Addr()), cmp.Compare(a.Port(), b.Port()))
	})
	s.Destinations = len(dests)
	s.StuckList = []string{}
	for i, ep := range dests {
		d := byDest[ep]
		if len(d.samples) >= 2 || d.retrans >= 1 {
			s.Stuck++
			if len(s.StuckList) < 20 {
				s.StuckList = append(s.StuckList, ep.String())
			}
		}
		if i < 30 {
			tb.Rows = append(tb.Rows, []string{ep.String(), c.label(ep, false), fmt.Sprintf("%d of %d", len(d.samples), len(c.samplesWithTCP())), strconv.Itoa(d.max), strconv.Itoa(int(d.retrans)), d.owner})
		}
	}
	if len(dests) > 30 {
		tb.Note = fmt.Sprintf("Top 30 of %d destinations.", len(dests))
	}
	c.f.Tables[tb.ID] = tb
}

func (c *computer) closeWait() {
	cw := &c.f.CloseWait
	cw.Count = c.f.TCP.CloseWait
	if c.f.TCP.Total > 0 {
		cw.Pct = pct(int64(cw.Count), int64(c.f.TCP.Total))
	}
	tb := report.Table{ID: "close_wait_by_port", Title: "CLOSE_WAIT by local port", Columns: []string{"local port", "CLOSE_WAIT", "listener process"}}
	var best *model.TCPSample
	for _, s := range c.samplesWithTCP() {
		if best == nil || s.TCP.States[model.CloseWait] > best.States[model.CloseWait] {
			best = s.TCP
		}
	}
	if best != nil {
		ports := make([]uint16, 0, len(best.CloseWaitByLocal))
		for p := range best.CloseWaitByLocal {
			ports = append(ports, p)
		}
		slices.SortFunc(ports, func(a, b uint16) int {
			return cmp.Or(cmp.Compare(best.CloseWaitByLocal[b], best.CloseWaitByLocal[a]), cmp.Compare(a, b))
		})
		for i, p := range ports {
			owner := ""
			for _, l := range best.Listen {
				if l.Local.Port() == p {
					owner = c.owner(l.Inode)
				}
			}
			if i == 0 {
				cw.TopPort, cw.TopCount, cw.TopOwner = int(p), best.CloseWaitByLocal[p], owner
			}
			if i < 20 {
				tb.Rows = append(tb.Rows, []string{strconv.Itoa(int(p)), strconv.Itoa(best.CloseWaitByLocal[p]), owner})
			}
		}
	}
	c.f.Tables[tb.ID] = tb
}

func (c *computer) kernel() {
	k := &c.f.Kernel
	k.Sources = append([]string{}, c.h.KernelLogSources...)
	k.Counts = map[string]int{}
	tb := report.Table{ID: "kernel_log", Title: "Kernel log messages", Columns: []string{"message", "count", "first", "last", "example"}}
	ids := make([]string, 0, len(c.h.Kernel))
	for id := range c.h.Kernel {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		ev := c.h.Kernel[id]
		k.Counts[id] = ev.Count
		tb.Rows = append(tb.Rows, []string{id, strconv.Itoa(ev.Count), when(ev.First), when(ev.Last), ev.Last.Text})
	}
	if len(k.Sources) == 0 {
		tb.Note = "No kernel log was captured."
	} else {
		tb.Note = "From " + strings.Join(k.Sources, ", ") + "."
	}
	c.f.Tables[tb.ID] = tb
}

// when prints a kernel record's time: wall clock when known, else seconds since boot.
func when(r model.KernelRecord) string {
	switch {
	case !r.Time.IsZero():
		return r.Time.UTC().Format("2006-01-02 15:04:05")
	case r.Uptime >= 0:
		return fmt.Sprintf("%.0f s after boot", r.Uptime)
	}
	return "?"
}

// RelevantSysctls are shown in every report, in this order, and compared across a fleet.
var RelevantSysctls = []string{
	"net.ipv4.tcp_max_tw_buckets", "net.ipv4.ip_local_port_range", "net.ipv4.ip_local_reserved_ports",
	"net.ipv4.tcp_tw_reuse", "net.ipv4.tcp_tw_recycle", "net.ipv4.tcp_timestamps", "net.ipv4.tcp_fin_timeout",
	"net.core.somaxconn", "net.ipv4.tcp_max_syn_backlog", "net.ipv4.tcp_syncookies", "net.ipv4.tcp_abort_on_overflow",
	"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
	"net.ipv4.tcp_max_orphans", "net.ipv4.tcp_mem",
	"net.netfilter.nf_conntrack_max", "net.netfilter.nf_conntrack_buckets", "net.netfilter.nf_conntrack_tcp_timeout_time_wait",
	"net.ipv4.netfilter.ip_conntrack_max", "net.ipv4.netfilter.ip_conntrack_tcp_timeout_time_wait",
	"net.ipv4.ip_forward", "fs.file-max", "fs.nr_open",
}

// sysctlTable shows the relevant runtime values beside what the persisted files set.
func (c *computer) sysctlTable() {
	persisted := map[string]model.SysctlSetting{}
	for _, s := range c.h.Persisted {
		persisted[normKey(s.Key)] = s // later files win, as sysctl --system applies them
	}
	tb := report.Table{ID: "sysctls", Title: "Relevant sysctls", Columns: []string{"sysctl", "runtime", "persisted", "where"}}
	for _, k := range RelevantSysctls {
		v, ok := c.h.Sysctls[k]
		if !ok {
			continue
		}
		pv, where := "", ""
		if p, ok := persisted[k]; ok {
			pv, where = p.Value, fmt.Sprintf("%s:%d", p.File, p.Line)
			if strings.Join(strings.Fields(pv), " ") != v {
				c.f.Sysctl.Unpersisted = append(c.f.Sysctl.Unpersisted, k)
			}
		}
		tb.Rows = append(tb.Rows, []string{k, v, pv, where})
	}
	if len(c.f.Sysctl.Unpersisted) > 0 {
		tb.Note = "Runtime and persisted values differ for " + strings.Join(c.f.Sysctl.Unpersisted, ", ") + ": a reboot would change them."
	}
	c.f.Tables[tb.ID] = tb
}

func normKey(k string) string { return strings.ReplaceAll(strings.TrimSpace(k), "/", ".") }

// reservedRanges reads ip_local_reserved_ports ("8080,9000-9010").
func reservedRanges(v string) [][2]int64 {
	var out [][2]int64
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseInt(strings.TrimSpace(lo), 10, 64)
		if err != nil {
			continue
		}
		b := a
		if isRange {
			if b, err = strconv.ParseInt(strings.TrimSpace(hi), 10, 64); err != nil {
				continue
			}
		}
		out = append(out, [2]int64{a, b})
	}
	return out
}

// pct is a/b in percent; 0 when b is not positive.
func pct(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

func pctString(a, b int64) string {
	if b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", pct(a, b))
}

func signed(n int64) string {
	if n > 0 {
		return "+" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

func num(n int64) string {
	if n < 0 {
		return "?"
	}
	return strconv.FormatInt(n, 10)
}

// MiB prints a byte count in MiB with one decimal.
func MiB(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedByCount(m map[string]int) []string {
	out := sortedKeys(m)
	sort.SliceStable(out, func(i, j int) bool { return m[out[i]] > m[out[j]] })
	return out
}
