package parse

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/netip"

	"github.com/netsnap/netsnap/analysis/model"
)

// TCP reads /proc/net/tcp, tcp6, udp or udp6 (and udplite, which shares
// the layout) and calls fn for each socket row. Header lines ("sl
// local_address ...") are skipped wherever they appear, so concatenated
// tables parse too; IPv4 and IPv6 rows are told apart per line.
//
// fn receives a pointer to a Socket that TCP reuses for every row: copy
// the value to keep it. TCP allocates nothing per row, so a table of a
// million sockets streams in constant memory.
//
// The kernel prints each 32-bit word of an address in host byte order
// (%08X). TCP assumes a little-endian host (x86_64, arm64, and nearly
// every Linux host today): "0100007F" is 127.0.0.1, and an IPv6 address
// is four such words. Ports are plain hex. Columns after inode (ref,
// pointer, drops, congestion details) differ between kernels and are
// ignored.
func TCP(r io.Reader, p *Problems, fn func(*model.Socket)) error {
	lr := newLineReader(r, p)
	s := new(model.Socket)
	for {
		line, err := lr.next()
		if err != nil {
			return lr.done(err)
		}
		first, _ := cutField(line)
		if len(first) == 0 || string(first) == "sl" {
			continue // blank or header
		}
		if msg := parseSocket(line, s); msg != "" {
			p.Addf(lr.n, "%s", msg)
			continue
		}
		fn(s)
	}
}

// parseSocket fills s from one table row and returns "" or what is wrong.
// The messages are constants, so a malformed line costs no allocation
// until Problems formats it.
func parseSocket(line []byte, s *model.Socket) string {
	sl, rest := cutField(line)
	if len(sl) < 2 || sl[len(sl)-1] != ':' {
		return "bad slot number, want \"N:\""
	}
	f, rest := cutField(rest)
	local, ok := parseHexAddrPort(f)
	if !ok {
		return "bad local address"
	}
	f, rest = cutField(rest)
	remote, ok := parseHexAddrPort(f)
	if !ok {
		return "bad remote address"
	}
	if local.Addr().Is4() != remote.Addr().Is4() {
		return "local and remote addresses of different families"
	}
	f, rest = cutField(rest)
	st, ok := parseHex(f, 2)
	if !ok {
		return "bad state"
	}
	f, rest = cutField(rest)
	tx, rx, ok := cutHexPair(f, 8, 8)
	if !ok {
		return "bad tx_queue:rx_queue"
	}
	f, rest = cutField(rest)
	tr, when, ok := cutHexPair(f, 2, 16)
	if !ok {
		return "bad tr:tm->when"
	}
	if when > math.MaxUint32/10 {
		when = 0 // a negative delta (overdue timer) printed as unsigned long
	}
	f, rest = cutField(rest)
	retr, ok := parseHex(f, 8)
	if !ok {
		return "bad retrnsmt"
	}
	f, rest = cutField(rest)
	uid, ok := parseInt32Bits(f)
	if !ok {
		return "bad uid"
	}
	f, rest = cutField(rest)
	timeout, ok := parseInt32Bits(f)
	if !ok {
		return "bad timeout"
	}
	f, _ = cutField(rest)
	inode, ok := parseUint(f)
	if !ok {
		return "bad or missing inode"
	}
	*s = model.Socket{
		Local:       local,
		Remote:      remote,
		State:       model.TCPState(st),
		TxQueue:     uint32(tx),
		RxQueue:     uint32(rx),
		Timer:       uint8(tr),
		TimerMS:     uint32(when) * 10, // clock ticks of 10 ms (USER_HZ 100)
		Retransmits: uint32(retr),
		UID:         uid,
		Timeout:     timeout,
		Inode:       inode,
	}
	return ""
}

