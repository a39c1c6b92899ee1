package redact

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netsnap/netsnap/analysis/model"
	"github.com/netsnap/netsnap/analysis/parse"
	"github.com/netsnap/netsnap/internal/nginxconf"
)

// seeds adds the inline seeds and the files of the shared corpus under dir.
func seeds(f *testing.F, dir string, inline ...string) {
	for _, s := range inline {
		f.Add([]byte(s))
	}
	files, _ := filepath.Glob(filepath.Join("../../shared/corpus", dir, "*"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
}

// skeleton is b without what redaction may change: letters, digits and
// the characters of addresses and names, and blanks (columns are
// realigned). What is left (quotes, commas, "=", brackets, tabs,
// newlines...) must come out as it went in.
func skeleton(b []byte) []byte {
	return bytes.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
			r == '.', r == ':', r == '-', r == '_', r == '%', r == '/', r == ' ', r == '*', r == '~', r == '^', r == '$':
			return -1
		}
		return r
	}, b)
}

func lines(fn func(*rewriter, []byte, []byte) []byte, r *rewriter, in []byte) []byte {
	return rewriteLines(r, fn, nil, in)
}

// FuzzText: the text scanner (with every line kind built on it) keeps
// the lines and everything but addresses and names, and never panics.
func FuzzText(f *testing.F) {
	seeds(f, "kernlog",
		"Mar  1 09:41:21 ip-172-31-3-170 kernel: [1.2] nf_conntrack: table full\n",
		"src=10.0.0.1 dst=2001:0db8:0000:0000:0000:0000:0000:0001 sport=1\n",
		"http://app:8080/x https://[fe80::1%eth0]:443/ 10.1.2.0/24 ::ffff:1.2.3.4\n",
		"127.0.0.1\tlocalhost\n10.0.0.20  app1 app1.corp.example.com # x\n",
		"search corp.example.com\nnameserver 10.0.0.2\n",
		"2026-11-20T10:00:00Z web-1 sshd[1]: from 1.2.3.4 port 22\n")
	m := NewMapKey(testKey)
	kinds := map[string]func(*rewriter, []byte, []byte) []byte{
		"text": (*rewriter).text, "hosts": (*rewriter).hostsFile, "resolv": (*rewriter).resolvConf,
		"hostname": (*rewriter).hostnameFile, "nginx log": (*rewriter).nginxLog,
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := newRewriter(m, newNameIndex([]string{"ip-172-31-3-170", "corp.example.com", "web-1"}))
		for kind, fn := range kinds {
			out := lines(fn, r, in)
			if bytes.Count(out, []byte{'\n'}) != bytes.Count(in, []byte{'\n'}) {
				t.Fatalf("%s: %q -> %q: lines changed", kind, in, out)
			}
			if a, b := skeleton(in), skeleton(out); !bytes.Equal(a, b) {
				t.Fatalf("%s: %q -> %q: changed %q into %q", kind, in, out, a, b)
			}
		}
	})
}

// FuzzProcHex: a /proc/net table keeps its length and every byte but the
// addresses' hex, and maps back exactly.
func FuzzProcHex(f *testing.F) {
	seeds(f, "procfs",
		"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: AA031FAC:CB7D E03801AC:78F6 06 00000000:00000000 03:000004E3 00000000     0        0 0 3 ffff8802a7ff1f00\n",
		"   2: 0000000000000000FFFF0000AA031FAC:0016 0000000000000000FFFF000006041FAC:C6C6 01 00000000:00000000 00:00000000 00000000     0        0 141134220 2\n",
		"   0: 000080FE00000000FFFE9C00484A63fe:007B 00000000000000000000000000000000:0000 07\n")
	f.Fuzz(func(t *testing.T, in []byte) {
		m := NewMapKey(testKey)
		r := newRewriter(m, nil)
		out := lines((*rewriter).procHex, r, in)
		if len(out) != len(in) {
			t.Fatalf("%q -> %q: length changed", in, out)
		}
		for i := range in {
			if !is(in[i], cHex) && in[i] != out[i] {
				t.Fatalf("%q -> %q: byte %d changed", in, out, i)
			}
		}
		r.done()
		back := &rewriter{m: m, reverse: true, back: map[netip.Addr]netip.Addr{}}
		for o, p := range m.addrs {
			back.back[p] = o
		}
		if again := lines((*rewriter).procHex, back, out); !bytes.EqualFold(again, in) {
			t.Fatalf("%q -> %q -> %q: not mapped back", in, out, again)
		}
		// Both parse alike.
		if a, b := parseTCP(in), parseTCP(out); a != b {
			t.Fatalf("%q: parsed %v, redacted %v", in, a, b)
		}
	})
}

type parsed struct{ sockets, problems int }

func parseTCP(b []byte) parsed {
	p := &parse.Problems{}
	var n parsed
	parse.TCP(bytes.NewReader(b), p, func(*model.Socket) { n.sockets++ })
	n.problems = p.Count
	return n
}

