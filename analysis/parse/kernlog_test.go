package parse

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/netsnap/netsnap/analysis/model"
)

// sharedCorpus returns the path of a file of the third-party corpus
// (shared/corpus beside the repository), skipping the test when absent.
func sharedCorpus(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "corpus", filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		t.Skipf("corpus file absent: %v", err)
	}
	return p
}

// hostFixture returns the path of a file of the repository's testdata/hosts
// trees, skipping the test when absent.
func hostFixture(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join("..", "..", "testdata", "hosts", filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		t.Skipf("fixture absent: %v", err)
	}
	return p
}

// kernlogAll parses a whole log and returns its records and problems.
func kernlogAll(t *testing.T, r io.Reader, format string, year int) ([]model.KernelRecord, *Problems) {
	t.Helper()
	p := &Problems{File: "test"}
	var recs []model.KernelRecord
	err := Kernlog(r, format, year, time.UTC, p, func(rec *model.KernelRecord) {
		recs = append(recs, *rec)
	})
	if err != nil {
		t.Fatalf("Kernlog(%s) error: %v", format, err)
	}
	return recs, p
}

func TestKernlogFormat(t *testing.T) {
	for _, tt := range []struct{ path, want string }{
		{"dev/kmsg", "kmsg"},
		{"/dev/kmsg", "kmsg"},
		{"var/log/kern.log", "syslog"},
		{"var/log/kern.log.1", "syslog"},
		{"var/log/kern.log.2.gz", ""},
		{"var/log/messages.kernel", "syslog"},
		{"var/log/syslog.kernel", "syslog"},
		{"var/log/messages", ""},
		{"var/log/syslog", ""},
		{"var/log/dmesg", "dmesg"},
		{"var/log/dmesg.0", "dmesg"},
		{"var/log/dmesg.1.gz", ""},
		{"netsnap/journalctl-k.txt", "journal"},
		{"samples/1/dev/kmsg", "kmsg"},
		{"var/log/nginx/error.log", ""},
		{"var/log/sub/kern.log", ""},
		{"proc/net/tcp", ""},
		{"", ""},
	} {
		if got := KernlogFormat(tt.path); got != tt.want {
			t.Errorf("KernlogFormat(%q) = %q; want %q", tt.path, got, tt.want)
		}
	}
}

// rec is a compact expectation of a record.
type rec struct {
	time   string // RFC 3339 in UTC, "" for none
	uptime float64
	level  int
	text   string
	line   int
}

func checkRecords(t *testing.T, name string, got []model.KernelRecord, want []rec) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d records; want %d: %+v", name, len(got), len(want), got)
		return
	}
	for i, w := range want {
		g := got[i]
		gt := ""
		if !g.Time.IsZero() {
			gt = g.Time.UTC().Format(time.RFC3339Nano)
		}
		if gt != w.time || g.Uptime != w.uptime || g.Level != w.level || g.Text != w.text || g.Line != w.line {
			t.Errorf("%s: record %d = {%s %v %d %q line %d}; want {%s %v %d %q line %d}",
				name, i, gt, g.Uptime, g.Level, g.Text, g.Line, w.time, w.uptime, w.level, w.text, w.line)
		}
		if g.Source != "test" {
			t.Errorf("%s: record %d Source = %q; want the Problems' File", name, i, g.Source)
		}
	}
}

