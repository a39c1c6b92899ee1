package main

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"net/netip"
	"slices"
)

// TCP states as the kernel numbers them in /proc/net/tcp.
const (
	stEstablished = 0x01
	stSynSent     = 0x02
	stFinWait1    = 0x04
	stTimeWait    = 0x06
	stCloseWait   = 0x08
	stListen      = 0x0A
	stClosing     = 0x0B
)

// Ephemeral range of every sample host (net.ipv4.ip_local_port_range, the
// 3.13 default that seed 000 prints).
const (
	portLow  = 32768
	portHigh = 61000
)

// Owners of sockets, as /proc/net/tcp prints them.
const (
	uidRoot    = 0
	uidWWWData = 33 // the Tengine workers (nginx.conf: user www-data)
)

// rng is a small deterministic generator (splitmix64), so that the samples
// do not depend on the Go version's math/rand algorithms.
type rng struct{ s uint64 }

func newRNG(key string) *rng {
	h := fnv.New64a()
	h.Write([]byte(key))
	return &rng{s: h.Sum64()}
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

func hash64(parts ...any) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		fmt.Fprint(h, p, "|")
	}
	return h.Sum64()
}

// flow is a group of TCP sockets in one state between this host and one
// peer: outgoing (from an ephemeral port to peer) or incoming (accepted on
// the local port Local from the address of peer, whose port is then
// chosen per socket).
type flow struct {
	State int
	Peer  netip.AddrPort
	Local uint16 // incoming: the listening port; 0: outgoing
	N     int
	UID   int
}

// synSent is one SYN_SENT socket of a health check to a server that no
// longer exists; LPort 0 takes the next free ephemeral port.
type synSent struct {
	LPort uint16
	Dest  netip.AddrPort
	Left  int // retransmit timer, in clock ticks (1/100 s)
}

// sock is one row of /proc/net/tcp or tcp6.
type sock struct {
	state        int
	local, peer  netip.AddrPort
	v6           bool // a tcp6 row (v4-mapped or native IPv6)
	txq, rxq     int
	timer, when  int
	uid          int
	inode        uint64
	ptr          uint64
	rto, ato     int
	quickPP      int
	cwnd, ssthr  int
	sortKey      uint64
	listenBucket int
}

// ports hands out local ports: for each peer a fixed pseudo-random order
// of the port range, read from a window that slides between samples as
// old sockets leave TIME_WAIT and new ones arrive.
type ports struct {
	perms map[string][]uint16
}

func (p *ports) perm(key string, lo, hi int) []uint16 {
	if p.perms == nil {
		p.perms = map[string][]uint16{}
	}
	if s, ok := p.perms[key]; ok {
		return s
	}
	s := make([]uint16, 0, hi-lo+1)
	for v := lo; v <= hi; v++ {
		s = append(s, uint16(v))
	}
	r := newRNG("ports " + key)
	for i := len(s) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		s[i], s[j] = s[j], s[i]
	}
	p.perms[key] = s
	return s
}

