package render

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/netsnap/netsnap/analysis/report"
)

// Diff writes a comparison of two snapshots in format f.
func Diff(w io.Writer, f Format, d *report.Diff, opt Options) error {
	if d == nil {
		return errors.New("render: nil diff")
	}
	switch f {
	case Text:
		return writeDiffText(w, d, opt)
	case Markdown:
		return writeDiffMarkdown(w, d)
	case JSON:
		return writeDiffJSON(w, d)
	case HTML:
		return writeDiffHTML(w, d)
	}
	return fmt.Errorf("render: unknown format %q", f)
}

// statusTag is NEW, RESOLVED or PERSISTING.
func statusTag(s string) string { return strings.ToUpper(s) }

const statusWidth = len("PERSISTING")

func elapsed(d *report.Diff) string {
	s := d.ElapsedSeconds
	switch {
	case s < 0:
		return "taken before the first"
	case s < 120:
		return fmt.Sprintf("%.0f s later", s)
	case s < 7200:
		return fmt.Sprintf("%.0f min later", s/60)
	case s < 172800:
		return fmt.Sprintf("%.1f h later", s/3600)
	}
	return fmt.Sprintf("%.1f days later", s/86400)
}

func sysctlTable(id, title string, cs []report.SysctlChange) report.Table {
	t := report.Table{ID: id, Title: title, Columns: []string{"setting", "before", "after"}}
	for _, c := range cs {
		t.Rows = append(t.Rows, []string{c.Key, orDash(c.Before), orDash(c.After)})
	}
	return t
}

func orDash(s string) string {
	if s == "" {
		return "(absent)"
	}
	return s
}

func writeDiffText(w io.Writer, d *report.Diff, opt Options) error {
	t := textWriter{width: opt.width(), color: opt.Color, labels: nsLabels(d.Namespaces)}
	t.line("netsnap diff for ", hostname(d.After))
	t.line("before: ", captureFacts(d.Before), "; ", snapshotFacts(d.Before, plain))
	t.line("after:  ", captureFacts(d.After), "; ", snapshotFacts(d.After, plain), " (", elapsed(d), ")")
	for _, n := range d.Notes {
		t.wrapped("note: ", "      ", n)
	}
	t.line()
	t.line("FINDINGS (", diffCounts(d), ")")
	if len(d.Findings) == 0 {
		t.line(indent1, "No findings in either snapshot.")
	}
	idW := 0
	for _, f := range d.Findings {
		idW = max(idW, width(f.ID))
	}
	for _, f := range d.Findings {
		tag := severityTag(f.Severity)
		st := statusTag(f.Status)
		title := f.Title
		if f.Namespace != "" {
			title = "[" + labelOf(t.labels, f.Namespace) + "] " + title
		}
		t.line(indent1, st, pad(st, statusWidth), "  ", colorTag(tag, f.Severity, t.color), pad(tag, tagWidth), "  ", f.ID, pad(f.ID, idW), "  ", title)
		for _, c := range f.Changes {
			t.line(indent1, strings.Repeat(" ", statusWidth+2+tagWidth+2+idW+2), c)
		}
	}
	for _, s := range []report.Table{sysctlTable("sysctl_changes", "sysctl changes (runtime)", d.SysctlChanges), sysctlTable("persisted_changes", "persisted setting changes (sysctl.conf, sysctl.d, rc.local)", d.PersistedChanges)} {
		t.heading(s.Title)
		if len(s.Rows) == 0 {
			t.line(indent1, "none")
			continue
		}
		t.table(s, indent1)
	}
	for _, s := range d.Sections {
		t.section(s)
	}
	var detail []report.Finding
	for _, f := range d.Findings {
		if f.Status != report.StatusResolved {
			detail = append(detail, f)
		}
	}
	if len(detail) > 0 {
		t.heading("new and persisting findings in detail")
		for _, f := range detail {
			t.finding(f)
		}
	}
	t.problems(d.Problems)
	_, err := io.WriteString(w, t.b.String())
	return err
}

func diffCounts(d *report.Diff) string {
	n := map[string]int{}
	for _, f := range d.Findings {
		n[f.Status]++
	}
	return fmt.Sprintf("%d new, %d resolved, %d persisting", n[report.StatusNew], n[report.StatusResolved], n[report.StatusPersisting])
}

func writeDiffMarkdown(w io.Writer, d *report.Diff) error {
	m := mdWriter{labels: nsLabels(d.Namespaces)}
	m.para("# netsnap diff: " + hostname(d.After))
	m.para(fmt.Sprintf("**Before:** %s; %s.  \n**After:** %s; %s (%s).", captureFacts(d.Before), snapshotFacts(d.Before, mdCode), captureFacts(d.After), snapshotFacts(d.After, mdCode), elapsed(d)))
	for _, n := range d.Notes {
		m.para("> " + n)
	}
	m.para("## Findings (" + diffCounts(d) + ")")
	if len(d.Findings) == 0 {
		m.para("No findings in either snapshot.")
	} else {
		tb := report.Table{Columns: []string{"Status", "Severity", "Rule", "Finding"}}
		for _, f := range d.Findings {
			title := f.Title
			if f.Namespace != "" {
				title = "[" + labelOf(m.labels, f.Namespace) + "] " + title
			}
			for _, c := range f.Changes {
				title += " (" + c + ")"
			}
			tb.Rows = append(tb.Rows, []string{"**" + statusTag(f.Status) + "**", severityTag(f.Severity), "`" + f.ID + "`", title})
		}
		m.table(tb)
	}
	for _, s := range []report.Table{sysctlTable("sysctl_changes", "Sysctl changes (runtime)", d.SysctlChanges), sysctlTable("persisted_changes", "Persisted setting changes", d.PersistedChanges)} {
		m.para("## " + s.Title)
		if len(s.Rows) == 0 {
			m.para("None.")
			continue
		}
		m.table(s)
	}
	for _, s := range d.Sections {
		m.para("## " + sectionTitle(s))
		m.table(s)
	}
	var detail []report.Finding
	for _, f := range d.Findings {
		if f.Status != report.StatusResolved {
			detail = append(detail, f)
		}
	}
	m.findings(detail)
	m.problems(d.Problems)
	_, err := io.WriteString(w, strings.TrimRight(m.b.String(), "\n")+"\n")
	return err
}

func writeDiffJSON(w io.Writer, d *report.Diff) error {
	c := *d
	c.Notes = nonNil(d.Notes)
	c.Findings = nonNil(d.Findings)
	for i := range c.Findings {
		e := &c.Findings[i].Evidence
		e.Values = nonNil(e.Values)
		e.Tables = normalizedTables(e.Tables, true)
	}
	c.SysctlChanges = nonNil(d.SysctlChanges)
	c.PersistedChanges = nonNil(d.PersistedChanges)
	c.Sections = normalizedTables(d.Sections, false)
	c.Problems = nonNil(d.Problems)
	c.Charts = nonNil(d.Charts)
	for i := range c.Namespaces {
		n := &c.Namespaces[i]
		n.Sections, n.Problems = nonNil(n.Sections), nonNil(n.Problems)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(&c)
}
