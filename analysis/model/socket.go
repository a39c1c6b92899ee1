package model

import (
	"net/netip"
	"strconv"
)

// TCPState is a socket state as /proc/net/tcp prints it in the st column,
// with the kernel's numbering (include/net/tcp_states.h). The zero value
// means unknown.
type TCPState uint8

// TCP states, numbered as in the kernel.
const (
	Established TCPState = 1 + iota
	SynSent
	SynRecv
	FinWait1
	FinWait2
	TimeWait
	Close
	CloseWait
	LastAck
	Listen
	Closing
	NewSynRecv
)

// TCPStates lists every known state in numeric order, for tables.
var TCPStates = []TCPState{
	Established, SynSent, SynRecv, FinWait1, FinWait2, TimeWait,
	Close, CloseWait, LastAck, Listen, Closing, NewSynRecv,
}

var tcpStateNames = [...]string{
	Established: "ESTABLISHED",
	SynSent:     "SYN_SENT",
	SynRecv:     "SYN_RECV",
	FinWait1:    "FIN_WAIT1",
	FinWait2:    "FIN_WAIT2",
	TimeWait:    "TIME_WAIT",
	Close:       "CLOSE",
	CloseWait:   "CLOSE_WAIT",
	LastAck:     "LAST_ACK",
	Listen:      "LISTEN",
	Closing:     "CLOSING",
	NewSynRecv:  "NEW_SYN_RECV",
}

// String returns the kernel's name for the state ("TIME_WAIT"), or
// "UNKNOWN(n)" for a number the kernel does not define.
func (s TCPState) String() string {
	if s.Valid() {
		return tcpStateNames[s]
	}
	return "UNKNOWN(" + strconv.Itoa(int(s)) + ")"
}

// Valid reports whether s is one of the kernel's states (1 to 12).
func (s TCPState) Valid() bool {
	return s >= Established && s <= NewSynRecv
}

// Socket is one row of /proc/net/tcp, tcp6, udp or udp6.
type Socket struct {
	// Local and Remote are the socket's endpoints. Rows of tcp6 and udp6
	// give IPv6 addresses, IPv4-mapped ones (::ffff:a.b.c.d) included.
	Local, Remote netip.AddrPort
	// State is the st column. For UDP the raw value is kept too:
	// 7 (Close) is an unconnected socket, 1 (Established) a connected one.
	State TCPState
	// TxQueue and RxQueue are the send and receive queues in bytes; for a
	// LISTEN socket RxQueue is the current accept queue (connections
	// waiting for accept) and TxQueue is 0 in /proc/net/tcp, the maximum
	// backlog in netsnap's socket table (netsnap/tcp.txt).
	TxQueue, RxQueue uint32
	// Timer is the tr column: 0 none, 1 retransmit, 2 keepalive,
	// 3 TIME_WAIT, 4 zero window probe.
	Timer uint8
	// TimerMS is the time until the timer fires, in milliseconds.
	// /proc/net/tcp prints it in clock ticks (USER_HZ, 100 per second on
	// every Linux architecture netsnap runs on), netsnap's socket table in
	// milliseconds. Overdue timers on old 64-bit kernels print a negative
	// number as a huge one: those are 0.
	TimerMS uint32
	// Retransmits is the retrnsmt column.
	Retransmits uint32
	// UID is the owner's user id.
	UID uint32
	// Timeout is the timeout column: unanswered zero window or keepalive
	// probes.
	Timeout uint32
	// Inode is the socket's inode, 0 for TIME_WAIT and request sockets.
	Inode uint64
}