// sockets builds the socket rows of one sample (k counts from 0): the
// listeners, then every flow, SYN_SENT socket and fixed row, in the order
// the kernel's established hash would print them.
func (h *host) sockets(k int, s *sample) []sock {
	var out []sock
	for _, l := range h.listeners {
		l.listenBucket = int(l.local.Port()) & 31 // INET_LHTABLE_SIZE
		out = append(out, l)
	}
	// Windows: per peer key, where this sample's ports start.
	type cursor struct {
		perm  []uint16
		pos   int
		twN   int
		twPos int
	}
	cursors := map[string]*cursor{}
	keyOf := func(f flow) (string, int, int) {
		if f.Local != 0 {
			return "in " + f.Peer.Addr().String(), 1024, 65535
		}
		return "out " + f.Peer.String(), portLow, portHigh
	}
	for _, f := range s.Flows {
		if f.State == stTimeWait {
			key, _, _ := keyOf(f)
			if c := cursors[key]; c != nil {
				c.twN += f.N
			} else {
				cursors[key] = &cursor{twN: f.N}
			}
		}
	}
	cur := func(f flow) *cursor {
		key, lo, hi := keyOf(f)
		c := cursors[key]
		if c == nil {
			c = &cursor{}
			cursors[key] = c
		}
		if c.perm == nil {
			c.perm = h.ports.perm(key, lo, hi)
			// TIME_WAIT lasts 60 s: between two samples interval/60 of
			// the sockets toward a peer are replaced by new ones.
			shift := c.twN * int(h.interval.Seconds()) / 60
			c.pos = (k*shift + h.ports.offset(key)) % len(c.perm)
		}
		return c
	}
	ip := h.ip
	for _, f := range s.Flows {
		c := cur(f)
		for i := 0; i < f.N; i++ {
			p := c.perm[c.pos%len(c.perm)]
			c.pos++
			var so sock
			if f.Local != 0 {
				so = sock{state: f.State, local: netip.AddrPortFrom(ip, f.Local), peer: netip.AddrPortFrom(f.Peer.Addr(), p), uid: f.UID}
			} else {
				so = sock{state: f.State, local: netip.AddrPortFrom(ip, p), peer: f.Peer, uid: f.UID}
			}
			switch f.State {
			case stTimeWait:
				// Remaining time: the newest at the end of the window.
				so.when = (c.twPos*5999)/max(c.twN, 1) + 1
				c.twPos++
			}
			out = append(out, so)
		}
	}
	for _, sy := range s.Syn {
		so := sock{state: stSynSent, peer: sy.Dest, uid: uidWWWData, when: sy.Left, timer: 1}
		lp := sy.LPort
		if lp == 0 {
			c := cur(flow{Peer: sy.Dest})
			lp = c.perm[c.pos%len(c.perm)]
			c.pos++
		}
		so.local = netip.AddrPortFrom(ip, lp)
		out = append(out, so)
	}
	out = append(out, s.Fixed...)
	for i := range out {
		h.finish(&out[i])
	}
	slices.SortStableFunc(out, func(a, b sock) int {
		la, lb := a.state == stListen, b.state == stListen
		switch {
		case la && lb:
			return cmp.Or(cmp.Compare(a.listenBucket, b.listenBucket), cmp.Compare(a.local.Port(), b.local.Port()))
		case la:
			return -1
		case lb:
			return 1
		}
		return cmp.Compare(a.sortKey, b.sortKey)
	})
	return out
}

// offset starts each peer's window somewhere of its own in its port order.
func (p *ports) offset(key string) int { return int(hash64("offset", key) % 28233) }

// finish fills the columns that follow from the state: timers, queues,
// inode, the kernel pointer and the congestion fields.
func (h *host) finish(s *sock) {
	id := hash64(h.name, s.local, s.peer, s.state)
	s.sortKey = hash64("ehash", s.local, s.peer)
	switch s.state {
	case stTimeWait:
		s.timer = 3
		s.ptr = 0xffff880000000000 | (id%0x3ffffff)<<8 // 256-byte tw_sock objects in 16 GB
		return
	case stListen:
		s.rto, s.ato, s.cwnd, s.ssthr = 100, 0, 10, 0
	case stSynSent:
		s.timer, s.rto, s.cwnd, s.ssthr = 1, 100, 10, -1
		if s.when == 0 {
			s.when = 1 + int(id%99)
		}
	case stFinWait1, stClosing:
		s.timer, s.txq, s.rto, s.ato, s.cwnd, s.ssthr = 1, 1, 21, 4, 10, -1
		s.when = 5 + int(id%20)
		s.uid = 0
	default:
		s.rto, s.ato, s.cwnd, s.ssthr = 20+int(id%3), 4, 10, -1
		s.quickPP = int(id % 2)
		if id%7 == 0 {
			s.cwnd, s.ssthr = 10+int(id%30), 7+int(id%20)
		}
	}
	if s.inode == 0 && s.state != stFinWait1 && s.state != stClosing {
		s.inode = 61_000_000 + id%90_000_000
	}
	s.ptr = 0xffff880000000000 | (id%0x7fffff)<<11 // TCP socks from a 2 KiB slab
}

func hexIP4(a netip.Addr) string {
	b := a.As4()
	return fmt.Sprintf("%02X%02X%02X%02X", b[3], b[2], b[1], b[0])
}

func hexIP6(a netip.Addr) string {
	b := a.As16()
	s := ""
	for w := 0; w < 4; w++ {
		s += fmt.Sprintf("%02X%02X%02X%02X", b[w*4+3], b[w*4+2], b[w*4+1], b[w*4])
	}
	return s
}

// tcpHeader is /proc/net/tcp's header on 3.13 (padded like every line).
const tcpHeader = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"

const tcp6Header = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"

