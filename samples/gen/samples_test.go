package main

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/netsnap/netsnap"
	"github.com/netsnap/netsnap/analysis"
	"github.com/netsnap/netsnap/analysis/model"
	"github.com/netsnap/netsnap/analysis/parse"
	"github.com/netsnap/netsnap/analysis/report"
	"github.com/netsnap/netsnap/analysis/rules"
	"github.com/netsnap/netsnap/snapshot"
)

// The tests read the committed samples (../NAME.tgz) with the real
// analyzer and check, one by one, the figures of INCIDENTS.md's "Expected
// figures for the seed 000 host" and what the write-up concludes.

var (
	resultsMu sync.Mutex
	results   = map[string]*analysis.Result{}
)

func analyzed(t *testing.T, name string) *analysis.Result {
	t.Helper()
	resultsMu.Lock()
	defer resultsMu.Unlock()
	if r, ok := results[name]; ok {
		return r
	}
	set, err := rules.Load(rules.Source{Name: "rules.toml", Data: netsnap.DefaultRules})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := snapshot.Open("../"+name+".tgz", snapshot.ReadOptions{})
	if err != nil {
		t.Fatalf("%v (run: go run ./samples/gen)", err)
	}
	defer snap.Close()
	r, err := analysis.Run(snap, set)
	if err != nil {
		t.Fatal(err)
	}
	results[name] = r
	return r
}

func finding(r *analysis.Result, id string) *report.Finding {
	for i := range r.Report.Findings {
		if r.Report.Findings[i].ID == id {
			return &r.Report.Findings[i]
		}
	}
	return nil
}

// mustFind returns the finding id, which must have at least severity min.
func mustFind(t *testing.T, r *analysis.Result, id string, min report.Severity) *report.Finding {
	t.Helper()
	f := finding(r, id)
	if f == nil {
		t.Fatalf("%s: %s does not fire", r.Report.Host.Snapshot, id)
	}
	if f.Severity < min {
		t.Errorf("%s: %s is %s, want at least %s", r.Report.Host.Snapshot, id, f.Severity, min)
	}
	return f
}

func contains(t *testing.T, what, s, sub string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Errorf("%s: %q does not contain %q", what, s, sub)
	}
}

func f1(x float64) string { return fmt.Sprintf("%.1f", x) }

func TestBeforeTimeWaitAtTheLimit(t *testing.T) {
	r := analyzed(t, "tengine-before")
	if r.Facts.TW.Count != 65536 || r.Facts.TW.Limit != 65536 {
		t.Errorf("TIME_WAIT %d of %d, want 65536 of 65536", r.Facts.TW.Count, r.Facts.TW.Limit)
	}
	f := mustFind(t, r, "tcp-tw-bucket-overflow", report.Warning)
	contains(t, "title", f.Title, "65536 of 65536 (100.0%)")
	if !r.Facts.TW.Overflow.Rising {
		t.Error("TCPTimeWaitOverflow does not rise during the capture")
	}
}

func TestBeforeConntrackFull(t *testing.T) {
	r := analyzed(t, "tengine-before")
	ct := r.Facts.Conntrack
	if ct.Count != 65422 || ct.Max != 65536 || f1(ct.Pct) != "99.8" {
		t.Errorf("conntrack %d/%d = %s%%, want 65422/65536 = 99.8%%", ct.Count, ct.Max, f1(ct.Pct))
	}
	f := mustFind(t, r, "conntrack-table-full", report.Critical)
	contains(t, "title", f.Title, "99.8% full: 65422 of 65536")
	// Why a proxy should not track connections at all.
	p := mustFind(t, r, "conntrack-on-proxy", report.Warning)
	contains(t, "conntrack-on-proxy fix", p.Fix, "unload")
}

