// Package render turns a report.Report into what people and tools read: text
// for the terminal, markdown for tickets, JSON for automation and a
// self-contained HTML page with charts.
//
// Every renderer writes to an io.Writer, is deterministic (the same report
// gives the same bytes: no wall-clock time, no map order) and does not panic
// on odd input: an empty report, a table whose rows have fewer or more cells
// than it has columns, a table without rows (rendered as "(none)").
package render

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/netsnap/netsnap/analysis/report"
)

// Format is an output format.
type Format string

// Formats.
const (
	Text     Format = "text"
	Markdown Format = "markdown"
	JSON     Format = "json"
	HTML     Format = "html"
)

// Formats returns the formats in the order help text lists them.
func Formats() []Format { return []Format{Text, Markdown, JSON, HTML} }

// ParseFormat reads a format name: "text", "markdown" (or "md"), "json" or
// "html", in any case.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "text":
		return Text, nil
	case "markdown", "md":
		return Markdown, nil
	case "json":
		return JSON, nil
	case "html":
		return HTML, nil
	}
	return "", fmt.Errorf("unknown format %q (want text, markdown, json or html)", s)
}

// Options tune the text format; the others ignore them.
type Options struct {
	// Color adds ANSI colour to the severity tags of the text format.
	Color bool
	// Width is the column at which the text format wraps paragraphs
	// (DefaultWidth when 0; never less than MinWidth). Tables and log lines
	// are not wrapped.
	Width int
}

// Text wrap widths.
const (
	DefaultWidth = 100
	MinWidth     = 40
)

// width returns the wrap width opt asks for.
func (opt Options) width() int {
	switch {
	case opt.Width == 0:
		return DefaultWidth
	case opt.Width < MinWidth:
		return MinWidth
	}
	return opt.Width
}

// Report writes r to w in format f.
func Report(w io.Writer, f Format, r *report.Report, opt Options) error {
	if r == nil {
		return errors.New("render: nil report")
	}
	switch f {
	case Text:
		return writeText(w, r, opt)
	case Markdown:
		return writeMarkdown(w, r)
	case JSON:
		return writeJSON(w, r)
	case HTML:
		return writeHTML(w, r)
	}
	return fmt.Errorf("render: unknown format %q (want text, markdown, json or html)", string(f))
}
