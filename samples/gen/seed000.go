package main

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// What seed 000 shows of ip-172-31-3-170, as data. Where the write-up
// gives a figure it is used as is; samples/README.md lists what is
// reconstructed or invented around it.

const (
	kernelRelease = "3.13.0-48-generic"
	kernelVersion = "#80-Ubuntu SMP Thu Mar 12 11:16:15 UTC 2015"
)

var (
	ipTengineA = netip.MustParseAddr("172.31.3.170")
	ipSibling  = netip.MustParseAddr("172.31.6.71") // invented
	sshClient  = netip.MustParseAddr("172.31.4.6")  // the ssh session in both port tables

	// The Kafka brokers (kafka-1-2, kafka-1-0, kafka-1-1).
	kafka = []netip.Addr{netip.MustParseAddr("172.31.1.240"), netip.MustParseAddr("172.31.15.64"), netip.MustParseAddr("172.31.2.205")}
)

// timeWaitSampling1 is the first "TIME-WAIT by peer" sampling: 65536 in
// all, the tcp_max_tw_buckets limit. Peers 172.1.* are Kubernetes nodes;
// the 172.31.* peers other than the brokers are taken to be the load
// balancer nodes in front of the proxy (incoming connections).
var timeWaitSampling1 = []struct {
	peer string
	n    int
}{
	{"172.1.36.132", 1615}, {"172.1.37.106", 1640}, {"172.1.38.108", 1621}, {"172.1.39.66", 1648},
	{"172.1.41.128", 1}, {"172.1.43.2", 1628}, {"172.1.43.33", 1590}, {"172.1.43.46", 1617},
	{"172.1.44.48", 1627}, {"172.1.47.41", 1614}, {"172.1.50.119", 1636}, {"172.1.56.178", 1618},
	{"172.1.56.22", 1619}, {"172.1.56.224", 1619}, {"172.1.57.200", 1626}, {"172.1.58.80", 1603},
	{"172.31.1.240", 14414}, {"172.31.10.10", 53}, {"172.31.129.89", 43}, {"172.31.135.29", 61},
	{"172.31.139.181", 53}, {"172.31.142.162", 56}, {"172.31.143.7", 52}, {"172.31.15.127", 58},
	{"172.31.15.64", 13180}, {"172.31.2.205", 13083}, {"172.31.7.213", 53}, {"172.31.8.11", 58},
	{"172.31.8.47", 1}, {"172.31.9.250", 49},
}

// timeWaitSampling2Clients are the non-broker 172.31.* peers of the second
// sampling ("N days later"), with their TIME_WAIT then, and the client
// addresses the after port table shows once each.
var timeWaitSampling2Clients = []struct {
	peer string
	n    int
}{
	{"172.31.10.91", 2}, {"172.31.13.39", 96}, {"172.31.134.142", 92}, {"172.31.136.115", 89},
	{"172.31.139.156", 107}, {"172.31.139.20", 83}, {"172.31.2.129", 1}, {"172.31.3.11", 102},
	{"172.31.3.135", 84}, {"172.31.4.158", 33}, {"172.31.5.208", 86}, {"172.31.7.117", 1},
	{"172.31.8.21", 5}, {"172.31.8.47", 2}, {"172.31.10.66", 1}, {"172.31.15.99", 2},
}

// nodePorts is one Kubernetes node's line of a port-usage table: sockets
// from ephemeral ports per NodePort, in the order of upstreamPorts.
type nodePorts struct {
	node string
	n    [7]int
}

