package redact

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"

	"github.com/netsnap/netsnap/snapshot"
)

// chunkSize is the size of the blocks of lines the large tables are cut
// into, to be rewritten on every core.
const chunkSize = 256 << 10

type chunk struct {
	in, out []byte
	done    chan struct{}
}

// parallel rewrites r line by line into w like lines, with blocks of
// lines rewritten on every core (each worker with its own address cache)
// and written in order.
func (d *driver) parallel(w io.Writer, r io.Reader, name string, fn func(*rewriter, []byte, []byte) []byte) error {
	workers := runtime.GOMAXPROCS(0)
	if workers < 2 {
		return d.lines(w, r, name, fn)
	}
	free := make(chan *chunk, 2*workers+2)
	for range cap(free) {
		free <- &chunk{in: make([]byte, 0, chunkSize), done: make(chan struct{}, 1)}
	}
	jobs := make(chan *chunk, cap(free))
	ordered := make(chan *chunk, cap(free))
	rws := make([]*rewriter, workers)
	finished := make(chan struct{})
	for k := range rws {
		rws[k] = newRewriter(d.m, d.r.known)
		go func(rw *rewriter) {
			for c := range jobs {
				c.out = rewriteLines(rw, fn, c.out[:0], c.in)
				c.done <- struct{}{}
			}
			finished <- struct{}{}
		}(rws[k])
	}
	werr := make(chan error, 1)
	go func() {
		var err error
		for c := range ordered {
			<-c.done
			if err == nil {
				_, err = w.Write(c.out)
			}
			c.in = c.in[:0]
			free <- c
		}
		werr <- err
	}()

	rerr := readChunks(r, free, func(c *chunk) {
		ordered <- c
		jobs <- c
	})
	close(jobs)
	close(ordered)
	err := <-werr
	for range rws {
		<-finished
	}
	for _, rw := range rws {
		rw.done()
	}
	if rerr != nil {
		return fmt.Errorf("%s: %q: %w", d.snap.Path, name, rerr)
	}
	return err
}

// readChunks cuts r into blocks of whole lines (a line longer than a
// block is cut) and hands each to send.
func readChunks(r io.Reader, free chan *chunk, send func(*chunk)) error {
	var carry []byte
	for {
		c := <-free
		c.in = append(c.in[:0], carry...)
		carry = carry[:0]
		n, err := io.ReadFull(r, c.in[len(c.in):cap(c.in)])
		c.in = c.in[:len(c.in)+n]
		eof := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		if err != nil && !eof {
			free <- c
			return err
		}
		if !eof {
			if i := bytes.LastIndexByte(c.in, '\n'); i >= 0 {
				carry = append(carry, c.in[i+1:]...)
				c.in = c.in[:i+1]
			}
		}
		if len(c.in) > 0 {
			send(c)
		} else {
			free <- c
		}
		if eof {
			return nil
		}
	}
}

// rewriteLines rewrites the lines of in, appending to dst.
func rewriteLines(rw *rewriter, fn func(*rewriter, []byte, []byte) []byte, dst, in []byte) []byte {
	for len(in) > 0 {
		i := bytes.IndexByte(in, '\n') + 1
		if i == 0 {
			i = len(in)
		}
		dst = fn(rw, dst, in[:i])
		in = in[i:]
	}
	return dst
}

// memberWriter compresses what is written to it on a goroutine of its own
// into a snapshot.Member, so that compression runs beside the rewriting.
type memberWriter struct {
	m    *snapshot.Member
	ch   chan []byte
	free chan []byte
	done chan error
}

const (
	memberChunk  = 64 << 10
	memberChunks = 6
)

func newMemberWriter(compression string, dst io.Writer, fast bool) (*memberWriter, error) {
	m, err := snapshot.NewMember(compression, dst, fast)
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

// Write implements io.Writer; the compressor's errors come out of Close.
func (w *memberWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		b := <-w.free
		k := min(len(p), memberChunk)
		b = append(b, p[:k]...)
		w.ch <- b
		p = p[k:]
	}
	return n, nil
}

// Close waits for the compressor and returns the uncompressed size.
func (w *memberWriter) Close() (int64, error) {
	close(w.ch)
	err := <-w.done
	return w.m.Size(), err
}
