package model

import (
	"strconv"
	"strings"
)

// Sysctls maps a dotted sysctl key ("net.ipv4.tcp_max_tw_buckets") to its
// value, surrounding whitespace trimmed and inner whitespace runs folded to
// one space ("32768 60999"). A key that is present with an empty value
// was readable but empty; an absent key was not captured (or does not
// exist on that kernel, like tcp_tw_recycle on 4.12 and later).
//
// Keys are the path below /proc/sys with "/" turned into ".", so a path
// element that itself holds a dot (net/ipv4/conf/eth0.100/rp_filter) gives
// a key that cannot be told from a deeper path: "net.ipv4.conf.eth0.100.rp_filter".
type Sysctls map[string]string

// Get returns the value of key and whether it is present.
func (s Sysctls) Get(key string) (string, bool) {
	v, ok := s[key]
	return v, ok
}

// Int returns the value of key as an integer, and false when the key is
// absent or its value is not one integer.
func (s Sysctls) Int(key string) (int64, bool) {
	v, ok := s[key]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// Ints returns the value of key as a list of integers ("32768 60999",
// tcp_mem's three numbers), and false when the key is absent or any
// field is not an integer.
func (s Sysctls) Ints(key string) ([]int64, bool) {
	v, ok := s[key]
	if !ok {
		return nil, false
	}
	f := strings.Fields(v)
	if len(f) == 0 {
		return nil, false
	}
	out := make([]int64, len(f))
	for i, x := range f {
		n, err := strconv.ParseInt(x, 10, 64)
		if err != nil {
			return nil, false
		}
		out[i] = n
	}
	return out, true
}

// SysctlSetting is a persisted setting: a line of sysctl.conf or a
// sysctl.d file, or a sysctl -w / echo > /proc/sys line of rc.local.
// Key uses the same dotted form as Sysctls and Value the same folding,
// so the two compare directly.
type SysctlSetting struct {
	Key, Value string
	File       string // the file the setting was read from
	Line       int    // 1-based line number in File
}
