package redact

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// cpl is the length of the common prefix of two addresses of one family.
func cpl(a, b netip.Addr) int {
	x, y := a.As16(), b.As16()
	n := 0
	for i := range x {
		d := x[i] ^ y[i]
		if d == 0 {
			n += 8
			continue
		}
		for d&0x80 == 0 {
			n++
			d <<= 1
		}
		break
	}
	if a.Is4() {
		n -= 96
	}
	return n
}

func TestAddrClass(t *testing.T) {
	m := NewMapKey(testKey)
	for _, tc := range []struct {
		in       string
		verbatim bool   // must not change
		prefix   string // the pseudonym must stay inside
	}{
		{"0.0.0.0", true, ""},
		{"0.1.2.3", true, ""},
		{"127.0.0.1", true, ""},
		{"127.4.5.6", true, ""},
		{"255.255.255.255", true, ""},
		{"255.255.255.0", true, ""},
		{"255.255.0.0", true, ""},
		{"240.0.0.0", true, ""},
		{"224.0.0.251", true, ""},
		{"239.255.255.250", true, ""},
		{"10.0.0.1", false, "10.0.0.0/8"},
		{"10.255.255.254", false, "10.0.0.0/8"},
		{"172.16.0.1", false, "172.16.0.0/12"},
		{"172.31.3.170", false, "172.16.0.0/12"},
		{"192.168.1.10", false, "192.168.0.0/16"},
		{"169.254.169.254", false, "169.254.0.0/16"},
		{"100.64.1.2", false, "100.64.0.0/10"},
		{"192.0.2.7", false, "192.0.2.0/24"},
		{"198.51.100.7", false, "198.51.100.0/24"},
		{"203.0.113.9", false, "203.0.113.0/24"},
		{"198.18.4.5", false, "198.18.0.0/15"},
		{"172.1.55.22", false, "172.0.0.0/12"}, // public, beside 172.16/12
		{"11.1.2.3", false, "11.0.0.0/8"},      // public, beside 10/8
		{"8.8.8.8", false, "8.0.0.0/7"},
		{"52.10.20.30", false, "32.0.0.0/3"},
		{"::", true, ""},
		{"::1", true, ""},
		{"ff02::1", true, ""},
		{"fe00::", true, ""},
		{"fe80::1c2d:3e4f:5a6b:7c8d", false, "fe80::/64"},
		{"fd12:3456:789a::1", false, "fc00::/7"},
		{"2001:db8::1", false, "2001:db8::/32"},
		{"2a00:1450:4001:81b::200e", false, "2000::/3"},
		{"::ffff:10.1.2.3", false, "::ffff:10.0.0.0/104"},
		{"::ffff:127.0.0.1", true, ""},
	} {
		a := netip.MustParseAddr(tc.in)
		p := m.Addr(a)
		if tc.verbatim {
			if p != a {
				t.Errorf("Addr(%s) = %s; want it unchanged", a, p)
			}
			continue
		}
		if p == a {
			t.Errorf("Addr(%s) unchanged", a)
		}
		if !netip.MustParsePrefix(tc.prefix).Contains(p) {
			t.Errorf("Addr(%s) = %s; want it in %s", a, p, tc.prefix)
		}
		if Class(p) != Class(a) {
			t.Errorf("Class(Addr(%s) = %s) = %q; want %q", a, p, Class(p), Class(a))
		}
		if o := m.Original(p); o != a {
			t.Errorf("Original(Addr(%s)) = %s", a, o)
		}
	}
}

