// Package facts computes, once per snapshot, the named values the rules are
// written against (Facts, documented field by field in Docs) and the tables
// the report shows as evidence. Logic too rich for a rule expression lives
// here; thresholds do not: they are rule parameters.
package facts

import (
	"github.com/netsnap/netsnap/analysis/report"
)

// Facts is the environment of every rule expression. Field names in rules
// are the expr tags (tw.count, sysctl.somaxconn, listen.overflows.rising).
// Integers are -1 where the value is unknown (a sysctl the kernel lacks).
type Facts struct {
	Host      HostFacts      `expr:"host" json:"host"`
	Sysctl    SysctlFacts    `expr:"sysctl" json:"sysctl"`
	TCP       TCPFacts       `expr:"tcp" json:"tcp"`
	TW        TWFacts        `expr:"tw" json:"tw"`
	Ports     PortFacts      `expr:"ports" json:"ports"`
	Listen    ListenFacts    `expr:"listen" json:"listen"`
	Syn       SynFacts       `expr:"syn" json:"syn"`
	Conntrack ConntrackFacts `expr:"conntrack" json:"conntrack"`
	Sockstat  SockstatFacts  `expr:"sockstat" json:"sockstat"`
	Churn     ChurnFacts     `expr:"churn" json:"churn"`
	SynSent   SynSentFacts   `expr:"syn_sent" json:"syn_sent"`
	CloseWait CloseWaitFacts `expr:"close_wait" json:"close_wait"`
	Kernel    KernelFacts    `expr:"kernel" json:"kernel"`
	Nginx     NginxFacts     `expr:"nginx" json:"nginx"`

	// Tables are the evidence tables by id (not visible to expressions).
	Tables map[string]report.Table `expr:"-" json:"-"`
	// Charts are the numbers behind the report's figures, in order (not
	// visible to expressions).
	Charts []report.Chart `expr:"-" json:"-"`
}

// Counter is a cumulative kernel counter read in every sample.
type Counter struct {
	Present  bool    `expr:"present" json:"present" doc:"is false when no sample had the counter (an old kernel, a missing file)."`
	Total    int64   `expr:"total" json:"total" doc:"is the value in the last sample: everything since boot."`
	Delta    int64   `expr:"delta" json:"delta" doc:"is the rise from the first to the last sample (0 with one sample or after a reset)."`
	Rate     float64 `expr:"rate" json:"rate" doc:"is Delta per second of capture."`
	Rising   bool    `expr:"rising" json:"rising" doc:"is true when the counter rose during the capture."`
	BootRate float64 `expr:"boot_rate" json:"boot_rate" doc:"is Total divided by the uptime: an average since boot."`
	Reset    bool    `expr:"reset" json:"reset" doc:"is true when the counter went down between samples (a reboot or a wrap)."`
}

// HostFacts describe the host and the capture.
type HostFacts struct {
	Hostname      string   `expr:"hostname" json:"hostname" doc:"host name"`
	Kernel        string   `expr:"kernel" json:"kernel" doc:"kernel release"`
	Uptime        float64  `expr:"uptime" json:"uptime" doc:"seconds since boot at the last sample"`
	Samples       int      `expr:"samples" json:"samples" doc:"number of samples"`
	Duration      float64  `expr:"duration" json:"duration" doc:"is the time in seconds from the first to the last sample."`
	Rebooted      bool     `expr:"rebooted" json:"rebooted" doc:"is true when the uptime went down between samples."`
	Proxy         bool     `expr:"proxy" json:"proxy" doc:"is true when an nginx, Tengine or OpenResty runs or is installed."`
	ProxyRunning  bool     `expr:"proxy_running" json:"proxy_running" doc:"is true when an nginx-family master process was found."`
	NATInterfaces []string `expr:"nat_interfaces" json:"nat_interfaces" doc:"lists container/Kubernetes bridge and overlay interfaces (docker0, cni0, flannel.1...)."`
}

