package parse

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/netsnap/netsnap/analysis/model"
)

func collectConntrack(t *testing.T, r io.Reader, p *Problems) []model.ConntrackEntry {
	t.Helper()
	var out []model.ConntrackEntry
	if err := Conntrack(r, p, func(e *model.ConntrackEntry) { out = append(out, *e) }); err != nil {
		t.Fatalf("Conntrack: %v", err)
	}
	return out
}

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

func TestConntrack(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     []model.ConntrackEntry
		problems []string
	}{
		{
			name: "nf_conntrack tcp",
			in:   "ipv4     2 tcp      6 431999 ESTABLISHED src=10.0.2.15 dst=172.31.2.205 sport=40000 dport=9092 src=172.31.2.205 dst=10.0.2.15 sport=9092 dport=40000 [ASSURED] mark=0 zone=0 use=2\n",
			want: []model.ConntrackEntry{{L3: "ipv4", Proto: "tcp", Timeout: 431999, State: "ESTABLISHED",
				Src: ip("10.0.2.15"), Dst: ip("172.31.2.205"), Sport: 40000, Dport: 9092,
				ReplySrc: ip("172.31.2.205"), ReplyDst: ip("10.0.2.15"), ReplySport: 9092, ReplyDport: 40000, Assured: true}},
		},
		{
			name: "nf_conntrack unreplied udp with accounting and a zone, no final newline",
			in:   "ipv4     2 udp      17 27 src=10.0.2.15 dst=10.0.0.2 sport=53000 dport=53 packets=1 bytes=60 [UNREPLIED] src=10.0.0.2 dst=10.0.2.15 sport=53 dport=53000 packets=0 bytes=0 mark=0 zone=7 use=2",
			want: []model.ConntrackEntry{{L3: "ipv4", Proto: "udp", Timeout: 27,
				Src: ip("10.0.2.15"), Dst: ip("10.0.0.2"), Sport: 53000, Dport: 53,
				ReplySrc: ip("10.0.0.2"), ReplyDst: ip("10.0.2.15"), ReplySport: 53, ReplyDport: 53000, Unreplied: true, Zone: 7}},
		},
		{
			name: "nf_conntrack ipv6 in %pI6 form, and icmp",
			in: "ipv6     10 tcp      6 65 TIME_WAIT src=2001:0db8:0000:0000:0000:0000:0000:0001 dst=2001:0DB8::2 sport=51000 dport=443 src=2001:0db8:0000:0000:0000:0000:0000:0002 dst=2001:db8::1 sport=443 dport=51000 [ASSURED] mark=0 use=2\n" +
				"ipv4     2 icmp     1 29 src=10.0.2.15 dst=10.0.0.1 type=8 code=0 id=4711 src=10.0.0.1 dst=10.0.2.15 type=0 code=0 id=4711 mark=0 zone=0 use=2\n",
			want: []model.ConntrackEntry{
				{L3: "ipv6", Proto: "tcp", Timeout: 65, State: "TIME_WAIT",
					Src: ip("2001:db8::1"), Dst: ip("2001:db8::2"), Sport: 51000, Dport: 443,
					ReplySrc: ip("2001:db8::2"), ReplyDst: ip("2001:db8::1"), ReplySport: 443, ReplyDport: 51000, Assured: true},
				{L3: "ipv4", Proto: "icmp", Timeout: 29,
					Src: ip("10.0.2.15"), Dst: ip("10.0.0.1"), ReplySrc: ip("10.0.0.1"), ReplyDst: ip("10.0.2.15")},
			},
		},
		{
			name: "offloaded flow prints no timeout",
			in:   "ipv4     2 tcp      6 ESTABLISHED src=10.0.2.15 dst=10.0.5.5 sport=40004 dport=8080 src=10.0.5.5 dst=10.0.2.15 sport=8080 dport=40004 [OFFLOAD] mark=0 zone=0 use=3\n",
			want: []model.ConntrackEntry{{L3: "ipv4", Proto: "tcp", State: "ESTABLISHED",
				Src: ip("10.0.2.15"), Dst: ip("10.0.5.5"), Sport: 40004, Dport: 8080,
				ReplySrc: ip("10.0.5.5"), ReplyDst: ip("10.0.2.15"), ReplySport: 8080, ReplyDport: 40004}},
		},
		{
			name: "ip_conntrack (2.6), negative timeout",
			in: "tcp      6 117 TIME_WAIT src=192.168.1.10 dst=192.168.1.1 sport=51234 dport=80 packets=6 bytes=480 src=192.168.1.1 dst=192.168.1.10 sport=80 dport=51234 packets=5 bytes=420 [ASSURED] mark=0 secmark=0 use=1\n" +
				"tcp      6 -1 CLOSE src=192.168.1.10 dst=192.168.1.3 sport=51236 dport=25 src=192.168.1.3 dst=192.168.1.10 sport=25 dport=51236 use=1\n",
			want: []model.ConntrackEntry{
				{L3: "ipv4", Proto: "tcp", Timeout: 117, State: "TIME_WAIT",
					Src: ip("192.168.1.10"), Dst: ip("192.168.1.1"), Sport: 51234, Dport: 80,
					ReplySrc: ip("192.168.1.1"), ReplyDst: ip("192.168.1.10"), ReplySport: 80, ReplyDport: 51234, Assured: true},
				{L3: "ipv4", Proto: "tcp", State: "CLOSE",
					Src: ip("192.168.1.10"), Dst: ip("192.168.1.3"), Sport: 51236, Dport: 25,
					ReplySrc: ip("192.168.1.3"), ReplyDst: ip("192.168.1.10"), ReplySport: 25, ReplyDport: 51236},
			},
		},
		{
			name:     "line cut by the collector's byte cap",
			in:       "ipv4     2 tcp      6 117 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [ASSURED] mar",
			problems: []string{"cut short"},
		},
		{
			name: "malformed lines",
			in: "ipv4     2 tcp      6 117 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2\n" + // cut in the reply
				"ipv4     2 tcp      6 117 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2\n" +
				"ipv4     x tcp      6 117 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 use=1\n" +
				"ipv4     2 tcp      six 117 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 use=1\n" +
				"ipv4     2 tcp      6 117 TIME_WAIT src=10.0.0.256 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 use=1\n" +
				"ipv4     2 tcp      6 117 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=65536 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 use=1\n" +
				"ipv4     2 tcp      6 117 TIME_WAIT src=::1 dst=::2 sport=1 dport=2 src=::2 dst=::1 sport=2 dport=1 use=1\n" +
				"ipv4     2 tcp      6 99999999999 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 use=1\n" +
				"tcp      x 117 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 use=1\n" +
				"ipv4     2 tcp      6 117 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 zone=70000 use=1\n" +
				"\n" +
				"ipv4     2 tcp      6 1 CLOSE src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 use=1\n",
			want: []model.ConntrackEntry{{L3: "ipv4", Proto: "tcp", Timeout: 1, State: "CLOSE",
				Src: ip("10.0.0.1"), Dst: ip("10.0.0.2"), Sport: 1, Dport: 2,
				ReplySrc: ip("10.0.0.2"), ReplyDst: ip("10.0.0.1"), ReplySport: 2, ReplyDport: 1}},
			problems: []string{"sport= and dport=", "two src= and dst=", "layer 3", "layer 4", "bad src address", "bad sport",
				"family", "bad timeout", "protocol number", "bad zone"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Problems{File: "proc/net/nf_conntrack"}
			got := collectConntrack(t, strings.NewReader(tt.in), p)
			if len(got) != len(tt.want) {
				t.Fatalf("Conntrack gave %d entries, want %d: %+v\n%s", len(got), len(tt.want), got, p)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("entry %d:\n got %+v\nwant %+v", i, got[i], tt.want[i])
				}
			}
			wantProblems(t, p, tt.problems...)
		})
	}
}

