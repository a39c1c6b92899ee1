package redact

import (
	"strings"
	"testing"

	"github.com/netsnap/netsnap/internal/nginxconf"
)

const testConf = `# upstream app at 10.0.0.20, see https://wiki.corp.example.com/app
upstream app {
    server app1:8080;
    server 10.0.0.21:8080 max_fails=3;
    server [2001:db8::21]:8080 backup;
    server unix:/run/app.sock;
    keepalive 16;
}
upstream Backend { server backend.corp.example.com; }
server {
    listen 10.0.0.10:80 default_server backlog=511;
    listen [::]:80;
    listen 8080;
    server_name proxy.corp.example.com *.corp.example.com _ "~^(www\.)?x\.com$";
    resolver 10.0.0.2 ns1.corp.example.com valid=30s;
    set_real_ip_from 10.0.0.0/8;
    location / {
        proxy_pass http://app;
        proxy_set_header Host api.corp.example.com;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_bind 10.0.0.10;
    }
    location /b { proxy_pass http://Backend/b/; }
    location /c { fastcgi_pass 127.0.0.1:9000; }
    location /d { proxy_pass https://10.0.0.30:8443; }
    location /e { proxy_pass http://$backend; }
    location /lua {
        content_by_lua_block {
            local t = { "10.0.0.40" } -- }
            ngx.say("}")
        }
    }
}
`

func TestNginxConf(t *testing.T) {
	m := NewMapKey(testKey)
	r := newRewriter(m, newNameIndex([]string{"wiki.corp.example.com"}))
	out := string(r.nginxConf(nil, []byte(testConf)))
	for _, want := range []string{
		"upstream " + m.Name("app") + " {",
		"server " + m.Name("app1") + ":8080;",
		"server " + pa(m, "10.0.0.21") + ":8080 max_fails=3;",
		"server [" + pa(m, "2001:db8::21") + "]:8080 backup;",
		"server unix:/run/app.sock;",
		"upstream " + m.Name("Backend") + " { server " + m.Name("backend.corp.example.com") + "; }",
		"listen " + pa(m, "10.0.0.10") + ":80 default_server backlog=511;",
		"listen [::]:80;",
		"listen 8080;",
		"server_name " + m.Name("proxy.corp.example.com") + " *." + m.Name("corp.example.com") + " _ \"~^" + m.Name("~^(www\\.)?x\\.com$")[2:],
		"resolver " + pa(m, "10.0.0.2") + " " + m.Name("ns1.corp.example.com") + " valid=30s;",
		"set_real_ip_from 10.",
		"proxy_pass http://" + m.Name("app") + ";",
		"proxy_set_header Host " + m.Name("api.corp.example.com") + ";",
		"proxy_set_header X-Real-IP $remote_addr;",
		"proxy_bind " + pa(m, "10.0.0.10") + ";",
		"proxy_pass http://" + m.Name("Backend") + "/b/;",
		"fastcgi_pass 127.0.0.1:9000;",
		"proxy_pass https://" + pa(m, "10.0.0.30") + ":8443;",
		"proxy_pass http://$backend;",
		`local t = { "` + pa(m, "10.0.0.40") + `" } -- }`,
		"# upstream app at " + pa(m, "10.0.0.20") + ", see https://" + m.Name("wiki.corp.example.com") + "/app",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the redacted configuration lacks %q:\n%s", want, out)
		}
	}
	for _, gone := range []string{"10.0.0.2", "corp.example.com", "app1", "backend.corp"} {
		if strings.Contains(out, gone) {
			t.Errorf("%q survived:\n%s", gone, out)
		}
	}
	// The same configuration, token for token: only words changed.
	before, errA := nginxconf.Lex([]byte(testConf), "a")
	after, errB := nginxconf.Lex([]byte(out), "a")
	if (errA == nil) != (errB == nil) || len(before) != len(after) {
		t.Fatalf("tokens: %d (%v) before, %d (%v) after", len(before), errA, len(after), errB)
	}
	for i := range before {
		if before[i].Kind != after[i].Kind || before[i].Line != after[i].Line {
			t.Errorf("token %d: %v line %d, then %v line %d", i, before[i].Kind, before[i].Line, after[i].Kind, after[i].Line)
		}
	}
}

