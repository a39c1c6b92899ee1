package nginxconf

import (
	"github.com/netsnap/netsnap/internal/golden"
	"github.com/netsnap/netsnap/internal/rootfs"

	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// dump prints a tree one directive per line, indented by depth:
// "file:line name args", with " {" for a block, and " -> [files]" after an
// include. Files are relative to dir.
func dump(tree []*Directive, dir string) string {
	rel := func(f string) string { return strings.TrimPrefix(f, dir+"/") }
	var b strings.Builder
	Walk(tree, func(d *Directive, parents []*Directive) bool {
		fmt.Fprintf(&b, "%s%s:%d %s", strings.Repeat("  ", len(parents)), rel(d.File), d.Line, d)
		if d.Block != nil {
			b.WriteString(" {")
		}
		if d.Include != nil {
			var names []string
			for _, f := range d.Include {
				names = append(names, rel(f))
			}
			fmt.Fprintf(&b, " -> %v", names)
		}
		b.WriteByte('\n')
		return true
	})
	return b.String()
}

// problems prints a list of problems with file names relative to dir.
func problems(l ErrorList, dir string) []string {
	var out []string
	for _, e := range l {
		out = append(out, strings.TrimPrefix(e.Error(), dir+"/"))
	}
	return out
}

func TestParse(t *testing.T) {
	tests := []struct {
		name     string
		fs       mapFS // main file is mainConf
		opt      Options
		want     string   // dump of the tree
		problems []string // file:line: message, relative to /etc/nginx
	}{
		{
			name: "directives and blocks",
			fs: mapFS{mainConf: `user nginx;
events { worker_connections 1024; }
http {
    server {
        listen 80 default_server;
        location / { }
    }
}
`},
			want: `
nginx.conf:1 user nginx
nginx.conf:2 events {
  nginx.conf:2 worker_connections 1024
nginx.conf:3 http {
  nginx.conf:4 server {
    nginx.conf:5 listen 80 default_server
    nginx.conf:6 location / {
`,
		},
		{
			name: "quoted strings and escapes take nginx's values",
			fs: mapFS{mainConf: `add_header X-A "a \"b\" c";
return 200 'it\'s\n';
log_format j '{"a":"$b"}';
rewrite ^/a\ b /c;
"server_name" 'x' "" ;
`},
			want: `
nginx.conf:1 add_header X-A "a \"b\" c"
nginx.conf:2 return 200 "it's\n"
nginx.conf:3 log_format j "{\"a\":\"$b\"}"
nginx.conf:4 rewrite "^/a\\ b" /c
nginx.conf:5 server_name x ""
`,
		},
		{
			name: "variables are kept as written",
			fs: mapFS{mainConf: `set $x "${host}a";
proxy_pass http://$up${uri}x;
set $y $x$1;
`},
			want: `
nginx.conf:1 set $x ${host}a
nginx.conf:2 proxy_pass http://$up${uri}x
nginx.conf:3 set $y $x$1
`,
		},
		{
			name: "comments are dropped",
			fs: mapFS{mainConf: `# top
events { # after brace
    worker_connections # between args
        1024; # after
}
`},
			want: `
nginx.conf:2 events {
  nginx.conf:3 worker_connections 1024
`,
		},
		{
			name: "comments kept with Options.Comments, as crossplane places them",
			opt:  Options{Comments: true},
			fs: mapFS{mainConf: `# top
events { # after brace
    worker_connections # between args
        1024; # after
}
`},
			want: `
nginx.conf:1 # top
nginx.conf:2 events {
  nginx.conf:2 # after brace
  nginx.conf:3 worker_connections 1024
  nginx.conf:3 # between args
  nginx.conf:4 # after
`,
		},
		{
			name: "includes are spliced after the include directive, globs sorted, each time they are included",
			fs: mapFS{
				mainConf: `http {
    include mime.types;
    include conf.d/*.conf;
}
`,
				"/etc/nginx/mime.types":            "types { text/html html; }\n",
				"/etc/nginx/conf.d/b.conf":         "server {\n    listen 81;\n    include snippets/proxy.conf;\n}\n",
				"/etc/nginx/conf.d/a.conf":         "server {\n    listen 80;\n    include /etc/nginx/snippets/proxy.conf;\n}\n",
				"/etc/nginx/conf.d/.hidden.conf":   "not; included;",
				"/etc/nginx/snippets/proxy.conf":   "proxy_http_version 1.1;\nproxy_set_header Connection \"\";\n",
				"/etc/nginx/conf.d/sub/deep.conf":  "not; included;",
				"/etc/nginx/conf.d/readme.txt":     "not included",
				"/etc/nginx/conf.d/empty.conf":     "# nothing\n",
				"/etc/nginx/sites-enabled/x.conf":  "not; included;",
				"/etc/nginx/snippets/unused.conf":  "not; included;",
				"/etc/nginx/conf.d/c.conf.disable": "not; included;",
			},
			want: `
nginx.conf:1 http {
  nginx.conf:2 include mime.types -> [mime.types]
  mime.types:1 types {
    mime.types:1 text/html html
  nginx.conf:3 include conf.d/*.conf -> [conf.d/a.conf conf.d/b.conf conf.d/empty.conf]
  conf.d/a.conf:1 server {
    conf.d/a.conf:2 listen 80
    conf.d/a.conf:3 include /etc/nginx/snippets/proxy.conf -> [snippets/proxy.conf]
    snippets/proxy.conf:1 proxy_http_version 1.1
    snippets/proxy.conf:2 proxy_set_header Connection ""
  conf.d/b.conf:1 server {
    conf.d/b.conf:2 listen 81
    conf.d/b.conf:3 include snippets/proxy.conf -> [snippets/proxy.conf]
    snippets/proxy.conf:1 proxy_http_version 1.1
    snippets/proxy.conf:2 proxy_set_header Connection ""
`,
		},
		{
			name: "missing includes and loops are problems at the include, not crashes",
			fs: mapFS{
				mainConf: `http {
    include missing.conf;
    include none/*.conf;
    include a.conf;
    include self.conf;
}
`,
				"/etc/nginx/a.conf":    "a 1;\ninclude b.conf;\n",
				"/etc/nginx/b.conf":    "b 1;\ninclude a.conf;\n",
				"/etc/nginx/self.conf": "\n\ninclude self.conf;",
			},
			want: `
nginx.conf:1 http {
  nginx.conf:2 include missing.conf
  nginx.conf:3 include none/*.conf
  nginx.conf:4 include a.conf -> [a.conf]
  a.conf:1 a 1
  a.conf:2 include b.conf -> [b.conf]
  b.conf:1 b 1
  b.conf:2 include a.conf
  nginx.conf:5 include self.conf -> [self.conf]
  self.conf:3 include self.conf
`,
			problems: []string{
				`nginx.conf:2: open "/etc/nginx/missing.conf" failed (file does not exist)`,
				`b.conf:2: include loop: "/etc/nginx/a.conf" is already being read`,
				`self.conf:3: include loop: "/etc/nginx/self.conf" is already being read`,
			},
		},
		{
			name: "if conditions lose their parentheses, as in crossplane",
			fs: mapFS{mainConf: `location / {
    if ($request_method = POST) { return 405; }
    if ( $slow ) { limit_rate 10k; }
    if (-f $request_filename) { break; }
    if ($http_user_agent ~* "(MSIE|Trident)") { return 403; }
    if ($a ~ "^(x) y$" ) { }
    if ($a = "") { }
}
`},
			want: `
nginx.conf:1 location / {
  nginx.conf:2 if $request_method = POST {
    nginx.conf:2 return 405
  nginx.conf:3 if $slow {
    nginx.conf:3 limit_rate 10k
  nginx.conf:4 if -f $request_filename {
    nginx.conf:4 break
  nginx.conf:5 if $http_user_agent ~* (MSIE|Trident) {
    nginx.conf:5 return 403
  nginx.conf:6 if $a ~ "^(x) y$" {
  nginx.conf:7 if $a = "" {
`,
		},
		{
			name: "malformed if conditions are problems, kept as written",
			fs: mapFS{mainConf: `if $slow { }
if ($slow { }
if () { }
if ( ) { }
if { }
`},
			want: `
nginx.conf:1 if $slow {
nginx.conf:2 if ($slow {
nginx.conf:3 if {
nginx.conf:4 if {
nginx.conf:5 if {
`,
			problems: []string{
				`nginx.conf:1: invalid condition "$slow"`,
				`nginx.conf:2: invalid condition "($slow"`,
				`nginx.conf:3: invalid condition "()"`,
				`nginx.conf:4: invalid condition "( )"`,
				`nginx.conf:5: invalid number of arguments in "if" directive`,
			},
		},
		{
			name: "map, geo, types, split_clients, match and charset_map hold key/value pairs",
			fs: mapFS{
				mainConf: `http {
    map $http_upgrade $connection_upgrade {
        default upgrade;
        '' close;
        hostnames;
        include map.d/*.map;
    }
    geo $remote_addr $geo { ranges; default 0; 10.0.0.0-10.255.255.255 1; }
    types { application/json json; text/html html htm; }
    split_clients "${remote_addr}AAA" $variant { 0.5% .one; * ""; }
    match ok { status 200-399; header Content-Type ~ text/html; }
    charset_map koi8-r utf-8 { C0 D18E; }
    map $a $b { if 1; server 2; }
}
`,
				"/etc/nginx/map.d/x.map": "*.example.com 1;\n",
			},
			want: `
nginx.conf:1 http {
  nginx.conf:2 map $http_upgrade $connection_upgrade {
    nginx.conf:3 default upgrade
    nginx.conf:4 "" close
    nginx.conf:5 hostnames
    nginx.conf:6 include map.d/*.map -> [map.d/x.map]
    map.d/x.map:1 *.example.com 1
  nginx.conf:8 geo $remote_addr $geo {
    nginx.conf:8 ranges
    nginx.conf:8 default 0
    nginx.conf:8 10.0.0.0-10.255.255.255 1
  nginx.conf:9 types {
    nginx.conf:9 application/json json
    nginx.conf:9 text/html html htm
  nginx.conf:10 split_clients ${remote_addr}AAA $variant {
    nginx.conf:10 0.5% .one
    nginx.conf:10 * ""
  nginx.conf:11 match ok {
    nginx.conf:11 status 200-399
    nginx.conf:11 header Content-Type ~ text/html
  nginx.conf:12 charset_map koi8-r utf-8 {
    nginx.conf:12 C0 D18E
  nginx.conf:13 map $a $b {
    nginx.conf:13 if 1
    nginx.conf:13 server 2
`,
		},
		{
			name: "a block inside a map-like block is nginx's error",
			fs:   mapFS{mainConf: "map $a $b {\n    default 0;\n    lost {\n        return 500;\n    }\n}\n"},
			want: `
nginx.conf:1 map $a $b {
  nginx.conf:2 default 0
  nginx.conf:3 lost {
    nginx.conf:4 return 500
`,
			problems: []string{`nginx.conf:3: unexpected "{"`},
		},
		{
			name: "Lua blocks are one raw argument",
			fs: mapFS{mainConf: `http {
    init_by_lua_block {
        require "resty.core"
    }
    server {
        location / {
            set_by_lua_block $x { return "}" }
            content_by_lua_block {
                local t = { a = "{" } -- } not nginx
                ngx.say([[ } ]]); ngx.exit(200)
            }
            access_by_lua_block{ngx.exit(403)}
        }
    }
}
`},
			want: `
nginx.conf:1 http {
  nginx.conf:2 init_by_lua_block "\n        require \"resty.core\"\n    "
  nginx.conf:5 server {
    nginx.conf:6 location / {
      nginx.conf:7 set_by_lua_block $x " return \"}\" "
      nginx.conf:8 content_by_lua_block "\n                local t = { a = \"{\" } -- } not nginx\n                ngx.say([[ } ]]); ngx.exit(200)\n            "
      nginx.conf:12 access_by_lua_block ngx.exit(403)
`,
		},
		{
			name: "Tengine and third-party directives are kept, never an error",
			fs: mapFS{mainConf: `upstream backend {
    dynamic_resolve fallback=stale fail_timeout=30s;
    session_sticky cookie=route mode=insert fallback=on;
    server app1:8080 max_fails=3;
    check interval=3000 rise=2 fall=5 timeout=1000 type=http;
    check_http_send "HEAD / HTTP/1.0\r\n\r\n";
    check_keepalive_requests 100;
    check_http_expect_alive http_2xx http_3xx;
}
server {
    more_set_headers "Server: x";
    vhost_traffic_status_display;
    some_module_block arg { nested_thing on; }
}
`},
			want: `
nginx.conf:1 upstream backend {
  nginx.conf:2 dynamic_resolve fallback=stale fail_timeout=30s
  nginx.conf:3 session_sticky cookie=route mode=insert fallback=on
  nginx.conf:4 server app1:8080 max_fails=3
  nginx.conf:5 check interval=3000 rise=2 fall=5 timeout=1000 type=http
  nginx.conf:6 check_http_send "HEAD / HTTP/1.0\r\n\r\n"
  nginx.conf:7 check_keepalive_requests 100
  nginx.conf:8 check_http_expect_alive http_2xx http_3xx
nginx.conf:10 server {
  nginx.conf:11 more_set_headers "Server: x"
  nginx.conf:12 vhost_traffic_status_display
  nginx.conf:13 some_module_block arg {
    nginx.conf:13 nested_thing on
`,
		},
		{
			name: "stray closing brace",
			fs:   mapFS{mainConf: "events {\n}\n}\nhttp { }\n"},
			want: `
nginx.conf:1 events {
nginx.conf:4 http {
`,
			problems: []string{`nginx.conf:3: unexpected "}"`},
		},
		{
			name: "unclosed block: kept, closed at the end of the file",
			fs:   mapFS{mainConf: "http {\n    server {\n        listen 80;\n\n"},
			want: `
nginx.conf:1 http {
  nginx.conf:2 server {
    nginx.conf:3 listen 80
`,
			problems: []string{`nginx.conf:3: unexpected end of file, expecting "}"`},
		},
		{
			name: "directive not terminated by ';' is dropped, at its line",
			fs: mapFS{mainConf: `http {
    server {
        location /a {
            proxy_pass http://a
        }
        location /b { proxy_pass http://b; }
    }
}
`},
			want: `
nginx.conf:1 http {
  nginx.conf:2 server {
    nginx.conf:3 location /a {
    nginx.conf:6 location /b {
      nginx.conf:6 proxy_pass http://b
`,
			problems: []string{`nginx.conf:4: directive "proxy_pass" is not terminated by ";"`},
		},
		{
			name: "directive cut by the end of the file",
			fs:   mapFS{mainConf: "user nginx;\nworker_processes"},
			want: `
nginx.conf:1 user nginx
`,
			problems: []string{`nginx.conf:2: unexpected end of file, expecting ";" or "}"`},
		},
		{
			name: "stray ';' and '{', empty name",
			fs:   mapFS{mainConf: "; \n{ a 1; }\n\"\" x;\nb 2;"},
			want: `
nginx.conf:4 b 2
`,
			problems: []string{
				`nginx.conf:1: unexpected ";"`,
				`nginx.conf:2: unexpected "{"`,
				`nginx.conf:3: unknown directive ""`,
			},
		},
		{
			name: "problems of included files come in file order",
			fs: mapFS{
				mainConf:            "include a.conf;\n}\n",
				"/etc/nginx/a.conf": "x {\n",
			},
			want: `
nginx.conf:1 include a.conf -> [a.conf]
a.conf:1 x {
`,
			problems: []string{
				`nginx.conf:2: unexpected "}"`,
				`a.conf:1: unexpected end of file, expecting "}"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.opt.Parse(tt.fs, mainConf, "", Limits{})
			got := dump(p.Tree, "/etc/nginx")
			if want := strings.TrimPrefix(tt.want, "\n"); got != want {
				t.Errorf("tree:\n%s\nwant:\n%s\n(-want +got):\n%s", got, want,
					lineDiff(strings.Split(want, "\n"), strings.Split(got, "\n")))
			}
			if gotP := problems(p.Problems, "/etc/nginx"); !slices.Equal(gotP, tt.problems) {
				t.Errorf("Problems = %q;\n want %q", gotP, tt.problems)
			}
			if p.Main != mainConf || len(p.Files) == 0 || p.Files[0] != mainConf {
				t.Errorf("Main = %q, Files = %q; want main first", p.Main, p.Files)
			}
		})
	}
}

func TestParseFilesAndMain(t *testing.T) {
	fsys := mapFS{
		"/usr/local/nginx/conf/nginx.conf":    "include conf.d/*.conf;\ninclude mime.types;",
		"/usr/local/nginx/conf/conf.d/a.conf": "include mime.types;",
		"/usr/local/nginx/conf/mime.types":    "types {}",
	}
	// A relative conf is relative to the prefix, includes to the conf's directory.
	p := Parse(fsys, "conf/nginx.conf", "/usr/local/nginx", Limits{})
	want := []string{"/usr/local/nginx/conf/nginx.conf", "/usr/local/nginx/conf/conf.d/a.conf", "/usr/local/nginx/conf/mime.types"}
	if p.Main != want[0] || !slices.Equal(p.Files, want) || len(p.Problems) != 0 {
		t.Errorf("Main %q, Files %q, Problems %v; want %q, %q, none", p.Main, p.Files, p.Problems, want[0], want)
	}
	if n := len(Find(p.Tree, "types")); n != 2 {
		t.Errorf("types blocks = %d; want 2 (mime.types is spliced each time it is included)", n)
	}

	p = Parse(fsys, "/etc/nginx/nginx.conf", "", Limits{})
	if p.Main != mainConf || p.Tree != nil || len(p.Files) != 0 || len(p.Problems) != 1 {
		t.Errorf("missing main: Main %q, Tree %v, Files %q, Problems %v", p.Main, p.Tree, p.Files, p.Problems)
	}
}

func TestParseLimits(t *testing.T) {
	// Each file includes the next ten times: 10^6 copies of the last one.
	fsys := mapFS{mainConf: strings.Repeat("include 1.conf;\n", 10)}
	for i := 1; i < 6; i++ {
		fsys[fmt.Sprintf("/etc/nginx/%d.conf", i)] = strings.Repeat(fmt.Sprintf("include %d.conf;\n", i+1), 10)
	}
	fsys["/etc/nginx/6.conf"] = "x;"
	p := Parse(fsys, mainConf, "", Limits{MaxDirectives: 5000})
	n := 0
	Walk(p.Tree, func(*Directive, []*Directive) bool { n++; return true })
	if n > 5000 {
		t.Errorf("tree has %d directives; want at most 5000", n)
	}
	if len(p.Problems) != 1 || p.Problems[0].Msg != "limit of 5000 directives reached" {
		t.Errorf("Problems = %v; want the limit, once", p.Problems)
	}

	// Per-file trees count too.
	p = Parse(mapFS{mainConf: strings.Repeat("a;", 100)}, mainConf, "", Limits{MaxDirectives: 10})
	if len(p.Tree) != 10 || len(p.Problems) != 1 {
		t.Errorf("%d directives, problems %v; want 10 and one problem", len(p.Tree), p.Problems)
	}

	deep := strings.Repeat("a {\n", 150) + "b;" + strings.Repeat("}", 150) + "\nc;"
	p = Parse(mapFS{mainConf: deep}, mainConf, "", Limits{})
	depth := 0
	Walk(p.Tree, func(_ *Directive, parents []*Directive) bool { depth = max(depth, len(parents)); return true })
	wantP := []string{"nginx.conf:101: blocks nested more than 100 deep"}
	if got := problems(p.Problems, "/etc/nginx"); depth != maxNesting-1 || !slices.Equal(got, wantP) || p.Tree[len(p.Tree)-1].Name != "c" {
		t.Errorf("depth %d, problems %q, last %v; want %d, %q, c", depth, got, p.Tree[len(p.Tree)-1], maxNesting-1, wantP)
	}
}

func TestWalkAndFind(t *testing.T) {
	fsys := mapFS{
		mainConf: `http {
    upstream u { server 10.0.0.1:80; server 10.0.0.2:80 backup; keepalive 16; }
    map $a $b { server 1; }
    include servers.conf;
}
`,
		"/etc/nginx/servers.conf": `server { listen 80; location / { proxy_pass http://u; } }
server { listen 81; location /x { proxy_pass http://u; } location /y { return 204; } }
`,
	}
	p := Parse(fsys, mainConf, "", Limits{})
	if len(p.Problems) > 0 {
		t.Fatal(p.Problems)
	}
	var got []string
	Walk(p.Tree, func(d *Directive, parents []*Directive) bool {
		if d.Name == "proxy_pass" {
			var path []string
			for _, a := range parents {
				path = append(path, a.Name+" "+a.Arg(0))
			}
			got = append(got, strings.Join(path, " > ")+" > "+d.String()+" @"+filepath.Base(d.Pos()))
		}
		return true
	})
	want := []string{
		"http  > server  > location / > proxy_pass http://u @servers.conf:1",
		"http  > server  > location /x > proxy_pass http://u @servers.conf:2",
	}
	if !slices.Equal(got, want) {
		t.Errorf("proxy_pass with parents = %q;\n want %q", got, want)
	}

	http := p.Tree[0]
	if servers := http.Children("server"); len(servers) != 2 || servers[1].Child("listen").Arg(0) != "81" {
		t.Errorf("http.Children(server) = %v", servers)
	}
	u := http.Child("upstream")
	if u == nil || u.Arg(0) != "u" || u.Arg(1) != "" || u.Arg(-1) != "" || len(u.Children("server")) != 2 || u.Child("keepalive").Arg(0) != "16" {
		t.Errorf("upstream = %+v", u)
	}
	if http.Child("nope") != nil || http.Children("nope") != nil || !http.IsBlock() || u.Child("keepalive").IsBlock() {
		t.Error("Child/Children/IsBlock of missing or simple directives")
	}
	if m := http.Child("map"); !m.HoldsPairs() || http.HoldsPairs() {
		t.Error("HoldsPairs")
	}
	// Find leaves out map pairs: the map's "server" key is not a server.
	if n := len(Find(p.Tree, "server")); n != 4 {
		t.Errorf("Find(server) = %d directives; want 4 (2 upstream servers, 2 server blocks)", n)
	}
	// Returning false skips a block's children.
	n := 0
	Walk(p.Tree, func(d *Directive, _ []*Directive) bool { n++; return d.Name != "http" })
	if n != 1 {
		t.Errorf("Walk visited %d directives; want 1", n)
	}
}

// TestParseGolden parses fixture hosts under testdata/parse/ (trees laid out
// like "/") and compares the tree with a golden dump.
func TestParseGolden(t *testing.T) {
	for _, host := range []struct{ name, prefix string }{
		{"tengine", "/usr/local/nginx"},
		{"openresty", "/usr/local/openresty/nginx"},
	} {
		t.Run(host.name, func(t *testing.T) {
			root := filepath.Join("testdata", "parse", host.name)
			p := Parse(rootfs.Root{Dir: root}, "conf/nginx.conf", host.prefix, Limits{})
			var b strings.Builder
			for _, f := range p.Files {
				fmt.Fprintf(&b, "file %s\n", f)
			}
			for _, e := range p.Problems {
				fmt.Fprintf(&b, "problem %s\n", e)
			}
			b.WriteString(dump(p.Tree, host.prefix+"/conf"))
			golden.CheckFile(t, "parse/"+host.name+".golden", []byte(b.String()))
		})
	}
}

// invalidConfigs are the corpus configurations that are invalid nginx, by
// path after "configs/" (both crossplane corpora share them, see
// brokenOnPurpose), with the problems Parse must report, file names relative
// to the configuration's directory. Each is parsed on its own, and includes
// that do not exist are left out: a fragment's includes are relative to a
// prefix it does not know.
var invalidConfigs = map[string][]string{
	"missing-semicolon/broken-above.conf":                  {`broken-above.conf:4: directive "proxy_pass" is not terminated by ";"`},
	"missing-semicolon/broken-below.conf":                  {`broken-below.conf:7: directive "proxy_pass" is not terminated by ";"`},
	"missing-semicolon-above/nginx.conf":                   {`nginx.conf:4: directive "proxy_pass" is not terminated by ";"`},
	"missing-semicolon-below/nginx.conf":                   {`nginx.conf:7: directive "proxy_pass" is not terminated by ";"`},
	"braces/extra-brace.conf":                              {`extra-brace.conf:11: unexpected "}"`},
	"braces/missing-brace.conf":                            {`missing-brace.conf:22: unexpected end of file, expecting "}"`},
	"premature-eof/nginx.conf":                             {`nginx.conf:3: unexpected end of file, expecting ";" or "}"`},
	"includes-regular/conf.d/bar.conf":                     {`bar.conf:2: unexpected end of file, expecting ";" or "}"`},
	"includes-regular/conf.d/foo.conf":                     {`foo.conf:2: unexpected end of file, expecting ";" or "}"`},
	"includes-globbed/servers/locations/not-included.conf": {`not-included.conf:2: unexpected end of file, expecting ";" or "}"`},
	// Parsed on their own, these include the broken files above.
	"includes-regular/conf.d/server.conf": {
		`foo.conf:2: unexpected end of file, expecting ";" or "}"`,
		`bar.conf:2: unexpected end of file, expecting ";" or "}"`,
	},
	"includes-globbed/servers/server1.conf": {`locations/not-included.conf:2: unexpected end of file, expecting ";" or "}"`},
	"includes-globbed/servers/server2.conf": {`locations/not-included.conf:2: unexpected end of file, expecting ";" or "}"`},
	// nginx wants a space after a closing quote, and a name.
	"quote-behavior/nginx.conf": {
		`nginx.conf:1: unexpected "-"`,
		`nginx.conf:2: unexpected "l"`,
		`nginx.conf:2: unknown directive ""`,
	},
	"invalid-map/nginx.conf":                {`nginx.conf:7: unexpected "{"`},
	"if-check/nginx.conf":                   {`nginx.conf:29: invalid condition "()"`},
	"if-expr/empty-parens.conf":             {`empty-parens.conf:9: invalid condition "()"`},
	"if-expr/empty-spaced-parens.conf":      {`empty-spaced-parens.conf:9: invalid condition "( )"`},
	"if-expr/missing-closing-paren.conf":    {`missing-closing-paren.conf:9: invalid condition "($slow"`},
	"if-expr/missing-opening-paren.conf":    {`missing-opening-paren.conf:9: invalid condition "$slow)"`},
	"if-expr/no-parens.conf":                {`no-parens.conf:9: invalid condition "$slow"`},
	"includes-cycle/invalid/nginx.conf":     {`location2.conf:2: include loop: "location1.conf" is already being read`},
	"includes-cycle/invalid/location1.conf": {`location2.conf:2: include loop: "location1.conf" is already being read`},
	"includes-cycle/invalid/location2.conf": {`location1.conf:2: include loop: "location2.conf" is already being read`},
}

// TestParseCorpus parses every configuration file of the corpus on its own:
// none may have a problem but those of invalidConfigs.
func TestParseCorpus(t *testing.T) {
	root := corpus(t)
	fsys := rootfs.Root{Dir: root}
	n := 0
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isConfigFile(p) {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		n++
		conf := "/" + rel
		parsed := Parse(fsys, conf, "", Limits{})
		checkTree(t, parsed)
		dir := path.Dir(conf)
		var got []string
		for _, e := range parsed.Problems {
			if errors.Is(e, fs.ErrNotExist) {
				continue
			}
			got = append(got, strings.ReplaceAll(e.Error(), dir+"/", ""))
		}
		key := rel
		if i := strings.LastIndex(key, "configs/"); i >= 0 {
			key = strings.TrimPrefix(key[i+len("configs/"):], "testdata/")
		}
		want := invalidConfigs[key]
		if want != nil {
			seen[key] = true
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: problems %q;\n want %q", rel, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for key := range invalidConfigs {
		if !seen[key] {
			t.Errorf("invalidConfigs: %s is not in the corpus", key)
		}
	}
	t.Logf("parsed %d corpus files", n)
}

// checkTree checks what must hold for any parse: every directive has a file
// read and a line, a name unless it is a pair of a map-like block, and every
// include lists files read.
func checkTree(t testing.TB, p *Parsed) {
	t.Helper()
	read := map[string]bool{}
	for _, f := range p.Files {
		read[f] = true
	}
	Walk(p.Tree, func(d *Directive, parents []*Directive) bool {
		inPairs := len(parents) > 0 && parents[len(parents)-1].HoldsPairs()
		if (d.Name == "" && !inPairs) || d.Line < 1 || !read[d.File] {
			t.Fatalf("%s: bad directive %q at %s:%d", p.Main, d.Name, d.File, d.Line)
		}
		for _, f := range d.Include {
			if !read[f] {
				t.Fatalf("%s: include at %s includes %s, not read", p.Main, d.Pos(), f)
			}
		}
		return true
	})
	for _, e := range p.Problems {
		if e.File == "" || (e.Line < 1 && e.File != p.Main) {
			t.Fatalf("%s: problem without a position: %v", p.Main, e)
		}
	}
}

// TestParseCorpusTrees parses whole configuration trees of the corpus, laid
// out where they are installed: every include resolves and nothing is wrong.
func TestParseCorpusTrees(t *testing.T) {
	root := corpus(t)
	tests := []struct {
		name    string
		dir     string // corpus directory shown at mount
		mount   string // "" shows the corpus at "/"
		conf    string
		files   int    // files read
		servers int    // server blocks
		find    string // a directive name found in the tree, with its count
		count   int
	}{
		{"debian", "debian-nginx/debian/conf", "/etc/nginx", "/etc/nginx/nginx.conf", 2, 0, "types", 1},
		{"ubuntu", "nginx-go-crossplane/testdata/configs/ubuntu-default", "/etc/nginx", "/etc/nginx/nginx.conf", 5, 1, "load_module", 2},
		{"h5bp", "h5bp-server-configs-nginx", "/etc/nginx", "/etc/nginx/nginx.conf", 8, 1, "map", 10},
		{"tengine", "tengine/conf", "/usr/local/nginx/conf", "/usr/local/nginx/conf/tengine.conf", 2, 1, "types", 1},
		{"cycle-valid", "nginx-go-crossplane/testdata/configs/includes-cycle/valid", "/etc/nginx", "/etc/nginx/nginx.conf", 3, 2, "location", 3},
		{"includes-globbed", "crossplane/configs/includes-globbed", "/etc/nginx", "/etc/nginx/nginx.conf", 6, 2, "location", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := mountFS{at: tt.mount, inner: rootfs.Root{Dir: filepath.Join(root, tt.dir)}}
			p := Parse(fsys, tt.conf, "", Limits{})
			checkTree(t, p)
			if len(p.Problems) > 0 {
				t.Errorf("problems: %v", p.Problems)
			}
			if len(p.Files) != tt.files {
				t.Errorf("%d files read; want %d: %q", len(p.Files), tt.files, p.Files)
			}
			if len(serverBlocks(p.Tree)) != tt.servers {
				t.Errorf("%d server blocks; want %d", len(serverBlocks(p.Tree)), tt.servers)
			}
			if n := len(Find(p.Tree, tt.find)); n != tt.count {
				t.Errorf("%d %s directives; want %d", n, tt.find, tt.count)
			}
		})
	}
}

// serverBlocks returns the server blocks of tree (not upstream servers).
func serverBlocks(tree []*Directive) []*Directive {
	var out []*Directive
	for _, d := range Find(tree, "server") {
		if d.IsBlock() {
			out = append(out, d)
		}
	}
	return out
}
