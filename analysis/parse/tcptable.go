package parse

import (
	"bytes"
	"io"
	"net/netip"

	"github.com/netsnap/netsnap/analysis/model"
)

// TCPTableHeader starts the header line of netsnap's socket table
// (netsnap/tcp.txt in a sample), whatever its version.
const TCPTableHeader = "# netsnap tcp v"

// TCPTable reads netsnap's socket table: the TCP sockets of a
// NETLINK_SOCK_DIAG dump written as text, one tab-separated line per
// socket (the format is documented in package
// snapshot/collect/sockdiag):
//
//	state local remote recv_q send_q timer expires_ms retrans uid inode
//
// It fills the same Socket as [TCP] does for /proc/net/tcp rows, so that
// both feed one aggregation: retrans goes to Retransmits for the
// retransmit timer and to Timeout (unanswered probes) for the keepalive
// and zero-window timers, expires_ms to TimerMS, and a listener's send_q
// (its maximum backlog) to TxQueue. A header of another version than 1
// is a problem and the rest of the file is not read. TCPTable
// allocates nothing per row.
func TCPTable(r io.Reader, p *Problems, fn func(*model.Socket)) error {
	lr := newLineReader(r, p)
	s := new(model.Socket)
	for {
		line, err := lr.next()
		if err != nil {
			return lr.done(err)
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1] // a copy that went through Windows
		}
		if len(line) == 0 {
			continue
		}
		if line[0] == '#' {
			if v, ok := bytes.CutPrefix(line, []byte(TCPTableHeader)); ok {
				ver, _, _ := bytes.Cut(v, []byte{' '})
				if string(ver) != "1" {
					p.Addf(lr.n, "socket table format version %q, this netanalyze reads version 1", ver)
					return nil
				}
			}
			continue
		}
		if msg := parseTableRow(line, s); msg != "" {
			p.Addf(lr.n, "%s", msg)
			continue
		}
		fn(s)
	}
}

// tableState returns the state named b, or 0. A switch on the name's
// length and a byte or two, then one comparison: cheaper than hashing it.
func tableState(b []byte) model.TCPState {
	var st model.TCPState
	switch len(b) {
	case 11:
		if b[0] == 'E' {
			st = model.Established
		}
	case 8:
		switch {
		case b[0] == 'L':
			st = model.LastAck
		case b[4] == 'S':
			st = model.SynSent
		default:
			st = model.SynRecv
		}
	case 9:
		switch b[0] {
		case 'F':
			st = model.FinWait1
			if b[8] == '2' {
				st = model.FinWait2
			}
		case 'T':
			st = model.TimeWait
		}
	case 5:
		st = model.Close
	case 10:
		st = model.CloseWait
	case 7:
		st = model.Closing
	case 6:
		st = model.Listen
	case 12:
		st = model.NewSynRecv
	}
	if st == 0 || string(b) != st.String() {
		return 0
	}
	return st
}

const errTableFields = "want 10 tab-separated fields: state local remote recv_q send_q timer expires_ms retrans uid inode"

// parseTableRow fills s from one socket table line and returns "" or what
// is wrong (a constant: no allocation until Problems formats it).
func parseTableRow(line []byte, s *model.Socket) string {
	// One pass over the line: the tab count first (so that a line with a
	// field too many or too few says so), then each field from a cursor.
	if bytes.Count(line, []byte{'\t'}) != 9 {
		return errTableFields
	}
	i := bytes.IndexByte(line, '\t')
	st := tableState(line[:i])
	if st == 0 {
		return "unknown state"
	}
	rest := line[i+1:]
	local, rest, ok := cutEndpoint(rest)
	if !ok {
		return "bad local address"
	}
	remote, rest, ok := cutEndpoint(rest)
	if !ok {
		return "bad remote address"
	}
	if local.Addr().Is4() != remote.Addr().Is4() {
		return "local and remote addresses of different families"
	}
	var v [7]uint64
	for k := range v {
		v[k], rest, ok = cutDecimal(rest, tableLimits[k])
		if !ok {
			return tableFieldErrs[k]
		}
	}
	*s = model.Socket{
		Local:   local,
		Remote:  remote,
		State:   st,
		RxQueue: uint32(v[0]),
		TxQueue: uint32(v[1]),
		Timer:   uint8(v[2]),
		TimerMS: uint32(v[3]),
		UID:     uint32(v[5]),
		Inode:   v[6],
	}
	switch s.Timer {
	case 2, 4: // keepalive, zero window probe: idiag_retrans counts probes
		s.Timeout = uint32(v[4])
	default:
		s.Retransmits = uint32(v[4])
	}
	return ""
}

