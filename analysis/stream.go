package analysis

import (
	"io"
	"regexp"
	"slices"

	"github.com/netsnap/netsnap/analysis/model"
	"github.com/netsnap/netsnap/analysis/parse"
	"github.com/netsnap/netsnap/snapshot"
)

// OpenSnapshot opens a snapshot like snapshot.Open and, for an archive,
// parses its socket tables while the archive is being decompressed, on a
// goroutine of their own (so on the other core): on a host with a million
// sockets, parsing them costs about as much as decompressing them, and this
// way the two overlap. Load and Analyze use the result; a snapshot opened
// with snapshot.Open is analysed the same, only slower.
func OpenSnapshot(path string, opt snapshot.ReadOptions) (*snapshot.Snapshot, error) {
	ts := newTableStream()
	opt.Tee = ts.tee
	snap, err := snapshot.Open(path, opt)
	ts.close()
	if err != nil {
		return nil, err
	}
	snap.Prepared = ts
	return snap, nil
}

// tableFile matches the socket tables of a sample: netsnap's, or the kernel's.
var tableFile = regexp.MustCompile(`^(samples/[0-9]+/)(netsnap/tcp\.txt|proc/net/tcp6?)$`)

// tableStream parses the socket tables teed to it, in archive order.
type tableStream struct {
	jobs chan tableJob
	pool chan []byte // chunks shared by the pipes (entries are read one at a time)
	done chan struct{}
	// results by sample dir and kind ("samples/1/" + "diag" or "proc");
	// written by the consumer goroutine, read after done.
	results map[string]*streamed
	taken   int // results the loader used
}

type tableJob struct {
	dir  string
	diag bool
	name string
	r    *chunkPipe
}

// streamed is a sample's socket table parsed while it was read.
type streamed struct {
	agg       *tcpAgg
	prevPorts []uint16 // the listening ports it started from (the previous sample's)
	problems  []*parse.Problems
	failed    bool // an entry was cut short: parse it again from the snapshot
}

const (
	streamChunk  = 64 << 10
	streamChunks = 16
)

func newTableStream() *tableStream {
	ts := &tableStream{jobs: make(chan tableJob, 4), pool: make(chan []byte, streamChunks), done: make(chan struct{}), results: map[string]*streamed{}}
	for range streamChunks {
		ts.pool <- make([]byte, 0, streamChunk)
	}
	go ts.run()
	return ts
}

// tee is the snapshot.ReadOptions.Tee of OpenSnapshot.
func (ts *tableStream) tee(name string) snapshot.TeeWriter {
	m := tableFile.FindStringSubmatch(name)
	if m == nil {
		return nil
	}
	p := &chunkPipe{ch: make(chan []byte, streamChunks), pool: ts.pool}
	ts.jobs <- tableJob{dir: m[1], diag: m[2] == "netsnap/tcp.txt", name: name, r: p}
	return p
}

// close ends the stream once the archive is read and waits for the consumer.
func (ts *tableStream) close() {
	close(ts.jobs)
	<-ts.done
}

func (ts *tableStream) run() {
	defer close(ts.done)
	var lastListen []model.Socket
	var last *streamed
	for j := range ts.jobs {
		key := j.dir + "proc"
		if j.diag {
			key = j.dir + "diag"
		}
		s := ts.results[key]
		if s == nil {
			if last != nil {
				lastListen = last.agg.t.Listen
			}
			s = &streamed{agg: newTCPAgg(lastListen), prevPorts: listenPorts(lastListen)}
			ts.results[key] = s
			last = s
		}
		p := &parse.Problems{File: j.name}
		var err error
		if j.diag {
			err = parseTableParallel(j.r, p, s.agg.add)
		} else {
			err = parse.TCP(j.r, p, s.agg.add)
		}
		if err != nil {
			s.failed = true
		}
		io.Copy(io.Discard, j.r) // a parser that stopped early must not stall the reader
		if j.r.err != nil {
			s.failed = true
		}
		s.problems = append(s.problems, p)
	}
}

// take returns the parsed table of a sample when it was parsed from the
// same starting point the loader has (the previous sample's listeners).
func (ts *tableStream) take(dir string, diag bool, prev []model.Socket) *streamed {
	key := dir + "proc"
	if diag {
		key = dir + "diag"
	}
	s := ts.results[key]
	if s == nil || s.failed || !slices.Equal(s.prevPorts, listenPorts(prev)) {
		return nil
	}
	delete(ts.results, key)
	ts.taken++
	return s
}

func listenPorts(l []model.Socket) []uint16 {
	out := make([]uint16, 0, len(l))
	for _, s := range l {
		out = append(out, s.Local.Port())
	}
	return out
}

// chunkPipe carries an entry's data from the archive reader to the
// consumer in copies, up to streamChunks ahead, so the reader does not wait
// for the parser (an io.Pipe hands over each write only as it is read).
type chunkPipe struct {
	ch   chan []byte
	pool chan []byte
	cur  []byte // the chunk being read, and what is left of it
	buf  []byte
	err  error // why the writer closed, read after ch is closed
}

// Write copies p into chunks from the pool.
func (p *chunkPipe) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		c := <-p.pool
		k := min(len(b), streamChunk)
		c = append(c[:0], b[:k]...)
		p.ch <- c
		b = b[k:]
	}
	return n, nil
}

// TeeOnly implements snapshot.TeeOnly: the table is parsed from the copy;
// the snapshot need not keep it (it reads it again if the loader ever has
// to parse it itself).
func (p *chunkPipe) TeeOnly() bool { return true }

// CloseWithError ends the entry (err nil: complete).
func (p *chunkPipe) CloseWithError(err error) error {
	p.err = err
	close(p.ch)
	return nil
}

// Read implements io.Reader for the consumer.
func (p *chunkPipe) Read(b []byte) (int, error) {
	for len(p.cur) == 0 {
		if p.buf != nil {
			p.pool <- p.buf[:0]
			p.buf = nil
		}
		c, ok := <-p.ch
		if !ok {
			if p.err != nil {
				return 0, p.err
			}
			return 0, io.EOF
		}
		p.buf, p.cur = c, c
	}
	n := copy(b, p.cur)
	p.cur = p.cur[n:]
	return n, nil
}
