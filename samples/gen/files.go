package main

import (
	"fmt"
	"strings"
	"time"
)

// baseSysctls are the network sysctls of the proxies (paths under
// proc/sys). The seed prints tcp_max_tw_buckets, ip_local_port_range,
// tcp_timestamps, tcp_tw_recycle, tcp_tw_reuse, fs.file-max, somaxconn and
// tcp_max_syn_backlog; the rest are the 3.13 defaults for a host with
// 16 GB and a 131072-entry established hash (its dmesg), or Ubuntu's.
func baseSysctls(twBuckets int) map[string]string {
	m := map[string]string{
		"net/ipv4/tcp_max_tw_buckets":               fmt.Sprint(twBuckets),
		"net/ipv4/ip_local_port_range":              "32768\t61000",
		"net/ipv4/ip_local_reserved_ports":          "",
		"net/ipv4/tcp_timestamps":                   "1",
		"net/ipv4/tcp_tw_recycle":                   "0",
		"net/ipv4/tcp_tw_reuse":                     "0",
		"net/ipv4/tcp_fin_timeout":                  "60",
		"net/ipv4/tcp_keepalive_time":               "7200",
		"net/ipv4/tcp_keepalive_intvl":              "75",
		"net/ipv4/tcp_keepalive_probes":             "9",
		"net/ipv4/tcp_max_syn_backlog":              "512",
		"net/ipv4/tcp_syncookies":                   "1",
		"net/ipv4/tcp_abort_on_overflow":            "0",
		"net/ipv4/tcp_max_orphans":                  "65536",
		"net/ipv4/tcp_orphan_retries":               "0",
		"net/ipv4/tcp_mem":                          "367008\t489346\t734016",
		"net/ipv4/tcp_rmem":                         "4096\t87380\t6291456",
		"net/ipv4/tcp_wmem":                         "4096\t16384\t4194304",
		"net/ipv4/tcp_syn_retries":                  "6",
		"net/ipv4/tcp_synack_retries":               "5",
		"net/ipv4/tcp_retries1":                     "3",
		"net/ipv4/tcp_retries2":                     "15",
		"net/ipv4/tcp_sack":                         "1",
		"net/ipv4/tcp_fack":                         "1",
		"net/ipv4/tcp_window_scaling":               "1",
		"net/ipv4/tcp_slow_start_after_idle":        "1",
		"net/ipv4/tcp_no_metrics_save":              "0",
		"net/ipv4/tcp_low_latency":                  "0",
		"net/ipv4/tcp_early_retrans":                "3",
		"net/ipv4/tcp_fastopen":                     "1",
		"net/ipv4/tcp_mtu_probing":                  "0",
		"net/ipv4/tcp_challenge_ack_limit":          "100",
		"net/ipv4/tcp_limit_output_bytes":           "131072",
		"net/ipv4/tcp_min_tso_segs":                 "2",
		"net/ipv4/tcp_notsent_lowat":                "4294967295",
		"net/ipv4/tcp_congestion_control":           "cubic",
		"net/ipv4/tcp_available_congestion_control": "cubic reno",
		"net/ipv4/ip_forward":                       "0",
		"net/ipv4/ip_default_ttl":                   "64",
		"net/ipv4/ip_no_pmtu_disc":                  "0",
		"net/ipv4/ip_nonlocal_bind":                 "0",
		"net/ipv4/ipfrag_high_thresh":               "4194304",
		"net/ipv4/ipfrag_low_thresh":                "3145728",
		"net/ipv4/icmp_echo_ignore_all":             "0",
		"net/ipv4/icmp_ratelimit":                   "1000",
		"net/core/somaxconn":                        "128",
		"net/core/netdev_max_backlog":               "1000",
		"net/core/netdev_budget":                    "300",
		"net/core/rmem_default":                     "212992",
		"net/core/rmem_max":                         "212992",
		"net/core/wmem_default":                     "212992",
		"net/core/wmem_max":                         "212992",
		"net/core/optmem_max":                       "20480",
		"net/core/message_burst":                    "10",
		"net/core/message_cost":                     "5",
		"net/core/busy_poll":                        "0",
		"net/core/busy_read":                        "0",
		"net/unix/max_dgram_qlen":                   "512",
		"fs/file-max":                               "1632410",
		"fs/nr_open":                                "1048576",
	}
	for _, dev := range []string{"all", "default", "eth0", "lo"} {
		rp := "1"
		if dev == "lo" {
			rp = "0"
		}
		for k, v := range map[string]string{"forwarding": "0", "rp_filter": rp, "accept_redirects": "1", "secure_redirects": "1",
			"send_redirects": "1", "accept_source_route": "0", "log_martians": "0", "arp_ignore": "0", "arp_announce": "0"} {
			m["net/ipv4/conf/"+dev+"/"+k] = v
		}
		m["net/ipv6/conf/"+dev+"/disable_ipv6"] = "0"
		m["net/ipv6/conf/"+dev+"/forwarding"] = "0"
	}
	return m
}

