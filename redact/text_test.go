package redact

import (
	"net/netip"
	"strings"
	"testing"
)

// pa is the pseudonym of an address, as text.
func pa(m *Map, s string) string { return m.Addr(netip.MustParseAddr(s)).String() }

func TestText(t *testing.T) {
	m := NewMapKey(testKey)
	host := m.Name("ip-172-31-3-170")
	api := m.Name("api.corp.example.com")
	for _, tc := range []struct {
		in, want string
	}{
		// addresses in their usual places
		{"client: 10.0.0.1, server: x", "client: " + pa(m, "10.0.0.1") + ", server: x"},
		{"src=10.0.0.1 dst=10.0.0.2 sport=1 dport=80", "src=" + pa(m, "10.0.0.1") + " dst=" + pa(m, "10.0.0.2") + " sport=1 dport=80"},
		{"upstream 10.0.0.1:8080 failed", "upstream " + pa(m, "10.0.0.1") + ":8080 failed"},
		{"[2001:db8::1]:443", "[" + pa(m, "2001:db8::1") + "]:443"},
		{"from 2001:db8::1.", "from " + pa(m, "2001:db8::1") + "."},
		{"to 10.0.0.1.", "to " + pa(m, "10.0.0.1") + "."},
		{"::ffff:10.0.0.1", pa(m, "::ffff:10.0.0.1")},
		{"allow 10.1.2.0/24;", "allow " + netip.PrefixFrom(netip.MustParseAddr(pa(m, "10.1.2.0")), 24).Masked().Addr().String() + "/24;"},
		{"fe80::1%eth0", pa(m, "fe80::1") + "%eth0"},
		{"src=2001:0db8:0000:0000:0000:0000:0000:0001 x", "src=" + expanded(m.Addr(netip.MustParseAddr("2001:db8::1"))) + " x"},
		{"http://10.0.0.20:8080/x", "http://" + pa(m, "10.0.0.20") + ":8080/x"},
		{"http://app/x and https://api.corp.example.com/", "http://" + m.Name("app") + "/x and https://" + api + "/"},
		{"https://[2001:db8::5]:8443/", "https://[" + pa(m, "2001:db8::5") + "]:8443/"},
		// known names anywhere, the host's own
		{"Mar  1 09:41:21 ip-172-31-3-170 kernel: table full", "Mar  1 09:41:21 " + host + " kernel: table full"},
		{"2026-11-20T10:00:00.123+00:00 web-1 kernel: x", "2026-11-20T10:00:00.123+00:00 " + m.Name("web-1") + " kernel: x"},
		{"/var/log/ip-172-31-3-170.log", "/var/log/" + host + ".log"},
		{"see API.CORP.EXAMPLE.COM now", "see " + strings.ToUpper(api) + " now"},
		// what must not change
		{"nginx/1.21.6 kernel 3.13.0-48-generic", "nginx/1.21.6 kernel 3.13.0-48-generic"},
		{"at 09:41:21.123 and 12:34", "at 09:41:21.123 and 12:34"},
		{"mac 00:1a:2b:3c:4d:5e", "mac 00:1a:2b:3c:4d:5e"},
		{"v1.2.3.4 1.2.3.4.5 x10.0.0.1", "v1.2.3.4 1.2.3.4.5 x10.0.0.1"},
		{"0.0.0.0:80 127.0.0.1 ::1 :: 255.255.255.0", "0.0.0.0:80 127.0.0.1 ::1 :: 255.255.255.0"},
		{"std::string a::b", "std::string a::b"},
		{"proxy_pass_header foo-ip-172-31-3-170x", "proxy_pass_header foo-ip-172-31-3-170x"},
		{"[12449650.185260] TCP: time wait", "[12449650.185260] TCP: time wait"},
	} {
		r := newRewriter(m, newNameIndex([]string{"ip-172-31-3-170", "api.corp.example.com"}))
		if got := r.textString(tc.in); got != tc.want {
			t.Errorf("text(%q) =\n  %q; want\n  %q", tc.in, got, tc.want)
		}
	}
}

func expanded(a netip.Addr) string {
	return format6([]byte("2001:0db8:0000:0000:0000:0000:0000:0001"), a)
}

