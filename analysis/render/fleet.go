package render

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/netsnap/netsnap/analysis/report"
)

// Fleet writes a comparison of many hosts in format f.
func Fleet(w io.Writer, f Format, fl *report.Fleet, opt Options) error {
	if fl == nil {
		return errors.New("render: nil fleet")
	}
	switch f {
	case Text:
		t := textWriter{width: opt.width(), color: opt.Color}
		t.line(fmt.Sprintf("netsnap fleet: %s", fleetSummary(fl)))
		for _, s := range fleetTables(fl) {
			t.section(s)
		}
		_, err := io.WriteString(w, t.b.String())
		return err
	case Markdown:
		var m mdWriter
		m.para("# netsnap fleet")
		m.para(capitalize(fleetSummary(fl)) + ".")
		for _, s := range fleetTables(fl) {
			m.para("## " + sectionTitle(s))
			m.table(s)
		}
		_, err := io.WriteString(w, strings.TrimRight(m.b.String(), "\n")+"\n")
		return err
	case JSON:
		c := *fl
		c.Hosts, c.Findings, c.Outliers = nonNil(fl.Hosts), nonNil(fl.Findings), nonNil(fl.Outliers)
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(&c)
	case HTML:
		return writeFleetHTML(w, fl)
	}
	return fmt.Errorf("render: unknown format %q", f)
}

func fleetSummary(fl *report.Fleet) string {
	bad, crit, warn := 0, 0, 0
	for _, h := range fl.Hosts {
		c, w := h.Critical, h.Warning
		for _, n := range h.Namespaces {
			c, w = c+n.Critical, w+n.Warning
		}
		switch {
		case h.Error != "":
			bad++
		case c > 0:
			crit++
		case w > 0:
			warn++
		}
	}
	s := fmt.Sprintf("%s, %d with critical findings, %d more with warnings", plural(len(fl.Hosts), "snapshot"), crit, warn)
	if bad > 0 {
		s += fmt.Sprintf(", %d unreadable", bad)
	}
	return s
}

func pctOrDash(p float64) string {
	if p < 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", p)
}

// fleetNSPrefix marks a namespace's row under its host's.
const fleetNSPrefix = "└ "

// fleetTables are the fleet's three tables: hosts (each host's namespaces
// in rows under it), findings, outliers.
func fleetTables(fl *report.Fleet) []report.Table {
	hosts := report.Table{ID: "fleet_hosts", Title: "Hosts", Columns: []string{"host", "kernel", "captured", "ESTAB", "TIME_WAIT", "of tw limit", "SYN_SENT", "CLOSE_WAIT", "conntrack", "busiest destination", "ListenOverflows", "crit", "warn", "info"}}
	// Two snapshots of one host are told apart by their file names, as in the findings table.
	seen := map[string]int{}
	for _, h := range fl.Hosts {
		seen[h.Hostname]++
	}
	for _, h := range fl.Hosts {
		if h.Error != "" {
			hosts.Rows = append(hosts.Rows, []string{h.Snapshot, "error: " + h.Error, "", "", "", "", "", "", "", "", "", "", "", ""})
			continue
		}
		tw := "-"
		if h.TWLimit > 0 {
			tw = fmt.Sprintf("%.1f%% of %d", 100*float64(h.TimeWait)/float64(h.TWLimit), h.TWLimit)
		}
		busiest := "-"
		if h.BusiestDest != "" {
			busiest = fmt.Sprintf("%s %.1f%%", h.BusiestDest, h.BusiestPortPct)
		}
		lo := strconv.FormatInt(h.ListenOverflows, 10)
		if h.ListenRising {
			lo += " (rising)"
		}
		name := h.Hostname
		if seen[name] > 1 {
			name += " (" + h.Snapshot + ")"
		}
		if h.Partial {
			name += " (partial)"
		}
		hosts.Rows = append(hosts.Rows, []string{name, h.Kernel, h.CaptureStart.UTC().Format("2006-01-02 15:04"), strconv.Itoa(h.Established), strconv.Itoa(h.TimeWait), tw, strconv.Itoa(h.SynSent), strconv.Itoa(h.CloseWait), pctOrDash(h.ConntrackPct), busiest, lo, strconv.Itoa(h.Critical), strconv.Itoa(h.Warning), strconv.Itoa(h.Info)})
		// The host's other network namespaces, as rows under it.
		for _, n := range h.Namespaces {
			lo := strconv.FormatInt(n.ListenOverflows, 10)
			if n.ListenRising {
				lo += " (rising)"
			}
			hosts.Rows = append(hosts.Rows, []string{fleetNSPrefix + report.NamespaceLabel(n.Kind, n.Name), "", "", strconv.Itoa(n.Established), strconv.Itoa(n.TimeWait), "-", strconv.Itoa(n.SynSent), strconv.Itoa(n.CloseWait), "-", "-", lo, strconv.Itoa(n.Critical), strconv.Itoa(n.Warning), strconv.Itoa(n.Info)})
		}
	}
	findings := report.Table{ID: "fleet_findings", Title: "Findings across the fleet", Columns: []string{"rule", "severity", "hosts", "on"}}
	for _, f := range fl.Findings {
		on := f.Hosts
		if len(on) > 10 {
			on = append(append([]string{}, on[:10]...), fmt.Sprintf("and %d more", len(f.Hosts)-10))
		}
		findings.Rows = append(findings.Rows, []string{f.ID, severityTag(f.Severity), strconv.Itoa(len(f.Hosts)), strings.Join(on, ", ")})
	}
	if len(findings.Rows) == 0 {
		findings.Note = "No rule fired on any host."
	}
	outliers := report.Table{ID: "fleet_outliers", Title: "Settings that differ from the majority", Columns: []string{"sysctl", "majority", "differs on"}}
	for _, o := range fl.Outliers {
		var hs []string
		for h, v := range o.Hosts {
			hs = append(hs, h+": "+v)
		}
		sort.Strings(hs)
		outliers.Rows = append(outliers.Rows, []string{o.Key, o.Majority, strings.Join(hs, "; ")})
	}
	if len(outliers.Rows) == 0 {
		outliers.Note = "Every host has the same relevant sysctls."
	}
	return []report.Table{hosts, findings, outliers}
}
