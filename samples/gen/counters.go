package main

import (
	"fmt"
	"math"
	"strings"
)

// The counter columns of /proc/net/netstat and /proc/net/snmp on Linux
// 3.13 (net/ipv4/proc.c of that release), in the kernel's order.
var (
	tcpExt3_13 = strings.Fields(`SyncookiesSent SyncookiesRecv SyncookiesFailed EmbryonicRsts PruneCalled RcvPruned
		OfoPruned OutOfWindowIcmps LockDroppedIcmps ArpFilter TW TWRecycled TWKilled PAWSPassive PAWSActive PAWSEstab
		DelayedACKs DelayedACKLocked DelayedACKLost ListenOverflows ListenDrops TCPPrequeued TCPDirectCopyFromBacklog
		TCPDirectCopyFromPrequeue TCPPrequeueDropped TCPHPHits TCPHPHitsToUser TCPPureAcks TCPHPAcks TCPRenoRecovery
		TCPSackRecovery TCPSACKReneging TCPFACKReorder TCPSACKReorder TCPRenoReorder TCPTSReorder TCPFullUndo
		TCPPartialUndo TCPDSACKUndo TCPLossUndo TCPLostRetransmit TCPRenoFailures TCPSackFailures TCPLossFailures
		TCPFastRetrans TCPForwardRetrans TCPSlowStartRetrans TCPTimeouts TCPLossProbes TCPLossProbeRecovery
		TCPRenoRecoveryFail TCPSackRecoveryFail TCPSchedulerFailed TCPRcvCollapsed TCPDSACKOldSent TCPDSACKOfoSent
		TCPDSACKRecv TCPDSACKOfoRecv TCPAbortOnData TCPAbortOnClose TCPAbortOnMemory TCPAbortOnTimeout
		TCPAbortOnLinger TCPAbortFailed TCPMemoryPressures TCPSACKDiscard TCPDSACKIgnoredOld TCPDSACKIgnoredNoUndo
		TCPSpuriousRTOs TCPMD5NotFound TCPMD5Unexpected TCPSackShifted TCPSackMerged TCPSackShiftFallback
		TCPBacklogDrop PFMemallocDrop TCPMinTTLDrop TCPDeferAcceptDrop IPReversePathFilter TCPTimeWaitOverflow
		TCPReqQFullDoCookies TCPReqQFullDrop TCPRetransFail TCPRcvCoalesce TCPOFOQueue TCPOFODrop TCPOFOMerge
		TCPChallengeACK TCPSYNChallenge TCPFastOpenActive TCPFastOpenPassive TCPFastOpenPassiveFail
		TCPFastOpenListenOverflow TCPFastOpenCookieReqd TCPSpuriousRtxHostQueues BusyPollRxPackets`)
	ipExt3_13 = strings.Fields(`InNoRoutes InTruncatedPkts InMcastPkts OutMcastPkts InBcastPkts OutBcastPkts
		InOctets OutOctets InMcastOctets OutMcastOctets InBcastOctets OutBcastOctets InCsumErrors InNoECTPkts
		InECT1Pkts InECT0Pkts InCEPkts`)
	ip3_13 = strings.Fields(`Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ForwDatagrams
		InUnknownProtos InDiscards InDelivers OutRequests OutDiscards OutNoRoutes ReasmTimeout ReasmReqds ReasmOKs
		ReasmFails FragOKs FragFails FragCreates`)
	icmp3_13 = strings.Fields(`InMsgs InErrors InCsumErrors InDestUnreachs InTimeExcds InParmProbs InSrcQuenchs
		InRedirects InEchos InEchoReps InTimestamps InTimestampReps InAddrMasks InAddrMaskReps OutMsgs OutErrors
		OutDestUnreachs OutTimeExcds OutParmProbs OutSrcQuenchs OutRedirects OutEchos OutEchoReps OutTimestamps
		OutTimestampReps OutAddrMasks OutAddrMaskReps`)
	tcp3_13 = strings.Fields(`RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails
		EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors`)
	udp3_13 = strings.Fields(`InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors`)
)

// counters holds, per "Group Name", a value at sample 1 and a rate per
// second; counters not listed are 0.
type counters map[string][2]float64

func (c counters) value(group, name string, dt float64) string {
	v, ok := c[group+" "+name]
	if !ok {
		return "0"
	}
	if v[1] == 0 {
		return fmt.Sprintf("%d", int64(v[0]))
	}
	return fmt.Sprintf("%d", int64(math.Floor(v[0]+v[1]*dt)))
}

func (c counters) line(b *strings.Builder, group string, names []string, dt float64, override map[string]string) {
	fmt.Fprintf(b, "%s: %s\n%s:", group, strings.Join(names, " "), group)
	for _, n := range names {
		v, ok := override[n]
		if !ok {
			v = c.value(group, n, dt)
		}
		b.WriteString(" " + v)
	}
	b.WriteString("\n")
}

