package nginxconf

import (
	"fmt"
	"strconv"
	"strings"
)

// Error is a problem found at a position in an nginx configuration file: a
// syntax error from the lexer, or an include that could not be followed.
type Error struct {
	File string // path of the file the problem is in, as given to Lex or Load
	Line int    // 1-based line number; 0 when the problem concerns the whole file
	Msg  string // lowercase description, in nginx's wording where nginx has one
	Err  error  // underlying cause (for example an fs.PathError), or nil
}

// Error formats the error as "file:line: msg", or "file: msg" without a line.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the underlying cause, so that errors.Is(err, fs.ErrNotExist)
// reports a missing include.
func (e *Error) Unwrap() error { return e.Err }

// ErrorList is a list of positioned errors, in the order they were found.
// The zero value is an empty list ready to use.
type ErrorList []*Error

// Add appends an error at file:line.
func (l *ErrorList) Add(file string, line int, msg string) {
	*l = append(*l, &Error{File: file, Line: line, Msg: msg})
}

// Error reports the first error and how many more there are, like
// go/scanner.ErrorList.
func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	return fmt.Sprintf("%s (and %d more errors)", l[0], len(l)-1)
}

// Err returns the list as an error, or nil if the list is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// Unwrap returns the errors of the list, so that errors.Is and errors.As
// look at each of them.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}