// portsBefore is the port-usage table "before changing
// tcp_max_tw_buckets" (nodes only; lines of one socket dropped, as in the
// seed). It is used for how each node's traffic divides between services.
var portsBefore = []nodePorts{
	{"172.1.36.132", [7]int{13, 627, 344, 4, 3, 1193, 3}},
	{"172.1.37.106", [7]int{17, 626, 363, 4, 3, 1296, 3}},
	{"172.1.38.108", [7]int{14, 582, 352, 4, 3, 1251, 4}},
	{"172.1.39.66", [7]int{16, 598, 364, 4, 4, 1355, 3}},
	{"172.1.43.2", [7]int{15, 627, 361, 4, 3, 1258, 4}},
	{"172.1.44.23", [7]int{17, 641, 355, 4, 3, 1323, 6}},
	{"172.1.44.48", [7]int{11, 628, 366, 3, 3, 1329, 4}},
	{"172.1.47.41", [7]int{14, 622, 364, 4, 4, 1223, 3}},
	{"172.1.50.119", [7]int{16, 579, 356, 4, 3, 1317, 5}},
	{"172.1.56.178", [7]int{13, 642, 350, 2, 4, 1244, 4}},
	{"172.1.56.224", [7]int{15, 632, 339, 3, 4, 1343, 3}},
	{"172.1.56.22", [7]int{16, 635, 360, 4, 2, 1327, 4}},
	{"172.1.57.200", [7]int{17, 603, 361, 4, 3, 1306, 3}},
	{"172.1.58.80", [7]int{14, 621, 347, 4, 2, 1254, 4}},
}

// portsAfter is the port-usage table after the change (nodes only).
var portsAfter = []nodePorts{
	{"172.1.36.132", [7]int{23, 1206, 784, 3, 3, 2438, 4}},
	{"172.1.37.106", [7]int{23, 1205, 796, 3, 3, 2431, 3}},
	{"172.1.38.108", [7]int{26, 1210, 791, 3, 3, 2427, 4}},
	{"172.1.39.66", [7]int{27, 1207, 797, 4, 4, 2431, 4}},
	{"172.1.43.2", [7]int{24, 1220, 790, 3, 3, 2413, 4}},
	{"172.1.44.23", [7]int{23, 1221, 801, 5, 5, 2435, 3}},
	{"172.1.44.48", [7]int{24, 1211, 796, 4, 3, 2405, 3}},
	{"172.1.47.41", [7]int{22, 1202, 805, 4, 3, 2433, 3}},
	{"172.1.50.119", [7]int{25, 1221, 803, 3, 3, 2421, 3}},
	{"172.1.56.178", [7]int{22, 1230, 799, 4, 3, 2434, 3}},
	{"172.1.56.224", [7]int{20, 1216, 795, 3, 3, 2434, 6}},
	{"172.1.56.22", [7]int{24, 1223, 806, 5, 4, 2430, 5}},
	{"172.1.57.200", [7]int{27, 1219, 786, 3, 3, 2419, 4}},
	{"172.1.58.80", [7]int{23, 1220, 797, 5, 4, 2422, 5}},
}

// kafkaPortsAfter are the after table's lines toward the brokers.
var kafkaPortsAfter = []int{17264, 17268, 17968}

// synSentBefore are the two SYN-SENT listings (ss -n -o, 500 ms apart):
// local port, destination and timer left. Every destination is an
// upstream server that no longer exists.
var synSentListing1 = []string{
	"60128 172.1.32.128:32426 968", "59933 172.1.60.118:30966 516", "41741 172.1.51.145:31889 548",
	"56082 172.1.48.120:30217 608", "37874 172.1.51.89:30217 40", "58522 172.1.58.208:30217 964",
	"34101 172.1.60.188:30720 140", "34886 172.1.49.156:32426 964", "40156 172.1.63.76:31889 276",
	"51343 172.1.47.109:32720 540", "51717 172.1.35.188:30217 960", "56443 172.1.43.161:32426 508",
	"36613 172.1.63.76:30217 960", "47568 172.1.43.161:30966 276", "50576 172.1.39.4:30720 540",
}

// synSentListing2New are the sockets of the second listing that were not
// in the first.
var synSentListing2New = []string{
	"58906 172.1.43.114:31889 940", "51089 172.1.44.243:30966 616", "35080 172.1.40.158:30720 940",
	"33076 172.1.54.196:32720 612", "43954 172.1.44.214:30720 936", "41943 172.1.61.1:30966 708",
	"35410 172.1.51.89:31889 640",
}

