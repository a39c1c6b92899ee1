package redact

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"math/bits"
	"net/netip"
)

// Addresses are mapped by a prefix-preserving permutation in the style of
// Crypto-PAn (Xu, Fan, Ammar, Moon, 2002): bit i of the output is bit i of
// the input XOR a pseudo-random function of the input's first i bits. Two
// addresses that share exactly their first n bits therefore share exactly
// their first n bits after mapping, whatever n, and the mapping can be
// inverted bit by bit by whoever holds the key.
//
// The function is one AES-128 block per bit, as in the original
// (AES(key, prefix || pad)); key and pad are derived from the map's key
// with HMAC-SHA256, one pair per address family.
//
// Classes are preserved by never flipping a bit at a node of the address
// tree whose subtree straddles the edge of a special block (loopback,
// RFC 1918, link-local, ...): only subtrees that lie wholly inside one
// class are shuffled. An address in 10/8 thus stays in 10/8, a public
// address never lands in a special block, and the mapping stays a single
// prefix-preserving permutation of the whole address space. The price is
// that a public address keeps the leading bits it shares with the nearest
// special block (11.x.y.z keeps 11; 172.1.x.y keeps 172.0/12).
//
// The function is forced to flip the last bit of an address whose other
// bits were all kept (it still depends on the prefix alone), so that no
// address outside the verbatim blocks is its own pseudonym: a permutation
// of a /24 would otherwise leave one address in 256 as it was.
//
// Verbatim blocks (0/8, 127/8, multicast, 240/4 with the broadcast address
// and netmask-like values, ::, ::1, ff00::/8) are not changed at all: they
// identify nobody. IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96)
// and NAT64 (64:ff9b::/96) addresses keep their 96-bit prefix and map
// their last 32 bits as the IPv4 address, so ::ffff:a.b.c.d maps like
// a.b.c.d.

// block is a special range of addresses.
type block struct {
	hi, lo uint64 // the prefix, left-aligned in 128 bits (IPv4 in hi's top 32)
	bits   int
	kind   blockKind
}

type blockKind uint8

const (
	anon     blockKind = iota // shuffled inside the block
	verbatim                  // left as it is
	embed4                    // an IPv6 /96 whose last 32 bits are an IPv4 address
)

func v4block(a, b, c, d byte, n int, k blockKind) block {
	return block{hi: uint64(a)<<56 | uint64(b)<<48 | uint64(c)<<40 | uint64(d)<<32, bits: n, kind: k}
}

func v6block(s string, k blockKind) block {
	p := netip.MustParsePrefix(s)
	b := p.Addr().As16()
	return block{hi: binary.BigEndian.Uint64(b[:8]), lo: binary.BigEndian.Uint64(b[8:]), bits: p.Bits(), kind: k}
}

// blocks4 are the IPv4 classes; everything else is public.
var blocks4 = []block{
	v4block(0, 0, 0, 0, 8, verbatim),   // "this network", 0.0.0.0
	v4block(10, 0, 0, 0, 8, anon),      // RFC 1918
	v4block(100, 64, 0, 0, 10, anon),   // shared address space (CGNAT)
	v4block(127, 0, 0, 0, 8, verbatim), // loopback
	v4block(169, 254, 0, 0, 16, anon),  // link-local
	v4block(172, 16, 0, 0, 12, anon),   // RFC 1918
	v4block(192, 0, 0, 0, 24, anon),    // IETF protocol assignments
	v4block(192, 0, 2, 0, 24, anon),    // TEST-NET-1
	v4block(192, 168, 0, 0, 16, anon),  // RFC 1918
	v4block(198, 18, 0, 0, 15, anon),   // benchmarking
	v4block(198, 51, 100, 0, 24, anon), // TEST-NET-2
	v4block(203, 0, 113, 0, 24, anon),  // TEST-NET-3
	v4block(224, 0, 0, 0, 4, verbatim), // multicast
	v4block(240, 0, 0, 0, 4, verbatim), // reserved, broadcast, netmasks
}

