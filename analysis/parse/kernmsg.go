package parse

import (
	"net/netip"
	"strings"
)

// KernelMessage is a kernel log message the analyzer looks for: what
// ClassifyKernel returns for it, what it means, and real lines it matches.
// The table is data so that documentation and tests share it.
type KernelMessage struct {
	ID       string   // stable id ClassifyKernel returns, e.g. "conntrack-table-full"
	Doc      string   // what the message means, and which kernels print it
	Detail   string   // what ClassifyKernel's detail holds for this message, "" if nothing
	Examples []string // message texts it matches, as kernels print them

	needle string                                   // a substring every matching text holds
	match  func(text string, at int) (string, bool) // checks the text around needle at index at
}

// kernelMessages is the table ClassifyKernel walks, in this order.
var kernelMessages = []KernelMessage{
	{
		ID: "conntrack-table-full",
		Doc: "The connection tracking table is full: new connections are dropped before they reach " +
			"any socket. Printed by nf_conntrack (ip_conntrack before 2.6.20), with the module " +
			"prefix once or twice, and with the network namespace on kernels that have them.",
		Detail: "the network namespace's inode number when the kernel names one, else empty",
		Examples: []string{
			"nf_conntrack: table full, dropping packet",
			"nf_conntrack: nf_conntrack: table full, dropping packet",
			"nf_conntrack: nf_conntrack: table full in netns 4026532177, dropping packet",
			"ip_conntrack: table full, dropping packet.",
		},
		needle: "table full",
		match:  matchConntrackFull,
	},
	{
		ID: "tw-bucket-overflow",
		Doc: "TCP could not keep a closing socket in TIME_WAIT because tcp_max_tw_buckets were in use: " +
			"the socket is closed at once. Logged by old kernels only (rate-limited debug output " +
			"on 4.x and later, where TcpExt TCPTimeWaitOverflow counts it instead).",
		Examples: []string{
			"TCP: time wait bucket table overflow",
			"TCP: time wait bucket table overflow (CPU3)",
		},
		needle: "time wait bucket table overflow",
		match:  matchWord,
	},
	{
		ID: "syn-flood",
		Doc: "A listener's SYN backlog is full: the kernel is sending SYN cookies or, with " +
			"tcp_syncookies=0, dropping connection requests. Printed once per listener.",
		Detail: "the listening port, with its address when the kernel prints one (0.0.0.0:80)",
		Examples: []string{
			"Possible SYN flooding on port 80. Sending cookies.",
			"possible SYN flooding on port 80. Dropping request.",
			"TCP: request_sock_TCP: Possible SYN flooding on port 0.0.0.0:80. Sending cookies.  Check SNMP counters.",
			"TCP: request_sock_TCPv6: Possible SYN flooding on port [::]:443. Sending cookies.  Check SNMP counters.",
		},
		needle: "ossible SYN flooding on port ",
		match:  matchSynFlood,
	},
	{
		ID: "orphans",
		Doc: "More sockets are orphaned (closed by the application, not yet by TCP) than " +
			"tcp_max_orphans allows, or TCP memory is short: the kernel resets such sockets. " +
			"Kernels before 3.x print \"Out of socket memory\" for either cause.",
		Examples: []string{
			"TCP: too many orphaned sockets",
			"TCP: too many of orphaned sockets",
			"Out of socket memory",
		},
		needle: "orphaned sockets",
		match:  matchOrphans,
	},
	{
		ID: "tcp-mem",
		Doc: "TCP socket memory is above the tcp_mem hard limit: the kernel resets sockets " +
			"to reclaim memory.",
		Examples: []string{
			"TCP: out of memory -- consider tuning tcp_mem",
		},
		needle: "out of memory -- consider tuning tcp_mem",
		match:  matchWord,
	},
	{
		ID: "ratelimit",
		Doc: "net_ratelimit suppressed this many network messages (of any kind) since its last " +
			"report: other messages, such as the ones above, may be hidden.",
		Detail: "the number of suppressed messages",
		Examples: []string{
			"net_ratelimit: 10606 callbacks suppressed",
		},
		needle: "net_ratelimit: ",
		match:  matchRatelimit,
	},
}

// KernelMessages returns the messages ClassifyKernel knows, in the order
// it tries them. The slice is a copy.
func KernelMessages() []KernelMessage {
	out := make([]KernelMessage, len(kernelMessages))
	copy(out, kernelMessages)
	return out
}