// netstat renders /proc/net/netstat dt seconds after sample 1.
func (c counters) netstat(dt float64) []byte {
	var b strings.Builder
	c.line(&b, "TcpExt", tcpExt3_13, dt, nil)
	c.line(&b, "IpExt", ipExt3_13, dt, nil)
	return []byte(b.String())
}

// snmp renders /proc/net/snmp; currEstab is the Tcp CurrEstab gauge.
func (c counters) snmp(dt float64, currEstab int) []byte {
	var b strings.Builder
	c.line(&b, "Ip", ip3_13, dt, map[string]string{"Forwarding": "2", "DefaultTTL": "64"})
	c.line(&b, "Icmp", icmp3_13, dt, nil)
	c.line(&b, "IcmpMsg", []string{"InType3", "InType8", "OutType0", "OutType3"}, dt, nil)
	c.line(&b, "Tcp", tcp3_13, dt, map[string]string{"RtoAlgorithm": "1", "RtoMin": "200", "RtoMax": "120000", "MaxConn": "-1", "CurrEstab": fmt.Sprint(currEstab)})
	c.line(&b, "Udp", udp3_13, dt, nil)
	c.line(&b, "UdpLite", udp3_13, dt, map[string]string{"InDatagrams": "0", "NoPorts": "0", "InErrors": "0", "OutDatagrams": "0", "RcvbufErrors": "0", "SndbufErrors": "0", "InCsumErrors": "0"})
	return []byte(b.String())
}

// sockstat renders /proc/net/sockstat: v4 counts IPv4 rows by state,
// all counts every row (TIME_WAIT is counted once for both families).
func sockstat(v4, all map[int]int, udp int) []byte {
	inuse := 0
	for st, n := range v4 {
		if st != stTimeWait {
			inuse += n
		}
	}
	orphans := v4[stFinWait1] + v4[stClosing]
	return fmt.Appendf(nil, "sockets: used %d\nTCP: inuse %d orphan %d tw %d alloc %d mem %d\nUDP: inuse %d mem %d\nUDPLITE: inuse 0\nRAW: inuse 0\nFRAG: inuse 0 memory 0\n",
		inuse+udp+312, inuse, orphans, all[stTimeWait], inuse+orphans+9, 40+all[stEstablished]/2, udp, 2+udp/2)
}

func sockstat6(socks []sock, udp []udpSock) []byte {
	t, u := 0, 0
	for _, s := range socks {
		if s.v6 && s.state != stTimeWait {
			t++
		}
	}
	for _, s := range udp {
		if s.v6 {
			u++
		}
	}
	return fmt.Appendf(nil, "TCP6: inuse %d\nUDP6: inuse %d\nUDPLITE6: inuse 0\nRAW6: inuse 1\nFRAG6: inuse 0 memory 0\n", t, u)
}