func TestKernlog(t *testing.T) {
	for _, tt := range []struct {
		name, format, in string
		want             []rec
		problems         int
	}{
		{
			name:   "kmsg",
			format: "kmsg",
			in: "6,339,5140900,-;nf_conntrack: table full, dropping packet\n" +
				" SUBSYSTEM=net\n" +
				" DEVICE=+net:eth0\n" +
				"4,340,5140901,c,caller=T12;TCP: time wait bucket table overflow\n" +
				"14,341,6000000,-;systemd[1]: started\n" +
				"3,342,7000000,-;tab\\x09and backslash \\x5c here\\x0anext\n" +
				"no semicolon\n" +
				"x,1,2,-;bad prio\n" +
				"6,343,;missing usec\n" +
				"\n",
			want: []rec{
				{"", 5.1409, 6, "nf_conntrack: table full, dropping packet", 1},
				{"", 5.140901, 4, "TCP: time wait bucket table overflow", 4},
				{"", 6, 6, "systemd[1]: started", 5},
				{"", 7, 3, "tab\tand backslash \\ here\nnext", 6},
			},
			problems: 3,
		},
		{
			name:   "syslog traditional",
			format: "syslog",
			in: "Mar  1 10:00:00 web-f5-01 kernel: ip_conntrack: table full, dropping packet.\n" +
				"Mar  1 10:00:01 web-f5-01 sshd[1234]: Accepted publickey for root\n" +
				"Mar 01 10:00:02 web-f5-01 kernel: [12345.678] TCP: time wait bucket table overflow\r\n" +
				"Jun  8 10:48:13 compute4 kernel: [1694413.621694] nf_conntrack: nf_conntrack: table full, dropping packet\n" +
				"Dec 31 23:59:59.123456 host kernel: [    0.000000]   Intel GenuineIntel\n" +
				"Nov 20 10:00:00 host kernel[0]: bsd style\n" +
				"Nov 20 10:00:00 kernel: no host\n" +
				"DEC  4 15:56:11 SYZKALLER KERN.WARN KERNEL: [   63.198470][    C2] NET_RATELIMIT: 3 CALLBACKS SUPPRESSED\n" +
				"Nov 20 10:00:00 host myapp: the kernel: said so\n" +
				"Nov 20 10:00:00 host\n" +
				"[ 1.0] not syslog\n" +
				"Feb 30 10:00:00 host kernel: no such day\n" +
				"Mar  1 25:00:00 host kernel: no such hour\n",
			want: []rec{
				{"2026-03-01T10:00:00Z", -1, -1, "ip_conntrack: table full, dropping packet.", 1},
				{"2026-03-01T10:00:02Z", 12345.678, -1, "TCP: time wait bucket table overflow", 3},
				{"2026-06-08T10:48:13Z", 1694413.621694, -1, "nf_conntrack: nf_conntrack: table full, dropping packet", 4},
				{"2026-12-31T23:59:59.123456Z", 0, -1, "  Intel GenuineIntel", 5},
				{"2026-11-20T10:00:00Z", -1, -1, "bsd style", 6},
				{"2026-11-20T10:00:00Z", -1, -1, "no host", 7},
				{"2026-12-04T15:56:11Z", 63.19847, 4, "NET_RATELIMIT: 3 CALLBACKS SUPPRESSED", 8},
			},
			problems: 3,
		},
		{
			name:   "syslog rfc3339",
			format: "syslog",
			in: "2026-11-20T10:00:00.123456+00:00 proxy1 kernel: nf_conntrack: table full, dropping packet\n" +
				"2026-11-20T11:00:00+01:00 proxy1 kernel: [ 5.5] offset\n" +
				"2026-11-20T10:00:00.5+0000 proxy1 kernel: no colon in zone\n" +
				"2026-11-20T10:00:00Z proxy1 systemd[1]: not kernel\n" +
				"2026-11-20 10:00:01 proxy1 kernel: space for T\n" +
				"2026-13-20T10:00:00Z proxy1 kernel: bad month\n",
			want: []rec{
				{"2026-11-20T10:00:00.123456Z", -1, -1, "nf_conntrack: table full, dropping packet", 1},
				{"2026-11-20T10:00:00Z", 5.5, -1, "offset", 2},
				{"2026-11-20T10:00:00.5Z", -1, -1, "no colon in zone", 3},
				{"2026-11-20T10:00:01Z", -1, -1, "space for T", 5},
			},
			problems: 1,
		},
		{
			name:   "journal",
			format: "journal",
			in: "-- Logs begin at Fri 2026-11-20 09:00:00 UTC, end at Fri 2026-11-20 10:00:00 UTC. --\n" +
				"-- Boot 8f2a4c1e0b9d4e7f9a3b2c1d0e9f8a7b --\n" +
				"Nov 20 10:00:00.123456 proxy1 kernel: TCP: request_sock_TCP: Possible SYN flooding on port 0.0.0.0:80. Sending cookies.  Check SNMP counters.\n" +
				"Nov 20 10:00:01.000001 proxy1 kernel: first line\n" +
				"                                      second line\n" +
				"-- No entries --\n" +
				"-- Reboot --\n" +
				"garbage\n",
			want: []rec{
				{"2026-11-20T10:00:00.123456Z", -1, -1, "TCP: request_sock_TCP: Possible SYN flooding on port 0.0.0.0:80. Sending cookies.  Check SNMP counters.", 3},
				{"2026-11-20T10:00:01.000001Z", -1, -1, "first line", 4},
				{"", -1, -1, "second line", 5},
			},
			problems: 1,
		},
		{
			name:   "dmesg",
			format: "dmesg",
			in: "[    1.234567] TCP: Hash tables configured\n" +
				"[  990.312270][    C1] net_ratelimit: 18 callbacks suppressed\n" +
				"[   62.262385][ T6753] netlink: bad attribute\n" +
				"[    0.000000] kernel: Linux version 6.8.0\n" +
				"<4>[   10.5] raw with level\n" +
				"kern  :warn  : [   11.000001] decoded\n" +
				"[Fri Nov 20 10:00:00 2026] human time\n" +
				"  continuation without a time\n" +
				"[  703.527910]  0000000000120018[  703.530883] net_ratelimit: 7720 callbacks suppressed\n" +
				"[not a time] text\n" +
				"   \n" +
				"<6>no time\n",
			want: []rec{
				{"", 1.234567, -1, "TCP: Hash tables configured", 1},
				{"", 990.31227, -1, "net_ratelimit: 18 callbacks suppressed", 2},
				{"", 62.262385, -1, "netlink: bad attribute", 3},
				{"", 0, -1, "Linux version 6.8.0", 4},
				{"", 10.5, 4, "raw with level", 5},
				{"", 11.000001, 4, "decoded", 6},
				{"2026-11-20T10:00:00Z", -1, -1, "human time", 7},
				{"", -1, -1, "  continuation without a time", 8},
				{"", 703.52791, -1, " 0000000000120018[  703.530883] net_ratelimit: 7720 callbacks suppressed", 9},
				{"", -1, -1, "[not a time] text", 10},
				{"", -1, 6, "no time", 12},
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, p := kernlogAll(t, strings.NewReader(tt.in), tt.format, 2026)
			checkRecords(t, tt.name, got, tt.want)
			if p.Count != tt.problems {
				t.Errorf("%d problems; want %d:\n%s", p.Count, tt.problems, p)
			}
		})
	}
}

