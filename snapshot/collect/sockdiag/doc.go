// Package sockdiag collects the TCP listening sockets of the running kernel,
// with their accept queues, through a NETLINK_SOCK_DIAG (inet_diag) dump: the
// same source `ss -lnt` uses. /proc/net/tcp shows a listener's current accept
// queue but not its maximum backlog; this dump shows both.
//
// # Harmlessness
//
// A sock_diag request for a family or protocol whose handler is not
// registered makes the kernel call request_module (inet_diag, tcp_diag), and
// on a kernel without sock_diag even opening the socket does. Collectors must
// call [Available] with /proc/modules and modules.builtin first and call
// [DumpListeners] only when it reports true.
//
// # Text format (version 1)
//
// DumpListeners writes, and [Parse] reads, this UTF-8 text:
//
//	# netsnap listeners v1 (NETLINK_SOCK_DIAG): family local recv_q send_q inode uid
//	inet	0.0.0.0:80	0	511	123456	0
//	inet6	[::]:443	3	4096	123457	33
//
// The rules:
//
//   - One socket per line, lines end with "\n", fields are separated by a single tab.
//   - Lines starting with "#" are comments; the first line is the header above,
//     and its "v1" is the format version. Empty lines are ignored.
//   - family is "inet" (IPv4 sockets, listed first) or "inet6" (IPv6 sockets,
//     including dual-stack ones bound to [::]).
//   - local is the bound address and port, as netip.AddrPort.String() prints it
//     ("0.0.0.0:80", "[::]:443", "[::ffff:10.0.0.1]:80"); no IPv6 zone is written.
//   - recv_q is idiag_rqueue: the current accept queue length (connections
//     established by the kernel and not yet accepted by the application).
//   - send_q is idiag_wqueue: the maximum accept backlog, i.e. listen()'s
//     backlog argument clipped to net.core.somaxconn.
//   - inode is the socket inode (matches /proc/net/tcp and /proc/PID/fd links
//     "socket:[INODE]"); uid is the socket owner's uid. All four are decimal.
//
// The kernel counts a listener's accept queue as full when recv_q > send_q
// (not >=), so recv_q can reach send_q+1; SYNs and handshakes that arrive
// then are dropped (ListenOverflows/ListenDrops in /proc/net/netstat).
//
// Kernels before 3.3 have no SOCK_DIAG_BY_FAMILY request: DumpListeners then
// fails with EINVAL (the request is rejected before any handler lookup).
package sockdiag