// SysctlFacts are the settings the rules read, as numbers (-1 when absent).
type SysctlFacts struct {
	TWBuckets        int64    `expr:"tw_buckets" json:"tw_buckets" doc:"net.ipv4.tcp_max_tw_buckets"`
	PortLow          int64    `expr:"port_low" json:"port_low" doc:"first port of net.ipv4.ip_local_port_range (kernel default 32768 when absent)"`
	PortHigh         int64    `expr:"port_high" json:"port_high" doc:"last port of net.ipv4.ip_local_port_range (default 60999)"`
	ReservedPorts    string   `expr:"reserved_ports" json:"reserved_ports" doc:"net.ipv4.ip_local_reserved_ports as written"`
	Somaxconn        int64    `expr:"somaxconn" json:"somaxconn" doc:"net.core.somaxconn"`
	SynBacklog       int64    `expr:"syn_backlog" json:"syn_backlog" doc:"net.ipv4.tcp_max_syn_backlog"`
	Syncookies       int64    `expr:"syncookies" json:"syncookies" doc:"net.ipv4.tcp_syncookies"`
	AbortOnOverflow  int64    `expr:"abort_on_overflow" json:"abort_on_overflow" doc:"net.ipv4.tcp_abort_on_overflow"`
	TWReuse          int64    `expr:"tw_reuse" json:"tw_reuse" doc:"net.ipv4.tcp_tw_reuse"`
	TWRecycle        int64    `expr:"tw_recycle" json:"tw_recycle" doc:"net.ipv4.tcp_tw_recycle (-1 on kernels 4.12 and later, which removed it)"`
	Timestamps       int64    `expr:"timestamps" json:"timestamps" doc:"net.ipv4.tcp_timestamps"`
	FinTimeout       int64    `expr:"fin_timeout" json:"fin_timeout" doc:"net.ipv4.tcp_fin_timeout (seconds)"`
	KeepaliveTime    int64    `expr:"keepalive_time" json:"keepalive_time" doc:"net.ipv4.tcp_keepalive_time (seconds)"`
	KeepaliveIntvl   int64    `expr:"keepalive_intvl" json:"keepalive_intvl" doc:"net.ipv4.tcp_keepalive_intvl (seconds)"`
	KeepaliveProbes  int64    `expr:"keepalive_probes" json:"keepalive_probes" doc:"net.ipv4.tcp_keepalive_probes"`
	MaxOrphans       int64    `expr:"max_orphans" json:"max_orphans" doc:"net.ipv4.tcp_max_orphans"`
	TCPMem           []int64  `expr:"tcp_mem" json:"tcp_mem" doc:"net.ipv4.tcp_mem: low, pressure, high (pages)"`
	ConntrackMax     int64    `expr:"conntrack_max" json:"conntrack_max" doc:"nf_conntrack_max (or the old ip_conntrack_max)"`
	ConntrackBuckets int64    `expr:"conntrack_buckets" json:"conntrack_buckets" doc:"nf_conntrack_buckets"`
	IPForward        int64    `expr:"ip_forward" json:"ip_forward" doc:"net.ipv4.ip_forward"`
	FileMax          int64    `expr:"file_max" json:"file_max" doc:"fs.file-max"`
	Unpersisted      []string `expr:"unpersisted" json:"unpersisted" doc:"relevant sysctls whose runtime value differs from what sysctl.conf, sysctl.d or rc.local set"`
}

