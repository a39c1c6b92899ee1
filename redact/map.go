package redact

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"strings"
	"sync"
)

// KeySize is the size of a map's key in bytes.
const KeySize = 32

// Map is the pseudonymisation of one or more snapshots: a random key, from
// which every address maps, and the pairs original -> pseudonym met so
// far (names cannot be computed back from their pseudonyms, addresses
// can, but the pairs are kept for people and for grep). The same Map
// redacts every snapshot of one invocation, so they stay comparable; a
// Map written to a file and read back redacts later snapshots the same
// way. It is safe for concurrent use.
type Map struct {
	key  [KeySize]byte
	addr addrMapper
	name []byte // HMAC key of the name pseudonyms

	mu    sync.Mutex
	names map[string]string // lower-case original -> pseudonym
	back  map[string]string // pseudonym -> original
	addrs map[netip.Addr]netip.Addr
}

// NewMap returns a Map with a fresh random key.
func NewMap() (*Map, error) {
	var key [KeySize]byte
	if _, err := rand.Read(key[:]); err != nil {
		return nil, err
	}
	return NewMapKey(key), nil
}

// NewMapKey returns a Map with the given key (tests use a fixed one).
func NewMapKey(key [KeySize]byte) *Map {
	derive := func(label string) []byte {
		h := hmac.New(sha256.New, key[:])
		h.Write([]byte("netsnap redact v1 " + label))
		return h.Sum(nil)
	}
	k4, k6 := derive("ipv4"), derive("ipv6")
	return &Map{
		key: key,
		addr: addrMapper{
			v4: newFamily(k4[:16], k4[16:]),
			v6: newFamily(k6[:16], k6[16:]),
		},
		name:  derive("names"),
		names: map[string]string{},
		back:  map[string]string{},
		addrs: map[netip.Addr]netip.Addr{},
	}
}

// Addr returns the pseudonym of a and records the pair.
func (m *Map) Addr(a netip.Addr) netip.Addr {
	p := m.addr.mapAddr(a, false)
	if p != a {
		m.mu.Lock()
		m.addrs[a.Unmap().WithZone("")] = p.Unmap().WithZone("")
		m.mu.Unlock()
	}
	return p
}

// Original returns the address whose pseudonym is p (the mapping is a
// permutation: every address is the pseudonym of exactly one).
func (m *Map) Original(p netip.Addr) netip.Addr {
	return m.addr.mapAddr(p, true)
}

// Pairs returns the number of names and addresses recorded.
func (m *Map) Pairs() (names, addrs int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.names), len(m.addrs)
}

// record adds the pairs of a cache.
func (m *Map) record(c *cache) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c.v4.each(func(a, p uint32) {
		if a != p {
			m.addrs[netip.AddrFrom4(u32bytes(a))] = netip.AddrFrom4(u32bytes(p))
		}
	})
	for a, p := range c.v6 {
		if a != p {
			m.addrs[netip.AddrFrom16(a).Unmap()] = netip.AddrFrom16(p).Unmap()
		}
	}
}

func u32bytes(v uint32) [4]byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return b
}

// cache remembers the addresses one rewriter mapped, so that each distinct
// address is computed once. It is not safe for concurrent use: each worker
// has its own, and the pairs go to the Map when it is done.
type cache struct {
	m  *addrMapper
	s  scratch
	v4 table4
	v6 map[[16]byte][16]byte
}

func newCache(m *Map) *cache {
	return &cache{m: &m.addr, v6: map[[16]byte][16]byte{}}
}

func (c *cache) map4(a uint32) uint32 {
	if p, ok := c.v4.get(a); ok {
		return p
	}
	p := c.m.map4(a, &c.s)
	c.v4.put(a, p)
	return p
}

// table4 is an open-addressing hash table of IPv4 pairs: on a table of a
// million sockets the lookups are most of the work, and this is cheaper
// than a Go map of uint32.
type table4 struct {
	keys, vals []uint32
	used       []bool
	shift      uint // 32 - log2(len(keys))
	n          int
}