// synSentAfterDests are the after table's single sockets toward servers
// that carry no traffic: health checks waiting for an answer.
var synSentAfterDests = []string{
	"172.1.38.244:32426", "172.1.47.109:30720", "172.1.47.109:32426", "172.1.47.54:32206",
	"172.1.48.120:32426", "172.1.48.194:32206", "172.1.59.231:30966", "172.1.60.161:32206",
	"172.1.60.192:30217", "172.1.63.150:30217", "172.1.63.76:32720",
}

func parseSyn(lines []string) []synSent {
	var out []synSent
	for _, l := range lines {
		var port, left int
		var dest string
		if _, err := fmt.Sscan(l, &port, &dest, &left); err != nil {
			panic(err)
		}
		out = append(out, synSent{LPort: uint16(port), Dest: netip.MustParseAddrPort(dest), Left: max(left/10, 1)})
	}
	return out
}

// deadSyn makes n SYN_SENT sockets of health checks toward servers
// without traffic (not in live), each destination once.
func deadSyn(key string, n int, live map[string]bool, skip map[netip.AddrPort]bool) []synSent {
	r := newRNG("syn " + key)
	var out []synSent
	for len(out) < n {
		ip := nodeIPs[r.intn(len(nodeIPs))]
		if live[ip.String()] {
			continue
		}
		d := netip.AddrPortFrom(ip, upstreamPorts[r.intn(len(upstreamPorts))])
		if skip[d] {
			continue
		}
		skip[d] = true
		out = append(out, synSent{Dest: d, Left: 2 + r.intn(97)})
	}
	return out
}

// kernLogA is /var/log/kern.log of ip-172-31-3-170: the seed's "table
// full" lines of Mar 1, after two lines that loading nf_conntrack through
// `iptables -t nat -L` prints (their time is invented: 34 s earlier).
const kernLogA = `Mar  1 09:40:47 ip-172-31-3-170 kernel: [12449616.371204] ip_tables: (C) 2000-2006 Netfilter Core Team
Mar  1 09:40:47 ip-172-31-3-170 kernel: [12449616.402881] nf_conntrack version 0.5.0 (16384 buckets, 65536 max)
Mar  1 09:41:21 ip-172-31-3-170 kernel: [12449650.185260] nf_conntrack: table full, dropping packet
Mar  1 09:41:21 ip-172-31-3-170 kernel: [12449650.187128] nf_conntrack: table full, dropping packet
Mar  1 09:41:21 ip-172-31-3-170 kernel: [12449650.187284] nf_conntrack: table full, dropping packet
Mar  1 09:41:21 ip-172-31-3-170 kernel: [12449650.187414] nf_conntrack: table full, dropping packet
Mar  1 09:41:21 ip-172-31-3-170 kernel: [12449650.189815] nf_conntrack: table full, dropping packet
Mar  1 09:41:21 ip-172-31-3-170 kernel: [12449650.190977] nf_conntrack: table full, dropping packet
Mar  1 09:41:21 ip-172-31-3-170 kernel: [12449650.191152] nf_conntrack: table full, dropping packet
Mar  1 09:41:21 ip-172-31-3-170 kernel: [12449650.191216] nf_conntrack: table full, dropping packet
Mar  1 09:41:21 ip-172-31-3-170 kernel: [12449650.198360] nf_conntrack: table full, dropping packet
Mar  1 09:41:21 ip-172-31-3-170 kernel: [12449650.202865] nf_conntrack: table full, dropping packet
Mar  1 09:41:26 ip-172-31-3-170 kernel: [12449655.206163] net_ratelimit: 466 callbacks suppressed
Mar  1 09:41:26 ip-172-31-3-170 kernel: [12449655.206166] nf_conntrack: table full, dropping packet
Mar  1 09:41:26 ip-172-31-3-170 kernel: [12449655.208071] nf_conntrack: table full, dropping packet
Mar  1 09:41:26 ip-172-31-3-170 kernel: [12449655.208076] nf_conntrack: table full, dropping packet
Mar  1 09:41:26 ip-172-31-3-170 kernel: [12449655.209518] nf_conntrack: table full, dropping packet
Mar  1 09:41:26 ip-172-31-3-170 kernel: [12449655.210556] nf_conntrack: table full, dropping packet
Mar  1 09:41:26 ip-172-31-3-170 kernel: [12449655.431035] nf_conntrack: table full, dropping packet
Mar  1 09:41:26 ip-172-31-3-170 kernel: [12449655.520073] nf_conntrack: table full, dropping packet
Mar  1 09:41:26 ip-172-31-3-170 kernel: [12449655.520083] nf_conntrack: table full, dropping packet
Mar  1 09:41:26 ip-172-31-3-170 kernel: [12449655.520098] nf_conntrack: table full, dropping packet
Mar  1 09:41:26 ip-172-31-3-170 kernel: [12449655.524071] nf_conntrack: table full, dropping packet
`

