//go:build linux

package lab

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The lab: each scenario of INCIDENTS.md reproduced on the running kernel
// with the Debian nginx, captured with netsnap inside the namespace and
// checked with netanalyze. Scenarios run one after another: netsnap finds
// nginx masters through /proc, which every namespace shares, so two
// scenarios at once would see each other's nginx.
func TestLab(t *testing.T) {
	bins := requireLab(t)
	// First: the kernel log is shared by every namespace, and a scenario
	// that overflows a queue leaves its lines there for the ones after.
	t.Run("healthy-proxy", func(t *testing.T) { healthy(t, bins) })
	t.Run("no-upstream-keepalive", func(t *testing.T) { noKeepalive(t, bins) })
	t.Run("tw-bucket-overflow", func(t *testing.T) { twOverflow(t, bins) })
	t.Run("accept-queue-overflow", func(t *testing.T) { acceptQueue(t, bins) })
	t.Run("ephemeral-port-exhaustion", func(t *testing.T) { portExhaustion(t, bins) })
	t.Run("conntrack-on-proxy", func(t *testing.T) { conntrackOnProxy(t, bins) })
	t.Run("dead-upstream-servers", func(t *testing.T) { deadUpstreams(t, bins) })
}

// site is an nginx site: one upstream named app with the given servers,
// listening on 127.0.0.1:8080 inside the proxy namespace.
type site struct {
	servers   []string // "10.255.0.2:9000 max_fails=0", ...
	keepalive bool     // keepalive 32 + proxy_http_version 1.1 + Connection ""
	extra     string   // more location directives
}

func (s site) String() string {
	var b strings.Builder
	b.WriteString("upstream app {\n")
	for _, srv := range s.servers {
		fmt.Fprintf(&b, "    server %s;\n", srv)
	}
	if s.keepalive {
		b.WriteString("    keepalive 32;\n")
	}
	b.WriteString("}\n\nserver {\n    listen 127.0.0.1:8080;\n    location / {\n        proxy_pass http://app;\n")
	if s.keepalive {
		b.WriteString("        proxy_http_version 1.1;\n        proxy_set_header Connection \"\";\n")
	}
	for _, l := range strings.Split(strings.TrimSpace(s.extra), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			fmt.Fprintf(&b, "        %s\n", l)
		}
	}
	b.WriteString("    }\n}\n")
	return b.String()
}

var backendAddr = backendIP + ":9000"

