package sockdiag

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"time"
)

// Kernel ABI constants (include/uapi/linux/netlink.h, sock_diag.h, inet_diag.h).
const (
	netlinkSockDiag  = 4  // NETLINK_SOCK_DIAG (was NETLINK_INET_DIAG)
	sockDiagByFamily = 20 // SOCK_DIAG_BY_FAMILY

	nlmsgHdrLen    = 16 // struct nlmsghdr
	inetDiagReqLen = 56 // struct inet_diag_req_v2
	inetDiagMsgLen = 72 // struct inet_diag_msg
	nlmsgErrMinLen = 4  // int error of struct nlmsgerr
	tcpListen      = 10 // TCP_LISTEN
	recvBufSize    = 32 << 10

	afInet      = 2     // AF_INET
	afInet6     = 10    // AF_INET6
	ipprotoTCP  = 6     // IPPROTO_TCP
	nlmNoop     = 1     // NLMSG_NOOP
	nlmError    = 2     // NLMSG_ERROR
	nlmDone     = 3     // NLMSG_DONE
	nlmOverrun  = 4     // NLMSG_OVERRUN
	nlmFRequest = 0x1   // NLM_F_REQUEST
	nlmFDump    = 0x300 // NLM_F_ROOT|NLM_F_MATCH
)

// Offsets in struct inet_diag_msg:
//
//	u8 family, state, timer, retrans                          0..3
//	struct inet_diag_sockid {                                 4..51
//	  __be16 sport, dport; __be32 src[4], dst[4];             4, 6, 8, 24
//	  u32 if; u32 cookie[2] }                                 40, 44
//	u32 expires, rqueue, wqueue, uid, inode                   52, 56, 60, 64, 68
const (
	offFamily  = 0
	offState   = 1
	offTimer   = 2
	offRetrans = 3
	offSport   = 4
	offDport   = 6
	offSrc     = 8
	offDst     = 24
	offExpires = 52
	offRqueue  = 56
	offWqueue  = 60
	offUID     = 64
	offInode   = 68
)

type dumper struct {
	fd   int
	w    io.Writer
	buf  []byte // receive buffer, reused across reads
	line []byte // output line, reused
	n    int    // sockets written

	states uint32 // idiag_states of the request
	all    bool   // write the socket table format (DumpTCP), not the listeners one
	limit  int64  // stop after writing this many bytes (0: no limit)
	bytes  int64  // bytes written
	seen   func(state uint8, inode uint32)
	async  *formatter // DumpTCP: sockets are formatted on another goroutine

	timeout time.Duration // current SO_RCVTIMEO
}

func familyName(f uint8) string {
	if f == afInet6 {
		return "inet6"
	}
	return "inet"
}

// request builds nlmsghdr + inet_diag_req_v2 for a dump of the TCP sockets
// in states (a bit mask of 1<<state).
func request(family uint8, seq uint32, states uint32) []byte {
	b := make([]byte, nlmsgHdrLen+inetDiagReqLen)
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], sockDiagByFamily)
	ne.PutUint16(b[6:], nlmFRequest|nlmFDump)
	ne.PutUint32(b[8:], seq)
	ne.PutUint32(b[12:], 0) // pid: 0, the kernel fills in our port id
	r := b[nlmsgHdrLen:]
	r[0] = family               // sdiag_family
	r[1] = ipprotoTCP           // sdiag_protocol
	r[2] = 0                    // idiag_ext: no extensions
	r[3] = 0                    // pad
	ne.PutUint32(r[4:], states) // idiag_states
	// r[8:56]: struct inet_diag_sockid, zero: match any socket.
	return b
}

// handle processes the netlink messages of one datagram. It returns done when
// NLMSG_DONE was seen. It never panics on short or malformed messages.
func (d *dumper) handle(b []byte, family uint8, seq uint32) (done bool, err error) {
	return d.walk(b, family, seq, true)
}

