package redact

import (
	"encoding/binary"
)

// procHex rewrites one line of a /proc/net socket table (tcp, tcp6, udp,
// udp6, raw, raw6, udplite, udplite6): every "ADDR:PORT" field in the
// kernel's hex, 8 digits for IPv4 and 32 for IPv6, each 32-bit word
// printed as the little-endian host reads it. Addresses keep their width,
// so the line keeps its length; ports and every other field stay. The
// line is appended to dst.
func (r *rewriter) procHex(dst, line []byte) []byte {
	start := len(dst)
	dst = append(dst, line...)
	out := dst[start:]
	for i := 0; i < len(line); {
		if line[i] == ' ' || line[i] == '\t' {
			i++
			continue
		}
		j := i
		for j < len(line) && line[j] != ' ' && line[j] != '\t' && line[j] != '\n' {
			j++
		}
		switch j - i {
		case 8 + 1 + 4:
			if line[i+8] == ':' && isHex(line[i:i+8]) && isHex(line[i+9:j]) {
				r.hex4(out[i:i+8], line[i:i+8])
			}
		case 32 + 1 + 4:
			if line[i+32] == ':' && isHex(line[i:i+32]) && isHex(line[i+33:j]) {
				r.hex6(out[i:i+32], line[i:i+32])
			}
		}
		if j == i {
			j++
		}
		i = j
	}
	return dst
}

func isHex(b []byte) bool {
	for _, c := range b {
		if !is(c, cHex) {
			return false
		}
	}
	return true
}

// hexWord reads 8 hex digits.
func hexWord(b []byte) uint32 {
	var v uint32
	for _, c := range b[:8] {
		v = v<<4 | uint32(unhex(c))
	}
	return v
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// putHexWord writes v as 8 hex digits, in upper case unless like is in
// lower case.
func putHexWord(dst []byte, v uint32, like []byte) {
	digits := "0123456789ABCDEF"
	for _, c := range like {
		if c >= 'a' && c <= 'f' {
			digits = "0123456789abcdef"
			break
		}
	}
	for k := 7; k >= 0; k-- {
		dst[k] = digits[v&15]
		v >>= 4
	}
}

// hex4 maps the IPv4 address of /proc's "%08X": the address's bytes read
// as a little-endian word.
func (r *rewriter) hex4(dst, src []byte) {
	w := hexWord(src)
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], w)
	a := binary.BigEndian.Uint32(b[:])
	var p uint32
	if r.reverse {
		p = uint32FromAddr(r.addr(addrFrom4(a)))
	} else {
		p = r.c.map4(a)
	}
	binary.BigEndian.PutUint32(b[:], p)
	putHexWord(dst, binary.LittleEndian.Uint32(b[:]), src)
}

// hex6 maps the IPv6 address of /proc's four "%08X" words.
func (r *rewriter) hex6(dst, src []byte) {
	var a [16]byte
	for k := 0; k < 4; k++ {
		binary.LittleEndian.PutUint32(a[4*k:], hexWord(src[8*k:]))
	}
	var p [16]byte
	if r.reverse {
		p = r.addr(addrFrom16(a)).As16()
	} else {
		p = r.c.map6(a)
	}
	for k := 0; k < 4; k++ {
		putHexWord(dst[8*k:], binary.LittleEndian.Uint32(p[4*k:]), src[8*k:8*k+8])
	}
}