func TestKernlogErrors(t *testing.T) {
	if err := Kernlog(strings.NewReader("x"), "klog", 2026, nil, nil, func(*model.KernelRecord) {}); err == nil {
		t.Error("Kernlog with an unknown format: no error")
	}
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("[ 1.0] a\n"), iotestErr{boom})
	n := 0
	err := Kernlog(r, "dmesg", 2026, nil, nil, func(*model.KernelRecord) { n++ })
	if !errors.Is(err, boom) || n != 1 {
		t.Errorf("Kernlog over a failing reader = %v after %d records; want boom after 1", err, n)
	}
	// A nil Problems is allowed, and a nil location means UTC.
	var got *model.KernelRecord
	err = Kernlog(strings.NewReader("bad\nMar  1 10:00:00 h kernel: x\n"), "syslog", 2020, nil, nil, func(r *model.KernelRecord) { got = r })
	if err != nil || got == nil || got.Time.Location() != time.UTC || got.Source != "" || got.Line != 2 {
		t.Errorf("Kernlog(nil Problems, nil loc) = %v, %+v", err, got)
	}
	// The caller's zone applies to syslog times.
	loc := time.FixedZone("X", 3600)
	err = Kernlog(strings.NewReader("Mar  1 10:00:00 h kernel: x\n"), "syslog", 2020, loc, nil, func(r *model.KernelRecord) { got = r })
	if err != nil || !got.Time.Equal(time.Date(2020, 3, 1, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("Kernlog in +01:00 = %v, %v; want 09:00 UTC", err, got.Time)
	}
}

// iotestErr is a reader that fails.
type iotestErr struct{ err error }

func (r iotestErr) Read([]byte) (int, error) { return 0, r.err }

// TestKernlogLongLine checks that a line longer than the buffer is a
// problem and the lines around it still parse.
func TestKernlogLongLine(t *testing.T) {
	in := "[ 1.0] a\n[ 2.0] " + strings.Repeat("x", 100<<10) + "\n[ 3.0] c\n"
	got, p := kernlogAll(t, strings.NewReader(in), "dmesg", 0)
	if len(got) != 2 || got[1].Text != "c" || got[1].Line != 3 || p.Count != 1 {
		t.Errorf("records %+v, problems %d; want a and c, one problem", got, p.Count)
	}
}