func (t *table4) slot(a uint32) int { return int((a * 0x9E3779B1) >> t.shift) } // Fibonacci hashing

func (t *table4) get(a uint32) (uint32, bool) {
	if t.n == 0 {
		return 0, false
	}
	mask := len(t.keys) - 1
	for i := t.slot(a); t.used[i]; i = (i + 1) & mask {
		if t.keys[i] == a {
			return t.vals[i], true
		}
	}
	return 0, false
}

func (t *table4) put(a, p uint32) {
	if 2*(t.n+1) > len(t.keys) {
		t.grow()
	}
	mask := len(t.keys) - 1
	i := t.slot(a)
	for t.used[i] && t.keys[i] != a {
		i = (i + 1) & mask
	}
	if !t.used[i] {
		t.n++
	}
	t.used[i], t.keys[i], t.vals[i] = true, a, p
}

func (t *table4) grow() {
	old := *t
	bits := uint(10)
	for 1<<bits < 2*len(old.keys) {
		bits++
	}
	size := 1 << bits
	*t = table4{keys: make([]uint32, size), vals: make([]uint32, size), used: make([]bool, size), shift: 32 - bits}
	old.each(t.put)
}

func (t *table4) each(fn func(a, p uint32)) {
	for i, u := range t.used {
		if u {
			fn(t.keys[i], t.vals[i])
		}
	}
}

func (c *cache) map6(a [16]byte) [16]byte {
	if p, ok := c.v6[a]; ok {
		return p
	}
	p := c.m.map6(a, &c.s)
	c.v6[a] = p
	return p
}

func (c *cache) addr(a netip.Addr) netip.Addr {
	if a.Is4() {
		return netip.AddrFrom4(u32bytes(c.map4(binary.BigEndian.Uint32(a.AsSlice()))))
	}
	return netip.AddrFrom16(c.map6(a.As16())).WithZone(a.Zone())
}

// Name returns the pseudonym of a host or domain name, and records it.
// Names are compared without case; the pseudonym follows the original's
// case (lower, upper, or a capital first letter) so that names nginx
// compares with case stay apart as they were. It keeps the number of
// labels ("host-1a2b3c", "host-1a2b3c.invalid",
// "host-1a2b3c.example.invalid", "host-1a2b3c.sub.example.invalid"...), a
// trailing dot, and wildcards ("*.x.com", ".x.com", "x.*"). Names that
// reveal nothing (localhost, "_", the pseudonyms themselves) and addresses
// in name positions (mapped as addresses) are handled too.
func (m *Map) Name(s string) string {
	return m.name1(s, nil)
}

func (m *Map) name1(s string, c *cache) string {
	if s == "" || wellKnown(s) || !nameLike(s) {
		return s
	}
	if a, err := netip.ParseAddr(unbracket(s)); err == nil {
		var p netip.Addr
		if c != nil {
			p = c.addr(a)
		} else {
			p = m.Addr(a)
		}
		if p == a {
			return s // unchanged (::1, fe00::0): as written
		}
		if strings.HasPrefix(s, "[") {
			return "[" + p.String() + "]"
		}
		return p.String()
	}
	switch {
	case strings.HasPrefix(s, "~"):
		// A regular expression (nginx server_name): opaque, one pseudonym.
		return "~^" + m.pseudonym(s, 1) + "$"
	case strings.HasPrefix(s, "*."):
		return "*." + m.name1(s[2:], c)
	case strings.HasPrefix(s, "."):
		return "." + m.name1(s[1:], c)
	case strings.HasSuffix(s, ".*"):
		return m.name1(s[:len(s)-2], c) + ".*"
	case strings.HasSuffix(s, ".") && len(s) > 1:
		return m.name1(s[:len(s)-1], c) + "."
	}
	p := m.pseudonym(s, 1+strings.Count(s, "."))
	switch {
	case s == strings.ToLower(s):
		return p
	case s == strings.ToUpper(s):
		return strings.ToUpper(p)
	}
	return strings.ToUpper(p[:1]) + p[1:]
}

