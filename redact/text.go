package redact

import (
	"bytes"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// Character classes of the text scanner.
const (
	cDigit = 1 << iota
	cHex   // 0-9 a-f A-F
	cAlpha // a-z A-Z
	cWord  // letters, digits, "_": a candidate must not follow one
	cLabel // letters, digits, "-", "_": inside a host name
	cV6    // hex digits, ":", ".": inside an IPv6 address
)

var class [256]uint8

func init() {
	for c := 0; c < 256; c++ {
		var k uint8
		switch {
		case c >= '0' && c <= '9':
			k = cDigit | cHex | cWord | cLabel | cV6
		case c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
			k = cHex | cAlpha | cWord | cLabel | cV6
		case c >= 'g' && c <= 'z', c >= 'G' && c <= 'Z':
			k = cAlpha | cWord | cLabel
		case c == '_':
			k = cWord | cLabel
		case c == '-':
			k = cLabel
		case c == ':', c == '.':
			k = cV6
		}
		class[c] = k
	}
}

func is(c byte, k uint8) bool { return class[c]&k != 0 }

// rewriter replaces addresses and names in text. One rewriter serves one
// goroutine: it holds the address cache of its worker.
type rewriter struct {
	m       *Map
	c       *cache
	known   *nameIndex // names replaced wherever they stand (nil: none)
	reverse bool       // pseudonyms back to originals
	back    map[netip.Addr]netip.Addr
}

func newRewriter(m *Map, known *nameIndex) *rewriter {
	return &rewriter{m: m, c: newCache(m), known: known}
}

// done hands the addresses the rewriter met to the Map.
func (r *rewriter) done() {
	if !r.reverse {
		r.m.record(r.c)
		r.c = newCache(r.m)
	}
}

// addr maps an address (or, in reverse, looks its original up).
func (r *rewriter) addr(a netip.Addr) netip.Addr {
	if r.reverse {
		if o, ok := r.back[a.WithZone("").Unmap()]; ok {
			if a.Is4In6() {
				o = netip.AddrFrom16(o.As16())
			}
			return o.WithZone(a.Zone())
		}
		return a
	}
	return r.c.addr(a)
}

// name returns the pseudonym of a host name (or, in reverse, the original
// of a pseudonym).
func (r *rewriter) name(s string) string {
	if r.reverse {
		if a, err := netip.ParseAddr(unbracket(s)); err == nil {
			p := r.addr(a).String()
			if strings.HasPrefix(s, "[") {
				return "[" + p + "]"
			}
			return p
		}
		r.m.mu.Lock()
		o, ok := r.m.back[strings.ToLower(s)]
		r.m.mu.Unlock()
		if ok {
			return o
		}
		return s
	}
	return r.m.name1(s, r.c)
}

// hostPort maps "host", "host:port", "[v6]", "[v6]:port" or "unix:..."
// (as nginx's upstream server, listen and resolver write them).
func (r *rewriter) hostPort(s string) string {
	if s == "" || strings.HasPrefix(s, "unix:") || strings.ContainsAny(s, "$") {
		return r.textString(s)
	}
	if strings.HasPrefix(s, "[") {
		if i := strings.IndexByte(s, ']'); i > 0 {
			return r.name(s[:i+1]) + s[i+1:]
		}
		return r.textString(s)
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return r.name(s)
	}
	if _, err := strconv.ParseUint(s, 10, 16); err == nil {
		return s // a port alone
	}
	host, port, ok := strings.Cut(s, ":")
	if ok {
		if host == "*" || host == "" {
			return s
		}
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return r.textString(s)
		}
		return r.name(host) + ":" + port
	}
	if !hostLike(s) {
		return r.textString(s)
	}
	return r.name(s)
}

// hostLike reports whether s can be a host name (letters, digits, "-",
// "_", "."; not a number).
func hostLike(s string) bool {
	if s == "" || strings.HasPrefix(s, ".") && len(s) == 1 {
		return false
	}
	letters := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case is(c, cAlpha), c == '-', c == '_':
			letters = true
		case is(c, cDigit), c == '.':
		default:
			return false
		}
	}
	return letters
}

func (r *rewriter) textString(s string) string {
	return string(r.text(nil, []byte(s)))
}

