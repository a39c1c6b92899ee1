package render

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"math"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/netsnap/netsnap/analysis/report"
	"github.com/netsnap/netsnap/internal/golden"
)

// loadJSON decodes a testdata file strictly into v.
func loadJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decoding %s: %v", name, err)
	}
}

func loadDiff(t *testing.T) *report.Diff {
	var d report.Diff
	loadJSON(t, "diff.json", &d)
	return &d
}

func loadFleet(t *testing.T) *report.Fleet {
	var fl report.Fleet
	loadJSON(t, "fleet.json", &fl)
	return &fl
}

func renderDiff(t *testing.T, f Format, d *report.Diff) string {
	t.Helper()
	var b bytes.Buffer
	if err := Diff(&b, f, d, Options{}); err != nil {
		t.Fatalf("Diff(%s) = %v", f, err)
	}
	return b.String()
}

func renderFleet(t *testing.T, f Format, fl *report.Fleet) string {
	t.Helper()
	var b bytes.Buffer
	if err := Fleet(&b, f, fl, Options{}); err != nil {
		t.Fatalf("Fleet(%s) = %v", f, err)
	}
	return b.String()
}

// TestRenderDiff renders the seed 000 host before and after its tuning
// (testdata/diff.json) as a page: testdata/TestRenderDiff/html.golden.
func TestRenderDiff(t *testing.T) {
	d := loadDiff(t)
	t.Run("html", func(t *testing.T) {
		out := renderDiff(t, HTML, d)
		golden.Check(t, []byte(out))
		if again := renderDiff(t, HTML, d); again != out {
			t.Error("Diff(html) gave different output on a second run")
		}
	})
}

// TestRenderFleet renders three hosts and an unreadable snapshot
// (testdata/fleet.json) as a page: testdata/TestRenderFleet/html.golden.
func TestRenderFleet(t *testing.T) {
	fl := loadFleet(t)
	t.Run("html", func(t *testing.T) {
		out := renderFleet(t, HTML, fl)
		golden.Check(t, []byte(out))
		if again := renderFleet(t, HTML, fl); again != out {
			t.Error("Fleet(html) gave different output on a second run")
		}
	})
}

// pages renders one page of each kind from the test inputs.
func pages(t *testing.T) map[string]string {
	return map[string]string{
		"report": string(render(t, HTML, loadReport(t), Options{})),
		"diff":   renderDiff(t, HTML, loadDiff(t)),
		"fleet":  renderFleet(t, HTML, loadFleet(t)),
	}
}