// noKeepalive: nginx opens a connection per request to its upstream and
// closes it first, so TIME_WAIT toward the backend piles up on the proxy.
// Then keepalive is configured and nginx reloaded.
func noKeepalive(t *testing.T, bins tools) {
	p := newPair(t)
	// A wide port range, so that this scenario's TIME_WAIT (about 4 s of
	// load) stays under half of it: port exhaustion is scenario 4's.
	p.proxy.Sysctl(t, "net.ipv4.ip_local_port_range", "10000 65000")
	// 1 ms per request keeps 4 wrk connections under ~4000 requests/s.
	be := startBackend(t, bins, p.backend, backendAddr, "-delay", "1ms")
	ngx := startNginx(t, p.proxy, site{servers: []string{backendAddr}}.String())

	// Load during the capture: netsnap's three samples fall inside wrk's run.
	start := be.read(t)
	load := startWrk(t, p.proxy, 4, 4*time.Second)
	time.Sleep(500 * time.Millisecond)
	a := capture(t, bins, p.proxy, "before")
	w := <-load
	measured := be.rateDuring(t, a)
	ts := sampleTimes(t, a)
	closed := be.at(t, ts[len(ts)-1]) - float64(start.accepted) // connections made (and closed) up to the last sample
	loadSecs := ts[len(ts)-1].Sub(start.at).Seconds()
	t.Logf("wrk: %d requests in %.2fs; the backend accepted %.0f connections in the %.1fs of load before the last sample, %.0f/s between the first and the last",
		w.requests, w.seconds, closed, loadSecs, measured)

	r := analyze(t, bins, a)
	if f := mustFind(t, r.Findings, "nginx-upstream-no-keepalive", "warning"); f != nil {
		if !slices.Contains(r.Facts.Nginx.NoKeepaliveNames, "app") {
			t.Errorf("no_keepalive_names = %v, want app", r.Facts.Nginx.NoKeepaliveNames)
		}
	}
	mustFind(t, r.Findings, "connection-churn", "info")
	if got := r.Facts.Nginx.NoKeepaliveTW; got < r.Facts.TW.Count*9/10 {
		t.Errorf("no_keepalive_tw = %d, want most of the %d TIME_WAIT", got, r.Facts.TW.Count)
	}
	// The opens measured between samples (Tcp ActiveOpens + PassiveOpens)
	// are the real connection rate.
	within(t, "churn.open_rate (opens/s between the samples)", r.Facts.Churn.OpenRate, measured, 0.5)
	// close_rate is TIME_WAIT / 60 s: every connection nginx closed is still
	// in TIME_WAIT, so it is the connections made so far / 60. It equals the
	// close rate only once the load has lasted 60 s; after L seconds it
	// reads rate × L / 60.
	within(t, fmt.Sprintf("churn.close_rate (TIME_WAIT/60 after %.1fs of load)", loadSecs), r.Facts.Churn.CloseRate, closed/60, 0.25)
	t.Logf("the real close rate was %.0f/s; TIME_WAIT/60 reaches it after 60 s of steady load", measured)

	// The fix: keepalive, HTTP/1.1 and an empty Connection header; reload.
	ngx.reload(t, site{servers: []string{backendAddr}, keepalive: true}.String())
	reloaded := time.Now()
	k0 := be.read(t)
	load = startWrk(t, p.proxy, 4, 4*time.Second)
	time.Sleep(500 * time.Millisecond)
	b := capture(t, bins, p.proxy, "after")
	w2 := <-load
	k1 := be.read(t)
	allTW, freshTW := timeWait(t, p.proxy, backendAddr, time.Since(reloaded))
	t.Logf("after reload: wrk %d requests; backend accepted %d connections for %d requests; TIME_WAIT toward %s: %d, %d of them since the reload",
		w2.requests, k1.accepted-k0.accepted, k1.requests-k0.requests, backendAddr, allTW, freshTW)
	if k1.requests-k0.requests < 1000 {
		t.Fatalf("after reload the backend served only %d requests", k1.requests-k0.requests)
	}
	// nginx closes a cached upstream connection after keepalive_requests
	// (1000) requests; beyond that, a few per worker and wrk connection.
	if got, limit := k1.accepted-k0.accepted, (k1.requests-k0.requests)/1000+64; got > limit {
		t.Errorf("with keepalive the backend accepted %d connections for %d requests, want at most %d", got, k1.requests-k0.requests, limit)
	}
	// The TIME_WAIT of the first run lingers (60 s); the new config makes none.
	if limit := (k1.requests - k0.requests) / 100; freshTW > limit {
		t.Errorf("%d TIME_WAIT toward %s created since the reload, want at most %d (1%% of %d requests)", freshTW, backendAddr, limit, k1.requests-k0.requests)
	}

	// Same namespace, reloaded: the configuration finding is resolved, the
	// TIME_WAIT of the first run is still there.
	d := diff(t, bins, a, b)
	if f := find(d.Findings, "nginx-upstream-no-keepalive"); f == nil || f.Status != "resolved" {
		t.Errorf("diff before/after reload: nginx-upstream-no-keepalive not resolved; got:\n%s", listFindings(d.Findings))
	}

	// The same load on a fresh pair with the fixed configuration, as the
	// host will look once the old TIME_WAIT has expired: TIME_WAIT down.
	// One nginx at a time: netsnap would find both.
	ngx.stop(t)
	q := newPair(t)
	q.proxy.Sysctl(t, "net.ipv4.ip_local_port_range", "10000 65000")
	startBackend(t, bins, q.backend, backendAddr, "-delay", "1ms")
	startNginx(t, q.proxy, site{servers: []string{backendAddr}, keepalive: true}.String())
	load = startWrk(t, q.proxy, 4, 4*time.Second)
	time.Sleep(500 * time.Millisecond)
	c := capture(t, bins, q.proxy, "fixed")
	<-load
	d = diff(t, bins, a, c)
	for _, id := range []string{"nginx-upstream-no-keepalive", "connection-churn"} {
		if f := find(d.Findings, id); f == nil || f.Status != "resolved" {
			t.Errorf("diff before/fixed: %s not resolved; got:\n%s", id, listFindings(d.Findings))
		}
	}
	before, after := d.row("tcp_states", "TIME_WAIT")
	t.Logf("diff before/fixed: TIME_WAIT %d -> %d", before, after)
	if before < 1000 || after > before/10 {
		t.Errorf("diff before/fixed: TIME_WAIT %d -> %d, want it down by 90%% or more", before, after)
	}
}

