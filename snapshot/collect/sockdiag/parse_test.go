package sockdiag

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"testing/iotest"
)

func TestParse(t *testing.T) {
	in := Header +
		"inet\t0.0.0.0:80\t0\t511\t123456\t0\n" +
		"inet6\t[::]:443\t3\t4096\t123457\t33\r\n" +
		"\n" +
		"# a comment\n" +
		"inet6\t[::ffff:10.0.0.1]:8080\t4294967295\t4294967295\t18446744073709551615\t4294967295"
	got, errs := Parse(strings.NewReader(in))
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	want := []Listener{
		{"inet", netip.MustParseAddrPort("0.0.0.0:80"), 0, 511, 123456, 0},
		{"inet6", netip.MustParseAddrPort("[::]:443"), 3, 4096, 123457, 33},
		{"inet6", netip.MustParseAddrPort("[::ffff:10.0.0.1]:8080"), 1<<32 - 1, 1<<32 - 1, 1<<64 - 1, 1<<32 - 1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d listeners, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("listener %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestParseMalformed(t *testing.T) {
	tests := []struct {
		name, line, err string
	}{
		{"too few fields", "inet\t0.0.0.0:80\t0\t511\t1", "line 1: want 6 tab-separated fields"},
		{"too many fields", "inet\t0.0.0.0:80\t0\t511\t1\t0\t9", "line 1: want 6 tab-separated fields"},
		{"spaces not tabs", "inet 0.0.0.0:80 0 511 1 0", "line 1: want 6 tab-separated fields"},
		{"unknown family", "unix\t0.0.0.0:80\t0\t511\t1\t0", `line 1: family "unix"`},
		{"bad address", "inet\t0.0.0.0\t0\t511\t1\t0", "line 1: local:"},
		{"ipv6 under inet", "inet\t[::]:80\t0\t511\t1\t0", "line 1: local [::]:80 is not an inet address"},
		{"ipv4 under inet6", "inet6\t1.2.3.4:80\t0\t511\t1\t0", "line 1: local 1.2.3.4:80 is not an inet6 address"},
		{"negative", "inet\t0.0.0.0:80\t-1\t511\t1\t0", `line 1: recv_q "-1": invalid syntax`},
		{"hex", "inet\t0.0.0.0:80\t0\t0x1ff\t1\t0", `line 1: send_q "0x1ff": invalid syntax`},
		{"overflow uint32", "inet\t0.0.0.0:80\t0\t4294967296\t1\t0", `line 1: send_q "4294967296": value out of range`},
		{"empty inode", "inet\t0.0.0.0:80\t0\t1\t\t0", `line 1: inode "": invalid syntax`},
		{"bad uid", "inet\t0.0.0.0:80\t0\t1\t1\troot", `line 1: uid "root": invalid syntax`},
		{"future version", "# netsnap listeners v2 (NETLINK_SOCK_DIAG): x", `line 1: unsupported format version "2"`},
		{"too long", strings.Repeat("x", 10000), "line 1: longer than 4096 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.line + "\ninet\t127.0.0.1:1\t0\t1\t2\t3\n"
			got, errs := Parse(strings.NewReader(in))
			if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), tt.err) {
				t.Fatalf("errors = %v, want one starting with %q", errs, tt.err)
			}
			// The bad line is skipped, the next one still parsed.
			if len(got) != 1 || got[0].Inode != 2 {
				t.Errorf("listeners = %+v, want the line after the bad one", got)
			}
		})
	}
}

func TestParseLineNumbers(t *testing.T) {
	in := Header + "inet\tx\t0\t1\t2\t3\n" + strings.Repeat("y", 5000) + "\n\nbad\n"
	_, errs := Parse(strings.NewReader(in))
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Error()[:7])
	}
	if got := strings.Join(msgs, ","); got != "line 2:,line 3:,line 5:" {
		t.Errorf("errors %v", errs)
	}
}

func TestParseErrorCap(t *testing.T) {
	_, errs := Parse(strings.NewReader(strings.Repeat("bad\n", 1000)))
	if len(errs) != maxErrors+1 || errs[maxErrors].Error() != "900 more malformed lines" {
		t.Errorf("%d errors, last %v", len(errs), errs[len(errs)-1])
	}
}

func TestParseReadError(t *testing.T) {
	r := iotest.TimeoutReader(iotest.OneByteReader(strings.NewReader("inet\t127.0.0.1:1\t0\t1\t2\t3\n")))
	// TimeoutReader fails the second read; with one-byte reads that is mid-line.
	got, errs := Parse(r)
	if len(got) != 0 || len(errs) == 0 || !errors.Is(errs[len(errs)-1], iotest.ErrTimeout) {
		t.Errorf("got %+v, errors %v", got, errs)
	}
}

// TestRoundTrip checks that what the dumper writes Parse reads back.
func TestRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	d := dumper{w: &buf, states: 1 << tcpListen}
	buf.WriteString(Header)
	if err := d.socket(diagMsg(2, 10, netip.MustParseAddr("10.1.2.3"), 443, 7, 128, 99, 1000), 2); err != nil {
		t.Fatal(err)
	}
	if err := d.socket(diagMsg(10, 10, netip.MustParseAddr("fe80::1"), 80, 0, 4096, 1<<32-1, 0), 10); err != nil {
		t.Fatal(err)
	}
	want := Header + "inet\t10.1.2.3:443\t7\t128\t99\t1000\ninet6\t[fe80::1]:80\t0\t4096\t4294967295\t0\n"
	if buf.String() != want {
		t.Fatalf("dumper wrote\n%q\nwant\n%q", buf.String(), want)
	}
	got, errs := Parse(&buf)
	if len(errs) != 0 || len(got) != 2 || got[0].Addr.String() != "10.1.2.3:443" || got[0].UID != 1000 || got[1].Inode != 1<<32-1 {
		t.Errorf("Parse = %+v, %v", got, errs)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(Header + "inet\t0.0.0.0:80\t0\t511\t123456\t0\ninet6\t[::]:443\t3\t4096\t123457\t33\n"))
	f.Add([]byte("inet6\t[fe80::1%eth0]:22\t0\t1\t2\t3\r\n# netsnap listeners v9\n\n"))
	f.Add([]byte("inet\t1.2.3.4:5\t\t\t\t\n\t\t\t\t\t\n"))
	f.Add([]byte(strings.Repeat("a", 5000) + "\ninet\t0.0.0.0:0\t0\t0\t0\t0"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ls, errs := Parse(bytes.NewReader(b))
		if len(errs) > maxErrors+1 {
			t.Fatalf("%d errors", len(errs))
		}
		// Every parsed listener must survive a round trip through the format.
		var buf bytes.Buffer
		for _, l := range ls {
			if l.Family != "inet" && l.Family != "inet6" {
				t.Fatalf("family %q", l.Family)
			}
			buf.WriteString(l.Family + "\t" + l.Addr.String() + "\t" +
				u(uint64(l.RecvQ)) + "\t" + u(uint64(l.SendQ)) + "\t" + u(l.Inode) + "\t" + u(uint64(l.UID)) + "\n")
		}
		again, errs2 := Parse(&buf)
		if len(errs2) != 0 || len(again) != len(ls) {
			t.Fatalf("round trip: %d listeners, errors %v (was %d)", len(again), errs2, len(ls))
		}
		for i := range ls {
			if again[i] != ls[i] {
				t.Fatalf("round trip: %+v != %+v", again[i], ls[i])
			}
		}
	})
}
