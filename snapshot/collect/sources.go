package collect

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/netsnap/netsnap/internal/rootfs"
	"github.com/netsnap/netsnap/snapshot"
)

// Source is one entry of the collector's source table: what to read, when,
// and how. The table drives capture, --only/--skip and --list-sources.
type Source struct {
	// Name is the stable id used by --only, --skip and the manifest.
	Name string
	// Doc says what the source is for, in one line.
	Doc string
	// Paths are host paths. For single-file sources they are alternatives
	// (the first that exists is read: new kernel name first, old after).
	// For file sets and logs they may be globs.
	Paths []string
	// Sampled sources are read once per sample; the others once.
	Sampled bool
	// LiveOnly sources need the running kernel and are skipped under --root.
	LiveOnly bool

	capture func(c *collector, s *Source, sample int) []snapshot.SourceResult
}

// describe is the Path recorded for results that name no single file.
func (s *Source) describe() string { return strings.Join(s.Paths, " ") }

// Sources returns the source table in capture order.
func Sources() []*Source { return sourceTable }

var sourceTable = []*Source{
	// Sampled: fast-moving state and cumulative counters, read every sample.
	// The counters come first, right at the sample's recorded time, so rates
	// between samples stay exact however long the socket tables take to read.
	{Name: "uptime", Sampled: true, Paths: []string{"/proc/uptime"}, capture: table,
		Doc: "seconds since boot: turns counters into rates and reveals a reboot between samples"},
	{Name: "netstat", Sampled: true, Paths: []string{"/proc/net/netstat"}, capture: table,
		Doc: "TcpExt/IpExt counters: ListenOverflows, ListenDrops, TCPTimeWaitOverflow, SyncookiesSent..."},
	{Name: "snmp", Sampled: true, Paths: []string{"/proc/net/snmp"}, capture: table,
		Doc: "Ip/Tcp/Udp counters: ActiveOpens, PassiveOpens, CurrEstab, OutRsts..."},
	{Name: "sockstat", Sampled: true, Paths: []string{"/proc/net/sockstat"}, capture: table,
		Doc: "socket counts and memory: inuse, orphan, tw, alloc, mem"},
	{Name: "sockstat6", Sampled: true, Paths: []string{"/proc/net/sockstat6"}, capture: table,
		Doc: "IPv6 socket counts"},
	{Name: "conntrack-count", Sampled: true, Paths: []string{"/proc/sys/net/netfilter/nf_conntrack_count", "/proc/sys/net/ipv4/netfilter/ip_conntrack_count"}, capture: table,
		Doc: "number of tracked connections (absent when conntrack is not loaded)"},
	{Name: "conntrack-stat", Sampled: true, Paths: []string{"/proc/net/stat/nf_conntrack", "/proc/net/stat/ip_conntrack"}, capture: table,
		Doc: "per-CPU conntrack statistics: drop, early_drop, insert_failed (old kernels: ip_conntrack)"},
	{Name: "file-nr", Sampled: true, Paths: []string{"/proc/sys/fs/file-nr"}, capture: table,
		Doc: "open file handles on the host versus fs.file-max"},
	{Name: "softnet", Sampled: true, Paths: []string{"/proc/net/softnet_stat"}, capture: table,
		Doc: "per-CPU packet processing: backlog drops, time squeeze"},
	{Name: "slabinfo", Sampled: true, Paths: []string{"/proc/slabinfo"}, capture: table,
		Doc: "kernel slab caches: tw_sock_TCP, request_sock_TCP memory"},
	{Name: "tcp", Sampled: true, Paths: []string{"NETLINK_SOCK_DIAG", "/proc/net/tcp"}, capture: tcpTable,
		Doc: "TCP socket table (states, queues, timers, inodes): IPv4 and IPv6 from a NETLINK_SOCK_DIAG dump as netsnap/tcp.txt where inet_diag is already in the kernel, else /proc/net/tcp (see --sockets)"},
	{Name: "tcp6", Sampled: true, Paths: []string{"/proc/net/tcp6"}, capture: tcp6Table,
		Doc: "IPv6 TCP socket table, when the tcp source read /proc/net/tcp"},
	{Name: "listeners", Sampled: true, LiveOnly: true, Paths: []string{"NETLINK_SOCK_DIAG"}, capture: listeners,
		Doc: "TCP listeners' accept queue and maximum backlog (ss -lnt Recv-Q/Send-Q), when the tcp source read /proc/net/tcp and inet_diag is in the kernel"},
	{Name: "udp", Sampled: true, Paths: []string{"/proc/net/udp"}, capture: table,
		Doc: "IPv4 UDP socket table"},
	{Name: "udp6", Sampled: true, Paths: []string{"/proc/net/udp6"}, capture: table,
		Doc: "IPv6 UDP socket table"},
	{Name: "netns", Sampled: true, Paths: []string{"/proc/PID/net/{" + strings.Join(netnsTables, ",") + "}"}, capture: netnsTablesSource,
		Doc: "the same tables as each other network namespace (container, pod) sees them, through one of its processes (--netns)"},
	{Name: "netns-sysctl", Paths: []string{"setns(/proc/PID/ns/net) /proc/sys/net/{somaxconn,ip_local_port_range,...}"}, capture: netnsSysctlSource,
		Doc: "each other network namespace's own settings (somaxconn, port range, tw buckets...), read by a short-lived thread that joins it; live host only"},
	// Captured once.
	{Name: "conntrack-table", Paths: []string{"/proc/net/nf_conntrack", "/proc/net/ip_conntrack"}, capture: table,
		Doc: "the conntrack table itself (entries by protocol and state); absent when conntrack is not loaded"},
	{Name: "sysctl-net", Paths: []string{"/proc/sys/net"}, capture: tree,
		Doc: "every readable network sysctl (runtime values)"},
	{Name: "sysctl-fs", Paths: []string{"/proc/sys/fs/file-max", "/proc/sys/fs/nr_open"}, capture: files,
		Doc: "fs.file-max and fs.nr_open"},
	{Name: "kernel", Paths: []string{"/proc/sys/kernel/osrelease", "/proc/sys/kernel/version", "/proc/sys/kernel/hostname", "/proc/sys/kernel/random/boot_id"}, capture: files,
		Doc: "kernel release and version, hostname, boot id"},
	{Name: "system", Paths: []string{"/proc/loadavg", "/proc/meminfo", "/proc/stat", "/sys/devices/system/cpu/online"}, capture: files,
		Doc: "load, memory, CPU count"},
	{Name: "modules", Paths: []string{"/proc/modules", "/lib/modules/{release}/modules.builtin"}, capture: files,
		Doc: "loaded and built-in kernel modules (is conntrack loaded, and why)"},
	{Name: "os", Paths: []string{"/etc/os-release", "/etc/hosts"}, capture: files,
		Doc: "distribution, and /etc/hosts for resolving upstream names"},
	{Name: "sysctl-conf", Paths: []string{"/etc/sysctl.conf", "/etc/sysctl.d/*", "/run/sysctl.d/*", "/usr/local/lib/sysctl.d/*", "/usr/lib/sysctl.d/*", "/lib/sysctl.d/*", "/etc/rc.local", "/etc/rc.d/rc.local"}, capture: files,
		Doc: "persisted sysctl settings and boot scripts, to compare with the runtime values"},
	{Name: "kmsg", LiveOnly: true, Paths: []string{"/dev/kmsg"}, capture: kmsg,
		Doc: "the kernel ring buffer, read without blocking (tail)"},
	{Name: "kern-log", Paths: []string{"/var/log/kern.log*"}, capture: logs,
		Doc: "kernel log files (tail of each; compressed rotations are not read)"},
	{Name: "dmesg-log", Paths: []string{"/var/log/dmesg*"}, capture: logs,
		Doc: "boot-time kernel log saved by the distribution (tail)"},
	{Name: "syslog-kernel", Paths: []string{"/var/log/messages", "/var/log/syslog"}, capture: kernelLines,
		Doc: "kernel lines of the system log, stored as PATH.kernel (tail)"},
	{Name: "journal-kernel", LiveOnly: true, Paths: []string{"journalctl -k -b"}, capture: journal,
		Doc: "journalctl -k for hosts with journald and no kern.log (tail)"},
	{Name: "processes", Paths: []string{"/proc/[0-9]*"}, capture: processes,
		Doc: "process list (pid, ppid, comm, open fds, file limits) as netsnap/processes.txt"},
	{Name: "socket-owners", LiveOnly: true, Paths: []string{"/proc/*/fd"}, capture: socketOwners,
		Doc: "which process holds which socket inode, as netsnap/socket-owners.txt"},
	{Name: "nginx", Paths: []string{"nginx, tengine, openresty masters"}, capture: nginx,
		Doc: "nginx-family masters and workers: configuration with includes, error logs (tail), limits"},
}