// text appends src to dst with every address, URL host, syslog host field
// and known name replaced.
func (r *rewriter) text(dst, src []byte) []byte {
	for start := 0; start < len(src); {
		end := bytes.IndexByte(src[start:], '\n')
		if end < 0 {
			end = len(src)
		} else {
			end += start + 1
		}
		dst = r.line(dst, src, start, end)
		start = end
	}
	return dst
}

// line rewrites src[start:end], one line (with its newline, if any).
func (r *rewriter) line(dst, src []byte, start, end int) []byte {
	if hs, he, ok := syslogHost(src[start:end]); ok && (hostLike(string(src[start+hs:start+he])) || isAddr(string(src[start+hs:start+he]))) {
		dst = r.span(dst, src, start, start+hs)
		dst = r.put(dst, src, start+hs, start+he, end, r.name(string(src[start+hs:start+he])))
		return r.span(dst, src, start+he, end)
	}
	return r.span(dst, src, start, end)
}

// span appends src[from:to] with its addresses, URL hosts and known names
// replaced. Characters before from are only looked at, to tell where
// words start.
func (r *rewriter) span(dst, src []byte, from, to int) []byte {
	lit := from
	for i := from; i < to; {
		c := src[i]
		if class[c]&(cHex|cAlpha|cDigit) == 0 && c != ':' || i > 0 && is(src[i-1], cDigit|cAlpha) {
			i++
			continue
		}
		n, repl, ok := r.candidate(src, i, to)
		if !ok {
			// skip the rest of the word: nothing starts inside one
			for i++; i < to && is(src[i], cDigit|cAlpha); i++ {
			}
			continue
		}
		dst = append(dst, src[lit:i]...)
		var skip int
		dst, skip = r.align(dst, src, i, i+n, to, repl)
		i += n + skip
		lit = i
	}
	return append(dst, src[lit:to]...)
}

// put appends repl in place of src[from:to] (limit: the end of the
// line) and returns dst.
func (r *rewriter) put(dst, src []byte, from, to, limit int, repl string) []byte {
	dst, _ = r.align(dst, src, from, to, limit, repl)
	return dst
}

// align appends repl, which replaces src[from:to], keeping columns where
// the text is aligned with runs of blanks: a run of two or more blanks
// after the replacement (a left-aligned column), or before it (a
// right-aligned one), grows or shrinks by the difference in length, down
// to one blank. It returns how many blanks of src after to to skip.
func (r *rewriter) align(dst, src []byte, from, to, limit int, repl string) ([]byte, int) {
	delta := len(repl) - (to - from)
	if delta == 0 {
		return append(dst, repl...), 0
	}
	after := 0
	for to+after < limit && src[to+after] == ' ' {
		after++
	}
	if after >= 2 {
		dst = append(dst, repl...)
		if delta > 0 {
			return dst, min(delta, after-1)
		}
		return append(dst, strings.Repeat(" ", -delta)...), 0
	}
	before := 0
	for before < len(dst) && dst[len(dst)-1-before] == ' ' {
		before++
	}
	endsHere := to >= limit || src[to] == ' ' || src[to] == '\n' || src[to] == '\r'
	if before >= 2 && endsHere {
		if delta > 0 {
			dst = dst[:len(dst)-min(delta, before-1)]
		} else {
			dst = append(dst, strings.Repeat(" ", -delta)...)
		}
	}
	return append(dst, repl...), 0
}

// candidate looks at src[i:] (i starts a word) for an URL, an address or
// a known name, and returns its length and its replacement.
func (r *rewriter) candidate(src []byte, i, to int) (int, string, bool) {
	c := src[i]
	if is(c, cAlpha) {
		if n, repl, ok := r.url(src, i, to); ok {
			return n, repl, true
		}
	}
	prev := byte(' ')
	if i > 0 {
		prev = src[i-1]
	}
	if is(c, cHex) || c == ':' {
		if prev != '.' && prev != ':' {
			if n, repl, ok := r.ipv6(src, i, to); ok {
				return n, repl, true
			}
		}
	}
	if is(c, cDigit) && prev != '.' {
		if n, repl, ok := r.ipv4(src, i, to); ok {
			return n, repl, true
		}
	}
	if is(c, cDigit|cAlpha) {
		if r.reverse {
			return r.pseudonymAt(src, i, to)
		}
		if r.known != nil {
			if n, ok := r.known.match(src, i, to); ok {
				return n, r.name(string(src[i : i+n])), true
			}
		}
	}
	return 0, "", false
}

