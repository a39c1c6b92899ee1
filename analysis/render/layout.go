package render

// Helpers shared by the human formats (and by the diff and fleet renderers
// to come): severity tags, the sentences that describe a host and a capture,
// word wrapping, the small line grammar of a finding's why and fix, and
// tables.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"

	"github.com/netsnap/netsnap/analysis/report"
)

// none stands for an empty table or list.
const none = "(none)"

// severityTag returns the upper-case tag of s: "CRITICAL", "WARNING", "INFO".
func severityTag(s report.Severity) string { return strings.ToUpper(s.String()) }

// tagWidth is the width of the longest severity tag.
const tagWidth = len("CRITICAL")

// ANSI colours of the severity tags.
var tagColor = map[report.Severity]string{
	report.Critical: "\x1b[1;31m", // bold red
	report.Warning:  "\x1b[1;33m", // bold yellow
	report.Info:     "\x1b[36m",   // cyan
}

// colorTag returns tag wrapped in the ANSI colour of s when color is set.
func colorTag(tag string, s report.Severity, color bool) string {
	c, ok := tagColor[s]
	if !color || !ok {
		return tag
	}
	return c + tag + "\x1b[0m"
}

// bySeverity returns a copy of fs grouped by namespace (the host's first,
// then each namespace in the order of its first finding), most severe first
// in each group; findings of the same severity keep the analyzer's order.
func bySeverity(fs []report.Finding) []report.Finding {
	out := slices.Clone(fs)
	group := map[string]int{"": 0}
	for _, f := range fs {
		if _, ok := group[f.Namespace]; !ok {
			group[f.Namespace] = len(group)
		}
	}
	slices.SortStableFunc(out, func(a, b report.Finding) int {
		if d := group[a.Namespace] - group[b.Namespace]; d != 0 {
			return d
		}
		return int(b.Severity) - int(a.Severity)
	})
	return out
}

// nsLabels maps each namespace of a report to what it is in words
// ("container api", "pod shop/web-5d9f7c-x2x4z"); "" is the host.
func nsLabels(nss []report.Namespace) map[string]string {
	m := map[string]string{"": "the host"}
	for _, n := range nss {
		m[n.Name] = report.NamespaceLabel(n.Kind, n.Name)
	}
	return m
}

// labelOf is the label of namespace name in m, or "namespace NAME" when m
// does not know it (a diff names namespaces by name only).
func labelOf(m map[string]string, name string) string {
	if l, ok := m[name]; ok {
		return l
	}
	return "namespace " + name
}

// quietNamespaces tabulates the namespaces without findings, one row each
// (a host may have hundreds of pods): what they are and what they listen on.
func quietNamespaces(nss []report.Namespace) report.Table {
	t := report.Table{ID: "quiet_namespaces", Title: "Network namespaces without findings",
		Columns: []string{"namespace", "kind", "netns", "pids", "addresses", "TCP sockets", "listening on"}}
	for _, n := range nss {
		if n.Critical+n.Warning+n.Info > 0 {
			continue
		}
		var ps []string
		for i, p := range n.PIDs {
			if i == 4 {
				ps = append(ps, fmt.Sprintf("+%d", len(n.PIDs)-4))
				break
			}
			ps = append(ps, strconv.Itoa(p))
		}
		ls := n.Listeners
		more := ""
		if len(ls) > 4 {
			ls, more = ls[:4], fmt.Sprintf(" +%d", len(n.Listeners)-4)
		}
		t.Rows = append(t.Rows, []string{n.Name, n.Kind, strconv.FormatUint(n.Inode, 10), strings.Join(ps, " "),
			strings.Join(n.Addresses, " "), strconv.Itoa(n.TCPSockets), strings.Join(ls, " ") + more})
	}
	return t
}

// nsFacts says what a namespace is: its kind, inode, processes and addresses.
func nsFacts(n report.Namespace) string {
	parts := []string{"netns " + strconv.FormatUint(n.Inode, 10)}
	if n.Kind != "" && n.Kind != "processes" && n.Kind != "netns" {
		parts = append([]string{n.Kind}, parts...)
	}
	if n.ContainerID != "" {
		id := n.ContainerID
		if len(id) > 12 {
			id = id[:12]
		}
		parts = append(parts, "container id "+id)
	}
	if len(n.PIDs) > 0 {
		var ps []string
		for i, p := range n.PIDs {
			if i == 8 {
				ps = append(ps, fmt.Sprintf("+%d", len(n.PIDs)-8))
				break
			}
			ps = append(ps, strconv.Itoa(p))
		}
		parts = append(parts, "pids "+strings.Join(ps, " "))
	}
	if len(n.Addresses) > 0 {
		parts = append(parts, "addresses "+strings.Join(n.Addresses, " "))
	}
	counts := fmt.Sprintf("%d critical, %d warning, %d info", n.Critical, n.Warning, n.Info)
	if n.Critical+n.Warning+n.Info == 0 {
		counts = "no findings"
	}
	return strings.Join(parts, "; ") + " — " + counts
}