// conntrackSysctls are what `sysctl -a | grep conntrack` prints in the
// seed while nf_conntrack is loaded (nf_conntrack_count is sampled).
var conntrackSysctls = map[string]string{
	"net/netfilter/nf_conntrack_acct":                       "0",
	"net/netfilter/nf_conntrack_buckets":                    "16384",
	"net/netfilter/nf_conntrack_checksum":                   "1",
	"net/netfilter/nf_conntrack_events":                     "1",
	"net/netfilter/nf_conntrack_events_retry_timeout":       "15",
	"net/netfilter/nf_conntrack_expect_max":                 "256",
	"net/netfilter/nf_conntrack_generic_timeout":            "600",
	"net/netfilter/nf_conntrack_helper":                     "1",
	"net/netfilter/nf_conntrack_icmp_timeout":               "30",
	"net/netfilter/nf_conntrack_log_invalid":                "0",
	"net/netfilter/nf_conntrack_max":                        "65536",
	"net/netfilter/nf_conntrack_tcp_be_liberal":             "0",
	"net/netfilter/nf_conntrack_tcp_loose":                  "1",
	"net/netfilter/nf_conntrack_tcp_max_retrans":            "3",
	"net/netfilter/nf_conntrack_tcp_timeout_close":          "10",
	"net/netfilter/nf_conntrack_tcp_timeout_close_wait":     "60",
	"net/netfilter/nf_conntrack_tcp_timeout_established":    "432000",
	"net/netfilter/nf_conntrack_tcp_timeout_fin_wait":       "120",
	"net/netfilter/nf_conntrack_tcp_timeout_last_ack":       "30",
	"net/netfilter/nf_conntrack_tcp_timeout_max_retrans":    "300",
	"net/netfilter/nf_conntrack_tcp_timeout_syn_recv":       "60",
	"net/netfilter/nf_conntrack_tcp_timeout_syn_sent":       "120",
	"net/netfilter/nf_conntrack_tcp_timeout_time_wait":      "120",
	"net/netfilter/nf_conntrack_tcp_timeout_unacknowledged": "300",
	"net/netfilter/nf_conntrack_timestamp":                  "0",
	"net/netfilter/nf_conntrack_udp_timeout":                "30",
	"net/netfilter/nf_conntrack_udp_timeout_stream":         "180",
	"net/nf_conntrack_max":                                  "65536",
}

// tengineBinary stands in for /usr/local/nginx/sbin/nginx: the collector
// reads the version and configure arguments embedded in the binary.
// Tengine 2.1.2 and its configure line are invented (the seed does not
// say which release runs); the prefix is the seed's.
const tengineBinary = "\x7fELF\x02\x01\x01\x00stand-in for the Tengine binary of the netsnap samples\x00" +
	"Tengine/2.1.2\x00nginx/1.6.2\x00" +
	"configure arguments: --prefix=/usr/local/nginx --with-http_ssl_module --with-http_stub_status_module --with-http_realip_module\x00"

