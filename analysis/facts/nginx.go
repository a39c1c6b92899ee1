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

// NginxFacts describe the nginx-family configuration joined with the
// socket table and the error logs.
type NginxFacts struct {
	Present   bool `expr:"present" json:"present" doc:"an nginx, Tengine or OpenResty configuration was captured and parsed"`
	Upstreams int  `expr:"upstreams" json:"upstreams" doc:"upstream blocks (and literal proxy_pass addresses)"`

	NoKeepalive       []string `expr:"no_keepalive" json:"no_keepalive" doc:"upstreams lacking keepalive, proxy_http_version 1.1 or an empty Connection header where they are used, with file:line and what is missing"`
	NoKeepaliveTW     int      `expr:"no_keepalive_tw" json:"no_keepalive_tw" doc:"TIME_WAIT sockets toward the servers of those upstreams (largest sample)"`
	NoKeepaliveWithTW int      `expr:"no_keepalive_with_tw" json:"no_keepalive_with_tw" doc:"how many of those upstreams have TIME_WAIT toward their servers"`
	NoKeepaliveNames  []string `expr:"no_keepalive_names" json:"no_keepalive_names" doc:"their names"`

	ServersConfigured  int      `expr:"servers_configured" json:"servers_configured" doc:"upstream servers configured (not down, not backup)"`
	ServersWithTraffic int      `expr:"servers_with_traffic" json:"servers_with_traffic" doc:"upstream servers with ESTABLISHED or TIME_WAIT sockets in some sample"`
	ServersOnlySynSent int      `expr:"servers_only_syn_sent" json:"servers_only_syn_sent" doc:"upstream servers with SYN_SENT sockets only"`
	Dead               int      `expr:"dead" json:"dead" doc:"upstream servers without traffic while their siblings have some, or with SYN_SENT only"`
	DeadList           []string `expr:"dead_list" json:"dead_list" doc:"those servers: upstream, server, file:line and what the socket table shows"`
	DeadServers        []string `expr:"dead_servers" json:"dead_servers" doc:"those servers as written in the configuration (host:port)"`

	ChecksWithoutReuse int      `expr:"checks_without_reuse" json:"checks_without_reuse" doc:"Tengine check directives that open a new connection per probe"`
	ProbeRate          float64  `expr:"probe_rate" json:"probe_rate" doc:"health-check connections per second for those: servers / interval"`
	CheckUpstreams     []string `expr:"check_upstreams" json:"check_upstreams" doc:"their upstreams, with the check's file:line and interval"`
	CheckNames         []string `expr:"check_names" json:"check_names" doc:"their upstreams' names"`
	CheckTW            int      `expr:"check_tw" json:"check_tw" doc:"TIME_WAIT toward their servers (largest sample)"`
	CheckDead          int      `expr:"check_dead" json:"check_dead" doc:"dead servers among the health-checked ones"`

	WorkerConnections int     `expr:"worker_connections" json:"worker_connections" doc:"events worker_connections (512 when not set)"`
	Nofile            int64   `expr:"nofile" json:"nofile" doc:"the workers' open-file limit: the running workers' Max open files, else worker_rlimit_nofile (-1 unknown)"`
	FDsNeeded         int64   `expr:"fds_needed" json:"fds_needed" doc:"2 × worker_connections: a proxied connection needs a client and an upstream descriptor"`
	FDsMax            int64   `expr:"fds_max" json:"fds_max" doc:"most open descriptors of one worker (-1 unknown)"`
	FDsPct            float64 `expr:"fds_pct" json:"fds_pct" doc:"fds_max as a percentage of nofile"`
	ConfWhere         string  `expr:"conf_where" json:"conf_where" doc:"file:line of worker_connections"`

	Errors           int            `expr:"errors" json:"errors" doc:"upstream-related error-log entries of the kinds below"`
	ErrorCounts      map[string]int `expr:"error_counts" json:"error_counts" doc:"entries by kind: no-live-upstreams, upstream-timed-out, connection-reset, cannot-assign-address, connection-refused, worker-connections, too-many-open-files, upstream-prematurely-closed"`
	ErrorTopUpstream string         `expr:"error_top_upstream" json:"error_top_upstream" doc:"the upstream named in most of them"`

	ListenClipped []string `expr:"listen_clipped" json:"listen_clipped" doc:"listen directives whose backlog exceeds net.core.somaxconn, which silently clips it"`
}

