package analysis

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/netsnap/netsnap/analysis/model"
	"github.com/netsnap/netsnap/analysis/parse"
	"github.com/netsnap/netsnap/internal/nginxconf"
	"github.com/netsnap/netsnap/snapshot"
)

// snapFS lets the nginx configuration parser read the configuration files the
// collector stored at their original paths, below root for an nginx in a
// container ("/proc/PID/root"; see snapshot.NginxInstance.Root).
type snapFS struct {
	s    *snapshot.Snapshot
	root string
}

// entry is the archive name of a path nginx sees.
func (f snapFS) entry(name string) string {
	return strings.TrimPrefix(path.Clean(f.root+"/"+path.Clean("/"+name)), "/")
}

func (f snapFS) ReadFile(name string) ([]byte, error) {
	return f.s.ReadFile(f.entry(name))
}

func (f snapFS) Glob(pattern string) ([]string, error) {
	m, err := fs.Glob(f.s, f.entry(pattern))
	strip := strings.TrimPrefix(path.Clean(f.root+"/"), "/")
	for i := range m {
		if f.root != "" {
			m[i] = strings.TrimPrefix(m[i], strip)
		}
		m[i] = "/" + strings.TrimPrefix(m[i], "/")
	}
	return m, err
}

// hostsFile reads the snapshot's /etc/hosts.
func (l *loader) hostsFile() {
	l.h.HostsFile = map[string][]netip.Addr{}
	f, ok := l.open("etc/hosts")
	if !ok {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, 4<<20))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		a, err := netip.ParseAddr(fields[0])
		if err != nil {
			continue
		}
		for _, name := range fields[1:] {
			l.h.HostsFile[strings.ToLower(name)] = append(l.h.HostsFile[strings.ToLower(name)], a.Unmap())
		}
	}
}

// nginx parses every captured nginx-family configuration and error log.
func (l *loader) nginx(insts []snapshot.NginxInstance) {
	l.hostsFile()
	for _, inst := range insts {
		parsed := nginxconf.Parse(snapFS{l.snap, inst.Root}, inst.Conf, inst.Prefix, nginxconf.Limits{})
		cfg := &model.NginxConfig{
			Instance:          model.NginxInstance{PID: inst.PID, Workers: inst.Workers, Flavor: inst.Flavor, Conf: inst.Conf, Prefix: inst.Prefix},
			Files:             parsed.Files,
			WorkerProcesses:   "1",
			WorkerConnections: 512,
		}
		for _, e := range parsed.Problems {
			cfg.Problems = append(cfg.Problems, model.Problem{File: strings.TrimPrefix(e.File, "/"), Line: e.Line, Message: e.Msg})
			l.problem(strings.TrimPrefix(e.File, "/"), e.Line, e.Msg)
		}
		b := &nginxBuilder{cfg: cfg, hosts: l.h.HostsFile, upstreams: map[string]*model.Upstream{}}
		b.build(parsed.Tree)
		l.h.NginxConfigs = append(l.h.NginxConfigs, cfg)
	}
	l.nginxErrors(insts)
}

type nginxBuilder struct {
	cfg       *model.NginxConfig
	hosts     map[string][]netip.Addr
	upstreams map[string]*model.Upstream
}

func where(d *nginxconf.Directive) string { return fmt.Sprintf("%s:%d", d.File, d.Line) }

// build reads the main context, then upstreams (anywhere), then servers and passes.
func (b *nginxBuilder) build(tree []*nginxconf.Directive) {
	for _, d := range tree {
		switch d.Name {
		case "worker_processes":
			b.cfg.WorkerProcesses = d.Arg(0)
		case "worker_rlimit_nofile":
			b.cfg.WorkerRlimitNofile, _ = strconv.Atoi(d.Arg(0))
		case "events":
			b.cfg.Where = where(d)
			for _, c := range d.Block {
				if c.Name == "worker_connections" {
					if n, err := strconv.Atoi(c.Arg(0)); err == nil {
						b.cfg.WorkerConnections = n
						b.cfg.Where = where(c)
					}
				}
			}
		}
	}
	// Upstreams are global to their context; collect them first so a server
	// block may name one defined after it.
	nginxconf.Walk(tree, func(d *nginxconf.Directive, parents []*nginxconf.Directive) bool {
		if d.HoldsPairs() {
			return false
		}
		if d.Name == "upstream" && d.IsBlock() {
			b.upstream(d)
			return false
		}
		return true
	})
	for _, d := range tree {
		if d.Name == "http" && d.IsBlock() {
			b.context(d.Block, settings{httpVersion: "1.0"}, "", "")
		}
	}
}

