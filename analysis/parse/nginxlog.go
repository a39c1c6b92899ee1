package parse

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/netsnap/netsnap/analysis/model"
)

// Kinds of nginx error-log messages, as ClassifyNginxError returns them.
const (
	// NginxNoLiveUpstreams: every server of the upstream group is marked
	// down (max_fails reached or health checks failing): "no live upstreams
	// while connecting to upstream".
	NginxNoLiveUpstreams = "no-live-upstreams"
	// NginxUpstreamTimedOut: "upstream timed out (110: Connection timed
	// out)", or another call failing with ETIMEDOUT on the way to an
	// upstream. NginxErrorPhase tells connect from read timeouts.
	NginxUpstreamTimedOut = "upstream-timed-out"
	// NginxConnectionReset: "(104: Connection reset by peer)". Client-side
	// resets (logged at info, "while reading client request ...") have this
	// kind too: NginxErrorPhase is "" for them and Upstream is empty.
	NginxConnectionReset = "connection-reset"
	// NginxCannotAssignAddress: "(99: Cannot assign requested address)", no
	// free local port for a connection to an upstream.
	NginxCannotAssignAddress = "cannot-assign-address"
	// NginxConnectionRefused: "connect() failed (111: Connection refused)".
	NginxConnectionRefused = "connection-refused"
	// NginxWorkerConnections: "1024 worker_connections are not enough".
	NginxWorkerConnections = "worker-connections"
	// NginxTooManyOpenFiles: "(24: Too many open files)", e.g. from
	// accept4() or socket().
	NginxTooManyOpenFiles = "too-many-open-files"
	// NginxUpstreamPrematurelyClosed: "upstream prematurely closed
	// connection while reading response header from upstream".
	NginxUpstreamPrematurelyClosed = "upstream-prematurely-closed"
)

// Phases of a request to an upstream, as NginxErrorPhase returns them.
const (
	NginxPhaseConnect    = "connect"     // "while connecting to upstream", "while SSL handshaking to upstream"
	NginxPhaseSend       = "send"        // "while sending request to upstream"
	NginxPhaseReadHeader = "read-header" // "while reading response header from upstream"
	NginxPhaseRead       = "read"        // "while reading upstream" (the response body)
)

// maxNginxContinuation bounds what continuation lines add to an entry's
// Message. nginx writes at most 2048 bytes per entry (NGX_MAX_ERROR_STR),
// so only a log that is not nginx's reaches it.
const maxNginxContinuation = 4 << 10