// dmesgBoot is /var/log/dmesg: the boot lines the seed quotes.
const dmesgBoot = `[    0.656799] TCP established hash table entries: 131072 (order: 8, 1048576 bytes)
[    0.660962] TCP bind hash table entries: 65536 (order: 8, 1048576 bytes)
[    0.664468] TCP: Hash tables configured (established 131072 bind 65536)
[    0.667852] TCP: reno registered
[    0.669794] UDP hash table entries: 8192 (order: 6, 262144 bytes)
[    0.672929] UDP-Lite hash table entries: 8192 (order: 6, 262144 bytes)
[    1.088294] TCP: cubic registered
`

// When the seed's kern.log lines were written, and the uptime they carry:
// the boot time of ip-172-31-3-170 follows.
var (
	logTime   = time.Date(2018, 3, 1, 9, 41, 21, 185260000, time.UTC)
	logUptime = 12449650185260 * time.Microsecond
	bootA     = logTime.Add(-logUptime)
)

// The capture times: before just after the log lines, after on the day of
// the seed's comparison of three proxies (20180306), the sibling minutes
// later.
var (
	startBefore  = time.Date(2018, 3, 1, 9, 41, 40, 0, time.UTC)
	startAfter   = time.Date(2018, 3, 6, 10, 20, 0, 0, time.UTC)
	startSibling = time.Date(2018, 3, 6, 10, 24, 0, 0, time.UTC)
	// The tw_buckets change: the overflow counter stops rising then.
	changeTime = time.Date(2018, 3, 1, 10, 5, 0, 0, time.UTC)
)

// split divides total in proportion to weights (largest remainders).
func split(total int, weights []int) []int {
	sum := 0
	for _, w := range weights {
		sum += w
	}
	out := make([]int, len(weights))
	type rem struct{ i, r int }
	var rems []rem
	given := 0
	for i, w := range weights {
		out[i] = total * w / sum
		given += out[i]
		rems = append(rems, rem{i, total * w % sum})
	}
	for k := 0; given < total; k++ {
		best := -1
		for j, r := range rems {
			if r.r >= 0 && (best < 0 || r.r > rems[best].r) {
				best = j
			}
		}
		out[rems[best].i]++
		rems[best].r = -1
		given++
	}
	return out
}

// meanShares is the per-NodePort division of the before table summed over its nodes.
func meanShares() []int {
	w := make([]int, 7)
	for _, n := range portsBefore {
		for i, v := range n.n {
			w[i] += v
		}
	}
	return w
}

func sharesOf(table []nodePorts, node string) []int {
	for _, n := range table {
		if n.node == node {
			return n.n[:]
		}
	}
	return meanShares()
}

func ap(ip string, port uint16) netip.AddrPort {
	return netip.AddrPortFrom(netip.MustParseAddr(ip), port)
}

