package sockdiag

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"strconv"
)

// TCPHeader is the first line DumpTCP writes.
const TCPHeader = "# netsnap tcp v1 (NETLINK_SOCK_DIAG): state local remote recv_q send_q timer expires_ms retrans uid inode\n"

// TCPHeaderPrefix starts the header line of every version of the socket table format.
const TCPHeaderPrefix = "# netsnap tcp v"

// TCPOptions are the options of DumpTCP.
type TCPOptions struct {
	// Limit, when > 0, is the most bytes DumpTCP writes (whole lines).
	Limit int64
	// Socket, when set, is called with the state and inode of each socket written.
	Socket func(state uint8, inode uint32)
}

// ErrLimit ends DumpTCP when the next line would pass its byte limit.
var ErrLimit = errors.New("byte limit reached")

// allStates asks for every TCP state, as `ss -ta` does: bits 1 (ESTABLISHED)
// to 12 (NEW_SYN_RECV, the kernel's state for request sockets, reported as
// SYN_RECV).
const allStates = 1<<13 - 2

// StateNames are the kernel's names of the TCP states
// (include/net/tcp_states.h), indexed by number, as the socket table format
// writes them.
var StateNames = [...]string{
	1:  "ESTABLISHED",
	2:  "SYN_SENT",
	3:  "SYN_RECV",
	4:  "FIN_WAIT1",
	5:  "FIN_WAIT2",
	6:  "TIME_WAIT",
	7:  "CLOSE",
	8:  "CLOSE_WAIT",
	9:  "LAST_ACK",
	10: "LISTEN",
	11: "CLOSING",
	12: "NEW_SYN_RECV",
}

// tcpLine writes the socket table line for one struct inet_diag_msg (at
// least inetDiagMsgLen bytes, family already checked).
func (d *dumper) tcpLine(m []byte, family uint8) error {
	ne := binary.NativeEndian
	l := d.line[:0]
	if st := int(m[offState]); st > 0 && st < len(StateNames) {
		l = append(l, StateNames[st]...)
	} else {
		l = append(l, "UNKNOWN_"...)
		l = strconv.AppendUint(l, uint64(st), 10)
	}
	l = append(l, '\t')
	l = appendEndpoint(l, m[offSrc:], binary.BigEndian.Uint16(m[offSport:]), family)
	l = append(l, '\t')
	l = appendEndpoint(l, m[offDst:], binary.BigEndian.Uint16(m[offDport:]), family)
	l = append(l, '\t')
	l = strconv.AppendUint(l, uint64(ne.Uint32(m[offRqueue:])), 10)
	l = append(l, '\t')
	l = strconv.AppendUint(l, uint64(ne.Uint32(m[offWqueue:])), 10)
	l = append(l, '\t')
	l = strconv.AppendUint(l, uint64(m[offTimer]), 10)
	l = append(l, '\t')
	l = strconv.AppendUint(l, uint64(ne.Uint32(m[offExpires:])), 10)
	l = append(l, '\t')
	l = strconv.AppendUint(l, uint64(m[offRetrans]), 10)
	l = append(l, '\t')
	l = strconv.AppendUint(l, uint64(ne.Uint32(m[offUID:])), 10)
	l = append(l, '\t')
	l = strconv.AppendUint(l, uint64(ne.Uint32(m[offInode:])), 10)
	l = append(l, '\n')
	d.line = l
	if d.limit > 0 && d.bytes+int64(len(l)) > d.limit {
		return ErrLimit
	}
	if _, err := d.w.Write(l); err != nil {
		return err
	}
	d.bytes += int64(len(l))
	d.n++
	if d.seen != nil {
		d.seen(m[offState], ne.Uint32(m[offInode:]))
	}
	return nil
}

// appendEndpoint appends "a.b.c.d:port" or "[v6]:port" for the address at
// the start of b (4 or 16 bytes, network order).
func appendEndpoint(l, b []byte, port uint16, family uint8) []byte {
	if family == afInet {
		l = append(l, decByte[b[0]]...)
		l = append(l, '.')
		l = append(l, decByte[b[1]]...)
		l = append(l, '.')
		l = append(l, decByte[b[2]]...)
		l = append(l, '.')
		l = append(l, decByte[b[3]]...)
	} else {
		l = append(l, '[')
		l = netip.AddrFrom16([16]byte(b[:16])).AppendTo(l)
		l = append(l, ']')
	}
	l = append(l, ':')
	return strconv.AppendUint(l, uint64(port), 10)
}

// decByte holds the decimal text of every byte value.
var decByte = func() (t [256]string) {
	for i := range t {
		t[i] = strconv.Itoa(i)
	}
	return t
}()
