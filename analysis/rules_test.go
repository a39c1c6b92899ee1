package analysis_test

import (
	"context"
	"fmt"
	"github.com/netsnap/netsnap/internal/fixture"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/netsnap/netsnap"
	"github.com/netsnap/netsnap/analysis"
	"github.com/netsnap/netsnap/analysis/report"
	"github.com/netsnap/netsnap/analysis/rules"
	"github.com/netsnap/netsnap/snapshot"
	"github.com/netsnap/netsnap/snapshot/collect"
)

// healthy is the fixture host every rule case starts from: a Debian nginx
// proxy with nothing wrong. It must produce no finding at all.
const healthy = "../testdata/hosts/healthy-proxy"

// files maps host paths (relative, "proc/net/tcp") to contents; "" removes the file.
type files map[string]string

func apply(t testing.TB, root string, fs files) {
	t.Helper()
	for p, content := range fs {
		fp := filepath.Join(root, p)
		if content == "" {
			os.RemoveAll(fp)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(fp), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(fp, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// snapshotOf builds a host from the healthy fixture, applies samples[0]
// before the first sample and samples[i] before sample i+1, collects it
// with the real collector and returns the snapshot's path.
func snapshotOf(t testing.TB, samples ...files) string {
	t.Helper()
	if len(samples) == 0 {
		samples = []files{{}}
	}
	root := filepath.Join(t.TempDir(), "root")
	fixture.CopyTree(t, healthy, root)
	out := filepath.Join(t.TempDir(), "snap.tgz")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = collect.Run(context.Background(), collect.Options{
		Root: root, Samples: len(samples), Interval: 1, // 1ns: back to back
		BeforeSample: func(i int) { apply(t, root, samples[i-1]) },
	}, f)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func analyze(t testing.TB, path string, user ...rules.Source) *report.Report {
	t.Helper()
	set, err := rules.Load(rules.Source{Name: "rules.toml", Data: netsnap.DefaultRules}, user...)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := snapshot.Open(path, snapshot.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	r, err := analysis.Analyze(snap, set)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func find(r *report.Report, id string) *report.Finding {
	for i := range r.Findings {
		if r.Findings[i].ID == id {
			return &r.Findings[i]
		}
	}
	return nil
}

func ids(r *report.Report) string {
	var s []string
	for _, f := range r.Findings {
		s = append(s, f.ID+"("+f.Severity.String()+")")
	}
	return strings.Join(s, " ")
}

// --- builders of /proc files

// sock is one socket-table row.
type sock struct {
	local, remote string // "10.0.0.10:40000"
	state         int    // kernel state number
	retrans       int
	rxq           int
	inode         int
}

func hexAddr(a netip.Addr) string {
	b := a.As4()
	return fmt.Sprintf("%02X%02X%02X%02X", b[3], b[2], b[1], b[0])
}

// tcpTable renders rows as /proc/net/tcp.
func tcpTable(rows ...sock) string {
	var b strings.Builder
	b.WriteString("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n")
	for i, r := range rows {
		l := netip.MustParseAddrPort(r.local)
		m := netip.MustParseAddrPort(r.remote)
		fmt.Fprintf(&b, "%4d: %s:%04X %s:%04X %02X %08X:%08X 00:00000000 %08X     0        0 %d 1 0000000000000000 20 4 30 10 -1\n",
			i, hexAddr(l.Addr()), l.Port(), hexAddr(m.Addr()), m.Port(), r.state, 0, r.rxq, r.retrans, r.inode)
	}
	return b.String()
}

// States, as the kernel numbers them.
const (
	stEstablished = 1
	stSynSent     = 2
	stFinWait2    = 5
	stTimeWait    = 6
	stCloseWait   = 8
	stListen      = 10
)

// listeners are the healthy host's listening sockets, first in every table as in the kernel's.
var listeners = []sock{
	{local: "0.0.0.0:80", remote: "0.0.0.0:0", state: stListen, inode: 21001},
	{local: "127.0.0.1:8080", remote: "0.0.0.0:0", state: stListen, inode: 21002},
}

// many makes n rows from local ports 40000+ toward one destination.
func many(n int, localIP, remote string, state int) []sock {
	out := make([]sock, n)
	for i := range out {
		out[i] = sock{local: fmt.Sprintf("%s:%d", localIP, 40000+i), remote: remote, state: state}
	}
	return out
}

func table(groups ...[]sock) string {
	rows := append([]sock{}, listeners...)
	for _, g := range groups {
		rows = append(rows, g...)
	}
	return tcpTable(rows...)
}

// netstat renders /proc/net/netstat with the given TcpExt counters (others 0).
func netstat(kv map[string]int64) string {
	names := []string{"SyncookiesSent", "SyncookiesRecv", "SyncookiesFailed", "TW", "PAWSActive", "ListenOverflows", "ListenDrops", "TCPTimeWaitOverflow", "TCPReqQFullDoCookies", "TCPReqQFullDrop"}
	vals := make([]string, len(names))
	for i, n := range names {
		vals[i] = fmt.Sprint(kv[n])
	}
	return "TcpExt: " + strings.Join(names, " ") + "\nTcpExt: " + strings.Join(vals, " ") + "\nIpExt: InNoRoutes\nIpExt: 0\n"
}

// snmp renders /proc/net/snmp's Tcp lines.
func snmp(active, passive int64) string {
	return "Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts\n" +
		fmt.Sprintf("Tcp: 1 200 120000 -1 %d %d 0 0 1 100 100 0 0 0\n", active, passive)
}

func TestHealthyHostHasNoFindings(t *testing.T) {
	r := analyze(t, snapshotOf(t, files{}, files{}))
	if len(r.Findings) != 0 {
		t.Errorf("healthy host: %s", ids(r))
	}
	if len(r.Problems) != 0 {
		t.Errorf("healthy host problems: %+v", r.Problems)
	}
}

// TestRules: every rule fires on a host that shows its incident, with the
// severity, basis and numbers INCIDENTS.md asks for, and near misses do not.
func TestRules(t *testing.T) {
	conntrack := func(count, max, buckets int) files {
		return files{
			"proc/sys/net/netfilter/nf_conntrack_count":   fmt.Sprintf("%d\n", count),
			"proc/sys/net/netfilter/nf_conntrack_max":     fmt.Sprintf("%d\n", max),
			"proc/sys/net/netfilter/nf_conntrack_buckets": fmt.Sprintf("%d\n", buckets),
		}
	}
	ctStat := func(drop, earlyDrop int) string {
		return "entries  searched found new invalid ignore delete delete_list insert insert_failed drop  early_drop icmp_error  expect_new expect_create expect_delete search_restart\n" +
			fmt.Sprintf("0000ff6e  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 %08x  %08x 00000000  00000000 00000000 00000000 00000000\n", drop, earlyDrop) +
			"0000ff6e  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000  00000000 00000000  00000000 00000000 00000000 00000000\n"
	}
	merge := func(fs ...files) files {
		out := files{}
		for _, f := range fs {
			for k, v := range f {
				out[k] = v
			}
		}
		return out
	}
	tw := func(n int, remote string) []sock { return many(n, "10.0.0.10", remote, stTimeWait) }

	cases := []struct {
		name    string
		rule    string
		samples []files
		want    report.Severity // 0: must not fire
		basis   string
		title   string // substring of the title
	}{
		{name: "tw at the limit", rule: "tcp-tw-bucket-overflow",
			samples: []files{{"proc/sys/net/ipv4/tcp_max_tw_buckets": "2000\n", "proc/net/tcp": table(tw(1950, "10.0.0.20:8080"))}},
			want:    report.Warning, title: "TIME_WAIT at the tcp_max_tw_buckets limit: 1950 of 2000 (97.5%)"},
		{name: "tw overflow rising", rule: "tcp-tw-bucket-overflow",
			samples: []files{
				{"proc/sys/net/ipv4/tcp_max_tw_buckets": "2000\n", "proc/net/tcp": table(tw(2000, "10.0.0.20:8080")), "proc/net/netstat": netstat(map[string]int64{"TCPTimeWaitOverflow": 100})},
				{"proc/net/netstat": netstat(map[string]int64{"TCPTimeWaitOverflow": 3985})},
			},
			want: report.Critical, basis: "during capture", title: "3885 closes skipped TIME_WAIT during the capture"},
		{name: "tw overflow since boot only", rule: "tcp-tw-bucket-overflow",
			samples: []files{{"proc/net/netstat": netstat(map[string]int64{"TCPTimeWaitOverflow": 7})}},
			want:    report.Warning, basis: "since boot", title: "7 TIME_WAIT overflows since boot"},
		{name: "tw overflow in the past, not during the capture", rule: "tcp-tw-bucket-overflow",
			samples: []files{{"proc/net/netstat": netstat(map[string]int64{"TCPTimeWaitOverflow": 7})}, {}}},
		{name: "tw near miss", rule: "tcp-tw-bucket-overflow",
			samples: []files{{"proc/sys/net/ipv4/tcp_max_tw_buckets": "2000\n", "proc/net/tcp": table(tw(1800, "10.0.0.20:8080"))}}},

		{name: "tw buckets 100", rule: "tcp-tw-buckets-too-low",
			samples: []files{{"proc/sys/net/ipv4/tcp_max_tw_buckets": "100\n"}}, want: report.Warning, title: "tcp_max_tw_buckets is 100"},
		{name: "tw buckets 5000 near miss", rule: "tcp-tw-buckets-too-low",
			samples: []files{{"proc/sys/net/ipv4/tcp_max_tw_buckets": "5000\n"}}},

		{name: "ports warning", rule: "ephemeral-port-exhaustion",
			samples: []files{{"proc/sys/net/ipv4/ip_local_port_range": "40000\t40199\n", "proc/net/tcp": table(tw(120, "10.0.0.30:9092"))}},
			want:    report.Warning, title: "120 of 200 ephemeral ports (60.0%) in use toward 10.0.0.30:9092"},
		{name: "ports critical", rule: "ephemeral-port-exhaustion",
			samples: []files{{"proc/sys/net/ipv4/ip_local_port_range": "40000\t40199\n", "proc/net/tcp": table(tw(170, "10.0.0.30:9092"))}},
			want:    report.Critical, title: "170 of 200"},
		{name: "ports with reserved ports", rule: "ephemeral-port-exhaustion",
			samples: []files{{"proc/sys/net/ipv4/ip_local_port_range": "40000\t40299\n", "proc/sys/net/ipv4/ip_local_reserved_ports": "40200-40299\n", "proc/net/tcp": table(tw(120, "10.0.0.30:9092"))}},
			want:    report.Warning, title: "120 of 200 ephemeral ports"},
		{name: "ports near miss", rule: "ephemeral-port-exhaustion",
			samples: []files{{"proc/sys/net/ipv4/ip_local_port_range": "40000\t40199\n", "proc/net/tcp": table(tw(90, "10.0.0.30:9092"))}}},

		{name: "range covers 8080", rule: "ephemeral-range-overlaps-listeners",
			samples: []files{{"proc/sys/net/ipv4/ip_local_port_range": "1024\t65535\n"}}, want: report.Warning, title: "Listening port 8080 inside the ephemeral range 1024-65535"},
		{name: "a loopback listener on a port the kernel handed out_fp", rule: "ephemeral-range-overlaps-listeners",
			samples: []files{{"proc/net/tcp": tcpTable(append(append([]sock{}, listeners...), sock{local: "127.0.0.1:42039", remote: "0.0.0.0:0", state: stListen})...)}}},
		{name: "range covers 8080, reserved", rule: "ephemeral-range-overlaps-listeners",
			samples: []files{{"proc/sys/net/ipv4/ip_local_port_range": "1024\t65535\n", "proc/sys/net/ipv4/ip_local_reserved_ports": "80,8080\n"}}},

		{name: "listen overflows rising", rule: "listen-queue-overflow",
			samples: []files{{"proc/net/netstat": netstat(map[string]int64{"ListenOverflows": 10, "ListenDrops": 10})}, {"proc/net/netstat": netstat(map[string]int64{"ListenOverflows": 1108, "ListenDrops": 1108})}},
			want:    report.Critical, basis: "during capture", title: "ListenOverflows +1098"},
		{name: "listen overflows since boot", rule: "listen-queue-overflow",
			samples: []files{{"proc/net/netstat": netstat(map[string]int64{"ListenOverflows": 674915, "ListenDrops": 674915})}, {}},
			want:    report.Warning, basis: "since boot", title: "ListenOverflows 674915"},
		{name: "listen queue full now", rule: "listen-queue-overflow",
			samples: []files{{"proc/sys/net/core/somaxconn": "128\n", "proc/net/tcp": tcpTable(sock{local: "0.0.0.0:80", remote: "0.0.0.0:0", state: stListen, rxq: 129})}},
			want:    report.Warning, title: "0.0.0.0:80 100.8% full"},

		{name: "syn cookies", rule: "syn-flood-or-syn-backlog",
			samples: []files{{"proc/net/netstat": netstat(map[string]int64{"SyncookiesSent": 42})}}, want: report.Warning, basis: "since boot", title: "42 SYN cookies sent"},
		{name: "syn flood log", rule: "syn-flood-or-syn-backlog",
			samples: []files{{"var/log/kern.log": "Nov 20 10:00:00 h kernel: [86391.000001] TCP: request_sock_TCP: Possible SYN flooding on port 0.0.0.0:80. Sending cookies.  Check SNMP counters.\n"}},
			want:    report.Warning, title: "SYN queue pressure: 1 \"Possible SYN flooding\" log line (ports 80)"},

		{name: "tw_recycle", rule: "tcp-tw-recycle-enabled",
			samples: []files{{"proc/sys/net/ipv4/tcp_tw_recycle": "1\n"}}, want: report.Critical},
		{name: "tw_recycle off", rule: "tcp-tw-recycle-enabled",
			samples: []files{{"proc/sys/net/ipv4/tcp_tw_recycle": "0\n"}}},

		{name: "reuse without timestamps", rule: "tcp-tw-reuse-ineffective",
			samples: []files{{"proc/sys/net/ipv4/tcp_tw_reuse": "1\n", "proc/sys/net/ipv4/tcp_timestamps": "0\n"}}, want: report.Info},
		{name: "default reuse without timestamps", rule: "tcp-tw-reuse-ineffective",
			samples: []files{{"proc/sys/net/ipv4/tcp_timestamps": "0\n"}}},

		{name: "seed 001 timers", rule: "aggressive-tcp-timers",
			samples: []files{{"proc/sys/net/ipv4/tcp_fin_timeout": "3\n", "proc/sys/net/ipv4/tcp_keepalive_time": "10\n"}}, want: report.Info, title: "tcp_fin_timeout 3 s, tcp_keepalive_time 10 s"},
		{name: "timers at 30s", rule: "aggressive-tcp-timers",
			samples: []files{{"proc/sys/net/ipv4/tcp_fin_timeout": "30\n", "proc/sys/net/ipv4/tcp_keepalive_time": "600\n"}}},

		{name: "close wait", rule: "close-wait-accumulation",
			samples: []files{{"proc/net/tcp": table(func() []sock {
				s := many(1200, "10.0.0.10", "10.0.0.99:50000", stCloseWait)
				for i := range s {
					s[i].local = "127.0.0.1:8080"
					s[i].remote = fmt.Sprintf("10.0.0.99:%d", 30000+i)
				}
				return s
			}())}},
			want: report.Warning, title: "1200 sockets in CLOSE_WAIT"},
		{name: "close wait few", rule: "close-wait-accumulation",
			samples: []files{{"proc/net/tcp": table(many(50, "10.0.0.10", "10.0.0.99:80", stCloseWait))}}},

		{name: "fin wait2", rule: "fin-wait2-accumulation",
			samples: []files{{"proc/net/tcp": table(many(1207, "10.0.0.10", "10.0.0.99:80", stFinWait2))}}, want: report.Info, title: "1207 sockets in FIN_WAIT2"},

		{name: "orphans", rule: "tcp-orphans-or-memory-pressure",
			samples: []files{{"proc/sys/net/ipv4/tcp_max_orphans": "1000\n", "proc/net/sockstat": "sockets: used 900\nTCP: inuse 900 orphan 600 tw 2 alloc 900 mem 3\nUDP: inuse 1 mem 2\n"}},
			want:    report.Warning, title: "600 orphans of 1000"},
		{name: "tcp_mem log", rule: "tcp-orphans-or-memory-pressure",
			samples: []files{{"var/log/kern.log": "Nov 20 10:00:00 h kernel: [1.5] TCP: out of memory -- consider tuning tcp_mem\n"}}, want: report.Warning},

		{name: "conntrack 99.8%", rule: "conntrack-table-full",
			samples: []files{merge(conntrack(65422, 65536, 16384), files{"proc/net/stat/nf_conntrack": ctStat(0, 0)})},
			want:    report.Critical, title: "Conntrack table 99.8% full: 65422 of 65536 entries"},
		{name: "conntrack drops rising", rule: "conntrack-table-full",
			samples: []files{merge(conntrack(1000, 65536, 16384), files{"proc/net/stat/nf_conntrack": ctStat(5, 0)}), {"proc/net/stat/nf_conntrack": ctStat(105, 0)}},
			want:    report.Critical, basis: "during capture", title: "packets dropped"},
		{name: "conntrack log only", rule: "conntrack-table-full",
			samples: []files{merge(conntrack(10, 65536, 16384), files{"var/log/kern.log": "Jun  8 10:48:13 compute4 kernel: [1694413.621694] nf_conntrack: nf_conntrack: table full, dropping packet\n"})},
			want:    report.Critical, title: "The conntrack table has been full; 1 \"table full, dropping packet\" log line"},
		{name: "conntrack early_drop only", rule: "conntrack-table-full",
			samples: []files{merge(conntrack(50000, 65536, 16384), files{"proc/net/stat/nf_conntrack": ctStat(0, 12)})},
			want:    report.Warning, basis: "since boot", title: "12 unassured entries evicted early"},
		{name: "conntrack 80%", rule: "conntrack-table-full",
			samples: []files{merge(conntrack(52000, 65536, 16384), files{"proc/net/stat/nf_conntrack": ctStat(0, 0)})}},

		{name: "conntrack on a proxy", rule: "conntrack-on-proxy",
			samples: []files{conntrack(50, 65536, 16384)}, want: report.Warning, title: "tracking 50 connections"},
		{name: "conntrack on a router", rule: "conntrack-on-proxy",
			samples: []files{merge(conntrack(50, 65536, 16384), files{"proc/sys/net/ipv4/ip_forward": "1\n"})}},
		{name: "conntrack on a docker host", rule: "conntrack-on-proxy",
			samples: []files{merge(conntrack(50, 65536, 16384), files{"proc/sys/net/ipv4/conf/docker0/forwarding": "1\n"})}},
		{name: "conntrack built in, idle", rule: "conntrack-on-proxy",
			samples: []files{conntrack(0, 65536, 16384)}},

		{name: "hash undersized", rule: "conntrack-hash-undersized",
			samples: []files{conntrack(10, 262144, 16384)}, want: report.Info, title: "16384 buckets for up to 262144 entries (16.0 per bucket)"},
		{name: "hash fine", rule: "conntrack-hash-undersized",
			samples: []files{conntrack(10, 262144, 65536)}},

		{name: "kafka holds the TIME_WAIT", rule: "time-wait-concentration",
			samples: []files{{"proc/net/tcp": table(tw(900, "10.0.0.30:9092"), many(600, "10.0.0.11", "10.0.0.40:8080", stTimeWait))}},
			want:    report.Warning, title: "kafka holds 60.0% of TIME_WAIT (900 of 1500)"},
		{name: "spread TIME_WAIT", rule: "time-wait-concentration",
			samples: []files{{"proc/net/tcp": table(func() []sock {
				var all []sock
				for i := 0; i < 5; i++ {
					all = append(all, many(250, fmt.Sprintf("10.0.0.%d", 10+i), fmt.Sprintf("10.0.1.%d:%d", i, 7000+i), stTimeWait)...)
				}
				return all
			}())}},
			want: report.Info},
		{name: "little TIME_WAIT", rule: "time-wait-concentration",
			samples: []files{{"proc/net/tcp": table(tw(500, "10.0.0.30:9092"))}}},

		{name: "churn", rule: "connection-churn",
			samples: []files{{"proc/net/tcp": table(tw(1200, "10.0.0.30:9092")), "proc/net/snmp": snmp(1000, 0)}, {"proc/net/snmp": snmp(1000, 0)}},
			want:    report.Info, title: "≈ 20 connections closed per second (1200 TIME_WAIT / 60 s)"},

		{name: "tw memory", rule: "tw-memory",
			samples: []files{{"proc/net/tcp": table(tw(10000, "10.0.0.30:9092")), "proc/slabinfo": "slabinfo - version: 2.1\n# name <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\ntw_sock_TCP        65824  65824    256   16    1 : tunables    0    0    0 : slabdata   4114   4114      0\n"}},
			want:    report.Info, title: "16.1 MiB of kernel memory (65824 × 256 B)"},

		{name: "dead upstream in two samples", rule: "syn-sent-stuck",
			samples: []files{{"proc/net/tcp": table([]sock{{local: "10.0.0.10:45000", remote: "10.0.0.66:8080", state: stSynSent}})}, {"proc/net/tcp": table([]sock{{local: "10.0.0.10:45001", remote: "10.0.0.66:8080", state: stSynSent}})}},
			want:    report.Warning, title: "1 destination not answering SYNs: 10.0.0.66:8080"},
		{name: "retransmitted SYN", rule: "syn-sent-stuck",
			samples: []files{{"proc/net/tcp": table([]sock{{local: "10.0.0.10:45000", remote: "10.0.0.66:8080", state: stSynSent, retrans: 2}})}},
			want:    report.Warning},
		{name: "fresh SYN", rule: "syn-sent-stuck",
			samples: []files{{"proc/net/tcp": table([]sock{{local: "10.0.0.10:45000", remote: "10.0.0.66:8080", state: stSynSent}})}, {"proc/net/tcp": table()}}},
	}
	// nginx: overlays of the healthy proxy's configuration (upstream "app" = app1 10.0.0.20:8080, app2 10.0.0.21:8080).
	upstreams := func(body string) files { return files{"etc/nginx/conf.d/upstreams.conf": body} }
	site := func(body string) files { return files{"etc/nginx/sites-available/app": body} }
	twTo := func(n int, remote string) files {
		return files{"proc/net/tcp": table(many(n, "10.0.0.10", remote, stTimeWait), []sock{{local: "10.0.0.10:50000", remote: "10.0.0.21:8080", state: stEstablished}})}
	}
	errorLog := func(lines ...string) files { return files{"var/log/nginx/error.log": strings.Join(lines, "\n") + "\n"} }
	const noLive = `2026/11/20 10:00:02 [error] 4243#4243: *102 no live upstreams while connecting to upstream, client: 10.0.0.100, server: _, request: "GET / HTTP/1.1", upstream: "http://app/", host: "proxy"`
	const reset = `2026/11/20 10:00:03 [error] 4243#4243: *103 recv() failed (104: Connection reset by peer) while reading response header from upstream, client: 10.0.0.100, server: _, request: "GET / HTTP/1.1", upstream: "http://10.0.0.20:8080/", host: "proxy"`
	const timedOut = `2026/11/20 10:00:04 [error] 4243#4243: *104 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 10.0.0.100, server: _, request: "GET / HTTP/1.1", upstream: "http://10.0.0.20:8080/", host: "proxy"`
	const eaddr = `2026/11/20 10:00:05 [crit] 4243#4243: *105 connect() to 10.0.0.20:8080 failed (99: Cannot assign requested address) while connecting to upstream, client: 10.0.0.100, server: _, request: "GET / HTTP/1.1", upstream: "http://10.0.0.20:8080/", host: "proxy"`
	const limiting = `2026/11/20 10:00:06 [error] 4243#4243: *106 limiting requests, excess: 20.100 by zone "one", client: 10.0.0.100, server: _, request: "GET / HTTP/1.1", host: "proxy"`
	fourServers := upstreams("upstream app {\n    server 10.0.0.20:8080;\n    server 10.0.0.21:8080;\n    server 10.0.0.22:8080;\n    server 10.0.0.23:8080;\n    keepalive 16;\n}\n")
	cases = append(cases, []struct {
		name    string
		rule    string
		samples []files
		want    report.Severity
		basis   string
		title   string
	}{
		{name: "no keepalive, TIME_WAIT to the servers", rule: "nginx-upstream-no-keepalive",
			samples: []files{merge(upstreams("upstream app {\n    server app1:8080;\n    server app2:8080;\n}\n"), twTo(40, "10.0.0.20:8080"))},
			want:    report.Warning, title: "1 nginx upstream without connection reuse, 40 TIME_WAIT toward their servers: app"},
		{name: "no keepalive, no TIME_WAIT", rule: "nginx-upstream-no-keepalive",
			samples: []files{merge(upstreams("upstream app {\n    server app1:8080;\n    server app2:8080;\n}\n"), files{"proc/net/tcp": table()})},
			want:    report.Info},
		{name: "seed 001: a second server block without the headers", rule: "nginx-upstream-no-keepalive",
			samples: []files{merge(twTo(40, "10.0.0.20:8080"), files{"etc/nginx/conf.d/default.conf": "server {\n    listen 8081;\n    location / {\n        proxy_pass http://app;\n    }\n}\n"})},
			want:    report.Warning, title: "app"},
		{name: "a location's own proxy_set_header drops the inherited Connection", rule: "nginx-upstream-no-keepalive",
			samples: []files{merge(twTo(40, "10.0.0.20:8080"), site("server {\n    listen 80;\n    proxy_http_version 1.1;\n    proxy_set_header Connection \"\";\n    location / {\n        proxy_set_header Host $host;\n        proxy_pass http://app;\n    }\n}\n"))},
			want:    report.Warning},
		{name: "inherited from the server block_fp", rule: "nginx-upstream-no-keepalive",
			samples: []files{merge(twTo(40, "10.0.0.20:8080"), site("server {\n    listen 80;\n    proxy_http_version 1.1;\n    proxy_set_header Connection \"\";\n    location / {\n        proxy_pass http://app;\n    }\n}\n"))}},
		{name: "seed 003: proxy_pass to a local backend, TIME_WAIT on its side", rule: "nginx-upstream-no-keepalive",
			samples: []files{merge(site("server {\n    listen 80;\n    location / {\n        proxy_pass http://127.0.0.1:8887;\n    }\n}\n"), files{"proc/net/tcp": table([]sock{{local: "127.0.0.1:8887", remote: "0.0.0.0:0", state: stListen}}, func() []sock {
				s := many(30, "127.0.0.1", "127.0.0.1:1", stTimeWait)
				for i := range s {
					s[i].local, s[i].remote = "127.0.0.1:8887", fmt.Sprintf("127.0.0.1:%d", 41000+i)
				}
				return s
			}())})},
			want: report.Warning, title: "30 TIME_WAIT toward their servers: 127.0.0.1:8887"},

		{name: "two of four servers dead", rule: "nginx-dead-upstream-servers",
			samples: []files{merge(fourServers, files{"proc/net/tcp": table(tw(10, "10.0.0.20:8080"), many(10, "10.0.0.11", "10.0.0.21:8080", stTimeWait))})},
			want:    report.Warning, title: "2 of 4 nginx upstream servers carry no traffic"},
		{name: "a server that only gets SYNs", rule: "nginx-dead-upstream-servers",
			samples: []files{merge(fourServers, files{"proc/net/tcp": table(tw(10, "10.0.0.20:8080"), many(10, "10.0.0.11", "10.0.0.21:8080", stTimeWait), many(10, "10.0.0.12", "10.0.0.22:8080", stTimeWait), []sock{{local: "10.0.0.10:45000", remote: "10.0.0.23:8080", state: stSynSent}})})},
			want:    report.Warning, title: "1 of 4 nginx upstream servers carry no traffic while their siblings do; 1 of them gets only unanswered SYNs"},
		{name: "quiet upstream_fp", rule: "nginx-dead-upstream-servers",
			samples: []files{merge(fourServers, files{"proc/net/tcp": table([]sock{{local: "10.0.0.10:45000", remote: "10.0.0.20:8080", state: stEstablished}})})}},

		{name: "check without keepalive", rule: "nginx-health-check-churn",
			samples: []files{upstreams("upstream app {\n    server app1:8080;\n    server app2:8080;\n    keepalive 32;\n    check interval=1000 rise=2 fall=5 timeout=1000 type=http;\n    check_http_send \"HEAD / HTTP/1.0\\r\\n\\r\\n\";\n}\n")},
			want:    report.Info, title: "Health checks open ≈ 2 new connections per second (1 upstream without check_keepalive_requests)"},
		{name: "check probing dead servers", rule: "nginx-health-check-churn",
			samples: []files{merge(upstreams("upstream app {\n    server 10.0.0.20:8080;\n    server 10.0.0.66:8080;\n    keepalive 32;\n    check interval=3000 type=tcp;\n}\n"), files{"proc/net/tcp": table(tw(10, "10.0.0.20:8080"))})},
			want:    report.Warning, title: "1 probing dead servers"},
		{name: "check with keepalive_fp", rule: "nginx-health-check-churn",
			samples: []files{upstreams("upstream app {\n    server app1:8080;\n    server app2:8080;\n    keepalive 32;\n    check interval=1000 type=http;\n    check_keepalive_requests 100;\n}\n")}},

		{name: "worker_connections over the file limit", rule: "nginx-fd-limits",
			samples: []files{{"etc/nginx/nginx.conf": "worker_processes 2;\nevents { worker_connections 10240; }\nhttp { include /etc/nginx/conf.d/*.conf; include /etc/nginx/sites-enabled/*; }\n"}},
			want:    report.Warning, title: "worker_connections 10240 needs up to 20480, the limit is 8192"},
		{name: "worker_connections within the limit_fp", rule: "nginx-fd-limits",
			samples: []files{{"etc/nginx/nginx.conf": "worker_processes 2;\nevents { worker_connections 4096; }\nhttp { include /etc/nginx/conf.d/*.conf; include /etc/nginx/sites-enabled/*; }\n"}}},

		{name: "seed 004: no live upstreams and resets, accept queue overflowing", rule: "nginx-upstream-errors",
			samples: []files{merge(errorLog(noLive, reset, timedOut), files{"proc/net/netstat": netstat(map[string]int64{"ListenOverflows": 674915, "ListenDrops": 674915})})},
			want:    report.Warning, title: "nginx logged 3 upstream errors: 1 no live upstreams, 1 timed out (110), 1 reset by peer (104)"},
		{name: "cannot assign requested address", rule: "nginx-upstream-errors",
			samples: []files{errorLog(eaddr, eaddr)}, want: report.Warning, title: "2 cannot assign requested address (99)"},
		{name: "unrelated error lines_fp", rule: "nginx-upstream-errors",
			samples: []files{errorLog(limiting, limiting)}},
	}...)
	covered := map[string]bool{}
	for _, tc := range cases {
		t.Run(tc.rule+"/"+tc.name, func(t *testing.T) {
			t.Parallel()
			r := analyze(t, snapshotOf(t, tc.samples...))
			f := find(r, tc.rule)
			if tc.want == 0 {
				if f != nil {
					t.Fatalf("near miss fired: %s: %s", f.Severity, f.Title)
				}
				return
			}
			if f == nil {
				t.Fatalf("%s did not fire; findings: %s; problems: %v", tc.rule, ids(r), r.Problems)
			}
			if f.Severity != tc.want || f.Basis != tc.basis || !strings.Contains(f.Title, tc.title) {
				t.Errorf("got %s [%s] %q\nwant %s [%s] containing %q", f.Severity, f.Basis, f.Title, tc.want, tc.basis, tc.title)
			}
			if f.Why == "" || f.Fix == "" || len(f.Evidence.Values) == 0 {
				t.Errorf("finding lacks why, fix or evidence: %+v", f)
			}
			for _, p := range r.Problems {
				t.Errorf("problem: %+v", p)
			}
		})
		if tc.want != 0 {
			covered[tc.rule] = true
		}
	}
	set, _ := rules.Load(rules.Source{Name: "rules.toml", Data: netsnap.DefaultRules})
	var missing []string
	for _, r := range set.Rules {
		if !covered[r.ID] {
			missing = append(missing, r.ID)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("rules without a firing case: %v", missing)
	}
}

// TestRebootBetweenSamples: counters that go down with the uptime are not
// read as negative rises, and the report says the host rebooted.
func TestRebootBetweenSamples(t *testing.T) {
	r := analyze(t, snapshotOf(t,
		files{"proc/uptime": "86400.00 1.00\n", "proc/net/netstat": netstat(map[string]int64{"ListenOverflows": 5000})},
		files{"proc/uptime": "12.00 1.00\n", "proc/net/netstat": netstat(map[string]int64{"ListenOverflows": 3})},
	))
	f := find(r, "listen-queue-overflow")
	if f == nil || f.Severity != report.Warning || f.Basis != "since boot" {
		t.Fatalf("listen-queue-overflow after a reboot: %+v", f)
	}
	found := false
	for _, p := range r.Problems {
		found = found || strings.Contains(p.Message, "the host rebooted")
	}
	if !found {
		t.Errorf("no problem says the host rebooted: %+v", r.Problems)
	}
}

// TestNginxNoKeepaliveNamesTheDirectives: the finding points at the file:line
// of the server block that lacks the headers (seed 001's default server).
func TestNginxNoKeepaliveNamesTheDirectives(t *testing.T) {
	tcp := table(many(40, "10.0.0.10", "10.0.0.20:8080", stTimeWait))
	r := analyze(t, snapshotOf(t, files{
		"proc/net/tcp":                  tcp,
		"etc/nginx/conf.d/default.conf": "server {\n    listen 8081;\n    location / {\n        proxy_pass http://app;\n    }\n}\n",
	}))
	f := find(r, "nginx-upstream-no-keepalive")
	if f == nil {
		t.Fatalf("did not fire: %s", ids(r))
	}
	lines := strings.Join(f.Evidence.Lines, "\n")
	for _, want := range []string{"app (/etc/nginx/conf.d/upstreams.conf:1, 40 TIME_WAIT)", "proxy_http_version 1.1 at /etc/nginx/conf.d/default.conf:4", `proxy_set_header Connection "" at /etc/nginx/conf.d/default.conf:4`} {
		if !strings.Contains(lines, want) {
			t.Errorf("evidence lacks %q:\n%s", want, lines)
		}
	}
	if strings.Contains(lines, "sites-enabled/app") {
		t.Errorf("the correctly configured server block is blamed:\n%s", lines)
	}
	// The TIME_WAIT table labels the servers with their upstream.
	for _, s := range r.Sections {
		if s.ID == "time_wait_by_service" && (len(s.Rows) == 0 || s.Rows[0][1] != "upstream app") {
			t.Errorf("TIME_WAIT by service: %v", s.Rows)
		}
	}
}

// TestRealHostsHaveNoFalseWarnings analyses the real sosreport captures of
// the shared corpus (Kubernetes, RabbitMQ and Vault nodes with nothing wrong
// in their network state): no warning or critical finding.
func TestRealHostsHaveNoFalseWarnings(t *testing.T) {
	base := "../../shared/corpus/procfs-hotsos/tests/unit/fake_data_root"
	hosts, err := os.ReadDir(base)
	if err != nil {
		t.Skipf("shared corpus not beside the repository: %v", err)
	}
	checked := 0
	for _, h := range hosts {
		proc := filepath.Join(base, h.Name(), "proc")
		nets, _ := filepath.Glob(filepath.Join(proc, "[0-9]*", "net"))
		if len(nets) != 1 {
			continue
		}
		t.Run(h.Name(), func(t *testing.T) {
			root := t.TempDir()
			fixture.CopyTree(t, nets[0], filepath.Join(root, "proc/net"))
			fixture.CopyTree(t, filepath.Join(proc, "sys"), filepath.Join(root, "proc/sys"))
			out := filepath.Join(t.TempDir(), "snap.tgz")
			f, err := os.Create(out)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := collect.Run(context.Background(), collect.Options{Root: root, Samples: 1}, f); err != nil {
				t.Fatal(err)
			}
			f.Close()
			r := analyze(t, out)
			for _, f := range r.Findings {
				if f.Severity > report.Info {
					t.Errorf("%s %s: %s", f.Severity, f.ID, f.Title)
				}
			}
		})
		checked++
	}
	if checked == 0 {
		t.Fatal("no corpus host found")
	}
}