// nodeFlows divides each node's TIME_WAIT between the NodePorts by the
// shares of table and adds est ESTABLISHED sockets per node (on the three
// busy services).
func nodeFlows(tw map[string]int, order []string, table []nodePorts, est []int) []flow {
	var out []flow
	for i, node := range order {
		parts := split(tw[node], sharesOf(table, node))
		for j, n := range parts {
			if n > 0 {
				out = append(out, flow{State: stTimeWait, Peer: ap(node, upstreamPorts[j]), N: n})
			}
		}
		e := est[i%len(est)]
		es := split(e, []int{0, 2, 1, 0, 0, 4, 0}) // neo-cc, neo-extra and neo have requests in flight
		for j, n := range es {
			if n > 0 {
				out = append(out, flow{State: stEstablished, Peer: ap(node, upstreamPorts[j]), N: n, UID: uidWWWData})
			}
		}
	}
	return out
}

// clientFlows are incoming connections on :80 from the load balancer nodes.
func clientFlows(state int, total int, peers []string, weights []int) []flow {
	var out []flow
	for i, n := range split(total, weights) {
		if n > 0 {
			out = append(out, flow{State: state, Peer: ap(peers[i], 0), Local: 80, N: n, UID: uidWWWData})
		}
	}
	return out
}

// tengineA is ip-172-31-3-170 without its samples.
func tengineA(name string, twBuckets int, conntrack bool, start time.Time) *host {
	h := &host{
		name: name, hostname: "ip-172-31-3-170", ip: ipTengineA,
		bootID: "5b0e7c2e-61f4-4bd3-9a31-0e6a2c9d47f1", boot: bootA,
		start: start, interval: 2 * time.Second, cpus: 8, memKB: 16324104,
	}
	h.listeners = listenersFor(h.ip)
	h.udp = udpFor(h.ip, "fe80::9c:feff:fe63:4a48")
	h.sysctl = baseSysctls(twBuckets)
	h.procs = procsA()
	h.files = commonFiles(kernLogA, twBuckets != 65536)
	h.files["proc/modules"] = modulesFile(conntrack, true)
	if conntrack {
		for k, v := range conntrackSysctls {
			h.sysctl[k] = v
		}
	}
	return h
}