// commonFiles are the files of a proxy besides /proc and /sys.
func commonFiles(kernLog string, persistTW bool) map[string]string {
	conf := "# /etc/sysctl.conf: settings applied at boot (see sysctl.conf(5)).\n# Kernel defaults apply to everything not set here or in /etc/sysctl.d.\n"
	if persistTW {
		conf += "\n# TIME_WAIT was pinned at 65536; raised after the conntrack experiment.\nnet.ipv4.tcp_max_tw_buckets = 180000\n"
	}
	files := map[string]string{
		"etc/os-release": `NAME="Ubuntu"
VERSION="14.04.2 LTS, Trusty Tahr"
ID=ubuntu
ID_LIKE=debian
PRETTY_NAME="Ubuntu 14.04.2 LTS"
VERSION_ID="14.04"
HOME_URL="http://www.ubuntu.com/"
SUPPORT_URL="http://help.ubuntu.com/"
BUG_REPORT_URL="http://bugs.launchpad.net/ubuntu/"
`,
		"etc/hosts": `127.0.0.1 localhost

# IPv6
::1 ip6-localhost ip6-loopback
fe00::0 ip6-localnet
ff00::0 ip6-mcastprefix
ff02::1 ip6-allnodes
ff02::2 ip6-allrouters
ff02::3 ip6-allhosts
`,
		"etc/sysctl.conf":                       conf,
		"etc/sysctl.d/10-network-security.conf": "# Ubuntu: reverse-path filtering and SYN cookies.\nnet.ipv4.conf.default.rp_filter=1\nnet.ipv4.conf.all.rp_filter=1\nnet.ipv4.tcp_syncookies=1\n",
		"var/log/kern.log":                      kernLog,
		"var/log/syslog":                        syslogFrom(kernLog),
		"etc/rc.local":                          "#!/bin/sh -e\n#\n# rc.local: run at the end of each multiuser runlevel.\n\nexit 0\n",
		"var/log/dmesg":                         dmesgBoot,
		"usr/local/nginx/sbin/nginx":            tengineBinary,
		"usr/local/nginx/conf/nginx.conf":       nginxConf,
		"usr/local/nginx/conf/mime.types":       mimeTypes,
	}
	for name, data := range sites() {
		files["usr/local/nginx/conf/sites-enabled/"+name] = data
	}
	return files
}

// modulesFile is /proc/modules: the nat table and nf_conntrack while they
// are loaded (before: `iptables -t nat -L` loaded them; after: `modprobe
// -r` removed them, leaving ip_tables and x_tables), and tcp_diag, which
// the operator's `ss` runs loaded.
func modulesFile(conntrack, iptables bool) string {
	var b strings.Builder
	if conntrack {
		b.WriteString(`iptable_nat 13011 0 - Live 0xffffffffa0176000
nf_conntrack_ipv4 15012 1 - Live 0xffffffffa016f000
nf_defrag_ipv4 12758 1 nf_conntrack_ipv4, Live 0xffffffffa016a000
nf_nat_ipv4 13263 1 iptable_nat, Live 0xffffffffa0165000
nf_nat 21798 2 iptable_nat,nf_nat_ipv4, Live 0xffffffffa015b000
nf_conntrack 96976 3 nf_conntrack_ipv4,nf_nat_ipv4,nf_nat, Live 0xffffffffa0138000
ip_tables 27239 1 iptable_nat, Live 0xffffffffa012e000
x_tables 34059 1 ip_tables, Live 0xffffffffa0122000
`)
	} else if iptables {
		b.WriteString(`ip_tables 27239 0 - Live 0xffffffffa012e000
x_tables 34059 1 ip_tables, Live 0xffffffffa0122000
`)
	}
	b.WriteString(`tcp_diag 12657 0 - Live 0xffffffffa011d000
inet_diag 18543 1 tcp_diag, Live 0xffffffffa0114000
isofs 39835 0 - Live 0xffffffffa0102000
ixgbevf 52414 0 - Live 0xffffffffa00ec000
i2c_piix4 22155 0 - Live 0xffffffffa00e4000
serio_raw 13462 0 - Live 0xffffffffa00df000
psmouse 106678 0 - Live 0xffffffffa00b9000
floppy 70206 0 - Live 0xffffffffa00a1000
`)
	return b.String()
}