func TestBeforeConntrackLogLinesCountedOnce(t *testing.T) {
	r := analyzed(t, "tengine-before")
	if r.Facts.Conntrack.Log != 20 {
		t.Errorf("%d \"table full\" log lines counted, the host logged 20: kern.log and the kernel lines of "+
			"/var/log/syslog (Ubuntu writes kernel messages to both) are added up without removing duplicates", r.Facts.Conntrack.Log)
	}
}

func TestBeforeEphemeralRange(t *testing.T) {
	r := analyzed(t, "tengine-before")
	p := r.Facts.Ports
	if p.Low != 32768 || p.High != 61000 || p.Size != 28233 {
		t.Errorf("ephemeral range %d-%d (%d ports), want 32768-61000 (28233)", p.Low, p.High, p.Size)
	}
}

// TestBeforeBusiestDestination: INCIDENTS.md expects 172.31.2.205:9092 with
// 4966 ports (17.6 %), from the seed's port table "before the change". That
// table and the TIME_WAIT sampling that gives 40677 for the brokers were
// taken at different times and cannot both hold in one socket table: 13083
// TIME_WAIT toward 172.31.2.205:9092 need 13083 local ports toward it. The
// sample reproduces the TIME_WAIT sampling (it sums to exactly the 65536
// limit), so the busiest destination is the broker with the most TIME_WAIT.
func TestBeforeBusiestDestination(t *testing.T) {
	r := analyzed(t, "tengine-before")
	p := r.Facts.Ports
	if p.Busiest != "172.31.1.240:9092" || p.BusiestCount != 14436 || f1(p.BusiestPct) != "51.1" {
		t.Errorf("busiest %s with %d ports (%s%%), want 172.31.1.240:9092 with 14436 (51.1%%)", p.Busiest, p.BusiestCount, f1(p.BusiestPct))
	}
	for _, ep := range []string{"172.31.1.240:9092", "172.31.15.64:9092", "172.31.2.205:9092"} {
		if n := portsToward(t, r, ep); n < r.Facts.TW.TopCount/2 {
			t.Errorf("%s: %d ports", ep, n)
		}
	}
}

func portsToward(t *testing.T, r *analysis.Result, dest string) int {
	t.Helper()
	best := 0
	for _, s := range r.Host.Samples {
		if s.TCP == nil {
			continue
		}
		for d, n := range s.TCP.PortUse {
			if d.Remote.String() == dest {
				best = max(best, n)
			}
		}
	}
	return best
}

func TestBeforeKafkaHoldsTheTimeWait(t *testing.T) {
	r := analyzed(t, "tengine-before")
	tw := r.Facts.TW
	if tw.TopGroup != "kafka" || tw.TopGroupCount != 40677 || f1(tw.TopGroupPct) != "62.1" {
		t.Errorf("top group %s with %d (%s%%), want kafka with 40677 (62.1%%)", tw.TopGroup, tw.TopGroupCount, f1(tw.TopGroupPct))
	}
	f := mustFind(t, r, "time-wait-concentration", report.Warning)
	contains(t, "title", f.Title, "kafka holds 62.1% of TIME_WAIT (40677 of 65536)")
	contains(t, "fix", f.Fix, "isolate")
	// The Kubernetes nodes: 15 of them with about 1.6k each.
	nodes := 0
	for a, n := range twByPeer(r) {
		if strings.HasPrefix(a.String(), "172.1.") && n >= 1500 && n <= 1700 {
			nodes++
		}
	}
	if nodes != 15 {
		t.Errorf("%d Kubernetes nodes with about 1.6k TIME_WAIT, want 15", nodes)
	}
}

// twByPeer is TIME_WAIT by peer in the sample with the most TIME_WAIT.
func twByPeer(r *analysis.Result) map[netip.Addr]int {
	var best *model.TCPSample
	for _, s := range r.Host.Samples {
		if s.TCP != nil && (best == nil || s.TCP.States[model.TimeWait] > best.States[model.TimeWait]) {
			best = s.TCP
		}
	}
	return best.TimeWaitByPeer
}

