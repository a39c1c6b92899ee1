// Package sockdiag reads the TCP sockets of the running kernel through a
// NETLINK_SOCK_DIAG (inet_diag) dump: the same source `ss` uses. It writes
// two documented text formats: the whole socket table ([DumpTCP]), which
// costs the kernel about half of what printing /proc/net/tcp costs and is a
// third of its size, and the listeners alone ([DumpListeners]), with their
// accept queues and maximum backlogs (which /proc/net/tcp does not show).
//
// # Harmlessness
//
// A sock_diag request for a family or protocol whose handler is not
// registered makes the kernel call request_module (inet_diag, tcp_diag), and
// on a kernel without sock_diag even opening the socket does. Collectors must
// call [Available] with /proc/modules and modules.builtin first and call
// [DumpListeners] only when it reports true.
//
// # Socket table format (version 1)
//
// DumpTCP writes this UTF-8 text, one socket per line:
//
//	# netsnap tcp v1 (NETLINK_SOCK_DIAG): state local remote recv_q send_q timer expires_ms retrans uid inode
//	LISTEN	0.0.0.0:80	0.0.0.0:0	0	511	0	0	0	0	123456
//	ESTABLISHED	10.0.0.1:80	10.0.0.9:51234	0	0	0	0	0	33	123460
//	TIME_WAIT	10.0.0.1:41234	10.0.0.2:8080	0	0	3	59731	0	0	0
//	SYN_SENT	[::ffff:10.0.0.1]:40000	[::ffff:10.0.0.3]:9092	0	1	1	1893	2	33	123470
//
// The rules:
//
//   - One socket per line, lines end with "\n", fields are separated by a
//     single tab. Lines starting with "#" are comments; the first is the
//     header above, whose "v1" is the format version.
//   - IPv4 sockets come first, then IPv6 ones (AF_INET6 sockets, including
//     dual-stack ones talking to IPv4-mapped addresses); in each family the
//     listening sockets come before the others, as in /proc/net/tcp.
//   - state is the kernel's name of the TCP state (ESTABLISHED, SYN_SENT,
//     SYN_RECV, FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSE, CLOSE_WAIT, LAST_ACK,
//     LISTEN, CLOSING; request sockets are SYN_RECV).
//   - local and remote are netip.AddrPort texts: "10.0.0.1:80",
//     "[2001:db8::1]:443", "[::ffff:10.0.0.1]:80".
//   - recv_q and send_q are idiag_rqueue and idiag_wqueue: for a listener
//     the current accept queue and the maximum backlog (listen()'s backlog
//     clipped to net.core.somaxconn); for a connection the bytes not yet
//     read by the application and not yet acknowledged by the peer (the
//     rx_queue and tx_queue of /proc/net/tcp).
//   - timer is idiag_timer: 0 none, 1 retransmit (also SYN_SENT and request
//     sockets), 2 keepalive, 3 TIME_WAIT, 4 zero window probe. expires_ms is
//     the time until it fires in milliseconds (/proc/net/tcp prints the same
//     in clock ticks). retrans is idiag_retrans: retransmissions for timer 1,
//     unanswered probes for timers 2 and 4 (the retrnsmt and timeout columns
//     of /proc/net/tcp), 0 otherwise.
//   - uid is the owner's uid, inode the socket inode (0 for TIME_WAIT and
//     request sockets), both decimal.
//
// # Listener format (version 1)
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