// table captures the first existing alternative of s.Paths, whole up to the table cap.
func table(c *collector, s *Source, sample int) []snapshot.SourceResult {
	p, err := c.firstExisting(s.Paths)
	if err != nil {
		return []snapshot.SourceResult{{Name: s.Name, Path: s.describe(), Sample: sample, Status: statusOf(err), Error: errText(err)}}
	}
	return []snapshot.SourceResult{c.captureFile(s.Name, p, archiveName(p, sample), sample, c.opt.TableMaxBytes, headMode, nil)}
}

// firstExisting returns the first of paths that exists under the root.
func (c *collector) firstExisting(paths []string) (string, error) {
	var first error
	for _, p := range paths {
		_, err := c.root.Stat(p)
		if err == nil {
			return p, nil
		}
		if first == nil || !errors.Is(err, fs.ErrNotExist) && errors.Is(first, fs.ErrNotExist) {
			first = err
		}
	}
	if first == nil {
		first = fs.ErrNotExist
	}
	return "", first
}

// captureFile reads one file into the archive and returns its result.
func (c *collector) captureFile(name, p, archive string, sample int, max int64, mode readMode, filter func([]byte) bool) snapshot.SourceResult {
	t0 := time.Now()
	r := snapshot.SourceResult{Name: name, Path: p, Sample: sample}
	off, truncated, err := c.readFile(p, max, mode, filter)
	if err != nil {
		r.Status, r.Error = statusOf(err), errText(err)
	} else if n, err := c.addSpool(archive, off); err != nil {
		r.Status, r.Error = snapshot.StatusError, err.Error()
	} else {
		r.Archive, r.Bytes, r.Truncated = archive, n, truncated
	}
	r.DurationMS = c.ms(t0)
	return r
}

