package parse

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netsnap/netsnap/analysis/model"
)

// FuzzNginxErrorLog feeds NginxErrorLog arbitrary logs. It must never panic
// or return an error from a bytes.Reader, and what it returns must keep the
// documented invariants: entries in line order with a known level, bounded
// messages, fields without the text around them, a kind that
// ClassifyNginxError gives the message. Run it for a while with
//
//	go test ./analysis/parse -run '^$' -fuzz '^FuzzNginxErrorLog$' -fuzztime 30s
func FuzzNginxErrorLog(f *testing.F) {
	for _, s := range []string{
		"2026/11/20 10:00:01 [error] 1#1: *2 upstream timed out (110: Connection timed out) while connecting to upstream, client: 192.0.2.1, server: s, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.1:80/\", host: \"s\"\n",
		"x\n2026/11/20 10:00:01 [error] 1#0: *3 FastCGI sent in stderr: \"a\nb\" while reading response header from upstream, client: c, server: , request: \"r, s\", upstream: \"fastcgi://unix:/run/php.sock:\", host: \"h\", referrer: \"q\"\r\nz",
		"h nginx[1]: 2026/11/20 10:00:01 [crit] 1#1: accept4() failed (24: Too many open files), context: ngx.timer, client: 1, server: 2\n\x00\xff\n",
		"2026/11/20 10:00:01 [info] 9#9: *1 x, client: a, server: b, upstream: \"u\", bytes from/to client:0/0, bytes from/to upstream:1/2\n2026/02/30 10:00:01 [error] 1#1: x\n",
	} {
		f.Add([]byte(s))
	}
	if b, err := os.ReadFile(filepath.Join("testdata", "nginxlog", "upstream-errors.log")); err == nil {
		f.Add(b)
	}
	addCorpusSeeds(f, func(b []byte) { f.Add(b) },
		"nginx-errorlog/nginx-agent/default_error_log_test.error.log",
		"nginx-errorlog/elastic-beats/filebeat/module/nginx/error/test/error.log",
		"nginx-errorlog/fail2ban/fail2ban/tests/files/logs/nginx-http-auth")
	f.Fuzz(func(t *testing.T, data []byte) {
		p := &Problems{File: "f"}
		lines := bytes.Count(data, []byte("\n")) + 1
		last := 0
		err := NginxErrorLog(bytes.NewReader(data), nil, p, func(e *model.NginxError) {
			if e.Line <= last || e.Line > lines || nginxLevel([]byte(e.Level)) == "" || e.PID < 0 || e.TID < 0 || e.Conn < 0 {
				t.Fatalf("bad entry %+v after line %d of %d", e, last, lines)
			}
			last = e.Line
			if len(e.Message) > maxLine+maxNginxContinuation {
				t.Fatalf("line %d: message of %d bytes", e.Line, len(e.Message))
			}
			if strings.HasSuffix(e.Message, "\r") {
				t.Fatalf("line %d: message ends in CR: %q", e.Line, e.Message)
			}
			for _, v := range []string{e.Client, e.Server, e.Request, e.Upstream, e.Host} {
				if strings.Contains(v, "\n") || len(v) > maxLine {
					t.Fatalf("line %d: bad field %q", e.Line, v)
				}
			}
			if strings.Contains(e.Client, ", ") || strings.Contains(e.Server, ", ") {
				t.Fatalf("line %d: unquoted field with a comma: %+v", e.Line, e)
			}
			if kind, errno := ClassifyNginxError(e.Message); kind != e.Kind || errno != e.Errno {
				t.Fatalf("line %d: kind %q %d, ClassifyNginxError says %q %d", e.Line, e.Kind, e.Errno, kind, errno)
			}
			NginxErrorPhase(e.Message)
		})
		if err != nil {
			t.Fatalf("error from a bytes.Reader: %v", err)
		}
		if p.Count > lines {
			t.Fatalf("%d problems for %d lines", p.Count, lines)
		}
	})
}
