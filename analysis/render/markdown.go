package render

import (
	"io"
	"strconv"
	"strings"

	"github.com/netsnap/netsnap/analysis/report"
)

// writeMarkdown renders r for a ticket (GitHub-flavoured markdown): the host,
// a conclusions table, the host's tables, every finding in detail, what was
// suppressed and the data problems.
func writeMarkdown(w io.Writer, r *report.Report) error {
	var m mdWriter
	m.header(r.Host)
	m.labels = nsLabels(r.Namespaces)
	m.conclusions(r)
	for _, s := range r.Sections {
		m.para("## " + sectionTitle(s))
		m.table(s)
	}
	if q := quietNamespaces(r.Namespaces); len(q.Rows) > 0 {
		m.para("## " + q.Title)
		m.table(q)
	}
	for _, n := range r.Namespaces {
		if n.Critical+n.Warning+n.Info == 0 {
			continue
		}
		m.para("## Network namespace: " + report.NamespaceLabel(n.Kind, n.Name))
		m.para(capitalize(nsFacts(n)) + ".")
		for _, s := range n.Sections {
			m.para("### " + sectionTitle(s))
			m.table(s)
		}
		if len(n.Problems) > 0 {
			var b strings.Builder
			for _, p := range n.Problems {
				b.WriteString("- " + problemText(p) + "\n")
			}
			m.para(b.String())
		}
	}
	m.findings(r.Findings)
	m.suppressed(r.Suppressed)
	m.problems(r.Problems)
	_, err := io.WriteString(w, strings.TrimRight(m.b.String(), "\n")+"\n")
	return err
}

// mdWriter accumulates the markdown report, one block (paragraph, table,
// list) at a time, blocks separated by a blank line.
type mdWriter struct {
	b      strings.Builder
	labels map[string]string // namespace name -> "container api"
}

// para writes a block and the blank line after it.
func (m *mdWriter) para(s string) {
	m.b.WriteString(strings.TrimRight(s, "\n"))
	m.b.WriteString("\n\n")
}

func (m *mdWriter) header(h report.Host) {
	m.para("# netsnap report: " + hostname(h))
	var parts []string
	if f := hostFacts(h); f != "" {
		parts = append(parts, f)
	}
	parts = append(parts, captureFacts(h))
	if f := snapshotFacts(h, mdCode); f != "" {
		parts = append(parts, f)
	}
	m.para(capitalize(strings.Join(parts, "; ")) + ".")
	if h.Partial {
		m.para("> **PARTIAL capture:** " + partialFacts(h))
	}
}

// capitalize upper-cases the first letter of a sentence.
func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (m *mdWriter) conclusions(r *report.Report) {
	m.para("## Conclusions")
	if len(r.Findings) == 0 {
		m.para(noFindings)
	} else {
		m.para(capitalize(countSummary(r)) + ".")
		tb := report.Table{Columns: []string{"Severity", "Rule", "Finding"}}
		for _, f := range bySeverity(r.Findings) {
			title := f.Title
			if f.Namespace != "" {
				title = "[" + labelOf(m.labels, f.Namespace) + "] " + title
			}
			tb.Rows = append(tb.Rows, []string{mdTag(f.Severity), mdCode(f.ID), title})
		}
		m.para(markdownTable(newGrid(tb)))
	}
	if len(r.Suppressed) > 0 {
		m.para(capitalize(suppressedSummary(r.Suppressed, mdCode)) + ".")
	}
}

// mdTag returns the severity tag, bold for warnings and worse.
func mdTag(s report.Severity) string {
	if s >= report.Warning {
		return "**" + severityTag(s) + "**"
	}
	return severityTag(s)
}