// nginxProcs are a Tengine master and its eight workers (worker_processes 8).
func nginxProcs(master, firstWorker int, masterStart, workerStart float64, fds []int) []proc {
	exe := "/usr/local/nginx/sbin/nginx"
	out := []proc{{pid: master, ppid: 1, comm: "nginx", cmdline: "nginx: master process /usr/local/nginx/sbin/nginx\x00", uid: uidRoot,
		start: masterStart, threads: 1, vmKB: 121840, rssKB: 41236, nofile: [2]string{"1024", "4096"}, fds: 21, exe: exe}}
	for i := 0; i < 8; i++ {
		out = append(out, proc{pid: firstWorker + i, ppid: master, comm: "nginx", cmdline: "nginx: worker process\x00", uid: uidWWWData,
			start: workerStart + float64(i)*0.003, threads: 1, vmKB: 156212, rssKB: 73104 + int64(i)*911, nofile: [2]string{"16384", "16384"}, fds: fds[i%len(fds)], exe: exe})
	}
	return out
}

// procsA is the process table of ip-172-31-3-170 (pids of ss -nltp).
func procsA() []proc {
	up := startBefore.Sub(bootA).Seconds()
	std := [2]string{"1024", "4096"}
	ps := []proc{
		{pid: 1, comm: "init", cmdline: "/sbin/init\x00", start: 0.9, threads: 1, vmKB: 33604, rssKB: 2908, nofile: std, fds: 38},
		{pid: 389, ppid: 1, comm: "upstart-udev-br", cmdline: "upstart-udev-bridge\x00--daemon\x00", start: 3.1, threads: 1, vmKB: 15260, rssKB: 712, nofile: std, fds: 8},
		{pid: 394, ppid: 1, comm: "systemd-udevd", cmdline: "/lib/systemd/systemd-udevd\x00--daemon\x00", start: 3.2, threads: 1, vmKB: 51312, rssKB: 1788, nofile: std, fds: 9},
		{pid: 641, ppid: 1, comm: "dhclient", cmdline: "dhclient\x00-1\x00-v\x00-pf\x00/run/dhclient.eth0.pid\x00-lf\x00/var/lib/dhcp/dhclient.eth0.leases\x00eth0\x00", start: 5.8, threads: 1, vmKB: 10220, rssKB: 2860, nofile: std, fds: 6},
		{pid: 912, ppid: 1, comm: "rsyslogd", cmdline: "rsyslogd\x00", uid: 101, start: 7.4, threads: 4, vmKB: 255840, rssKB: 3112, nofile: std, fds: 9},
		{pid: 1099, ppid: 1, comm: "cron", cmdline: "cron\x00", start: 8.2, threads: 1, vmKB: 23656, rssKB: 1004, nofile: std, fds: 5},
		{pid: 1122, ppid: 1, comm: "node_exporter", cmdline: "/usr/local/bin/node_exporter\x00", start: 8.5, threads: 7, vmKB: 221320, rssKB: 14212, nofile: std, fds: 7},
		{pid: 1165, ppid: 1, comm: "sshd", cmdline: "/usr/sbin/sshd\x00-D\x00", start: 8.9, threads: 1, vmKB: 61364, rssKB: 3072, nofile: std, fds: 4},
		{pid: 1240, ppid: 1, comm: "ntpd", cmdline: "/usr/sbin/ntpd\x00-p\x00/var/run/ntpd.pid\x00-g\x00-u\x00104:108\x00", uid: 104, start: 9.6, threads: 1, vmKB: 31452, rssKB: 1660, nofile: std, fds: 9},
		{pid: 1302, ppid: 1, comm: "getty", cmdline: "/sbin/getty\x00-L\x00115200\x00ttyS0\x00vt102\x00", start: 10.2, threads: 1, vmKB: 15820, rssKB: 904, nofile: std, fds: 3},
		{pid: 20200, ppid: 1, comm: "ruby", cmdline: "ruby\x00", start: up - 41*86400, threads: 9, vmKB: 612044, rssKB: 88120, nofile: [2]string{"65536", "65536"}, fds: 14},
		{pid: 30101, ppid: 1165, comm: "sshd", cmdline: "sshd: ubuntu [priv]\x00", start: up - 3100, threads: 1, vmKB: 96040, rssKB: 4180, nofile: std, fds: 8},
		{pid: 30160, ppid: 30101, comm: "bash", cmdline: "-bash\x00", start: up - 3050, threads: 1, vmKB: 21440, rssKB: 5120, nofile: std, fds: 4},
	}
	ps = append(ps, nginxProcs(1468, 32414, 11.3, up-3.2*86400, []int{34, 36, 33, 37, 35, 34, 38, 33})...)
	return ps
}