func TestConntrackFiles(t *testing.T) {
	for _, tc := range []struct {
		file                      string
		n, assured, unreplied, tw int
		protos                    string
	}{
		{"testdata/conntrack/nf_conntrack", 15, 8, 3, 2, "gre icmp icmpv6 sctp tcp udp unknown"},
		{"testdata/conntrack/ip_conntrack", 5, 2, 1, 1, "icmp tcp udp"},
		{"testdata/conntrack/nf_conntrack-6.18", 10, 6, 3, 2, "icmp icmpv6 tcp udp"},
	} {
		p := &Problems{File: tc.file}
		got := collectConntrack(t, openFile(t, tc.file), p)
		if p.Count != 0 {
			t.Errorf("%s:\n%s", tc.file, p)
		}
		var assured, unreplied, tw int
		protos := map[string]bool{}
		for _, e := range got {
			if e.Assured {
				assured++
			}
			if e.Unreplied {
				unreplied++
			}
			if e.State == "TIME_WAIT" {
				tw++
			}
			protos[e.Proto] = true
			if !e.Src.IsValid() || !e.ReplyDst.IsValid() || (e.L3 == "ipv4") != e.Src.Is4() {
				t.Errorf("%s: bad addresses in %+v", tc.file, e)
			}
		}
		var names []string
		for _, name := range strings.Fields(tc.protos) {
			if protos[name] {
				names = append(names, name)
			}
		}
		if len(got) != tc.n || assured != tc.assured || unreplied != tc.unreplied || tw != tc.tw || len(names) != len(protos) || len(protos) != len(strings.Fields(tc.protos)) {
			t.Errorf("%s: %d entries, %d assured, %d unreplied, %d TIME_WAIT, protocols %v; want %d, %d, %d, %d, %s",
				tc.file, len(got), assured, unreplied, tw, protos, tc.n, tc.assured, tc.unreplied, tc.tw, tc.protos)
		}
	}
}