// mdCode returns s as an inline code span.
func mdCode(s string) string {
	if s == "" {
		return ""
	}
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if fence != "`" || strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// table writes a table and its note.
func (m *mdWriter) table(t report.Table) {
	m.para(markdownTable(newGrid(t)))
	if t.Note != "" {
		m.para(t.Note)
	}
}

func (m *mdWriter) findings(fs []report.Finding) {
	if len(fs) == 0 {
		return
	}
	m.para("## Findings")
	for _, f := range bySeverity(fs) {
		m.finding(f)
	}
}

func (m *mdWriter) finding(f report.Finding) {
	head := "### [" + severityTag(f.Severity) + "] " + f.ID
	if f.Title != "" {
		head += " — " + f.Title
	}
	if f.Basis != "" {
		head += " (" + f.Basis + ")"
	}
	if f.Status != "" {
		head += " [" + f.Status + "]"
	}
	m.para(head)
	if f.Namespace != "" || len(f.Related) > 0 {
		var b strings.Builder
		if f.Namespace != "" {
			b.WriteString("- in " + labelOf(m.labels, f.Namespace) + "\n")
		}
		for _, x := range f.Related {
			b.WriteString("- related: " + relatedText(x, m.labels) + "\n")
		}
		m.para(b.String())
	}
	if len(f.Changes) > 0 {
		var b strings.Builder
		for _, c := range f.Changes {
			b.WriteString("- changed: " + c + "\n")
		}
		m.para(b.String())
	}
	if len(f.Evidence.Values) > 0 {
		tb := report.Table{Columns: []string{"Evidence", "Value"}}
		for _, v := range f.Evidence.Values {
			tb.Rows = append(tb.Rows, []string{v.Name, v.Value})
		}
		m.para(markdownTable(newGrid(tb)))
	}
	for _, t := range f.Evidence.Tables {
		if t.Title != "" {
			m.para("**" + t.Title + "**")
		}
		m.table(t)
	}
	if len(f.Evidence.Lines) > 0 {
		m.para(fenced(f.Evidence.Lines))
	}
	m.block("Why", f.Why)
	m.block("Fix", f.Fix)
	if len(f.Refs) > 0 {
		var b strings.Builder
		b.WriteString("**See also:**\n\n")
		for _, r := range f.Refs {
			b.WriteString("- " + r + "\n")
		}
		m.para(b.String())
	}
}

// fenced returns lines as a fenced code block, the fence longer than any run
// of backticks in them.
func fenced(lines []string) string {
	fence := "```"
	for _, l := range lines {
		for strings.Contains(l, fence) {
			fence += "`"
		}
	}
	var b strings.Builder
	b.WriteString(fence + "\n")
	for _, l := range lines {
		b.WriteString(strings.ReplaceAll(l, "\r", "") + "\n")
	}
	b.WriteString(fence)
	return b.String()
}

// block writes a why or fix text after its bold label, its first line of
// prose on the label's line, the rest as paragraphs, lists and code blocks
// that keep the author's line breaks.
func (m *mdWriter) block(label, s string) {
	lines := textLines(s)
	switch {
	case len(lines) == 0:
		return
	case len(lines) == 1 && lines[0].kind == para:
		m.para("**" + label + ":** " + lines[0].text)
		return
	}
	var b strings.Builder
	b.WriteString("**" + label + ":**")
	if lines[0].kind == para {
		// The first line of prose follows the label, as in the one-line case.
		b.WriteString(" " + lines[0].text + "\n")
		lines = lines[1:]
	}
	m.para(b.String())
	b.Reset()
	flush := func() {
		if b.Len() > 0 {
			m.para(b.String())
			b.Reset()
		}
	}
	var codeRun []string
	for i, l := range lines {
		if l.kind == code {
			codeRun = append(codeRun, l.text)
			if i+1 == len(lines) || lines[i+1].kind != code {
				flush()
				m.para(fenced(codeRun))
				codeRun = nil
			}
			continue
		}
		switch l.kind {
		case blank:
			flush()
		case item:
			if i > 0 && lines[i-1].kind != item {
				flush()
			}
			marker := l.marker
			if marker == "* " {
				marker = "- "
			}
			b.WriteString(marker + l.text + "\n")
		default:
			flush()
			b.WriteString(l.text + "\n")
		}
	}
	flush()
}

// suppressed lists the rules file's suppress entries that silenced findings.
func (m *mdWriter) suppressed(ss []report.Suppressed) {
	if len(ss) == 0 {
		return
	}
	m.para("## Suppressed by the rules file")
	tb := report.Table{Columns: []string{"Rule", "Match", "Findings", "Reason"}}
	for _, s := range ss {
		tb.Rows = append(tb.Rows, []string{mdCode(s.ID), mdCode(s.Match), strconv.Itoa(s.Count), s.Reason})
	}
	m.para(markdownTable(newGrid(tb)))
}

func (m *mdWriter) problems(ps []report.Problem) {
	m.para("## Data problems")
	if len(ps) == 0 {
		m.para("None.")
		return
	}
	var b strings.Builder
	for _, p := range ps {
		where := p.File
		if p.Line > 0 {
			where += ":" + strconv.Itoa(p.Line)
		}
		if where != "" {
			b.WriteString("- " + mdCode(where) + ": " + p.Message + "\n")
		} else {
			b.WriteString("- " + p.Message + "\n")
		}
	}
	m.para(b.String())
}
