package render

// The HTML format: one self-contained file (inline CSS, inline SVG charts,
// a small inline script that sorts tables), for people who would rather
// look than read. It is written with html/template, so everything that
// comes from the report is escaped for where it lands; the charts are SVG
// written by svg.go, which escapes every string it writes. A
// Content-Security-Policy names the page's own style and script by their
// hashes and allows nothing else: no request leaves the page, and markup
// that got in some other way could not run a script.

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/netsnap/netsnap/analysis/report"
)

var (
	//go:embed html.tmpl
	htmlTmpl string
	//go:embed html.css
	htmlCSS string
	//go:embed html.js
	htmlJS string
)

// pageTemplate is parsed once; html/template escapes per context.
var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	// sub says whether row i of t belongs to the row above it.
	"sub": func(t htmlTable, i int) bool { return i < len(t.Sub) && t.Sub[i] },
}).Parse(htmlTmpl))

// htmlPage is what the template renders: one of Report, Diff and Fleet.
type htmlPage struct {
	Title  string
	Kind   string // report, diff or fleet: the body's class
	CSP    string
	CSS    template.CSS
	JS     template.JS
	Report *htmlReport
	Diff   *htmlDiff
	Fleet  *htmlFleet
}

// htmlReport is one snapshot's page.
type htmlReport struct {
	Name              string
	Facts             []string
	Partial           string
	Summary           string
	Counts            []htmlCount
	Findings          []htmlFinding
	SuppressedSummary string
	Suppressed        *htmlTable
	Charts            []htmlChart
	Sections          []htmlTable
	Problems          []string
	// Quiet lists the namespaces without findings; Namespaces are those with.
	Quiet      *htmlTable
	Namespaces []htmlNamespace
}

// htmlNamespace is one network namespace with findings: what it is and its tables.
type htmlNamespace struct {
	Anchor   string
	Title    string
	Facts    string
	Sections []htmlTable
	Problems []string
}

// htmlDiff is the page comparing two snapshots.
type htmlDiff struct {
	Name     string
	Before   string
	After    string
	Notes    []string
	Counts   []htmlCount
	Findings []htmlFinding
	Charts   []htmlPair
	Changes  []htmlTable
	Sections []htmlTable
	Problems []string
}

// htmlFleet is the page comparing many hosts.
type htmlFleet struct {
	Summary string
	Tables  []htmlTable
}

// htmlCount is a badge: "2 critical".
type htmlCount struct {
	Class string
	N     int
	Label string
}

// htmlChart is a figure: the SVG and what is printed around it.
type htmlChart struct {
	ID    string
	Title string
	Note  string
	SVG   template.HTML
}

// htmlPair is a chart before and after, on one scale; a side without the
// chart has no SVG.
type htmlPair struct {
	ID    string
	Title string
	Sides [2]htmlSide
}

// htmlSide is one side of a pair: "Before" or "After", when, and its chart.
type htmlSide struct {
	Label string
	When  string
	Chart htmlChart
}

// htmlFinding is one finding, drawn as a <details> element.
type htmlFinding struct {
	Anchor   string
	Where    string   // the namespace it is about ("container api"); "" for the host
	Related  []string // findings in other namespaces tied to this one
	Severity string
	Tag      string
	Status   string
	ID       string
	Title    string
	Basis    string
	Changes  []string
	Values   []report.Value
	Tables   []htmlTable
	Lines    []string
	Why      []htmlBlock
	Fix      []htmlBlock
	Refs     []htmlRef
}

// htmlBlock is a paragraph (its lines), a list or a code block of a why or fix text.
type htmlBlock struct {
	Kind  string // "p", "ul", "ol" or "pre"
	Lines []string
}

// htmlRef is a reference, a link when it is a web address.
type htmlRef struct {
	Text string
	Link bool
}

// htmlTable is a table ready to draw; Sortable tables get clickable headers.
type htmlTable struct {
	ID        string
	Title     string
	Note      string
	Header    []htmlCell
	HasHeader bool
	Rows      [][]htmlCell
	// Sub marks the rows that belong to the row above them (a host's
	// network namespaces in the fleet): sorting keeps them under it.
	Sub      []bool
	Sortable bool
	// Wide tables scroll sideways on a narrow screen (and lose the sticky header).
	Wide bool
}

// htmlCell is a table cell; Sort overrides the text the script sorts by, Chart
// is drawn in the cell instead of its text.
type htmlCell struct {
	Text  string
	Num   bool
	Sort  string
	Chart template.HTML
}