func TestBeforeTimeWaitMemory(t *testing.T) {
	r := analyzed(t, "tengine-before")
	tw := r.Facts.TW
	if tw.SlabObjects != 65824 || tw.SlabSize != 256 {
		t.Errorf("tw_sock_TCP %d × %d B, want 65824 × 256 B", tw.SlabObjects, tw.SlabSize)
	}
	if mib := float64(tw.MemoryBytes) / (1 << 20); mib < 15.9 || mib > 16.2 {
		t.Errorf("TIME_WAIT memory %.2f MiB, want ≈ 16 MiB", mib)
	}
	f := mustFind(t, r, "tw-memory", report.Info)
	contains(t, "title", f.Title, "65824 × 256 B")
}

func TestAfterTimeWait(t *testing.T) {
	r := analyzed(t, "tengine-after")
	if r.Facts.TW.Count != 125708 || r.Facts.TW.Limit != 180000 {
		t.Errorf("TIME_WAIT %d of %d, want 125708 of 180000", r.Facts.TW.Count, r.Facts.TW.Limit)
	}
}

func TestAfterCloseRate(t *testing.T) {
	r := analyzed(t, "tengine-after")
	if got := fmt.Sprintf("%.0f", r.Facts.Churn.CloseRate); got != "2095" {
		t.Errorf("close rate %s/s, want 2095/s", got)
	}
	f := mustFind(t, r, "connection-churn", report.Info)
	contains(t, "title", f.Title, "≈ 2095 connections closed per second (125708 TIME_WAIT / 60 s)")
}

func TestAfterPortsTowardKafka(t *testing.T) {
	r := analyzed(t, "tengine-after")
	p := r.Facts.Ports
	if p.Busiest != "172.31.2.205:9092" || p.BusiestCount != 17968 || f1(p.BusiestPct) != "63.6" {
		t.Errorf("busiest %s with %d ports (%s%%), want 172.31.2.205:9092 with 17968 (63.6%%)", p.Busiest, p.BusiestCount, f1(p.BusiestPct))
	}
	f := mustFind(t, r, "ephemeral-port-exhaustion", report.Warning)
	if f.Severity != report.Warning {
		t.Errorf("ephemeral-port-exhaustion is %s, want warning", f.Severity)
	}
	contains(t, "title", f.Title, "17968 of 28233 ephemeral ports (63.6%) in use toward 172.31.2.205:9092")
}

func TestAfterKafkaShare(t *testing.T) {
	r := analyzed(t, "tengine-after")
	tw := r.Facts.TW
	if tw.TopGroup != "kafka" || tw.TopGroupCount < 51000 || tw.TopGroupCount > 53000 || tw.TopGroupPct < 38 || tw.TopGroupPct > 45 {
		t.Errorf("top group %s with %d (%s%%), want kafka with ≈ 52k (≈ 40%%)", tw.TopGroup, tw.TopGroupCount, f1(tw.TopGroupPct))
	}
	f := mustFind(t, r, "time-wait-concentration", report.Warning)
	contains(t, "title", f.Title, "kafka holds")
}

func TestAfterOverflowResolved(t *testing.T) {
	r := analyzed(t, "tengine-after")
	if f := finding(r, "tcp-tw-bucket-overflow"); f != nil {
		t.Errorf("after the change TIME_WAIT is %d of %d (%.0f%%) and TCPTimeWaitOverflow did not move during the capture, "+
			"yet %q fires (%s) on the count since boot alone, so a diff shows it persisting, not resolved as INCIDENTS.md expects",
			r.Facts.TW.Count, r.Facts.TW.Limit, r.Facts.TW.Pct, f.Title, f.Severity)
	}
}

func TestAfterConntrackNotLoaded(t *testing.T) {
	r := analyzed(t, "tengine-after")
	if r.Facts.Conntrack.Loaded {
		t.Error("nf_conntrack is loaded after the change")
	}
	if finding(r, "conntrack-on-proxy") != nil {
		t.Error("conntrack-on-proxy fires without conntrack")
	}
	if f := finding(r, "conntrack-table-full"); f != nil && f.Severity == report.Critical {
		t.Errorf("%q is critical although nf_conntrack is no longer loaded: the only evidence is kern.log lines "+
			"five days old (kern.log keeps a week); it should say the table was full then, not that traffic is being dropped now", f.Title)
	}
}

