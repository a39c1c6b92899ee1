package collect

import (
	"sync"

	"github.com/netsnap/netsnap/snapshot"
)

// pipe writes archive entries on a goroutine of its own, so that
// compressing one source overlaps reading the next (on another core). Two
// spools take turns: the collector fills one while the pipe writes the
// other, so memory stays bounded whatever the sizes.
type pipe struct {
	w     *snapshot.Writer
	jobs  chan entry
	free  chan *spool
	done  chan struct{}
	names map[string]bool // entries submitted, for has (collector goroutine only)

	mu  sync.Mutex
	err error // the first write error
}

type entry struct {
	batch []entry // several small entries written in one job
	name  string
	sp    *spool // the bytes from off, or nil for data
	off   int64
	data  []byte
	// member: sp holds a compressed member of size bytes of data (see snapshot.AsyncMember).
	member bool
	size   int64
}

func newPipe(w *snapshot.Writer, tempDir string) *pipe {
	p := &pipe{w: w, jobs: make(chan entry), free: make(chan *spool, 2), done: make(chan struct{}), names: map[string]bool{}}
	p.free <- newSpool(tempDir)
	go p.run()
	return p
}

func (p *pipe) run() {
	defer close(p.done)
	for e := range p.jobs {
		for _, b := range e.batch {
			if p.failed() == nil {
				p.setErr(p.w.AddBytes(b.name, b.data))
			}
		}
		if e.batch != nil {
			continue
		}
		if p.failed() == nil {
			var err error
			if e.member {
				err = p.w.AddMember(e.name, e.size, e.sp.Section(0))
			} else if e.sp != nil {
				err = p.w.Add(e.name, e.sp.Len()-e.off, e.sp.Section(e.off))
			} else {
				err = p.w.AddBytes(e.name, e.data)
			}
			p.setErr(err)
		}
		if e.sp != nil {
			e.sp.Reset()
			select {
			case p.free <- e.sp:
			default:
				e.sp.Close() // a spare made after an abandoned read
			}
		}
	}
}

// setErr records err (when not nil) as the write error.
func (p *pipe) setErr(err error) {
	if err == nil {
		return
	}
	p.mu.Lock()
	p.err = err
	p.mu.Unlock()
}

// failed returns the first write error, if any.
func (p *pipe) failed() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// add hands the spool's bytes from off to the writer as entry name and
// returns the spool the collector fills next.
func (p *pipe) add(name string, sp *spool, off int64) *spool {
	p.names[name] = true
	p.jobs <- entry{name: name, sp: sp, off: off}
	return <-p.free
}

// addMember hands the spool, which holds a compressed member of size bytes
// of data (see snapshot.AsyncMember), to the writer as entry name, and returns the
// spool the collector fills next.
func (p *pipe) addMember(name string, sp *spool, size int64) *spool {
	p.names[name] = true
	p.jobs <- entry{name: name, sp: sp, member: true, size: size}
	return <-p.free
}

// give hands a spool of the caller's own (not one of the two that take
// turns) to the writer as entry name; the pipe keeps or closes it after.
func (p *pipe) give(name string, sp *spool) {
	p.names[name] = true
	p.jobs <- entry{name: name, sp: sp}
}

// addBatch writes small entries (name and data each) in one job: a tree of
// a thousand tiny files costs one hand-over, not a thousand.
func (p *pipe) addBatch(b []entry) {
	for _, e := range b {
		p.names[e.name] = true
	}
	p.jobs <- entry{batch: b}
}

// addBytes writes data as entry name.
func (p *pipe) addBytes(name string, data []byte) {
	p.names[name] = true
	p.jobs <- entry{name: name, data: data}
}

// has reports whether an entry of that name was submitted.
func (p *pipe) has(name string) bool { return p.names[name] }

// close waits for every entry to be written and ends the archive with the manifest.
func (p *pipe) close(m *snapshot.Manifest) error {
	close(p.jobs)
	<-p.done
	for {
		select {
		case sp := <-p.free:
			sp.Close()
			continue
		default:
		}
		break
	}
	if err := p.failed(); err != nil {
		return err
	}
	return p.w.Close(m)
}