// procsSibling is the invented sibling's process table.
func procsSibling() []proc {
	up := 5304117.0
	std := [2]string{"1024", "4096"}
	ps := []proc{
		{pid: 1, comm: "init", cmdline: "/sbin/init\x00", start: 0.9, threads: 1, vmKB: 33604, rssKB: 2896, nofile: std, fds: 38},
		{pid: 641, ppid: 1, comm: "dhclient", cmdline: "dhclient\x00-1\x00-v\x00-pf\x00/run/dhclient.eth0.pid\x00-lf\x00/var/lib/dhcp/dhclient.eth0.leases\x00eth0\x00", start: 5.9, threads: 1, vmKB: 10220, rssKB: 2856, nofile: std, fds: 6},
		{pid: 915, ppid: 1, comm: "rsyslogd", cmdline: "rsyslogd\x00", uid: 101, start: 7.5, threads: 4, vmKB: 255840, rssKB: 3020, nofile: std, fds: 9},
		{pid: 1101, ppid: 1, comm: "cron", cmdline: "cron\x00", start: 8.1, threads: 1, vmKB: 23656, rssKB: 1000, nofile: std, fds: 5},
		{pid: 1119, ppid: 1, comm: "node_exporter", cmdline: "/usr/local/bin/node_exporter\x00", start: 8.4, threads: 7, vmKB: 221320, rssKB: 13904, nofile: std, fds: 7},
		{pid: 1160, ppid: 1, comm: "sshd", cmdline: "/usr/sbin/sshd\x00-D\x00", start: 8.8, threads: 1, vmKB: 61364, rssKB: 3068, nofile: std, fds: 4},
		{pid: 1237, ppid: 1, comm: "ntpd", cmdline: "/usr/sbin/ntpd\x00-p\x00/var/run/ntpd.pid\x00-g\x00-u\x00104:108\x00", uid: 104, start: 9.5, threads: 1, vmKB: 31452, rssKB: 1652, nofile: std, fds: 9},
		{pid: 18801, ppid: 1, comm: "ruby", cmdline: "ruby\x00", start: up - 20*86400, threads: 9, vmKB: 598212, rssKB: 80416, nofile: [2]string{"65536", "65536"}, fds: 14},
		{pid: 24410, ppid: 1160, comm: "sshd", cmdline: "sshd: ubuntu [priv]\x00", start: up - 600, threads: 1, vmKB: 96040, rssKB: 4176, nofile: std, fds: 8},
		{pid: 24452, ppid: 24410, comm: "bash", cmdline: "-bash\x00", start: up - 580, threads: 1, vmKB: 21440, rssKB: 5100, nofile: std, fds: 4},
	}
	ps = append(ps, nginxProcs(1391, 21502, 11.1, up-12*86400, []int{22, 21, 23, 22, 24, 21, 22, 23})...)
	return ps
}