// deadShare is how many sockets the servers with traffic must hold each
// before a server with none at all is called dead.
const deadShare = 3

// upstreamErrorKinds are the error-log kinds nginx-upstream-errors counts.
var upstreamErrorKinds = []string{"no-live-upstreams", "upstream-timed-out", "connection-reset", "cannot-assign-address", "connection-refused", "upstream-prematurely-closed", "worker-connections", "too-many-open-files"}

// Labels names service endpoints after the nginx upstreams that list them.
func Labels(h *model.Host) map[netip.AddrPort]string {
	out := map[netip.AddrPort]string{}
	for _, c := range h.NginxConfigs {
		for _, u := range c.Upstreams {
			if u.Implicit {
				continue
			}
			for _, s := range u.Servers {
				for _, a := range s.Addrs {
					if _, ok := out[a]; !ok {
						out[a] = "upstream " + u.Name
					}
				}
			}
		}
	}
	return out
}

// serverTraffic is what the socket table shows toward one upstream server.
type serverTraffic struct {
	est, tw, synSent int // largest over samples
	synSamples       int
}

func (c *computer) traffic(addrs []netip.AddrPort) serverTraffic {
	var t serverTraffic
	for _, smp := range c.samplesWithTCP() {
		var est, tw, syn int
		for _, a := range addrs {
			if counts := smp.TCP.ByService[a]; counts != nil {
				est += counts[model.Established]
				tw += counts[model.TimeWait]
				syn += counts[model.SynSent]
			}
		}
		t.est, t.tw, t.synSent = max(t.est, est), max(t.tw, tw), max(t.synSent, syn)
		if syn > 0 {
			t.synSamples++
		}
	}
	return t
}

func where(file string, line int) string { return fmt.Sprintf("%s:%d", file, line) }

