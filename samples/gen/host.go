package main

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// host is one sample host: what its fixture tree holds and how its
// fast-moving files change from sample to sample.
type host struct {
	name     string // the sample's file name and its fixture directory
	hostname string
	ip       netip.Addr
	bootID   string
	boot     time.Time
	start    time.Time     // sample 1, by the fake clock
	interval time.Duration // between samples, by the fake clock
	cpus     int
	memKB    int64

	samples   []*sample
	listeners []sock
	udp       []udpSock
	procs     []proc

	// sysctl maps paths under proc/sys to values (without the newline).
	sysctl map[string]string
	// conntrack describes nf_conntrack when it is loaded (nil: not loaded).
	conntrack *conntrackState
	counters  counters

	// files maps other host paths (relative, "etc/hosts") to contents.
	files map[string]string

	ports ports
}

// sample is what changes between samples.
type sample struct {
	Flows []flow
	Syn   []synSent
	Fixed []sock // rows given one by one (ssh session, FIN_WAIT1, ...)
	// TWSlab is tw_sock_TCP's active and total objects in /proc/slabinfo.
	TWSlab [2]int64
	// Conntrack is nf_conntrack_count (when loaded).
	Conntrack int64
}

// conntrackState is nf_conntrack on a host that has it loaded.
type conntrackState struct {
	// table is the composition of /proc/net/nf_conntrack by TCP state, plus UDP entries.
	table map[string]int
	udp   int
	// stat are /proc/net/stat/nf_conntrack's columns: total at sample 1 and per second.
	stat map[string][2]float64
}

// proc is one process of the fixture's /proc.
type proc struct {
	pid, ppid int
	comm      string
	cmdline   string // as /proc/PID/cmdline holds it: NUL-separated, or a rewritten title
	uid       int
	start     float64 // seconds after boot
	threads   int
	vmKB      int64
	rssKB     int64
	nofile    [2]string
	fds       int
	exe       string
}

// uptime is the host's uptime at t.
func (h *host) uptime(t time.Time) float64 { return t.Sub(h.boot).Seconds() }

// sampleTime is when sample i (from 1) is taken.
func (h *host) sampleTime(i int) time.Time { return h.start.Add(time.Duration(i-1) * h.interval) }

// writeFile writes one file of the fixture, creating its directory.
func writeFile(root, rel string, data []byte) error {
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644)
}

// writeStatic writes everything of the fixture that the collector reads
// once or that does not change between samples.
func (h *host) writeStatic(root string) error {
	files := map[string]string{}
	for k, v := range h.files {
		files[k] = v
	}
	for k, v := range h.sysctl {
		files["proc/sys/"+k] = v + "\n"
	}
	files["proc/sys/kernel/hostname"] = h.hostname + "\n"
	files["etc/hostname"] = h.hostname + "\n"
	files["proc/sys/kernel/osrelease"] = kernelRelease + "\n"
	files["proc/sys/kernel/version"] = kernelVersion + "\n"
	files["proc/sys/kernel/random/boot_id"] = h.bootID + "\n"
	files["sys/devices/system/cpu/online"] = fmt.Sprintf("0-%d\n", h.cpus-1)
	files["proc/meminfo"] = h.meminfo()
	files["proc/stat"] = h.procStat()
	files["proc/loadavg"] = fmt.Sprintf("%.2f %.2f %.2f 2/%d %d\n", 0.31*float64(h.cpus)/2, 0.29*float64(h.cpus)/2, 0.27*float64(h.cpus)/2, 380+len(h.procs), h.procs[len(h.procs)-1].pid+3)
	keys := make([]string, 0, len(files))
	for k := range files {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := writeFile(root, k, []byte(files[k])); err != nil {
			return err
		}
	}
	return h.writeProcs(root)
}

func (h *host) meminfo() string {
	free := h.memKB * 31 / 100
	return fmt.Sprintf(`MemTotal:       %8d kB
MemFree:        %8d kB
Buffers:        %8d kB
Cached:         %8d kB
SwapCached:            0 kB
Active:         %8d kB
Inactive:       %8d kB
Slab:           %8d kB
SReclaimable:   %8d kB
SUnreclaim:     %8d kB
SwapTotal:             0 kB
SwapFree:              0 kB
`, h.memKB, free, h.memKB*3/100, h.memKB*41/100, h.memKB*38/100, h.memKB*19/100, h.memKB*6/100, h.memKB*4/100, h.memKB*2/100)
}

