package parse

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/netsnap/netsnap/analysis/model"
)

const tableHeader = "# netsnap tcp v1 (NETLINK_SOCK_DIAG): state local remote recv_q send_q timer expires_ms retrans uid inode\n"

func collectTable(t *testing.T, in string, p *Problems) []model.Socket {
	t.Helper()
	var out []model.Socket
	if err := TCPTable(strings.NewReader(in), p, func(s *model.Socket) { out = append(out, *s) }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTCPTable(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     []model.Socket
		problems []string
	}{
		{"listener: send_q is the backlog",
			tableHeader + "LISTEN\t0.0.0.0:80\t0.0.0.0:0\t3\t511\t0\t0\t0\t0\t123456\n",
			[]model.Socket{{Local: ap("0.0.0.0:80"), Remote: ap("0.0.0.0:0"), State: model.Listen, RxQueue: 3, TxQueue: 511, Inode: 123456}}, nil},
		{"time-wait",
			"TIME_WAIT\t10.0.0.1:41234\t10.0.0.2:8080\t0\t0\t3\t59731\t0\t0\t0",
			[]model.Socket{{Local: ap("10.0.0.1:41234"), Remote: ap("10.0.0.2:8080"), State: model.TimeWait, Timer: 3, TimerMS: 59731}}, nil},
		{"syn-sent retransmits, v4-mapped",
			"SYN_SENT\t[::ffff:10.0.0.1]:40000\t[::ffff:10.0.0.3]:9092\t0\t1\t1\t1893\t2\t33\t123470\n",
			[]model.Socket{{Local: ap("[::ffff:10.0.0.1]:40000"), Remote: ap("[::ffff:10.0.0.3]:9092"), State: model.SynSent, TxQueue: 1, Timer: 1, TimerMS: 1893, Retransmits: 2, UID: 33, Inode: 123470}}, nil},
		{"keepalive: retrans counts probes",
			"ESTABLISHED\t[2001:db8::1]:443\t[2001:db8::9]:51234\t10\t20\t2\t7000\t4\t1000\t99\r\n",
			[]model.Socket{{Local: ap("[2001:db8::1]:443"), Remote: ap("[2001:db8::9]:51234"), State: model.Established, RxQueue: 10, TxQueue: 20, Timer: 2, TimerMS: 7000, Timeout: 4, UID: 1000, Inode: 99}}, nil},
		{"comments and blank lines",
			"# a comment\n\nCLOSE_WAIT\t127.0.0.1:8080\t127.0.0.1:5000\t1\t0\t0\t0\t0\t0\t7\n",
			[]model.Socket{{Local: ap("127.0.0.1:8080"), Remote: ap("127.0.0.1:5000"), State: model.CloseWait, RxQueue: 1, Inode: 7}}, nil},
		{"future version stops", "# netsnap tcp v2 (x): more\nLISTEN\t0.0.0.0:80\t0.0.0.0:0\t0\t1\t0\t0\t0\t0\t1\n",
			nil, []string{`line 1: socket table format version "2", this netanalyze reads version 1`}},
		{"malformed lines", strings.Join([]string{
			"ESTABLISHED\t10.0.0.1:1\t10.0.0.2:2\t0\t0\t0\t0\t0\t0",             // 9 fields
			"ESTABLISHED\t10.0.0.1:1\t10.0.0.2:2\t0\t0\t0\t0\t0\t0\t1\t2",       // 11
			"UP\t10.0.0.1:1\t10.0.0.2:2\t0\t0\t0\t0\t0\t0\t1",                   // state
			"ESTABLISHED\t10.0.0.01:1\t10.0.0.2:2\t0\t0\t0\t0\t0\t0\t1",         // leading zero
			"ESTABLISHED\t10.0.0.1:65536\t10.0.0.2:2\t0\t0\t0\t0\t0\t0\t1",      // port
			"ESTABLISHED\t[::1]:1\t10.0.0.2:2\t0\t0\t0\t0\t0\t0\t1",             // families
			"ESTABLISHED\t[fe80::1%eth0]:1\t[::1]:2\t0\t0\t0\t0\t0\t0\t1",       // zone
			"ESTABLISHED\t10.0.0.1:1\t10.0.0.2:2\t-1\t0\t0\t0\t0\t0\t1",         // sign
			"ESTABLISHED\t10.0.0.1:1\t10.0.0.2:2\t0\t0\t256\t0\t0\t0\t1",        // timer
			"ESTABLISHED\t10.0.0.1:1\t10.0.0.2:2\t0\t4294967296\t0\t0\t0\t0\t1", // send_q
			"ESTABLISHED\t[1.2.3.4]:1\t10.0.0.2:2\t0\t0\t0\t0\t0\t0\t1",         // brackets around v4
			"ESTABLISHED 10.0.0.1:1 10.0.0.2:2 0 0 0 0 0 0 1",                   // spaces
			"",
		}, "\n"), nil, []string{
			"line 1: " + errTableFields, "line 2: " + errTableFields, "line 3: unknown state", "line 4: bad local address",
			"line 5: bad local address", "line 6: local and remote addresses of different families", "line 7: bad local address",
			"line 8: bad recv_q", "line 9: bad timer", "line 10: bad send_q"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Problems{}
			got := collectTable(t, tt.in, p)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			var msgs []string
			for _, q := range p.First {
				msgs = append(msgs, fmt.Sprintf("line %d: %s", q.Line, q.Msg))
			}
			if fmt.Sprint(msgs) != fmt.Sprint(tt.problems) {
				t.Errorf("problems\n %q\nwant\n %q", msgs, tt.problems)
			}
		})
	}
}

// formatTable prints a socket the way the collector writes it.
func formatTable(s *model.Socket) string {
	retrans := s.Retransmits
	if s.Timer == 2 || s.Timer == 4 {
		retrans = s.Timeout
	}
	return fmt.Sprintf("%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", s.State, s.Local, s.Remote,
		s.RxQueue, s.TxQueue, s.Timer, s.TimerMS, retrans, s.UID, s.Inode)
}

func FuzzTCPTable(f *testing.F) {
	addSeeds(f, []string{
		tableHeader + "LISTEN\t0.0.0.0:80\t0.0.0.0:0\t3\t511\t0\t0\t0\t0\t123456\n" +
			"SYN_SENT\t[::ffff:10.0.0.1]:40000\t[::ffff:10.0.0.3]:9092\t0\t1\t1\t1893\t2\t33\t123470\n",
		"ESTABLISHED\t[2001:db8::1]:443\t[2001:db8::9]:51234\t10\t20\t2\t7000\t4\t1000\t99",
		"# netsnap tcp v9\n",
	}, "testdata/tcptable/*")
	f.Fuzz(func(t *testing.T, in []byte) {
		p := &Problems{}
		err := TCPTable(bytes.NewReader(in), p, func(s *model.Socket) {
			if !s.Local.IsValid() || !s.Remote.IsValid() || s.Local.Addr().Is4() != s.Remote.Addr().Is4() || !s.State.Valid() {
				t.Fatalf("bad socket %+v", s)
			}
			// A socket printed back the collector's way parses to itself.
			line := formatTable(s)
			var again model.Socket
			if msg := parseTableRow([]byte(strings.TrimSuffix(line, "\n")), &again); msg != "" || again != *s {
				t.Fatalf("%q: %s\n got %+v\nwant %+v", line, msg, again, *s)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		checkProblems(t, p, in)
	})
}

// genTable makes a socket table of n rows in netsnap's format, mixing
// states like genTCP.
func genTable(n int, v6 bool) []byte {
	var b bytes.Buffer
	b.WriteString(tableHeader)
	for i := 0; i < n; i++ {
		st := model.TCPState([]int{1, 6, 6, 6, 1, 8, 2, 10}[i%8])
		if v6 {
			fmt.Fprintf(&b, "%s\t[::ffff:10.0.2.15]:%d\t[::ffff:172.31.2.%d]:9092\t0\t0\t3\t%d\t0\t33\t%d\n", st, 32768+i%28233, 200+i%3, i%60000, i)
		} else {
			fmt.Fprintf(&b, "%s\t10.0.2.15:%d\t172.31.2.%d:9092\t0\t0\t3\t%d\t0\t33\t%d\n", st, 32768+i%28233, 200+i%3, i%60000, i)
		}
	}
	return b.Bytes()
}

func BenchmarkTCPTable(b *testing.B) { benchSockets(b, genTable, TCPTable) }

func TestTableState(t *testing.T) {
	for _, st := range model.TCPStates {
		if got := tableState([]byte(st.String())); got != st {
			t.Errorf("%s: got %v", st, got)
		}
	}
	for _, bad := range []string{"", "LISTEM", "FIN_WAIT3", "FIN_WAIT", "established", "CLOSE_WAIT ", "SYN_SEND", "UNKNOWN(13)", "LAST_ACKS"} {
		if got := tableState([]byte(bad)); got != 0 {
			t.Errorf("%q: got %v, want 0", bad, got)
		}
	}
}

// FuzzEndpoint checks the hand-written address parsers against
// netip.ParseAddrPort: whatever they accept, netip reads the same way.
func FuzzEndpoint(f *testing.F) {
	for _, s := range []string{"10.0.0.1:80", "[::1]:443", "[::ffff:10.0.0.1]:8080", "1.2.3.4:", "01.2.3.4:1", "1.2.3.4:65536", "[1.2.3.4]:1", "255.255.255.255:65535"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.ContainsRune(s, '\t') {
			return // a tab ends a field: the input is not one field
		}
		check := func(got netip.AddrPort, how string) {
			want, err := netip.ParseAddrPort(s)
			if err != nil || want != got {
				t.Fatalf("%s(%q) = %v, netip says %v (%v)", how, s, got, want, err)
			}
		}
		if ap, ok := parseEndpoint([]byte(s)); ok {
			check(ap, "parseEndpoint")
		}
		if ap, rest, ok := cutEndpoint([]byte(s + "\tx")); ok {
			if string(rest) != "x" {
				t.Fatalf("cutEndpoint(%q) left %q", s, rest)
			}
			check(ap, "cutEndpoint")
		}
	})
}