func (c *computer) nginx() {
	n := &c.f.Nginx
	h := c.h
	n.NoKeepalive, n.NoKeepaliveNames, n.DeadList, n.DeadServers, n.CheckUpstreams, n.CheckNames, n.ListenClipped = []string{}, []string{}, []string{}, []string{}, []string{}, []string{}, []string{}
	n.ErrorCounts = map[string]int{}
	n.Nofile, n.FDsMax = -1, -1
	n.Present = len(h.NginxConfigs) > 0
	ups := report.Table{ID: "nginx_upstreams", Title: "nginx upstreams", Columns: []string{"upstream", "defined at", "servers", "with traffic", "only SYN_SENT", "no sockets", "keepalive", "health check", "TIME_WAIT", "used by"}}
	passes := report.Table{ID: "nginx_passes", Title: "nginx proxy_pass and the settings in effect", Columns: []string{"where", "server", "location", "target", "HTTP version", "Connection header", "proxy_bind"}}
	workers := report.Table{ID: "nginx_workers", Title: "nginx workers and limits", Columns: []string{"", "value"}}
	listens := report.Table{ID: "nginx_listen", Title: "nginx listen backlogs", Columns: []string{"listen", "defined at", "backlog", "effective (somaxconn clips it)"}}

	for _, cfg := range h.NginxConfigs {
		n.WorkerConnections = max(n.WorkerConnections, cfg.WorkerConnections)
		if n.ConfWhere == "" {
			n.ConfWhere = cfg.Where
		}
		for _, u := range cfg.Upstreams {
			n.Upstreams++
			c.upstream(u, &ups)
		}
		for _, p := range cfg.Passes {
			if len(passes.Rows) >= 50 {
				passes.Note = fmt.Sprintf("First 50 of %d.", len(cfg.Passes))
				break
			}
			conn := "(not set: \"close\")"
			if p.HasConnection {
				conn = strconv.Quote(p.Connection)
			}
			version := p.HTTPVersion
			if p.Directive != "proxy_pass" {
				version, conn = "-", "-"
			}
			passes.Rows = append(passes.Rows, []string{where(p.File, p.Line), p.Server, p.Location, p.Directive + " " + p.Target, version, conn, p.Bind})
		}
		for _, s := range cfg.Servers {
			for _, l := range s.Listens {
				eff := "511 (default)"
				b := int64(l.Backlog)
				if l.Backlog < 0 {
					b = 511
				} else {
					eff = strconv.Itoa(l.Backlog)
				}
				if som := c.f.Sysctl.Somaxconn; som > 0 && b > som {
					eff = fmt.Sprintf("%d (clipped from %d)", som, b)
					if l.Backlog >= 0 {
						n.ListenClipped = append(n.ListenClipped, fmt.Sprintf("listen %s backlog=%d at %s (somaxconn %d)", l.Raw, l.Backlog, where(l.File, l.Line), som))
					}
				}
				backlog := "not set"
				if l.Backlog >= 0 {
					backlog = strconv.Itoa(l.Backlog)
				}
				listens.Rows = append(listens.Rows, []string{l.Raw, where(l.File, l.Line), backlog, eff})
			}
		}
	}
	if n.WorkerConnections == 0 && n.Present {
		n.WorkerConnections = 512
	}
	n.FDsNeeded = 2 * int64(n.WorkerConnections)
	if len(c.unresolved) > 0 {
		ups.Note = fmt.Sprintf("%d servers are DNS names not in the snapshot's /etc/hosts, so their sockets cannot be matched: %s.", len(c.unresolved), strings.Join(first(c.unresolved, 5), ", "))
	}
	c.nginxWorkers(&workers)
	c.nginxErrors()
	if n.FDsMax >= 0 && n.Nofile > 0 {
		n.FDsPct = pct(n.FDsMax, n.Nofile)
	}
	sort.Strings(n.CheckUpstreams)
	sort.Strings(n.CheckNames)
	for _, t := range []report.Table{ups, passes, workers, listens} {
		c.f.Tables[t.ID] = t
	}
}