// TCPFacts count sockets by state: the largest count over the samples.
type TCPFacts struct {
	Total       int `expr:"total" json:"total" doc:"TCP sockets (largest sample)"`
	Established int `expr:"established" json:"established" doc:"ESTABLISHED sockets (largest sample)"`
	SynSent     int `expr:"syn_sent" json:"syn_sent" doc:"SYN_SENT sockets (largest sample)"`
	SynRecv     int `expr:"syn_recv" json:"syn_recv" doc:"SYN_RECV sockets (largest sample)"`
	FinWait1    int `expr:"fin_wait1" json:"fin_wait1" doc:"FIN_WAIT1 sockets (largest sample)"`
	FinWait2    int `expr:"fin_wait2" json:"fin_wait2" doc:"FIN_WAIT2 sockets (largest sample)"`
	TimeWait    int `expr:"time_wait" json:"time_wait" doc:"TIME_WAIT sockets (largest sample)"`
	CloseWait   int `expr:"close_wait" json:"close_wait" doc:"CLOSE_WAIT sockets (largest sample)"`
	LastAck     int `expr:"last_ack" json:"last_ack" doc:"LAST_ACK sockets (largest sample)"`
	Listen      int `expr:"listen" json:"listen" doc:"LISTEN sockets (largest sample)"`
	Closing     int `expr:"closing" json:"closing" doc:"CLOSING sockets (largest sample)"`
}

// TWFacts describe TIME_WAIT against its limit and who holds it.
type TWFacts struct {
	Count         int     `expr:"count" json:"count" doc:"is the largest TIME_WAIT count over the samples (from the socket table)."`
	Limit         int64   `expr:"limit" json:"limit" doc:"is net.ipv4.tcp_max_tw_buckets (-1 when unknown)."`
	Pct           float64 `expr:"pct" json:"pct" doc:"is Count as a percentage of Limit."`
	Overflow      Counter `expr:"overflow" json:"overflow" doc:"is TcpExt TCPTimeWaitOverflow: closes that skipped TIME_WAIT because the table was full."`
	Log           int     `expr:"log" json:"log" doc:"counts 'time wait bucket table overflow' kernel log lines (old kernels only)."`
	TopService    string  `expr:"top_service" json:"top_service" doc:"is the service (ip:port) holding the most TIME_WAIT; TopLabel names it."`
	TopLabel      string  `expr:"top_label" json:"top_label" doc:"name of top_service (an nginx upstream or a well-known port name)"`
	TopCount      int     `expr:"top_count" json:"top_count" doc:"TIME_WAIT held by top_service"`
	TopPct        float64 `expr:"top_pct" json:"top_pct" doc:"top_count as a percentage of all TIME_WAIT"`
	TopGroup      string  `expr:"top_group" json:"top_group" doc:"is the label (e.g. 'kafka') holding the most TIME_WAIT across its services, with its count and share."`
	TopGroupCount int     `expr:"top_group_count" json:"top_group_count" doc:"TIME_WAIT held by top_group"`
	TopGroupPct   float64 `expr:"top_group_pct" json:"top_group_pct" doc:"top_group_count as a percentage of all TIME_WAIT"`
	Services      int     `expr:"services" json:"services" doc:"counts distinct services holding TIME_WAIT."`
	Incoming      int     `expr:"incoming" json:"incoming" doc:"counts TIME_WAIT sockets of connections accepted by this host."`
	SlabObjects   int64   `expr:"slab_objects" json:"slab_objects" doc:"and SlabSize are tw_sock_TCP (+TCPv6) objects and object size; MemoryBytes their product."`
	SlabSize      int64   `expr:"slab_size" json:"slab_size" doc:"tw_sock_TCP object size in bytes"`
	MemoryBytes   int64   `expr:"memory_bytes" json:"memory_bytes" doc:"slab_objects times slab_size"`
}

