package model

import (
	"net/netip"
	"time"
)

// Host is one snapshot, parsed: what the facts are computed from. Socket
// tables are not kept row by row (a busy proxy has a million sockets per
// sample); the loader aggregates them into TCPSample as it streams.
type Host struct {
	Hostname      string
	KernelRelease string
	OS            string
	CPUs          int
	Live          bool
	CaptureStart  time.Time
	CaptureEnd    time.Time
	Partial       bool
	PartialReason string
	BootID        string
	// Collector is the tool and version that wrote the snapshot ("netsnap 0.3.0").
	Collector string

	// Samples are the sampling rounds in order.
	Samples []Sample

	// Sysctls are the runtime values from proc/sys (net and fs).
	Sysctls Sysctls
	// Persisted are settings from sysctl.conf, sysctl.d and rc.local, in file order.
	Persisted []SysctlSetting

	// Conntrack summarises the conntrack table, when it was captured.
	Conntrack *ConntrackTable

	// Kernel holds the kernel log messages the rules care about, by message id.
	Kernel map[string]*KernelEvents
	// KernelLogSources lists the kernel log files read.
	KernelLogSources []string

	// Processes is the process table; Owners maps socket inodes of interest to processes.
	Processes []Process
	Owners    map[uint64]SocketOwner

	// Nginx lists nginx-family instances the collector found.
	Nginx []NginxInstance
	// NginxConfigs are their parsed configurations.
	NginxConfigs []*NginxConfig
	// NginxErrors counts error-log entries by kind; NginxErrorLogs lists the logs read.
	NginxErrors    map[string]*NginxErrors
	NginxErrorLogs []string
	// HostsFile maps names to addresses from the snapshot's /etc/hosts.
	HostsFile map[string][]netip.Addr

	// Interfaces are the network interface names seen in proc/sys/net/ipv4/conf.
	Interfaces []string

	// Problems are collection and parse problems, in order.
	Problems []Problem

	// NetNS is set on the model of a network namespace other than the
	// host's: one of the host's Namespaces. Such a model has the
	// namespace's socket tables, counters and net settings, the host's
	// kernel and clock, and nothing host-wide (kernel log, slab, conntrack
	// table, file handles).
	NetNS *NetNS
	// Namespaces are the other network namespaces captured (containers,
	// pods), in the manifest's order.
	Namespaces []*Host
}

// NetNS names a network namespace for people (see snapshot.NetNS).
type NetNS struct {
	Inode        uint64
	Name         string
	Kind         string // pod, docker, containerd, cri-o, podman, netns, processes
	Container    string
	ContainerID  string
	Pod          string
	PodNamespace string
	PIDs         []int
	// Addrs are the namespace's own addresses, as its sockets show them
	// (the local ends of its connections and its bound listeners).
	Addrs []netip.Addr
}

// NginxInstance is an nginx, Tengine or OpenResty installation the collector found.
type NginxInstance struct {
	PID     int
	Workers []int
	Flavor  string
	Conf    string
	Prefix  string
}

// Problem is a source that could not be collected, or a malformed line.
type Problem struct {
	File    string
	Line    int
	Message string
}

// Sample is one sampling round.
type Sample struct {
	Index  int
	Time   time.Time
	Uptime float64 // seconds since boot; 0 when unknown
	TCP    *TCPSample
	// Counters merges /proc/net/netstat and /proc/net/snmp.
	Counters Counters
	Sockstat *Sockstat
	// ConntrackCount is nf_conntrack_count; -1 when conntrack is not loaded.
	ConntrackCount int64
	ConntrackStat  ConntrackStat
	Slabs          []Slab
	FileNr         [3]int64 // allocated, unused, max; max 0 when unknown
	// Listeners come from the NETLINK_SOCK_DIAG dump (with max backlog), when captured.
	Listeners []Listener
	// HasListenerBacklog is true when the dump was captured for this sample.
	HasListenerBacklog bool
}

// Listener is a listening TCP socket with its accept queue.
type Listener struct {
	Local netip.AddrPort
	// Queue is the current accept queue.
	Queue uint32
	// Backlog is the maximum accept queue; 0 when unknown (no sock_diag dump).
	Backlog uint32
	Inode   uint64
	UID     uint32
}

// Endpoint is an address and port, unmapped from IPv4-in-IPv6.
type Endpoint = netip.AddrPort

// Dest is a destination as the ephemeral-port allocator sees it: the local
// address a connection leaves from and the remote address and port.
type Dest struct {
	Local  netip.Addr
	Remote netip.AddrPort
}

// TCPSample aggregates one sample's TCP socket tables (tcp and tcp6).
type TCPSample struct {
	// States counts sockets by state; index is the TCPState.
	States [13]int
	Total  int
	// FromSockDiag is true when the sample's sockets came from netsnap's
	// socket table (a NETLINK_SOCK_DIAG dump), false for /proc/net/tcp{,6}.
	FromSockDiag bool
	// TimeWaitByPeer counts TIME_WAIT sockets by the other host's address.
	TimeWaitByPeer map[netip.Addr]int
	// TimeWaitByService counts TIME_WAIT sockets by the service side of the
	// connection: the remote ip:port of an outgoing connection, the local
	// ip:port of an incoming one (a listening port on this host).
	TimeWaitByService map[Endpoint]int
	// Incoming marks the services (of ByService and TimeWaitByService) that
	// are local listeners: connections accepted here.
	Incoming map[Endpoint]bool
	// PortUse counts sockets whose local port is an ephemeral one, by destination.
	PortUse map[Dest]int
	// SynSent lists SYN_SENT sockets (at most MaxSynSent).
	SynSent []Socket
	// Listen lists LISTEN sockets from the socket table.
	Listen []Socket
	// CloseWaitByLocal counts CLOSE_WAIT sockets by local port.
	CloseWaitByLocal map[uint16]int
	// ByService counts every non-listening socket by service endpoint and state,
	// for the nginx upstream join (the service side as in TimeWaitByService).
	ByService map[Endpoint]*[13]int
}

// MaxSynSent bounds the SYN_SENT sockets kept per sample.
const MaxSynSent = 10000

// ConntrackTable summarises /proc/net/nf_conntrack.
type ConntrackTable struct {
	Entries    int
	ByProto    map[string]int
	ByTCPState map[string]int
	Assured    int
	Unreplied  int
	// Truncated is true when the collector cut the table at its byte cap.
	Truncated bool
}

// KernelEvents counts one kind of kernel log message.
type KernelEvents struct {
	ID    string
	Count int
	// First and Last are the first and last occurrences' records.
	First, Last KernelRecord
	// Details counts the message's detail (a port, a count) by value.
	Details map[string]int
}