// upstream joins one upstream with the socket table and adds its row.
func (c *computer) upstream(u *model.Upstream, ups *report.Table) {
	n := &c.f.Nginx
	type st struct {
		s *model.UpstreamServer
		t serverTraffic
	}
	var servers []st
	var tw, sockets, live int
	for _, s := range u.Servers {
		t := c.traffic(s.Addrs)
		tw += t.tw
		if s.Down || s.Backup {
			continue
		}
		servers = append(servers, st{s, t})
		sockets += t.est + t.tw
		if t.est+t.tw > 0 {
			live++
		}
	}
	// A server without sockets is dead only when the servers that do carry
	// traffic hold at least deadShare sockets each: then a silent sibling is
	// no accident of load balancing, while a quiet upstream with one
	// kept-alive connection is not accused.
	siblingsLive := live > 0 && float64(sockets)/float64(live) >= deadShare
	withTraffic, onlySyn, none := 0, 0, 0
	for _, x := range servers {
		live := x.t.est > 0 || x.t.tw > 0
		switch {
		case live:
			withTraffic++
		case x.t.synSent > 0:
			onlySyn++
		default:
			none++
		}
		if u.Implicit || x.s.Unix != "" || x.s.Unresolved {
			continue
		}
		n.ServersConfigured++
		if live {
			n.ServersWithTraffic++
		} else if x.t.synSent > 0 {
			n.ServersOnlySynSent++
		}
		if !live && (siblingsLive || x.t.synSent > 0) {
			n.Dead++
			if len(n.DeadList) < 50 {
				state := "no sockets"
				if x.t.synSent > 0 {
					state = fmt.Sprintf("SYN_SENT only, in %d samples", x.t.synSamples)
				}
				n.DeadServers = append(n.DeadServers, x.s.Raw)
				n.DeadList = append(n.DeadList, fmt.Sprintf("%s: server %s (%s), %s", u.Name, x.s.Raw, where(x.s.File, x.s.Line), state))
			}
			if u.Check != nil {
				n.CheckDead++
			}
		}
	}

	// Keepalive: the upstream's cache and, at every proxy_pass that uses it, HTTP/1.1 and an empty Connection header.
	var missing []string
	if u.Implicit {
		missing = append(missing, "an upstream block with keepalive (proxy_pass names an address)")
	} else if u.Keepalive == 0 {
		missing = append(missing, "keepalive in the upstream")
	}
	for _, p := range u.Passes {
		if p.Directive != "proxy_pass" {
			continue
		}
		if p.HTTPVersion != "1.1" && p.HTTPVersion != "2" {
			missing = append(missing, "proxy_http_version 1.1 at "+where(p.File, p.Line))
		}
		if !p.HasConnection || p.Connection != "" {
			missing = append(missing, `proxy_set_header Connection "" at `+where(p.File, p.Line))
		}
	}
	usesProxy := false
	for _, p := range u.Passes {
		usesProxy = usesProxy || p.Directive == "proxy_pass"
	}
	if len(missing) > 0 && usesProxy {
		at := where(u.File, u.Line)
		n.NoKeepalive = append(n.NoKeepalive, fmt.Sprintf("%s (%s, %d TIME_WAIT): missing %s", u.Name, at, tw, strings.Join(missing, "; ")))
		n.NoKeepaliveNames = append(n.NoKeepaliveNames, u.Name)
		n.NoKeepaliveTW += tw
		if tw > 0 {
			n.NoKeepaliveWithTW++
		}
	}

	check := "-"
	if k := u.Check; k != nil {
		check = fmt.Sprintf("%s every %d ms", cmp.Or(k.Type, "tcp"), k.IntervalMS)
		if k.KeepaliveRequests <= 1 {
			check += ", new connection per probe"
			n.ChecksWithoutReuse++
			if k.IntervalMS > 0 {
				n.ProbeRate += float64(len(u.Servers)) * 1000 / float64(k.IntervalMS)
			}
			n.CheckNames = append(n.CheckNames, u.Name)
			n.CheckUpstreams = append(n.CheckUpstreams, fmt.Sprintf("%s (check at %s, %d servers every %d ms)", u.Name, where(k.File, k.Line), len(u.Servers), k.IntervalMS))
			n.CheckTW += tw
		} else {
			check += fmt.Sprintf(", %d probes per connection", k.KeepaliveRequests)
		}
	}
	var passive []string
	for _, s := range u.Servers {
		if s.MaxFails >= 0 || s.FailTimeout != "" {
			p := fmt.Sprintf("max_fails=%d", cmp.Or(max(s.MaxFails, 0), 1))
			if s.MaxFails == 0 {
				p = "max_fails=0 (off)"
			}
			if s.FailTimeout != "" {
				p += " fail_timeout=" + s.FailTimeout
			}
			if !slices.Contains(passive, p) {
				passive = append(passive, p)
			}
		}
	}
	if len(passive) > 0 {
		if check == "-" {
			check = "passive: " + strings.Join(passive, ", ")
		} else {
			check += "; passive: " + strings.Join(passive, ", ")
		}
	}
	keepalive := "none"
	if u.Keepalive > 0 {
		keepalive = strconv.Itoa(u.Keepalive)
	}
	var users []string
	for _, p := range u.Passes {
		users = append(users, fmt.Sprintf("%s %s (%s)", p.Server, p.Location, where(p.File, p.Line)))
	}
	slices.Sort(users)
	users = slices.Compact(users)
	if len(users) > 3 {
		users = append(users[:3], fmt.Sprintf("and %d more", len(users)-3))
	}
	defined := where(u.File, u.Line)
	if u.Implicit {
		defined += " (proxy_pass)"
	}
	for _, s := range u.Servers {
		if s.Unresolved {
			c.unresolved = append(c.unresolved, fmt.Sprintf("%s (%s)", s.Raw, where(s.File, s.Line)))
		}
	}
	ups.Rows = append(ups.Rows, []string{u.Name, defined, strconv.Itoa(len(u.Servers)), strconv.Itoa(withTraffic), strconv.Itoa(onlySyn), strconv.Itoa(none), keepalive, check, strconv.Itoa(tw), strings.Join(users, "; ")})
}

