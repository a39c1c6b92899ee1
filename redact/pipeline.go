package redact

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
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
