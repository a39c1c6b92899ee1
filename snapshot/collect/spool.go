package collect

import (
	"bytes"
	"errors"
	"io"
	"os"

	"github.com/netsnap/netsnap/snapshot"
)

// spoolMem is how much of a source a spool keeps in memory before it spills
// to an anonymous temporary file.
const spoolMem = 1 << 20

// spool holds one source's bytes between reading it and writing its archive
// entry (a tar header needs the size first, and /proc files stat as 0).
// Small sources stay in memory; larger ones go to an unnamed temporary file
// that disappears with the process, so memory stays flat whatever the size.
type spool struct {
	dir string
	mem []byte
	f   *os.File
	n   int64
	err error
}

func newSpool(dir string) *spool { return &spool{dir: dir, mem: make([]byte, 0, 64<<10)} }

// Write implements io.Writer.
func (s *spool) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.f == nil && len(s.mem)+len(p) <= spoolMem {
		s.mem = append(s.mem, p...)
		s.n += int64(len(p))
		return len(p), nil
	}
	if s.f == nil {
		f, err := snapshot.SpoolFile(s.dir)
		if err != nil {
			s.err = err
			return 0, err
		}
		s.f = f
	}
	if len(s.mem) > 0 {
		if _, err := s.f.Write(s.mem); err != nil {
			s.err = err
			return 0, err
		}
		s.mem = s.mem[:0]
	}
	n, err := s.f.Write(p)
	s.n += int64(n)
	if err != nil {
		s.err = err
	}
	return n, err
}

// Len is the number of bytes held.
func (s *spool) Len() int64 { return s.n }

// Section returns a reader of bytes [off, Len()).
func (s *spool) Section(off int64) io.Reader {
	if off > s.n {
		off = s.n
	}
	if s.f == nil {
		return bytes.NewReader(s.mem[off:])
	}
	return io.NewSectionReader(s.f, off, s.n-off)
}

// TailOffset returns the offset at which the last max bytes start, moved
// forward to the start of a line (the first partial line is dropped).
func (s *spool) TailOffset(max int64) int64 {
	if s.n <= max {
		return 0
	}
	off := s.n - max
	buf := make([]byte, 4096)
	for pos := off; pos < s.n; {
		k, err := s.readAt(buf, pos)
		if i := bytes.IndexByte(buf[:k], '\n'); i >= 0 {
			return pos + int64(i) + 1
		}
		if err != nil || k == 0 {
			break
		}
		pos += int64(k)
	}
	return s.n
}

func (s *spool) readAt(p []byte, off int64) (int, error) {
	if s.f == nil {
		if off >= int64(len(s.mem)) {
			return 0, io.EOF
		}
		return copy(p, s.mem[off:]), nil
	}
	n, err := s.f.ReadAt(p, off)
	if errors.Is(err, io.EOF) && n > 0 {
		err = nil
	}
	return n, err
}

// Cut drops the bytes past n.
func (s *spool) Cut(n int64) {
	if n >= s.n {
		return
	}
	if s.f == nil {
		s.mem = s.mem[:n]
	}
	s.n = n
}

// Reset empties the spool for reuse.
func (s *spool) Reset() {
	s.mem = s.mem[:0]
	s.n = 0
	s.err = nil
	if s.f != nil {
		if err := s.f.Truncate(0); err != nil {
			s.f.Close()
			s.f = nil
		} else if _, err := s.f.Seek(0, io.SeekStart); err != nil {
			s.f.Close()
			s.f = nil
		}
	}
}

// Close releases the temporary file.
func (s *spool) Close() {
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
}