// PortFacts describe ephemeral-port use per destination.
type PortFacts struct {
	Low                  int64   `expr:"low" json:"low" doc:"first ephemeral port"`
	High                 int64   `expr:"high" json:"high" doc:"last ephemeral port"`
	Size                 int64   `expr:"size" json:"size" doc:"is the number of ephemeral ports: the range minus reserved ports inside it."`
	Busiest              string  `expr:"busiest" json:"busiest" doc:"is the destination using the most ephemeral ports, in the sample where it used most."`
	BusiestCount         int     `expr:"busiest_count" json:"busiest_count" doc:"ports the busiest destination uses"`
	BusiestPct           float64 `expr:"busiest_pct" json:"busiest_pct" doc:"busiest_count as a percentage of size"`
	BusiestCloseRate     float64 `expr:"busiest_close_rate" json:"busiest_close_rate" doc:"is the estimated close rate to the busiest destination (its TIME_WAIT / 60 s)."`
	Destinations         int     `expr:"destinations" json:"destinations" doc:"counts distinct destinations."`
	OverlappingListeners []int   `expr:"overlapping_listeners" json:"overlapping_listeners" doc:"local listening ports inside the ephemeral range and not reserved (loopback listeners at 32768 and above, which the kernel hands out for port 0, are left out)"`
	EaddrnotavailErrors  int     `expr:"eaddrnotavail_errors" json:"eaddrnotavail_errors" doc:"is for nginx '(99: Cannot assign requested address)' lines (filled by the nginx facts)."`
}

// ListenFacts describe accept-queue overflows.
type ListenFacts struct {
	Overflows    Counter `expr:"overflows" json:"overflows" doc:"TcpExt ListenOverflows: a full accept queue dropped a handshake"`
	Drops        Counter `expr:"drops" json:"drops" doc:"TcpExt ListenDrops: SYNs and handshakes dropped by listeners"`
	BacklogKnown bool    `expr:"backlog_known" json:"backlog_known" doc:"is true when the listeners' maximum backlog was captured (sock_diag)."`
	MaxFillPct   float64 `expr:"max_fill_pct" json:"max_fill_pct" doc:"is the fullest accept queue over listeners and samples, in percent of its backlog (of somaxconn when the backlog is unknown)."`
	Fullest      string  `expr:"fullest" json:"fullest" doc:"is the listener with the fullest accept queue."`
	Listeners    int     `expr:"listeners" json:"listeners" doc:"counts listening sockets."`
}

// SynFacts describe SYN backlog pressure.
type SynFacts struct {
	CookiesSent     Counter  `expr:"cookies_sent" json:"cookies_sent" doc:"TcpExt SyncookiesSent"`
	ReqQFullDrop    Counter  `expr:"reqq_full_drop" json:"reqq_full_drop" doc:"TcpExt TCPReqQFullDrop: SYNs dropped with a full SYN queue"`
	ReqQFullCookies Counter  `expr:"reqq_full_cookies" json:"reqq_full_cookies" doc:"TcpExt TCPReqQFullDoCookies"`
	Log             int      `expr:"log" json:"log" doc:"kernel log lines 'Possible SYN flooding on port'"`
	LogPorts        []string `expr:"log_ports" json:"log_ports" doc:"ports named by those lines"`
}

// ConntrackFacts describe the connection tracking table.
type ConntrackFacts struct {
	Loaded       bool    `expr:"loaded" json:"loaded" doc:"is true when the kernel exposes a conntrack count (nf_conntrack or ip_conntrack loaded)."`
	Count        int64   `expr:"count" json:"count" doc:"is the largest count over the samples; Max is nf_conntrack_max; Pct their ratio."`
	Max          int64   `expr:"max" json:"max" doc:"nf_conntrack_max"`
	Pct          float64 `expr:"pct" json:"pct" doc:"count as a percentage of max"`
	Buckets      int64   `expr:"buckets" json:"buckets" doc:"nf_conntrack_buckets"`
	Chain        float64 `expr:"chain" json:"chain" doc:"is Max / Buckets: the mean hash chain length at a full table."`
	Drop         Counter `expr:"drop" json:"drop" doc:"conntrack stat drop: packets dropped because no entry could be created"`
	EarlyDrop    Counter `expr:"early_drop" json:"early_drop" doc:"conntrack stat early_drop: unassured entries evicted to make room"`
	InsertFailed Counter `expr:"insert_failed" json:"insert_failed" doc:"conntrack stat insert_failed"`
	Log          int     `expr:"log" json:"log" doc:"counts 'table full, dropping packet' kernel log lines."`
	Entries      int     `expr:"entries" json:"entries" doc:"is the number of entries in the captured table; TimeWait those in TCP TIME_WAIT."`
	TimeWait     int     `expr:"time_wait" json:"time_wait" doc:"entries of the captured table in TCP TIME_WAIT"`
}

