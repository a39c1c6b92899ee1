package model

// Counters are the counters of /proc/net/netstat or /proc/net/snmp: group
// ("TcpExt", "Tcp", "IpExt", "Udp", ...) to counter name to value. Values
// are signed because a few are (Tcp MaxConn is -1).
type Counters map[string]map[string]int64

// Get returns a counter and whether the file had it. A nil Counters has none.
func (c Counters) Get(group, name string) (int64, bool) {
	v, ok := c[group][name]
	return v, ok
}

// Sockstat is /proc/net/sockstat or sockstat6.
type Sockstat struct {
	// SocketsUsed is the "sockets: used N" line (sockstat only).
	SocketsUsed int64
	// Proto maps a protocol line ("TCP", "UDP", "TCP6", "FRAG", ...) to its
	// fields ("inuse", "orphan", "tw", "alloc", "mem", "memory") and values.
	// "mem" is in pages, "memory" in bytes.
	Proto map[string]map[string]int64
}

// Get returns one field of one protocol line and whether the file had it.
func (s *Sockstat) Get(proto, field string) (int64, bool) {
	if s == nil {
		return 0, false
	}
	v, ok := s.Proto[proto][field]
	return v, ok
}

// Slab is one row of /proc/slabinfo (versions 2.0 and 2.1): the first
// columns, which every allocator prints.
type Slab struct {
	Name         string
	ActiveObjs   int64
	NumObjs      int64
	ObjSize      int64 // bytes
	ObjPerSlab   int64
	PagesPerSlab int64
}

// Softnet is one row (one CPU) of /proc/net/softnet_stat.
type Softnet struct {
	// CPU is the CPU number: column 13 where the kernel prints it (5.10
	// and later), else the row index, which differs from the CPU number
	// when CPUs are offline.
	CPU int
	// Processed, Dropped and TimeSqueeze are columns 1 to 3: packets
	// processed, packets dropped because the backlog queue was full
	// (netdev_max_backlog), and NAPI runs cut short by budget or time.
	Processed, Dropped, TimeSqueeze uint64
	// ReceivedRPS and FlowLimit are columns 10 and 11 (0 on kernels that
	// do not print them).
	ReceivedRPS, FlowLimit uint64
}