// ipv4 reads a dotted quad at src[i:], with an optional "/bits".
func (r *rewriter) ipv4(src []byte, i, to int) (int, string, bool) {
	j := i
	for j < to && (is(src[j], cDigit) || src[j] == '.') {
		j++
	}
	for j > i && src[j-1] == '.' {
		j--
	}
	if j < to && is(src[j], cWord) {
		return 0, "", false
	}
	v, ok := parseQuad(src[i:j])
	if !ok {
		return 0, "", false
	}
	a := netip.AddrFrom4(u32bytes(v))
	p := r.addr(a)
	// A network ("10.1.2.0/24"): the mapped prefix with the original host
	// bits, so a network address stays one.
	if n, bits, ok := prefixLen(src, j, to, 32); ok {
		pv := uint32FromAddr(p)
		mask := ^uint32(0) << (32 - bits)
		if bits == 0 {
			mask = 0
		}
		if !r.reverse || pv != v {
			p = netip.AddrFrom4(u32bytes(pv&mask | v&^mask))
		}
		return j - i + n, p.String() + string(src[j:j+n]), true
	}
	return j - i, p.String(), true
}

func uint32FromAddr(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// prefixLen reads "/N" (N <= max) at src[j:], not followed by a word
// character or a dot and digit.
func prefixLen(src []byte, j, to, max int) (n, bits int, ok bool) {
	if j >= to || src[j] != '/' {
		return 0, 0, false
	}
	k := j + 1
	for k < to && k-j <= 3 && is(src[k], cDigit) {
		bits = bits*10 + int(src[k]-'0')
		k++
	}
	if k == j+1 || bits > max || k < to && (is(src[k], cWord) || src[k] == '.') {
		return 0, 0, false
	}
	return k - j, bits, true
}

// parseQuad parses "a.b.c.d" (no leading zeros, as netip).
func parseQuad(b []byte) (uint32, bool) {
	var v uint32
	parts := 0
	for k := 0; k < len(b); {
		n, d := 0, 0
		for k < len(b) && b[k] != '.' {
			if !is(b[k], cDigit) || d == 3 || d > 0 && n == 0 {
				return 0, false
			}
			n = n*10 + int(b[k]-'0')
			d++
			k++
		}
		if d == 0 || n > 255 {
			return 0, false
		}
		v = v<<8 | uint32(n)
		parts++
		if k < len(b) {
			k++ // the dot
			if k == len(b) {
				return 0, false
			}
		}
	}
	return v, parts == 4
}

// ipv6 reads an IPv6 address at src[i:], with an optional zone and "/bits".
func (r *rewriter) ipv6(src []byte, i, to int) (int, string, bool) {
	j, colons := i, 0
	for j < to && is(src[j], cV6) {
		if src[j] == ':' {
			colons++
		}
		j++
	}
	if colons < 2 {
		return 0, "", false
	}
	for j > i && src[j-1] == '.' {
		j--
	}
	if j-i >= 2 && src[j-1] == ':' && src[j-2] != ':' {
		j--
	}
	text := src[i:j]
	if colons < 6 && !bytes.Contains(text, []byte("::")) {
		return 0, "", false // 09:41:21: without "::" an address has 7 colons (6 before a dotted quad)
	}
	if colons < 4 && !bytes.ContainsAny(text, "0123456789") {
		return 0, "", false // "a::b" (C++, Lua) rather than an address
	}
	zone := 0
	if j < to && src[j] == '%' {
		k := j + 1
		for k < to && (is(src[k], cLabel) || src[k] == '.') {
			k++
		}
		if k > j+1 {
			zone = k - j
		}
	}
	end := j + zone
	if end < to && is(src[end], cWord) {
		return 0, "", false
	}
	a, err := netip.ParseAddr(string(text))
	if err != nil || !a.Is6() {
		return 0, "", false
	}
	p := r.addr(a)
	if p == a {
		return 0, "", false // unchanged (::1, ff02::1): keep it as written
	}
	out := format6(text, p)
	if zone > 0 {
		out += string(src[j:end])
	}
	if n, bits, ok := prefixLen(src, end, to, 128); ok {
		if q, err := p.Prefix(bits); err == nil {
			host := a.As16()
			pb := q.Addr().As16()
			for k := bits / 8; k < 16; k++ {
				keep := byte(0xff)
				if k == bits/8 {
					keep = byte(0xff) >> (bits % 8)
				}
				pb[k] = pb[k]&^keep | host[k]&keep
			}
			out = format6(text, netip.AddrFrom16(pb))
			if zone > 0 {
				out += string(src[j:end])
			}
		}
		return end - i + n, out + string(src[end:end+n]), true
	}
	return end - i, out, true
}

// format6 writes a like orig was written: fully expanded
// ("2001:0db8:0000:...", as nf_conntrack prints) or compressed, in upper
// case if orig was.
func format6(orig []byte, a netip.Addr) string {
	var s string
	if len(orig) == 39 && bytes.Count(orig, []byte{':'}) == 7 {
		b := a.As16()
		var x strings.Builder
		for k := 0; k < 16; k += 2 {
			if k > 0 {
				x.WriteByte(':')
			}
			x.WriteString(hex4(uint16(b[k])<<8 | uint16(b[k+1])))
		}
		s = x.String()
	} else {
		s = a.WithZone("").String()
		if a.Is4In6() && !bytes.Contains(orig, []byte{'.'}) {
			b := a.As16()
			s = "::ffff:" + strconv.FormatUint(uint64(b[12])<<8|uint64(b[13]), 16) + ":" + strconv.FormatUint(uint64(b[14])<<8|uint64(b[15]), 16)
		}
	}
	if bytes.ContainsAny(orig, "ABCDEF") && !bytes.ContainsAny(orig, "abcdef") {
		s = strings.ToUpper(s)
	}
	return s
}

func hex4(v uint16) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[v>>12], digits[v>>8&15], digits[v>>4&15], digits[v&15]})
}