// TestConclusionsCoverTheWriteUp: each conclusion of seed 000 is stated
// by a finding of the before or the after report.
func TestConclusionsCoverTheWriteUp(t *testing.T) {
	before, after := analyzed(t, "tengine-before"), analyzed(t, "tengine-after")
	// 1. The tcp_max_tw_buckets limit is reached; what skipping TIME_WAIT costs.
	f := mustFind(t, before, "tcp-tw-bucket-overflow", report.Warning)
	contains(t, "tcp-tw-bucket-overflow why", f.Why, "skips TIME_WAIT")
	// 2. nf_conntrack is full, and a proxy should not track connections.
	mustFind(t, before, "conntrack-table-full", report.Critical)
	p := mustFind(t, before, "conntrack-on-proxy", report.Warning)
	contains(t, "conntrack-on-proxy why", p.Why, "iptables -t nat -L")
	// 3. Ephemeral ports approach the limit, mostly toward Kafka.
	e := mustFind(t, after, "ephemeral-port-exhaustion", report.Warning)
	contains(t, "ephemeral-port-exhaustion title", e.Title, ":9092")
	contains(t, "ephemeral-port-exhaustion fix", e.Fix, "Kafka")
	// 4. TIME_WAIT options are trade-offs; keep TIME_WAIT and reuse connections.
	contains(t, "tcp-tw-bucket-overflow fix", f.Fix, "Reuse connections first")
	contains(t, "tcp-tw-bucket-overflow fix", f.Fix, "Do not enable tcp_tw_recycle")
	// 5. About 2000 requests per second from TIME_WAIT / 60 s.
	c := mustFind(t, after, "connection-churn", report.Info)
	contains(t, "connection-churn title", c.Title, "≈ 2095 connections closed per second")
	// 6. Kafka's share of TIME_WAIT; pool its connections or isolate it.
	for _, r := range []*analysis.Result{before, after} {
		k := mustFind(t, r, "time-wait-concentration", report.Warning)
		contains(t, "time-wait-concentration title", k.Title, "kafka holds")
		contains(t, "time-wait-concentration fix", k.Fix, "isolate it on its own proxy")
	}
	// 7. Upstream servers that no longer exist are still configured and
	// health-checked, with no upstream keepalive.
	for _, r := range []*analysis.Result{before, after} {
		mustFind(t, r, "nginx-dead-upstream-servers", report.Warning)
		mustFind(t, r, "nginx-health-check-churn", report.Warning)
		mustFind(t, r, "nginx-upstream-no-keepalive", report.Warning)
	}
}

// TestUpstreamServersAlive: 80 servers configured per upstream, about 16
// alive (15 in the before sample, 14 after; 16 different ones in all).
func TestUpstreamServersAlive(t *testing.T) {
	for name, alive := range map[string]string{"tengine-before": "15", "tengine-after": "14"} {
		r := analyzed(t, name)
		rows := 0
		for _, tb := range r.Report.Sections {
			if tb.ID != "nginx_upstreams" {
				continue
			}
			for _, row := range tb.Rows {
				if row[0] == "neo-ncc" {
					continue
				}
				rows++
				if row[2] != "80" || row[3] != alive {
					t.Errorf("%s: upstream %s: %s servers, %s with traffic; want 80 and %s", name, row[0], row[2], row[3], alive)
				}
			}
		}
		if rows != 7 {
			t.Errorf("%s: %d upstreams of the 80 nodes, want 7", name, rows)
		}
	}
}

