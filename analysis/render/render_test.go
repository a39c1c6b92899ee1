package render

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/netsnap/netsnap/analysis/report"
	"github.com/netsnap/netsnap/internal/golden"
)

// loadReport decodes testdata/report.json strictly: a key the model does not
// know is an error, so the input cannot drift from report.Report unnoticed.
func loadReport(t *testing.T) *report.Report {
	t.Helper()
	b, err := os.ReadFile("testdata/report.json")
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, b)
}

func decode(t *testing.T, b []byte) *report.Report {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var r report.Report
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("decoding report: %v", err)
	}
	return &r
}

func render(t *testing.T, f Format, r *report.Report, opt Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Report(&buf, f, r, opt); err != nil {
		t.Fatalf("Report(%s) = %v", f, err)
	}
	return buf.Bytes()
}

// TestRender renders the seed 000 proxy's report in every format and compares
// each with testdata/TestRender/<format>.golden (go test -update rewrites them).
func TestRender(t *testing.T) {
	r := loadReport(t)
	for _, f := range Formats() {
		t.Run(string(f), func(t *testing.T) {
			golden.Check(t, render(t, f, r, Options{}))
		})
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	r := loadReport(t)
	for _, f := range Formats() {
		a, b := render(t, f, r, Options{}), render(t, f, r, Options{})
		if !bytes.Equal(a, b) {
			t.Errorf("Report(%s) gave different output on a second run", f)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	r := loadReport(t)
	got := decode(t, render(t, JSON, r, Options{}))
	if !reflect.DeepEqual(got, r) {
		t.Errorf("decode(Report(json, r)) differs from r:\n got %+v\nwant %+v", got, r)
	}
}

// TestJSONArraysNeverNull checks the contract: the report's lists are
// arrays even when empty, and the caller's report is left as it was.
func TestJSONArraysNeverNull(t *testing.T) {
	r := &report.Report{
		Findings: []report.Finding{{ID: "tw-memory", Severity: report.Info, Title: "t"}},
		Sections: []report.Table{{ID: "empty"}},
	}
	out := render(t, JSON, r, Options{})
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"findings", "suppressed", "sections", "problems", "charts"} {
		if _, ok := m[key].([]any); !ok {
			t.Errorf("JSON %q = %v, want an array", key, m[key])
		}
	}
	for _, want := range []string{`"values": []`, `"columns": []`, `"rows": []`, `"severity": "info"`} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("JSON lacks %s:\n%s", want, out)
		}
	}
	if r.Suppressed != nil || r.Problems != nil || r.Findings[0].Evidence.Values != nil || r.Sections[0].Rows != nil {
		t.Errorf("Report(json) modified the caller's report: %+v", r)
	}
}

func TestJSONInvalidSeverityIsAnError(t *testing.T) {
	r := &report.Report{Findings: []report.Finding{{ID: "x"}}}
	if err := Report(&bytes.Buffer{}, JSON, r, Options{}); err == nil {
		t.Error("Report(json) with severity 0 = nil error, want one")
	}
}

func TestEmptyReport(t *testing.T) {
	for _, f := range Formats() {
		t.Run(string(f), func(t *testing.T) {
			out := string(render(t, f, &report.Report{}, Options{}))
			want := map[Format][]string{
				Text:     {"netsnap report for unknown host", "No problems found: every rule passed.", "DATA PROBLEMS\n  none"},
				Markdown: {"# netsnap report: unknown host", "No problems found: every rule passed.", "## Data problems\n\nNone."},
				JSON:     {`"findings": []`, `"suppressed": []`, `"sections": []`, `"problems": []`, `"charts": []`},
				HTML:     {"netsnap report: <span class=\"host\">unknown host</span>", "No problems found: every rule passed.", "No chart:", "<h2>Data problems</h2>\n<p class=\"none\">None.</p>"},
			}[f]
			for _, w := range want {
				if !strings.Contains(out, w) {
					t.Errorf("Report(%s, empty report) lacks %q:\n%s", f, w, out)
				}
			}
		})
	}
}

func TestNilReport(t *testing.T) {
	if err := Report(&bytes.Buffer{}, Text, nil, Options{}); err == nil {
		t.Error("Report(text, nil) = nil error, want one")
	}
}

func TestUnknownFormat(t *testing.T) {
	err := Report(&bytes.Buffer{}, Format("xml"), &report.Report{}, Options{})
	if err == nil || !strings.Contains(err.Error(), `"xml"`) {
		t.Errorf("Report(xml) = %v, want an error naming the format", err)
	}
}