// tengineBefore is ip-172-31-3-170 before the change: TIME_WAIT pinned at
// 65536 (the first by-peer sampling), conntrack full.
func tengineBefore() *host {
	h := tengineA("tengine-before", 65536, true, startBefore)
	var nodes []string
	tw := map[string]int{}
	live := map[string]bool{}
	var clients []string
	var clientTW []int
	var kafkaTW []int
	for _, p := range timeWaitSampling1 {
		switch {
		case p.peer == "172.1.41.128":
		case strings.HasPrefix(p.peer, "172.1."):
			nodes = append(nodes, p.peer)
			tw[p.peer] = p.n
			live[p.peer] = true
		case isKafka(p.peer):
			kafkaTW = append(kafkaTW, p.n)
		default:
			clients = append(clients, p.peer)
			clientTW = append(clientTW, p.n)
		}
	}
	// kafkaTW is in the sampling's (address) order: 172.31.1.240, 172.31.15.64, 172.31.2.205.
	mk := func(kafkaLess []int, extraNode int, estNodes []int, estClients int, syn []synSent, fixed []sock) *sample {
		s := &sample{TWSlab: [2]int64{65824, 65824}, Syn: syn, Fixed: fixed}
		t := map[string]int{}
		for k, v := range tw {
			t[k] = v
		}
		for i := 0; i < extraNode; i++ {
			t[nodes[i%len(nodes)]]++
		}
		s.Flows = append(s.Flows, nodeFlows(t, nodes, portsBefore, estNodes)...)
		s.Flows = append(s.Flows, flow{State: stTimeWait, Peer: ap("172.1.41.128", 80), N: 1})
		for i, ip := range kafka {
			s.Flows = append(s.Flows,
				flow{State: stTimeWait, Peer: netip.AddrPortFrom(ip, portKafka), N: kafkaTW[i] - kafkaLess[i]},
				flow{State: stEstablished, Peer: netip.AddrPortFrom(ip, portKafka), N: 22 + i, UID: uidRoot})
		}
		s.Flows = append(s.Flows, clientFlows(stTimeWait, sum(clientTW), clients, clientTW)...)
		busy := clients[:0:0]
		for i, c := range clients {
			if clientTW[i] > 1 {
				busy = append(busy, c)
			}
		}
		s.Flows = append(s.Flows, clientFlows(stEstablished, estClients, busy, ones(len(busy)))...)
		return s
	}
	ssh := sshSession(h.ip, 50886)
	l2 := parseSyn(synSentListing2New)
	skip := map[netip.AddrPort]bool{}
	for _, s := range append(parseSyn(synSentListing1), l2...) {
		skip[s.Dest] = true
	}
	// The netstat rows of the seed used: (ESTABLISHED, SYN_SENT, TIME_WAIT)
	// = (275, 13, 65536) with 2 FIN_WAIT1, (292, 8, 65536) with 1 CLOSING,
	// (291, 9, 65536).
	s1 := mk([]int{0, 0, 0}, 0, []int{7}, 100, parseSyn(synSentListing1)[:13],
		[]sock{ssh, client(h.ip, "172.31.135.29", 51202, stFinWait1), client(h.ip, "172.31.9.250", 40917, stFinWait1)})
	s2 := mk([]int{43, 40, 39}, 122, []int{8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 7, 7}, 104, append(l2, deadSyn("before 2", 1, live, skip)...),
		[]sock{ssh, client(h.ip, "172.31.10.10", 61733, stClosing)})
	s3 := mk([]int{22, 20, 20}, 62, []int{8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 7, 7, 7}, 104, deadSyn("before 3", 9, live, skip),
		[]sock{ssh})
	s1.Conntrack, s2.Conntrack, s3.Conntrack = 65422, 65415, 65398
	h.samples = []*sample{s1, s2, s3}
	h.conntrack = &conntrackState{
		table: map[string]int{"TIME_WAIT": 64986, "ESTABLISHED": 274, "SYN_SENT": 13, "CLOSE": 61,
			"FIN_WAIT": 27, "LAST_ACK": 9, "CLOSE_WAIT": 2},
		udp: 50,
		stat: map[string][2]float64{
			"searched": {4102331, 77000}, "found": {2301, 40}, "new": {118902, 2000}, "invalid": {3114, 55},
			"ignore": {601223, 11000}, "delete": {46911, 1900}, "delete_list": {46911, 1900}, "insert": {112333, 1900},
			"drop": {6569, 97}, "early_drop": {1204, 8}, "icmp_error": {310, 6}, "search_restart": {12, 0},
		},
	}
	h.counters = countersBefore()
	return h
}

