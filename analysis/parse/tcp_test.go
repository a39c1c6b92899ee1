package parse

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/netsnap/netsnap/analysis/model"
)

// corpusDir is the third-party test corpus (shared/corpus), read in place.
const corpusDir = "../../../shared/corpus"

// netCorpus returns the corpus files matching pattern (relative to
// corpusDir), skipping the test when the corpus is absent.
func netCorpus(t *testing.T, pattern string) []string {
	t.Helper()
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	files, err := filepath.Glob(filepath.Join(corpusDir, pattern))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no corpus file matches %s", pattern)
	}
	return files
}

// openFile opens path for a test, closing it at the end.
func openFile(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Error(err)
		}
	})
	return f
}

// liveProc opens a file of this machine's /proc, skipping when it is absent.
func liveProc(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("live %s: %v", path, err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Error(err)
		}
	})
	return f
}

// e2eMetrics reads node_exporter's expected output for its fixture tree:
// "name{labels}" to value.
func e2eMetrics(t *testing.T) map[string]float64 {
	t.Helper()
	path := netCorpus(t, "procfs-node_exporter/collector/fixtures/e2e-output.txt")[0]
	m := map[string]float64{}
	sc := bufio.NewScanner(openFile(t, path))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("e2e-output: %q: %v", line, err)
		}
		m[line[:i]] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

// wantProblems checks a Problems' count and that each kept message
// contains the matching substring.
func wantProblems(t *testing.T, p *Problems, want ...string) {
	t.Helper()
	if p.Count != len(want) {
		t.Errorf("%d problems, want %d:\n%s", p.Count, len(want), p.String())
		return
	}
	for i, w := range want {
		if i < len(p.First) && !strings.Contains(p.First[i].Msg, w) {
			t.Errorf("problem %d = %q, want it to contain %q", i, p.First[i].Msg, w)
		}
	}
}