func (h *host) procStat() string {
	up := h.uptime(h.start) * 100 // clock ticks
	var b strings.Builder
	line := func(name string, share float64) {
		t := up * share
		fmt.Fprintf(&b, "%s %d %d %d %d %d %d %d %d 0 0\n", name,
			int64(t*0.062), int64(t*0.0004), int64(t*0.041), int64(t*0.861), int64(t*0.0021), int64(t*0.0003), int64(t*0.031), int64(t*0.0011))
	}
	line("cpu ", float64(h.cpus))
	for i := 0; i < h.cpus; i++ {
		line(fmt.Sprintf("cpu%d", i), 1)
	}
	fmt.Fprintf(&b, "ctxt %d\nbtime %d\nprocesses %d\nprocs_running 2\nprocs_blocked 0\n",
		int64(up*412), h.boot.Unix(), int64(up/100*14))
	return b.String()
}

// writeProcs writes /proc/PID/{stat,status,limits,cmdline,fd,exe}. The
// directories are given their process's owner when the generator runs as
// root (the collector records the owner of /proc/PID).
func (h *host) writeProcs(root string) error {
	for _, p := range h.procs {
		dir := fmt.Sprintf("proc/%d", p.pid)
		state := "S"
		starttime := int64(p.start * 100)
		ticks := int64((h.uptime(h.start) - p.start) * 100)
		utime, stime := ticks/2000, ticks/4000
		if p.comm == "nginx" && p.ppid != 1 {
			utime, stime = ticks/40, ticks/25
		}
		stat := fmt.Sprintf("%d (%s) %s %d %d %d 0 -1 4202816 %d 0 %d 0 %d %d 0 0 20 0 %d 0 %d %d %d 18446744073709551615 4194304 5242880 140737488345888 0 0 0 0 4096 0 0 0 0 17 %d 0 0 0 0 0 6291456 6299648 27254784 140737488347010 140737488347045 140737488347045 140737488351197 0\n",
			p.pid, p.comm, state, p.ppid, p.pid, p.pid, ticks/3, ticks/900000, utime, stime, p.threads, starttime, p.vmKB*1024, p.rssKB/4, p.pid%h.cpus)
		if p.ppid > 1 {
			// workers and session processes share their parent's group and session.
			stat = fmt.Sprintf("%d (%s) %s %d %d %d", p.pid, p.comm, state, p.ppid, p.ppid, p.ppid) + stat[strings.Index(stat, " 0 -1 "):]
		}
		uid := fmt.Sprint(p.uid)
		status := fmt.Sprintf("Name:\t%s\nState:\tS (sleeping)\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\nUid:\t%s\t%s\t%s\t%s\nGid:\t%s\t%s\t%s\t%s\nFDSize:\t%d\nGroups:\t\nVmPeak:\t%8d kB\nVmSize:\t%8d kB\nVmLck:\t       0 kB\nVmPin:\t       0 kB\nVmHWM:\t%8d kB\nVmRSS:\t%8d kB\nVmData:\t%8d kB\nVmStk:\t     136 kB\nVmExe:\t%8d kB\nVmLib:\t    6632 kB\nVmPTE:\t%8d kB\nVmSwap:\t       0 kB\nThreads:\t%d\nSigQ:\t0/127364\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000001000\nSigCgt:\t0000000198016a07\nCapInh:\t0000000000000000\nCapPrm:\t%s\nCapEff:\t%s\nCapBnd:\t0000001fffffffff\nSeccomp:\t0\nCpus_allowed:\t%x\nCpus_allowed_list:\t0-%d\nMems_allowed:\t00000000,00000001\nMems_allowed_list:\t0\nvoluntary_ctxt_switches:\t%d\nnonvoluntary_ctxt_switches:\t%d\n",
			p.comm, p.pid, p.pid, p.ppid, uid, uid, uid, uid, uid, uid, uid, uid, fdSize(p.fds), p.vmKB+1024, p.vmKB, p.rssKB+512, p.rssKB, p.vmKB/3, max(p.vmKB/40, 4), max(p.rssKB/200, 12), p.threads,
			caps(p.uid), caps(p.uid), 1<<h.cpus-1, h.cpus-1, ticks/7, ticks/900)
		limits := limitsFile(p.nofile)
		for name, data := range map[string]string{"stat": stat, "status": status, "limits": limits, "cmdline": p.cmdline} {
			if err := writeFile(root, dir+"/"+name, []byte(data)); err != nil {
				return err
			}
		}
		fdDir := filepath.Join(root, dir, "fd")
		if err := os.MkdirAll(fdDir, 0o755); err != nil {
			return err
		}
		for i := 0; i < p.fds; i++ {
			target := fmt.Sprintf("socket:[%d]", 59_000_000+p.pid*1000+i)
			switch {
			case i < 3:
				target = "/dev/null"
			case p.comm == "nginx" && i < 6:
				target = []string{"/var/log/nginx/access.log", "/var/log/nginx/upstream.log", "/var/log/nginx/error.log"}[i-3]
			}
			if err := os.Symlink(target, filepath.Join(fdDir, fmt.Sprint(i))); err != nil {
				return err
			}
		}
		if p.exe != "" {
			if err := os.Symlink(p.exe, filepath.Join(root, dir, "exe")); err != nil {
				return err
			}
		}
		if os.Geteuid() == 0 {
			if err := os.Lchown(filepath.Join(root, dir), p.uid, p.uid); err != nil {
				return err
			}
		}
	}
	return nil
}