// blocks6 are the IPv6 classes; everything else is global unicast.
var blocks6 = []block{
	v6block("::/96", embed4),         // ::, ::1 and IPv4-compatible
	v6block("::ffff:0:0/96", embed4), // IPv4-mapped
	v6block("64:ff9b::/96", embed4),  // NAT64
	v6block("2001::/32", anon),       // Teredo
	v6block("2001:db8::/32", anon),   // documentation
	v6block("2002::/16", anon),       // 6to4
	v6block("fc00::/7", anon),        // unique local
	v6block("fe00::/9", verbatim),    // reserved (fe00::0 is ip6-localnet in /etc/hosts)
	v6block("fe80::/10", anon),       // link-local
	v6block("fe80::/64", anon),       // link-local as used: the interface id is shuffled
	v6block("ff00::/8", verbatim),    // multicast
}

// cpl128 is the length of the common prefix of two 128-bit values.
func cpl128(ahi, alo, bhi, blo uint64) int {
	if x := ahi ^ bhi; x != 0 {
		return bits.LeadingZeros64(x)
	}
	return 64 + bits.LeadingZeros64(alo^blo)
}

// kept returns how many leading bits of the address are never flipped
// (the depth of the first node whose subtree lies in one class), and the
// innermost block holding the address, or nil when it is in none.
func kept(blocks []block, hi, lo uint64, width int) (int, *block) {
	k := 0
	var in *block
	for i := range blocks {
		b := &blocks[i]
		c := cpl128(hi, lo, b.hi, b.lo)
		if c >= b.bits {
			if in == nil || b.bits > in.bits {
				in = b
			}
		}
		if m := min(c, b.bits-1) + 1; m > k {
			k = m
		}
	}
	return min(k, width), in
}

// family holds the keyed function of one address family.
type family struct {
	c   cipher.Block
	pad [16]byte
}

func newFamily(key, pad []byte) family {
	c, err := aes.NewCipher(key)
	if err != nil {
		panic(err) // the key is always 16 bytes
	}
	f := family{c: c}
	copy(f.pad[:], pad)
	return f
}

// scratch holds the AES blocks of one goroutine (so that they need not be
// allocated per bit).
type scratch struct{ in, out [16]byte }

// bit returns the pseudo-random bit of the prefix formed by the first i
// bits of (hi, lo): AES(prefix || pad[i:]), first bit.
func (f *family) bit(hi, lo uint64, i int, s *scratch) uint64 {
	phi := binary.BigEndian.Uint64(f.pad[:8])
	plo := binary.BigEndian.Uint64(f.pad[8:])
	var mhi, mlo uint64 // mask of the first i bits
	switch {
	case i >= 128:
		mhi, mlo = ^uint64(0), ^uint64(0)
	case i >= 64:
		mhi, mlo = ^uint64(0), ^(^uint64(0) >> (i - 64))
	case i > 0:
		mhi = ^(^uint64(0) >> i)
	}
	binary.BigEndian.PutUint64(s.in[:8], hi&mhi|phi&^mhi)
	binary.BigEndian.PutUint64(s.in[8:], lo&mlo|plo&^mlo)
	f.c.Encrypt(s.out[:], s.in[:])
	return uint64(s.out[0] >> 7)
}

// addrMapper maps addresses with one key. It is safe for concurrent use.
type addrMapper struct {
	v4, v6 family
}

// map4 maps an IPv4 address held in the low 32 bits of a.
func (m *addrMapper) map4(a uint32, s *scratch) uint32 {
	hi := uint64(a) << 32
	k, in := kept(blocks4, hi, 0, 32)
	if in != nil && in.kind == verbatim {
		return a
	}
	out := a
	flipped := false
	for i := k; i < 32; i++ {
		f := m.v4.bit(hi, 0, i, s)
		if i == 31 && !flipped {
			f = 1 // no address is its own pseudonym
		}
		flipped = flipped || f == 1
		out ^= uint32(f) << (31 - i)
	}
	return out
}