// TestDeadServersCounted: each upstream lists the same 80 nodes, of which
// 15 carry traffic in the before sample.
func TestDeadServersCounted(t *testing.T) {
	r := analyzed(t, "tengine-before")
	if n := r.Facts.Nginx.Dead; n < 4*65 {
		t.Errorf("%d dead upstream servers; neo-pay's 65 silent servers are not among them although its 15 live "+
			"servers hold 156 TIME_WAIT (10 each): the deadShare test divides the upstream's sockets by all 80 servers (1.95 < 3) "+
			"rather than by the servers with traffic", n)
	}
}

func TestSibling(t *testing.T) {
	r := analyzed(t, "tengine-sibling")
	if r.Facts.Host.Hostname == "ip-172-31-3-170" {
		t.Error("the sibling has the seed host's name")
	}
	if r.Facts.TW.Limit != 65536 || r.Facts.TW.Count >= 60000 || finding(r, "tcp-tw-bucket-overflow") != nil {
		t.Errorf("sibling: TIME_WAIT %d of %d", r.Facts.TW.Count, r.Facts.TW.Limit)
	}
	if r.Facts.Conntrack.Loaded || finding(r, "ephemeral-port-exhaustion") != nil {
		t.Error("sibling: conntrack loaded or ports exhausted")
	}
	mustFind(t, r, "time-wait-concentration", report.Warning)
}

// TestSocketTablesConsistent: in every sample, outgoing sockets use local
// ports inside the ephemeral range, SYN_SENT goes only to servers that
// carry no traffic, and no two sockets share a 4-tuple.
func TestSocketTablesConsistent(t *testing.T) {
	for _, name := range []string{"tengine-before", "tengine-after", "tengine-sibling"} {
		snap, err := snapshot.Open("../"+name+".tgz", snapshot.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, smp := range snap.Manifest.Samples {
			var socks []model.Socket
			for _, file := range []string{"proc/net/tcp", "proc/net/tcp6"} {
				f, err := snap.Open(smp.Dir + "/" + file)
				if err != nil {
					t.Fatal(err)
				}
				p := &parse.Problems{File: file}
				if err := parse.TCP(f, p, func(s *model.Socket) { socks = append(socks, *s) }); err != nil {
					t.Fatal(err)
				}
				f.Close()
				if p.Count > 0 {
					t.Errorf("%s %s: %d malformed lines", name, file, p.Count)
				}
			}
			listening := map[uint16]bool{}
			live := map[netip.Addr]bool{}
			seen := map[[2]netip.AddrPort]bool{}
			for _, s := range socks {
				switch s.State {
				case model.Listen:
					listening[s.Local.Port()] = true
				case model.Established, model.TimeWait:
					live[s.Remote.Addr()] = true
				}
				k := [2]netip.AddrPort{s.Local, s.Remote}
				if seen[k] && s.State != model.Listen {
					t.Errorf("%s sample %d: two sockets %s -> %s", name, smp.Index, s.Local, s.Remote)
				}
				seen[k] = true
			}
			for _, s := range socks {
				if s.State == model.Listen || listening[s.Local.Port()] {
					continue
				}
				if p := s.Local.Port(); p < portLow || p > portHigh {
					t.Errorf("%s sample %d: outgoing %s -> %s from outside the ephemeral range", name, smp.Index, s.Local, s.Remote)
				}
				if s.State == model.SynSent && live[s.Remote.Addr()] {
					t.Errorf("%s sample %d: SYN_SENT to %s, a server with traffic", name, smp.Index, s.Remote)
				}
			}
		}
		snap.Close()
	}
}

// TestSamplesUpToDate: the committed samples are what the generator writes
// (what `go run ./samples/gen -check` checks in CI).
func TestSamplesUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("regenerates every sample")
	}
	if os.Geteuid() != 0 {
		t.Skip("the samples are made as root (the owners of the fixture's /proc/PID directories)")
	}
	stale, err := run("..", true, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(stale) > 0 {
		t.Errorf("out of date: %s (run: go run ./samples/gen)", strings.Join(stale, ", "))
	}
}
