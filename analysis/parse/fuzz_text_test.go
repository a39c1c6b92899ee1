package parse

import (
	"bytes"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/netsnap/netsnap/analysis/model"
)

// Fuzz targets for the text parsers of kernel logs, sysctls, the derived
// process files and the small /proc files. Each must never panic, and what
// it returns must keep the documented invariants. Run one for a while with
//
//	go test ./analysis/parse -run '^$' -fuzz '^FuzzKernlog$' -fuzztime 20s

// addCorpusSeeds adds the files of the shared corpus (when present) as seeds.
func addCorpusSeeds(f *testing.F, add func([]byte), rels ...string) {
	for _, rel := range rels {
		b, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "corpus", filepath.FromSlash(rel)))
		if err == nil {
			if len(b) > 2<<10 {
				b = b[:2<<10]
			}
			add(b)
		}
	}
}

// kernlogFormats are the formats FuzzKernlog picks from.
var kernlogFormats = []string{KernlogKmsg, KernlogSyslog, KernlogDmesg, KernlogJournal}

func FuzzKernlog(f *testing.F) {
	for i, s := range []string{
		"6,339,5140900,-;nf_conntrack: table full, dropping packet\n SUBSYSTEM=net\n3,1,2,-;a\\x5cb\\x0\n",
		"Mar  1 10:00:00 web kernel: [12345.678] TCP: time wait bucket table overflow\nMar 01 10:00:01 web sshd[1]: x\n",
		"[    1.234567][    C1] net_ratelimit: 18 callbacks suppressed\n<4>[ 2.0] x\nkern  :warn  : [ 3.0] y\n[Fri Nov 20 10:00:00 2026] z\n",
		"-- Boot 1 --\nNov 20 10:00:00.123456 h kernel: Possible SYN flooding on port 80. Sending cookies.\n   more\n",
		"2026-11-20T10:00:00.123456+00:00 h kernel: x\n2026-11-20 10:00:00 h kernel: y\nDEC  4 15:56:11 H KERN.WARN KERNEL: [ 1.0][ T1] z\n",
	} {
		f.Add([]byte(s), uint8(i))
	}
	addCorpusSeeds(f, func(b []byte) { f.Add(b, uint8(1)) }, "kernlog/hotsos/tests/unit/fake_data_root/kubernetes/var/log/kern.log")
	addCorpusSeeds(f, func(b []byte) { f.Add(b, uint8(2)) },
		"kernlog/syzkaller/pkg/report/testdata/linux/report/731",
		"kernlog/syzkaller/pkg/report/testdata/linux/report/443")
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		format := kernlogFormats[int(which)%len(kernlogFormats)]
		p := &Problems{File: "f"}
		lines := bytes.Count(data, []byte("\n")) + 1
		last := 0
		err := Kernlog(bytes.NewReader(data), format, 2026, time.UTC, p, func(r *model.KernelRecord) {
			if r.Level < -1 || r.Level > 7 || r.Uptime < 0 && r.Uptime != -1 || r.Line <= last || r.Line > lines || r.Source != "f" {
				t.Fatalf("%s: bad record %+v after line %d of %d", format, r, last, lines)
			}
			last = r.Line
			ClassifyKernel(r.Text)
		})
		if err != nil {
			t.Fatalf("%s: error from a bytes.Reader: %v", format, err)
		}
		if p.Count > lines {
			t.Fatalf("%s: %d problems for %d lines", format, p.Count, lines)
		}
	})
}

func FuzzClassifyKernel(f *testing.F) {
	for _, m := range KernelMessages() {
		for _, ex := range m.Examples {
			f.Add(ex)
		}
	}
	f.Add("nf_conntrack: table full in netns 12, dropping packet")
	f.Add(" 0000000000120018[  703.530883] net_ratelimit: 7720 callbacks suppressed")
	f.Add("kauditd_printk_skb: 18 callbacks suppressed")
	ids := map[string]bool{"": true}
	for _, m := range KernelMessages() {
		ids[m.ID] = true
	}
	f.Fuzz(func(t *testing.T, text string) {
		id, detail := ClassifyKernel(text)
		if !ids[id] || id == "" && detail != "" {
			t.Fatalf("ClassifyKernel(%q) = %q, %q", text, id, detail)
		}
		if (id == "ratelimit" || id == "conntrack-table-full") && strings.Trim(detail, "0123456789") != "" {
			t.Fatalf("ClassifyKernel(%q) detail %q: want digits", text, detail)
		}
		if id == "syn-flood" && detail != "" && strings.Trim(detail, "0123456789") != "" {
			if _, err := netip.ParseAddrPort(detail); err != nil {
				t.Fatalf("ClassifyKernel(%q) detail %q: want a port or an address and port", text, detail)
			}
		}
		// Console output before a message does not change it.
		if id2, d2 := ClassifyKernel("[ 1.000000] " + text); id2 != id || d2 != detail {
			t.Fatalf("ClassifyKernel(%q) = %q, %q but after a timestamp %q, %q", text, id, detail, id2, d2)
		}
	})
}

// folded reports whether v is trimmed with ASCII whitespace runs folded to
// one space, as sysctl values are.
func folded(v string) bool {
	return !strings.ContainsAny(v, "\t\n\r\v\f") && !strings.Contains(v, "  ") &&
		!strings.HasPrefix(v, " ") && !strings.HasSuffix(v, " ")
}