// TestTextAlign: in text aligned with runs of blanks the columns stay.
func TestTextAlign(t *testing.T) {
	m := NewMapKey(testKey)
	r := newRewriter(m, nil)
	for _, in := range []string{
		"10.0.0.1        app1   # x\n",
		"1.2.3.4         b\n",
		"    10.0.0.255 │ 12\n",
		"  203.0.113.200 │ 12\n",
	} {
		got := r.textString(in)
		if len(got) != len(in) && !strings.Contains(in, "│") {
			t.Errorf("text(%q) = %q: width %d, want %d", in, got, len(got), len(in))
		}
		if strings.Contains(in, "│") && strings.Index(got, "│") != strings.Index(in, "│") {
			t.Errorf("text(%q) = %q: the column moved", in, got)
		}
	}
}

func TestProcHex(t *testing.T) {
	m := NewMapKey(testKey)
	r := newRewriter(m, nil)
	for _, tc := range []struct{ in, addr, hex string }{
		{"   3: AA031FAC:CB7D E03801AC:78F6 06 00000000:00000000 03:000004E3 00000000     0        0 0 3 ffff8802a7ff1f00\n", "172.31.3.170", "AA031FAC"},
		{"   2: 0000000000000000FFFF0000AA031FAC:0016 0000000000000000FFFF000006041FAC:C6C6 01 00000000:00000000 00:00000000 00000000     0        0 141134220 2\n", "172.31.3.170", "0000000000000000FFFF0000AA031FAC"},
		{"   0: 0100007F:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n", "127.0.0.1", "0100007F"},
	} {
		out := string(r.procHex(nil, []byte(tc.in)))
		if len(out) != len(tc.in) {
			t.Errorf("procHex(%q) = %q: length changed", tc.in, out)
		}
		p := m.Addr(netip.MustParseAddr(tc.addr))
		want := procHexText(p, len(tc.hex) == 32)
		if p.String() == tc.addr {
			want = tc.hex
		}
		if !strings.Contains(out, want+":") {
			t.Errorf("procHex(%q) = %q; want %s (%s) in it", tc.in, out, want, p)
		}
		if tc.addr != "127.0.0.1" && strings.Contains(out, tc.hex) {
			t.Errorf("procHex(%q) = %q: %s still there", tc.in, out, tc.hex)
		}
		// ports, states and the rest stay where they were
		for i := range out {
			if i < len(tc.in) && !is(tc.in[i], cHex) && out[i] != tc.in[i] {
				t.Fatalf("procHex changed byte %d: %q", i, out)
			}
		}
	}
}

// procHexText writes an address as /proc/net/tcp{,6} does.
func procHexText(a netip.Addr, v6 bool) string {
	b := a.As16()
	if !v6 {
		b4 := a.Unmap().As4()
		return strings.ToUpper(hex8(b4[3], b4[2], b4[1], b4[0]))
	}
	var s string
	for k := 0; k < 16; k += 4 {
		s += strings.ToUpper(hex8(b[k+3], b[k+2], b[k+1], b[k]))
	}
	return s
}

func hex8(a, b, c, d byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[a>>4], digits[a&15], digits[b>>4], digits[b&15], digits[c>>4], digits[c&15], digits[d>>4], digits[d&15]})
}

func TestSockText(t *testing.T) {
	m := NewMapKey(testKey)
	r := newRewriter(m, nil)
	for _, tc := range []struct{ in, want string }{
		{"# netsnap tcp v1 (NETLINK_SOCK_DIAG): state local remote\n", "# netsnap tcp v1 (NETLINK_SOCK_DIAG): state local remote\n"},
		{"ESTABLISHED\t10.0.0.1:80\t10.0.0.9:51234\t0\t0\t0\t0\t0\t33\t123460\n",
			"ESTABLISHED\t" + pa(m, "10.0.0.1") + ":80\t" + pa(m, "10.0.0.9") + ":51234\t0\t0\t0\t0\t0\t33\t123460\n"},
		{"SYN_SENT\t[::ffff:10.0.0.1]:40000\t[2001:db8::3]:9092\t0\t1\t1\t1893\t2\t33\t123470\n",
			"SYN_SENT\t[" + pa(m, "::ffff:10.0.0.1") + "]:40000\t[" + pa(m, "2001:db8::3") + "]:9092\t0\t1\t1\t1893\t2\t33\t123470\n"},
		{"LISTEN\t0.0.0.0:80\t0.0.0.0:0\t0\t511\t0\t0\t0\t0\t1\n", "LISTEN\t0.0.0.0:80\t0.0.0.0:0\t0\t511\t0\t0\t0\t0\t1\n"},
		{"damaged 10.0.0.1 line\n", "damaged " + pa(m, "10.0.0.1") + " line\n"},
	} {
		if got := string(r.sockText(nil, []byte(tc.in), 1, 2)); got != tc.want {
			t.Errorf("sockText(%q) =\n  %q; want\n  %q", tc.in, got, tc.want)
		}
	}
}

