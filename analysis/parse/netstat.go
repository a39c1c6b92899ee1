package parse

import (
	"io"

	"github.com/netsnap/netsnap/analysis/model"
)

// Counters reads /proc/net/netstat or /proc/net/snmp: pairs of lines, a
// header naming a group's counters ("TcpExt: SyncookiesSent ...") and a
// line of their values ("TcpExt: 0 ..."). A header without values, values
// without a header and a pair whose counts differ are problems and skipped;
// a value that is not a decimal integer is a problem and only that counter
// is left out. A group seen twice is merged, the later value winning.
func Counters(r io.Reader, p *Problems) (model.Counters, error) {
	lr := newLineReader(r, p)
	c := model.Counters{}
	var (
		group     []byte   // pending header's group; nil when none
		names     [][]byte // its names, reused
		groupLine int
		buf       []byte // copy of the pending header line
	)
	for {
		line, err := lr.next()
		if err != nil {
			if group != nil {
				p.Addf(groupLine, "%s header without a values line", group)
			}
			return c, lr.done(err)
		}
		g, rest, ok := cutGroup(line)
		if !ok {
			if len(g) > 0 {
				p.Addf(lr.n, "want \"Group: ...\"")
			}
			continue
		}
		if group != nil && string(g) == string(group) {
			addCounters(c, p, lr.n, group, names, rest)
			group = nil
			continue
		}
		if group != nil {
			p.Addf(groupLine, "%s header without a values line", group)
		}
		// A header: keep a copy, as the next line overwrites the buffer.
		buf = append(buf[:0], line...)
		g, rest, _ = cutGroup(buf)
		group, groupLine, names = g, lr.n, names[:0]
		for {
			var f []byte
			f, rest = cutField(rest)
			if len(f) == 0 {
				break
			}
			names = append(names, f)
		}
		if len(names) == 0 {
			p.Addf(lr.n, "%s header names no counters", group)
			group = nil
		}
	}
}

// cutGroup splits "TcpExt: rest" into its group and the rest. ok is false
// when the line has no "Group:" first field; g is then that field (empty
// for a blank line).
func cutGroup(line []byte) (g, rest []byte, ok bool) {
	g, rest = cutField(line)
	if len(g) < 2 || g[len(g)-1] != ':' {
		return g, rest, false
	}
	return g[:len(g)-1], rest, true
}

// addCounters stores one values line under group.
func addCounters(c model.Counters, p *Problems, line int, group []byte, names [][]byte, values []byte) {
	var vals [][]byte
	for {
		f, rest := cutField(values)
		if len(f) == 0 {
			break
		}
		vals, values = append(vals, f), rest
	}
	if len(vals) != len(names) {
		p.Addf(line, "%s: %d values for %d names", group, len(vals), len(names))
		return
	}
	reported := false
	for i, f := range vals {
		v, ok := parseInt(f)
		if !ok {
			if !reported {
				p.Addf(line, "%s %s: bad value %q", group, names[i], f)
				reported = true
			}
			continue
		}
		m := c[string(group)]
		if m == nil {
			m = make(map[string]int64, len(names))
			c[string(group)] = m
		}
		m[string(names[i])] = v
	}
}
