package model

import (
	"net/netip"
	"time"
)

// NginxConfig is one nginx-family installation's configuration, read from
// the snapshot, with what the analyzer needs of it.
type NginxConfig struct {
	Instance NginxInstance
	// Files are the configuration files read, main first.
	Files []string
	// Problems are syntax errors, missing includes and include loops (file:line).
	Problems []Problem

	// WorkerProcesses is "auto" or a number, as written ("1" when absent).
	WorkerProcesses string
	// WorkerConnections is events { worker_connections } (512 when absent).
	WorkerConnections int
	// WorkerRlimitNofile is worker_rlimit_nofile (0 when absent).
	WorkerRlimitNofile int
	// Where is the file:line of worker_connections (or of the events block).
	Where string

	Upstreams []*Upstream
	Servers   []*Server
	// Passes are every proxy_pass/fastcgi_pass/uwsgi_pass/grpc_pass, in file order.
	Passes []*Pass
}

// Upstream is an upstream block, or the implicit one of a proxy_pass to a
// literal address.
type Upstream struct {
	Name     string
	File     string
	Line     int
	Implicit bool // a proxy_pass to an address, with no upstream block
	// Keepalive is the keepalive connection cache size (0 when absent).
	Keepalive int
	Servers   []*UpstreamServer
	// Check is Tengine's active health check, when configured.
	Check *HealthCheck
	// Passes are the proxy_pass directives that use it.
	Passes []*Pass
}

// UpstreamServer is one `server` of an upstream.
type UpstreamServer struct {
	Raw  string // as written: "app1:8888", "unix:/run/app.sock"
	File string
	Line int
	// Addrs are the resolved addresses (IP literals, or names found in the snapshot's /etc/hosts).
	Addrs []netip.AddrPort
	// Unix is the socket path of a unix: server.
	Unix string
	// Unresolved is true for a DNS name that cannot be resolved offline.
	Unresolved  bool
	Backup      bool
	Down        bool
	Weight      int
	MaxFails    int // -1 when not set (nginx default 1)
	FailTimeout string
}

// HealthCheck is Tengine's `check` directive and its companions.
type HealthCheck struct {
	File              string
	Line              int
	IntervalMS        int
	Rise, Fall        int
	TimeoutMS         int
	Type              string
	KeepaliveRequests int    // check_keepalive_requests (1 when absent: a new connection per probe)
	HTTPSend          string // check_http_send
}

// Pass is a proxy_pass (or fastcgi/uwsgi/grpc_pass) with the settings in
// effect where it is written.
type Pass struct {
	Directive string // proxy_pass, fastcgi_pass, uwsgi_pass, grpc_pass
	Target    string // as written
	// Upstream is the upstream it names (nil when it names a variable).
	Upstream *Upstream
	File     string
	Line     int
	// Server describes the enclosing server block ("_ :80 default_server"); Location its location.
	Server   string
	Location string
	// HTTPVersion is proxy_http_version in effect ("1.0" when not set).
	HTTPVersion string
	// Connection is proxy_set_header Connection in effect; HasConnection is false when none is set.
	Connection    string
	HasConnection bool
	// Bind is proxy_bind in effect ("" when none).
	Bind string
}

// Server is an http server block.
type Server struct {
	Names   []string
	Listens []NginxListen
	File    string
	Line    int
}

// NginxListen is one listen directive.
type NginxListen struct {
	Addr          netip.AddrPort // 0.0.0.0:80 for "listen 80"
	Raw           string
	Backlog       int // backlog=N; -1 when not set (nginx default 511 on Linux)
	DefaultServer bool
	File          string
	Line          int
}

// NginxErrors counts error-log entries of one kind.
type NginxErrors struct {
	Kind  string
	Count int
	First time.Time
	Last  time.Time
	// ByUpstream counts entries by the upstream named in the line (host:port or upstream name).
	ByUpstream map[string]int
	// ByPhase counts entries by phase (connect, read-header, ...) where it applies.
	ByPhase map[string]int
	Example string
}