// relatedText says where a related finding is and what ties it: "listen-queue-overflow
// in container api (Accept queues ...): the host connects to ...".
func relatedText(x report.Related, labels map[string]string) string {
	return x.ID + " in " + labelOf(labels, x.Namespace) + " (" + x.Title + "): " + x.Why
}

// countSummary says how many findings there are of each severity:
// "5 findings: 1 critical, 2 warning, 2 info".
func countSummary(r *report.Report) string {
	var parts []string
	for _, s := range []report.Severity{report.Critical, report.Warning, report.Info} {
		if n := r.Count(s); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	if other := len(r.Findings) - r.Count(report.Critical) - r.Count(report.Warning) - r.Count(report.Info); other > 0 {
		parts = append(parts, fmt.Sprintf("%d of unknown severity", other))
	}
	return plural(len(r.Findings), "finding") + ": " + strings.Join(parts, ", ")
}

// noFindings is what a report without findings concludes.
const noFindings = "No problems found: every rule passed."

// suppressedSummary says what the rules file silenced:
// "3 findings suppressed by the rules file (time-wait-concentration ×2, …)".
func suppressedSummary(ss []report.Suppressed, code func(string) string) string {
	total := 0
	var ids []string
	for _, s := range ss {
		total += s.Count
		ids = append(ids, fmt.Sprintf("%s ×%d", code(s.ID), s.Count))
	}
	if total == 0 {
		return fmt.Sprintf("%s in the rules file matched no finding (%s)", plural(len(ss), "suppress entry"), strings.Join(ids, ", "))
	}
	return fmt.Sprintf("%s suppressed by the rules file (%s)", plural(total, "finding"), strings.Join(ids, ", "))
}

// plural returns "1 finding", "2 findings", "2 suppress entries".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if p, ok := irregular[noun]; ok {
		return strconv.Itoa(n) + " " + p
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// irregular holds the plurals that are not the noun plus "s".
var irregular = map[string]string{"suppress entry": "suppress entries"}

// hostname returns the host's name, or a placeholder.
func hostname(h report.Host) string {
	if h.Hostname == "" {
		return "unknown host"
	}
	return h.Hostname
}

// hostFacts describes the machine: "Ubuntu 14.04.2 LTS, kernel
// 3.13.0-48-generic, 4 CPUs, up 112 days"; "" when nothing is known.
func hostFacts(h report.Host) string {
	var parts []string
	if h.OS != "" {
		parts = append(parts, h.OS)
	}
	if h.Kernel != "" {
		parts = append(parts, "kernel "+h.Kernel)
	}
	if h.CPUs > 0 {
		parts = append(parts, plural(h.CPUs, "CPU"))
	}
	if up := uptime(h.UptimeSeconds); up != "" {
		parts = append(parts, "up "+up)
	}
	return strings.Join(parts, ", ")
}

// uptime says how long a host has been up, to the unit that matters.
func uptime(sec float64) string {
	switch {
	case sec <= 0:
		return ""
	case sec >= 86400:
		return plural(int(sec/86400), "day")
	case sec >= 3600:
		return plural(int(sec/3600), "hour")
	}
	return plural(int(sec/60), "minute")
}

// captureFacts describes the capture: "captured 2018-03-06 10:15:00 UTC, 3
// samples over 4.0 s from the live host".
func captureFacts(h report.Host) string {
	var b strings.Builder
	if h.CaptureStart.IsZero() {
		b.WriteString("capture time unknown")
	} else {
		b.WriteString("captured " + h.CaptureStart.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	dur := h.CaptureEnd.Sub(h.CaptureStart).Seconds()
	switch n := h.Samples; {
	case n > 1 && h.IntervalSeconds > 0:
		fmt.Fprintf(&b, ", %d samples over %.1f s", n, h.IntervalSeconds*float64(n-1))
	case n > 0 && !h.CaptureStart.IsZero() && dur > 0:
		fmt.Fprintf(&b, ", %s in %.1f s", plural(n, "sample"), dur)
	case n > 0:
		b.WriteString(", " + plural(n, "sample"))
	}
	switch {
	case h.Live:
		b.WriteString(" from the live host")
	case h.Samples > 0:
		b.WriteString(" from a file tree (--root), not the live host")
	}
	return b.String()
}

// snapshotFacts names the snapshot and the collector that wrote it:
// "snapshot host.tgz, netsnap 0.1.0"; "" when neither is known.
func snapshotFacts(h report.Host, code func(string) string) string {
	var parts []string
	if h.Snapshot != "" {
		parts = append(parts, "snapshot "+code(h.Snapshot))
	}
	if h.Collector != "" {
		parts = append(parts, "written by "+h.Collector)
	}
	return strings.Join(parts, ", ")
}

// partialFacts says why a capture is incomplete.
func partialFacts(h report.Host) string {
	if h.PartialReason == "" {
		return "the reason was not recorded"
	}
	return h.PartialReason
}

// sectionTitle returns the title of one of the host's tables, falling back
// to its id.
func sectionTitle(t report.Table) string {
	switch {
	case t.Title != "":
		return t.Title
	case t.ID != "":
		return t.ID
	}
	return "Untitled table"
}

// problemText formats a data problem as "file:line: message".
func problemText(p report.Problem) string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteString(":" + strconv.Itoa(p.Line))
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// plain is the identity, for the code argument of the helpers above in text.
func plain(s string) string { return s }

// fixedWidths makes widths independent of the locale: go-runewidth counts
// East Asian "ambiguous" characters (×, ≈, —, box drawing) as two columns
// under a CJK locale, which would change the output with $LANG.
var fixedWidths sync.Once

// width returns the display width of s in terminal columns.
func width(s string) int {
	fixedWidths.Do(func() { text.OverrideRuneWidthEastAsianWidth(false) })
	return text.StringWidthWithoutEscSequences(s)
}

// wrap breaks s into lines of at most w columns at spaces; a word longer
// than w (a URL, a path) gets a line of its own rather than being cut.
func wrap(s string, w int) []string {
	w = max(w, 20)
	var lines []string
	var cur strings.Builder
	curW := 0
	for _, word := range strings.Fields(s) {
		ww := width(word)
		if curW > 0 && curW+1+ww > w {
			lines = append(lines, cur.String())
			cur.Reset()
			curW = 0
		}
		if curW > 0 {
			cur.WriteByte(' ')
			curW++
		}
		cur.WriteString(word)
		curW += ww
	}
	if curW > 0 || len(lines) == 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

// lineKind classifies the lines of a finding's why and fix.
type lineKind int

const (
	para  lineKind = iota // prose, wrapped
	item                  // a list item: "- x", "* x", "1. x"
	code                  // indented by a tab or four spaces: kept verbatim
	blank                 // a paragraph break
)

// textLine is one line of a why or fix text.
type textLine struct {
	kind   lineKind
	marker string // list marker with its trailing space: "- ", "2. "
	text   string
}

// textLines splits a why or fix text into lines, keeping the author's line
// breaks: each line stays a line (wrapped when long), list items stay list
// items, indented lines stay verbatim, and runs of blank lines become one.
func textLines(s string) []textLine {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var out []textLine
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimRightFunc(l, unicode.IsSpace)
		switch {
		case l == "":
			if len(out) > 0 && out[len(out)-1].kind != blank {
				out = append(out, textLine{kind: blank})
			}
		case strings.HasPrefix(l, "\t") || strings.HasPrefix(l, "    "):
			out = append(out, textLine{kind: code, text: strings.TrimPrefix(strings.TrimPrefix(l, "\t"), "    ")})
		default:
			t := strings.TrimSpace(l)
			if m := listMarker(t); m != "" {
				out = append(out, textLine{kind: item, marker: m, text: strings.TrimSpace(t[len(m):])})
			} else {
				out = append(out, textLine{kind: para, text: t})
			}
		}
	}
	for len(out) > 0 && out[len(out)-1].kind == blank {
		out = out[:len(out)-1]
	}
	return out
}

// listMarker returns the list marker that starts t ("- ", "* ", "12. ",
// "3) "), or "".
func listMarker(t string) string {
	if strings.HasPrefix(t, "- ") || strings.HasPrefix(t, "* ") {
		return t[:2]
	}
	i := 0
	for i < len(t) && i < 3 && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i > 0 && i+1 < len(t) && (t[i] == '.' || t[i] == ')') && t[i+1] == ' ' {
		return t[:i+2]
	}
	return ""
}

// grid is a report.Table made safe to lay out: every row has the same number
// of cells as the header, and numeric columns are marked for right alignment.
type grid struct {
	header    []string
	hasHeader bool // some column has a name
	rows      [][]string
	right     []bool
}

// newGrid pads ragged rows (and the header, if a row is longer than it) with
// empty cells. A grid with no rows or no cells is empty.
func newGrid(t report.Table) grid {
	n := len(t.Columns)
	for _, r := range t.Rows {
		n = max(n, len(r))
	}
	g := grid{header: make([]string, n), right: make([]bool, n)}
	for i, c := range t.Columns {
		g.header[i] = cleanCell(c)
		g.hasHeader = g.hasHeader || c != ""
	}
	if n == 0 {
		return g
	}
	for _, r := range t.Rows {
		row := make([]string, n)
		for i, c := range r {
			row[i] = cleanCell(c)
		}
		g.rows = append(g.rows, row)
	}
	for c := range n {
		numeric, seen := true, false
		for _, r := range g.rows {
			if r[c] == "" {
				continue
			}
			seen = true
			numeric = numeric && isNumeric(r[c])
		}
		g.right[c] = seen && numeric
	}
	return g
}

// empty reports whether the grid has nothing to show.
func (g grid) empty() bool { return len(g.rows) == 0 }

// cleanCell drops carriage returns and turns tabs into spaces, which would
// otherwise break the alignment of a text table.
func cleanCell(s string) string {
	s = strings.ReplaceAll(s, "\r", "")
	return strings.ReplaceAll(s, "\t", "    ")
}

// units that may follow a number in a numeric cell.
var units = map[string]bool{
	"%": true, "s": true, "ms": true, "/s": true, "k": true, "K": true, "M": true,
	"B": true, "KiB": true, "MiB": true, "GiB": true, "KB": true, "MB": true, "GB": true,
}

// isNumeric reports whether a cell reads as a number, so its column is
// right-aligned: "65536", "17.6 %", "≈ 1092/s", "+60172", "16.1 MiB", "0/128".
func isNumeric(s string) bool {
	s = strings.TrimSpace(s)
	for _, p := range []string{"≈", "~", "+", "-", "−"} {
		if strings.HasPrefix(s, p) {
			s = strings.TrimSpace(strings.TrimPrefix(s, p))
			break
		}
	}
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || i > 0 && (s[i] == '.' || s[i] == ',')) {
		i++
	}
	if i == 0 {
		return false
	}
	rest := strings.TrimSpace(s[i:])
	if rest == "" || units[rest] {
		return true
	}
	if strings.HasPrefix(rest, "/") && len(rest) > 1 && rest[1] >= '0' && rest[1] <= '9' {
		return isNumeric(rest[1:])
	}
	return false
}

// newTableWriter returns a go-pretty writer holding g, numeric columns
// right-aligned, column names as written (not upper-cased) and cells wider
// than maxCell columns wrapped at spaces (no limit when 0).
func newTableWriter(g grid, style table.Style, withHeader bool, maxCell int) table.Writer {
	fixedWidths.Do(func() { text.OverrideRuneWidthEastAsianWidth(false) })
	style.Format.Header = text.FormatDefault
	style.Format.Row = text.FormatDefault
	style.Format.Footer = text.FormatDefault
	tw := table.NewWriter()
	tw.SetStyle(style)
	if withHeader {
		header := make(table.Row, len(g.header))
		for i, h := range g.header {
			header[i] = h
		}
		tw.AppendHeader(header)
	}
	for _, r := range g.rows {
		row := make(table.Row, len(r))
		for i, c := range r {
			row[i] = c
		}
		tw.AppendRow(row)
	}
	cfg := make([]table.ColumnConfig, len(g.header))
	for i := range g.header {
		align := text.AlignLeft
		if g.right[i] {
			align = text.AlignRight
		}
		cfg[i] = table.ColumnConfig{Number: i + 1, Align: align, AlignHeader: align}
		if maxCell > 0 {
			cfg[i].WidthMax, cfg[i].WidthMaxEnforcer = maxCell, text.WrapSoft
		}
	}
	tw.SetColumnConfigs(cfg)
	return tw
}

// textTableStyle is go-pretty's light style without the outer frame: the
// columns are ruled, the header underlined.
func textTableStyle() table.Style {
	s := table.StyleLight
	s.Options.DrawBorder = false
	s.Options.SeparateColumns = true
	s.Options.SeparateHeader = true
	s.Options.SeparateRows = false
	s.Options.SeparateFooter = false
	return s
}

// textTable lays g out for a terminal, each line prefixed by indent and
// stripped of trailing blanks; cells wider than maxCell columns are wrapped.
// An empty grid reads "(none)".
func textTable(g grid, indent string, maxCell int) string {
	if g.empty() {
		return indent + none + "\n"
	}
	style := textTableStyle()
	style.Options.SeparateHeader = g.hasHeader
	tw := newTableWriter(g, style, g.hasHeader, maxCell)
	var b strings.Builder
	for _, l := range strings.Split(tw.Render(), "\n") {
		b.WriteString(strings.TrimRightFunc(indent+l, unicode.IsSpace))
		b.WriteByte('\n')
	}
	return b.String()
}

// markdownTable lays g out as a GitHub table ("|" in cells escaped, line
// breaks as <br/>), padded so that the source reads well too. A table
// without column names gets an empty header row, which GitHub requires.
// An empty grid reads "(none)".
func markdownTable(g grid) string {
	if g.empty() {
		return "_" + none + "_\n"
	}
	style := table.StyleDefault
	style.Markdown.PadContent = true
	return newTableWriter(g, style, true, 0).RenderMarkdown() + "\n"
}