// countersBefore are ip-172-31-3-170's counters at the first sample and
// their rise per second. The IP and octet counters start from the seed's
// ifconfig; connection counters average far less since boot than now (the
// Kafka churn is recent). TCPTimeWaitOverflow is not in the seed: its
// values are invented (about 1950 closes/s by this host, 1092/s fit in
// the table, the rest overflow), and OutRsts rises with it as measured in
// INCIDENTS.md.
func countersBefore() counters {
	return counters{
		"Ip InReceives": {46742619382, 24100}, "Ip InDelivers": {46742601913, 24100}, "Ip OutRequests": {62063132186, 26300},
		"Ip OutDiscards": {18, 0}, "Ip InDiscards": {0, 0},
		"Icmp InMsgs": {1229, 0}, "Icmp InDestUnreachs": {1022, 0}, "Icmp InEchos": {207, 0}, "Icmp OutMsgs": {1318, 0},
		"Icmp OutDestUnreachs": {1111, 0}, "Icmp OutEchoReps": {207, 0},
		"IcmpMsg InType3": {1022, 0}, "IcmpMsg InType8": {207, 0}, "IcmpMsg OutType0": {207, 0}, "IcmpMsg OutType3": {1111, 0},
		"Tcp ActiveOpens": {4212559810, 1938.5}, "Tcp PassiveOpens": {402117345, 61.5}, "Tcp AttemptFails": {150206318, 15.2},
		"Tcp EstabResets": {38445120, 3.1}, "Tcp InSegs": {45108334902, 21500}, "Tcp OutSegs": {58900112471, 23900},
		"Tcp RetransSegs": {98223114, 180}, "Tcp InErrs": {2118, 0}, "Tcp OutRsts": {640921553, 895},
		"Udp InDatagrams": {98112004, 3}, "Udp NoPorts": {1203, 0}, "Udp OutDatagrams": {98400112, 3},
		"TcpExt EmbryonicRsts": {81772, 0}, "TcpExt OutOfWindowIcmps": {1204, 0}, "TcpExt TW": {3981224118, 1092.3},
		"TcpExt PAWSEstab": {1203, 0}, "TcpExt DelayedACKs": {1830221114, 905}, "TcpExt DelayedACKLocked": {102334, 0},
		"TcpExt DelayedACKLost": {2202331, 1.1}, "TcpExt TCPPrequeued": {10233114, 2}, "TcpExt TCPDirectCopyFromPrequeue": {802331411, 180},
		"TcpExt TCPHPHits": {9120334556, 4100}, "TcpExt TCPHPHitsToUser": {4102339, 1}, "TcpExt TCPPureAcks": {11002331445, 5300},
		"TcpExt TCPHPAcks": {8102331223, 3900}, "TcpExt TCPSackRecovery": {120331, 0.1}, "TcpExt TCPLostRetransmit": {20331, 0},
		"TcpExt TCPFastRetrans": {210332, 0.1}, "TcpExt TCPForwardRetrans": {10221, 0}, "TcpExt TCPSlowStartRetrans": {30332, 0},
		"TcpExt TCPTimeouts": {61224903, 31.8}, "TcpExt TCPLossProbes": {5310223, 2.5}, "TcpExt TCPLossProbeRecovery": {402331, 0.2},
		"TcpExt TCPDSACKOldSent": {2202331, 1.1}, "TcpExt TCPDSACKRecv": {301223, 0.1}, "TcpExt TCPAbortOnData": {2411977, 4.1},
		"TcpExt TCPAbortOnClose": {1018234, 1.4}, "TcpExt TCPAbortOnTimeout": {402112, 0.2}, "TcpExt TCPSpuriousRTOs": {10223, 0},
		"TcpExt TCPSackShiftFallback": {330223, 0.1}, "TcpExt TCPTimeWaitOverflow": {512338440, 866.2},
		"TcpExt TCPRcvCoalesce": {3102223441, 1400}, "TcpExt TCPOFOQueue": {1203221, 0.5}, "TcpExt TCPChallengeACK": {1022, 0},
		"TcpExt TCPSYNChallenge": {1022, 0}, "TcpExt TCPSpuriousRtxHostQueues": {2201, 0},
		"IpExt InOctets": {15121196627407, 9.8e6}, "IpExt OutOctets": {16933437224836, 1.09e7},
		"IpExt InNoECTPkts": {46742619382, 24100}, "IpExt InECT0Pkts": {112031, 0},
	}
}