var (
	urlAttr = regexp.MustCompile(`(?i)<(\w+)[^>]*?\s([\w-]+)\s*=\s*["']?\s*(?:https?:)?//`)
	cspMeta = regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`)
	styleEl = regexp.MustCompile(`(?s)<style>(.*?)</style>`)
	scriptE = regexp.MustCompile(`(?s)<script>(.*?)</script>`)
)

// TestHTMLSelfContained checks that a page loads nothing from elsewhere: no
// src attribute, stylesheet link, CSS url() or @import, and web addresses
// only as links a person may follow (the findings' references). Its
// Content-Security-Policy allows only its own style and script, by hash.
func TestHTMLSelfContained(t *testing.T) {
	for kind, out := range pages(t) {
		low := strings.ToLower(out)
		for _, bad := range []string{"src=", "<link", "<img", "<iframe", "<object", "<embed", "url(", "@import", "@font-face", "xlink:href"} {
			if strings.Contains(low, bad) {
				t.Errorf("%s page contains %q", kind, bad)
			}
		}
		for _, m := range urlAttr.FindAllStringSubmatch(out, -1) {
			if !strings.EqualFold(m[1], "a") || !strings.EqualFold(m[2], "href") {
				t.Errorf("%s page refers to a web address in <%s %s=…>: %q", kind, m[1], m[2], m[0])
			}
		}
		csp := cspMeta.FindStringSubmatch(out)
		if csp == nil {
			t.Fatalf("%s page has no Content-Security-Policy", kind)
		}
		policy := html.UnescapeString(csp[1])
		style, script := styleEl.FindAllStringSubmatch(out, -1), scriptE.FindAllStringSubmatch(out, -1)
		if len(style) != 1 || len(script) != 1 {
			t.Fatalf("%s page has %d style and %d script elements, want 1 and 1", kind, len(style), len(script))
		}
		for _, want := range []string{"default-src 'none'", "style-src '" + hashOf(style[0][1]) + "'", "script-src '" + hashOf(script[0][1]) + "'"} {
			if !strings.Contains(policy, want) {
				t.Errorf("%s page's policy %q lacks %q", kind, policy, want)
			}
		}
	}
}

// TestHTMLUniqueIDs checks that no two elements of a page share an id
// (the anchors of findings, charts and tables).
func TestHTMLUniqueIDs(t *testing.T) {
	id := regexp.MustCompile(`\sid="([^"]*)"`)
	for kind, out := range pages(t) {
		seen := map[string]bool{}
		for _, m := range id.FindAllStringSubmatch(out, -1) {
			if seen[m[1]] {
				t.Errorf("%s page: id %q is used twice", kind, m[1])
			}
			seen[m[1]] = true
		}
		if len(seen) < 3 {
			t.Errorf("%s page has %d ids, want at least its tables'", kind, len(seen))
		}
	}
}

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// hostile strings, as a stranger's snapshot could hold them.
const (
	hostileHost  = `<script>document.title="pwned"</script>`
	hostileTitle = `Quote " less < greater > amp & apostrophe '`
	hostileID    = `x"><img src=x onerror=alert(1)>`
	hostileCell  = `<b onmouseover="alert(1)">srv</b>`
	hostileCat   = `</text><script>alert(1)</script>`
)

func hostileReport() *report.Report {
	return &report.Report{
		Host: report.Host{Hostname: hostileHost, Snapshot: hostileCell, OS: hostileCat, Partial: true, PartialReason: hostileCell},
		Findings: []report.Finding{{
			ID: hostileID, Severity: report.Critical, Title: hostileTitle, Basis: hostileCell,
			Evidence: report.Evidence{
				Values: []report.Value{{Name: hostileCell, Value: hostileHost}},
				Tables: []report.Table{{ID: hostileID, Title: hostileCell, Columns: []string{hostileCell, "n"}, Rows: [][]string{{hostileCat, "1"}, {hostileHost, "2"}}}},
				Lines:  []string{hostileHost},
			},
			Why:  "- " + hostileCell + "\n    " + hostileHost,
			Fix:  hostileTitle,
			Refs: []string{`javascript:alert(1)`, `https://example.com/"onclick="alert(1)`, hostileHost},
		}},
		Suppressed: []report.Suppressed{{ID: hostileID, Match: hostileCell, Count: 1, Reason: hostileHost}},
		Sections:   []report.Table{{ID: "nginx_upstreams", Title: "nginx", Columns: []string{"server_name"}, Rows: [][]string{{hostileCell}, {hostileHost}}, Note: hostileCat}},
		Problems:   []report.Problem{{File: hostileHost, Line: 1, Message: hostileCell}},
		Charts: []report.Chart{
			{ID: hostileID, Title: hostileHost, Kind: report.Bars, Unit: hostileCell, Categories: []string{hostileCat, hostileTitle},
				Series: []report.Series{{Name: hostileCat, Values: []float64{1, 2}}}, Limits: []report.Limit{{Name: hostileCat, Value: 3}}, Note: hostileHost},
			{ID: "s", Title: hostileTitle, Kind: report.Stacked, Categories: []string{hostileCat},
				Series: []report.Series{{Name: hostileHost, Values: []float64{4}}}, Limits: []report.Limit{{Name: hostileTitle, Value: 5}}},
		},
	}
}