// TestPrefixPreserving: two addresses sharing exactly n leading bits
// share exactly n after mapping, whatever their classes.
func TestPrefixPreserving(t *testing.T) {
	m := NewMapKey(testKey)
	rng := rand.New(rand.NewPCG(1, 2))
	seeds := []string{"10.1.2.3", "172.31.3.170", "172.1.44.48", "192.168.1.10", "8.8.8.8", "127.0.0.1", "2001:db8::1", "fe80::1", "2a00:1450::1", "::ffff:10.0.0.1", "fd00::5"}
	for _, s := range seeds {
		a := netip.MustParseAddr(s)
		width := a.BitLen()
		for range 300 {
			// b shares exactly n bits with a
			n := rng.IntN(width)
			raw := a.As16()
			off := 128 - width
			bit := off + n
			raw[bit/8] ^= 0x80 >> (bit % 8)
			for k := bit + 1; k < 128; k++ {
				if rng.IntN(2) == 1 {
					raw[k/8] ^= 0x80 >> (k % 8)
				}
			}
			b := netip.AddrFrom16(raw)
			if a.Is4() {
				b = b.Unmap()
			}
			pa, pb := m.Addr(a), m.Addr(b)
			if got := cpl(pa, pb); got != n {
				t.Fatalf("%s and %s share %d bits; their pseudonyms %s and %s share %d", a, b, n, pa, pb, got)
			}
			if Class(pb) != Class(b) {
				t.Fatalf("Class(%s) = %q, Class(%s) = %q", b, Class(b), pb, Class(pb))
			}
		}
	}
}

// TestPermutation: the mapping is one to one (it inverts) and the same
// key gives the same pseudonyms, another key others.
func TestPermutation(t *testing.T) {
	m, again := NewMapKey(testKey), NewMapKey(testKey)
	other := testKey
	other[0] ^= 1
	o := NewMapKey(other)
	rng := rand.New(rand.NewPCG(3, 4))
	same := 0
	for range 2000 {
		var b [16]byte
		for k := range b {
			b[k] = byte(rng.Uint32())
		}
		for _, a := range []netip.Addr{netip.AddrFrom16(b), netip.AddrFrom4([4]byte(b[:4]))} {
			p := m.Addr(a)
			if m.Original(p) != a {
				t.Fatalf("Original(Addr(%s) = %s) = %s", a, p, m.Original(p))
			}
			if again.Addr(a) != p {
				t.Fatalf("two maps with one key: %s -> %s and %s", a, p, again.Addr(a))
			}
			if o.Addr(a) == p && p != a {
				same++
			}
		}
	}
	if same > 0 {
		t.Errorf("%d addresses map alike under two keys", same)
	}
}

// TestMappedLikeIPv4: ::ffff:a.b.c.d maps like a.b.c.d, in text and hex.
func TestMappedLikeIPv4(t *testing.T) {
	m := NewMapKey(testKey)
	for _, s := range []string{"10.0.0.1", "172.31.3.170", "8.8.4.4", "192.168.0.1"} {
		a := netip.MustParseAddr(s)
		v6 := netip.AddrFrom16(a.As16())
		if got, want := m.Addr(v6).Unmap(), m.Addr(a); got != want {
			t.Errorf("Addr(%s) = %s; want ::ffff:%s", v6, got, want)
		}
	}
}

// TestBlockPermutation: the addresses of a /24 map onto one /24 (itself
// for a special /24), no two alike, none to itself.
func TestBlockPermutation(t *testing.T) {
	m := NewMapKey(testKey)
	for _, tc := range []struct{ block, onto string }{
		{"203.0.113.0/24", "203.0.113.0/24"},
		{"192.0.2.0/24", "192.0.2.0/24"},
		{"192.168.7.0/24", ""},
		{"172.1.44.0/24", ""},
	} {
		seen := map[netip.Addr]bool{}
		p := netip.MustParsePrefix(tc.block)
		onto, _ := m.Addr(p.Addr()).Prefix(24)
		if tc.onto != "" && onto.String() != tc.onto {
			t.Errorf("%s maps onto %s; want %s", tc.block, onto, tc.onto)
		}
		for a := p.Addr(); p.Contains(a); a = a.Next() {
			q := m.Addr(a)
			if q == a || seen[q] || !onto.Contains(q) {
				t.Fatalf("%s: %s -> %s (fixed, taken twice or out of %s)", tc.block, a, q, onto)
			}
			seen[q] = true
		}
	}
}
