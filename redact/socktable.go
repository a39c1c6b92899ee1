package redact

import (
	"bytes"
	"net/netip"
)

// sockText rewrites one line of netsnap's tab-separated socket tables
// (netsnap/tcp.txt: "state local remote ..."; netsnap/listeners.txt:
// "family local ..."): the address fields, written as netip.AddrPort
// ("10.0.0.1:80", "[2001:db8::1]:443", "[::ffff:10.0.0.1]:80"), get their
// pseudonyms and every other field stays. fields lists the 0-based columns
// holding addresses. A line that is not such a row (the "#" header, or a
// damaged line) goes through the text scanner instead.
func (r *rewriter) sockText(dst, line []byte, fields ...int) []byte {
	if len(line) == 0 || line[0] == '#' {
		return r.text(dst, line)
	}
	start := len(dst)
	col, from := 0, 0
	next := 0
	for i := 0; i <= len(line); i++ {
		if i < len(line) && line[i] != '\t' && line[i] != '\n' {
			continue
		}
		if next < len(fields) && col == fields[next] {
			next++
			var ok bool
			if dst, ok = r.addrPort(dst, line[from:i]); !ok {
				return r.text(dst[:start], line)
			}
		} else {
			dst = append(dst, line[from:i]...)
		}
		if i < len(line) {
			dst = append(dst, line[i])
		}
		col++
		from = i + 1
	}
	if next < len(fields) {
		return r.text(dst[:start], line)
	}
	return dst
}

// addrPort appends the pseudonym of "a.b.c.d:port" or "[v6]:port".
func (r *rewriter) addrPort(dst, f []byte) ([]byte, bool) {
	c := bytes.LastIndexByte(f, ':')
	if c < 0 {
		return dst, false
	}
	host, port := f[:c], f[c:]
	if len(host) > 2 && host[0] == '[' && host[len(host)-1] == ']' {
		a, err := netip.ParseAddr(string(host[1 : len(host)-1]))
		if err != nil || a.Zone() != "" {
			return dst, false
		}
		dst = append(dst, '[')
		dst = r.addr(a).AppendTo(dst)
		dst = append(dst, ']')
		return append(dst, port...), true
	}
	v, ok := parseQuad(host)
	if !ok {
		return dst, false
	}
	var p uint32
	if r.reverse {
		p = uint32FromAddr(r.addr(addrFrom4(v)))
	} else {
		p = r.c.map4(v)
	}
	dst = appendQuad(dst, p)
	return append(dst, port...), true
}

func appendQuad(dst []byte, v uint32) []byte {
	for k := 3; k >= 0; k-- {
		b := byte(v >> (8 * k))
		switch {
		case b >= 100:
			dst = append(dst, '0'+b/100, '0'+b/10%10, '0'+b%10)
		case b >= 10:
			dst = append(dst, '0'+b/10, '0'+b%10)
		default:
			dst = append(dst, '0'+b)
		}
		if k > 0 {
			dst = append(dst, '.')
		}
	}
	return dst
}
