package analysis

import (
	"net/netip"

	"github.com/netsnap/netsnap/analysis/model"
)

// tcpAgg aggregates one sample's socket tables. A busy proxy has a million
// sockets and a few thousand distinct connections (local address, peer
// address, service port, direction), so each socket costs one lookup in a
// map of those; the per-service, per-peer and per-destination tables of
// model.TCPSample are derived from it in finish, once the ephemeral port
// range is known (the sysctls may come after the tables in a snapshot).
type tcpAgg struct {
	t         *model.TCPSample
	listening *[1 << 16]bool
	conns4    map[conn4]*connAgg // both ends IPv4 (after unmapping), the usual case
	conns     map[connKey]*connAgg
}

// connKey identifies a connection group: the local and remote addresses,
// the service port (the local port of an incoming connection, the remote
// port of an outgoing one) and the direction.
type connKey struct {
	local, remote netip.Addr
	port          uint16
	incoming      bool
}

// conn4 is connKey for IPv4 ends, packed so that hashing it is cheap:
// local<<32 | remote, and port | 1<<16 when incoming.
type conn4 [2]uint64

type connAgg struct {
	key    connKey
	states [13]int32
	ports  []uint16 // local ports of the outgoing sockets, for ephemeral port use
}

func newTCPAgg(prevListen []model.Socket) *tcpAgg {
	a := &tcpAgg{
		t: &model.TCPSample{
			TimeWaitByPeer:    map[netip.Addr]int{},
			TimeWaitByService: map[model.Endpoint]int{},
			Incoming:          map[model.Endpoint]bool{},
			PortUse:           map[model.Dest]int{},
			CloseWaitByLocal:  map[uint16]int{},
			ByService:         map[model.Endpoint]*[13]int{},
		},
		listening: new([1 << 16]bool),
		conns4:    map[conn4]*connAgg{},
		conns:     map[connKey]*connAgg{},
	}
	for _, s := range prevListen {
		a.listening[s.Local.Port()] = true
	}
	return a
}

// add counts one socket. LISTEN rows come first in each table (the kernel
// walks the listening hash before the established one), so the listening
// ports are known before the connections that use them.
func (a *tcpAgg) add(s *model.Socket) {
	t := a.t
	st := s.State
	if int(st) >= len(t.States) {
		st = 0
	}
	t.States[st]++
	t.Total++
	local, remote := unmap(s.Local), unmap(s.Remote)
	if st == model.Listen {
		c := *s
		c.Local, c.Remote = local, remote
		t.Listen = append(t.Listen, c)
		a.listening[local.Port()] = true
		return
	}
	// A connection whose local port is a listening port was accepted here: its
	// service is the local end. The kernel never hands out a listening port as
	// an ephemeral one, so everything else is an outgoing connection.
	incoming := a.listening[local.Port()]
	port := remote.Port()
	if incoming {
		port = local.Port()
	}
	var g *connAgg
	la, ra := local.Addr(), remote.Addr()
	if incoming && st != model.TimeWait {
		// Only TIME_WAIT is counted by peer: the clients of an accepted
		// connection need not make a group each.
		if ra.Is4() {
			ra = netip.IPv4Unspecified()
		} else {
			ra = netip.IPv6Unspecified()
		}
	}
	if la.Is4() && ra.Is4() {
		l4, r4 := la.As4(), ra.As4()
		k := conn4{
			uint64(l4[0])<<56 | uint64(l4[1])<<48 | uint64(l4[2])<<40 | uint64(l4[3])<<32 |
				uint64(r4[0])<<24 | uint64(r4[1])<<16 | uint64(r4[2])<<8 | uint64(r4[3]),
			uint64(port),
		}
		if incoming {
			k[1] |= 1 << 16
		}
		if g = a.conns4[k]; g == nil {
			g = &connAgg{key: connKey{la, ra, port, incoming}}
			a.conns4[k] = g
		}
	} else {
		k := connKey{la, ra, port, incoming}
		if g = a.conns[k]; g == nil {
			g = &connAgg{key: k}
			a.conns[k] = g
		}
	}
	g.states[st]++
	if !incoming {
		g.ports = append(g.ports, local.Port())
	}
	switch st {
	case model.SynSent:
		if len(t.SynSent) < model.MaxSynSent {
			c := *s
			c.Local, c.Remote = local, remote
			t.SynSent = append(t.SynSent, c)
		}
	case model.CloseWait:
		t.CloseWaitByLocal[local.Port()]++
	}
}

// finish derives the per-service, per-peer and per-destination tables and
// returns the sample's aggregate.
func (a *tcpAgg) finish(ephemeral func(uint16) bool) *model.TCPSample {
	t := a.t
	eph := new([1 << 16]bool)
	for p := range eph {
		eph[p] = ephemeral(uint16(p))
	}
	each := func(g *connAgg) {
		k := g.key
		service := model.Endpoint(netip.AddrPortFrom(k.remote, k.port))
		if k.incoming {
			service = model.Endpoint(netip.AddrPortFrom(k.local, k.port))
		}
		counts := t.ByService[service]
		if counts == nil {
			counts = new([13]int)
			t.ByService[service] = counts
		}
		for i, n := range g.states {
			counts[i] += int(n)
		}
		if k.incoming {
			t.Incoming[service] = true
		}
		if tw := int(g.states[model.TimeWait]); tw > 0 {
			t.TimeWaitByPeer[k.remote] += tw
			t.TimeWaitByService[service] += tw
		}
		if !k.incoming {
			n := 0
			for _, p := range g.ports {
				if eph[p] {
					n++
				}
			}
			if n > 0 {
				t.PortUse[model.Dest{Local: k.local, Remote: netip.AddrPortFrom(k.remote, k.port)}] += n
			}
		}
	}
	for _, g := range a.conns4 {
		each(g)
	}
	for _, g := range a.conns {
		each(g)
	}
	a.conns4, a.conns = nil, nil
	return t
}