// ClassifyKernel tells which of KernelMessages a kernel log text is, and a
// detail (the port of a SYN flood, the count of suppressed callbacks). It
// returns "", "" for any other text. The message may start anywhere in
// text, after other console output, but must begin a word: matching is
// exact in case, as the kernel prints it.
func ClassifyKernel(text string) (id string, detail string) {
	for i := range kernelMessages {
		m := &kernelMessages[i]
		for off := 0; off < len(text); {
			j := strings.Index(text[off:], m.needle)
			if j < 0 {
				break
			}
			if d, ok := m.match(text, off+j); ok {
				return m.ID, d
			}
			off += j + 1
		}
	}
	// Kernels before 3.x: "Out of socket memory" for orphans and tcp_mem alike.
	if i := strings.Index(text, "Out of socket memory"); i >= 0 && wordStart(text, i) {
		return "orphans", ""
	}
	return "", ""
}

// wordStart reports whether text[i] starts a word: it is the first byte
// or follows a byte that is not a letter, digit or underscore.
func wordStart(text string, i int) bool {
	if i == 0 {
		return true
	}
	c := text[i-1]
	return !(c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z')
}

// matchWord accepts the needle where it starts a word.
func matchWord(text string, at int) (string, bool) {
	return "", wordStart(text, at)
}

// matchConntrackFull accepts "nf_conntrack: table full, dropping packet",
// the ip_conntrack spelling, and "table full in netns N, dropping packet".
func matchConntrackFull(text string, at int) (string, bool) {
	before := text[:at]
	var prefix string
	switch {
	case strings.HasSuffix(before, "nf_conntrack: "):
		prefix = "nf_conntrack: "
	case strings.HasSuffix(before, "ip_conntrack: "):
		prefix = "ip_conntrack: "
	default:
		return "", false
	}
	if !wordStart(text, at-len(prefix)) {
		return "", false
	}
	after := text[at+len("table full"):]
	if strings.HasPrefix(after, ", dropping packet") {
		return "", true
	}
	rest, ok := strings.CutPrefix(after, " in netns ")
	if !ok {
		return "", false
	}
	n := leadingDigits(rest)
	if n == 0 || !strings.HasPrefix(rest[n:], ", dropping packet") {
		return "", false
	}
	return rest[:n], true
}

// matchSynFlood accepts "Possible SYN flooding on port P." and returns the
// port of P, which is a number or, since 4.x, an address and port
// ("0.0.0.0:80", "[::]:443").
func matchSynFlood(text string, at int) (string, bool) {
	if at == 0 || text[at-1] != 'P' && text[at-1] != 'p' || !wordStart(text, at-1) {
		return "", false
	}
	rest := text[at+len("ossible SYN flooding on port "):]
	if i := strings.IndexAny(rest, " \t\n"); i >= 0 {
		rest = rest[:i]
	}
	rest = strings.TrimSuffix(rest, ".")
	port := rest
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		port = rest[i+1:]
		if _, err := netip.ParseAddrPort(rest); err != nil {
			rest = port // not an address: keep the port alone
		}
	}
	if n := leadingDigits(port); n == 0 || n != len(port) {
		return "", true
	}
	return rest, true
}

// matchOrphans accepts "too many orphaned sockets" and "too many of orphaned sockets".
func matchOrphans(text string, at int) (string, bool) {
	before := text[:at]
	for _, p := range []string{"too many ", "too many of "} {
		if strings.HasSuffix(before, p) && wordStart(text, at-len(p)) {
			return "", true
		}
	}
	return "", false
}

// matchRatelimit accepts "net_ratelimit: N callbacks suppressed" and returns N.
func matchRatelimit(text string, at int) (string, bool) {
	if !wordStart(text, at) {
		return "", false
	}
	rest := text[at+len("net_ratelimit: "):]
	n := leadingDigits(rest)
	if n == 0 || !strings.HasPrefix(rest[n:], " callbacks suppressed") {
		return "", false
	}
	return rest[:n], true
}

// leadingDigits returns how many decimal digits s starts with.
func leadingDigits(s string) int {
	n := 0
	for n < len(s) && '0' <= s[n] && s[n] <= '9' {
		n++
	}
	return n
}
