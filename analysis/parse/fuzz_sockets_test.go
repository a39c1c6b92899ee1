package parse

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netsnap/netsnap/analysis/model"
)

// addSeeds adds inline seeds and, where the corpus is present, the files
// matching patterns (relative to corpusDir or to the package).
func addSeeds(f *testing.F, inline []string, patterns ...string) {
	for _, s := range inline {
		f.Add([]byte(s))
	}
	for _, pat := range patterns {
		if !strings.HasPrefix(pat, "testdata/") {
			pat = filepath.Join(corpusDir, pat)
		}
		files, err := filepath.Glob(pat)
		if err != nil {
			f.Fatal(err)
		}
		for _, path := range files {
			b, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
}

// checkProblems checks what every parser promises about Problems.
func checkProblems(t *testing.T, p *Problems, in []byte) {
	t.Helper()
	lines := bytes.Count(in, []byte("\n")) + 1
	if p.Count > lines || len(p.First) > MaxKept || len(p.First) > p.Count {
		t.Fatalf("%d problems (%d kept) for %d lines", p.Count, len(p.First), lines)
	}
	for _, q := range p.First {
		if q.Line < 1 || q.Line > lines || q.Msg == "" {
			t.Fatalf("bad problem %+v for %d lines", q, lines)
		}
	}
}

// hexAddr prints an address as /proc/net/tcp does on a little-endian host.
func hexAddr(a netip.Addr) string {
	b := a.AsSlice()
	var s strings.Builder
	for i := 0; i < len(b); i += 4 {
		fmt.Fprintf(&s, "%02X%02X%02X%02X", b[i+3], b[i+2], b[i+1], b[i])
	}
	return s.String()
}

func FuzzTCP(f *testing.F) {
	addSeeds(f, []string{
		"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
			"   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000011 00:00000000 00000000   997        0 337245 1 0000000000000000 100 0 0 10 0\n",
		"   1: 0000000000000000FFFF00000F02000A:01BB 0000000000000000FFFF0000CD021FAC:D2F0 01 00000000:00000000 02:FFFFFFFFFFFFFE4C 00000000    -2        0 555",
		"   1: 00000000:0016 00000000:0000 0A\n",
	}, "procfs/proc/net/tcp*", "procfs/proc/net/udp*", "procfs-hotsos/tests/unit/fake_data_root/vault/proc/*/net/tcp")
	f.Fuzz(func(t *testing.T, in []byte) {
		p := &Problems{}
		n := 0
		err := TCP(bytes.NewReader(in), p, func(s *model.Socket) {
			n++
			if !s.Local.IsValid() || !s.Remote.IsValid() || s.Local.Addr().Is4() != s.Remote.Addr().Is4() {
				t.Fatalf("bad addresses %+v", s)
			}
			// A socket printed back the kernel's way parses to itself.
			line := fmt.Sprintf("%4d: %s:%04X %s:%04X %02X %08X:%08X %02X:%08X %08X %5d %8d %d 1 0000000000000000\n",
				n, hexAddr(s.Local.Addr()), s.Local.Port(), hexAddr(s.Remote.Addr()), s.Remote.Port(), uint8(s.State),
				s.TxQueue, s.RxQueue, s.Timer, s.TimerMS/10, s.Retransmits, s.UID, s.Timeout, s.Inode)
			var again model.Socket
			if msg := parseSocket([]byte(line), &again); msg != "" || again != *s {
				t.Fatalf("%q: %s\n got %+v\nwant %+v", line, msg, again, *s)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		checkProblems(t, p, in)
	})
}

func FuzzConntrack(f *testing.F) {
	addSeeds(f, []string{
		"ipv4     2 tcp      6 431999 ESTABLISHED src=10.0.2.15 dst=172.31.2.205 sport=40000 dport=9092 src=172.31.2.205 dst=10.0.2.15 sport=9092 dport=40000 [ASSURED] mark=0 zone=0 use=2\n",
		"tcp      6 117 TIME_WAIT src=192.168.1.10 dst=192.168.1.1 sport=51234 dport=80 packets=6 bytes=480 src=192.168.1.1 dst=192.168.1.10 sport=80 dport=51234 packets=5 bytes=420 [ASSURED] mark=0 secmark=0 use=1",
		"ipv6     10 udp      17 30 src=::ffff:1.2.3.4 dst=2001:db8::1 sport=1 dport=2 [UNREPLIED] src=2001:db8::1 dst=::ffff:1.2.3.4 sport=2 dport=1 use=1\n",
	}, "testdata/conntrack/*_conntrack*")
	f.Fuzz(func(t *testing.T, in []byte) {
		p := &Problems{}
		err := Conntrack(bytes.NewReader(in), p, func(e *model.ConntrackEntry) {
			for _, a := range []netip.Addr{e.Src, e.Dst, e.ReplySrc, e.ReplyDst} {
				if !a.IsValid() || (e.L3 == "ipv4" && !a.Is4()) || (e.L3 == "ipv6" && !a.Is6()) {
					t.Fatalf("bad address %v in %+v", a, e)
				}
			}
			if e.L3 == "" || e.Proto == "" {
				t.Fatalf("no protocol names in %+v", e)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		checkProblems(t, p, in)
	})
}

// FuzzParseAddr checks the allocation-free address parser against
// netip.ParseAddr.
func FuzzParseAddr(f *testing.F) {
	for _, s := range []string{"10.0.2.15", "2001:0db8:0000:0000:0000:0000:0000:0001", "::ffff:1.2.3.4", "fe80::1", "1::2::3", "01.2.3.4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkParseAddr(t, s)
	})
}

func FuzzCounters(f *testing.F) {
	addSeeds(f, []string{
		"TcpExt: SyncookiesSent TW ListenOverflows\nTcpExt: 0 388812 1098\nTcp: MaxConn\nTcp: -1\n",
		"TcpExt: A B C\nTcpExt: 1 2\nIp: A\nUdp: x\n",
	}, "procfs/proc/26231/net/netstat", "procfs/proc/26231/net/snmp")
	f.Fuzz(func(t *testing.T, in []byte) {
		p := &Problems{}
		c, err := Counters(bytes.NewReader(in), p)
		if err != nil {
			t.Fatal(err)
		}
		for g, m := range c {
			if g == "" || len(m) == 0 {
				t.Fatalf("group %q with %d counters", g, len(m))
			}
		}
		checkProblems(t, p, in)
	})
}

func FuzzSockstat(f *testing.F) {
	addSeeds(f, []string{
		"sockets: used 1602\nTCP: inuse 35 orphan 0 tw 4 alloc 59 mem 22\nFRAG: inuse 0 memory 0\n",
		"sockets: used x\nTCP: inuse 35 orphan\nRAW:\n",
	}, "procfs/proc/net/sockstat*")
	f.Fuzz(func(t *testing.T, in []byte) {
		p := &Problems{}
		s, err := Sockstat(bytes.NewReader(in), p)
		if err != nil {
			t.Fatal(err)
		}
		for proto, m := range s.Proto {
			if proto == "" || len(m) == 0 {
				t.Fatalf("protocol %q with %d fields", proto, len(m))
			}
		}
		checkProblems(t, p, in)
	})
}

func FuzzConntrackStat(f *testing.F) {
	addSeeds(f, []string{
		"entries  clashres found\n00000001  00000002 00000003\n00000001  00000002 00000003\n",
		"00000001\nentries drop\n00000005\n",
	}, "procfs-node_exporter/collector/fixtures/proc/net/stat/nf_conntrack")
	f.Fuzz(func(t *testing.T, in []byte) {
		p := &Problems{}
		if _, err := ConntrackStat(bytes.NewReader(in), p); err != nil {
			t.Fatal(err)
		}
		checkProblems(t, p, in)
	})
}

func FuzzSlabinfo(f *testing.F) {
	addSeeds(f, []string{
		"slabinfo - version: 2.1\n# name <active_objs>\ntw_sock_TCP 704 864 256 32 2 : tunables 0 0 0 : slabdata 27 27 0\n",
		"slabinfo - version: 1.1\nx 1 2 3\n",
		"x 1 2 3 4\n",
	}, "procfs-node_exporter/collector/fixtures/proc/slabinfo")
	f.Fuzz(func(t *testing.T, in []byte) {
		p := &Problems{}
		slabs, err := Slabinfo(bytes.NewReader(in), p)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range slabs {
			if s.Name == "" || s.ActiveObjs < 0 || s.NumObjs < 0 || s.ObjSize < 0 || s.ObjPerSlab < 0 || s.PagesPerSlab < 0 {
				t.Fatalf("bad slab %+v", s)
			}
		}
		checkProblems(t, p, in)
	})
}

func FuzzSoftnet(f *testing.F) {
	addSeeds(f, []string{
		"00638b16 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000001 00000000 00000000\n",
		"00015c73 00020e76 F0000769 00000000\n",
	}, "procfs/proc/net/softnet_stat*")
	f.Fuzz(func(t *testing.T, in []byte) {
		p := &Problems{}
		rows, err := Softnet(bytes.NewReader(in), p)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.CPU < 0 {
				t.Fatalf("bad row %+v", r)
			}
		}
		checkProblems(t, p, in)
	})
}