// urlSchemes are the schemes whose host is rewritten.
var urlSchemes = map[string]bool{
	"http": true, "https": true, "grpc": true, "grpcs": true, "ws": true, "wss": true,
	"ftp": true, "ldap": true, "ldaps": true, "redis": true, "mysql": true, "postgres": true,
	"postgresql": true, "mongodb": true, "amqp": true, "amqps": true, "kafka": true, "tcp": true,
	"udp": true, "memcache": true, "smtp": true, "uwsgi": true, "fastcgi": true, "scgi": true,
}

// url reads "scheme://host" at src[i:] and returns it with the host
// replaced (the port and path are scanned as ordinary text).
func (r *rewriter) url(src []byte, i, to int) (int, string, bool) {
	j := i
	for j < to && j-i <= 12 && is(src[j], cAlpha) {
		j++
	}
	if j+3 > to || string(src[j:j+3]) != "://" || !urlSchemes[strings.ToLower(string(src[i:j]))] {
		return 0, "", false
	}
	h := j + 3
	if h < to && src[h] == '[' {
		k := bytes.IndexByte(src[h:to], ']')
		if k < 0 {
			return 0, "", false
		}
		a, err := netip.ParseAddr(string(src[h+1 : h+k]))
		if err != nil {
			return 0, "", false
		}
		return h + k + 1 - i, string(src[i:h]) + "[" + r.addr(a).String() + "]", true
	}
	k := h
	for k < to && (is(src[k], cLabel) || src[k] == '.') {
		k++
	}
	for k > h && src[k-1] == '.' {
		k--
	}
	if k == h || k < to && (src[k] == '@' || src[k] == '$') {
		return 0, "", false // userinfo, a variable: left to the scanner
	}
	host := string(src[h:k])
	if v, ok := parseQuad(src[h:k]); ok {
		return k - i, string(src[i:h]) + r.addr(netip.AddrFrom4(u32bytes(v))).String(), true
	}
	if !hostLike(host) {
		return 0, "", false
	}
	return k - i, string(src[i:h]) + r.name(host), true
}

// pseudonymAt reads a name pseudonym at src[i:] (reverse mode).
func (r *rewriter) pseudonymAt(src []byte, i, to int) (int, string, bool) {
	if to-i < 11 || !bytes.EqualFold(src[i:i+5], []byte("host-")) {
		return 0, "", false
	}
	k := i
	for k < to && (is(src[k], cLabel) || src[k] == '.') {
		k++
	}
	// the longest run of labels that is a known pseudonym
	for e := k; e > i; e-- {
		if e < k && src[e] != '.' {
			continue
		}
		if o := r.name(string(src[i:e])); !strings.EqualFold(o, string(src[i:e])) {
			return e - i, o, true
		}
	}
	return 0, "", false
}

