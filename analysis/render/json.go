package render

import (
	"encoding/json"
	"io"
	"slices"

	"github.com/netsnap/netsnap/analysis/report"
)

// writeJSON renders r as the JSON contract of DESIGN.md: one object, indented
// by two spaces, whose findings, suppressed, sections, problems, charts (and every
// finding's evidence values, every table's columns and rows) are arrays,
// never null. Severity is written as its name. Characters such as < and &
// are written as they are, not as \u003c escapes.
func writeJSON(w io.Writer, r *report.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(normalized(r))
}

// normalized returns a copy of r whose nil slices, where the contract wants
// arrays, are empty. r itself is not modified.
func normalized(r *report.Report) *report.Report {
	c := *r
	c.Findings = nonNil(r.Findings)
	c.Suppressed = nonNil(r.Suppressed)
	c.Problems = nonNil(r.Problems)
	c.Charts = nonNil(r.Charts)
	c.Sections = normalizedTables(r.Sections, false)
	for i := range c.Findings {
		e := &c.Findings[i].Evidence
		e.Values = nonNil(e.Values)
		e.Tables = normalizedTables(e.Tables, true)
	}
	return &c
}

// normalizedTables returns a copy of ts whose tables have non-nil columns and
// rows; keepNil leaves a nil ts nil (for omitempty fields).
func normalizedTables(ts []report.Table, keepNil bool) []report.Table {
	if ts == nil && keepNil {
		return nil
	}
	out := make([]report.Table, len(ts))
	copy(out, ts)
	for i := range out {
		out[i].Columns = nonNil(out[i].Columns)
		rows := make([][]string, len(out[i].Rows))
		for j, row := range out[i].Rows {
			rows[j] = nonNil(row)
		}
		out[i].Rows = rows
	}
	return out
}

// nonNil returns a copy of s, empty rather than nil.
func nonNil[S ~[]E, E any](s S) S {
	if s == nil {
		return S{}
	}
	return slices.Clone(s)
}