// FuzzSockText: netsnap's socket table parses alike once redacted.
func FuzzSockText(f *testing.F) {
	seeds(f, "",
		"# netsnap tcp v1 (NETLINK_SOCK_DIAG): state local remote recv_q send_q timer expires_ms retrans uid inode\nLISTEN\t0.0.0.0:80\t0.0.0.0:0\t0\t511\t0\t0\t0\t0\t123456\n",
		"ESTABLISHED\t10.0.0.1:80\t10.0.0.9:51234\t0\t0\t0\t0\t0\t33\t123460\nTIME_WAIT\t10.0.0.1:41234\t10.0.0.2:8080\t0\t0\t3\t59731\t0\t0\t0\n",
		"SYN_SENT\t[::ffff:10.0.0.1]:40000\t[::ffff:10.0.0.3]:9092\t0\t1\t1\t1893\t2\t33\t123470\n")
	m := NewMapKey(testKey)
	f.Fuzz(func(t *testing.T, in []byte) {
		r := newRewriter(m, nil)
		out := lines(func(r *rewriter, dst, l []byte) []byte { return r.sockText(dst, l, 1, 2) }, r, in)
		count := func(b []byte) parsed {
			p := &parse.Problems{}
			var n parsed
			parse.TCPTable(bytes.NewReader(b), p, func(*model.Socket) { n.sockets++ })
			n.problems = p.Count
			return n
		}
		if a, b := count(in), count(out); a != b {
			t.Fatalf("%q -> %q: parsed %v, redacted %v", in, out, a, b)
		}
	})
}

// FuzzNginxConf: a configuration keeps its tokens, their kinds and lines,
// and its syntax errors.
func FuzzNginxConf(f *testing.F) {
	seeds(f, "nginx", testConf, "server { listen 10.0.0.1:80; server_name a.b.c; }\n", `a "b\" 10.0.0.1" 'c';`, "x_by_lua_block { a = '}' }")
	m := NewMapKey(testKey)
	f.Fuzz(func(t *testing.T, in []byte) {
		r := newRewriter(m, newNameIndex([]string{"corp.example.com"}))
		out := r.nginxConf(nil, in)
		a, errA := nginxconf.Lex(in, "f")
		b, errB := nginxconf.Lex(out, "f")
		if len(a) != len(b) || (errA == nil) != (errB == nil) {
			t.Fatalf("%q -> %q: %d tokens (%v), then %d (%v)", in, out, len(a), errA, len(b), errB)
		}
		for i := range a {
			if a[i].Kind != b[i].Kind || a[i].Line != b[i].Line || a[i].Quoted != b[i].Quoted {
				t.Fatalf("%q -> %q: token %d %+v became %+v", in, out, i, a[i], b[i])
			}
		}
	})
}

// FuzzNginxLog: an error log gives the same entries once redacted.
func FuzzNginxLog(f *testing.F) {
	seeds(f, "nginx-errorlog",
		`2026/11/20 10:00:02 [error] 4243#4243: *102 no live upstreams while connecting to upstream, client: 10.0.0.100, server: _, request: "GET / HTTP/1.1", upstream: "http://app/", host: "proxy"`+"\n",
		`2026/11/20 10:00:01 [error] 1#1: *1 connect() failed (111: Connection refused), client: 1.2.3.4, server: api.x.com, upstream: "http://10.0.0.21:8080/", host: "api.x.com:8443"`+"\n")
	m := NewMapKey(testKey)
	f.Fuzz(func(t *testing.T, in []byte) {
		r := newRewriter(m, nil)
		out := lines((*rewriter).nginxLog, r, in)
		read := func(b []byte) []string {
			var kinds []string
			parse.NginxErrorLog(bytes.NewReader(b), time.UTC, &parse.Problems{}, func(e *model.NginxError) {
				kinds = append(kinds, e.Level+" "+e.Kind+" "+e.Time.String())
			})
			return kinds
		}
		if a, b := read(in), read(out); strings.Join(a, "\n") != strings.Join(b, "\n") {
			t.Fatalf("%q -> %q: entries %v, then %v", in, out, a, b)
		}
	})
}

// FuzzReadMap: a map file is read or refused, never trusted wrongly: one
// that reads writes back to itself.
func FuzzReadMap(f *testing.F) {
	m := NewMapKey(testKey)
	m.Name("app.example.com")
	m.Addr(netip.MustParseAddr("10.0.0.1"))
	var buf bytes.Buffer
	m.WriteMap(&buf)
	f.Add(buf.Bytes())
	f.Add([]byte(`{"netsnap_redact_map": 1, "key": "00"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := ReadMap(bytes.NewReader(in))
		if err != nil {
			return
		}
		var a, b bytes.Buffer
		if err := m.WriteMap(&a); err != nil {
			t.Fatal(err)
		}
		back, err := ReadMap(bytes.NewReader(a.Bytes()))
		if err != nil {
			t.Fatalf("a map written by WriteMap does not read: %v\n%s", err, a.Bytes())
		}
		back.WriteMap(&b)
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Fatalf("map changed on a round trip:\n%s\n%s", a.Bytes(), b.Bytes())
		}
	})
}
