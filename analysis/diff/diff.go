// Package diff compares two analysed snapshots of one host: what changed in
// its settings, its sockets, its counters and its nginx configuration, and
// which findings are new, resolved or persisting.
package diff

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/netsnap/netsnap/analysis"
	"github.com/netsnap/netsnap/analysis/model"
	"github.com/netsnap/netsnap/analysis/report"
)

// ErrDifferentHosts is returned by Compare when the snapshots are of two hosts and force is false.
var ErrDifferentHosts = errors.New("the snapshots are of different hosts")

// Compare compares two analysed snapshots, a the earlier.
func Compare(a, b *analysis.Result, force bool) (*report.Diff, error) {
	ha, hb := a.Host, b.Host
	d := &report.Diff{
		Before:           a.Report.Host,
		After:            b.Report.Host,
		Notes:            []string{},
		Findings:         []report.Finding{},
		SysctlChanges:    []report.SysctlChange{},
		PersistedChanges: []report.SysctlChange{},
		Sections:         []report.Table{},
		Problems:         []report.Problem{},
		Charts:           chartPairs(a.Report.Charts, b.Report.Charts),
		Namespaces:       namespaces(a.Report.Namespaces, b.Report.Namespaces),
	}
	if ha.Hostname != hb.Hostname {
		if !force {
			return nil, fmt.Errorf("%w (%s and %s): use --force to compare them anyway", ErrDifferentHosts, ha.Hostname, hb.Hostname)
		}
		d.Notes = append(d.Notes, fmt.Sprintf("These are snapshots of two different hosts (%s and %s), compared because of --force.", ha.Hostname, hb.Hostname))
	}
	d.ElapsedSeconds = hb.CaptureStart.Sub(ha.CaptureStart).Seconds()
	if d.ElapsedSeconds < 0 {
		d.Notes = append(d.Notes, "The second snapshot was taken before the first: before and after are as given on the command line.")
	}
	upA, upB := lastUptime(ha), lastUptime(hb)
	switch {
	case ha.BootID != "" && hb.BootID != "" && ha.BootID != hb.BootID:
		d.Rebooted = true
		d.Notes = append(d.Notes, "The host rebooted between the snapshots (its boot id changed): counters are compared as rates within each snapshot only.")
	case upA > 0 && upB > 0 && upB < upA:
		d.Rebooted = true
		d.Notes = append(d.Notes, fmt.Sprintf("The host rebooted between the snapshots (uptime %s, then %s): counters are compared as rates within each snapshot only.", dur(upA), dur(upB)))
	}
	d.Findings = findings(a.Report.Findings, b.Report.Findings, matchKeys(a.Report.Namespaces, b.Report.Namespaces))
	d.SysctlChanges = sysctlChanges(ha.Sysctls, hb.Sysctls)
	d.PersistedChanges = persistedChanges(ha.Persisted, hb.Persisted)
	d.Sections = append(d.Sections,
		states(ha, hb),
		timeWaitByService(a, b),
		destinations(a, b),
		counters(ha, hb, d),
		conntrack(a, b),
	)
	if t := nginxChanges(ha, hb); len(t.Rows) > 0 || len(ha.NginxConfigs)+len(hb.NginxConfigs) > 0 {
		d.Sections = append(d.Sections, t)
	}
	for _, p := range a.Report.Problems {
		p.File = "before: " + p.File
		d.Problems = append(d.Problems, p)
	}
	for _, p := range b.Report.Problems {
		p.File = "after: " + p.File
		d.Problems = append(d.Problems, p)
	}
	return d, nil
}

// chartPairs pairs the charts of both reports by id, in the order of the
// first (then those only the second has).
// pidInName is the "[8100]" of a namespace named from its processes.
var pidInName = regexp.MustCompile(`\[[0-9]+\]`)

// matchKeys maps the namespace names of both reports to what matches them
// between snapshots: the name of a container, pod or ip netns; for a
// namespace named from its processes ("sleep[8100] python3[900]"), their
// commands without the PIDs, which change from one run to the next.
func matchKeys(before, after []report.Namespace) map[string]string {
	m := map[string]string{}
	for _, list := range [][]report.Namespace{before, after} {
		for _, n := range list {
			if n.Kind == "processes" {
				m[n.Name] = "processes " + pidInName.ReplaceAllString(n.Name, "")
			}
		}
	}
	return m
}

// namespaces lists the namespaces of both reports by name: the second's
// description where both have one (its PIDs are the current ones), then
// those only the first had. Their tables and facts are left out: the
// diff compares findings.
func namespaces(before, after []report.Namespace) []report.Namespace {
	var out []report.Namespace
	seen := map[string]bool{}
	for _, list := range [][]report.Namespace{after, before} {
		for _, n := range list {
			if seen[n.Name] {
				continue
			}
			seen[n.Name] = true
			n.Sections, n.Problems, n.Facts = nil, nil, nil
			out = append(out, n)
		}
	}
	return out
}