// writePage renders a page with its style, script and policy.
func writePage(w io.Writer, p htmlPage) error {
	p.CSS, p.JS = template.CSS(htmlCSS), template.JS(htmlJS)
	p.CSP = "default-src 'none'; style-src '" + sha256Source(htmlCSS) + "'; script-src '" + sha256Source(htmlJS) +
		"'; img-src 'none'; base-uri 'none'; form-action 'none'"
	var b strings.Builder
	if err := pageTemplate.Execute(&b, p); err != nil {
		return fmt.Errorf("render html: %w", err)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// sha256Source is a CSP hash source for an inline element's text.
func sha256Source(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// writeHTML renders r as a page: the host, the findings (each a <details>,
// most severe first), the charts, the host's tables, what was suppressed
// and the data problems.
func writeHTML(w io.Writer, r *report.Report) error {
	h := r.Host
	p := &htmlReport{Name: hostname(h), Facts: pageFacts(h), Counts: severityCounts(r.Findings)}
	if h.Partial {
		p.Partial = partialFacts(h)
	}
	if len(r.Findings) == 0 {
		p.Summary = noFindings
	} else {
		p.Summary = capitalize(countSummary(r)) + "."
	}
	labels := nsLabels(r.Namespaces)
	p.Findings = htmlFindings(bySeverity(r.Findings), labels)
	if len(r.Suppressed) > 0 {
		p.SuppressedSummary = capitalize(suppressedSummary(r.Suppressed, plain)) + "."
		tb := report.Table{Columns: []string{"Rule", "Match", "Findings", "Reason"}}
		for _, s := range r.Suppressed {
			tb.Rows = append(tb.Rows, []string{s.ID, s.Match, strconv.Itoa(s.Count), s.Reason})
		}
		t := htmlTableOf(tb)
		p.Suppressed = &t
	}
	for i := range r.Charts {
		c := &r.Charts[i]
		p.Charts = append(p.Charts, htmlChart{ID: c.ID, Title: chartTitle(c), Note: c.Note, SVG: svgChart(c, 0)})
	}
	for _, s := range r.Sections {
		p.Sections = append(p.Sections, htmlTableOf(s))
	}
	if q := quietNamespaces(r.Namespaces); len(q.Rows) > 0 {
		t := htmlTableOf(q)
		p.Quiet = &t
	}
	for i, n := range r.Namespaces {
		if n.Critical+n.Warning+n.Info == 0 {
			continue
		}
		hn := htmlNamespace{Anchor: fmt.Sprintf("ns%d", i+1), Title: capitalize(report.NamespaceLabel(n.Kind, n.Name)), Facts: capitalize(nsFacts(n)) + ".", Problems: problemLines(n.Problems)}
		for _, s := range n.Sections {
			t := htmlTableOf(s)
			if t.ID != "" {
				t.ID = hn.Anchor + "-" + t.ID // unique on the page, beside the host's tables
			}
			hn.Sections = append(hn.Sections, t)
		}
		p.Namespaces = append(p.Namespaces, hn)
	}
	p.Problems = problemLines(r.Problems)
	return writePage(w, htmlPage{Title: "netsnap report: " + p.Name, Kind: "report", Report: p})
}

// writeDiffHTML renders a comparison: both captures, the findings by
// status, the charts before and after side by side, the changed settings
// and the side-by-side tables.
func writeDiffHTML(w io.Writer, d *report.Diff) error {
	p := &htmlDiff{
		Name:   hostname(d.After),
		Before: capitalize(captureFacts(d.Before)) + suffix("; ", snapshotFacts(d.Before, plain)) + ".",
		After:  capitalize(captureFacts(d.After)) + suffix("; ", snapshotFacts(d.After, plain)) + " (" + elapsed(d) + ").",
		Notes:  d.Notes,
	}
	n := map[string]int{}
	for _, f := range d.Findings {
		n[f.Status]++
	}
	for _, st := range []string{report.StatusNew, report.StatusResolved, report.StatusPersisting} {
		p.Counts = append(p.Counts, htmlCount{Class: st, N: n[st], Label: st})
	}
	p.Findings = htmlFindings(d.Findings, nsLabels(d.Namespaces))
	for _, pair := range d.Charts {
		scale := max(chartMax(pair.Before), chartMax(pair.After))
		side := func(c *report.Chart) htmlChart {
			if c == nil {
				return htmlChart{Title: pair.Title}
			}
			return htmlChart{ID: c.ID, Title: chartTitle(c), Note: c.Note, SVG: svgChart(c, scale)}
		}
		p.Charts = append(p.Charts, htmlPair{ID: pair.ID, Title: pair.Title, Sides: [2]htmlSide{{"Before", when(d.Before), side(pair.Before)}, {"After", when(d.After), side(pair.After)}}})
	}
	for _, t := range []report.Table{sysctlTable("sysctl_changes", "Sysctl changes (runtime)", d.SysctlChanges), sysctlTable("persisted_changes", "Persisted setting changes (sysctl.conf, sysctl.d, rc.local)", d.PersistedChanges)} {
		p.Changes = append(p.Changes, htmlTableOf(t))
	}
	for _, s := range d.Sections {
		p.Sections = append(p.Sections, htmlTableOf(s))
	}
	p.Problems = problemLines(d.Problems)
	return writePage(w, htmlPage{Title: "netsnap diff: " + p.Name, Kind: "diff", Diff: p})
}

// writeFleetHTML renders the fleet's tables, each host's row with a small
// chart, beside its name, of its utilisations: TIME_WAIT of
// tcp_max_tw_buckets, conntrack of nf_conntrack_max, the busiest
// destination's share of the ephemeral range.
func writeFleetHTML(w io.Writer, fl *report.Fleet) error {
	p := &htmlFleet{Summary: capitalize(fleetSummary(fl)) + "."}
	for i, t := range fleetTables(fl) {
		ht := htmlTableOf(t)
		if i == 0 && len(ht.Header) > 0 {
			// The findings counts and the chart go beside the host's name,
			// where a wide table does not hide them.
			ht.Header = slices.Insert(ht.Header, 1, htmlCell{Text: "utilisation", Num: true})
			// Rows are each host followed by its namespaces' (no chart of their own).
			var rowHost []int
			for i, h := range fl.Hosts {
				rowHost = append(rowHost, i)
				for range h.Namespaces {
					rowHost = append(rowHost, -1)
				}
			}
			for j := range ht.Rows {
				c := htmlCell{Sort: "-"}
				if j < len(rowHost) && rowHost[j] >= 0 {
					c = fleetChart(fl.Hosts[rowHost[j]])
				}
				ht.Rows[j] = slices.Insert(ht.Rows[j], 1, c)
				ht.Sub = append(ht.Sub, j < len(rowHost) && rowHost[j] < 0)
			}
			if n := len(ht.Header); n > 5 && ht.Header[n-3].Text == "crit" {
				ht.Header = moveLast3(ht.Header)
				for j := range ht.Rows {
					ht.Rows[j] = moveLast3(ht.Rows[j])
				}
			}
			ht.Wide = true
		}
		p.Tables = append(p.Tables, ht)
	}
	return writePage(w, htmlPage{Title: "netsnap fleet", Kind: "fleet", Fleet: p})
}

// moveLast3 moves a row's last three cells to the third place.
func moveLast3(row []htmlCell) []htmlCell {
	n := len(row)
	if n < 5 {
		return row
	}
	return slices.Concat(row[:2], row[n-3:], row[2:n-3])
}

// fleetChart is a host row's chart cell, sorted by its worst utilisation.
func fleetChart(h report.FleetHost) htmlCell {
	if h.Error != "" {
		return htmlCell{Sort: "-"}
	}
	tw := -1.0
	if h.TWLimit > 0 {
		tw = 100 * float64(h.TimeWait) / float64(h.TWLimit)
	}
	ports := -1.0
	if h.BusiestDest != "" {
		ports = h.BusiestPortPct
	}
	us := []utilisation{{"TIME_WAIT", tw}, {"conntrack", h.ConntrackPct}, {"ports", ports}}
	worst := -1.0
	for _, u := range us {
		worst = max(worst, finite(u.pct))
	}
	name := h.Hostname
	if name == "" {
		name = h.Snapshot
	}
	title := fmt.Sprintf("%s: TIME_WAIT %s of tcp_max_tw_buckets, conntrack %s of nf_conntrack_max, busiest destination %s of the ephemeral range",
		name, pctOrDash(tw), pctOrDash(h.ConntrackPct), pctOrDash(ports))
	sort := "-"
	if worst >= 0 {
		sort = strconv.FormatFloat(worst, 'f', 1, 64)
	}
	return htmlCell{Sort: sort, Chart: svgMini(title, us)}
}

// when dates a capture for a chart's caption.
func when(h report.Host) string {
	if h.CaptureStart.IsZero() {
		return ""
	}
	return h.CaptureStart.UTC().Format("2006-01-02 15:04 UTC")
}

// chartTitle is a chart's caption, falling back to its id.
func chartTitle(c *report.Chart) string {
	if c.Title != "" {
		return c.Title
	}
	return c.ID
}

// suffix returns sep+s, or "" when s is empty.
func suffix(sep, s string) string {
	if s == "" {
		return ""
	}
	return sep + s
}

// pageFacts are the lines under a report's heading.
func pageFacts(h report.Host) []string {
	var out []string
	if f := hostFacts(h); f != "" {
		out = append(out, capitalize(f)+".")
	}
	out = append(out, capitalize(captureFacts(h))+".")
	if f := snapshotFacts(h, plain); f != "" {
		out = append(out, capitalize(f)+".")
	}
	return out
}

// severityCounts are the badges at the top of a report.
func severityCounts(fs []report.Finding) []htmlCount {
	var out []htmlCount
	for _, s := range []report.Severity{report.Critical, report.Warning, report.Info} {
		n := 0
		for _, f := range fs {
			if f.Severity == s {
				n++
			}
		}
		out = append(out, htmlCount{Class: s.String(), N: n, Label: s.String()})
	}
	return out
}

// htmlFindings prepares findings in the order given. They start closed, so
// that the page opens on one line per finding, like the other formats'
// conclusions; a click, "Expand all" or printing opens them.
func htmlFindings(fs []report.Finding, labels map[string]string) []htmlFinding {
	out := make([]htmlFinding, 0, len(fs))
	for i, f := range fs {
		h := htmlFinding{
			Anchor:   fmt.Sprintf("f%d-%s", i+1, slug(f.ID)),
			Severity: f.Severity.String(),
			Tag:      severityTag(f.Severity),
			Status:   f.Status,
			ID:       f.ID,
			Title:    f.Title,
			Basis:    f.Basis,
			Changes:  f.Changes,
			Values:   f.Evidence.Values,
			Why:      htmlBlocks(f.Why),
			Fix:      htmlBlocks(f.Fix),
		}
		if f.Namespace != "" {
			h.Where = labelOf(labels, f.Namespace)
		}
		for _, x := range f.Related {
			h.Related = append(h.Related, relatedText(x, labels))
		}
		for _, t := range f.Evidence.Tables {
			ht := htmlTableOf(t)
			if ht.ID != "" {
				ht.ID = h.Anchor + "-" + ht.ID // unique on the page, beside the host's tables
			}
			h.Tables = append(h.Tables, ht)
		}
		for _, l := range f.Evidence.Lines {
			h.Lines = append(h.Lines, cleanCell(l))
		}
		for _, r := range f.Refs {
			h.Refs = append(h.Refs, htmlRef{Text: r, Link: strings.HasPrefix(r, "https://") || strings.HasPrefix(r, "http://")})
		}
		out = append(out, h)
	}
	return out
}

// slug keeps the letters, digits and dashes of an id, for an anchor.
func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

// htmlBlocks groups the lines of a why or fix text (see textLines) into
// paragraphs, lists and code blocks.
func htmlBlocks(s string) []htmlBlock {
	var out []htmlBlock
	for _, l := range textLines(s) {
		kind := "p"
		switch l.kind {
		case blank:
			out = append(out, htmlBlock{}) // a break: the next line starts a block
			continue
		case code:
			kind = "pre"
		case item:
			kind = "ul"
			if m := strings.TrimSpace(l.marker); m != "-" && m != "*" {
				kind = "ol"
			}
		}
		if n := len(out); n > 0 && out[n-1].Kind == kind {
			out[n-1].Lines = append(out[n-1].Lines, l.text)
			continue
		}
		out = append(out, htmlBlock{Kind: kind, Lines: []string{l.text}})
	}
	return slices.DeleteFunc(out, func(b htmlBlock) bool { return b.Kind == "" })
}

// htmlTableOf lays a report table out for the page.
func htmlTableOf(t report.Table) htmlTable {
	g := newGrid(t)
	ht := htmlTable{ID: t.ID, Title: t.Title, Note: t.Note, HasHeader: g.hasHeader}
	for i, h := range g.header {
		ht.Header = append(ht.Header, htmlCell{Text: h, Num: g.right[i]})
	}
	for _, r := range g.rows {
		row := make([]htmlCell, len(r))
		for i, c := range r {
			row[i] = htmlCell{Text: c, Num: g.right[i]}
		}
		ht.Rows = append(ht.Rows, row)
	}
	ht.Sortable = ht.HasHeader && len(ht.Rows) > 1
	ht.Wide = len(ht.Header) > 8
	return ht
}

// problemLines formats the data problems.
func problemLines(ps []report.Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, problemText(p))
	}
	return out
}
