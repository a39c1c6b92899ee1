package parse

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/netsnap/netsnap/analysis/model"
)

// Kernel log formats for Kernlog, as KernlogFormat returns them.
const (
	// KernlogKmsg is /dev/kmsg: "6,339,5140900,-;message".
	KernlogKmsg = "kmsg"
	// KernlogSyslog is kern.log, messages or syslog: "Mar  1 10:00:00 host kernel: ..." or RFC 3339.
	KernlogSyslog = "syslog"
	// KernlogDmesg is dmesg output and /var/log/dmesg: "[    1.234567] message".
	KernlogDmesg = "dmesg"
	// KernlogJournal is journalctl -k -o short-precise: "Nov 20 10:00:00.123456 host kernel: ...".
	KernlogJournal = "journal"
)

// KernlogFormat returns the Kernlog format of a kernel log file by its
// archive path: dev/kmsg is "kmsg"; var/log/kern.log* and the kernel lines
// of var/log/messages and var/log/syslog (stored as PATH.kernel) are
// "syslog"; var/log/dmesg* is "dmesg"; netsnap/journalctl-k.txt is
// "journal". A leading "/" or "samples/N/" is ignored. Anything else,
// compressed rotations included, is "".
func KernlogFormat(archivePath string) string {
	p := strings.TrimPrefix(path.Clean("/"+archivePath), "/")
	if rest, ok := strings.CutPrefix(p, "samples/"); ok {
		if _, after, ok := strings.Cut(rest, "/"); ok {
			p = after
		}
	}
	switch p {
	case "dev/kmsg":
		return KernlogKmsg
	case "netsnap/journalctl-k.txt":
		return KernlogJournal
	}
	dir, base := path.Split(p)
	if dir != "var/log/" {
		return ""
	}
	for _, ext := range []string{".gz", ".xz", ".bz2", ".zst", ".lz4", ".Z"} {
		if strings.HasSuffix(base, ext) {
			return ""
		}
	}
	switch {
	case strings.HasPrefix(base, "kern.log"):
		return KernlogSyslog
	case strings.HasSuffix(base, ".kernel") && (strings.HasPrefix(base, "messages") || strings.HasPrefix(base, "syslog")):
		return KernlogSyslog
	case strings.HasPrefix(base, "dmesg"):
		return KernlogDmesg
	}
	return ""
}