// twOverflow: tcp_max_tw_buckets 100 in the proxy namespace; the closes
// beyond it skip TIME_WAIT and TCPTimeWaitOverflow rises during the capture.
func twOverflow(t *testing.T, bins tools) {
	p := newPair(t)
	p.proxy.Sysctl(t, "net.ipv4.tcp_max_tw_buckets", "100")
	be := startBackend(t, bins, p.backend, backendAddr)
	startNginx(t, p.proxy, site{servers: []string{backendAddr}}.String())

	load := startWrk(t, p.proxy, 4, 4*time.Second)
	time.Sleep(500 * time.Millisecond)
	snap := capture(t, bins, p.proxy, "tw")
	<-load

	r := analyze(t, bins, snap)
	if f := mustFind(t, r.Findings, "tcp-tw-bucket-overflow", "critical"); f != nil && f.Basis != "during capture" {
		t.Errorf("tcp-tw-bucket-overflow basis %q, want \"during capture\"", f.Basis)
	}
	mustFind(t, r.Findings, "tcp-tw-buckets-too-low", "warning")
	// The kernel's check races between CPUs: a socket or two over the limit.
	if r.Facts.TW.Limit != 100 || r.Facts.TW.Count < 90 || r.Facts.TW.Count > 110 {
		t.Errorf("tw.count %d, tw.limit %d: want the limit 100 and the table full", r.Facts.TW.Count, r.Facts.TW.Limit)
	}
	if !r.Facts.TW.Overflow.Rising || r.Facts.TW.Overflow.Delta <= 0 {
		t.Errorf("tw.overflow = %+v, want rising", r.Facts.TW.Overflow)
	}
	// With the table full, (nearly) every close overflows.
	within(t, "tw.overflow.rate (closes skipping TIME_WAIT/s)", r.Facts.TW.Overflow.Rate, be.rateDuring(t, snap), 0.5)
}