// checkEscaped fails when a hostile string got through as markup.
func checkEscaped(t *testing.T, kind, out string) {
	t.Helper()
	low := strings.ToLower(out)
	if n := strings.Count(low, "<script"); n != 1 {
		t.Errorf("%s page has %d <script elements, want only its own", kind, n)
	}
	for _, bad := range []string{"<img", "<b ", "onclick=\"", "</text><script", `"pwned"`} {
		if strings.Contains(low, strings.ToLower(bad)) {
			t.Errorf("%s page contains %q unescaped", kind, bad)
		}
	}
	if strings.Contains(out, `href="javascript:`) {
		t.Errorf("%s page links to a javascript: URL", kind)
	}
	if !strings.Contains(out, "&lt;script&gt;") {
		t.Errorf("%s page lacks the escaped hostname", kind)
	}
}

// TestHTMLEscapesHostileInput renders a report, a diff and a fleet made of
// hostile names (a <script> hostname, a title with " < > & ', markup in an
// nginx server name and in chart labels): each is shown as text, none as
// markup, and the page keeps its one script.
func TestHTMLEscapesHostileInput(t *testing.T) {
	r := hostileReport()
	out := string(render(t, HTML, r, Options{}))
	checkEscaped(t, "report", out)
	if want := "Quote &#34; less &lt; greater &gt; amp &amp; apostrophe &#39;"; strings.Count(out, want) < 3 {
		t.Errorf("report page shows the title %d times escaped as %q, want it in the finding, the fix and a chart", strings.Count(out, want), want)
	}
	if !strings.Contains(out, `&lt;/text&gt;&lt;script&gt;alert(1)&lt;/script&gt;`) {
		t.Error("report page lacks the chart category, escaped")
	}

	d := &report.Diff{
		Before: r.Host, After: r.Host, Notes: []string{hostileHost},
		Findings:      []report.Finding{{ID: hostileID, Severity: report.Warning, Title: hostileTitle, Status: report.StatusNew, Changes: []string{hostileCell}}},
		SysctlChanges: []report.SysctlChange{{Key: hostileCell, Before: hostileHost, After: hostileCat}},
		Sections:      r.Sections, Problems: r.Problems,
		Charts: []report.ChartPair{{ID: hostileID, Title: hostileHost, Before: &r.Charts[0]}, {ID: "s", Title: hostileCell, Before: &r.Charts[1], After: &r.Charts[1]}},
	}
	checkEscaped(t, "diff", renderDiff(t, HTML, d))

	fl := &report.Fleet{
		Hosts:    []report.FleetHost{{Snapshot: hostileCell, Hostname: hostileHost, Kernel: hostileCat, TWLimit: 10, TimeWait: 5, ConntrackPct: -1, BusiestDest: hostileCell}, {Snapshot: hostileHost, Error: hostileCell}},
		Findings: []report.FleetFinding{{ID: hostileID, Severity: report.Info, Hosts: []string{hostileHost}}},
		Outliers: []report.SysctlOutlier{{Key: hostileCell, Majority: hostileCat, Hosts: map[string]string{hostileHost: hostileTitle}}},
	}
	checkEscaped(t, "fleet", renderFleet(t, HTML, fl))
}