// parseHexAddrPort reads "0100007F:0016" (IPv4) or 32 hex digits and a
// port (IPv6), each 32-bit word in little-endian host order.
func parseHexAddrPort(b []byte) (netip.AddrPort, bool) {
	var addr netip.Addr
	switch {
	case len(b) > 9 && b[8] == ':':
		w, ok := parseHex(b[:8], 8)
		if !ok {
			return netip.AddrPort{}, false
		}
		addr = netip.AddrFrom4([4]byte{byte(w), byte(w >> 8), byte(w >> 16), byte(w >> 24)})
		b = b[9:]
	case len(b) > 33 && b[32] == ':':
		var a [16]byte
		for i := 0; i < 4; i++ {
			w, ok := parseHex(b[i*8:i*8+8], 8)
			if !ok {
				return netip.AddrPort{}, false
			}
			a[i*4], a[i*4+1], a[i*4+2], a[i*4+3] = byte(w), byte(w>>8), byte(w>>16), byte(w>>24)
		}
		addr = netip.AddrFrom16(a)
		b = b[33:]
	default:
		return netip.AddrPort{}, false
	}
	port, ok := parseHex(b, 4)
	if !ok {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(addr, uint16(port)), true
}

// cutHexPair reads "hex:hex" with at most na and nb digits.
func cutHexPair(b []byte, na, nb int) (a, c uint64, ok bool) {
	for i, ch := range b {
		if ch == ':' {
			a, ok1 := parseHex(b[:i], na)
			c, ok2 := parseHex(b[i+1:], nb)
			return a, c, ok1 && ok2
		}
	}
	return 0, 0, false
}

// parseInt32Bits reads a decimal that is an unsigned 32-bit number or, as
// some kernels print uids with %d, a negative 32-bit one, kept as its bits.
func parseInt32Bits(b []byte) (uint32, bool) {
	if len(b) > 0 && b[0] == '-' {
		v, ok := parseUint(b[1:])
		if !ok || v > 1<<31 {
			return 0, false
		}
		return uint32(-int64(v)), true
	}
	v, ok := parseUint(b)
	if !ok || v > math.MaxUint32 {
		return 0, false
	}
	return uint32(v), true
}

// The helpers below are shared by every parser of this package.

// maxLine is the longest line the parsers read; a longer one is a problem.
// The longest real lines are netstat's TcpExt names (about 3 KB on 6.x).
const maxLine = 64 << 10

// lineReader reads lines without allocating: each line is a slice of the
// bufio.Reader's buffer, valid until the next call, without its "\n".
type lineReader struct {
	br *bufio.Reader
	p  *Problems
	n  int // number of the line last returned, from 1
}

func newLineReader(r io.Reader, p *Problems) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, maxLine), p: p}
}

// next returns the next line, or io.EOF after the last one, or a read
// error. A line too long for the buffer is a problem and is skipped. A
// last line without "\n" is returned like any other.
func (lr *lineReader) next() ([]byte, error) {
	for {
		b, err := lr.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			lr.n++
			lr.p.Addf(lr.n, "line longer than %d bytes", maxLine)
			for err == bufio.ErrBufferFull {
				_, err = lr.br.ReadSlice('\n')
			}
			if err != nil {
				return nil, err
			}
			continue
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
}

// done turns the error that ended a loop over next into what the parser
// returns: nil at the end of the input, else the read error with the line.
func (lr *lineReader) done(err error) error {
	if err == io.EOF {
		return nil
	}
	return fmt.Errorf("read after line %d: %w", lr.n, err)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' }

// cutField skips leading blanks and returns the field up to the next
// blank and the rest of b after it. field is empty at the end of b.
func cutField(b []byte) (field, rest []byte) {
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	j := i
	for j < len(b) && !isSpace(b[j]) {
		j++
	}
	return b[i:j], b[j:]
}

// hexVal maps a byte to its value as a hex digit, or to 0xff.
var hexVal = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := byte(0); i < 10; i++ {
		t['0'+i] = i
	}
	for i := byte(0); i < 6; i++ {
		t['a'+i], t['A'+i] = 10+i, 10+i
	}
	return t
}()

// parseHex reads 1 to max hex digits (max at most 16).
func parseHex(b []byte, max int) (uint64, bool) {
	if len(b) == 0 || len(b) > max {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		d := hexVal[c]
		if d == 0xff {
			return 0, false
		}
		v = v<<4 | uint64(d)
	}
	return v, true
}

// parseUint reads a decimal uint64, rejecting signs and overflow.
func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}

// parseInt reads a decimal int64 with an optional '-'.
func parseInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	v, ok := parseUint(b)
	switch {
	case !ok:
		return 0, false
	case neg && v <= 1<<63:
		return int64(-v), true // -(1<<63) wraps to itself: MinInt64
	case !neg && v <= math.MaxInt64:
		return int64(v), true
	}
	return 0, false
}

// hexRow reads the whitespace-separated hex columns of line into dst (extra
// columns are counted but not stored). It returns the number of columns, or
// ok false after recording the first bad value as a problem of line n.
func hexRow(line []byte, dst []uint64, p *Problems, n int) (cols int, ok bool) {
	for rest := line; ; cols++ {
		var f []byte
		f, rest = cutField(rest)
		if len(f) == 0 {
			return cols, true
		}
		v, good := parseHex(f, 16)
		if !good {
			p.Addf(n, "column %d: bad hex value %q", cols+1, f)
			return cols, false
		}
		if cols < len(dst) {
			dst[cols] = v
		}
	}
}