// acceptQueue (seed 004): a backend with somaxconn 16, a listen backlog of
// 8 and one accept every 20 ms behind nginx; the accept queue overflows in
// the backend's namespace, nginx logs timeouts in the proxy's.
func acceptQueue(t *testing.T, bins tools) {
	p := newPair(t)
	p.backend.Sysctl(t, "net.core.somaxconn", "16")
	be := startBackend(t, bins, p.backend, backendAddr, "-backlog", "8", "-accept-delay", "20ms")
	ngx := startNginx(t, p.proxy, site{servers: []string{backendAddr}, extra: `
proxy_connect_timeout 1s;
proxy_read_timeout 2s;`}.String())

	load := startWrk(t, p.proxy, 64, 5*time.Second)
	// nginx logs a connect timeout after 1 s: let some be in the error log
	// when netsnap reads it.
	time.Sleep(2 * time.Second)
	// Both namespaces at once: ListenOverflows is counted in the backend's
	// namespace; nginx and its error log are the proxy's.
	type result struct {
		path string
		err  error
	}
	backendSnap := make(chan result, 1)
	go func() {
		path, err := captureErr(bins, p.backend, filepath.Join(t.TempDir(), "backend.tgz"))
		backendSnap <- result{path, err}
	}()
	// And both from the main namespace, as on a docker host (issue 9):
	// the backend's namespace stands in for a container.
	hostSnap := make(chan result, 1)
	go func() {
		path, err := captureHost(bins, filepath.Join(t.TempDir(), "host.tgz"), ngx.cmd.Process.Pid, be.pid)
		hostSnap <- result{path, err}
	}()
	proxySnap := capture(t, bins, p.proxy, "proxy")
	bs := <-backendSnap
	hs := <-hostSnap
	w := <-load
	t.Logf("wrk: %d requests, %d non-2xx %s; backend accepted %d", w.requests, w.non2xx, w.errors, be.read(t).accepted)
	if bs.err != nil {
		t.Fatal(bs.err)
	}
	bsnap := bs.path
	keep(t, bsnap)

	rb := analyze(t, bins, bsnap)
	if f := mustFind(t, rb.Findings, "listen-queue-overflow", "critical"); f != nil && f.Basis != "during capture" {
		t.Errorf("listen-queue-overflow basis %q, want \"during capture\"", f.Basis)
	}
	if o := rb.Facts.Listen.Overflows; !o.Rising || o.Delta <= 0 {
		t.Errorf("listen.overflows = %+v in the backend namespace, want rising", o)
	}
	t.Logf("backend namespace: ListenOverflows +%d (%.0f/s), ListenDrops +%d", rb.Facts.Listen.Overflows.Delta, rb.Facts.Listen.Overflows.Rate, rb.Facts.Listen.Drops.Delta)
	// The listener's queue as sock_diag shows it: backlog 8, full.
	if l := rb.Facts.Listen; l.Fullest != backendAddr || !l.BacklogKnown || l.MaxFillPct < 90 {
		t.Errorf("listen: fullest %q at %.1f%% (backlog known %v), want %s at 90%% or more", l.Fullest, l.MaxFillPct, l.BacklogKnown, backendAddr)
	}
	// With the queue full, a handshake completes (PassiveOpens) only when
	// an accept frees a slot: the rate is the backend's accept rate.
	within(t, "churn.passive_open_rate in the backend namespace", rb.Facts.Churn.PassiveOpenRate, be.rateDuring(t, bsnap), 0.5)

	rp := analyze(t, bins, proxySnap)
	mustFind(t, rp.Findings, "nginx-upstream-errors", "warning")
	if rp.Facts.Nginx.Errors == 0 || rp.Facts.Nginx.ErrorCounts["upstream-timed-out"] == 0 {
		t.Errorf("nginx errors %d by kind %v, want \"upstream timed out (110\" lines\n%s", rp.Facts.Nginx.Errors, rp.Facts.Nginx.ErrorCounts, readFile(ngx.errLog))
	}
	// Counters are per namespace: the proxy's own stay still.
	if rp.Facts.Listen.Overflows.Delta != 0 {
		t.Errorf("proxy namespace ListenOverflows +%d, want 0", rp.Facts.Listen.Overflows.Delta)
	}

	// The snapshot from the main namespace: the overflow is found in the
	// backend's namespace and tied to nginx's errors in the proxy's.
	if hs.err != nil {
		t.Fatal(hs.err)
	}
	keep(t, hs.path)
	rh := analyze(t, bins, hs.path)
	var overflow, upstream *finding
	for i := range rh.Findings {
		f := &rh.Findings[i]
		switch {
		case f.ID == "listen-queue-overflow" && f.Namespace == p.backend.Name():
			overflow = f
		case f.ID == "nginx-upstream-errors" && f.Namespace == p.proxy.Name():
			upstream = f
		}
	}
	if overflow == nil || upstream == nil {
		t.Fatalf("from the main namespace: want listen-queue-overflow in %s and nginx-upstream-errors in %s; got:\n%s", p.backend.Name(), p.proxy.Name(), listNSFindings(rh.Findings))
	}
	related := func(f *finding, ns, id string) string {
		for _, r := range f.Related {
			if r.Namespace == ns && r.ID == id {
				return r.Why
			}
		}
		return ""
	}
	if why := related(overflow, p.proxy.Name(), "nginx-upstream-errors"); !strings.Contains(why, backendAddr) {
		t.Errorf("the backend's overflow is not tied to the proxy's nginx errors through %s: related %+v", backendAddr, overflow.Related)
	} else {
		t.Logf("linked: %s", why)
	}
	if related(upstream, p.backend.Name(), "listen-queue-overflow") == "" {
		t.Errorf("the proxy's nginx errors do not point at the backend's overflow: related %+v", upstream.Related)
	}
	// The kernel's "Possible SYN flooding on port 10.255.0.2:9000" is the
	// backend namespace's: its listener, not the main namespace's.
	for _, f := range rh.Findings {
		if f.ID == "syn-flood-or-syn-backlog" && f.Namespace != p.backend.Name() {
			t.Errorf("syn-flood-or-syn-backlog attributed to %q, want %s: %s", f.Namespace, p.backend.Name(), f.Title)
		}
	}
	for _, n := range rh.Namespaces {
		if n.Name == p.backend.Name() && (n.Kind != "netns" || !slices.Contains(n.PIDs, be.pid) || !n.Facts.Listen.Overflows.Rising) {
			t.Errorf("backend namespace %s: kind %s pids %v overflows %+v", n.Name, n.Kind, n.PIDs, n.Facts.Listen.Overflows)
		}
	}
}