func (b *nginxBuilder) upstream(d *nginxconf.Directive) {
	u := &model.Upstream{Name: d.Arg(0), File: d.File, Line: d.Line}
	for _, c := range d.Block {
		switch c.Name {
		case "server":
			u.Servers = append(u.Servers, b.upstreamServer(c))
		case "keepalive":
			u.Keepalive, _ = strconv.Atoi(c.Arg(0))
		case "check":
			u.Check = healthCheck(c, u.Check)
		case "check_keepalive_requests":
			u.Check = healthCheck(nil, u.Check)
			u.Check.KeepaliveRequests, _ = strconv.Atoi(c.Arg(0))
		case "check_http_send":
			u.Check = healthCheck(nil, u.Check)
			u.Check.HTTPSend = c.Arg(0)
		}
	}
	if _, dup := b.upstreams[u.Name]; !dup {
		b.upstreams[u.Name] = u
	}
	b.cfg.Upstreams = append(b.cfg.Upstreams, u)
}

// healthCheck reads Tengine's "check interval=3000 rise=2 fall=5 timeout=1000 type=http".
func healthCheck(d *nginxconf.Directive, cur *model.HealthCheck) *model.HealthCheck {
	if cur == nil {
		cur = &model.HealthCheck{IntervalMS: 30000, Rise: 2, Fall: 5, TimeoutMS: 1000, Type: "tcp", KeepaliveRequests: 1}
	}
	if d == nil {
		return cur
	}
	cur.File, cur.Line = d.File, d.Line
	for _, a := range d.Args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			continue
		}
		n, _ := strconv.Atoi(v)
		switch k {
		case "interval":
			cur.IntervalMS = n
		case "rise":
			cur.Rise = n
		case "fall":
			cur.Fall = n
		case "timeout":
			cur.TimeoutMS = n
		case "type":
			cur.Type = v
		}
	}
	return cur
}

func (b *nginxBuilder) upstreamServer(d *nginxconf.Directive) *model.UpstreamServer {
	s := &model.UpstreamServer{Raw: d.Arg(0), File: d.File, Line: d.Line, Weight: 1, MaxFails: -1}
	for _, a := range d.Args[min(1, len(d.Args)):] {
		k, v, _ := strings.Cut(a, "=")
		switch k {
		case "backup":
			s.Backup = true
		case "down":
			s.Down = true
		case "weight":
			s.Weight, _ = strconv.Atoi(v)
		case "max_fails":
			s.MaxFails, _ = strconv.Atoi(v)
		case "fail_timeout":
			s.FailTimeout = v
		}
	}
	s.Addrs, s.Unix, s.Unresolved = b.resolve(s.Raw, 80)
	return s
}

// resolve turns "host:port", "[v6]:port", "ip" or "unix:/path" into addresses,
// using the snapshot's /etc/hosts for names.
func (b *nginxBuilder) resolve(target string, defaultPort uint16) (addrs []netip.AddrPort, unix string, unresolved bool) {
	if p, ok := strings.CutPrefix(target, "unix:"); ok {
		return nil, p, false
	}
	if ap, err := netip.ParseAddrPort(target); err == nil {
		return []netip.AddrPort{netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())}, "", false
	}
	if a, err := netip.ParseAddr(strings.Trim(target, "[]")); err == nil {
		return []netip.AddrPort{netip.AddrPortFrom(a.Unmap(), defaultPort)}, "", false
	}
	host, port := target, defaultPort
	if i := strings.LastIndexByte(target, ':'); i > 0 {
		p, err := strconv.ParseUint(target[i+1:], 10, 16)
		if err != nil {
			return nil, "", true
		}
		host, port = target[:i], uint16(p)
	}
	ips := b.hosts[strings.ToLower(host)]
	if len(ips) == 0 {
		return nil, "", true
	}
	for _, a := range ips {
		addrs = append(addrs, netip.AddrPortFrom(a, port))
	}
	return addrs, "", false
}