// tengineAfter is ip-172-31-3-170 five days later, tcp_max_tw_buckets
// 180000 (persisted in /etc/sysctl.conf), nf_conntrack unloaded again.
func tengineAfter() *host {
	h := tengineA("tengine-after", 180000, false, startAfter)
	live := map[string]bool{}
	for _, n := range portsAfter {
		live[n.node] = true
	}
	var clients []string
	var weights []int
	for _, c := range timeWaitSampling2Clients {
		clients = append(clients, c.peer)
		weights = append(weights, c.n)
	}
	mk := func(lessNodes, lessKafka, lessClients int, estClients int, syn []synSent) *sample {
		s := &sample{Syn: syn, Fixed: []sock{sshSession(h.ip, 41216)}}
		// The after table counts every socket toward a node; 7 of each
		// node's (8 on the first two) are requests in flight.
		for i, n := range portsAfter {
			est := []int{0, 2, 1, 0, 0, 4, 0}
			if i < 2 {
				est[5]++
			}
			for j, c := range n.n {
				twN := c - est[j]
				if j == 5 { // sample 2 has lessNodes fewer, spread over the nodes
					twN -= lessNodes / len(portsAfter)
					if i < lessNodes%len(portsAfter) {
						twN--
					}
				}
				s.Flows = append(s.Flows, flow{State: stTimeWait, Peer: ap(n.node, upstreamPorts[j]), N: twN})
				if est[j] > 0 {
					s.Flows = append(s.Flows, flow{State: stEstablished, Peer: ap(n.node, upstreamPorts[j]), N: est[j], UID: uidWWWData})
				}
			}
		}
		for i, ip := range kafka {
			less := 0
			if i < 2 {
				less = lessKafka / 2
			}
			s.Flows = append(s.Flows,
				flow{State: stTimeWait, Peer: netip.AddrPortFrom(ip, portKafka), N: kafkaPortsAfter[i] - 20 - less},
				flow{State: stEstablished, Peer: netip.AddrPortFrom(ip, portKafka), N: 20, UID: uidRoot})
		}
		// The rest of the 125708 TIME_WAIT (the after table's many lines of
		// one socket each): connections accepted from the load balancer.
		s.Flows = append(s.Flows, clientFlows(stTimeWait, 10752-lessClients, clients, weights)...)
		s.Flows = append(s.Flows, clientFlows(stEstablished, estClients, clients[:12], ones(12))...)
		return s
	}
	skip := map[netip.AddrPort]bool{}
	var syn1 []synSent
	for _, d := range synSentAfterDests {
		skip[netip.MustParseAddrPort(d)] = true
		syn1 = append(syn1, synSent{Dest: netip.MustParseAddrPort(d), Left: 3 + len(syn1)*7})
	}
	for _, s := range append(parseSyn(synSentListing1), parseSyn(synSentListing2New)...) {
		if len(syn1) == 26 {
			break
		}
		if !skip[s.Dest] {
			skip[s.Dest] = true
			syn1 = append(syn1, synSent{Dest: s.Dest, Left: s.Left})
		}
	}
	// ss -na after the change: ESTAB 280, SYN-SENT 26, TIME-WAIT 125708.
	s1 := mk(0, 0, 0, 119, syn1)
	s2 := mk(40, 18, 60, 123, deadSyn("after 2", 22, live, skip))
	s1.TWSlab = [2]int64{125941, 126016}
	s2.TWSlab = [2]int64{125822, 126016}
	h.samples = []*sample{s1, s2}
	h.counters = countersAfter()
	return h
}

// tengineSibling is an invented third proxy of the same fleet (the seed
// compares three in a screenshot it does not transcribe): same kernel,
// configuration and dead upstream servers, tcp_max_tw_buckets 65536, about
// a third of the traffic, nf_conntrack never loaded.
func tengineSibling() *host {
	h := &host{
		name: "tengine-sibling", hostname: "ip-172-31-6-71", ip: ipSibling,
		bootID: "c41d9a07-2b85-4e0f-8d6e-93f1a5b27c30", boot: startSibling.Add(-5304117 * time.Second),
		start: startSibling, interval: 2 * time.Second, cpus: 8, memKB: 16324104,
	}
	h.listeners = listenersFor(h.ip)
	h.udp = udpFor(h.ip, "fe80::4e:2aff:fe91:7c0d")
	h.sysctl = baseSysctls(65536)
	h.procs = procsSibling()
	h.files = commonFiles("", false)
	h.files["proc/modules"] = modulesFile(false, false)
	live := map[string]bool{}
	for _, n := range portsAfter {
		live[n.node] = true
	}
	var clients []string
	var weights []int
	for _, c := range timeWaitSampling2Clients {
		clients = append(clients, c.peer)
		weights = append(weights, c.n)
	}
	kafkaTW := []int{5102, 5051, 5230}
	mk := func(scale float64, less int, est int, syn []synSent) *sample {
		s := &sample{Syn: syn, Fixed: []sock{sshSession(h.ip, 52214)}}
		for i, n := range portsAfter {
			for j, c := range n.n {
				twN := int(float64(c)*scale + 0.5)
				if j == 5 && i < less {
					twN--
				}
				s.Flows = append(s.Flows, flow{State: stTimeWait, Peer: ap(n.node, upstreamPorts[j]), N: twN})
			}
			s.Flows = append(s.Flows, flow{State: stEstablished, Peer: ap(n.node, portNeo), N: 3, UID: uidWWWData})
		}
		for i, ip := range kafka {
			s.Flows = append(s.Flows,
				flow{State: stTimeWait, Peer: netip.AddrPortFrom(ip, portKafka), N: kafkaTW[i] - less},
				flow{State: stEstablished, Peer: netip.AddrPortFrom(ip, portKafka), N: 8, UID: uidRoot})
		}
		s.Flows = append(s.Flows, clientFlows(stTimeWait, 2614-less, clients, weights)...)
		s.Flows = append(s.Flows, clientFlows(stEstablished, est, clients[:12], ones(12))...)
		return s
	}
	skip := map[netip.AddrPort]bool{}
	s1 := mk(0.39, 0, 60, deadSyn("sibling 1", 14, live, skip))
	s2 := mk(0.39, 9, 63, deadSyn("sibling 2", 11, live, skip))
	s1.TWSlab = [2]int64{42611, 42784}
	s2.TWSlab = [2]int64{42580, 42784}
	h.samples = []*sample{s1, s2}
	h.counters = countersSibling()
	return h
}