func fdSize(n int) int {
	s := 64
	for s < n {
		s *= 2
	}
	return s
}

func caps(uid int) string {
	if uid == 0 {
		return "0000001fffffffff"
	}
	return "0000000000000000"
}

// limitsFile is /proc/PID/limits with the given open-file limits.
func limitsFile(nofile [2]string) string {
	rows := [][4]string{
		{"Limit", "Soft Limit", "Hard Limit", "Units"},
		{"Max cpu time", "unlimited", "unlimited", "seconds"},
		{"Max file size", "unlimited", "unlimited", "bytes"},
		{"Max data size", "unlimited", "unlimited", "bytes"},
		{"Max stack size", "8388608", "unlimited", "bytes"},
		{"Max core file size", "0", "unlimited", "bytes"},
		{"Max resident set", "unlimited", "unlimited", "bytes"},
		{"Max processes", "127364", "127364", "processes"},
		{"Max open files", nofile[0], nofile[1], "files"},
		{"Max locked memory", "65536", "65536", "bytes"},
		{"Max address space", "unlimited", "unlimited", "bytes"},
		{"Max file locks", "unlimited", "unlimited", "locks"},
		{"Max pending signals", "127364", "127364", "signals"},
		{"Max msgqueue size", "819200", "819200", "bytes"},
		{"Max nice priority", "0", "0", ""},
		{"Max realtime priority", "0", "0", ""},
		{"Max realtime timeout", "unlimited", "unlimited", "us"},
	}
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%-25s %-20s %-20s %-10s\n", r[0], r[1], r[2], r[3])
	}
	return b.String()
}

// writeSample rewrites the sampled files for sample i (from 1).
func (h *host) writeSample(root string, i int) error {
	s := h.samples[i-1]
	t := h.sampleTime(i)
	dt := t.Sub(h.start).Seconds()
	socks := h.sockets(i-1, s)
	tcp4, tcp6 := renderTCP(socks)
	udp4, udp6 := renderUDP(h.udp)
	states := map[int]int{}
	v4 := map[int]int{}
	for _, so := range socks {
		states[so.state]++
		if !so.v6 {
			v4[so.state]++
		}
	}
	files := map[string][]byte{
		"proc/uptime":           fmt.Appendf(nil, "%.2f %.2f\n", h.uptime(t), h.uptime(t)*float64(h.cpus)*0.86),
		"proc/net/tcp":          tcp4,
		"proc/net/tcp6":         tcp6,
		"proc/net/udp":          udp4,
		"proc/net/udp6":         udp6,
		"proc/net/netstat":      h.counters.netstat(dt),
		"proc/net/snmp":         h.counters.snmp(dt, states[stEstablished]+states[stCloseWait]),
		"proc/net/sockstat":     sockstat(v4, states, len(h.udp)),
		"proc/net/sockstat6":    sockstat6(socks, h.udp),
		"proc/slabinfo":         h.slabinfo(s, v4, states),
		"proc/net/softnet_stat": softnet(h, dt),
		"proc/sys/fs/file-nr":   fmt.Appendf(nil, "%d\t0\t%s\n", 2304+states[stEstablished]+states[stSynSent]+states[stListen]+len(h.udp)+40*len(h.procs), h.sysctl["fs/file-max"]),
	}
	if ct := h.conntrack; ct != nil {
		files["proc/sys/net/netfilter/nf_conntrack_count"] = fmt.Appendf(nil, "%d\n", s.Conntrack)
		files["proc/net/stat/nf_conntrack"] = conntrackStat(h, s.Conntrack, dt)
		if i == 1 {
			// The table is read once, after the first sample.
			files["proc/net/nf_conntrack"] = conntrackTable(h, socks, ct.table, ct.udp)
		}
	}
	for name, data := range files {
		if err := writeFile(root, name, data); err != nil {
			return err
		}
	}
	return nil
}
