package model

import "net/netip"

// ConntrackEntry is one line of /proc/net/nf_conntrack or the old
// /proc/net/ip_conntrack.
type ConntrackEntry struct {
	// L3 is "ipv4" or "ipv6"; lines of ip_conntrack, which lack the l3
	// columns, are "ipv4".
	L3 string
	// Proto is the layer 4 protocol name: "tcp", "udp", "icmp", "icmpv6",
	// "sctp", "gre", "unknown", ...
	Proto string
	// Timeout is the seconds left before the entry expires (0 for entries
	// offloaded to a flow table, which print none).
	Timeout uint32
	// State is the protocol's state ("TIME_WAIT", "ESTABLISHED", ...) for
	// TCP, SCTP and DCCP, "" for stateless protocols.
	State string
	// Src, Dst, Sport and Dport are the original direction's tuple (the
	// first src=, dst=, sport= and dport=); ports are 0 for protocols
	// without ports.
	Src, Dst     netip.Addr
	Sport, Dport uint16
	// ReplySrc, ReplyDst, ReplySport and ReplyDport are the reply
	// direction's tuple (the second ones).
	ReplySrc, ReplyDst     netip.Addr
	ReplySport, ReplyDport uint16
	// Assured is the [ASSURED] flag: traffic seen both ways, the entry is
	// not early-dropped when the table is full.
	Assured bool
	// Unreplied is the [UNREPLIED] flag: no reply seen yet.
	Unreplied bool
	// Zone is the conntrack zone (zone=), 0 by default.
	Zone uint16
}

// ConntrackStat is /proc/net/stat/nf_conntrack (or ip_conntrack): column
// name to value, summed over the CPUs' rows, except "entries", which is a
// global count every row repeats, taken from the first row.
type ConntrackStat map[string]uint64