// syzkallerConsole opens a syzkaller report and skips its header, up to and
// including the first blank line.
func syzkallerConsole(t *testing.T, name string) io.Reader {
	t.Helper()
	b, err := os.ReadFile(sharedCorpus(t, "kernlog/syzkaller/pkg/report/testdata/linux/report/"+name))
	if err != nil {
		t.Fatal(err)
	}
	_, body, ok := bytes.Cut(b, []byte("\n\n"))
	if bytes.HasPrefix(b, []byte("\n")) {
		body, ok = b[1:], true
	}
	if !ok {
		t.Fatalf("%s: no blank line after the header", name)
	}
	return bytes.NewReader(body)
}

func TestKernlogCorpus(t *testing.T) {
	t.Run("hotsos kern.log", func(t *testing.T) {
		f, err := os.Open(sharedCorpus(t, "kernlog/hotsos/tests/unit/fake_data_root/kubernetes/var/log/kern.log"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		got, p := kernlogAll(t, f, "syslog", 2022)
		if p.Count != 0 || len(got) != 757 {
			t.Fatalf("%d records, problems:\n%s; want 757 and none", len(got), p)
		}
		first, last := got[0], got[len(got)-1]
		if first.Time != time.Date(2022, 2, 11, 18, 58, 28, 0, time.UTC) || first.Uptime != 0 ||
			!strings.HasPrefix(first.Text, "Linux version 5.4.0-99-generic") {
			t.Errorf("first record %+v", first)
		}
		for _, r := range got {
			if r.Uptime < 0 || r.Time.IsZero() || r.Time.Before(first.Time) || r.Time.After(last.Time) {
				t.Errorf("line %d: %+v: want a time and an uptime, in order", r.Line, r)
				break
			}
		}
	})
	t.Run("hotsos dmesg", func(t *testing.T) {
		f, err := os.Open(sharedCorpus(t, "kernlog/hotsos/tests/unit/fake_data_root/kubernetes/sos_commands/kernel/dmesg"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		got, p := kernlogAll(t, f, "dmesg", 0)
		if p.Count != 0 || len(got) != 813 {
			t.Fatalf("%d records, problems:\n%s; want 813 and none", len(got), p)
		}
		for _, r := range got {
			if r.Uptime < 0 {
				t.Errorf("line %d: %+v: want an uptime", r.Line, r)
				break
			}
		}
	})
	t.Run("hotsos kern.log and dmesg agree", func(t *testing.T) {
		// The same boot as syslog and as dmesg: the messages should match.
		a, err := os.Open(sharedCorpus(t, "kernlog/hotsos/tests/unit/fake_data_root/kubernetes/var/log/kern.log"))
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		b, err := os.Open(sharedCorpus(t, "kernlog/hotsos/tests/unit/fake_data_root/kubernetes/sos_commands/kernel/dmesg"))
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		syslog, _ := kernlogAll(t, a, "syslog", 2022)
		dmesg, _ := kernlogAll(t, b, "dmesg", 0)
		byUptime := map[float64]string{}
		for _, r := range dmesg {
			byUptime[r.Uptime] += r.Text + "\n"
		}
		same := 0
		for _, r := range syslog {
			if strings.Contains(byUptime[r.Uptime], r.Text+"\n") {
				same++
			}
		}
		if same < len(syslog)*9/10 {
			t.Errorf("only %d of %d kern.log records have the same uptime and text in dmesg", same, len(syslog))
		}
	})
	for _, tt := range []struct {
		name      string
		records   int
		withTime  int
		noUptime  int
		callerIDs bool
	}{
		{"89", 7, 0, 0, false},
		{"287", 51, 0, 0, false},
		{"378", 61, 0, 0, true},
		{"443", 158, 0, 0, false},
		{"446", 93, 0, 0, false},
		{"731", 21, 0, 10, true},
	} {
		t.Run("syzkaller "+tt.name, func(t *testing.T) {
			got, p := kernlogAll(t, syzkallerConsole(t, tt.name), "dmesg", 0)
			if p.Count != 0 {
				t.Errorf("problems:\n%s", p)
			}
			noUptime := 0
			for _, r := range got {
				if r.Uptime < 0 {
					noUptime++
				}
				if tt.callerIDs && strings.HasPrefix(r.Text, "[") {
					t.Errorf("line %d: caller id left in %q", r.Line, r.Text)
				}
			}
			if len(got) != tt.records || noUptime != tt.noUptime {
				t.Errorf("%d records, %d without uptime; want %d, %d", len(got), noUptime, tt.records, tt.noUptime)
			}
		})
	}
	t.Run("centos6 messages", func(t *testing.T) {
		f, err := os.Open(hostFixture(t, "centos6-ipconntrack/var/log/messages"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		got, p := kernlogAll(t, f, KernlogFormat("var/log/messages.kernel"), 2026)
		if p.Count != 0 {
			t.Errorf("problems:\n%s", p)
		}
		for _, r := range got {
			if id, _ := ClassifyKernel(r.Text); id == "" {
				t.Errorf("line %d %q: not classified", r.Line, r.Text)
			}
		}
		if len(got) < 2 {
			t.Errorf("%d kernel records; want at least 2", len(got))
		}
	})
}

// TestKernlogLive reads this machine's kernel log where it can: /dev/kmsg
// (root), journalctl -k and dmesg. Every line must parse.
func TestKernlogLive(t *testing.T) {
	t.Run("kmsg", func(t *testing.T) {
		b := readKmsg(t)
		got, p := kernlogAll(t, bytes.NewReader(b), "kmsg", 0)
		if p.Count != 0 {
			t.Errorf("problems:\n%s", p)
		}
		if len(got) == 0 {
			t.Fatal("no records")
		}
		prev := -1.0
		for _, r := range got {
			if r.Level < 0 || r.Level > 7 || r.Uptime < prev {
				t.Errorf("line %d: %+v: want a level and uptimes in order", r.Line, r)
				break
			}
			prev = r.Uptime
		}
		// dmesg prints the same ring buffer: its texts should be kmsg's.
		out, err := exec.Command("dmesg").Output()
		if err != nil {
			return
		}
		texts := map[string]bool{}
		for _, r := range got {
			texts[r.Text] = true
		}
		dm, _ := kernlogAll(t, bytes.NewReader(out), "dmesg", 0)
		same := 0
		for _, r := range dm {
			if texts[r.Text] {
				same++
			}
		}
		if same < len(dm)*9/10 {
			t.Errorf("only %d of %d dmesg texts are kmsg texts", same, len(dm))
		}
	})
	for _, tt := range []struct {
		format string
		args   []string
	}{
		{"journal", []string{"journalctl", "-k", "-b", "-o", "short-precise", "--no-pager", "-n", "5000"}},
		{"dmesg", []string{"dmesg"}},
	} {
		t.Run(tt.format, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, tt.args[0], tt.args[1:]...).Output()
			if err != nil || len(bytes.TrimSpace(out)) == 0 {
				t.Skipf("%s: %v (%d bytes)", tt.args[0], err, len(out))
			}
			got, p := kernlogAll(t, bytes.NewReader(out), tt.format, time.Now().Year())
			if p.Count != 0 {
				t.Errorf("problems:\n%s", p)
			}
			lines := 0
			for sc := bufio.NewScanner(bytes.NewReader(out)); sc.Scan(); {
				if l := sc.Text(); strings.TrimSpace(l) != "" && !strings.HasPrefix(l, "-- ") {
					lines++
				}
			}
			if len(got) != lines {
				t.Errorf("%d records from %d lines", len(got), lines)
			}
		})
	}
}

// readKmsg reads the kernel ring buffer as netsnap does (non-blocking, one
// record per read), or skips the test.
func readKmsg(t *testing.T) []byte {
	t.Helper()
	fd, err := syscall.Open("/dev/kmsg", syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("/dev/kmsg: %v", err)
	}
	defer syscall.Close(fd)
	var out []byte
	buf := make([]byte, 16<<10)
	for len(out) < 8<<20 {
		n, err := syscall.Read(fd, buf)
		if err == syscall.EINTR || err == syscall.EPIPE {
			continue
		}
		if err != nil || n <= 0 {
			break
		}
		out = append(out, buf[:n]...)
	}
	if len(out) == 0 {
		t.Skip("/dev/kmsg: nothing read")
	}
	return out
}