func collectTCP(t *testing.T, r io.Reader, p *Problems) []model.Socket {
	t.Helper()
	var out []model.Socket
	if err := TCP(r, p, func(s *model.Socket) { out = append(out, *s) }); err != nil {
		t.Fatalf("TCP: %v", err)
	}
	return out
}

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func TestTCP(t *testing.T) {
	const hdr4 = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	const hdr6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	tests := []struct {
		name     string
		in       string
		want     []model.Socket
		problems []string
	}{
		{
			name: "listener, padded to 150 columns",
			in:   hdr4 + "   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000011 00:00000000 00000000   997        0 337245 1 0000000000000000 100 0 0 10 0                    \n",
			want: []model.Socket{{Local: ap("127.0.0.1:3306"), Remote: ap("0.0.0.0:0"), State: model.Listen,
				RxQueue: 17, UID: 997, Inode: 337245}},
		},
		{
			name: "established with timers",
			in:   "   5: 0F02000A:B1C2 CD021FAC:2384 01 0000012C:00000000 01:00000014 00000003  1000        2 98765 2 ffff8d72b8678000 20 4 30 10 -1\n",
			want: []model.Socket{{Local: ap("10.0.2.15:45506"), Remote: ap("172.31.2.205:9092"), State: model.Established,
				TxQueue: 300, Timer: 1, TimerMS: 200, Retransmits: 3, UID: 1000, Timeout: 2, Inode: 98765}},
		},
		{
			name: "time_wait row, as get_timewait4_sock prints it",
			in:   "  12: 0F02000A:9C40 CD021FAC:2384 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000\n",
			want: []model.Socket{{Local: ap("10.0.2.15:40000"), Remote: ap("172.31.2.205:9092"), State: model.TimeWait,
				Timer: 3, TimerMS: 60000}},
		},
		{
			name: "overdue timer on an old 64-bit kernel, negative uid",
			in:   "   1: 0100007F:0050 0100007F:D431 01 00000000:00000000 02:FFFFFFFFFFFFFE4C 00000000    -2        0 4242 1 ffff880037d3c000 20 3 1 10 -1\n",
			want: []model.Socket{{Local: ap("127.0.0.1:80"), Remote: ap("127.0.0.1:54321"), State: model.Established,
				Timer: 2, UID: 4294967294, Inode: 4242}},
		},
		{
			name: "ipv6 and ipv4-mapped",
			in: hdr6 +
				" 6073: 000080FE00000000FFADE15609667CFE:C781 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 11337031 2 00000000b9256fdd 0\n" +
				"    1: 0000000000000000FFFF00000F02000A:01BB 0000000000000000FFFF0000CD021FAC:D2F0 01 00000000:00000000 02:000AFC80 00000000    33        0 555 1 0000000000000000 20 4 30 10 -1\n" +
				"    2: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 100 0 0 10 0\n",
			want: []model.Socket{
				{Local: ap("[fe80::56e1:adff:fe7c:6609]:51073"), Remote: ap("[::]:0"), State: model.Close, UID: 1000, Inode: 11337031},
				{Local: ap("[::ffff:10.0.2.15]:443"), Remote: ap("[::ffff:172.31.2.205]:54000"), State: model.Established,
					Timer: 2, TimerMS: 0xAFC80 * 10, UID: 33, Inode: 555},
				{Local: ap("[::1]:22"), Remote: ap("[::]:0"), State: model.Listen, Inode: 777},
			},
		},
		{
			name: "udp: 3-space header, %5d slots, no final newline",
			in: "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops            \n" +
				"  256: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 16384 2 0000000000000000 0\n" +
				"53433: 3500007F:0035 00000000:0000 07 00000015:00000200 00:00000000 00000000   101        0 62318 2 0000000000000000 12",
			want: []model.Socket{
				{Local: ap("0.0.0.0:68"), Remote: ap("0.0.0.0:0"), State: model.Close, Inode: 16384},
				{Local: ap("127.0.0.53:53"), Remote: ap("0.0.0.0:0"), State: model.Close, TxQueue: 0x15, RxQueue: 0x200, UID: 101, Inode: 62318},
			},
		},
		{
			name: "row ending at the inode, tabs, CRLF, blank lines and a second header",
			in:   hdr4 + "\n   0: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000\t0\t0\t1234\r\n" + hdr4,
			want: []model.Socket{{Local: ap("127.0.0.1:80"), Remote: ap("0.0.0.0:0"), State: model.Listen, Inode: 1234}},
		},
		{
			name: "malformed rows",
			in: hdr4 +
				"   1: 00000000:0016 00000000:0000 0A\n" + // udp_broken: cut after st
				"   2: 0100007G:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1\n" +
				"   3: 0100007F:10016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1\n" +
				"   4: 0100007F:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1\n" +
				"   5: 0100007F:0016 00000000:0000 1A0 00000000:00000000 00:00000000 00000000 0 0 1\n" +
				"   6: 0100007F:0016 00000000:0000 0A 00000000-00000000 00:00000000 00000000 0 0 1\n" +
				"   7: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 x\n" +
				"   8: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 4294967296 0 1\n" +
				"   9 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1\n" +
				"garbage\n" +
				"  10: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 99\n",
			want: []model.Socket{{Local: ap("127.0.0.1:22"), Remote: ap("0.0.0.0:0"), State: model.Listen, Inode: 99}},
			problems: []string{"bad tx_queue", "bad local address", "bad local address", "different families", "bad state",
				"bad tx_queue", "inode", "bad uid", "bad slot", "bad slot"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Problems{File: "proc/net/tcp"}
			got := collectTCP(t, strings.NewReader(tt.in), p)
			if len(got) != len(tt.want) {
				t.Fatalf("TCP gave %d sockets, want %d: %+v\n%s", len(got), len(tt.want), got, p)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("socket %d:\n got %+v\nwant %+v", i, got[i], tt.want[i])
				}
			}
			wantProblems(t, p, tt.problems...)
		})
	}
}