// countersAfter continues countersBefore to the after capture: between
// the two, the rates of the before capture at 70 % (nights are quieter),
// except that TIME_WAIT stopped overflowing at the change; during the
// after capture nothing overflows and about 2095 connections/s close.
func countersAfter() counters {
	b := countersBefore()
	gap := startAfter.Sub(startBefore).Seconds()
	out := counters{}
	for k, v := range b {
		out[k] = [2]float64{v[0] + v[1]*gap*0.7, v[1]}
	}
	ov := b["TcpExt TCPTimeWaitOverflow"]
	out["TcpExt TCPTimeWaitOverflow"] = [2]float64{ov[0] + ov[1]*changeTime.Sub(startBefore).Seconds(), 0}
	rst := b["Tcp OutRsts"]
	out["Tcp OutRsts"] = [2]float64{rst[0] + ov[1]*changeTime.Sub(startBefore).Seconds() + 28*gap, 28}
	for k, r := range map[string]float64{"Tcp ActiveOpens": 1915, "Tcp PassiveOpens": 180, "TcpExt TW": 2095.1, "Tcp AttemptFails": 15.1} {
		out[k] = [2]float64{out[k][0], r}
	}
	return out
}

// countersSibling are the invented sibling's counters.
func countersSibling() counters {
	up := 5304117.0
	rate := map[string]float64{
		"Ip InReceives": 8200, "Ip InDelivers": 8200, "Ip OutRequests": 9100,
		"Tcp ActiveOpens": 640, "Tcp PassiveOpens": 67, "Tcp AttemptFails": 15.2, "Tcp EstabResets": 1.1,
		"Tcp InSegs": 7300, "Tcp OutSegs": 8100, "Tcp RetransSegs": 61, "Tcp OutRsts": 22,
		"Udp InDatagrams": 3, "Udp OutDatagrams": 3,
		"TcpExt TW": 707, "TcpExt DelayedACKs": 300, "TcpExt TCPHPHits": 1400, "TcpExt TCPPureAcks": 1800,
		"TcpExt TCPHPAcks": 1300, "TcpExt TCPTimeouts": 16, "TcpExt TCPLossProbes": 0.9, "TcpExt TCPAbortOnData": 1.4,
		"TcpExt TCPAbortOnClose": 0.5, "TcpExt TCPRcvCoalesce": 470, "TcpExt TCPDSACKOldSent": 0.4,
		"IpExt InOctets": 3.3e6, "IpExt OutOctets": 3.7e6, "IpExt InNoECTPkts": 8200,
	}
	out := counters{}
	for k, r := range rate {
		// Since boot: about 60 % of today's rate on average.
		out[k] = [2]float64{r * up * 0.6, r}
	}
	out["Tcp InErrs"] = [2]float64{311, 0}
	return out
}

// clock is the generator's fake clock: the collector asks it the time.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// syslogFrom is /var/log/syslog: Ubuntu's rsyslog writes every message
// there, the kernel's too, so it repeats kern.log's lines among those of
// the daemons (the cron line is invented).
func syslogFrom(kernLog string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(kernLog, "\n") {
		if strings.Contains(line, "[12449655.206163]") {
			b.WriteString(line[:16] + "ip-172-31-3-170 CRON[30411]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)\n")
		}
		b.WriteString(line)
	}
	return b.String()
}
