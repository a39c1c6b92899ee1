package snapshot

import "io"

// AsyncMember is a Member compressed on a goroutine of its own: a large
// entry (a socket table being read or rewritten) is compressed on the other
// core while it is produced, instead of after. Writes hand over copies in a
// fixed set of chunks, so memory stays bounded (6 × 64 KiB).
type AsyncMember struct {
	m    *Member
	ch   chan []byte
	free chan []byte
	done chan error
}

const (
	asyncChunk  = 64 << 10
	asyncChunks = 6
)

// NewAsyncMember starts a member (see NewMember) and its compressor goroutine.
func NewAsyncMember(compression string, dst io.Writer, fast bool) (*AsyncMember, error) {
	m, err := NewMember(compression, dst, fast)
	if err != nil {
		return nil, err
	}
	w := &AsyncMember{m: m, ch: make(chan []byte, asyncChunks), free: make(chan []byte, asyncChunks), done: make(chan error, 1)}
	for range asyncChunks {
		w.free <- make([]byte, 0, asyncChunk)
	}
	go func() {
		var err error
		for b := range w.ch {
			if err == nil {
				_, err = w.m.Write(b)
			}
			w.free <- b[:0]
		}
		if cerr := w.m.Close(); err == nil {
			err = cerr
		}
		w.done <- err
	}()
	return w, nil
}

// Write implements io.Writer. Errors of the compressor or of dst (a full
// disk) come out of Close.
func (w *AsyncMember) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		b := <-w.free // the goroutine returns every chunk it takes
		k := min(len(p), asyncChunk)
		b = append(b, p[:k]...)
		w.ch <- b
		p = p[k:]
	}
	return n, nil
}

// Close waits for the compressor and returns the member's uncompressed size.
// It must be called once, after the last Write.
func (w *AsyncMember) Close() (int64, error) {
	close(w.ch)
	err := <-w.done
	return w.m.Size(), err
}