// tableLimits are the largest values of the numeric columns.
var tableLimits = [7]uint64{1<<32 - 1, 1<<32 - 1, 255, 1<<32 - 1, 255, 1<<32 - 1, 1<<32 - 1}

// cutDecimal reads a decimal number up to max from the start of b, ended by
// a tab or the end of b, and returns the rest after the tab.
func cutDecimal(b []byte, max uint64) (v uint64, rest []byte, ok bool) {
	i := 0
	for ; i < len(b) && b[i] != '\t'; i++ {
		c := b[i] - '0'
		if c > 9 || i >= 10 {
			return 0, nil, false
		}
		v = v*10 + uint64(c)
	}
	if i == 0 || v > max {
		return 0, nil, false
	}
	if i < len(b) {
		i++ // the tab
	}
	return v, b[i:], true
}

// cutEndpoint reads "a.b.c.d:port" or "[v6]:port" from the start of b,
// ended by a tab, without allocating, and returns the rest after the tab.
// IPv4, the common case, is read in one pass.
func cutEndpoint(b []byte) (netip.AddrPort, []byte, bool) {
	if len(b) == 0 || b[0] == '[' {
		end := bytes.IndexByte(b, '\t')
		if end < 0 {
			return netip.AddrPort{}, nil, false
		}
		ap, ok := parseEndpoint(b[:end])
		return ap, b[end+1:], ok
	}
	var q [4]byte
	i := 0
	for part := 0; part < 4; part++ {
		start, v := i, uint(0)
		for i < len(b) {
			c := uint(b[i]) - '0'
			if c > 9 {
				break
			}
			v = v*10 + c
			i++
		}
		sep := byte('.')
		if part == 3 {
			sep = ':'
		}
		if n := i - start; n == 0 || n > 3 || v > 255 || (n > 1 && b[start] == '0') || i >= len(b) || b[i] != sep {
			return netip.AddrPort{}, nil, false
		}
		q[part] = byte(v)
		i++
	}
	start, port := i, uint(0)
	for i < len(b) && b[i] != '\t' {
		c := uint(b[i]) - '0'
		if c > 9 || i-start >= 5 {
			return netip.AddrPort{}, nil, false
		}
		port = port*10 + c
		i++
	}
	if i == start || port > 65535 || i >= len(b) {
		return netip.AddrPort{}, nil, false
	}
	return netip.AddrPortFrom(netip.AddrFrom4(q), uint16(port)), b[i+1:], true
}

// parseEndpoint reads "a.b.c.d:port" or "[v6]:port" without allocating
// (cutEndpoint reads IPv4, the common case, in one pass of its own).
func parseEndpoint(b []byte) (netip.AddrPort, bool) {
	i := bytes.LastIndexByte(b, ':')
	if i < 0 {
		return netip.AddrPort{}, false
	}
	port, ok := parseUint(b[i+1:])
	if !ok || port > 65535 {
		return netip.AddrPort{}, false
	}
	host := b[:i]
	if len(host) == 0 || host[0] != '[' {
		q, ok := parseIPv4(host)
		return netip.AddrPortFrom(netip.AddrFrom4(q), uint16(port)), ok
	}
	if len(host) < 2 || host[len(host)-1] != ']' {
		return netip.AddrPort{}, false
	}
	host = host[1 : len(host)-1]
	if len(host) == 0 || bytes.IndexByte(host, '%') >= 0 || bytes.IndexByte(host, ':') < 0 {
		return netip.AddrPort{}, false // zones are never written; "[1.2.3.4]" is not IPv6
	}
	a, ok := parseIPv6(host)
	if !ok {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(a, uint16(port)), true
}

var tableFieldErrs = [7]string{"bad recv_q", "bad send_q", "bad timer", "bad expires_ms", "bad retrans", "bad uid", "bad inode"}