// listNSFindings lists findings with their namespaces.
func listNSFindings(fs []finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  [%s] %s %s: %s\n", f.Namespace, f.Severity, f.ID, f.Title)
	}
	return b.String()
}

// portExhaustion: a 100-port ip_local_port_range on the proxy and no
// keepalive: TIME_WAIT holds every port toward the backend and connect()
// fails with EADDRNOTAVAIL.
func portExhaustion(t *testing.T, bins tools) {
	p := newPair(t)
	p.proxy.Sysctl(t, "net.ipv4.ip_local_port_range", "40000 40099")
	be := startBackend(t, bins, p.backend, backendAddr)
	ngx := startNginx(t, p.proxy, site{servers: []string{backendAddr}}.String())

	w := runWrk(t, p.proxy, 2, time.Second)
	t.Logf("backend accepted %d connections; wrk %d non-2xx of %d", be.read(t).accepted, w.non2xx, w.requests)
	snap := capture(t, bins, p.proxy, "ports")

	r := analyze(t, bins, snap)
	mustFind(t, r.Findings, "ephemeral-port-exhaustion", "critical")
	pf := r.Facts.Ports
	if pf.Size != 100 || pf.Busiest != backendAddr || pf.BusiestCount < 95 {
		t.Errorf("ports: busiest %s with %d of %d, want %s with about 100 of 100", pf.Busiest, pf.BusiestCount, pf.Size, backendAddr)
	}
	mustFind(t, r.Findings, "nginx-upstream-errors", severityFor(r.Facts.Nginx.Errors))
	if n := r.Facts.Nginx.ErrorCounts["cannot-assign-address"]; n == 0 || pf.EaddrnotavailErrors != n {
		t.Errorf("nginx \"(99: Cannot assign requested address)\" lines: %d (ports.eaddrnotavail_errors %d), want > 0 and equal\n%s",
			n, pf.EaddrnotavailErrors, readFile(ngx.errLog))
	}
	t.Logf("ports toward %s: %d of %d; nginx errors %v", pf.Busiest, pf.BusiestCount, pf.Size, r.Facts.Nginx.ErrorCounts)
}

// severityFor is nginx-upstream-errors' severity for n lines (critical from 1000).
func severityFor(n int) string {
	if n >= 1000 {
		return "critical"
	}
	return "warning"
}

// conntrackOnProxy: a healthy proxy plus one nftables rule with `ct state`
// in its namespace: the kernel now tracks every proxied connection.
func conntrackOnProxy(t *testing.T, bins tools) {
	requireNft(t)
	p := newPair(t)
	nft(t, p.proxy, `table inet netsnap_lab {
	chain input {
		type filter hook input priority filter; policy accept;
		ct state established,related accept
	}
}
`)
	startBackend(t, bins, p.backend, backendAddr)
	startNginx(t, p.proxy, site{servers: []string{backendAddr}, keepalive: true}.String())

	load := startWrk(t, p.proxy, 8, 3*time.Second)
	time.Sleep(500 * time.Millisecond)
	snap := capture(t, bins, p.proxy, "conntrack")
	<-load

	r := analyze(t, bins, snap)
	f := mustFind(t, r.Findings, "conntrack-on-proxy", "warning")
	ct := r.Facts.Conntrack
	if !ct.Loaded || ct.Count == 0 || ct.Entries == 0 {
		t.Errorf("conntrack: loaded %v, count %d, entries %d: want entries tracked", ct.Loaded, ct.Count, ct.Entries)
	}
	if f != nil && !strings.Contains(string(f.Evidence), "ESTABLISHED") {
		t.Errorf("conntrack-on-proxy evidence has no entries by TCP state:\n%s", f.Evidence)
	}
	t.Logf("conntrack: %d entries (nf_conntrack_max %d, global)", ct.Count, ct.Max)
	if f := find(r.Findings, "conntrack-table-full"); f != nil {
		t.Errorf("unexpected conntrack-table-full: %s", f.Title)
	}
}