func chartPairs(before, after []report.Chart) []report.ChartPair {
	out := []report.ChartPair{}
	index := map[string]int{}
	for i := range before {
		c := &before[i]
		if _, dup := index[c.ID]; dup {
			continue
		}
		index[c.ID] = len(out)
		out = append(out, report.ChartPair{ID: c.ID, Title: c.Title, Before: c})
	}
	for i := range after {
		c := &after[i]
		j, ok := index[c.ID]
		if !ok {
			index[c.ID] = len(out)
			out = append(out, report.ChartPair{ID: c.ID, Title: c.Title, After: c})
			continue
		}
		if out[j].After == nil {
			out[j].After = c
		}
	}
	return out
}

func lastUptime(h *model.Host) float64 {
	if n := len(h.Samples); n > 0 {
		return h.Samples[n-1].Uptime
	}
	return 0
}

// findings merges both finding lists: new (only after), resolved (only
// before), persisting (both, with what changed in the title).
func findings(before, after []report.Finding, nsKey map[string]string) []report.Finding {
	// A finding is the same one when its rule and its namespace are: a
	// container or pod is matched by its name, not by the namespace's inode
	// (a restarted container gets a new namespace).
	key := func(f report.Finding) string {
		ns := f.Namespace
		if k, ok := nsKey[ns]; ok {
			ns = k
		}
		return ns + "\x00" + f.ID
	}
	was := map[string]report.Finding{}
	for _, f := range before {
		was[key(f)] = f
	}
	var out []report.Finding
	seen := map[string]bool{}
	for _, f := range after {
		seen[key(f)] = true
		old, ok := was[key(f)]
		if !ok {
			f.Status = report.StatusNew
			out = append(out, f)
			continue
		}
		f.Status = report.StatusPersisting
		if old.Severity != f.Severity {
			f.Changes = append(f.Changes, fmt.Sprintf("severity %s → %s", old.Severity, f.Severity))
		}
		if old.Title != f.Title {
			f.Changes = append(f.Changes, "was: "+old.Title)
		}
		out = append(out, f)
	}
	for _, f := range before {
		if !seen[key(f)] {
			f.Status = report.StatusResolved
			out = append(out, f)
		}
	}
	rank := map[string]int{report.StatusNew: 0, report.StatusPersisting: 1, report.StatusResolved: 2}
	sort.SliceStable(out, func(i, j int) bool {
		// The host's findings first, then each namespace's (by name).
		return cmp.Or(cmp.Compare(out[i].Namespace, out[j].Namespace), cmp.Compare(rank[out[i].Status], rank[out[j].Status]),
			cmp.Compare(out[j].Severity, out[i].Severity), cmp.Compare(out[i].ID, out[j].ID)) < 0
	})
	return out
}

func sysctlChanges(a, b model.Sysctls) []report.SysctlChange {
	out := []report.SysctlChange{}
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	for k := range keys {
		if a[k] != b[k] {
			out = append(out, report.SysctlChange{Key: k, Before: a[k], After: b[k]})
		}
	}
	slices.SortFunc(out, func(x, y report.SysctlChange) int { return cmp.Compare(x.Key, y.Key) })
	return out
}

func persistedChanges(a, b []model.SysctlSetting) []report.SysctlChange {
	last := func(s []model.SysctlSetting) map[string]string {
		m := map[string]string{}
		for _, x := range s {
			m[strings.ReplaceAll(x.Key, "/", ".")] = fmt.Sprintf("%s (%s:%d)", x.Value, x.File, x.Line)
		}
		return m
	}
	return sysctlChanges(last(a), last(b))
}

// stateMax is the largest count of a state over a host's samples.
func stateMax(h *model.Host, st model.TCPState) int {
	m := 0
	for _, s := range h.Samples {
		if s.TCP != nil {
			m = max(m, s.TCP.States[st])
		}
	}
	return m
}

func states(a, b *model.Host) report.Table {
	t := report.Table{ID: "tcp_states", Title: "TCP sockets by state (largest sample)", Columns: []string{"state", "before", "after", "change"}}
	for _, st := range model.TCPStates {
		x, y := stateMax(a, st), stateMax(b, st)
		if x == 0 && y == 0 {
			continue
		}
		t.Rows = append(t.Rows, []string{st.String(), strconv.Itoa(x), strconv.Itoa(y), signed(int64(y - x))})
	}
	return t
}