// pad pads the line that starts at start to width characters and ends it,
// as 3.13's seq_pad does for /proc/net/tcp (TMPSZ 150) and udp (128).
func pad(b []byte, start, width int) []byte {
	for len(b)-start < width {
		b = append(b, ' ')
	}
	return append(b, '\n')
}

// renderTCP writes the IPv4 rows as /proc/net/tcp and the IPv6 ones as tcp6.
func renderTCP(socks []sock) (tcp4, tcp6 []byte) {
	tcp4 = pad(append(make([]byte, 0, 150*(len(socks)+1)), tcpHeader...), 0, 149)
	tcp6 = []byte(tcp6Header)
	n4, n6 := 0, 0
	for _, s := range socks {
		if s.v6 {
			tcp6 = appendRow6(tcp6, n6, s)
			n6++
			continue
		}
		start := len(tcp4)
		tcp4 = appendRow4(tcp4, n4, s)
		tcp4 = pad(tcp4, start, 149)
		n4++
	}
	return tcp4, tcp6
}

func appendRow4(b []byte, sl int, s sock) []byte {
	if s.state == stTimeWait {
		// get_timewait4_sock
		return fmt.Appendf(b, "%4d: %s:%04X %s:%04X %02X %08X:%08X %02X:%08X %08X %5d %8d %d %d %016x",
			sl, hexIP4(s.local.Addr()), s.local.Port(), hexIP4(s.peer.Addr()), s.peer.Port(), s.state, 0, 0,
			3, s.when, 0, 0, 0, 0, 3, s.ptr)
	}
	// get_tcp4_sock
	return fmt.Appendf(b, "%4d: %s:%04X %s:%04X %02X %08X:%08X %02X:%08X %08X %5d %8d %d %d %016x %d %d %d %d %d",
		sl, hexIP4(s.local.Addr()), s.local.Port(), hexIP4(s.peer.Addr()), s.peer.Port(), s.state, s.txq, s.rxq,
		s.timer, s.when, 0, s.uid, 0, s.inode, refcnt(s), s.ptr, s.rto, s.ato, s.quickPP, s.cwnd, s.ssthr)
}

func appendRow6(b []byte, sl int, s sock) []byte {
	l, p := s.local.Addr(), s.peer.Addr()
	if l.Is4() {
		l = netip.AddrFrom16(l.As16())
	}
	if p.Is4() {
		p = netip.AddrFrom16(p.As16())
	}
	return fmt.Appendf(b, "%4d: %s:%04X %s:%04X %02X %08X:%08X %02X:%08X %08X %5d %8d %d %d %016x %d %d %d %d %d\n",
		sl, hexIP6(l), s.local.Port(), hexIP6(p), s.peer.Port(), s.state, s.txq, s.rxq,
		s.timer, s.when, 0, s.uid, 0, s.inode, refcnt(s), s.ptr, s.rto, s.ato, s.quickPP, s.cwnd, s.ssthr)
}

func refcnt(s sock) int {
	switch s.state {
	case stListen:
		return 1
	case stFinWait1, stClosing:
		return 1
	}
	return 2
}

// udpSock is one row of /proc/net/udp or udp6.
type udpSock struct {
	local netip.AddrPort
	v6    bool
	uid   int
	inode uint64
}

const udpHeader = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops"
const udp6Header = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"

// renderUDP writes /proc/net/udp (rows padded to 127 as 3.13 does) and udp6.
func renderUDP(socks []udpSock) (udp4, udp6 []byte) {
	udp4 = pad([]byte(udpHeader), 0, 127)
	udp6 = []byte(udp6Header)
	for _, s := range socks {
		ptr := 0xffff880000000000 | (hash64("udp", s.local)%0xffffff)<<10
		bucket := int(s.local.Port()) & 255
		if s.v6 {
			l := s.local.Addr()
			if l.Is4() {
				l = netip.AddrFrom16(l.As16())
			}
			udp6 = fmt.Appendf(udp6, "%5d: %s:%04X %s:%04X %02X %08X:%08X %02X:%08X %08X %5d %8d %d %d %016x %d\n",
				bucket, hexIP6(l), s.local.Port(), hexIP6(netip.IPv6Unspecified()), 0, 7, 0, 0, 0, 0, 0, s.uid, 0, s.inode, 2, ptr, 0)
			continue
		}
		start := len(udp4)
		udp4 = fmt.Appendf(udp4, "%5d: %s:%04X %s:%04X %02X %08X:%08X %02X:%08X %08X %5d %8d %d %d %016x %d",
			bucket, hexIP4(s.local.Addr()), s.local.Port(), "00000000", 0, 7, 0, 0, 0, 0, 0, s.uid, 0, s.inode, 2, ptr, 0)
		udp4 = pad(udp4, start, 127)
	}
	return udp4, udp6
}

