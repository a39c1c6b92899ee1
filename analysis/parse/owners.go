package parse

import (
	"io"

	"github.com/netsnap/netsnap/analysis/model"
)

// SocketOwners reads netsnap/socket-owners.txt, one "inode pid fd" line per
// socket file descriptor (tab-separated; blanks are accepted too), and
// calls fn for each. Lines starting with "#" are comments (the header). A
// line with other than three fields, or with a field that is not a decimal
// number (a pid of 0, an fd or pid beyond int32), is a problem and skipped.
// SocketOwners allocates nothing per line: a host with a million sockets
// streams in constant memory.
func SocketOwners(r io.Reader, p *Problems, fn func(model.SocketOwner)) error {
	lr := newLineReader(r, p)
	for {
		line, err := lr.next()
		if err != nil {
			return lr.done(err)
		}
		f1, rest := cutField(line)
		if len(f1) == 0 || f1[0] == '#' {
			continue
		}
		f2, rest := cutField(rest)
		f3, rest := cutField(rest)
		if extra, _ := cutField(rest); len(f3) == 0 || len(extra) != 0 {
			p.Addf(lr.n, "want \"inode pid fd\"")
			continue
		}
		inode, ok := parseUint(f1)
		if !ok {
			p.Addf(lr.n, "bad inode %q", f1)
			continue
		}
		pid, ok := parseUint(f2)
		if !ok || pid == 0 || pid > 1<<31-1 {
			p.Addf(lr.n, "bad pid %q", f2)
			continue
		}
		fd, ok := parseUint(f3)
		if !ok || fd > 1<<31-1 {
			p.Addf(lr.n, "bad fd %q", f3)
			continue
		}
		fn(model.SocketOwner{Inode: inode, PID: int(pid), FD: int(fd)})
	}
}