// TestHTMLCharts checks the report page's figures against the charts of
// testdata/report.json: one SVG each, one bar per category, one segment per
// non-zero value, the limits drawn and labelled.
func TestHTMLCharts(t *testing.T) {
	out := string(render(t, HTML, loadReport(t), Options{}))
	for what, tt := range map[string]struct {
		sub  string
		want int
	}{
		"charts":         {`<svg class="chart `, 5},
		"stacked charts": {`<svg class="chart stacked"`, 1},
		"bars":           {`<rect class="bar"`, 6 + 6 + 3 + 5},
		"segments":       {`<rect class="seg"`, 3 + 3 + 1 + 3 + 1 + 3},
		"limit lines":    {`<line class="limit"`, 3},
	} {
		if got := strings.Count(out, tt.sub); got != tt.want {
			t.Errorf("report page: %d %s (%q), want %d", got, what, tt.sub, tt.want)
		}
	}
	for _, want := range []string{
		"<figcaption>TCP sockets by state, per sample</figcaption>",
		"<figcaption>TIME_WAIT by service</figcaption>",
		"<figcaption>Ephemeral ports in use by destination</figcaption>",
		"<figcaption>Connection tracking entries, per sample</figcaption>",
		"<figcaption>TCP counters per second during the capture</figcaption>",
		">tcp_max_tw_buckets 65536</text>",
		">ephemeral range 28233</text>",
		">nf_conntrack_max 65536</text>",
		// TIME_WAIT at its limit is drawn red, a destination at 17.6 % of its range blue.
		`fill="#d64545"><title>all services: 65536 (100.0%) sockets</title>`,
		`fill="#3b7dd8"><title>172.31.2.205:9092 kafka: 4966 (17.6%) ports</title>`,
		`<title>sample 2, TIME_WAIT: 65536</title>`,
		">TIME_WAIT 65519</text>", // the legend gives the last sample
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report page lacks %q", want)
		}
	}
	// Conclusions come before the charts, the charts before the host's tables.
	c, ch, hf := strings.Index(out, `id="conclusions"`), strings.Index(out, `id="charts"`), strings.Index(out, `id="host-facts"`)
	if !(c >= 0 && c < ch && ch < hf) {
		t.Errorf("sections out of order: conclusions at %d, charts at %d, host facts at %d", c, ch, hf)
	}
	if strings.Index(out, "conntrack-table-full") > strings.Index(out, "tw-memory") {
		t.Error("findings are not sorted most severe first")
	}
}

// TestHTMLDiffCharts checks that a diff draws each chart before and after
// on one scale, and says when a side has none.
func TestHTMLDiffCharts(t *testing.T) {
	d := loadDiff(t)
	out := renderDiff(t, HTML, d)
	svgs, missing := 0, 0
	for _, p := range d.Charts {
		for _, c := range []*report.Chart{p.Before, p.After} {
			if c == nil {
				missing++
			} else {
				svgs++
			}
		}
	}
	if missing == 0 {
		t.Fatal("testdata/diff.json should have a chart on one side only (conntrack after it was unloaded)")
	}
	if got := strings.Count(out, `<svg class="chart `); got != svgs {
		t.Errorf("diff page: %d charts, want %d", got, svgs)
	}
	if got := strings.Count(out, "Not in this snapshot."); got != missing {
		t.Errorf("diff page: %d missing sides, want %d", got, missing)
	}
	if got := strings.Count(out, `<div class="pair" id="chart-`); got != len(d.Charts) {
		t.Errorf("diff page: %d pairs, want %d", got, len(d.Charts))
	}
	// One scale: the first TIME_WAIT chart (65536 at most) has the ticks
	// of the second (125708 of 180000).
	i := strings.Index(out, `id="chart-time_wait_by_service"`)
	if i < 0 {
		t.Fatal("diff page has no TIME_WAIT by service chart")
	}
	before := out[i:]
	before = before[:strings.Index(before, "</svg>")]
	if !strings.Contains(before, ">150k</text>") || !strings.Contains(before, ">tcp_max_tw_buckets 65536</text>") {
		t.Errorf("the before side of TIME_WAIT by service is not on the after side's scale:\n%s", before)
	}
	for _, want := range []string{`<span class="status new">new</span>`, `<span class="status resolved">resolved</span>`, `<span class="badge new">1 new</span>`} {
		if !strings.Contains(out, want) {
			t.Errorf("diff page lacks %q", want)
		}
	}
}

