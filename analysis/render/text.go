package render

import (
	"io"
	"strconv"
	"strings"

	"github.com/netsnap/netsnap/analysis/report"
)

// Indents of the text format.
const (
	indent1 = "  "   // items under a heading
	indent2 = "    " // quoted lines (kernel log) under a finding
)

// writeText renders r for a terminal: the host, the conclusions one line
// each, the host's tables, every finding in detail, what was suppressed and
// the data problems.
func writeText(w io.Writer, r *report.Report, opt Options) error {
	t := textWriter{width: opt.width(), color: opt.Color}
	t.header(r.Host)
	t.labels = nsLabels(r.Namespaces)
	t.conclusions(r)
	for _, s := range r.Sections {
		t.section(s)
	}
	t.namespaces(r.Namespaces)
	t.findings(r.Findings)
	t.suppressed(r.Suppressed)
	t.problems(r.Problems)
	_, err := io.WriteString(w, t.b.String())
	return err
}

// textWriter accumulates the text report.
type textWriter struct {
	b      strings.Builder
	width  int
	color  bool
	labels map[string]string // namespace name -> "container api"
}

// line writes parts as one line, without trailing blanks.
func (t *textWriter) line(parts ...string) {
	t.b.WriteString(strings.TrimRight(strings.Join(parts, ""), " "))
	t.b.WriteByte('\n')
}

// heading starts a part of the report with a blank line and an upper-case title.
func (t *textWriter) heading(title string) {
	t.line()
	t.line(strings.ToUpper(title))
}

// wrapped writes s wrapped to the page width, the first line after first
// and the others after rest (which should be as wide).
func (t *textWriter) wrapped(first, rest, s string) {
	for i, l := range wrap(s, t.width-width(first)) {
		if i == 0 {
			t.line(first, l)
		} else {
			t.line(rest, l)
		}
	}
}

func (t *textWriter) header(h report.Host) {
	head := "netsnap report for " + hostname(h)
	if f := hostFacts(h); f != "" {
		head += " (" + f + ")"
	}
	t.line(head)
	t.line(captureFacts(h))
	if f := snapshotFacts(h, plain); f != "" {
		t.line(f)
	}
	if h.Partial {
		t.line("PARTIAL capture: ", partialFacts(h))
	}
}

// conclusions lists the findings one line each: tag, rule id, title; and
// says what the rules file suppressed.
func (t *textWriter) conclusions(r *report.Report) {
	t.line()
	if len(r.Findings) == 0 {
		t.line("CONCLUSIONS")
		t.line(indent1, noFindings)
	} else {
		t.line("CONCLUSIONS (", countSummary(r), ")")
		idW := 0
		for _, f := range r.Findings {
			idW = max(idW, width(f.ID))
		}
		// One line per finding, never wrapped, so that each can be grepped.
		for _, f := range bySeverity(r.Findings) {
			tag := severityTag(f.Severity)
			title := f.Title
			if f.Namespace != "" {
				title = "[" + labelOf(t.labels, f.Namespace) + "] " + title
			}
			t.line(indent1, colorTag(tag, f.Severity, t.color), pad(tag, tagWidth), "  ", f.ID, pad(f.ID, idW), "  ", title)
		}
	}
	if len(r.Suppressed) > 0 {
		t.wrapped(indent1, indent1, suppressedSummary(r.Suppressed, plain))
	}
}

// pad returns the spaces that bring s to w columns.
func pad(s string, w int) string {
	return strings.Repeat(" ", max(0, w-width(s)))
}

// section writes one of the host's tables under an upper-case title.
func (t *textWriter) section(s report.Table) {
	t.heading(sectionTitle(s))
	t.table(s, indent1)
}

// table writes a table and its note.
func (t *textWriter) table(s report.Table, indent string) {
	t.b.WriteString(textTable(newGrid(s), indent, t.width*3/5))
	if s.Note != "" {
		t.wrapped(indent, indent, s.Note)
	}
}

func (t *textWriter) findings(fs []report.Finding) {
	if len(fs) == 0 {
		return
	}
	t.heading("findings in detail")
	for _, f := range bySeverity(fs) {
		t.finding(f)
	}
}