// Kernlog reads a kernel log in one of the formats KernlogFormat names and
// calls fn for each kernel message, in file order. fn receives a new
// record each time and may keep it. Text is the message without the
// timestamp, host, "kernel:" tag, "[ 12.345678]" uptime and "[    C1]"
// printk caller id; Source is p.File (empty when p is nil: the caller may
// set it); Line is the line number.
//
//   - "kmsg": /dev/kmsg records, "PRIO,SEQ,USEC,FLAGS[,...];message".
//     Level is PRIO&7, Uptime is USEC in seconds, "\xNN" escapes in the
//     message are decoded. Continuation lines (" KEY=value", starting with
//     a space) are skipped.
//   - "syslog": "Mar  1 10:00:00 host kernel: [12345.678] msg" ("Mar 01"
//     and fractional seconds too, month names in any case), or with an
//     RFC 3339 time ("2026-11-20T10:00:00.123456+00:00 host kernel: msg",
//     also "+0000" and a space for the "T"). Only kernel lines ("kernel:"
//     or "kernel[N]:" as the tag, after the host and an optional
//     "kern.warn" facility token, which sets Level) reach fn; lines of
//     other programs are skipped silently.
//   - "journal": journalctl -k -o short-precise, read as syslog; "-- Boot
//     ... --" and "-- No entries --" lines are skipped, and a line that
//     starts with a blank continues a multi-line message: it is passed
//     with no Time, its text without the indentation.
//   - "dmesg": "[    1.234567] msg", with an optional caller id
//     ("[    1.234567][    C1] msg", "[ T6753]"), a "<6>" level (dmesg -r),
//     a "kern  :info  : " prefix (dmesg -x), a "[Fri Nov 20 10:00:00 2026]"
//     time (dmesg -T, read in loc), or a "kernel: " tag after the time
//     (/var/log/dmesg as written by journalctl). Lines without a
//     timestamp (continuations, console noise) are passed with Uptime -1.
//
// Traditional syslog and journal times carry no year: year is used for
// every line (there is no rollover guessing, which a stream cannot do
// right), so a log that spans New Year has its December lines dated in
// the wrong year; a caller that knows the capture time should move a
// record dated after it back a year. These times are read in loc (the
// host's zone; nil means UTC). RFC 3339 times carry their own offset.
//
// Blank lines are skipped. A line that fails its format (a kmsg record
// without a valid header, a syslog or journal line without a time) is a
// problem and skipped; dmesg has no malformed lines. An unknown format is
// an error.
func Kernlog(r io.Reader, format string, year int, loc *time.Location, p *Problems, fn func(*model.KernelRecord)) error {
	if loc == nil {
		loc = time.UTC
	}
	kp := kernlogParser{year: year, loc: loc}
	var parse func(line []byte, rec *model.KernelRecord) (keep bool, msg string)
	switch format {
	case KernlogKmsg:
		parse = kp.kmsg
	case KernlogSyslog:
		parse = kp.syslog
	case KernlogJournal:
		kp.journal = true
		parse = kp.syslog
	case KernlogDmesg:
		parse = kp.dmesg
	default:
		return fmt.Errorf("unknown kernel log format %q", format)
	}
	source := ""
	if p != nil {
		source = p.File
	}
	lr := newLineReader(r, p)
	for {
		line, err := lr.next()
		if err != nil {
			return lr.done(err)
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		rec := &model.KernelRecord{Uptime: -1, Level: -1, Source: source, Line: lr.n}
		keep, msg := parse(line, rec)
		if msg != "" {
			p.Addf(lr.n, "%s", msg)
			continue
		}
		if keep {
			fn(rec)
		}
	}
}

// kernlogParser holds what the line parsers need besides the line.
type kernlogParser struct {
	year    int
	loc     *time.Location
	journal bool
}

// kmsg parses a /dev/kmsg record.
func (kp *kernlogParser) kmsg(line []byte, rec *model.KernelRecord) (bool, string) {
	if line[0] == ' ' {
		return false, "" // " SUBSYSTEM=net", " DEVICE=+..." dictionary lines
	}
	hdr, msg, ok := bytes.Cut(line, []byte(";"))
	if !ok {
		return false, "want \"PRIO,SEQ,USEC,FLAGS;message\""
	}
	prio, rest := cutComma(hdr)
	seq, rest := cutComma(rest)
	usec, _ := cutComma(rest)
	pv, ok1 := parseUint(prio)
	_, ok2 := parseUint(seq)
	uv, ok3 := parseUint(usec)
	if !ok1 || !ok2 || !ok3 || pv > 1023 || uv > 1<<53 {
		return false, "bad kmsg header " + quoteShort(string(hdr))
	}
	rec.Level = int(pv & 7)
	rec.Uptime = float64(uv) / 1e6
	rec.Text = unescapeKmsg(msg)
	return true, ""
}

// cutComma returns b up to the first comma and what follows it.
func cutComma(b []byte) (field, rest []byte) {
	field, rest, _ = bytes.Cut(b, []byte(","))
	return field, rest
}

// unescapeKmsg decodes the "\xNN" escapes /dev/kmsg uses for control
// bytes, bytes above 126 and the backslash itself.
func unescapeKmsg(b []byte) string {
	if bytes.IndexByte(b, '\\') < 0 {
		return string(b)
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+3 < len(b) && b[i+1] == 'x' {
			if v, ok := parseHex(b[i+2:i+4], 2); ok {
				out = append(out, byte(v))
				i += 3
				continue
			}
		}
		out = append(out, b[i])
	}
	return string(out)
}

// dmesg parses a line of dmesg output.
func (kp *kernlogParser) dmesg(line []byte, rec *model.KernelRecord) (bool, string) {
	s := line
	if lvl, rest, ok := cutPrioPrefix(s); ok {
		rec.Level, s = lvl, rest
	} else if lvl, rest, ok := cutDmesgDecode(s); ok {
		rec.Level, s = lvl, rest
	}
	if up, rest, ok := cutUptime(s); ok {
		rec.Uptime, s = up, cutCallerID(rest)
	} else if t, rest, ok := kp.cutCtime(s); ok {
		rec.Time, s = t, cutCallerID(rest)
	} else {
		rec.Text = string(s)
		return true, ""
	}
	s = bytes.TrimPrefix(s, []byte(" "))
	s = bytes.TrimPrefix(s, []byte("kernel: "))
	rec.Text = string(s)
	return true, ""
}

// cutPrioPrefix cuts a "<6>" syslog priority and returns its level.
func cutPrioPrefix(s []byte) (int, []byte, bool) {
	if len(s) < 3 || s[0] != '<' {
		return 0, s, false
	}
	end := bytes.IndexByte(s[:min(len(s), 6)], '>')
	if end < 2 {
		return 0, s, false
	}
	v, ok := parseUint(s[1:end])
	if !ok {
		return 0, s, false
	}
	return int(v & 7), s[end+1:], true
}

// syslogLevels are the syslog level names dmesg -x and rsyslog print.
var syslogLevels = map[string]int{
	"emerg": 0, "panic": 0, "alert": 1, "crit": 2, "err": 3, "error": 3,
	"warn": 4, "warning": 4, "notice": 5, "info": 6, "debug": 7,
}

// cutDmesgDecode cuts dmesg -x's "kern  :info  : " prefix.
func cutDmesgDecode(s []byte) (int, []byte, bool) {
	fac, rest, ok := bytes.Cut(s, []byte(":"))
	fac = bytes.TrimRight(fac, " ")
	if !ok || !syslogFacilities[string(fac)] {
		return 0, s, false
	}
	lvl, rest, ok := bytes.Cut(rest, []byte(":"))
	n, known := syslogLevels[string(bytes.TrimRight(lvl, " "))]
	if !ok || !known {
		return 0, s, false
	}
	return n, bytes.TrimPrefix(rest, []byte(" ")), true
}

// syslogFacilities are the facility names dmesg -x prints.
var syslogFacilities = map[string]bool{
	"kern": true, "user": true, "mail": true, "daemon": true, "auth": true, "syslog": true,
	"lpr": true, "news": true, "uucp": true, "cron": true, "authpriv": true, "ftp": true,
	"local0": true, "local1": true, "local2": true, "local3": true,
	"local4": true, "local5": true, "local6": true, "local7": true,
}

// cutUptime cuts a "[    1.234567]" or "[12345.678]" time since boot.
func cutUptime(s []byte) (float64, []byte, bool) {
	if len(s) < 3 || s[0] != '[' {
		return 0, s, false
	}
	end := bytes.IndexByte(s[:min(len(s), 32)], ']')
	if end < 0 {
		return 0, s, false
	}
	num := bytes.TrimLeft(s[1:end], " ")
	sec, frac, _ := bytes.Cut(num, []byte("."))
	iv, ok := parseUint(sec)
	if !ok || iv > 1<<40 {
		return 0, s, false
	}
	up := float64(iv)
	if len(frac) > 0 {
		fv, ok := parseUint(frac)
		if !ok || len(frac) > 9 {
			return 0, s, false
		}
		scale := 1.0
		for range frac {
			scale *= 10
		}
		up += float64(fv) / scale
	}
	return up, s[end+1:], true
}

// cutCallerID cuts a printk caller id, "[    C1]" or "[ T6753]", if s starts with one.
func cutCallerID(s []byte) []byte {
	if len(s) < 4 || s[0] != '[' {
		return s
	}
	end := bytes.IndexByte(s[:min(len(s), 16)], ']')
	if end < 0 {
		return s
	}
	id := bytes.TrimLeft(s[1:end], " ")
	if len(id) < 2 || id[0] != 'C' && id[0] != 'T' {
		return s
	}
	if _, ok := parseUint(id[1:]); !ok {
		return s
	}
	return s[end+1:]
}

// cutCtime cuts dmesg -T's "[Fri Nov 20 10:00:00 2026]".
func (kp *kernlogParser) cutCtime(s []byte) (time.Time, []byte, bool) {
	if len(s) < 20 || s[0] != '[' {
		return time.Time{}, s, false
	}
	end := bytes.IndexByte(s[:min(len(s), 40)], ']')
	if end < 0 {
		return time.Time{}, s, false
	}
	t, err := time.ParseInLocation("Mon Jan _2 15:04:05 2006", string(s[1:end]), kp.loc)
	if err != nil {
		return time.Time{}, s, false
	}
	return t, s[end+1:], true
}

// syslog parses a syslog or journalctl line.
func (kp *kernlogParser) syslog(line []byte, rec *model.KernelRecord) (bool, string) {
	if kp.journal {
		if bytes.HasPrefix(line, []byte("-- ")) && bytes.HasSuffix(line, []byte(" --")) || string(line) == "-- No entries --" {
			return false, ""
		}
		if line[0] == ' ' || line[0] == '\t' {
			rec.Text = string(bytes.TrimLeft(line, " \t"))
			return true, ""
		}
	}
	t, rest, ok := kp.cutSyslogTime(line)
	if !ok {
		return false, "want a syslog timestamp"
	}
	rec.Time = t
	kernel := false
	for range 3 {
		var tok []byte
		tok, rest = cutField(rest)
		if len(tok) == 0 {
			break
		}
		low := strings.ToLower(string(tok))
		if low == "kernel:" {
			kernel = true
			break
		}
		if strings.HasPrefix(low, "kernel[") {
			if !strings.HasSuffix(low, ":") {
				break // "kernel[1]" without the colon: not a tag
			}
			kernel = true
			break
		}
		if lvl, ok := syslogLevels[strings.TrimPrefix(low, "kern.")]; ok && strings.HasPrefix(low, "kern.") {
			rec.Level = lvl
			continue
		}
		if bytes.HasSuffix(tok, []byte(":")) || bytes.IndexByte(tok, '[') >= 0 {
			break // another program's tag
		}
	}
	if !kernel {
		return false, ""
	}
	rest = bytes.TrimPrefix(rest, []byte(" "))
	if up, after, ok := cutUptime(rest); ok {
		rec.Uptime = up
		rest = bytes.TrimPrefix(cutCallerID(after), []byte(" "))
	}
	rec.Text = string(rest)
	return true, ""
}

// syslogMonths maps lower-case month abbreviations to months.
var syslogMonths = map[string]time.Month{
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
	"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}

// cutSyslogTime cuts a traditional ("Mar  1 10:00:00[.123456]") or RFC
// 3339 time from the start of a syslog line.
func (kp *kernlogParser) cutSyslogTime(s []byte) (time.Time, []byte, bool) {
	if len(s) >= 19 && '0' <= s[0] && s[0] <= '9' {
		return kp.cutISOTime(s)
	}
	if len(s) < 15 {
		return time.Time{}, s, false
	}
	mon, ok := syslogMonths[strings.ToLower(string(s[:3]))]
	if !ok || s[3] != ' ' {
		return time.Time{}, s, false
	}
	rest := bytes.TrimLeft(s[4:], " ")
	day, rest := cutField(rest)
	d, ok := parseUint(day)
	if !ok || d < 1 || d > 31 || len(day) > 2 {
		return time.Time{}, s, false
	}
	clock, rest := cutField(rest)
	h, m, sec, ns, ok := parseClock(clock)
	if !ok {
		return time.Time{}, s, false
	}
	t := time.Date(kp.year, mon, int(d), h, m, sec, ns, kp.loc)
	if t.Month() != mon || t.Day() != int(d) {
		return time.Time{}, s, false // Feb 30, or Feb 29 outside a leap year
	}
	return t, rest, true
}

// cutISOTime cuts "2026-11-20T10:00:00.123456+00:00" (also "+0000", "Z",
// or "2026-11-20 10:00:00" in the parser's zone).
func (kp *kernlogParser) cutISOTime(s []byte) (time.Time, []byte, bool) {
	tok, rest := cutField(s)
	if len(tok) > 10 && tok[10] == 'T' {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700"} {
			if t, err := time.Parse(layout, string(tok)); err == nil {
				return t, rest, true
			}
		}
		return time.Time{}, s, false
	}
	clock, rest := cutField(rest)
	if len(tok) != 10 {
		return time.Time{}, s, false
	}
	date, err := time.ParseInLocation("2006-01-02", string(tok), kp.loc)
	h, m, sec, ns, ok := parseClock(clock)
	if err != nil || !ok {
		return time.Time{}, s, false
	}
	return time.Date(date.Year(), date.Month(), date.Day(), h, m, sec, ns, kp.loc), rest, true
}

// parseClock parses "15:04:05" with optional fractional seconds.
func parseClock(b []byte) (h, m, s, ns int, ok bool) {
	if len(b) < 8 || b[2] != ':' || b[5] != ':' {
		return 0, 0, 0, 0, false
	}
	hv, ok1 := parseUint(b[0:2])
	mv, ok2 := parseUint(b[3:5])
	sv, ok3 := parseUint(b[6:8])
	if !ok1 || !ok2 || !ok3 || hv > 23 || mv > 59 || sv > 60 {
		return 0, 0, 0, 0, false
	}
	frac := b[8:]
	if len(frac) > 0 {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return 0, 0, 0, 0, false
		}
		fv, ok := parseUint(frac[1:])
		if !ok {
			return 0, 0, 0, 0, false
		}
		for i := len(frac) - 1; i < 9; i++ {
			fv *= 10
		}
		ns = int(fv)
	}
	return int(hv), int(mv), int(sv), ns, true
}