// TestHTMLFleetCharts checks one small chart per readable host, beside its name.
func TestHTMLFleetCharts(t *testing.T) {
	fl := loadFleet(t)
	out := renderFleet(t, HTML, fl)
	readable := 0
	for _, h := range fl.Hosts {
		if h.Error == "" {
			readable++
		}
	}
	if got := strings.Count(out, `<svg class="chart mini"`); got != readable || readable == 0 {
		t.Errorf("fleet page: %d charts, want %d (one per readable host)", got, readable)
	}
	if !strings.Contains(out, `<th scope="col">host</th><th scope="col" class="num">utilisation</th><th scope="col" class="num">crit</th>`) {
		t.Error("fleet page: the utilisation chart and the findings counts do not follow the host's name")
	}
	if !strings.Contains(out, `data-sort="100.0"`) || !strings.Contains(out, `<title>TIME_WAIT 100.0%</title>`) {
		t.Error("fleet page: the host at its TIME_WAIT limit is not drawn at 100 % or not sorted by it")
	}
	if !strings.Contains(out, "error: gzip: invalid header") {
		t.Error("fleet page: the unreadable snapshot's row lacks its error")
	}
}

// TestSVGOddCharts draws charts a hand-made report could hold: empty,
// series shorter than the categories, negative, NaN and infinite values.
func TestSVGOddCharts(t *testing.T) {
	for _, c := range []report.Chart{
		{},
		{Kind: report.Stacked},
		{Kind: report.Bars, Categories: []string{"a", "b"}},
		{Kind: report.Bars, Categories: []string{"a", "b", "c"}, Series: []report.Series{{Values: []float64{-5, math.NaN(), math.Inf(1)}}}, Limits: []report.Limit{{Value: math.Inf(-1)}}},
		{Kind: report.Stacked, Categories: []string{"x"}, Series: []report.Series{{Name: "A", Values: []float64{math.Inf(1)}}, {Name: "B"}}},
		{Kind: "pie", Categories: []string{"x"}, Series: []report.Series{{Values: []float64{1e300}}}},
	} {
		out := string(svgChart(&c, 0))
		if !strings.HasPrefix(out, `<svg class="chart `) || !strings.HasSuffix(out, "</svg>") {
			t.Errorf("svgChart(%+v) = %q", c, out)
		}
		if strings.Contains(out, "NaN") || strings.Contains(out, "Inf") {
			t.Errorf("svgChart(%+v) writes a non-number: %s", c, out)
		}
		if len(c.Categories) == 0 && !strings.Contains(out, "(none)") {
			t.Errorf("svgChart of a chart without categories does not say (none): %s", out)
		}
	}
}

func TestNiceStepAndTicks(t *testing.T) {
	for _, tt := range []struct {
		max  float64
		want float64
	}{{65536, 20000}, {180000, 50000}, {28233, 10000}, {4, 1}, {1938.5, 500}, {0, 1}, {math.NaN(), 1}} {
		if got := niceStep(tt.max, 4); got != tt.want {
			t.Errorf("niceStep(%v, 4) = %v; want %v", tt.max, got, tt.want)
		}
	}
	for v, want := range map[float64]string{0: "0", 500: "500", 20000: "20k", 25000: "25k", 1500000: "1.5M", 2e6: "2M", 2.5: "2.5"} {
		if got := fmtTick(v); got != want {
			t.Errorf("fmtTick(%v) = %q; want %q", v, got, want)
		}
	}
}

func TestHTMLBlocks(t *testing.T) {
	got := htmlBlocks("First line\nsecond line\n- item one\n- item two\n1. step\n\n    code line\nlast")
	want := []htmlBlock{
		{Kind: "p", Lines: []string{"First line", "second line"}},
		{Kind: "ul", Lines: []string{"item one", "item two"}},
		{Kind: "ol", Lines: []string{"step"}},
		{Kind: "pre", Lines: []string{"code line"}},
		{Kind: "p", Lines: []string{"last"}},
	}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	if !bytes.Equal(gb, wb) {
		t.Errorf("htmlBlocks = %s\nwant %s", gb, wb)
	}
}