// syslogHost finds the host field of a syslog line ("Mar  1 09:41:21 HOST
// tag: ...", "2026-11-20T10:00:00.123+00:00 HOST tag: ...", journalctl's
// "Nov 20 10:00:00.123456 HOST kernel: ...") and returns its bounds.
func syslogHost(line []byte) (int, int, bool) {
	i, ok := syslogTime(line)
	if !ok || i >= len(line) || line[i] != ' ' {
		return 0, 0, false
	}
	i++
	hs := i
	for i < len(line) && line[i] != ' ' && line[i] != '\n' {
		i++
	}
	he := i
	if he == hs || he-hs > 255 || i >= len(line) || line[i] != ' ' {
		return 0, 0, false
	}
	// a tag ("kernel:", "sshd[123]:") must follow
	rest := line[i+1:]
	sp := bytes.IndexByte(rest, ' ')
	if sp < 0 {
		sp = len(rest)
	}
	if sp == 0 || bytes.IndexByte(rest[:sp], ':') < 0 {
		return 0, 0, false
	}
	return hs, he, true
}

var months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// syslogTime returns the length of a syslog timestamp at the start of line.
func syslogTime(l []byte) (int, bool) {
	digits := func(i, n int) bool {
		if i+n > len(l) {
			return false
		}
		for _, c := range l[i : i+n] {
			if !is(c, cDigit) {
				return false
			}
		}
		return true
	}
	frac := func(i int) int {
		if i < len(l) && l[i] == '.' {
			i++
			for i < len(l) && is(l[i], cDigit) {
				i++
			}
		}
		return i
	}
	if len(l) >= 15 && l[3] == ' ' {
		for _, m := range months {
			if string(l[:3]) != m {
				continue
			}
			if !(l[4] == ' ' || is(l[4], cDigit)) || !is(l[5], cDigit) || l[6] != ' ' ||
				!digits(7, 2) || l[9] != ':' || !digits(10, 2) || l[12] != ':' || !digits(13, 2) {
				return 0, false
			}
			return frac(15), true
		}
		return 0, false
	}
	// RFC 3339: 2026-11-20T10:00:00[.frac](Z|+hh:mm)
	if !digits(0, 4) || len(l) < 19 || l[4] != '-' || !digits(5, 2) || l[7] != '-' || !digits(8, 2) ||
		l[10] != 'T' || !digits(11, 2) || l[13] != ':' || !digits(14, 2) || l[16] != ':' || !digits(17, 2) {
		return 0, false
	}
	i := frac(19)
	switch {
	case i < len(l) && l[i] == 'Z':
		i++
	case i+6 <= len(l) && (l[i] == '+' || l[i] == '-') && digits(i+1, 2) && l[i+3] == ':' && digits(i+4, 2):
		i += 6
	}
	return i, true
}

// nameIndex finds known names in text: the host's own names and every
// distinctive name met in a structured place, matched without case where
// no letter or digit touches them ("ip-10-0-0-1_access.log" holds the
// name ip-10-0-0-1).
type nameIndex struct {
	byPrefix map[[2]byte][]string // lower-case names by their first two bytes, longest first
}

func newNameIndex(names []string) *nameIndex {
	x := &nameIndex{byPrefix: map[[2]byte][]string{}}
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.ToLower(strings.TrimSuffix(n, "."))
		if len(n) < 2 || seen[n] || wellKnown(n) || !is(n[0], cDigit|cAlpha) || !is(n[len(n)-1], cDigit|cAlpha) {
			continue
		}
		seen[n] = true
		k := [2]byte{n[0], n[1]}
		x.byPrefix[k] = append(x.byPrefix[k], n)
	}
	for _, l := range x.byPrefix {
		sort.Slice(l, func(i, j int) bool { return len(l[i]) > len(l[j]) || len(l[i]) == len(l[j]) && l[i] < l[j] })
	}
	return x
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// match returns the length of the longest known name at src[i:].
func (x *nameIndex) match(src []byte, i, to int) (int, bool) {
	if i+1 >= to || len(x.byPrefix) == 0 {
		return 0, false
	}
	for _, n := range x.byPrefix[[2]byte{lower(src[i]), lower(src[i+1])}] {
		e := i + len(n)
		if e > to || !bytes.EqualFold(src[i:e], []byte(n)) {
			continue
		}
		if e < to && is(src[e], cDigit|cAlpha) {
			continue
		}
		return len(n), true
	}
	return 0, false
}