// TestConntrack618 checks entries as a 6.18 kernel printed them.
func TestConntrack618(t *testing.T) {
	got := collectConntrack(t, openFile(t, "testdata/conntrack/nf_conntrack-6.18"), nil)
	want := map[int]model.ConntrackEntry{
		0: {L3: "ipv6", Proto: "udp", Timeout: 30,
			Src: ip("::ffff:10.0.0.1"), Dst: ip("2001:db8:0:1::abcd"), Sport: 5353, Dport: 5353,
			ReplySrc: ip("2001:db8:0:1::abcd"), ReplyDst: ip("::ffff:10.0.0.1"), ReplySport: 5353, ReplyDport: 5353, Assured: true},
		2: {L3: "ipv4", Proto: "udp", Timeout: 175,
			Src: ip("10.0.2.15"), Dst: ip("10.0.0.123"), Sport: 123, Dport: 123,
			ReplySrc: ip("10.0.0.123"), ReplyDst: ip("10.0.2.15"), ReplySport: 123, ReplyDport: 123, Assured: true, Zone: 3},
		4: {L3: "ipv6", Proto: "icmpv6", Timeout: 29,
			Src: ip("fe80::202:b3ff:fe1e:8329"), Dst: ip("ff02::1"), ReplySrc: ip("ff02::1"), ReplyDst: ip("fe80::202:b3ff:fe1e:8329"), Unreplied: true},
		5: {L3: "ipv4", Proto: "tcp", Timeout: 119, State: "SYN_SENT",
			Src: ip("10.0.2.15"), Dst: ip("10.0.9.9"), Sport: 40002, Dport: 80,
			ReplySrc: ip("10.0.9.9"), ReplyDst: ip("10.0.2.15"), ReplySport: 80, ReplyDport: 40002, Unreplied: true},
	}
	for i, w := range want {
		if i >= len(got) || got[i] != w {
			t.Errorf("entry %d:\n got %+v\nwant %+v", i, got[min(i, len(got)-1)], w)
		}
	}
}

func TestConntrackLive(t *testing.T) {
	for _, path := range []string{"/proc/net/nf_conntrack", "/proc/net/ip_conntrack"} {
		f, err := os.Open(path)
		if err != nil {
			t.Logf("%s: %v", path, err)
			continue
		}
		defer f.Close()
		p := &Problems{File: path}
		n := len(collectConntrack(t, f, p))
		if p.Count != 0 {
			t.Errorf("live %s:\n%s", path, p)
		}
		t.Logf("%s: %d entries", path, n)
	}
}

// TestConntrackAllocs checks that the allocations do not grow with the entries.
func TestConntrackAllocs(t *testing.T) {
	small, large := genConntrack(100), genConntrack(5000)
	count := func(data []byte) float64 {
		return testing.AllocsPerRun(5, func() {
			if err := Conntrack(bytes.NewReader(data), nil, func(*model.ConntrackEntry) {}); err != nil {
				t.Fatal(err)
			}
		})
	}
	if a, b := count(small), count(large); b > a {
		t.Errorf("allocations grow with entries: %v for 100, %v for 5000", a, b)
	}
}

// TestParseAddr checks the allocation-free address parser against
// netip.ParseAddr.
func TestParseAddr(t *testing.T) {
	for _, s := range []string{
		"0.0.0.0", "10.0.2.15", "255.255.255.255", "256.0.0.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1..2.3", "1.2.3.4.", ".1.2.3",
		"", "::", "::1", "1::", "fe80::1", "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:DB8::A:b",
		"::ffff:10.0.0.1", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "1:2:3:4:5:1.2.3.4", "::1.2.3.4",
		"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::", "::1:2:3:4:5:6:7", "1::2::3", "12345::",
		":1", "1:", ":::", "1:::2", "fe80::1%eth0", "g::", "1.2.3.04", "::ffff:1.2.3.256",
	} {
		checkParseAddr(t, s)
	}
}

func checkParseAddr(t *testing.T, s string) {
	t.Helper()
	want, err := netip.ParseAddr(s)
	if strings.Contains(s, "%") {
		want, err = netip.Addr{}, errors.New("zones are not accepted")
	}
	got, ok := parseAddr([]byte(s))
	if ok != (err == nil) || got != want {
		t.Errorf("parseAddr(%q) = %v, %v; netip.ParseAddr = %v, %v", s, got, ok, want, err)
	}
}
