package model

// Unlimited is the value of a resource limit that is "unlimited".
const Unlimited int64 = 1 << 62

// Process is one process of the host as netsnap recorded it.
type Process struct {
	PID, PPID  int
	UID        int    // -1 if unknown
	Comm       string // the kernel's command name (/proc/PID/comm)
	OpenFDs    int    // open file descriptors, -1 if unknown
	NofileSoft int64  // "Max open files" soft limit, -1 if unknown, Unlimited for "unlimited"
	NofileHard int64  // "Max open files" hard limit, -1 if unknown, Unlimited for "unlimited"
	Cmdline    string // arguments joined by spaces; recorded for nginx-family processes only
}

// SocketOwner says that process PID holds socket Inode as file descriptor FD.
type SocketOwner struct {
	Inode uint64
	PID   int
	FD    int
}