func TestTCPProblemLines(t *testing.T) {
	in := "  sl  local_address\n   0: bad\n\n   1: worse\n"
	p := &Problems{}
	collectTCP(t, strings.NewReader(in), p)
	if p.Count != 2 || p.First[0].Line != 2 || p.First[1].Line != 4 {
		t.Errorf("problems = %+v, want lines 2 and 4", p.First)
	}
	// A nil Problems is allowed.
	collectTCP(t, strings.NewReader(in), nil)
}

func TestTCPLongLine(t *testing.T) {
	row := "   0: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1\n"
	in := row + strings.Repeat("x", 3*maxLine) + "\n" + row + strings.Repeat("y", maxLine+5)
	p := &Problems{}
	got := collectTCP(t, strings.NewReader(in), p)
	if len(got) != 2 {
		t.Errorf("got %d sockets, want 2", len(got))
	}
	wantProblems(t, p, "line longer", "line longer")
	if p.First[0].Line != 2 || p.First[1].Line != 4 {
		t.Errorf("problem lines = %+v, want 2 and 4", p.First)
	}
}

func TestTCPReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("   0: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1\n"), iotest.ErrReader(boom))
	n := 0
	err := TCP(r, nil, func(*model.Socket) { n++ })
	if !errors.Is(err, boom) || n != 1 {
		t.Errorf("TCP = %v after %d sockets, want boom after 1", err, n)
	}
	// One byte at a time changes nothing.
	n = 0
	in := strings.Repeat("   0: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1\n", 3)
	if err := TCP(iotest.OneByteReader(strings.NewReader(in)), nil, func(*model.Socket) { n++ }); err != nil || n != 3 {
		t.Errorf("TCP(OneByteReader) = %v, %d sockets; want nil, 3", err, n)
	}
}

func TestTCPState(t *testing.T) {
	for i, s := range model.TCPStates {
		if int(s) != i+1 {
			t.Errorf("TCPStates[%d] = %d", i, s)
		}
	}
	for s, want := range map[model.TCPState]string{
		model.Established: "ESTABLISHED", model.TimeWait: "TIME_WAIT", model.FinWait1: "FIN_WAIT1",
		model.NewSynRecv: "NEW_SYN_RECV", 0: "UNKNOWN(0)", 13: "UNKNOWN(13)",
	} {
		if got := s.String(); got != want {
			t.Errorf("TCPState(%d).String() = %q, want %q", s, got, want)
		}
	}
}