func TestName(t *testing.T) {
	m := NewMapKey(testKey)
	for _, tc := range []struct{ in, shape string }{
		{"localhost", "localhost"},
		{"_", "_"},
		{"ip6-allnodes", "ip6-allnodes"},
		{"app", "host-??????"},
		{"App", "Host-??????"},
		{"APP", "HOST-??????"},
		{"api.example.com", "host-??????.example.invalid"},
		{"a.b.example.com", "host-??????.sub.example.invalid"},
		{"example.com", "host-??????.invalid"},
		{"example.com.", "host-??????.invalid."},
		{"*.example.com", "*.host-??????.invalid"},
		{".example.com", ".host-??????.invalid"},
		{"www.example.*", "host-??????.sub.*"[:0] + "host-??????.invalid.*"},
		{"~^(www\\.)?x\\.com$", "~^host-??????$"},
		{"10.0.0.1", pa(m, "10.0.0.1")},
		{"$host", "$host"},
	} {
		got := m.Name(tc.in)
		if len(got) != len(tc.shape) || !matchShape(got, tc.shape) {
			t.Errorf("Name(%q) = %q; want the shape %q", tc.in, got, tc.shape)
		}
		if again := m.Name(tc.in); again != got {
			t.Errorf("Name(%q) = %q, then %q", tc.in, got, again)
		}
	}
	if m.Name("App") == m.Name("app") || !strings.EqualFold(m.Name("App"), m.Name("app")) {
		t.Errorf("Name(App) = %q, Name(app) = %q: want one pseudonym in two cases", m.Name("App"), m.Name("app"))
	}
	if m.Name("app") == m.Name("app2") {
		t.Error("two names, one pseudonym")
	}
	if m.Name(m.Name("api.example.com")) != m.Name("api.example.com") {
		t.Error("a pseudonym is redacted again")
	}
}

func matchShape(s, shape string) bool {
	for i := range shape {
		if shape[i] == '?' {
			if !is(s[i], cHex) {
				return false
			}
			continue
		}
		if s[i] != shape[i] {
			return false
		}
	}
	return true
}

// TestReverse: a text redacted with a map reads back in real names and
// addresses with it.
func TestReverse(t *testing.T) {
	m := NewMapKey(testKey)
	in := strings.Join([]string{
		`2026/11/20 10:00:02 [error] 4243#4243: *102 no live upstreams while connecting to upstream, client: 10.0.0.100, server: api.corp.example.com, request: "GET / HTTP/1.1", upstream: "http://app/", host: "proxy"`,
		"Mar  1 09:41:21 ip-172-31-3-170 kernel: SYN flooding on port 172.31.3.170:80",
		"busiest service [2001:db8::7]:443 and ::ffff:192.168.1.1, 127.0.0.1 stays",
		"",
	}, "\n")
	r := newRewriter(m, newNameIndex([]string{"ip-172-31-3-170"}))
	var red []byte
	for _, l := range strings.SplitAfter(in, "\n") {
		red = r.nginxLog(red, []byte(l))
	}
	r.done()
	for _, orig := range []string{"10.0.0.100", "api.corp", "ip-172-31-3-170", "172.31.3.170", "2001:db8::7", "192.168.1.1", `"proxy"`, "//app/"} {
		if strings.Contains(string(red), orig) {
			t.Errorf("redacted text still holds %q:\n%s", orig, red)
		}
	}
	var back strings.Builder
	if err := m.Reverse(&back, strings.NewReader(string(red))); err != nil {
		t.Fatal(err)
	}
	if back.String() != in {
		t.Errorf("Reverse(redact(x)) =\n%s\nwant\n%s", back.String(), in)
	}
}