// pseudonym returns the (lower-case) pseudonym of s with the given
// number of labels, assigning one when s is new.
func (m *Map) pseudonym(s string, labels int) string {
	key := strings.ToLower(s)
	m.mu.Lock()
	defer m.mu.Unlock()
	if p, ok := m.names[key]; ok {
		return p
	}
	h := hmac.New(sha256.New, m.name)
	h.Write([]byte(key))
	sum := hex.EncodeToString(h.Sum(nil))
	tail := ""
	switch {
	case labels == 2:
		tail = ".invalid"
	case labels >= 3:
		tail = strings.Repeat(".sub", min(labels-3, 16)) + ".example.invalid"
	}
	// 24 bits are plenty for the names of a few hosts; a collision takes
	// two more hex digits, so that two names never share a pseudonym.
	for n := 6; ; n += 2 {
		p := "host-" + sum[:min(n, len(sum))] + tail
		if n >= len(sum) {
			p = "host-" + sum + "-" + hex.EncodeToString([]byte(key))[:min(16, 2*len(key))] + tail
		}
		if _, taken := m.back[p]; !taken {
			m.names[key] = p
			m.back[p] = key
			return p
		}
	}
}

// wellKnownNames reveal nothing about a host and stay as they are.
var wellKnownNames = map[string]bool{
	"_": true, "*": true, "localhost": true, "localhost.localdomain": true, "localhost4": true,
	"localhost4.localdomain4": true, "localhost6": true, "localhost6.localdomain6": true,
	"ip6-localhost": true, "ip6-loopback": true, "ip6-localnet": true, "ip6-mcastprefix": true,
	"ip6-allnodes": true, "ip6-allrouters": true, "ip6-allhosts": true, "broadcasthost": true,
	"default_server": true, "default": true, "(none)": true,
}

func wellKnown(s string) bool {
	l := strings.ToLower(strings.TrimSuffix(s, "."))
	return wellKnownNames[l] || isPseudonym(l) || strings.HasPrefix(l, "$") || strings.HasPrefix(l, "unix:")
}

// isPseudonym reports whether s has the shape of a name pseudonym, so
// that redacting twice changes no name.
func isPseudonym(s string) bool {
	rest, ok := strings.CutPrefix(s, "host-")
	if !ok {
		return false
	}
	label, tail, _ := strings.Cut(rest, ".")
	if len(label) < 6 {
		return false
	}
	for i := 0; i < len(label); i++ {
		if c := label[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c == '-') {
			return false
		}
	}
	if tail == "" || tail == "invalid" {
		return true
	}
	for {
		t, ok := strings.CutPrefix(tail, "sub.")
		if !ok {
			break
		}
		tail = t
	}
	return tail == "example.invalid"
}

func addrFrom4(v uint32) netip.Addr { return netip.AddrFrom4(u32bytes(v)) }

func addrFrom16(b [16]byte) netip.Addr { return netip.AddrFrom16(b) }

// nameLike reports whether s can be a host name as nginx and the hosts
// file write them: a name, an address, a wildcard name or a regular
// expression without blanks.
func nameLike(s string) bool {
	if strings.HasPrefix(s, "~") {
		return !strings.ContainsAny(s, " \t\r\n")
	}
	s = strings.TrimPrefix(strings.TrimPrefix(s, "*."), ".")
	s = strings.TrimSuffix(strings.TrimSuffix(s, ".*"), ".")
	if _, err := netip.ParseAddr(unbracket(s)); err == nil {
		return true
	}
	return hostLike(s)
}

// unbracket returns the address inside "[...]", or s.
func unbracket(s string) string {
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		return s[1 : len(s)-1]
	}
	return s
}