// nginxWorkers reads the workers' file limits and open descriptors from the process table.
func (c *computer) nginxWorkers(t *report.Table) {
	n := &c.f.Nginx
	byPID := map[int]model.Process{}
	for _, p := range c.h.Processes {
		byPID[p.PID] = p
	}
	workers := 0
	for _, inst := range c.h.Nginx {
		for _, pid := range inst.Workers {
			p, ok := byPID[pid]
			if !ok {
				continue
			}
			workers++
			if p.NofileSoft > 0 && (n.Nofile < 0 || p.NofileSoft < n.Nofile) {
				n.Nofile = p.NofileSoft
			}
			if p.OpenFDs >= 0 && int64(p.OpenFDs) > n.FDsMax {
				n.FDsMax = int64(p.OpenFDs)
			}
		}
	}
	if n.Nofile < 0 {
		for _, cfg := range c.h.NginxConfigs {
			if cfg.WorkerRlimitNofile > 0 {
				n.Nofile = int64(cfg.WorkerRlimitNofile)
			}
		}
	}
	if !n.Present {
		return
	}
	procs := "-"
	for _, cfg := range c.h.NginxConfigs {
		procs = cfg.WorkerProcesses
	}
	t.Rows = append(t.Rows,
		[]string{"worker_processes", procs},
		[]string{"running workers", strconv.Itoa(workers)},
		[]string{"worker_connections", fmt.Sprintf("%d (%s)", n.WorkerConnections, n.ConfWhere)},
		[]string{"descriptors needed per worker (2 × worker_connections)", strconv.FormatInt(n.FDsNeeded, 10)},
		[]string{"open-file limit of the workers", num(n.Nofile)},
		[]string{"most descriptors open in one worker", num(n.FDsMax)},
		[]string{"fs.file-max", num(c.f.Sysctl.FileMax)},
	)
}

// nginxErrors summarises the error logs.
func (c *computer) nginxErrors() {
	n := &c.f.Nginx
	tb := report.Table{ID: "nginx_errors", Title: "nginx error log", Columns: []string{"message", "count", "first", "last", "top upstream", "example"}}
	byUpstream := map[string]int{}
	for _, kind := range upstreamErrorKinds {
		e := c.h.NginxErrors[kind]
		if e == nil {
			continue
		}
		n.ErrorCounts[kind] = e.Count
		n.Errors += e.Count
		top, topN := "", 0
		for u, k := range e.ByUpstream {
			byUpstream[u] += k
			if k > topN || k == topN && u < top {
				top, topN = u, k
			}
		}
		tb.Rows = append(tb.Rows, []string{kind, strconv.Itoa(e.Count), e.First.UTC().Format("2006-01-02 15:04:05"), e.Last.UTC().Format("2006-01-02 15:04:05"), top, e.Example})
	}
	topN := 0
	for u, k := range byUpstream {
		if k > topN || k == topN && u < n.ErrorTopUpstream {
			n.ErrorTopUpstream, topN = u, k
		}
	}
	c.f.Ports.EaddrnotavailErrors = n.ErrorCounts["cannot-assign-address"]
	if len(c.h.NginxErrorLogs) > 0 {
		tb.Note = "From " + strings.Join(c.h.NginxErrorLogs, ", ") + "."
	} else if n.Present {
		tb.Note = "No error log was captured."
	}
	c.f.Tables[tb.ID] = tb
}

func first(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("and %d more", len(s)-n))
	}
	return s
}