// rowsByKey indexes a facts table's rows by the given column.
func rowsByKey(t report.Table, col int) (map[string][]string, []string) {
	m := map[string][]string{}
	var order []string
	for _, r := range t.Rows {
		if col < len(r) {
			if _, dup := m[r[col]]; !dup {
				order = append(order, r[col])
			}
			m[r[col]] = r
		}
	}
	return m, order
}

// sideBySide joins two versions of a facts table on a key column, comparing a numeric column.
func sideBySide(id, title string, a, b report.Table, key, label, value int, labelName, valueName string) report.Table {
	t := report.Table{ID: id, Title: title, Columns: []string{a.Columns[key], labelName, valueName + " before", valueName + " after", "change"}}
	ma, oa := rowsByKey(a, key)
	mb, ob := rowsByKey(b, key)
	order := append(append([]string{}, ob...), oa...)
	seen := map[string]bool{}
	n := func(r []string) int {
		if r == nil || value >= len(r) {
			return 0
		}
		v, _ := strconv.Atoi(r[value])
		return v
	}
	for _, k := range order {
		if seen[k] {
			continue
		}
		seen[k] = true
		ra, rb := ma[k], mb[k]
		lbl := ""
		if rb != nil && label < len(rb) {
			lbl = rb[label]
		} else if ra != nil && label < len(ra) {
			lbl = ra[label]
		}
		t.Rows = append(t.Rows, []string{k, lbl, strconv.Itoa(n(ra)), strconv.Itoa(n(rb)), signed(int64(n(rb) - n(ra)))})
	}
	sort.SliceStable(t.Rows, func(i, j int) bool {
		x, _ := strconv.Atoi(t.Rows[i][3])
		y, _ := strconv.Atoi(t.Rows[j][3])
		return x > y
	})
	if len(t.Rows) > 20 {
		t.Rows = t.Rows[:20]
		t.Note = "The 20 largest after the change."
	}
	return t
}

func timeWaitByService(a, b *analysis.Result) report.Table {
	t := sideBySide("time_wait_by_service", "TIME_WAIT by service", a.Facts.Tables["time_wait_by_service"], b.Facts.Tables["time_wait_by_service"], 0, 1, 3, "label", "TIME_WAIT")
	t.Rows = append(t.Rows, []string{"all", "", strconv.Itoa(a.Facts.TW.Count), strconv.Itoa(b.Facts.TW.Count), signed(int64(b.Facts.TW.Count - a.Facts.TW.Count))})
	return t
}

func destinations(a, b *analysis.Result) report.Table {
	t := sideBySide("ports_by_destination", "Ephemeral ports in use by destination", a.Facts.Tables["ports_by_destination"], b.Facts.Tables["ports_by_destination"], 1, 2, 3, "label", "ports")
	t.Note = strings.TrimSpace(t.Note + fmt.Sprintf(" Ports per destination: %d before, %d after.", a.Facts.Ports.Size, b.Facts.Ports.Size))
	return t
}

// counterNames are compared as rates.
var counterNames = [][2]string{
	{"Tcp", "ActiveOpens"}, {"Tcp", "PassiveOpens"}, {"Tcp", "AttemptFails"}, {"Tcp", "EstabResets"}, {"Tcp", "OutRsts"}, {"Tcp", "RetransSegs"},
	{"TcpExt", "ListenOverflows"}, {"TcpExt", "ListenDrops"}, {"TcpExt", "TCPTimeWaitOverflow"}, {"TcpExt", "TW"}, {"TcpExt", "SyncookiesSent"},
}

// rateWithin is a counter's rate over one snapshot's own samples; ok is false with one sample.
func rateWithin(h *model.Host, group, name string) (float64, bool) {
	var first, last *model.Sample
	var v0, v1 int64
	for i := range h.Samples {
		s := &h.Samples[i]
		v, ok := s.Counters.Get(group, name)
		if !ok {
			continue
		}
		if first == nil {
			first, v0 = s, v
		}
		last, v1 = s, v
	}
	if first == nil || last == first || v1 < v0 {
		return 0, false
	}
	d := last.Time.Sub(first.Time).Seconds()
	if d <= 0 {
		return 0, false
	}
	return float64(v1-v0) / d, true
}

func lastValue(h *model.Host, group, name string) (int64, bool) {
	for i := len(h.Samples) - 1; i >= 0; i-- {
		if v, ok := h.Samples[i].Counters.Get(group, name); ok {
			return v, true
		}
	}
	return 0, false
}

