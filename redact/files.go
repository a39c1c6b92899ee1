package redact

import (
	"bytes"
	"net/netip"
)

// nginxLog rewrites one line of an nginx error log: as text, and with the
// "server: NAME" and `host: "NAME"` fields taken as names (so a Host
// header without a dot, "proxy", is replaced too).
func (r *rewriter) nginxLog(dst, line []byte) []byte {
	type field struct{ from, to int }
	var fields []field
	if i := bytes.Index(line, []byte(", server: ")); i >= 0 {
		from := i + len(", server: ")
		to := from
		for to < len(line) && line[to] != ',' && line[to] != '\n' && line[to] != '\r' {
			to++
		}
		fields = append(fields, field{from, to})
	}
	if i := bytes.Index(line, []byte(`, host: "`)); i >= 0 {
		from := i + len(`, host: "`)
		if to := bytes.IndexByte(line[from:], '"'); to >= 0 {
			fields = append(fields, field{from, from + to})
		}
	}
	end := len(line)
	at := 0
	for _, f := range fields {
		if f.from < at {
			continue
		}
		dst = r.span(dst, line, at, f.from)
		v := string(line[f.from:f.to])
		dst = r.put(dst, line, f.from, f.to, end, r.hostPort(v))
		at = f.to
	}
	return r.span(dst, line, at, end)
}

// hostsFile rewrites /etc/hosts: the address, then names, then an
// optional comment.
func (r *rewriter) hostsFile(dst, line []byte) []byte {
	body, comment := line, []byte(nil)
	if i := bytes.IndexByte(line, '#'); i >= 0 {
		body, comment = line[:i], line[i:]
	}
	dst = r.fieldsAsNames(dst, body, 0)
	return r.text(dst, comment)
}

// fieldsAsNames rewrites the blank-separated fields of line: those from
// index first on are names (addresses are mapped as addresses), the
// others go through the text scanner.
func (r *rewriter) fieldsAsNames(dst, line []byte, first int) []byte {
	col := 0
	for i := 0; i < len(line); {
		if isBlank(line[i]) {
			dst = append(dst, line[i])
			i++
			continue
		}
		j := i
		for j < len(line) && !isBlank(line[j]) {
			j++
		}
		w := string(line[i:j])
		if col >= first && (hostLike(w) || isAddr(w)) {
			dst, _ = r.align(dst, line, i, j, len(line), r.name(w))
		} else {
			dst = r.span(dst, line, i, j)
		}
		col++
		i = j
	}
	return dst
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// resolvConf rewrites resolv.conf: the domains of "search" and "domain"
// are names; the rest (nameserver addresses) is text.
func (r *rewriter) resolvConf(dst, line []byte) []byte {
	t := bytes.TrimLeft(line, " \t")
	if bytes.HasPrefix(t, []byte("search")) || bytes.HasPrefix(t, []byte("domain")) {
		body, comment := line, []byte(nil)
		if i := bytes.IndexAny(line, "#;"); i >= 0 {
			body, comment = line[:i], line[i:]
		}
		dst = r.fieldsAsNames(dst, body, 1)
		return r.text(dst, comment)
	}
	return r.text(dst, line)
}

// hostnameFile rewrites a file holding a host or domain name alone
// (/proc/sys/kernel/hostname, /etc/hostname, /etc/mailname).
func (r *rewriter) hostnameFile(dst, line []byte) []byte {
	return r.fieldsAsNames(dst, line, 0)
}

func isAddr(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}
