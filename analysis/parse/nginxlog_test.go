package parse

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/netsnap/netsnap/analysis/model"
)

// nginxAll parses a whole error log and returns its entries and problems.
func nginxAll(t *testing.T, log string, loc *time.Location) ([]model.NginxError, *Problems) {
	t.Helper()
	p := &Problems{File: "error.log"}
	var recs []model.NginxError
	err := NginxErrorLog(strings.NewReader(log), loc, p, func(e *model.NginxError) {
		recs = append(recs, *e)
	})
	if err != nil {
		t.Fatalf("NginxErrorLog error: %v", err)
	}
	return recs, p
}

// nginxOne parses a log that must hold exactly one entry and no problems.
func nginxOne(t *testing.T, log string) model.NginxError {
	t.Helper()
	recs, p := nginxAll(t, log, nil)
	if p.Count != 0 || len(recs) != 1 {
		t.Fatalf("%q: %d entries, problems:\n%s", log, len(recs), p)
	}
	return recs[0]
}

func TestNginxErrorLogFields(t *testing.T) {
	const ts = "2026/11/20 10:00:01 "
	for _, tt := range []struct {
		name, line string
		want       model.NginxError // Time and Line are checked apart
	}{
		{
			name: "all fields",
			line: ts + `[error] 2101#2101: *1002 upstream timed out (110: Connection timed out) while connecting to upstream, client: 192.0.2.11, server: shop.example.com, request: "POST /api/order HTTP/1.1", upstream: "http://10.0.0.21:8080/api/order", host: "shop.example.com", referrer: "https://shop.example.com/"`,
			want: model.NginxError{Level: "error", PID: 2101, TID: 2101, Conn: 1002,
				Message: "upstream timed out (110: Connection timed out) while connecting to upstream",
				Client:  "192.0.2.11", Server: "shop.example.com", Request: "POST /api/order HTTP/1.1",
				Upstream: "http://10.0.0.21:8080/api/order", Host: "shop.example.com",
				Kind: NginxUpstreamTimedOut, Errno: 110},
		},
		{
			name: "commas in message, request and referrer",
			line: ts + `[error] 7#7: *9 limiting requests, excess: 2.5 by zone "one", client: 192.0.2.1, server: a, request: "GET /q?x=1, 2 HTTP/1.1", host: "a", referrer: "http://a/?b, c: d"`,
			want: model.NginxError{Level: "error", PID: 7, TID: 7, Conn: 9,
				Message: `limiting requests, excess: 2.5 by zone "one"`,
				Client:  "192.0.2.1", Server: "a", Request: "GET /q?x=1, 2 HTTP/1.1", Host: "a"},
		},
		{
			name: "empty server, pid#0, fastcgi upstream",
			line: ts + `[error] 54053#0: *3 connect() to unix:/run/php.sock failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: , request: "GET /index.php HTTP/1.1", upstream: "fastcgi://unix:/run/php.sock:", host: "localhost:8080"`,
			want: model.NginxError{Level: "error", PID: 54053, TID: 0, Conn: 3,
				Message: "connect() to unix:/run/php.sock failed (111: Connection refused) while connecting to upstream",
				Client:  "127.0.0.1", Request: "GET /index.php HTTP/1.1", Upstream: "fastcgi://unix:/run/php.sock:",
				Host: "localhost:8080", Kind: NginxConnectionRefused, Errno: 111},
		},
		{
			name: "IPv6 client, subrequest",
			line: ts + `[warn] 1#1: *2 recv() failed (104: Connection reset by peer) while sending request to upstream, client: 2001:db8::1, server: s, request: "GET / HTTP/2.0", subrequest: "/auth", upstream: "http://[2001:db8::2]:80/auth", host: "s"`,
			want: model.NginxError{Level: "warn", PID: 1, TID: 1, Conn: 2,
				Message: "recv() failed (104: Connection reset by peer) while sending request to upstream",
				Client:  "2001:db8::1", Server: "s", Request: "GET / HTTP/2.0", Upstream: "http://[2001:db8::2]:80/auth",
				Host: "s", Kind: NginxConnectionReset, Errno: 104},
		},
		{
			name: "no connection, no fields",
			line: ts + `[alert] 2103#2103: 1024 worker_connections are not enough`,
			want: model.NginxError{Level: "alert", PID: 2103, TID: 2103,
				Message: "1024 worker_connections are not enough", Kind: NginxWorkerConnections},
		},
		{
			name: "client and server only",
			line: ts + `[info] 5#5: *4 client 10.0.0.1 closed keepalive connection, client: 10.0.0.1, server: 0.0.0.0:80`,
			want: model.NginxError{Level: "info", PID: 5, TID: 5, Conn: 4,
				Message: "client 10.0.0.1 closed keepalive connection", Client: "10.0.0.1", Server: "0.0.0.0:80"},
		},
		{
			name: "OpenResty timer context",
			line: ts + `[error] 16#16: *2 connect() failed (111: Connection refused), context: ngx.timer, client: 127.0.0.1, server: 0.0.0.0:9090`,
			want: model.NginxError{Level: "error", PID: 16, TID: 16, Conn: 2,
				Message: "connect() failed (111: Connection refused)", Client: "127.0.0.1", Server: "0.0.0.0:9090",
				Kind: NginxConnectionRefused, Errno: 111},
		},
		{
			name: "stream proxy byte counts",
			line: ts + `[error] 9#9: *1 upstream timed out (110: Connection timed out) while connecting to upstream, client: 10.1.0.9, server: 0.0.0.0:9092, upstream: "10.0.0.60:9092", bytes from/to client:0/0, bytes from/to upstream:0/0`,
			want: model.NginxError{Level: "error", PID: 9, TID: 9, Conn: 1,
				Message: "upstream timed out (110: Connection timed out) while connecting to upstream",
				Client:  "10.1.0.9", Server: "0.0.0.0:9092", Upstream: "10.0.0.60:9092",
				Kind: NginxUpstreamTimedOut, Errno: 110},
		},
		{
			name: "fields out of order stay in the message",
			line: ts + `[error] 3#3: *1 user "t": password mismatch, client: 10.0.0.5, host: "x"": not found, client: 192.0.2.2, server: , request: "GET / HTTP/1.1", host: "h"`,
			want: model.NginxError{Level: "error", PID: 3, TID: 3, Conn: 1,
				Message: `user "t": password mismatch, client: 10.0.0.5, host: "x"": not found`,
				Client:  "192.0.2.2", Request: "GET / HTTP/1.1", Host: "h"},
		},
		{
			name: "malformed tail stays in the message",
			line: ts + `[error] 3#3: *1 something, client: 10.0.0.5, server: x, request: "GET / HTTP/1.1, host: "h`,
			want: model.NginxError{Level: "error", PID: 3, TID: 3, Conn: 1,
				Message: `something, client: 10.0.0.5, server: x, request: "GET / HTTP/1.1, host: "h`},
		},
		{
			name: "CRLF",
			line: ts + "[error] 3#3: *1 upstream prematurely closed connection while reading response header from upstream, client: 10.0.0.5, server: x\r",
			want: model.NginxError{Level: "error", PID: 3, TID: 3, Conn: 1,
				Message: "upstream prematurely closed connection while reading response header from upstream",
				Client:  "10.0.0.5", Server: "x", Kind: NginxUpstreamPrematurelyClosed},
		},
		{
			name: "journal prefix",
			line: "web1 nginx[2833]: web1 nginx: " + ts + `[emerg] 2833#2833: bind() to 0.0.0.0:80 failed (98: Address already in use)`,
			want: model.NginxError{Level: "emerg", PID: 2833, TID: 2833,
				Message: "bind() to 0.0.0.0:80 failed (98: Address already in use)", Errno: 98},
		},
		{
			name: "star without a number is message",
			line: ts + `[debug] 3#3: *x y`,
			want: model.NginxError{Level: "debug", PID: 3, TID: 3, Message: "*x y"},
		},
		{
			name: "connection number only",
			line: ts + `[notice] 3#3: *4758725916`,
			want: model.NginxError{Level: "notice", PID: 3, TID: 3, Conn: 4758725916},
		},
		{
			name: "non-UTF-8 request",
			line: ts + "[error] 3#3: *1 open() \"/srv/\xc4\xe3\" failed (2: No such file or directory), client: 10.0.0.5, server: x, request: \"GET /\xc4\xe3\xff HTTP/1.1\", host: \"x\"",
			want: model.NginxError{Level: "error", PID: 3, TID: 3, Conn: 1,
				Message: "open() \"/srv/\xc4\xe3\" failed (2: No such file or directory)",
				Client:  "10.0.0.5", Server: "x", Request: "GET /\xc4\xe3\xff HTTP/1.1", Host: "x", Errno: 2},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := nginxOne(t, tt.line)
			want := tt.want
			want.Time, want.Line = time.Date(2026, 11, 20, 10, 0, 1, 0, time.UTC), 1
			if got != want {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestNginxErrorLogTime(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	recs, p := nginxAll(t, "2026/11/20 23:59:60 [error] 1#1: x\n2024/02/29 00:00:00 [warn] 1#1: y", loc)
	if p.Count != 0 || len(recs) != 2 {
		t.Fatalf("%d entries, problems:\n%s", len(recs), p)
	}
	if want := time.Date(2026, 11, 21, 0, 0, 0, 0, loc); !recs[0].Time.Equal(want) || recs[0].Time.Location() != loc {
		t.Errorf("leap second: %v, want %v", recs[0].Time, want)
	}
	if want := time.Date(2024, 2, 29, 0, 0, 0, 0, loc); !recs[1].Time.Equal(want) {
		t.Errorf("leap day: %v, want %v", recs[1].Time, want)
	}
}

func TestNginxErrorLogMultiline(t *testing.T) {
	const log = `stray end of a FastCGI message" while reading response header from upstream, client: 10.0.0.1, server: x
another stray line
2026/11/20 10:00:10 [error] 2105#2105: *1010 FastCGI sent in stderr: "PHP message: one
PHP message: two (111: Connection refused)

	indented three" while reading response header from upstream, client: 192.0.2.19, server: shop, request: "GET /cart.php HTTP/1.1", upstream: "fastcgi://unix:/run/php.sock:", host: "shop"
2026/11/20 10:00:11 [error] 2105#2105: *1011 lua entry thread aborted: runtime error: boom
stack traceback:
	[C]: in function 'error'
2026/11/20 10:00:12 [notice] 2105#2105: last`
	recs, p := nginxAll(t, log, nil)
	if p.Count != 0 {
		t.Errorf("problems:\n%s", p)
	}
	if len(recs) != 3 {
		t.Fatalf("%d entries, want 3: %+v", len(recs), recs)
	}
	r := recs[0]
	if want := "FastCGI sent in stderr: \"PHP message: one\nPHP message: two (111: Connection refused)\n\tindented three\" while reading response header from upstream"; r.Message != want {
		t.Errorf("FastCGI message %q\nwant %q", r.Message, want)
	}
	if r.Line != 3 || r.Client != "192.0.2.19" || r.Upstream != "fastcgi://unix:/run/php.sock:" || r.Host != "shop" || r.Request != "GET /cart.php HTTP/1.1" {
		t.Errorf("FastCGI fields %+v", r)
	}
	if r.Kind != "" || r.Errno != 0 || NginxErrorPhase(r.Message) != NginxPhaseReadHeader {
		t.Errorf("FastCGI stderr classified %q %d, phase %q", r.Kind, r.Errno, NginxErrorPhase(r.Message))
	}
	if want := "lua entry thread aborted: runtime error: boom\nstack traceback:\n\t[C]: in function 'error'"; recs[1].Message != want || recs[1].Line != 7 {
		t.Errorf("Lua entry line %d %q", recs[1].Line, recs[1].Message)
	}
	if recs[2].Message != "last" || recs[2].Line != 10 {
		t.Errorf("last entry %+v", recs[2])
	}
}

func TestNginxErrorLogContinuationBound(t *testing.T) {
	var b strings.Builder
	b.WriteString("2026/11/20 10:00:10 [error] 1#1: *1 FastCGI sent in stderr: \"start\n")
	for range 1000 {
		b.WriteString("PHP message: é a line of forty bytes or so, more\n")
	}
	b.WriteString(`end" while reading upstream, client: 10.0.0.1, server: s, request: "GET / HTTP/1.1", upstream: "http://10.0.0.2:80/", host: "h"` + "\n")
	r := nginxOne(t, b.String())
	extra := len(r.Message) - len(`FastCGI sent in stderr: "start`)
	if extra > maxNginxContinuation || extra < maxNginxContinuation-100 {
		t.Errorf("continuation added %d bytes, want at most %d", extra, maxNginxContinuation)
	}
	if !strings.HasPrefix(r.Message, "FastCGI sent in stderr: \"start\nPHP message: é") || !nginxValidUTF8(r.Message) {
		t.Errorf("message starts %q", r.Message[:60])
	}
	if r.Upstream != "http://10.0.0.2:80/" || r.Host != "h" || NginxErrorPhase(r.Message) != "" {
		t.Errorf("fields of the last line lost: %+v", r)
	}
}

func nginxValidUTF8(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

func TestNginxErrorLogProblems(t *testing.T) {
	const log = "2026/11/20 10:00:01 [error] 1#1: *1 a, client: 10.0.0.1, server: s\n" +
		"*** Error in `nginx: worker process': free(): invalid pointer ***\n" + // 2: cannot continue entry 1
		"2026/11/20 10:00:02 [fatal] 1#1: x\n" + // 3: level
		"continuation of the malformed entry, skipped\n" +
		"2026/13/20 10:00:02 [error] 1#1: x\n" + // 5: month
		"2026/02/30 10:00:02 [error] 1#1: x\n" + // 6: day
		"2026/11/20 10:00:02 error 1#1: x\n" + // 7: no brackets
		"2026/11/20 10:00:02 [error] 1-1: x\n" + // 8: pid
		"2026/11/20 10:00:02 [error] 1#1:x\n" + // 9: no blank
		"2026/11/20 10:00:02 [error] 99999999999#1: x\n" + // 10: pid range
		"2026/11/20 10:00:03 [warn] 2#2: b\n" +
		"2026/11/20 not a time, but a continuation\n" +
		"\x00\xff binary continuation\n"
	recs, p := nginxAll(t, log, nil)
	var lines []int
	for _, q := range p.First {
		lines = append(lines, q.Line)
	}
	if want := []int{2, 3, 5, 6, 7, 8, 9, 10}; p.Count != len(want) || !nginxEqualInts(lines, want) {
		t.Errorf("problems at lines %v, want %v:\n%s", lines, want, p)
	}
	if len(recs) != 2 || recs[0].Message != "a" || recs[1].Message != "b\n2026/11/20 not a time, but a continuation\n\x00\xff binary continuation" {
		t.Errorf("entries %+v", recs)
	}
}

func nginxEqualInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestNginxErrorLogLongLine(t *testing.T) {
	long := "2026/11/20 10:00:01 [error] 1#1: *1 " + strings.Repeat("x", 100<<10) + ", client: 10.0.0.1, server: s\n"
	log := long + "continuation\n" + "2026/11/20 10:00:02 [error] 1#1: *2 next"
	recs, p := nginxAll(t, log, nil)
	if p.Count != 1 || p.First[0].Line != 1 || !strings.Contains(p.First[0].Msg, "cut") {
		t.Errorf("problems:\n%s", p)
	}
	if len(recs) != 2 {
		t.Fatalf("%d entries", len(recs))
	}
	if n := len(recs[0].Message); n != maxLine-len("2026/11/20 10:00:01 [error] 1#1: *1 ")+len("\ncontinuation") {
		t.Errorf("cut message is %d bytes", n)
	}
	if recs[1].Line != 3 || recs[1].Message != "next" {
		t.Errorf("entry after the cut line %+v", recs[1])
	}
	// The same through a reader that returns one byte at a time.
	n := 0
	err := NginxErrorLog(iotest.OneByteReader(strings.NewReader(log)), nil, nil, func(*model.NginxError) { n++ })
	if err != nil || n != 2 {
		t.Errorf("one-byte reader: %d entries, %v", n, err)
	}
}

func TestNginxErrorLogReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("2026/11/20 10:00:01 [error] 1#1: a\n"), iotest.ErrReader(boom))
	n := 0
	err := NginxErrorLog(r, nil, nil, func(*model.NginxError) { n++ })
	if !errors.Is(err, boom) || n != 1 {
		t.Errorf("got %v after %d entries; want boom after 1", err, n)
	}
}

// nginxKindCases are messages of every kind as nginx, Tengine and OpenResty
// write them, with the fields that follow them in a log.
var nginxKindCases = []struct {
	msg, fields string
	kind        string
	errno       int
	phase       string
}{
	{"no live upstreams while connecting to upstream", `, client: 192.0.2.10, server: s, request: "GET / HTTP/1.1", upstream: "http://backend/", host: "s"`, NginxNoLiveUpstreams, 0, NginxPhaseConnect},
	{"no live upstreams", "", NginxNoLiveUpstreams, 0, ""},
	{"upstream timed out (110: Connection timed out) while connecting to upstream", `, client: 192.0.2.11, server: s, request: "POST /o HTTP/1.1", upstream: "http://10.0.0.21:8080/o", host: "s"`, NginxUpstreamTimedOut, 110, NginxPhaseConnect},
	{"upstream timed out (110: Connection timed out) while reading response header from upstream", `, client: 127.0.0.1, server: localhost, request: "GET /1.0/ HTTP/1.0", upstream: "uwsgi://127.0.0.1:3131", host: "localhost:5000"`, NginxUpstreamTimedOut, 110, NginxPhaseReadHeader},
	{"upstream timed out (110: Connection timed out) while reading upstream", "", NginxUpstreamTimedOut, 110, NginxPhaseRead},
	{"upstream timed out (110: Connection timed out) while sending request to upstream", `, client: 10.0.0.1, server: s`, NginxUpstreamTimedOut, 110, NginxPhaseSend},
	{"upstream timed out (110: Connection timed out) while SSL handshaking to upstream", "", NginxUpstreamTimedOut, 110, NginxPhaseConnect},
	{"connect() failed (110: Connection timed out) while connecting to upstream", `, client: 10.0.0.1, server: s, upstream: "http://10.0.0.9:80/"`, NginxUpstreamTimedOut, 110, NginxPhaseConnect},
	{"recv() failed (104: Connection reset by peer) while reading response header from upstream", `, client: 192.0.2.13, server: s, request: "GET / HTTP/1.1", upstream: "http://10.0.0.21:8080/", host: "s"`, NginxConnectionReset, 104, NginxPhaseReadHeader},
	{"readv() failed (104: Connection reset by peer) while reading upstream", "", NginxConnectionReset, 104, NginxPhaseRead},
	{"recv() failed (104: Connection reset by peer) while reading client request line", `, client: 10.1.0.10, server: 0.0.0.0:80`, NginxConnectionReset, 104, ""},
	{"connect() to 10.0.0.23:8080 failed (99: Cannot assign requested address) while connecting to upstream", `, client: 192.0.2.14, server: s, request: "GET / HTTP/1.1", upstream: "http://10.0.0.23:8080/", host: "s"`, NginxCannotAssignAddress, 99, NginxPhaseConnect},
	{"bind(0.0.0.0) failed (99: Cannot assign requested address) while connecting to upstream", "", NginxCannotAssignAddress, 99, NginxPhaseConnect},
	{"connect() failed (111: Connection refused) while connecting to upstream", `, client: 127.0.0.1, server: , request: "GET /frontend1 HTTP/1.1", upstream: "http://127.0.0.1:9091/frontend1", host: "127.0.0.1:8081"`, NginxConnectionRefused, 111, NginxPhaseConnect},
	{"connect() to unix:/run/php-fpm.sock failed (111: Connection refused) while connecting to upstream", `, client: 10.0.0.1, server: s, upstream: "fastcgi://unix:/run/php-fpm.sock:"`, NginxConnectionRefused, 111, NginxPhaseConnect},
	{"connect() failed (111: Connection refused)", `, context: ngx.timer, client: 127.0.0.1, server: 0.0.0.0:9090`, NginxConnectionRefused, 111, ""},
	{"1024 worker_connections are not enough", "", NginxWorkerConnections, 0, ""},
	{"1024 worker_connections are not enough while connecting to upstream", `, client: 10.0.0.1, server: s, upstream: "http://10.0.0.9:80/"`, NginxWorkerConnections, 0, NginxPhaseConnect},
	{"512 worker_connections are not enough, reusing connections", "", NginxWorkerConnections, 0, ""},
	{"accept4() failed (24: Too many open files)", "", NginxTooManyOpenFiles, 24, ""},
	{"socket() failed (24: Too many open files) while connecting to upstream", `, client: 10.0.0.1, server: s`, NginxTooManyOpenFiles, 24, NginxPhaseConnect},
	{`open() "/srv/index.html" failed (24: Too many open files)`, `, client: 10.0.0.1, server: s, request: "GET / HTTP/1.1", host: "s"`, NginxTooManyOpenFiles, 24, ""},
	{"upstream prematurely closed connection while reading response header from upstream", `, client: 10.0.0.1, server: s, request: "GET / HTTP/1.1", upstream: "http://10.0.0.9:80/", host: "s"`, NginxUpstreamPrematurelyClosed, 0, NginxPhaseReadHeader},
	{"upstream prematurely closed connection while reading upstream", "", NginxUpstreamPrematurelyClosed, 0, NginxPhaseRead},
	// Not upstream errors.
	{`open() "/srv/favicon.ico" failed (2: No such file or directory)`, `, client: 127.0.0.1, server: localhost, request: "GET /favicon.ico HTTP/1.1", host: "localhost:8080"`, "", 2, ""},
	{"an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/1/00/0000000001 while reading upstream", `, client: 10.0.0.1, server: s`, "", 0, NginxPhaseRead},
	{"SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL handshaking", `, client: 192.0.2.23, server: 0.0.0.0:443`, "", 0, ""},
	{"limiting requests, excess: 1.852 by zone \"one\"", `, client: 10.0.0.1, server: s`, "", 0, ""},
	{`[lua] healthcheck.lua:1021: log(): failed to connect to 10.0.0.31:8080: connection refused`, `, context: ngx.timer`, "", 0, ""},
	{"lua tcp socket connect timed out, when connecting to 10.0.0.40:6379", `, client: 10.0.0.1, server: s`, "", 0, ""},
	{"check time out with peer: 172.16.0.9:80 ", "", "", 0, ""},
	{`FastCGI sent in stderr: "upstream timed out (110: Connection timed out)" while reading response header from upstream`, `, client: 10.0.0.1, server: s`, "", 0, NginxPhaseReadHeader},
	{"recv() failed (110: Connection timed out) while reading client request headers", "", "", 110, ""},
}

func TestClassifyNginxError(t *testing.T) {
	for _, tt := range nginxKindCases {
		kind, errno := ClassifyNginxError(tt.msg)
		if kind != tt.kind || errno != tt.errno {
			t.Errorf("ClassifyNginxError(%q) = %q, %d; want %q, %d", tt.msg, kind, errno, tt.kind, tt.errno)
		}
		if phase := NginxErrorPhase(tt.msg); phase != tt.phase {
			t.Errorf("NginxErrorPhase(%q) = %q; want %q", tt.msg, phase, tt.phase)
		}
		// The fields do not change the kind when a caller passes a whole line.
		if kind, _ := ClassifyNginxError(tt.msg + tt.fields); kind != tt.kind {
			t.Errorf("ClassifyNginxError(%q) = %q; want %q", tt.msg+tt.fields, kind, tt.kind)
		}
		// In a log, as nginx (pid#tid) and Tengine (pid#0) write it.
		for _, head := range []string{"2026/11/20 10:00:01 [error] 2101#2101: *1001 ", "2026/11/20 10:00:01 [error] 3001#0: "} {
			r := nginxOne(t, head+tt.msg+tt.fields+"\n")
			if r.Message != tt.msg || r.Kind != tt.kind || r.Errno != tt.errno {
				t.Errorf("%q: parsed %q as %q %d", head+tt.msg+tt.fields, r.Message, r.Kind, r.Errno)
			}
		}
	}
}

// TestNginxErrorLogHandWritten reads testdata/nginxlog/upstream-errors.log.
func TestNginxErrorLogHandWritten(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "nginxlog", "upstream-errors.log"))
	if err != nil {
		t.Fatal(err)
	}
	recs, p := nginxAll(t, string(b), nil)
	if p.Count != 0 {
		t.Errorf("problems:\n%s", p)
	}
	type want struct {
		line               int
		kind, phase, upstr string
	}
	wants := []want{
		{1, "", "", ""},
		{2, NginxNoLiveUpstreams, NginxPhaseConnect, "http://backend_shop/api/cart"},
		{3, NginxUpstreamTimedOut, NginxPhaseConnect, "http://10.0.0.21:8080/api/order"},
		{4, NginxUpstreamTimedOut, NginxPhaseReadHeader, "http://10.0.0.22:8080/api/search?q=red, blue"},
		{5, NginxConnectionReset, NginxPhaseReadHeader, "http://10.0.0.21:8080/api/stock"},
		{6, NginxCannotAssignAddress, NginxPhaseConnect, "http://10.0.0.23:8080/api/price"},
		{7, NginxConnectionRefused, NginxPhaseConnect, "fastcgi://unix:/run/php/php8.2-fpm.sock:"},
		{8, NginxWorkerConnections, "", ""},
		{9, NginxWorkerConnections, NginxPhaseConnect, "http://10.0.0.21:8080/"},
		{10, NginxTooManyOpenFiles, "", ""},
		{11, NginxTooManyOpenFiles, NginxPhaseConnect, "http://10.0.0.22:8080/"},
		{12, NginxUpstreamPrematurelyClosed, NginxPhaseReadHeader, "http://10.0.0.22:8080/api/report"},
		{13, "", NginxPhaseReadHeader, "fastcgi://unix:/run/php/php8.2-fpm.sock:"},
		{18, NginxUpstreamTimedOut, NginxPhaseRead, "http://172.16.0.5:80/download/big.iso"},
		{19, NginxNoLiveUpstreams, NginxPhaseConnect, "http://kafka_rest/topics/clicks"},
		{20, "", "", ""},
		{21, NginxConnectionRefused, "", ""},
		{22, "", "", ""},
		{23, "", "", ""},
		{24, "", "", ""},
		{29, NginxUpstreamTimedOut, NginxPhaseConnect, "https://10.0.0.41:443/v1/user"},
		{30, NginxConnectionRefused, NginxPhaseConnect, "10.0.0.60:9092"},
		{31, NginxConnectionReset, "", ""},
		{32, NginxConnectionReset, NginxPhaseSend, "http://10.0.0.61:8080/auth"},
	}
	if len(recs) != len(wants) {
		t.Fatalf("%d entries, want %d", len(recs), len(wants))
	}
	for i, w := range wants {
		r := recs[i]
		if r.Line != w.line || r.Kind != w.kind || NginxErrorPhase(r.Message) != w.phase || r.Upstream != w.upstr {
			t.Errorf("entry %d: line %d kind %q phase %q upstream %q; want %+v", i, r.Line, r.Kind, NginxErrorPhase(r.Message), r.Upstream, w)
		}
		if strings.Contains(r.Message, ", client: ") || strings.Contains(r.Message, "context: ") || strings.Contains(r.Message, "bytes from/to") {
			t.Errorf("line %d: fields left in message %q", r.Line, r.Message)
		}
	}
	if r := recs[12]; !strings.HasSuffix(r.Message, "  thrown in /srv/www/cart.php on line 13\" while reading response header from upstream") || strings.Count(r.Message, "\n") != 4 {
		t.Errorf("FastCGI entry %q", r.Message)
	}
	if r := recs[19]; !strings.HasSuffix(r.Message, "content_by_lua(nginx.conf:88):2: in main chunk") || r.Client != "192.0.2.21" || r.Request != "GET /v1/t HTTP/1.1" {
		t.Errorf("Lua traceback entry %+v", r)
	}
}

// TestNginxErrorLogAgent checks the lines of NGINX Agent's error-log metric
// test: its "upstream request failed" (connect phase) and "upstream
// response failed" (response phase) counts come out of Kind and Phase.
func TestNginxErrorLogAgent(t *testing.T) {
	dir := filepath.Dir(sharedCorpus(t, "nginx-errorlog/nginx-agent/default_error_log_test.expected.json"))
	var exp struct {
		Log     string             `json:"log"`
		Metrics map[string]float64 `json:"expected_simple_metrics"`
	}
	readJSON(t, filepath.Join(dir, "default_error_log_test.expected.json"), &exp)
	b, err := os.ReadFile(filepath.Join(dir, exp.Log))
	if err != nil {
		t.Fatal(err)
	}
	recs, p := nginxAll(t, string(b), nil)
	if p.Count != 0 || len(recs) != 5 {
		t.Fatalf("%d entries, problems:\n%s", len(recs), p)
	}
	got := map[string]float64{}
	for _, r := range recs {
		phase := NginxErrorPhase(r.Message)
		switch {
		case r.Kind != "" && (phase == NginxPhaseConnect || phase == NginxPhaseSend):
			got["nginx.upstream.request.failed"]++
		case r.Kind != "" && (phase == NginxPhaseReadHeader || phase == NginxPhaseRead):
			got["nginx.upstream.response.failed"]++
		}
	}
	for _, m := range []string{"nginx.upstream.request.failed", "nginx.upstream.response.failed"} {
		if got[m] != exp.Metrics[m] {
			t.Errorf("%s = %v; want %v", m, got[m], exp.Metrics[m])
		}
	}
	if recs[0].Kind != NginxUpstreamTimedOut || recs[3].Kind != NginxConnectionRefused {
		t.Errorf("kinds %q %q", recs[0].Kind, recs[3].Kind)
	}
	if r := recs[4]; r.Conn != 0 || r.Message != "client request body is buffered." || r.Client != "" {
		t.Errorf("entry without a connection %+v", r)
	}
	if r := recs[1]; r.Server != "*.compute.amazonaws.com" || r.Upstream != "http://127.0.0.1:3000/api/metrics/query/timeseries/" || r.Host != "ec2-54-78-3-178.eu-west-1.compute.amazonaws.com:4000" {
		t.Errorf("buffered entry %+v", r)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestNginxErrorLogFail2ban reads fail2ban's nginx filter test logs without
// their "# failJSON:" and "# filterOptions:" annotation lines: no problems,
// and no upstream error but the one connect() failed (111) line.
func TestNginxErrorLogFail2ban(t *testing.T) {
	wantEntries := map[string]int{
		"nginx-bad-request": 0, // access-log lines only
		"nginx-botsearch":   6, // 8 access-log lines, then 4 entries and 2 with a journal prefix
		"nginx-forbidden":   2,
		"nginx-http-auth":   18,
		"nginx-limit-req":   9,
	}
	refused := 0
	for name, want := range wantEntries {
		path := sharedCorpus(t, "nginx-errorlog/fail2ban/fail2ban/tests/files/logs/"+name)
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		var kept bytes.Buffer
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if l := sc.Text(); !strings.HasPrefix(l, "# failJSON:") && !strings.HasPrefix(l, "# filterOptions:") {
				kept.WriteString(l + "\n")
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
		recs, p := nginxAll(t, kept.String(), nil)
		if p.Count != 0 {
			t.Errorf("%s: problems:\n%s", name, p)
		}
		if len(recs) != want {
			t.Errorf("%s: %d entries, want %d", name, len(recs), want)
		}
		for _, r := range recs {
			if r.Client == "" {
				t.Errorf("%s:%d: fields not split: %+v", name, r.Line, r)
			}
			if r.Kind == "" {
				continue
			}
			if r.Kind != NginxConnectionRefused || r.Errno != 111 || NginxErrorPhase(r.Message) != NginxPhaseConnect ||
				r.Upstream != "http://127.0.0.1:3000/admin/config" || r.Request != "GET /admin/config HTTP/2.0" {
				t.Errorf("%s:%d: classified %+v", name, r.Line, r)
			}
			refused++
		}
	}
	if refused != 1 {
		t.Errorf("%d upstream errors, want 1", refused)
	}
}

// TestNginxErrorLogFilebeat reads the Filebeat nginx module's test log and
// checks every entry against its expected documents: pid, tid, connection
// id, level, time (Filebeat read it at -02:00) and message, which for
// Filebeat goes on with the trailing fields.
func TestNginxErrorLogFilebeat(t *testing.T) {
	path := sharedCorpus(t, "nginx-errorlog/elastic-beats/filebeat/module/nginx/error/test/error.log")
	var exp []map[string]any
	readJSON(t, path+"-expected.json", &exp)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	loc := time.FixedZone("", -2*3600)
	p := &Problems{File: path}
	var recs []model.NginxError
	if err := NginxErrorLog(f, loc, p, func(e *model.NginxError) { recs = append(recs, *e) }); err != nil {
		t.Fatal(err)
	}
	if p.Count != 0 {
		t.Errorf("problems:\n%s", p)
	}
	if len(recs) != len(exp) {
		t.Fatalf("%d entries, want %d", len(recs), len(exp))
	}
	for i, e := range exp {
		r := recs[i]
		ts, err := time.Parse("2006-01-02T15:04:05.000-07:00", e["@timestamp"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if !r.Time.Equal(ts) || r.Level != e["log.level"] || float64(r.PID) != e["process.pid"] ||
			float64(r.TID) != e["process.thread.id"] || float64(r.Conn) != e["nginx.error.connection_id"] {
			t.Errorf("entry %d: %v %s %d#%d *%d; want %v", i, r.Time, r.Level, r.PID, r.TID, r.Conn, e)
		}
		msg := e["message"].(string)
		rest, ok := strings.CutPrefix(msg, r.Message)
		if !ok {
			t.Errorf("entry %d: message %q\nwant a prefix of %q", i, r.Message, msg)
			continue
		}
		if rest == "" {
			if r.Client != "" || r.Host != "" {
				t.Errorf("entry %d: fields %+v", i, r)
			}
			continue
		}
		fields := ", client: " + r.Client + ", server: " + r.Server + `, request: "` + r.Request + `", host: "` + r.Host + `"`
		if rest != fields && !strings.HasPrefix(rest, fields+", referrer: ") {
			t.Errorf("entry %d: fields %q\nwant %q", i, fields, rest)
		}
		if r.Kind != "" {
			t.Errorf("entry %d classified %q", i, r.Kind)
		}
	}
	if !strings.Contains(recs[2].Message, "\nPHP message: ") || recs[2].Line != 3 || recs[3].Line != 6 {
		t.Errorf("multi-line entry: lines %d, %d", recs[2].Line, recs[3].Line)
	}
}