// deadUpstreams: two of three upstream servers are addresses of the
// backend namespace whose SYNs an nftables rule drops.
func deadUpstreams(t *testing.T, bins tools) {
	requireNft(t)
	p := newPair(t)
	// 10.255.0.6 and .7 live in the backend namespace, behind a firewall
	// that drops every SYN to them.
	ipCmd(t, "-n", p.backend.Name(), "addr", "add", "10.255.0.6/32", "dev", "eth0")
	ipCmd(t, "-n", p.backend.Name(), "addr", "add", "10.255.0.7/32", "dev", "eth0")
	ipCmd(t, "-n", p.proxy.Name(), "route", "add", "10.255.0.4/30", "via", backendIP)
	nft(t, p.backend, `table inet netsnap_lab {
	chain input {
		type filter hook input priority filter; policy accept;
		ip daddr { 10.255.0.6, 10.255.0.7 } tcp flags syn drop
	}
}
`)
	startBackend(t, bins, p.backend, backendAddr)
	dead := []string{"10.255.0.6:9000", "10.255.0.7:9000"}
	// max_fails=0: nginx never marks them down, so it keeps trying them
	// (as it does health-checking dead servers).
	startNginx(t, p.proxy, site{servers: []string{backendAddr + " max_fails=0", dead[0] + " max_fails=0", dead[1] + " max_fails=0"},
		keepalive: true, extra: "proxy_connect_timeout 2s;"}.String())

	load := startWrk(t, p.proxy, 8, 4*time.Second)
	time.Sleep(500 * time.Millisecond)
	snap := capture(t, bins, p.proxy, "dead")
	<-load

	r := analyze(t, bins, snap)
	mustFind(t, r.Findings, "syn-sent-stuck", "warning")
	mustFind(t, r.Findings, "nginx-dead-upstream-servers", "warning")
	for _, d := range dead {
		if !slices.Contains(r.Facts.SynSent.StuckList, d) {
			t.Errorf("syn_sent.stuck_list = %v, want %s", r.Facts.SynSent.StuckList, d)
		}
	}
	ng := r.Facts.Nginx
	slices.Sort(ng.DeadServers)
	if ng.ServersConfigured != 3 || ng.Dead != 2 || ng.ServersOnlySynSent != 2 || !slices.Equal(ng.DeadServers, dead) {
		t.Errorf("nginx: %d servers, %d dead %v, %d only SYN_SENT; want 3, 2 %v, 2", ng.ServersConfigured, ng.Dead, ng.DeadServers, ng.ServersOnlySynSent, dead)
	}
}

// healthy: keepalive to the upstream, moderate load: nothing to report
// above info.
func healthy(t *testing.T, bins tools) {
	// Kernel log lines from before this scenario (an earlier run of the lab
	// on this machine) are in every snapshot's /dev/kmsg.
	before, _ := exec.Command("dmesg").Output()
	p := newPair(t)
	be := startBackend(t, bins, p.backend, backendAddr)
	startNginx(t, p.proxy, site{servers: []string{backendAddr}, keepalive: true}.String())

	k0 := be.read(t)
	load := startWrk(t, p.proxy, 8, 3*time.Second)
	time.Sleep(500 * time.Millisecond)
	snap := capture(t, bins, p.proxy, "healthy")
	w := <-load
	k1 := be.read(t)
	t.Logf("wrk: %d requests; backend accepted %d connections for %d requests", w.requests, k1.accepted-k0.accepted, k1.requests-k0.requests)

	r := analyze(t, bins, snap)
	for _, f := range r.Findings {
		if f.Severity == "info" {
			continue
		}
		if f.ID == "syn-flood-or-syn-backlog" && bytes.Contains(before, []byte("SYN flooding")) {
			t.Logf("healthy proxy: %s %s: %s (from kernel log lines older than this scenario)", f.Severity, f.ID, f.Title)
			continue
		}
		t.Errorf("healthy proxy: %s %s: %s", f.Severity, f.ID, f.Title)
	}
	// nginx closes a cached upstream connection after keepalive_requests
	// (1000): that TIME_WAIT is all there is.
	if w.requests < 1000 || r.Facts.TW.Count > w.requests/1000+100 {
		t.Errorf("healthy proxy: %d requests, %d TIME_WAIT: want load and little TIME_WAIT", w.requests, r.Facts.TW.Count)
	}
}