func FuzzSysctlTree(f *testing.F) {
	f.Add("net/core/somaxconn", []byte("4096\n"))
	f.Add("net/ipv4/tcp_mem", []byte("45588\t60787\t91176\n"))
	f.Add("net/ipv4/conf/eth0.100/rp_filter", []byte(" 1 \n\n"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		full := "proc/sys/" + name
		if !fs.ValidPath(full) || strings.HasSuffix(name, "/") || name == "" {
			return
		}
		fsys := fstest.MapFS{full: {Data: data}}
		p := &Problems{}
		got, err := SysctlTree(fsys, "proc/sys", p)
		if err != nil {
			t.Fatalf("SysctlTree: %v", err)
		}
		if len(got)+p.Count != 1 {
			t.Fatalf("%d keys and %d problems for one file", len(got), p.Count)
		}
		for k, v := range got {
			if k != strings.ReplaceAll(name, "/", ".") || !folded(v) {
				t.Fatalf("%q = %q from %q", k, v, name)
			}
		}
	})
}

func FuzzSysctlConf(f *testing.F) {
	f.Add([]byte("# c\n; c\nnet.core.somaxconn = 4096\n-net/ipv4/tcp_tw_reuse=1\nbad\n= 1\nk =\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := SysctlConf(bytes.NewReader(data), "f", &Problems{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range got {
			if s.Key == "" || strings.ContainsAny(s.Key, " \t/") || s.Value == "" || !folded(s.Value) || s.Line < 1 || s.File != "f" {
				t.Fatalf("bad setting %+v", s)
			}
		}
	})
}

func FuzzRCLocal(f *testing.F) {
	for _, s := range []string{
		"#!/bin/sh\nsysctl -w net.ipv4.tcp_fin_timeout=3\n",
		"echo 1 > /proc/sys/net/ipv4/ip_forward && sysctl -qw a.b=\"1 2\" 'c.d=3'\n",
		"echo 262144 | tee /proc/sys/net/core/somaxconn\ncat <<EOF\nsysctl -w x=1\nEOF\n",
		"sysctl -w \\\n a=$(nproc) `x`\necho \"1\n\" >/proc/sys/x 2>/dev/null\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := RCLocal(bytes.NewReader(data), "f", &Problems{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range got {
			if s.Key == "" || !folded(s.Value) || s.Value == "" || s.Line < 1 {
				t.Fatalf("bad setting %+v", s)
			}
		}
	})
}

func FuzzProcesses(f *testing.F) {
	f.Add([]byte("# h\n1\t0\t0\tsystemd\t120\t1024\t4096\t-\n2\t1\t-\tx y\t-\tunlimited\t-\tnginx: master\n"))
	if b, err := os.ReadFile("testdata/netsnap/processes.txt"); err == nil {
		f.Add(b[:min(len(b), 2<<10)])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Processes(bytes.NewReader(data), &Problems{})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range got {
			if p.PID <= 0 || p.PPID < 0 || p.UID < -1 || p.OpenFDs < -1 || p.NofileSoft < -1 || p.NofileHard < -1 ||
				p.NofileSoft > model.Unlimited || p.NofileHard > model.Unlimited {
				t.Fatalf("bad process %+v", p)
			}
		}
	})
}

func FuzzSocketOwners(f *testing.F) {
	f.Add([]byte("# h\n6878667\t22423\t3\n1 2 3\n1\t0\t3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := &Problems{}
		n := 0
		err := SocketOwners(bytes.NewReader(data), p, func(o model.SocketOwner) {
			n++
			if o.PID <= 0 || o.FD < 0 {
				t.Fatalf("bad owner %+v", o)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if lines := bytes.Count(data, []byte("\n")) + 1; n+p.Count > lines {
			t.Fatalf("%d owners and %d problems from %d lines", n, p.Count, lines)
		}
	})
}

func FuzzUptime(f *testing.F) {
	f.Add([]byte("350735.47 234388.90\n"))
	f.Add([]byte("1 2 3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		up, idle, err := Uptime(bytes.NewReader(data))
		if err == nil && (up < 0 || idle < 0) || err != nil && (up != 0 || idle != 0) {
			t.Fatalf("Uptime = %v, %v, %v", up, idle, err)
		}
	})
}

func FuzzFileNr(f *testing.F) {
	f.Add([]byte("2944\t0\t9223372036854775807\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, u, m, err := FileNr(bytes.NewReader(data))
		if err == nil && (a < 0 || u < 0 || m < 0) || err != nil && (a != 0 || u != 0 || m != 0) {
			t.Fatalf("FileNr = %d, %d, %d, %v", a, u, m, err)
		}
	})
}

func FuzzLoadavg(f *testing.F) {
	f.Add([]byte("0.20 0.18 0.12 1/80 11206\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		avg, err := Loadavg(bytes.NewReader(data))
		if err != nil && avg != [3]float64{} || avg[0] < 0 || avg[1] < 0 || avg[2] < 0 {
			t.Fatalf("Loadavg = %v, %v", avg, err)
		}
	})
}

func FuzzMeminfo(f *testing.F) {
	f.Add([]byte("MemTotal:       16307692 kB\nHugePages_Total:       0\nBad: x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Meminfo(bytes.NewReader(data), &Problems{})
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range m {
			if k == "" || v < 0 {
				t.Fatalf("%q = %d", k, v)
			}
		}
	})
}

func FuzzCPUList(f *testing.F) {
	for _, s := range []string{"0-3,6", "0-15:2/4", "0", "", "3-1", "0-4194303"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n := CPUList(s); n < 0 || n > 1<<31 {
			t.Fatalf("CPUList(%q) = %d", s, n)
		}
	})
}