// settings are the proxy settings in effect at a level, as nginx inherits
// them: proxy_http_version and proxy_bind from the nearest level that sets
// them; proxy_set_header from the nearest level that sets any (a level that
// sets one inherits none).
type settings struct {
	httpVersion string
	headers     map[string]string
	bind        string
}

func (s settings) apply(block []*nginxconf.Directive) settings {
	var own map[string]string
	for _, d := range block {
		switch d.Name {
		case "proxy_http_version":
			s.httpVersion = d.Arg(0)
		case "proxy_bind":
			s.bind = strings.Join(d.Args, " ")
		case "proxy_set_header":
			if own == nil {
				own = map[string]string{}
			}
			own[strings.ToLower(d.Arg(0))] = d.Arg(1)
		}
	}
	if own != nil {
		s.headers = own
	}
	return s
}

// context walks the children of http, server, location and if blocks.
func (b *nginxBuilder) context(block []*nginxconf.Directive, inherited settings, server, location string) {
	s := inherited.apply(block)
	for _, d := range block {
		switch d.Name {
		case "server":
			if !d.IsBlock() {
				continue
			}
			srv := b.server(d)
			b.context(d.Block, s, serverLabel(srv), "")
		case "location":
			if d.IsBlock() {
				b.context(d.Block, s, server, strings.Join(d.Args, " "))
			}
		case "if":
			if d.IsBlock() {
				b.context(d.Block, s, server, strings.TrimSpace(location+" if ("+strings.Join(d.Args, " ")+")"))
			}
		case "proxy_pass", "fastcgi_pass", "uwsgi_pass", "grpc_pass":
			b.pass(d, s, server, location)
		}
	}
}

func serverLabel(s *model.Server) string {
	name := "_"
	if len(s.Names) > 0 {
		name = s.Names[0]
	}
	var ls []string
	for _, l := range s.Listens {
		ls = append(ls, l.Raw)
	}
	if len(ls) == 0 {
		ls = []string{"80"}
	}
	return name + " " + strings.Join(ls, ",")
}

func (b *nginxBuilder) server(d *nginxconf.Directive) *model.Server {
	s := &model.Server{File: d.File, Line: d.Line}
	for _, c := range d.Block {
		switch c.Name {
		case "server_name":
			s.Names = append(s.Names, c.Args...)
		case "listen":
			s.Listens = append(s.Listens, b.listen(c))
		}
	}
	b.cfg.Servers = append(b.cfg.Servers, s)
	return s
}

func (b *nginxBuilder) listen(d *nginxconf.Directive) model.NginxListen {
	l := model.NginxListen{Raw: d.Arg(0), Backlog: -1, File: d.File, Line: d.Line}
	for _, a := range d.Args[min(1, len(d.Args)):] {
		k, v, _ := strings.Cut(a, "=")
		switch k {
		case "backlog":
			l.Backlog, _ = strconv.Atoi(v)
		case "default_server", "default":
			l.DefaultServer = true
		}
	}
	if p, err := strconv.ParseUint(l.Raw, 10, 16); err == nil {
		l.Addr = netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(p))
	} else if addrs, _, _ := b.resolve(l.Raw, 80); len(addrs) > 0 {
		l.Addr = addrs[0]
	}
	return l
}