// finding writes one finding: its heading line, the evidence (values,
// tables, quoted lines), then why, fix and references.
func (t *textWriter) finding(f report.Finding) {
	tag := severityTag(f.Severity)
	head := "[" + colorTag(tag, f.Severity, t.color) + "] " + f.ID
	if f.Title != "" {
		head += " — " + f.Title
	}
	if f.Basis != "" {
		head += "  (" + f.Basis + ")"
	}
	if f.Status != "" {
		head += "  [" + f.Status + "]"
	}
	t.line()
	t.line(head)
	if f.Namespace != "" {
		t.line(indent1, "in ", labelOf(t.labels, f.Namespace))
	}
	for _, x := range f.Related {
		t.wrapped(indent1+"related: ", indent1+"         ", relatedText(x, t.labels))
	}
	for _, c := range f.Changes {
		t.wrapped(indent1+"changed: ", indent1+"         ", c)
	}
	if vs := f.Evidence.Values; len(vs) > 0 {
		nameW := 0
		for _, v := range vs {
			nameW = max(nameW, width(v.Name))
		}
		for _, v := range vs {
			t.line(indent1, v.Name, pad(v.Name, nameW), "  ", v.Value)
		}
	}
	for _, tb := range f.Evidence.Tables {
		t.line()
		if tb.Title != "" {
			t.line(indent1, tb.Title)
		}
		t.table(tb, indent1)
	}
	if len(f.Evidence.Lines) > 0 {
		t.line()
		for _, l := range f.Evidence.Lines {
			t.line(indent2, cleanCell(l))
		}
	}
	if f.Why != "" || f.Fix != "" || len(f.Refs) > 0 {
		t.line()
	}
	t.block("Why:", f.Why)
	t.block("Fix:", f.Fix)
	for i, ref := range f.Refs {
		if i == 0 {
			t.line(indent1, "See: ", ref)
		} else {
			t.line(indent1, "     ", ref)
		}
	}
}

// namespaces writes, for each other network namespace, what it is and its tables.
func (t *textWriter) namespaces(nss []report.Namespace) {
	if q := quietNamespaces(nss); len(q.Rows) > 0 {
		t.heading(q.Title)
		t.table(q, indent1)
	}
	for _, n := range nss {
		if n.Critical+n.Warning+n.Info == 0 {
			continue
		}
		t.heading("network namespace: " + report.NamespaceLabel(n.Kind, n.Name))
		t.wrapped(indent1, indent1, nsFacts(n))
		for _, s := range n.Sections {
			t.line()
			t.line(indent1, sectionTitle(s))
			t.table(s, indent1)
		}
		for _, p := range n.Problems {
			t.wrapped(indent1+"problem: ", indent1+"         ", problemText(p))
		}
	}
}

// block writes a why or fix text after its label, wrapped, keeping the
// author's line breaks and list items, with a hanging indent.
func (t *textWriter) block(label, s string) {
	lead := indent1 + label + " "
	rest := strings.Repeat(" ", width(lead))
	for i, l := range textLines(s) {
		first := rest
		if i == 0 {
			first = lead
		}
		switch l.kind {
		case blank:
			t.line()
		case code:
			t.line(first, "  ", l.text)
		case item:
			t.wrapped(first+l.marker, rest+strings.Repeat(" ", width(l.marker)), l.text)
		default:
			t.wrapped(first, rest, l.text)
		}
	}
}

// suppressed lists the rules file's suppress entries that silenced findings.
func (t *textWriter) suppressed(ss []report.Suppressed) {
	if len(ss) == 0 {
		return
	}
	t.heading("suppressed by the rules file")
	tb := report.Table{Columns: []string{"Rule", "Match", "Findings", "Reason"}}
	for _, s := range ss {
		tb.Rows = append(tb.Rows, []string{s.ID, s.Match, strconv.Itoa(s.Count), s.Reason})
	}
	t.table(tb, indent1)
}

func (t *textWriter) problems(ps []report.Problem) {
	t.heading("data problems")
	if len(ps) == 0 {
		t.line(indent1, "none")
		return
	}
	for _, p := range ps {
		t.wrapped(indent1, indent1+"  ", problemText(p))
	}
}