// conntrackTable renders /proc/net/nf_conntrack (3.13 with accounting and
// timestamps off, zones compiled in): entries for the host's TCP sockets
// in the states of want (TIME_WAIT, ESTABLISHED, SYN_SENT), entries for
// connections the TCP table no longer has (their close overflowed the
// TIME_WAIT table, conntrack still holds them) in the other states of
// want, and udp DNS lookups to the resolvers sites-enabled/neo names.
func conntrackTable(h *host, socks []sock, want map[string]int, udp int) []byte {
	type entry struct {
		key  uint64
		line string
	}
	var es []entry
	add := func(proto string, num, timeout int, state string, src, dst netip.AddrPort, flags string, reply bool) {
		st, unrep := "", ""
		if state != "" {
			st = state + " "
		}
		if !reply {
			unrep = "[UNREPLIED] "
		}
		line := fmt.Sprintf("%-8s %d %-8s %d %d %ssrc=%s dst=%s sport=%d dport=%d %ssrc=%s dst=%s sport=%d dport=%d %smark=0 zone=0 use=2\n",
			"ipv4", 2, proto, num, timeout, st, src.Addr(), dst.Addr(), src.Port(), dst.Port(), unrep,
			dst.Addr(), src.Addr(), dst.Port(), src.Port(), flags)
		es = append(es, entry{hash64("ct", src, dst), line})
	}
	// direction returns the original direction: who opened the connection.
	direction := func(s sock) (netip.AddrPort, netip.AddrPort) {
		if isListening(h, s.local.Port()) {
			return s.peer, s.local
		}
		return s.local, s.peer
	}
	r := newRNG("conntrack " + h.name)
	used := map[[2]netip.AddrPort]bool{}
	var outgoing []sock
	for _, s := range socks {
		used[[2]netip.AddrPort{s.local, s.peer}] = true
		if s.state == stTimeWait && !s.v6 && !isListening(h, s.local.Port()) {
			outgoing = append(outgoing, s)
		}
	}
	take := func(state int, n int, ctState string, tmax int, flags string, reply bool) {
		for _, s := range socks {
			if n == 0 {
				break
			}
			if s.state != state || s.v6 || s.local.Addr() != h.ip {
				continue
			}
			src, dst := direction(s)
			add("tcp", 6, 1+r.intn(tmax), ctState, src, dst, flags, reply)
			n--
		}
	}
	take(stTimeWait, want["TIME_WAIT"], "TIME_WAIT", 120, "[ASSURED] ", true)
	take(stEstablished, want["ESTABLISHED"], "ESTABLISHED", 432000, "[ASSURED] ", true)
	take(stSynSent, want["SYN_SENT"], "SYN_SENT", 120, "", false)
	for _, st := range []struct {
		name string
		tmax int
	}{{"CLOSE", 10}, {"FIN_WAIT", 120}, {"LAST_ACK", 30}, {"CLOSE_WAIT", 60}} {
		for n := 0; n < want[st.name] && len(outgoing) > 0; {
			peer := outgoing[r.intn(len(outgoing))].peer
			local := netip.AddrPortFrom(h.ip, uint16(portLow+r.intn(portHigh-portLow+1)))
			if used[[2]netip.AddrPort{local, peer}] {
				continue
			}
			used[[2]netip.AddrPort{local, peer}] = true
			add("tcp", 6, 1+r.intn(st.tmax), st.name, local, peer, "[ASSURED] ", true)
			n++
		}
	}
	resolvers := []netip.Addr{netip.MustParseAddr("223.5.5.5"), netip.MustParseAddr("223.6.6.6")}
	for n := 0; n < udp; n++ {
		local := netip.AddrPortFrom(h.ip, uint16(portLow+r.intn(portHigh-portLow+1)))
		add("udp", 17, 1+r.intn(30), "", local, netip.AddrPortFrom(resolvers[n%2], 53), "", true)
	}
	slices.SortStableFunc(es, func(a, b entry) int { return cmp.Compare(a.key, b.key) })
	var b []byte
	for _, e := range es {
		b = append(b, e.line...)
	}
	return b
}

func isListening(h *host, port uint16) bool {
	for _, l := range h.listeners {
		if l.local.Port() == port {
			return true
		}
	}
	return false
}