// NginxErrorLog reads an nginx, Tengine or OpenResty error log and calls fn
// for each entry, in file order, once the entry is complete (at the next
// entry or at the end of the input). fn receives a new record each time and
// may keep it. An entry is
//
//	YYYY/MM/DD HH:MM:SS [level] PID#TID: *CONN message, client: X, server: Y,
//	request: "GET / HTTP/1.1", upstream: "http://...", host: "...", referrer: "..."
//
// on one line; "*CONN" and each trailing field are optional. The trailing
// fields are split from the right, in the order nginx writes them (an
// OpenResty ", context: ngx.timer" before client; subrequest after
// request), so a message or a request holding ", " stays whole; context,
// subrequest and referrer are not kept, nor a stream proxy's ", bytes
// from/to client:N/N, bytes from/to upstream:N/N". A line with a syslog or
// journal prefix before the time ("host nginx[123]: 2026/11/20 ...") is an
// entry too. The time is read in loc (nil means UTC). Kind and Errno are
// ClassifyNginxError's of Message.
//
// A line without the timestamp continues the entry before it (FastCGI
// stderr, a Lua stack traceback): it is added to Message after a "\n", and
// the trailing fields are taken from the entry's last line. Continuation
// lines add at most 4 KiB to a Message; the rest is dropped. Lines before
// the first entry (a log tailed from the middle of an entry) are skipped
// silently, as are blank lines and the lines after a malformed entry.
//
// Problems: a line with the timestamp but no valid "[level] PID#TID:" after
// it, or with an impossible date; a line without the timestamp after an
// entry that ended with its trailing fields, so cannot go on (stderr output
// of a crashing library, another program's lines); a line longer than 64
// KiB, whose first 64 KiB are read and the rest dropped. Trailing "\r" is
// removed; other bytes, invalid UTF-8 included, are kept as they are.
func NginxErrorLog(r io.Reader, loc *time.Location, p *Problems, fn func(*model.NginxError)) error {
	if loc == nil {
		loc = time.UTC
	}
	lr := nginxLineReader{br: bufio.NewReaderSize(r, maxLine), p: p}
	var e nginxEntry
	for {
		line, err := lr.next()
		if err != nil {
			e.emit(fn)
			if err == io.EOF {
				return nil
			}
			return fmt.Errorf("read after line %d: %w", lr.n, err)
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if nginxBlank(line) {
			continue
		}
		var h model.NginxError
		rest, bad := nginxHeader(line, loc, &h)
		if rest == nil && bad == "" {
			rest = nginxPrefixedHeader(line, loc, &h)
		}
		switch {
		case rest != nil:
			e.emit(fn)
			h.Line = lr.n
			e.start(&h, rest)
		case bad != "":
			e.emit(fn)
			p.Addf(lr.n, "%s", bad)
		case !e.active:
			// before the first entry, or after a malformed one
		case e.complete:
			p.Addf(lr.n, "not an entry, and the entry before it ended with its fields: %q", nginxClip(line, 80))
		default:
			e.add(line)
		}
	}
}

// nginxClip returns at most n bytes of b.
func nginxClip(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

func nginxBlank(b []byte) bool {
	for _, c := range b {
		if !isSpace(c) {
			return false
		}
	}
	return true
}

// nginxLineReader is lineReader, except that a line longer than maxLine is
// cut to its first maxLine bytes (a problem) instead of skipped, so that a
// huge entry keeps its header and does not leave its continuation lines to
// the entry before.
type nginxLineReader struct {
	br  *bufio.Reader
	p   *Problems
	n   int
	cut []byte // the kept part of a line that was cut
}

func (lr *nginxLineReader) next() ([]byte, error) {
	b, err := lr.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		lr.n++
		lr.p.Addf(lr.n, "line longer than %d bytes, cut", maxLine)
		lr.cut = append(lr.cut[:0], b...)
		for err == bufio.ErrBufferFull {
			_, err = lr.br.ReadSlice('\n')
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		return lr.cut, nil
	}
	if err != nil && (err != io.EOF || len(b) == 0) {
		return nil, err
	}
	lr.n++
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	return b, nil
}

// nginxLevel returns the level name b as a constant string, or "" if nginx
// has no such level.
func nginxLevel(b []byte) string {
	switch string(b) {
	case "emerg":
		return "emerg"
	case "alert":
		return "alert"
	case "crit":
		return "crit"
	case "error":
		return "error"
	case "warn":
		return "warn"
	case "notice":
		return "notice"
	case "info":
		return "info"
	case "debug":
		return "debug"
	}
	return ""
}

// nginxHeader reads "YYYY/MM/DD HH:MM:SS [level] PID#TID: " and an optional
// "*CONN " into e and returns the rest of b (non-nil, maybe empty). A line
// that does not start with the timestamp returns nil and ""; one that does
// but goes wrong after it returns nil and what is wrong.
func nginxHeader(b []byte, loc *time.Location, e *model.NginxError) (rest []byte, bad string) {
	const ts = "0000/00/00 00:00:00"
	if len(b) < len(ts) {
		return nil, ""
	}
	for i := 0; i < len(ts); i++ {
		if ts[i] == '0' {
			if b[i] < '0' || b[i] > '9' {
				return nil, ""
			}
		} else if b[i] != ts[i] {
			return nil, ""
		}
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range b[i : i+n] {
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, mo, d, hh, mm, ss := num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2)
	if mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60 ||
		time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC).Day() != d {
		return nil, "impossible date or time"
	}
	b = b[len(ts):]
	if len(b) < 2 || b[0] != ' ' || b[1] != '[' {
		return nil, "want \" [level]\" after the time"
	}
	end := bytes.IndexByte(b[:min(len(b), 10)], ']')
	if end < 0 {
		return nil, "want \" [level]\" after the time"
	}
	level := nginxLevel(b[2:end])
	if level == "" {
		return nil, fmt.Sprintf("unknown level %q", b[2:end])
	}
	b = b[end+1:]
	if len(b) == 0 || b[0] != ' ' {
		return nil, "want \" PID#TID:\" after the level"
	}
	pidEnd := bytes.IndexByte(b[:min(len(b), 24)], '#')
	tidEnd := bytes.IndexByte(b[:min(len(b), 48)], ':')
	if pidEnd < 0 || tidEnd < pidEnd {
		return nil, "want \" PID#TID:\" after the level"
	}
	pid, ok1 := parseUint(b[1:pidEnd])
	tid, ok2 := parseUint(b[pidEnd+1 : tidEnd])
	if !ok1 || !ok2 || pid > 1<<31-1 || tid > 1<<31-1 {
		return nil, "bad PID#TID"
	}
	b = b[tidEnd+1:]
	if len(b) > 0 && b[0] != ' ' {
		return nil, "want a blank after PID#TID:"
	}
	if len(b) > 0 {
		b = b[1:]
	}
	var conn uint64
	if len(b) > 1 && b[0] == '*' {
		i := 1
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == len(b) || b[i] == ' ' {
			if v, ok := parseUint(b[1:i]); ok && v <= 1<<63-1 {
				conn = v
				b = b[min(i+1, len(b)):]
			}
		}
	}
	*e = model.NginxError{
		Time:  time.Date(y, time.Month(mo), d, hh, mm, ss, 0, loc),
		Level: level,
		PID:   int(pid),
		TID:   int(tid),
		Conn:  int64(conn),
	}
	return b, ""
}

// nginxPrefixedHeader finds an entry after a syslog or journal prefix that
// ends in ": " ("host nginx[123]: ", "nginx: ") within the first 256 bytes
// of b, and returns the rest of b after its header, or nil.
func nginxPrefixedHeader(b []byte, loc *time.Location, e *model.NginxError) []byte {
	head := b[:min(len(b), 256)]
	for i := 0; ; {
		j := bytes.Index(head[i:], []byte(": "))
		if j < 0 {
			return nil
		}
		i += j + 2
		if i < len(b) && b[i] >= '0' && b[i] <= '9' {
			if rest, _ := nginxHeader(b[i:], loc, e); rest != nil {
				return rest
			}
		}
	}
}

// nginxKeys are the trailing fields of an entry, in the order nginx (and
// OpenResty, for context) writes them. Quoted values are written "%V".
var nginxKeys = [...]struct {
	name   string
	quoted bool
}{
	{"context", false},
	{"client", false},
	{"server", false},
	{"request", true},
	{"subrequest", true},
	{"upstream", true},
	{"host", true},
	{"referrer", true},
}

// Indexes of nginxKeys that NginxError keeps.
const (
	nkClient   = 1
	nkServer   = 2
	nkRequest  = 3
	nkUpstream = 5
	nkHost     = 6
)

// nginxFields is where the trailing fields of a line are: the message is
// line[:msgEnd], field k's value line[val[k][0]:val[k][1]] when set[k].
type nginxFields struct {
	msgEnd int
	any    bool
	set    [len(nginxKeys)]bool
	val    [len(nginxKeys)][2]int
}

// splitNginxFields finds the trailing fields of line from its end: each is
// ", key: value" with a key of nginxKeys that comes before the one after it,
// and a value that, quoted, starts and ends with '"' and, unquoted, holds no
// '"' and no ", ". A stream proxy's byte counts at the very end are skipped.
func splitNginxFields(line []byte) nginxFields {
	end := len(line)
	if i := bytes.LastIndex(line, []byte(", bytes from/to client:")); i >= 0 && isByteCounts(line[i:]) {
		end = i
	}
	f := nginxFields{msgEnd: end}
	next := len(nginxKeys) // keys before this index may still come
	for next > 0 {
		found := false
		// Only the last ", " before end can start an unquoted value: one
		// further left would have a ", " in its value.
		unquoted := true
		for i := bytes.LastIndex(line[:end], []byte(", ")); i >= 0; i = bytes.LastIndex(line[:i], []byte(", ")) {
			k, v := nginxKeyAt(line[i+2:end], next, unquoted)
			unquoted = false
			if k < 0 {
				continue
			}
			vs := i + 2 + v
			f.set[k], f.val[k] = true, [2]int{vs, end}
			if nginxKeys[k].quoted {
				f.val[k] = [2]int{vs + 1, end - 1}
			}
			end, next, found = i, k, true
			break
		}
		if !found {
			break
		}
	}
	f.msgEnd, f.any = end, end < len(line)
	return f
}

// nginxKeyAt returns the index in nginxKeys (below next, and of a quoted
// key unless unquoted) of the field that b is, "key: value", and where its
// value starts; -1 if b is no such field.
func nginxKeyAt(b []byte, next int, unquoted bool) (k, v int) {
	for k := next - 1; k >= 0; k-- {
		name := nginxKeys[k].name
		if len(b) < len(name)+2 || string(b[:len(name)]) != name || b[len(name)] != ':' || b[len(name)+1] != ' ' {
			continue
		}
		val := b[len(name)+2:]
		if nginxKeys[k].quoted {
			if len(val) < 2 || val[0] != '"' || val[len(val)-1] != '"' {
				return -1, 0
			}
		} else if !unquoted || bytes.IndexByte(val, '"') >= 0 {
			return -1, 0
		}
		return k, len(name) + 2
	}
	return -1, 0
}

// isByteCounts reports whether b is ", bytes from/to client:N/N, bytes
// from/to upstream:N/N" (ngx_stream_proxy_log_error).
func isByteCounts(b []byte) bool {
	counts := func(b []byte, prefix string) ([]byte, bool) {
		if !bytes.HasPrefix(b, []byte(prefix)) {
			return nil, false
		}
		b = b[len(prefix):]
		i := 0
		for i < len(b) && (b[i] >= '0' && b[i] <= '9' || b[i] == '/') {
			i++
		}
		return b[i:], i > 0
	}
	b, ok := counts(b, ", bytes from/to client:")
	if !ok {
		return false
	}
	b, ok = counts(b, ", bytes from/to upstream:")
	return ok && len(b) == 0
}

// nginxEntry is the entry being read. Its byte slices are copies, reused
// from entry to entry.
type nginxEntry struct {
	active   bool
	complete bool // its last line ended with trailing fields
	rec      model.NginxError
	first    []byte // the first line after the header
	cont     []byte // continuation lines but the last, each after "\n", at most maxNginxContinuation
	last     []byte // the last continuation line
	hasLast  bool
	fields   nginxFields // of last if hasLast, else of first
}

func (e *nginxEntry) start(h *model.NginxError, rest []byte) {
	e.active, e.hasLast = true, false
	e.rec = *h
	e.first = append(e.first[:0], rest...)
	e.cont = e.cont[:0]
	e.fields = splitNginxFields(e.first)
	e.complete = e.fields.any
}

// add takes a continuation line.
func (e *nginxEntry) add(line []byte) {
	if e.hasLast {
		e.cont = appendBounded(e.cont, e.last)
	}
	e.last = append(e.last[:0], line...)
	e.hasLast = true
	e.fields = splitNginxFields(e.last)
	e.complete = e.fields.any
}

// appendBounded appends "\n" and line to cont, keeping len(cont) at most
// maxNginxContinuation and cutting at a UTF-8 character boundary.
func appendBounded(cont, line []byte) []byte {
	room := maxNginxContinuation - len(cont)
	if room <= 1 {
		return cont
	}
	cont = append(cont, '\n')
	if len(line) > room-1 {
		n := room - 1
		for n > 0 && !utf8.RuneStart(line[n]) {
			n--
		}
		line = line[:n]
	}
	return append(cont, line...)
}

// emit builds the record of the entry, if any, and passes it to fn.
func (e *nginxEntry) emit(fn func(*model.NginxError)) {
	if !e.active {
		return
	}
	e.active = false
	rec := new(model.NginxError)
	*rec = e.rec
	src := e.first
	if e.hasLast {
		src = e.last
		if e.fields.msgEnd > 0 {
			e.cont = appendBounded(e.cont, e.last[:e.fields.msgEnd])
		}
		var sb strings.Builder
		sb.Grow(len(e.first) + len(e.cont))
		sb.Write(e.first)
		sb.Write(e.cont)
		rec.Message = sb.String()
	} else {
		rec.Message = string(e.first[:e.fields.msgEnd])
	}
	f := &e.fields
	val := func(k int) string {
		if !f.set[k] {
			return ""
		}
		return string(src[f.val[k][0]:f.val[k][1]])
	}
	rec.Client, rec.Server, rec.Request = val(nkClient), val(nkServer), val(nkRequest)
	rec.Upstream, rec.Host = val(nkUpstream), val(nkHost)
	rec.Kind, rec.Errno = ClassifyNginxError(rec.Message)
	fn(rec)
}

// ClassifyNginxError says what an nginx error-log message (an entry's
// Message, without the trailing fields) reports: one of the Nginx* kinds,
// or "" for anything else, and the errno in its "(111: Connection
// refused)", or 0. Text an upstream sent (what follows "FastCGI sent in
// stderr: ") is not looked at. The errno kinds are recognised by the Linux
// number or by the text after it.
func ClassifyNginxError(msg string) (kind string, errno int) {
	text := msg
	if i := strings.Index(text, `sent in stderr: "`); i >= 0 {
		text = text[:i]
	}
	errno, errText := nginxErrno(text)
	switch {
	case strings.Contains(text, "no live upstreams"):
		return NginxNoLiveUpstreams, errno
	case strings.Contains(text, "upstream timed out"):
		return NginxUpstreamTimedOut, errno
	case strings.Contains(text, "worker_connections are not enough"):
		return NginxWorkerConnections, errno
	case strings.Contains(text, "upstream prematurely closed connection"):
		return NginxUpstreamPrematurelyClosed, errno
	case errno == 104 || errText == "Connection reset by peer":
		return NginxConnectionReset, errno
	case errno == 99 || errText == "Cannot assign requested address":
		return NginxCannotAssignAddress, errno
	case errno == 111 || errText == "Connection refused":
		return NginxConnectionRefused, errno
	case errno == 24 || errText == "Too many open files":
		return NginxTooManyOpenFiles, errno
	case (errno == 110 || errText == "Connection timed out") && NginxErrorPhase(msg) != "":
		return NginxUpstreamTimedOut, errno
	}
	return "", errno
}

// nginxErrno finds the first "(N: text)" in s, as ngx_log_errno writes it,
// and returns N and text.
func nginxErrno(s string) (int, string) {
	for i := 0; i < len(s); i++ {
		if s[i] != '(' {
			continue
		}
		j := i + 1
		for j < len(s) && j-i <= 6 && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i+1 || j-i > 6 || j+1 >= len(s) || s[j] != ':' || s[j+1] != ' ' {
			continue
		}
		n := 0
		for _, c := range s[i+1 : j] {
			n = n*10 + int(c-'0')
		}
		text := s[j+2:]
		if k := strings.IndexByte(text, ')'); k >= 0 {
			text = text[:k]
		}
		return n, text
	}
	return 0, ""
}

// NginxErrorPhase says in which phase of a request to an upstream the
// message was logged, from the action nginx appends (" while connecting to
// upstream"): one of the NginxPhase* constants, or "" when the message is
// not about an upstream. It reproduces NGINX Agent's split of upstream
// failures into "request failed" (connect, send) and "response failed"
// (read-header, read).
func NginxErrorPhase(msg string) string {
	i := strings.LastIndex(msg, " while ")
	if i < 0 {
		return ""
	}
	action := msg[i+len(" while "):]
	switch {
	case strings.HasPrefix(action, "connecting to upstream"),
		strings.HasPrefix(action, "SSL handshaking to upstream"):
		return NginxPhaseConnect
	case strings.HasPrefix(action, "sending request to upstream"),
		strings.HasPrefix(action, "sending to upstream"):
		return NginxPhaseSend
	case strings.HasPrefix(action, "reading response header from upstream"):
		return NginxPhaseReadHeader
	case strings.HasPrefix(action, "reading upstream"):
		return NginxPhaseRead
	}
	return ""
}
