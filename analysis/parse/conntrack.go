package parse

import (
	"io"
	"math"
	"net/netip"

	"github.com/netsnap/netsnap/analysis/model"
)

// Conntrack reads /proc/net/nf_conntrack or the old /proc/net/ip_conntrack
// and calls fn for each entry. The two layouts are told apart per line:
//
//	ipv4     2 tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=80 src=10.0.0.2 dst=10.0.0.1 sport=80 dport=40000 [ASSURED] mark=0 zone=0 use=2
//	tcp      6 117 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=80 packets=6 bytes=480 src=10.0.0.2 dst=10.0.0.1 sport=80 dport=40000 packets=5 bytes=420 [ASSURED] mark=0 secmark=0 use=1
//
// The first src=, dst=, sport= and dport= are the original direction, the
// second ones the reply; other key=value fields (packets, bytes, mark,
// secmark, zone-orig, use, ...) and flags other than [ASSURED] and
// [UNREPLIED] are ignored. An entry offloaded to a flow table prints no
// timeout and gets 0. A line without both tuples or without the use=
// field every kernel prints last (as when the collector cut the file
// mid-line), with an address that is not of the line's family, or with a
// bad number is a problem and skipped.
//
// fn receives a pointer to an entry that Conntrack reuses: copy the value
// to keep it. Conntrack allocates nothing per entry (protocol and state
// names are interned), so a table of a million entries streams in
// constant memory.
func Conntrack(r io.Reader, p *Problems, fn func(*model.ConntrackEntry)) error {
	lr := newLineReader(r, p)
	e := new(model.ConntrackEntry)
	names := interner{}
	for {
		line, err := lr.next()
		if err != nil {
			return lr.done(err)
		}
		if f, _ := cutField(line); len(f) == 0 {
			continue
		}
		if msg := parseConntrackEntry(line, e, names); msg != "" {
			p.Addf(lr.n, "%s", msg)
			continue
		}
		fn(e)
	}
}

// parseConntrackEntry fills e from one line and returns "" or what is
// wrong.
func parseConntrackEntry(line []byte, e *model.ConntrackEntry, names interner) string {
	*e = model.ConntrackEntry{}
	t0, rest := cutField(line)
	t1, rest := cutField(rest)
	t2, after2 := cutField(rest)
	if _, ok := parseInt(t2); ok {
		// ip_conntrack: "tcp 6 117 ..."; t2 is the timeout, read below.
		if _, ok := parseUint(t1); !ok {
			return "bad protocol number"
		}
		e.L3, e.Proto = "ipv4", names.get(t0)
	} else {
		// nf_conntrack: "ipv4 2 tcp 6 117 ..."
		if _, ok := parseUint(t1); !ok {
			return "bad layer 3 protocol number"
		}
		t3, after3 := cutField(after2)
		if _, ok := parseUint(t3); !ok || len(t2) == 0 {
			return "bad layer 4 protocol"
		}
		e.L3, e.Proto = names.get(t0), names.get(t2)
		rest = after3
	}

	var nsrc, ndst, nsport, ndport int
	use := false // the use= field that ends every line was seen
	kv := false  // a key=value field was seen
	first := true
	for {
		f, next := cutField(rest)
		if len(f) == 0 {
			break
		}
		rest = next
		if first {
			first = false
			if t, ok := parseInt(f); ok {
				switch {
				case t < 0:
					t = 0 // old kernels: expired, timer not run yet
				case t > math.MaxUint32:
					return "bad timeout"
				}
				e.Timeout = uint32(t)
				continue
			}
		}
		if f[0] == '[' {
			switch string(f) {
			case "[ASSURED]":
				e.Assured = true
			case "[UNREPLIED]":
				e.Unreplied = true
			}
			continue
		}
		eq := 0
		for eq < len(f) && f[eq] != '=' {
			eq++
		}
		if eq == len(f) {
			if !kv && e.State == "" {
				e.State = names.get(f)
			}
			continue
		}
		kv = true
		key, val := f[:eq], f[eq+1:]
		switch string(key) {
		case "src", "dst":
			a, ok := parseAddr(val)
			if !ok {
				return "bad " + string(key) + " address" // allocates only on a bad line
			}
			n := &nsrc
			if key[0] == 'd' {
				n = &ndst
			}
			switch *n {
			case 0:
				if key[0] == 's' {
					e.Src = a
				} else {
					e.Dst = a
				}
			case 1:
				if key[0] == 's' {
					e.ReplySrc = a
				} else {
					e.ReplyDst = a
				}
			}
			*n++
		case "sport", "dport":
			v, ok := parseUint(val)
			if !ok || v > math.MaxUint16 {
				return "bad " + string(key)
			}
			n := &nsport
			if key[0] == 'd' {
				n = &ndport
			}
			switch {
			case *n == 0 && key[0] == 's':
				e.Sport = uint16(v)
			case *n == 0:
				e.Dport = uint16(v)
			case *n == 1 && key[0] == 's':
				e.ReplySport = uint16(v)
			case *n == 1:
				e.ReplyDport = uint16(v)
			}
			*n++
		case "use":
			use = true
		case "zone":
			v, ok := parseUint(val)
			if !ok || v > math.MaxUint16 {
				return "bad zone"
			}
			e.Zone = uint16(v)
		}
	}
	switch {
	case nsrc != 2 || ndst != 2:
		return "want two src= and dst= (original and reply)"
	case nsport != ndport || (nsport != 0 && nsport != 2):
		return "want sport= and dport= in both tuples or neither"
	case !use:
		return "no use= field: line cut short?"
	}
	var want4 bool
	switch e.L3 {
	case "ipv4":
		want4 = true
	case "ipv6":
	default:
		return ""
	}
	for _, a := range [...]netip.Addr{e.Src, e.Dst, e.ReplySrc, e.ReplyDst} {
		if a.Is4() != want4 {
			return "address family differs from " + e.L3
		}
	}
	return ""
}