func TestNginxLog(t *testing.T) {
	m := NewMapKey(testKey)
	r := newRewriter(m, nil)
	for _, tc := range []struct{ in, want string }{
		{`2026/11/20 10:00:02 [error] 4243#4243: *102 no live upstreams while connecting to upstream, client: 10.0.0.100, server: _, request: "GET / HTTP/1.1", upstream: "http://app/", host: "proxy"`,
			`2026/11/20 10:00:02 [error] 4243#4243: *102 no live upstreams while connecting to upstream, client: ` + pa(m, "10.0.0.100") + `, server: _, request: "GET / HTTP/1.1", upstream: "http://` + m.Name("app") + `/", host: "` + m.Name("proxy") + `"`},
		{`2026/11/20 10:00:01 [error] 1#1: *1 connect() failed (111: Connection refused), client: 1.2.3.4, server: api.x.com, request: "GET / HTTP/1.1", upstream: "http://10.0.0.21:8080/", host: "api.x.com:8443", referrer: "https://www.x.com/p"`,
			`2026/11/20 10:00:01 [error] 1#1: *1 connect() failed (111: Connection refused), client: ` + pa(m, "1.2.3.4") + `, server: ` + m.Name("api.x.com") + `, request: "GET / HTTP/1.1", upstream: "http://` + pa(m, "10.0.0.21") + `:8080/", host: "` + m.Name("api.x.com") + `:8443", referrer: "https://` + m.Name("www.x.com") + `/p"`},
		{`2026/11/20 10:00:01 [error] 1#1: *1 x, client: 10.0.0.1, server: , request: "GET / HTTP/1.1", host: "10.0.0.10"`,
			`2026/11/20 10:00:01 [error] 1#1: *1 x, client: ` + pa(m, "10.0.0.1") + `, server: , request: "GET / HTTP/1.1", host: "` + pa(m, "10.0.0.10") + `"`},
	} {
		if got := string(r.nginxLog(nil, []byte(tc.in))); got != tc.want {
			t.Errorf("nginxLog(%q) =\n  %q; want\n  %q", tc.in, got, tc.want)
		}
	}
}

func TestHostsAndResolv(t *testing.T) {
	m := NewMapKey(testKey)
	r := newRewriter(m, nil)
	hosts := "127.0.0.1\tlocalhost\n10.0.0.20\tapp1 app1.corp.example.com # the app\n::1 ip6-localhost ip6-loopback\nfe00::0 ip6-localnet\n"
	want := "127.0.0.1\tlocalhost\n" + pa(m, "10.0.0.20") + "\t" + m.Name("app1") + " " + m.Name("app1.corp.example.com") + " # the app\n::1 ip6-localhost ip6-loopback\nfe00::0 ip6-localnet\n"
	var got []byte
	for _, l := range strings.SplitAfter(hosts, "\n") {
		got = r.hostsFile(got, []byte(l))
	}
	if string(got) != want {
		t.Errorf("hosts:\n%s\nwant\n%s", got, want)
	}
	resolv := "search corp.example.com example.net\nnameserver 10.0.0.2\noptions ndots:2\n"
	want = "search " + m.Name("corp.example.com") + " " + m.Name("example.net") + "\nnameserver " + pa(m, "10.0.0.2") + "\noptions ndots:2\n"
	got = nil
	for _, l := range strings.SplitAfter(resolv, "\n") {
		got = r.resolvConf(got, []byte(l))
	}
	if string(got) != want {
		t.Errorf("resolv.conf:\n%s\nwant\n%s", got, want)
	}
}