// slabinfo renders /proc/slabinfo (version 2.1, SLUB): the caches of a
// 3.13 host that matter here, with tw_sock_TCP from the sample.
func (h *host) slabinfo(s *sample, v4, all map[int]int) []byte {
	type cache struct {
		name                   string
		active, num, size, per int64
		pages                  int64
	}
	tcpSocks := int64(all[stEstablished] + all[stSynSent] + all[stListen] + all[stFinWait1] + all[stClosing])
	caches := []cache{
		{"nf_conntrack_ffffffff81cd3f40", 0, 0, 320, 25, 2},
		{"tw_sock_TCPv6", 0, 0, 256, 32, 2},
		{"TCPv6", 4, 18, 1984, 16, 8},
		{"UDPv6", 4, 16, 1088, 30, 8},
		{"ip_fib_trie", 146, 146, 56, 73, 1},
		{"ip_fib_alias", 170, 170, 48, 85, 1},
		{"tw_sock_TCP", s.TWSlab[0], s.TWSlab[1], 256, 32, 2},
		{"request_sock_TCP", 32, 32, 256, 32, 2},
		{"TCP", tcpSocks + 36, (tcpSocks + 36 + 15) / 16 * 16, 1920, 16, 8},
		{"UDP", 48, 48, 896, 18, 4},
		{"inet_peer_cache", 42, 42, 192, 21, 1},
		{"eventpoll_pwq", 616, 616, 72, 56, 1},
		{"eventpoll_epi", 1536, 1536, 128, 32, 1},
		{"sock_inode_cache", 1394 + tcpSocks, 1449 + tcpSocks, 640, 25, 4},
		{"skbuff_fclone_cache", 168, 168, 512, 16, 2},
		{"skbuff_head_cache", 3264, 3264, 256, 16, 1},
		{"file_lock_cache", 78, 78, 208, 39, 2},
		{"filp", 6112 + tcpSocks, 6304 + tcpSocks, 256, 16, 1},
		{"dentry", 128142, 128142, 192, 21, 1},
		{"inode_cache", 23812, 23812, 568, 28, 4},
		{"ext4_inode_cache", 61204, 61204, 1048, 31, 8},
		{"buffer_head", 301251, 301251, 104, 39, 1},
		{"radix_tree_node", 21644, 21644, 584, 28, 4},
		{"vm_area_struct", 11922, 11922, 184, 22, 1},
		{"anon_vma", 5964, 5964, 64, 64, 1},
		{"task_struct", 402, 424, 6432, 5, 8},
		{"kmalloc-8192", 56, 56, 8192, 4, 8},
		{"kmalloc-4096", 502, 528, 4096, 8, 8},
		{"kmalloc-2048", 1304, 1344, 2048, 16, 8},
		{"kmalloc-1024", 2118, 2208, 1024, 16, 4},
		{"kmalloc-512", 5830, 5888, 512, 16, 2},
		{"kmalloc-256", 21442, 21696, 256, 16, 1},
		{"kmalloc-192", 14112, 14112, 192, 21, 1},
		{"kmalloc-128", 9792, 9792, 128, 32, 1},
		{"kmalloc-64", 78848, 78848, 64, 64, 1},
		{"kmalloc-32", 23680, 23680, 32, 128, 1},
		{"kmalloc-16", 10240, 10240, 16, 256, 1},
		{"kmalloc-8", 12288, 12288, 8, 512, 1},
	}
	var b strings.Builder
	b.WriteString("slabinfo - version: 2.1\n")
	b.WriteString("# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n")
	for _, c := range caches {
		if strings.HasPrefix(c.name, "nf_conntrack_") {
			if h.conntrack == nil {
				continue
			}
			c.active = s.Conntrack + 38
			c.num = (c.active + c.per - 1) / c.per * c.per
		}
		slabs := (c.num + c.per - 1) / c.per
		fmt.Fprintf(&b, "%-17s %6d %6d %6d %4d %4d : tunables %4d %4d %4d : slabdata %6d %6d %6d\n",
			c.name, c.active, c.num, c.size, c.per, c.pages, 0, 0, 0, slabs, slabs, 0)
	}
	return []byte(b.String())
}

// softnet renders /proc/net/softnet_stat (3.13: 11 columns per CPU).
func softnet(h *host, dt float64) []byte {
	var b strings.Builder
	in := h.counters["Ip InReceives"]
	for cpu := 0; cpu < h.cpus; cpu++ {
		share := (1.0 + 0.1*float64(cpu%3)) / (float64(h.cpus) * 1.1)
		processed := uint32(uint64((in[0] + in[1]*dt) * share))
		squeeze := uint32(uint64(h.uptime(h.start)+dt) / 86400 * uint64(3+cpu%4))
		fmt.Fprintf(&b, "%08x %08x %08x %08x %08x %08x %08x %08x %08x %08x %08x\n", processed, 0, squeeze, 0, 0, 0, 0, 0, 0, 0, 0)
	}
	return []byte(b.String())
}

// conntrackStatHeader is /proc/net/stat/nf_conntrack's header on 3.13.
const conntrackStatHeader = "entries  searched found new invalid ignore delete delete_list insert insert_failed drop  early_drop icmp_error  expect_new expect_create expect_delete search_restart\n"

var conntrackStatColumns = strings.Fields(conntrackStatHeader)

// conntrackStat renders /proc/net/stat/nf_conntrack: one row per CPU, the
// totals of h.conntrack.stat split unevenly between the CPUs.
func conntrackStat(h *host, count int64, dt float64) []byte {
	var b strings.Builder
	b.WriteString(conntrackStatHeader)
	weights := make([]float64, h.cpus)
	sum := 0.0
	for i := range weights {
		weights[i] = 1 + 0.15*float64((i*5)%7)
		sum += weights[i]
	}
	for cpu := 0; cpu < h.cpus; cpu++ {
		for j, col := range conntrackStatColumns {
			var v uint64
			if col == "entries" {
				v = uint64(count)
			} else if st, ok := h.conntrack.stat[col]; ok {
				v = uint64((st[0] + st[1]*dt) * weights[cpu] / sum)
			}
			sep := " "
			switch {
			case j == 0:
				sep = ""
			case col == "searched", col == "early_drop", col == "expect_new":
				sep = "  "
			}
			fmt.Fprintf(&b, "%s%08x", sep, uint32(v))
		}
		b.WriteString("\n")
	}
	return []byte(b.String())
}