// ms is the time since t0 in milliseconds, for the manifest; 0 when the
// caller supplied its own clock (Options.Now), so that such snapshots are
// byte-identical from run to run.
func (c *collector) ms(t0 time.Time) float64 {
	if c.fixedClock {
		return 0
	}
	return float64(time.Since(t0).Microseconds()) / 1000
}

// errText is an error without the host path the result already names.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, fs.ErrNotExist) {
			return "no such file"
		}
		if errors.Is(pe.Err, fs.ErrPermission) {
			return "permission denied"
		}
		return pe.Err.Error()
	}
	if errors.Is(err, fs.ErrNotExist) {
		return "no such file"
	}
	return err.Error()
}

// files captures every file named by s.Paths (globs allowed), each whole.
// A plain path that does not exist is recorded as missing; a glob matching
// nothing is not recorded.
func files(c *collector, s *Source, sample int) []snapshot.SourceResult {
	var out []snapshot.SourceResult
	seen := map[string]bool{}
	for _, pat := range s.Paths {
		pat = strings.ReplaceAll(pat, "{release}", c.m.KernelRelease)
		if c.ctx.Err() != nil {
			break
		}
		if !rootfs.HasMeta(pat) {
			if _, err := c.root.Stat(pat); err != nil {
				out = append(out, snapshot.SourceResult{Name: s.Name, Path: pat, Sample: sample, Status: statusOf(err), Error: errText(err)})
				continue
			}
		}
		matches, err := c.root.Glob(pat)
		if err != nil {
			out = append(out, snapshot.SourceResult{Name: s.Name, Path: pat, Sample: sample, Status: snapshot.StatusError, Error: err.Error()})
			continue
		}
		for _, p := range matches {
			rp, err := c.root.Resolve(p)
			if err == nil && seen[rp] {
				continue
			}
			seen[rp] = true
			if fi, err := c.root.Stat(p); err == nil && fi.IsDir() {
				continue
			}
			out = append(out, c.captureFile(s.Name, p, archiveName(p, sample), sample, c.opt.LogMaxBytes, headMode, nil))
		}
	}
	return out
}

// compressedLog reports log rotations we do not read.
func compressedLog(p string) bool {
	for _, ext := range []string{".gz", ".xz", ".bz2", ".zst", ".lz4"} {
		if strings.HasSuffix(p, ext) {
			return true
		}
	}
	return false
}

// logs captures the tail of every (uncompressed) file matching s.Paths.
func logs(c *collector, s *Source, sample int) []snapshot.SourceResult {
	var out []snapshot.SourceResult
	for _, pat := range s.Paths {
		matches, err := c.root.Glob(pat)
		if err != nil {
			out = append(out, snapshot.SourceResult{Name: s.Name, Path: pat, Status: snapshot.StatusError, Error: err.Error()})
			continue
		}
		found := false
		for _, p := range matches {
			if compressedLog(p) {
				continue
			}
			if fi, err := c.root.Stat(p); err == nil && fi.IsDir() {
				continue
			}
			found = true
			out = append(out, c.captureFile(s.Name, p, archiveName(p, sample), sample, c.opt.LogMaxBytes, tailMode, nil))
		}
		if !found {
			out = append(out, snapshot.SourceResult{Name: s.Name, Path: pat, Status: snapshot.StatusMissing, Error: "no such file"})
		}
	}
	return out
}

