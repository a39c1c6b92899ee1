package sockdiag

import "sync"

// formatter turns the datagrams of a socket table dump into lines on a
// goroutine of its own, so that the reader goes straight back to the kernel
// for the next one (the kernel's work and ours overlap on two cores).
type formatter struct {
	d    *dumper
	jobs chan fmtJob
	pool chan []byte
	done chan struct{}

	mu  sync.Mutex
	err error // the formatter's first error (write error, ErrLimit, malformed message)

	cur  []byte // the reader's buffer being filled, and its datagrams' ends
	ends []int
}

// fmtJob is a few datagrams of one family: b[ends[i-1]:ends[i]] each.
type fmtJob struct {
	b      []byte
	ends   []int
	family uint8
	seq    uint32
}

// The reader fills a buffer with up to fmtDatagrams datagrams before it
// hands it over: fewer wake-ups of the formatter per socket.
const (
	fmtBuffers   = 6
	fmtDatagrams = 4
)

func newFormatter(d *dumper) *formatter {
	f := &formatter{d: d, jobs: make(chan fmtJob, fmtBuffers), pool: make(chan []byte, fmtBuffers), done: make(chan struct{})}
	for range fmtBuffers {
		f.pool <- make([]byte, 0, fmtDatagrams*recvBufSize)
	}
	go func() {
		defer close(f.done)
		for j := range f.jobs {
			start := 0
			for _, end := range j.ends {
				if f.failed() == nil {
					if _, err := d.handle(j.b[start:end], j.family, j.seq); err != nil {
						f.mu.Lock()
						f.err = err
						f.mu.Unlock()
					}
				}
				start = end
			}
			f.pool <- j.b[:0]
		}
	}()
	return f
}

// next returns the room for the next datagram, in the buffer being filled.
func (f *formatter) next() []byte {
	if f.cur == nil {
		f.cur = <-f.pool
		f.ends = nil
	}
	return f.cur[len(f.cur) : len(f.cur)+recvBufSize]
}

// got records a datagram of n bytes received into next()'s room and hands
// the buffer to the formatter when it is full or flush is set (the end of
// a family's dump, or an error).
func (f *formatter) got(n int, family uint8, seq uint32, flush bool) {
	f.cur = f.cur[:len(f.cur)+n]
	f.ends = append(f.ends, len(f.cur))
	if flush || cap(f.cur)-len(f.cur) < recvBufSize {
		f.jobs <- fmtJob{b: f.cur, ends: f.ends, family: family, seq: seq}
		f.cur, f.ends = nil, nil
	}
}

func (f *formatter) failed() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// wait ends the formatter and returns its error.
func (f *formatter) wait() error {
	if len(f.ends) > 0 { // a dump that stopped early
		f.jobs <- fmtJob{b: f.cur, ends: f.ends, family: 0, seq: 0}
	}
	close(f.jobs)
	<-f.done
	return f.failed()
}