func isKafka(ip string) bool {
	for _, k := range kafka {
		if k.String() == ip {
			return true
		}
	}
	return false
}

func sum(xs []int) int {
	t := 0
	for _, x := range xs {
		t += x
	}
	return t
}

func ones(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = 1
	}
	return out
}

// sshSession is the operator's ssh session (to sshd's IPv6 socket, so a
// v4-mapped row of tcp6, as the seed's port tables show it).
func sshSession(ip netip.Addr, clientPort uint16) sock {
	return sock{state: stEstablished, v6: true, local: netip.AddrPortFrom(ip, 22), peer: netip.AddrPortFrom(sshClient, clientPort), uid: uidRoot}
}

func client(ip netip.Addr, peer string, port uint16, state int) sock {
	return sock{state: state, local: netip.AddrPortFrom(ip, 80), peer: ap(peer, port)}
}

// listenersFor are the listening sockets of ss -nltp in the seed.
func listenersFor(ip netip.Addr) []sock {
	any4, any6 := netip.IPv4Unspecified(), netip.IPv6Unspecified()
	return []sock{
		{state: stListen, local: netip.AddrPortFrom(any4, 22), peer: netip.AddrPortFrom(any4, 0), inode: 10871},
		{state: stListen, local: netip.AddrPortFrom(any4, 23334), peer: netip.AddrPortFrom(any4, 0), inode: 2313920},
		{state: stListen, local: netip.AddrPortFrom(any4, 80), peer: netip.AddrPortFrom(any4, 0), inode: 12217},
		{state: stListen, v6: true, local: netip.AddrPortFrom(any6, 22), peer: netip.AddrPortFrom(any6, 0), inode: 10873},
		{state: stListen, v6: true, local: netip.AddrPortFrom(any6, 9100), peer: netip.AddrPortFrom(any6, 0), inode: 10412},
	}
}

// udpFor are nine UDP sockets (ss -na after the change: UNCONN 9):
// dhclient and ntpd.
func udpFor(ip netip.Addr, linkLocal string) []udpSock {
	any4, any6 := netip.IPv4Unspecified(), netip.IPv6Unspecified()
	return []udpSock{
		{local: netip.AddrPortFrom(any4, 68), inode: 9620},
		{local: netip.AddrPortFrom(any4, 12834), inode: 9606},
		{local: netip.AddrPortFrom(ip, 123), uid: 104, inode: 11421},
		{local: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), 123), uid: 104, inode: 11419},
		{local: netip.AddrPortFrom(any4, 123), uid: 104, inode: 11412},
		{local: netip.AddrPortFrom(any6, 123), v6: true, uid: 104, inode: 11413},
		{local: netip.AddrPortFrom(netip.MustParseAddr("::1"), 123), v6: true, uid: 104, inode: 11420},
		{local: netip.AddrPortFrom(netip.MustParseAddr(linkLocal), 123), v6: true, uid: 104, inode: 11422},
		{local: netip.AddrPortFrom(any6, 38120), v6: true, inode: 9607},
	}
}