// pass records a proxy_pass and links it to its upstream, creating an
// implicit upstream for a literal address.
func (b *nginxBuilder) pass(d *nginxconf.Directive, s settings, server, location string) {
	p := &model.Pass{Directive: d.Name, Target: d.Arg(0), File: d.File, Line: d.Line, Server: server, Location: location, HTTPVersion: s.httpVersion, Bind: s.bind}
	if v, ok := s.headers["connection"]; ok {
		p.Connection, p.HasConnection = v, true
	}
	b.cfg.Passes = append(b.cfg.Passes, p)
	target := p.Target
	defaultPort := uint16(80)
	if rest, ok := strings.CutPrefix(target, "https://"); ok {
		target, defaultPort = rest, 443
	} else if i := strings.Index(target, "://"); i >= 0 {
		target = target[i+3:]
	}
	if !strings.HasPrefix(target, "unix:") {
		if i := strings.IndexByte(target, '/'); i >= 0 {
			target = target[:i]
		}
	} else if i := strings.LastIndexByte(target, ':'); i > len("unix:") {
		target = target[:i] // "unix:/run/php.sock:/uri"
	}
	if target == "" || strings.Contains(target, "$") {
		return // a variable: resolved per request
	}
	u, ok := b.upstreams[target]
	if !ok {
		u = b.upstreams["\x00"+target]
	}
	if u == nil {
		u = &model.Upstream{Name: target, File: d.File, Line: d.Line, Implicit: true}
		srv := &model.UpstreamServer{Raw: target, File: d.File, Line: d.Line, Weight: 1, MaxFails: -1}
		srv.Addrs, srv.Unix, srv.Unresolved = b.resolve(target, defaultPort)
		u.Servers = []*model.UpstreamServer{srv}
		b.upstreams["\x00"+target] = u
		b.cfg.Upstreams = append(b.cfg.Upstreams, u)
	}
	p.Upstream = u
	u.Passes = append(u.Passes, p)
}

// nginxErrors reads every error log the collector captured.
func (l *loader) nginxErrors(insts []snapshot.NginxInstance) {
	l.h.NginxErrors = map[string]*model.NginxErrors{}
	seen := map[string]bool{}
	for _, inst := range insts {
		for _, lp := range inst.ErrorLogs {
			name := snapFS{l.snap, inst.Root}.entry(lp)
			if seen[name] {
				continue
			}
			seen[name] = true
			if l.parseEntry(name, func(r io.Reader, p *parse.Problems) error {
				return parse.NginxErrorLog(r, time.UTC, p, l.nginxError)
			}) {
				l.h.NginxErrorLogs = append(l.h.NginxErrorLogs, name)
			}
		}
	}
}

func (l *loader) nginxError(e *model.NginxError) {
	if e.Kind == "" || e.Kind == "connection-reset" && e.Upstream == "" {
		return // a reset by a client, not by an upstream
	}
	ev := l.h.NginxErrors[e.Kind]
	if ev == nil {
		ev = &model.NginxErrors{Kind: e.Kind, First: e.Time, ByUpstream: map[string]int{}, ByPhase: map[string]int{}}
		ev.Example = e.Message
		if len(ev.Example) > 200 {
			ev.Example = ev.Example[:200] + "…"
		}
		l.h.NginxErrors[e.Kind] = ev
	}
	ev.Count++
	if e.Time.Before(ev.First) {
		ev.First = e.Time
	}
	if e.Time.After(ev.Last) {
		ev.Last = e.Time
	}
	if u := upstreamOf(e.Upstream); u != "" && len(ev.ByUpstream) < 1000 {
		ev.ByUpstream[u]++
	}
	if ph := parse.NginxErrorPhase(e.Message); ph != "" {
		ev.ByPhase[ph]++
	}
}

// upstreamOf reduces "http://10.0.0.21:8080/path" to "10.0.0.21:8080" (or the upstream name).
func upstreamOf(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	if strings.HasPrefix(u, "unix:") {
		if i := strings.LastIndexByte(u, ':'); i > len("unix:") {
			return u[:i]
		}
		return u
	}
	if i := strings.IndexByte(u, '/'); i >= 0 {
		u = u[:i]
	}
	return u
}