// SockstatFacts describe orphans and TCP memory.
type SockstatFacts struct {
	Orphan      int64   `expr:"orphan" json:"orphan" doc:"orphaned TCP sockets (sockstat, largest sample)"`
	OrphanPct   float64 `expr:"orphan_pct" json:"orphan_pct" doc:"orphan as a percentage of tcp_max_orphans"`
	MemPages    int64   `expr:"mem_pages" json:"mem_pages" doc:"is TCP memory in pages (sockstat 'mem'), the largest over the samples."`
	MemPressure int64   `expr:"mem_pressure" json:"mem_pressure" doc:"and MemHigh are tcp_mem's second and third values (pages)."`
	MemHigh     int64   `expr:"mem_high" json:"mem_high" doc:"tcp_mem maximum (pages)"`
	LogOrphans  int     `expr:"log_orphans" json:"log_orphans" doc:"kernel log lines 'too many orphaned sockets'"`
	LogMemory   int     `expr:"log_memory" json:"log_memory" doc:"kernel log lines 'out of memory -- consider tuning tcp_mem'"`
}

// ChurnFacts estimate the connection rate.
type ChurnFacts struct {
	CloseRate       float64 `expr:"close_rate" json:"close_rate" doc:"is TIME_WAIT / 60 s: connections closed by this host per second."`
	OpenRate        float64 `expr:"open_rate" json:"open_rate" doc:"is the measured rate of ActiveOpens + PassiveOpens during the capture (-1 with one sample)."`
	ActiveOpenRate  float64 `expr:"active_open_rate" json:"active_open_rate" doc:"Tcp ActiveOpens per second during the capture (-1 with one sample)"`
	PassiveOpenRate float64 `expr:"passive_open_rate" json:"passive_open_rate" doc:"Tcp PassiveOpens per second during the capture (-1 with one sample)"`
}

// SynSentFacts describe connections that do not get an answer.
type SynSentFacts struct {
	Destinations int      `expr:"destinations" json:"destinations" doc:"counts destinations with SYN_SENT sockets in any sample."`
	Stuck        int      `expr:"stuck" json:"stuck" doc:"counts destinations with SYN_SENT in two or more samples, or with a retransmitted SYN."`
	StuckList    []string `expr:"stuck_list" json:"stuck_list" doc:"names them (at most 20)."`
}

// CloseWaitFacts describe sockets the local application does not close.
type CloseWaitFacts struct {
	Count    int     `expr:"count" json:"count" doc:"CLOSE_WAIT sockets (largest sample)"`
	Pct      float64 `expr:"pct" json:"pct" doc:"count as a percentage of all TCP sockets"`
	TopPort  int     `expr:"top_port" json:"top_port" doc:"local port with the most CLOSE_WAIT"`
	TopCount int     `expr:"top_count" json:"top_count" doc:"CLOSE_WAIT on top_port"`
	TopOwner string  `expr:"top_owner" json:"top_owner" doc:"process listening on top_port, when known"`
}

// KernelFacts count kernel log messages by kind.
type KernelFacts struct {
	Sources []string       `expr:"sources" json:"sources" doc:"kernel log files the counts come from"`
	Counts  map[string]int `expr:"counts" json:"counts" doc:"maps a message id (conntrack-table-full, tw-bucket-overflow, syn-flood, orphans, tcp-mem, ratelimit) to its count."`
}
