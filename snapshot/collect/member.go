package collect

import (
	"github.com/netsnap/netsnap/snapshot"
)

// memberWriter compresses what is written to it on a goroutine of its own,
// into a snapshot.Member whose compressed bytes go to a spool: a large
// derived source (the socket table) is compressed on the other core while
// it is being read, instead of after. Writes hand over copies in a fixed
// set of chunks, so memory stays bounded.
type memberWriter struct {
	m     *snapshot.Member
	ch    chan []byte
	free  chan []byte
	done  chan error
	wrote int64
}

const (
	memberChunk  = 64 << 10
	memberChunks = 6
)

func newMemberWriter(compression string, sp *spool, fast bool) (*memberWriter, error) {
	m, err := snapshot.NewMember(compression, sp, fast)
	if err != nil {
		return nil, err
	}
	w := &memberWriter{m: m, ch: make(chan []byte, memberChunks), free: make(chan []byte, memberChunks), done: make(chan error, 1)}
	for range memberChunks {
		w.free <- make([]byte, 0, memberChunk)
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

// Write implements io.Writer. Errors of the compressor (a full spool disk)
// come out of Close.
func (w *memberWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		b := <-w.free // the goroutine returns every chunk it takes
		k := min(len(p), memberChunk)
		b = append(b, p[:k]...)
		w.ch <- b
		p = p[k:]
	}
	w.wrote += int64(n)
	return n, nil
}

// Close waits for the compressor and returns the member's uncompressed size.
func (w *memberWriter) Close() (int64, error) {
	close(w.ch)
	err := <-w.done
	return w.m.Size(), err
}
