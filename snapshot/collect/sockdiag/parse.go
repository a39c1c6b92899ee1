package sockdiag

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
)

// Header is the first line DumpListeners writes.
const Header = "# netsnap listeners v1 (NETLINK_SOCK_DIAG): family local recv_q send_q inode uid\n"

const (
	headerPrefix = "# netsnap listeners v"
	maxLine      = 4096 // longer lines are reported as malformed and skipped
	maxErrors    = 100  // further malformed lines are counted in one last error
)

// Listener is one parsed line of the text format (see the package comment).
type Listener struct {
	Family string         // "inet" or "inet6"
	Addr   netip.AddrPort // local address and port
	RecvQ  uint32         // current accept queue (idiag_rqueue)
	SendQ  uint32         // maximum backlog (idiag_wqueue)
	Inode  uint64         // socket inode
	UID    uint32         // owner uid
}

// Parse reads the text format back. Malformed lines are skipped and reported
// as "line N: ..." errors (at most 100, then one error counting the rest); a
// read error ends parsing and is reported last. Parse never panics.
func Parse(r io.Reader) ([]Listener, []error) {
	var (
		out     []Listener
		errs    []error
		dropped int
		lineNo  int
	)
	report := func(err error) {
		if len(errs) < maxErrors {
			errs = append(errs, err)
		} else {
			dropped++
		}
	}
	br := bufio.NewReaderSize(r, maxLine)
	for {
		line, tooLong, err := readLine(br)
		if len(line) > 0 || tooLong || err == nil {
			lineNo++
			if tooLong {
				report(fmt.Errorf("line %d: longer than %d bytes", lineNo, maxLine))
			} else if l, ok, perr := parseLine(line); perr != nil {
				report(fmt.Errorf("line %d: %w", lineNo, perr))
			} else if ok {
				out = append(out, l)
			}
		}
		if err != nil {
			if dropped > 0 {
				errs = append(errs, fmt.Errorf("%d more malformed lines", dropped))
			}
			if err != io.EOF {
				errs = append(errs, fmt.Errorf("line %d: read: %w", lineNo+1, err))
			}
			return out, errs
		}
	}
}

// readLine returns the next line without its "\n" (or "\r\n"). A line longer
// than the reader's buffer is consumed to its end and reported as tooLong.
// err is io.EOF after the last line (which may lack a "\n").
func readLine(br *bufio.Reader) (line []byte, tooLong bool, err error) {
	line, err = br.ReadSlice('\n')
	for err == bufio.ErrBufferFull {
		tooLong = true
		_, err = br.ReadSlice('\n')
	}
	if tooLong {
		return nil, true, err
	}
	line = bytes.TrimSuffix(line, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	return line, false, err
}

var errFields = errors.New("want 6 tab-separated fields: family local recv_q send_q inode uid")

// parseLine parses one line; ok is false for comments and empty lines.
func parseLine(line []byte) (l Listener, ok bool, err error) {
	if len(line) == 0 {
		return l, false, nil
	}
	if line[0] == '#' {
		if v, found := bytes.CutPrefix(line, []byte(headerPrefix)); found {
			ver, _, _ := bytes.Cut(v, []byte{' '})
			if string(ver) != "1" {
				return l, false, fmt.Errorf("unsupported format version %q", ver)
			}
		}
		return l, false, nil
	}
	var f [6][]byte
	rest := line
	for i := range f {
		var found bool
		f[i], rest, found = bytes.Cut(rest, []byte{'\t'})
		if found != (i < len(f)-1) {
			return l, false, errFields
		}
	}
	switch string(f[0]) {
	case "inet", "inet6":
		l.Family = string(f[0])
	default:
		return l, false, fmt.Errorf("family %q: want inet or inet6", f[0])
	}
	if l.Addr, err = netip.ParseAddrPort(string(f[1])); err != nil {
		return l, false, fmt.Errorf("local: %w", err)
	}
	if (l.Family == "inet") != l.Addr.Addr().Is4() {
		return l, false, fmt.Errorf("local %s is not an %s address", f[1], l.Family)
	}
	if l.RecvQ, err = parseUint32("recv_q", f[2]); err != nil {
		return l, false, err
	}
	if l.SendQ, err = parseUint32("send_q", f[3]); err != nil {
		return l, false, err
	}
	if l.Inode, err = parseUint("inode", f[4], 64); err != nil {
		return l, false, err
	}
	if l.UID, err = parseUint32("uid", f[5]); err != nil {
		return l, false, err
	}
	return l, true, nil
}

func parseUint(name string, b []byte, bits int) (uint64, error) {
	// strconv accepts "0x", "_" and a sign only with base 0 or not at all;
	// with base 10 it accepts exactly [0-9]+.
	v, err := strconv.ParseUint(string(b), 10, bits)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok {
			err = ne.Err
		}
		return 0, fmt.Errorf("%s %q: %w", name, b, err)
	}
	return v, nil
}

func parseUint32(name string, b []byte) (uint32, error) {
	v, err := parseUint(name, b, 32)
	return uint32(v), err
}
