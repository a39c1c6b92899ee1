package redact

import (
	"bufio"
	"errors"
	"io"
	"net/netip"
)

// Text returns s with its addresses, URL hosts and the names the Map
// knows replaced by their pseudonyms, as in a redacted file (for a
// snapshot's file name, which reports show).
func (m *Map) Text(s string) string {
	var names []string
	m.mu.Lock()
	for n := range m.names {
		if distinctive(n) {
			names = append(names, n)
		}
	}
	m.mu.Unlock()
	r := newRewriter(m, newNameIndex(names))
	defer r.done()
	return r.textString(s)
}

// Reverse copies src to dst with the pseudonyms of the Map (addresses in
// text, names) replaced by their originals: a report of a redacted
// snapshot, read by the owner of the map. Addresses and names the Map did
// not record are left as they are.
func (m *Map) Reverse(dst io.Writer, src io.Reader) error {
	r := &rewriter{m: m, reverse: true}
	m.mu.Lock()
	r.back = make(map[netip.Addr]netip.Addr, len(m.addrs))
	for o, p := range m.addrs {
		r.back[p] = o
	}
	m.mu.Unlock()
	br := bufio.NewReaderSize(src, 64<<10)
	bw := bufio.NewWriter(dst)
	var out []byte
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			out = r.text(out[:0], line)
			if _, werr := bw.Write(out); werr != nil {
				return werr
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue // a long line goes through in pieces
		}
		if errors.Is(err, io.EOF) {
			return bw.Flush()
		}
		if err != nil {
			return err
		}
	}
}