// maxInterned bounds an interner, so that a hostile file cannot grow it.
const maxInterned = 256

// interner returns one string per distinct name, so that names taken
// from a line allocate once per file rather than once per line.
type interner map[string]string

func (in interner) get(b []byte) string {
	if s, ok := in[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(in) < maxInterned {
		in[s] = s
	}
	return s
}

// parseAddr reads an IPv4 or IPv6 address as netip.ParseAddr does (no
// zones), without allocating: "10.0.0.1", "fe80:0000:...:0001" as the
// kernel prints it (%pI6), or the compressed "fe80::1".
func parseAddr(b []byte) (netip.Addr, bool) {
	for _, c := range b {
		if c == ':' {
			return parseIPv6(b)
		}
	}
	a, ok := parseIPv4(b)
	if !ok {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(a), true
}

// parseIPv4 reads a dotted quad without leading zeros.
func parseIPv4(b []byte) ([4]byte, bool) {
	var ip [4]byte
	i, val, digits := 0, 0, 0
	for _, c := range b {
		switch {
		case '0' <= c && c <= '9':
			if digits == 1 && val == 0 {
				return ip, false // leading zero
			}
			val = val*10 + int(c-'0')
			digits++
			if val > 255 {
				return ip, false
			}
		case c == '.' && digits > 0 && i < 3:
			ip[i] = byte(val)
			i, val, digits = i+1, 0, 0
		default:
			return ip, false
		}
	}
	if i != 3 || digits == 0 {
		return ip, false
	}
	ip[3] = byte(val)
	return ip, true
}

// parseIPv6 reads an IPv6 address in any of the forms netip.ParseAddr
// accepts without a zone: full, "::"-compressed, with a dotted quad tail.
func parseIPv6(s []byte) (netip.Addr, bool) {
	var ip [16]byte
	ellipsis := -1 // position of "::"
	if len(s) >= 2 && s[0] == ':' && s[1] == ':' {
		ellipsis = 0
		s = s[2:]
		if len(s) == 0 {
			return netip.IPv6Unspecified(), true
		}
	}
	i := 0
	for i < 16 {
		off, acc := 0, 0
		for ; off < len(s); off++ {
			v := unhex(s[off])
			if v < 0 {
				break
			}
			if off > 3 {
				return netip.Addr{}, false // more than four digits
			}
			acc = acc<<4 | v
		}
		if off == 0 {
			return netip.Addr{}, false
		}
		if off < len(s) && s[off] == '.' {
			if (ellipsis < 0 && i != 12) || i+4 > 16 {
				return netip.Addr{}, false
			}
			ip4, ok := parseIPv4(s)
			if !ok {
				return netip.Addr{}, false
			}
			copy(ip[i:], ip4[:])
			i += 4
			s = s[len(s):]
			break
		}
		ip[i], ip[i+1] = byte(acc>>8), byte(acc)
		i += 2
		s = s[off:]
		if len(s) == 0 {
			break
		}
		if s[0] != ':' || len(s) == 1 {
			return netip.Addr{}, false
		}
		s = s[1:]
		if s[0] == ':' {
			if ellipsis >= 0 {
				return netip.Addr{}, false // second "::"
			}
			ellipsis = i
			s = s[1:]
			if len(s) == 0 {
				break
			}
		}
	}
	if len(s) != 0 {
		return netip.Addr{}, false
	}
	if i < 16 {
		if ellipsis < 0 {
			return netip.Addr{}, false
		}
		n := 16 - i
		for j := i - 1; j >= ellipsis; j-- {
			ip[j+n] = ip[j]
		}
		for j := ellipsis; j < ellipsis+n; j++ {
			ip[j] = 0
		}
	} else if ellipsis >= 0 {
		return netip.Addr{}, false // "::" must stand for at least one group
	}
	return netip.AddrFrom16(ip), true
}

// unhex returns the value of a hex digit, or -1.
func unhex(c byte) int {
	if d := hexVal[c]; d != 0xff {
		return int(d)
	}
	return -1
}