// TestRaggedTables renders tables that break the "every row has
// len(Columns) cells" promise, and tables with nothing in them, in every
// format: no panic, the short rows padded, the long rows kept, the empty
// tables shown as (none).
func TestRaggedTables(t *testing.T) {
	ragged := report.Table{
		ID: "ragged", Title: "Ragged",
		Columns: []string{"A", "B", "C"},
		Rows:    [][]string{{"1"}, {}, {"x|y", "multi\nline", "3", "extra"}, nil},
	}
	r := &report.Report{
		Host: report.Host{Hostname: "h", Partial: true},
		Findings: []report.Finding{{
			ID: "odd", Severity: report.Warning, Title: strings.Repeat("long title ", 20),
			Evidence: report.Evidence{
				Values: []report.Value{{Name: "", Value: ""}, {Name: "n", Value: "v"}},
				Tables: []report.Table{ragged, {}, {Columns: []string{"only header"}}, {Rows: [][]string{{"no", "header"}}}},
				Lines:  []string{"```", "\ttab"},
			},
			Why: "\n\n", Fix: "- \n1.\n    \n*",
			Refs: []string{""},
		}},
		Suppressed: []report.Suppressed{{}},
		Sections:   []report.Table{ragged, {}, {Title: "No rows", Columns: []string{"A"}}, {Rows: [][]string{{}, {}}}},
		Problems:   []report.Problem{{}, {Line: 3}},
	}
	for _, f := range Formats() {
		for _, opt := range []Options{{}, {Width: 1, Color: true}} {
			out := string(render(t, f, r, opt))
			if f == JSON {
				continue
			}
			if !strings.Contains(out, none) {
				t.Errorf("Report(%s) of empty tables lacks %q:\n%s", f, none, out)
			}
			if !strings.Contains(out, "extra") {
				t.Errorf("Report(%s) dropped the cell beyond the columns:\n%s", f, out)
			}
		}
	}
	md := string(render(t, Markdown, r, Options{}))
	if !strings.Contains(md, `x\|y`) {
		t.Errorf("markdown table does not escape |:\n%s", md)
	}
	if !strings.Contains(md, "````\n```\n") {
		t.Errorf("markdown does not lengthen the fence around a line of backticks:\n%s", md)
	}
}

func TestTextColor(t *testing.T) {
	r := loadReport(t)
	plain := string(render(t, Text, r, Options{}))
	if strings.Contains(plain, "\x1b[") {
		t.Error("text without Options.Color contains ANSI escapes")
	}
	colored := string(render(t, Text, r, Options{Color: true}))
	if !strings.Contains(colored, "\x1b[1;31mCRITICAL\x1b[0m") {
		t.Error("text with Options.Color lacks a red CRITICAL tag")
	}
	// Colour changes the tags only: without the escapes the output is the same.
	stripped := colored
	for _, c := range []string{"\x1b[1;31m", "\x1b[1;33m", "\x1b[36m", "\x1b[0m"} {
		stripped = strings.ReplaceAll(stripped, c, "")
	}
	if stripped != plain {
		t.Errorf("text with colour, escapes removed, differs from text without:\n%s", golden.Diff([]byte(plain), []byte(stripped)))
	}
}

// TestTextWidth checks that prose wraps at Options.Width, with a hanging
// indent, and keeps every word.
func TestTextWidth(t *testing.T) {
	why := strings.Repeat("Every closed connection stays in TIME_WAIT for sixty seconds. ", 8)
	r := &report.Report{Findings: []report.Finding{{ID: "x", Severity: report.Info, Why: why}}}
	for _, w := range []int{0, 60, 100, 140} {
		out := string(render(t, Text, r, Options{Width: w}))
		var words []string
		for i, l := range strings.Split(out, "\n") {
			if !strings.HasPrefix(l, "  Why: ") && !strings.HasPrefix(l, "       ") {
				continue
			}
			if width(l) > max(w, DefaultWidth*btoi(w == 0)) {
				t.Errorf("width %d: line %d is %d columns: %q", w, i+1, width(l), l)
			}
			words = append(words, strings.Fields(strings.TrimPrefix(l, "  Why: "))...)
		}
		if got := strings.Join(words, " "); got != strings.TrimSpace(why) {
			t.Errorf("width %d: the wrapped paragraph reads %q, want %q", w, got, why)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in   string
		want Format
		err  bool
	}{
		{"text", Text, false},
		{"markdown", Markdown, false},
		{"md", Markdown, false},
		{" JSON ", JSON, false},
		{"Md", Markdown, false},
		{"", "", true},
		{"html", HTML, false},
		{" HTML", HTML, false},
		{"htm", "", true},
		{"txt", "", true},
	}
	for _, tt := range tests {
		got, err := ParseFormat(tt.in)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.err)
		}
		if err != nil && !strings.Contains(err.Error(), "text, markdown, json or html") {
			t.Errorf("ParseFormat(%q) error %q does not list the formats", tt.in, err)
		}
	}
}

func TestIsNumeric(t *testing.T) {
	for s, want := range map[string]bool{
		"65536": true, "17.6 %": true, "≈ 1092/s": true, "+60172": true, "-3": true,
		"16.1 MiB": true, "0/128": true, "1,024": true, "120 s": true,
		"": false, "kafka": false, "172.31.2.205:9092": false, "3, 2, 2": false,
		"15 nodes": false, ".5": false, "0/": false,
	} {
		if got := isNumeric(s); got != want {
			t.Errorf("isNumeric(%q) = %v; want %v", s, got, want)
		}
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		in   string
		w    int
		want []string
	}{
		{"", 20, []string{""}},
		{"one two three four five six", 20, []string{"one two three four", "five six"}},
		{"short https://example.com/a/very/long/path/that/does/not/fit end", 20,
			[]string{"short", "https://example.com/a/very/long/path/that/does/not/fit", "end"}},
		{"≈ 1092 × 60 s — wide", 20, []string{"≈ 1092 × 60 s — wide"}},
	}
	for _, tt := range tests {
		if got := wrap(tt.in, tt.w); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("wrap(%q, %d) = %q; want %q", tt.in, tt.w, got, tt.want)
		}
	}
}

func TestTextLines(t *testing.T) {
	got := textLines("First line\n- item one\n* item two\n12. item three\n\n\n    code  line\nlast  \n\n")
	want := []textLine{
		{kind: para, text: "First line"},
		{kind: item, marker: "- ", text: "item one"},
		{kind: item, marker: "* ", text: "item two"},
		{kind: item, marker: "12. ", text: "item three"},
		{kind: blank},
		{kind: code, text: "code  line"},
		{kind: para, text: "last"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("textLines = %+v\nwant %+v", got, want)
	}
}