// kernelLines captures the kernel lines of system logs as PATH.kernel.
func kernelLines(c *collector, s *Source, sample int) []snapshot.SourceResult {
	var out []snapshot.SourceResult
	for _, p := range s.Paths {
		if _, err := c.root.Stat(p); err != nil {
			out = append(out, snapshot.SourceResult{Name: s.Name, Path: p, Status: statusOf(err), Error: errText(err)})
			continue
		}
		r := c.captureFile(s.Name, p, archiveName(p, sample)+".kernel", sample, c.opt.LogMaxBytes, tailMode, isKernelLine)
		r.Filter = "kernel lines"
		out = append(out, r)
	}
	return out
}

// isKernelLine matches syslog lines written by the kernel: "host kernel: ..." or "kernel[...]".
func isKernelLine(line []byte) bool {
	return bytes.Contains(line, []byte(" kernel: ")) || bytes.Contains(line, []byte(" kernel[")) ||
		bytes.Contains(line, []byte(" KERNEL: "))
}

// tree captures every readable regular file below s.Paths[0], bounded by
// the per-source timeout and a file count.
func tree(c *collector, s *Source, sample int) []snapshot.SourceResult {
	const maxFiles = 50000
	const maxErrors = 50
	t0 := time.Now()
	top := s.Paths[0]
	r := snapshot.SourceResult{Name: s.Name, Path: top, Archive: archiveName(top, sample), Sample: sample}
	fileErrors := 0
	// Small files are handed to the archive in batches.
	var batch []entry
	batchBytes := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := c.arch.failed(); err != nil {
			c.writeErr = errWrite{err}
			return c.writeErr
		}
		c.arch.addBatch(batch)
		batch, batchBytes = nil, 0
		return nil
	}
	var walk func(dir string) bool
	walk = func(dir string) bool {
		ents, err := c.root.ReadDir(dir)
		if err != nil {
			if dir == top {
				r.Status, r.Error, r.Archive = statusOf(err), errText(err), ""
				return false
			}
			fileErrors++
			if len(r.FileErrors) < maxErrors {
				r.FileErrors = append(r.FileErrors, snapshot.FileError{Path: dir, Error: errText(err)})
			}
			return true
		}
		for _, e := range ents {
			if c.ctx.Err() != nil || time.Since(t0) > c.opt.SourceTimeout {
				r.Status, r.Error, r.Truncated = snapshot.StatusTimeout, "stopped after "+ms2s(time.Since(t0)), true
				return false
			}
			p := path.Join(dir, e.Name())
			switch {
			case e.IsDir():
				if !walk(p) {
					return false
				}
				continue
			case !e.Type().IsRegular():
				continue // links (none in /proc/sys), FIFOs and devices are not read
			}
			if info, err := e.Info(); err == nil && info.Mode().Perm()&0o444 == 0 {
				continue // write-only knobs such as route/flush
			}
			if r.Files >= maxFiles {
				r.Truncated, r.Error = true, fmt.Sprintf("stopped at %d files", maxFiles)
				return false
			}
			off, _, err := c.readFile(p, 1<<20, headMode, nil)
			if err == nil && c.spool.f == nil && c.spool.err == nil && c.spool.Len()-off <= 64<<10 {
				data := append([]byte(nil), c.spool.mem[off:]...)
				batch = append(batch, entry{name: archiveName(p, sample), data: data})
				batchBytes += len(data) + 1024 // and its tar header
				r.Files++
				r.Bytes += int64(len(data))
				if batchBytes >= 256<<10 && flush() != nil {
					return false
				}
				continue
			}
			if err == nil {
				if flush() != nil {
					return false
				}
				var n int64
				n, err = c.addSpool(archiveName(p, sample), off)
				if err != nil {
					return false
				}
				r.Files++
				r.Bytes += n
				continue
			}
			fileErrors++
			if len(r.FileErrors) < maxErrors {
				r.FileErrors = append(r.FileErrors, snapshot.FileError{Path: p, Error: errText(err)})
			}
		}
		return true
	}
	walk(top)
	if err := flush(); err != nil && r.Status == "" {
		r.Status, r.Error = snapshot.StatusError, err.Error()
	}
	if fileErrors > len(r.FileErrors) {
		r.Error = strings.TrimSpace(r.Error + fmt.Sprintf(" %d files unreadable (first %d listed)", fileErrors, len(r.FileErrors)))
	}
	r.DurationMS = c.ms(t0)
	return []snapshot.SourceResult{r}
}

func ms2s(d time.Duration) string { return d.Round(time.Millisecond).String() }
