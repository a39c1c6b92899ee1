package sockdiag

import (
	"encoding/binary"
	"net/netip"
	"strconv"
)

func u(v uint64) string { return strconv.FormatUint(v, 10) }

// diagMsg builds a struct inet_diag_msg as the kernel sends it.
func diagMsg(family, state uint8, addr netip.Addr, port uint16, rq, wq, inode, uid uint32) []byte {
	m := make([]byte, inetDiagMsgLen)
	m[offFamily] = family
	m[offState] = state
	binary.BigEndian.PutUint16(m[offSport:], port)
	if addr.Is4() {
		a := addr.As4()
		copy(m[offSrc:], a[:])
	} else {
		a := addr.As16()
		copy(m[offSrc:], a[:])
	}
	ne := binary.NativeEndian
	ne.PutUint32(m[offRqueue:], rq)
	ne.PutUint32(m[offWqueue:], wq)
	ne.PutUint32(m[offUID:], uid)
	ne.PutUint32(m[offInode:], inode)
	return m
}