// scan is handle for the reader of an asynchronous dump: it looks only for
// the end of the dump and for errors, and leaves the sockets to the formatter.
func (d *dumper) scan(b []byte, family uint8, seq uint32) (done bool, err error) {
	return d.walk(b, family, seq, false)
}

func (d *dumper) walk(b []byte, family uint8, seq uint32, sockets bool) (done bool, err error) {
	ne := binary.NativeEndian
	for len(b) >= nlmsgHdrLen {
		l := ne.Uint32(b[0:])
		typ := ne.Uint16(b[4:])
		mseq := ne.Uint32(b[8:])
		if l < nlmsgHdrLen || uint64(l) > uint64(len(b)) {
			return false, fmt.Errorf("malformed netlink message: length %d, %d bytes left", l, len(b))
		}
		payload := b[nlmsgHdrLen:l]
		// Advance to the next message (NLMSG_ALIGN, 4 bytes).
		next := (uint64(l) + 3) &^ 3
		if next > uint64(len(b)) {
			next = uint64(len(b))
		}
		b = b[next:]
		if mseq != seq {
			continue // a reply to something else (e.g. a previous family's late message)
		}
		switch typ {
		case nlmNoop:
			continue
		case nlmDone:
			// Since 2.6.x the kernel puts an int error in NLMSG_DONE; a
			// negative one means the dump failed part way.
			if len(payload) >= 4 {
				if e := int32(ne.Uint32(payload)); e < 0 {
					return true, fmt.Errorf("dump ended with error: %w", kernelErrno(-e))
				}
			}
			return true, nil
		case nlmError:
			if len(payload) < nlmsgErrMinLen {
				return false, errors.New("short NLMSG_ERROR")
			}
			e := int32(ne.Uint32(payload))
			if e == 0 {
				continue // an ACK; we did not ask for one
			}
			if e < 0 {
				e = -e
			}
			return false, fmt.Errorf("kernel: %w", kernelErrno(e))
		case nlmOverrun:
			return false, errors.New("netlink overrun: messages lost")
		case sockDiagByFamily:
			if !sockets {
				continue
			}
			if err := d.socket(payload, family); err != nil {
				return false, err
			}
		default:
			continue
		}
	}
	return false, nil
}

// socket writes the line for one struct inet_diag_msg.
func (d *dumper) socket(m []byte, family uint8) error {
	if len(m) < inetDiagMsgLen {
		return fmt.Errorf("short inet_diag_msg: %d bytes", len(m))
	}
	if m[offFamily] != family || d.states&(1<<m[offState]) == 0 {
		return nil // not asked for; be strict about what we write
	}
	if d.all {
		return d.tcpLine(m, family)
	}
	ne := binary.NativeEndian
	port := binary.BigEndian.Uint16(m[offSport:])
	var addr netip.Addr
	if family == afInet {
		addr = netip.AddrFrom4([4]byte(m[offSrc : offSrc+4]))
	} else {
		addr = netip.AddrFrom16([16]byte(m[offSrc : offSrc+16]))
	}
	l := d.line[:0]
	l = append(l, familyName(family)...)
	l = append(l, '\t')
	l = netip.AddrPortFrom(addr, port).AppendTo(l)
	l = append(l, '\t')
	l = strconv.AppendUint(l, uint64(ne.Uint32(m[offRqueue:])), 10)
	l = append(l, '\t')
	l = strconv.AppendUint(l, uint64(ne.Uint32(m[offWqueue:])), 10)
	l = append(l, '\t')
	l = strconv.AppendUint(l, uint64(ne.Uint32(m[offInode:])), 10)
	l = append(l, '\t')
	l = strconv.AppendUint(l, uint64(ne.Uint32(m[offUID:])), 10)
	l = append(l, '\n')
	d.line = l
	if _, err := d.w.Write(l); err != nil {
		return err
	}
	d.n++
	return nil
}