// unmap4 inverts map4.
func (m *addrMapper) unmap4(b uint32, s *scratch) uint32 {
	hi := uint64(b) << 32
	k, in := kept(blocks4, hi, 0, 32)
	if in != nil && in.kind == verbatim {
		return b
	}
	a := b
	flipped := false
	for i := k; i < 32; i++ {
		// bits 0..i-1 of a are known: the function of that prefix
		f := m.v4.bit(uint64(a)<<32, 0, i, s)
		if i == 31 && !flipped {
			f = 1
		}
		flipped = flipped || f == 1
		a ^= uint32(f) << (31 - i)
	}
	return a
}

// map6 maps an IPv6 address.
func (m *addrMapper) map6(a [16]byte, s *scratch) [16]byte {
	return m.do6(a, false, s)
}

func (m *addrMapper) do6(a [16]byte, inverse bool, s *scratch) [16]byte {
	hi := binary.BigEndian.Uint64(a[:8])
	lo := binary.BigEndian.Uint64(a[8:])
	k, in := kept(blocks6, hi, lo, 128)
	switch {
	case in != nil && in.kind == verbatim:
		return a
	case in != nil && in.kind == embed4:
		v4 := uint32(lo)
		if inverse {
			v4 = m.unmap4(v4, s)
		} else {
			v4 = m.map4(v4, s)
		}
		binary.BigEndian.PutUint32(a[12:], v4)
		return a
	}
	ohi, olo := hi, lo
	flipped := false
	for i := k; i < 128; i++ {
		var f uint64
		if inverse {
			f = m.v6.bit(ohi, olo, i, s) // ohi, olo: the input's first i bits are known
		} else {
			f = m.v6.bit(hi, lo, i, s)
		}
		if i == 127 && !flipped {
			f = 1 // no address is its own pseudonym
		}
		flipped = flipped || f == 1
		if i < 64 {
			ohi ^= f << (63 - i)
		} else {
			olo ^= f << (127 - i)
		}
	}
	binary.BigEndian.PutUint64(a[:8], ohi)
	binary.BigEndian.PutUint64(a[8:], olo)
	return a
}

// mapAddr maps a (or inverts the mapping), keeping its zone.
func (m *addrMapper) mapAddr(a netip.Addr, inverse bool) netip.Addr {
	var s scratch
	switch {
	case a.Is4():
		v := binary.BigEndian.Uint32(a.AsSlice())
		if inverse {
			v = m.unmap4(v, &s)
		} else {
			v = m.map4(v, &s)
		}
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], v)
		return netip.AddrFrom4(b)
	case a.Is6():
		b := m.do6(a.As16(), inverse, &s)
		return netip.AddrFrom16(b).WithZone(a.Zone())
	}
	return a
}

// Class names the special block an address is in ("public" for none): the
// property the mapping preserves. It is exported for tests and the
// documentation.
func Class(a netip.Addr) string {
	a = a.WithZone("")
	if a.Is4In6() {
		return "ipv4-mapped " + Class(a.Unmap())
	}
	switch {
	case a.IsUnspecified():
		return "unspecified"
	case a.IsLoopback():
		return "loopback"
	case a.IsMulticast():
		return "multicast"
	}
	if a.Is4() {
		v := uint64(binary.BigEndian.Uint32(a.AsSlice())) << 32
		if _, in := kept(blocks4, v, 0, 32); in != nil {
			return netip.PrefixFrom(addrOf(in, true), in.bits).String()
		}
		return "public"
	}
	b := a.As16()
	if _, in := kept(blocks6, binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:]), 128); in != nil {
		return netip.PrefixFrom(addrOf(in, false), in.bits).String()
	}
	return "public"
}

func addrOf(b *block, v4 bool) netip.Addr {
	if v4 {
		var x [4]byte
		binary.BigEndian.PutUint32(x[:], uint32(b.hi>>32))
		return netip.AddrFrom4(x)
	}
	var x [16]byte
	binary.BigEndian.PutUint64(x[:8], b.hi)
	binary.BigEndian.PutUint64(x[8:], b.lo)
	return netip.AddrFrom16(x)
}