func counters(a, b *model.Host, d *report.Diff) report.Table {
	t := report.Table{ID: "counter_rates", Title: "Counter rates (per second)", Columns: []string{"counter", "during the first capture", "during the second", "between the snapshots"}}
	for _, k := range counterNames {
		ra, oka := rateWithin(a, k[0], k[1])
		rb, okb := rateWithin(b, k[0], k[1])
		va, hasA := lastValue(a, k[0], k[1])
		vb, hasB := lastValue(b, k[0], k[1])
		if !hasA && !hasB {
			continue
		}
		between := "-"
		switch {
		case d.Rebooted:
			between = "rebooted"
		case hasA && hasB && vb >= va && d.ElapsedSeconds > 0:
			between = fmt.Sprintf("%.1f", float64(vb-va)/d.ElapsedSeconds)
		case hasA && hasB && vb < va:
			between = "reset"
		}
		t.Rows = append(t.Rows, []string{k[0] + " " + k[1], rate(ra, oka), rate(rb, okb), between})
	}
	if d.Rebooted {
		t.Note = "No rate is computed across the reboot."
	}
	return t
}

func rate(r float64, ok bool) string {
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.1f", r)
}

func conntrack(a, b *analysis.Result) report.Table {
	t := report.Table{ID: "conntrack", Title: "Connection tracking", Columns: []string{"", "before", "after"}}
	ca, cb := a.Facts.Conntrack, b.Facts.Conntrack
	if !ca.Loaded && !cb.Loaded {
		t.Note = "Connection tracking was not loaded in either snapshot."
		return t
	}
	t.Rows = [][]string{
		{"entries (largest sample)", strconv.FormatInt(ca.Count, 10), strconv.FormatInt(cb.Count, 10)},
		{"nf_conntrack_max", num(ca.Max), num(cb.Max)},
		{"usage", fmt.Sprintf("%.1f%%", ca.Pct), fmt.Sprintf("%.1f%%", cb.Pct)},
		{"drop (since boot)", strconv.FormatInt(ca.Drop.Total, 10), strconv.FormatInt(cb.Drop.Total, 10)},
		{"\"table full\" log lines", strconv.Itoa(ca.Log), strconv.Itoa(cb.Log)},
	}
	return t
}

// nginxChanges lists upstreams and servers added or removed and changed keepalive and checks.
func nginxChanges(a, b *model.Host) report.Table {
	t := report.Table{ID: "nginx_changes", Title: "nginx configuration changes", Columns: []string{"upstream", "change", "before", "after"}}
	index := func(h *model.Host) map[string]*model.Upstream {
		m := map[string]*model.Upstream{}
		for _, c := range h.NginxConfigs {
			for _, u := range c.Upstreams {
				if !u.Implicit {
					m[u.Name] = u
				}
			}
		}
		return m
	}
	ua, ub := index(a), index(b)
	var names []string
	for n := range ua {
		names = append(names, n)
	}
	for n := range ub {
		if _, ok := ua[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		x, y := ua[n], ub[n]
		switch {
		case x == nil:
			t.Rows = append(t.Rows, []string{n, "upstream added", "", fmt.Sprintf("%d servers (%s:%d)", len(y.Servers), y.File, y.Line)})
			continue
		case y == nil:
			t.Rows = append(t.Rows, []string{n, "upstream removed", fmt.Sprintf("%d servers", len(x.Servers)), ""})
			continue
		}
		sa, sb := servers(x), servers(y)
		for _, s := range sa {
			if !slices.Contains(sb, s) {
				t.Rows = append(t.Rows, []string{n, "server removed", s, ""})
			}
		}
		for _, s := range sb {
			if !slices.Contains(sa, s) {
				t.Rows = append(t.Rows, []string{n, "server added", "", s})
			}
		}
		if x.Keepalive != y.Keepalive {
			t.Rows = append(t.Rows, []string{n, "keepalive", keep(x.Keepalive), keep(y.Keepalive)})
		}
		if cx, cy := check(x.Check), check(y.Check); cx != cy {
			t.Rows = append(t.Rows, []string{n, "health check", cx, cy})
		}
	}
	if len(t.Rows) == 0 {
		t.Note = "No upstream, server, keepalive or health-check change."
	}
	return t
}

func servers(u *model.Upstream) []string {
	var out []string
	for _, s := range u.Servers {
		out = append(out, s.Raw)
	}
	return out
}

func keep(n int) string {
	if n == 0 {
		return "none"
	}
	return strconv.Itoa(n)
}

func check(c *model.HealthCheck) string {
	if c == nil {
		return "none"
	}
	return fmt.Sprintf("%s every %d ms, %d probes per connection", c.Type, c.IntervalMS, c.KeepaliveRequests)
}

func signed(n int64) string {
	if n > 0 {
		return "+" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

func num(n int64) string {
	if n < 0 {
		return "?"
	}
	return strconv.FormatInt(n, 10)
}

func dur(s float64) string {
	switch {
	case s < 7200:
		return fmt.Sprintf("%.0f min", s/60)
	case s < 172800:
		return fmt.Sprintf("%.1f h", s/3600)
	}
	return fmt.Sprintf("%.1f days", s/86400)
}