func TestTCPCorpus(t *testing.T) {
	var files []string
	for _, pat := range []string{
		"procfs/proc/net/tcp*", "procfs/proc/net/udp", "procfs/proc/net/udp6",
		"procfs-node_exporter/collector/fixtures/proc/net/udp",
		"procfs-hotsos/tests/unit/fake_data_root/*/proc/*/net/tcp*",
		"procfs-hotsos/tests/unit/fake_data_root/*/*/proc/*/net/tcp*",
		"procfs-hotsos/tests/unit/fake_data_root/*/proc/*/net/udp*",
		"procfs-hotsos/tests/unit/fake_data_root/*/*/proc/*/net/udp*",
	} {
		files = append(files, netCorpus(t, pat)...)
	}
	total := 0
	for _, path := range files {
		p := &Problems{File: path}
		n := len(collectTCP(t, openFile(t, path), p))
		if p.Count != 0 {
			t.Errorf("%s:\n%s", path, p)
		}
		if n == 0 && !strings.Contains(path, "udp") {
			t.Errorf("%s: no sockets", path)
		}
		total += n
	}
	if total < 600 {
		t.Errorf("%d sockets in %d corpus files, want hundreds", total, len(files))
	}
	t.Logf("%d sockets in %d files", total, len(files))

	// udp_broken is cut after st.
	p := &Problems{}
	if got := collectTCP(t, openFile(t, netCorpus(t, "procfs/proc/net/udp_broken")[0]), p); len(got) != 0 {
		t.Errorf("udp_broken gave %v", got)
	}
	wantProblems(t, p, "bad tx_queue")

	// procfs's own expectations.
	got := collectTCP(t, openFile(t, netCorpus(t, "procfs/proc/net/tcp")[0]), nil)
	want := model.Socket{Local: ap("10.0.0.5:22"), Remote: ap("0.0.0.0:0"), State: model.Listen, RxQueue: 1, Inode: 2740}
	if len(got) != 3 || got[0] != want || got[1].TxQueue != 1 {
		t.Errorf("procfs tcp = %+v, want first %+v", got, want)
	}
	got = collectTCP(t, openFile(t, netCorpus(t, "procfs/proc/net/tcp6")[0]), nil)
	if len(got) != 2 || got[1].Local != ap("[fe80::56e1:adff:fe7c:6609]:51073") || got[1].UID != 1000 || got[1].Inode != 11337031 {
		t.Errorf("procfs tcp6 = %+v", got)
	}

	// node_exporter: node_udp_queues{ip="v4",queue="tx"} 21.
	m := e2eMetrics(t)
	var tx, rx float64
	for _, s := range collectTCP(t, openFile(t, netCorpus(t, "procfs-node_exporter/collector/fixtures/proc/net/udp")[0]), nil) {
		tx += float64(s.TxQueue)
		rx += float64(s.RxQueue)
	}
	if tx != m[`node_udp_queues{ip="v4",queue="tx"}`] || rx != m[`node_udp_queues{ip="v4",queue="rx"}`] {
		t.Errorf("udp queues tx %v rx %v, want e2e-output's", tx, rx)
	}
}

func TestTCPLive(t *testing.T) {
	for _, name := range []string{"tcp", "tcp6", "udp", "udp6", "udplite", "udplite6"} {
		p := &Problems{File: name}
		collectTCP(t, liveProc(t, "/proc/net/"+name), p)
		if p.Count != 0 {
			t.Errorf("live /proc/net/%s:\n%s", name, p)
		}
	}
}

// TestTCPLiveOwnSockets opens a listener and a connection and finds them in
// this machine's table: the check that addresses and ports decode in the
// right byte order.
func TestTCPLiveOwnSockets(t *testing.T) {
	for _, tc := range []struct{ network, addr, table string }{
		{"tcp4", "127.0.0.1:0", "/proc/net/tcp"},
		{"tcp6", "[::1]:0", "/proc/net/tcp6"},
	} {
		ln, err := net.Listen(tc.network, tc.addr)
		if err != nil {
			t.Logf("listen %s: %v", tc.addr, err)
			continue
		}
		defer ln.Close()
		c, err := net.Dial(tc.network, ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		lnAddr := ln.Addr().(*net.TCPAddr).AddrPort()
		cliAddr := c.LocalAddr().(*net.TCPAddr).AddrPort()
		var sawListen, sawConn bool
		for _, s := range collectTCP(t, liveProc(t, tc.table), nil) {
			if s.Local == lnAddr && s.State == model.Listen {
				sawListen = true
			}
			if s.Local == cliAddr && s.Remote == lnAddr && s.State == model.Established {
				sawConn = true
			}
		}
		if !sawListen || !sawConn {
			t.Errorf("%s: listener %v found %v, connection %v found %v", tc.table, lnAddr, sawListen, cliAddr, sawConn)
		}
	}
}

// TestTCPAllocs checks that the allocations do not grow with the rows.
func TestTCPAllocs(t *testing.T) {
	small, large := genTCP(100, false), genTCP(5000, true)
	count := func(data []byte) float64 {
		return testing.AllocsPerRun(5, func() {
			if err := TCP(bytes.NewReader(data), nil, func(*model.Socket) {}); err != nil {
				t.Fatal(err)
			}
		})
	}
	if a, b := count(small), count(large); b > a {
		t.Errorf("allocations grow with rows: %v for 100 rows, %v for 5000", a, b)
	}
}
