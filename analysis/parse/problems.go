// Package parse reads the files a netsnap snapshot holds: one file per kind
// of kernel or collector file, each an io.Reader in and typed values out,
// streaming, allocation-light and never panicking. A malformed line is
// counted in Problems and skipped; only a read error is returned as error.
package parse

import "fmt"

// MaxKept is how many malformed lines a Problems keeps verbatim.
const MaxKept = 10

// Problems counts the malformed lines of one file and keeps the first few.
// The zero value is ready to use; File names the file in messages.
type Problems struct {
	File  string
	Count int
	First []Problem
}

// Problem is one malformed line.
type Problem struct {
	Line int
	Msg  string
}

// Addf records a malformed line.
func (p *Problems) Addf(line int, format string, args ...any) {
	if p == nil {
		return
	}
	p.Count++
	if len(p.First) < MaxKept {
		p.First = append(p.First, Problem{Line: line, Msg: fmt.Sprintf(format, args...)})
	}
}

// String prints "file:line: msg" for each kept problem and how many more there were.
func (p *Problems) String() string {
	if p == nil || p.Count == 0 {
		return ""
	}
	s := ""
	for _, q := range p.First {
		s += fmt.Sprintf("%s:%d: %s\n", p.File, q.Line, q.Msg)
	}
	if more := p.Count - len(p.First); more > 0 {
		s += fmt.Sprintf("%s: %d more malformed lines\n", p.File, more)
	}
	return s
}
