package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/netsnap/netsnap/analysis/render"
	"github.com/netsnap/netsnap/analysis/report"
)

// The HTML pages in a real browser: Debian's chromium, headless. The test
// renders the samples' report, their diff and their fleet, then for each
// page (1) dumps the DOM after the page's script ran and checks the charts,
// the script's "ran without an exception" marker and, through a test
// script added to a copy of the page, that its tables sort and its
// findings open, close and print open; (2) fails on any console message
// from the page (an uncaught exception, a Content-Security-Policy
// refusal); (3) takes a screenshot and checks it is drawn in the charts'
// colours. With -update the screenshots are kept as the samples'
// reference pictures (samples/*.png). A hostile report (a <script>
// hostname) is loaded too: nothing of it may become markup.
//
// Without chromium on PATH the test is skipped, unless $CI is set: CI
// must run it.

const browserTimeout = 60 * time.Second

// chromium returns the browser's path, or skips (fails on CI) without one.
func chromium(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI=%s and chromium is not on PATH: the HTML browser test must run on CI (%v)", os.Getenv("CI"), err)
		}
		t.Skipf("chromium is not on PATH (%v); install it (apt-get install chromium) to run this test", err)
	}
	return p
}

// runChromium runs one headless chromium on a file, bounded in time; it
// returns stdout and the page's console messages from stderr.
func runChromium(t *testing.T, bin, file string, args ...string) (string, []string) {
	t.Helper()
	profile, err := os.MkdirTemp("", "netanalyze-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	// Chromium's helpers may still hold files for a moment after it exits:
	// clean up what can be, without failing the test over it.
	t.Cleanup(func() {
		if err := os.RemoveAll(profile); err != nil {
			t.Logf("removing chromium profile: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	url := "file://" + file
	all := append([]string{"--headless=new", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile,
		"--no-first-run", "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
		"--enable-logging=stderr", "--v=0", "--virtual-time-budget=2000"}, args...)
	cmd := exec.CommandContext(ctx, bin, append(all, url)...)
	// On timeout the context kills this process only; WaitDelay stops
	// waiting for the pipes its helpers may keep open.
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("chromium %s: no result within %s", filepath.Base(file), browserTimeout)
	}
	if err != nil && !errors.Is(err, exec.ErrWaitDelay) {
		t.Fatalf("chromium %s: %v\n%s", filepath.Base(file), err, stderr.String())
	}
	var console []string
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(l, ":CONSOLE") && strings.Contains(l, url) {
			console = append(console, l)
		}
	}
	return stdout.String(), console
}

// pageTest is added, in a copy of each page, after the page's own script:
// it sorts a numeric column both ways, opens and closes every finding and
// fires the print events, and records each outcome as a data-test-*
// attribute of <html> for the DOM dump.
const pageTest = `(function () {
  var root = document.documentElement;
  var result = function (name, ok, detail) { root.setAttribute("data-test-" + name, ok ? "ok" : "fail: " + detail); };
  var list = function (x) { return Array.prototype.slice.call(x); };
  try {
    var num = function (cell) { var s = cell.getAttribute("data-sort"); if (s === null) { s = cell.textContent; } return parseFloat(s.replace(/^[^0-9+\-]*/, "")); };
    var ordered = function (v, asc) { for (var i = 1; i < v.length; i++) { if (asc ? v[i - 1] > v[i] : v[i - 1] < v[i]) { return false; } } return true; };
    var done = false;
    // Rows of class "sub" (a host's namespaces) must stay under their host.
    var lead = function (r) { while (r && r.classList.contains("sub")) { r = r.previousElementSibling; } return r ? r.cells[0].textContent : ""; };
    var subs = list(document.querySelectorAll("tr.sub"));
    var leads = subs.map(lead).join("|");
    list(document.querySelectorAll("table.sortable")).forEach(function (table) {
      var ths = list(table.tHead.rows[0].cells);
      ths.forEach(function (th, c) {
        if (done || !th.classList.contains("num")) { return; }
        var vals = function () { return list(table.tBodies[0].rows).filter(function (r) { return !r.classList.contains("sub"); }).map(function (r) { return r.cells[c] ? num(r.cells[c]) : NaN; }); };
        var v = vals();
        if (v.length < 3 || v.some(isNaN) || (ordered(v, true) && ordered(v, false))) { return; }
        done = true;
        th.click(); var d = vals();
        th.click(); var a = vals();
        result("sort", ordered(d, false) && ordered(a, true) && th.getAttribute("aria-sort") === "ascending",
          th.textContent + ": " + d.join(" ") + " then " + a.join(" "));
      });
    });
    if (!done) { result("sort", false, "no sortable column of numbers"); }
    if (subs.length) { result("sub", subs.map(lead).join("|") === leads, subs.map(lead).join("|") + " was " + leads); }
    var details = list(document.querySelectorAll("details.finding"));
    var open = function () { return details.filter(function (d) { return d.open; }).length; };
    var expand = document.querySelector('button[data-details="open"]'), collapse = document.querySelector('button[data-details="close"]');
    if (details.length === 0) {
      root.setAttribute("data-test-details", "none");
    } else if (!expand || !collapse || expand.closest(".toolbar").hidden) {
      result("details", false, "no expand/collapse buttons");
    } else {
      expand.click(); var n1 = open();
      collapse.click(); var n2 = open();
      window.dispatchEvent(new Event("beforeprint")); var n3 = open();
      window.dispatchEvent(new Event("afterprint")); var n4 = open();
      result("details", n1 === details.length && n2 === 0 && n3 === details.length && n4 === 0,
        [details.length, n1, n2, n3, n4].join(" "));
    }
  } catch (e) {
    root.setAttribute("data-test-error", String(e));
  }
})();`

// withPageTest returns a copy of page with pageTest after its script and
// the test script's hash added to the page's Content-Security-Policy.
func withPageTest(t *testing.T, page string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(pageTest))
	hash := "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
	const src = "script-src &#39;"
	if strings.Count(page, src) != 1 || strings.Count(page, "</body>") != 1 {
		t.Fatalf("page has no single script-src policy (%q) or </body>", src)
	}
	page = strings.Replace(page, src, "script-src &#39;"+hash+"&#39; &#39;", 1)
	return strings.Replace(page, "</body>", "<script>"+pageTest+"</script>\n</body>", 1)
}

// netanalyze runs the command in-process and returns its output.
func netanalyze(t *testing.T, args ...string) []byte {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := run(args, &out, &errOut); code != exitOK {
		t.Fatalf("netanalyze %s: exit %d: %s", strings.Join(args, " "), code, errOut.String())
	}
	return out.Bytes()
}

// browserPage is one page under test with what its DOM must hold.
type browserPage struct {
	name       string // the page's file and its screenshot's name in samples/
	args       []string
	svgs       int      // <svg class="chart"> elements
	mini       bool     // small charts (fleet rows) rather than figures
	captions   []string // chart titles
	screenshot string   // the reference picture in samples/ ("": none kept)
	subRows    bool     // rows under others (a host's namespaces) to keep in place when sorted
}

var (
	htmlMarker = regexp.MustCompile(`<html[^>]*\sdata-script="ok"`)
	testAttr   = regexp.MustCompile(`data-test-(\w+)="([^"]*)"`)
)

func TestHTMLInBrowser(t *testing.T) {
	bin := chromium(t)
	const samples = "../../samples/"
	before, after, sibling := samples+"tengine-before.tgz", samples+"tengine-after.tgz", samples+"tengine-sibling.tgz"

	// What each page must draw, from the JSON of the same analysis.
	var rep report.Report
	if err := json.Unmarshal(netanalyze(t, "report", before, "-f", "json"), &rep); err != nil {
		t.Fatal(err)
	}
	var d report.Diff
	if err := json.Unmarshal(netanalyze(t, "diff", before, after, "-f", "json"), &d); err != nil {
		t.Fatal(err)
	}
	var captions []string
	for _, c := range rep.Charts {
		captions = append(captions, "<figcaption>"+c.Title+"</figcaption>")
	}
	sides, missing := 0, 0
	var pairTitles []string
	for _, p := range d.Charts {
		pairTitles = append(pairTitles, "<h3>"+p.Title+"</h3>")
		for _, c := range []*report.Chart{p.Before, p.After} {
			if c != nil {
				sides++
			} else {
				missing++
			}
		}
	}
	if len(rep.Charts) < 5 || missing == 0 {
		t.Fatalf("the samples should give 5 charts and a diff with conntrack only before: %d charts, %d missing sides", len(rep.Charts), missing)
	}
	pages := []browserPage{
		{name: "tengine-before.report", args: []string{"report", before}, svgs: len(rep.Charts), captions: captions, screenshot: "tengine-before.report.png"},
		{name: "tengine-diff", args: []string{"diff", before, after}, svgs: sides, captions: append(pairTitles, "Not in this snapshot."), screenshot: "tengine-diff.png"},
		{name: "fleet", args: []string{"fleet", before, after, sibling}, svgs: 3, mini: true, captions: []string{">utilisation</th>"}, screenshot: "fleet.png"},
		// A host with containers and pods: their rows stay under it when sorted.
		{name: "fleet-namespaces", args: []string{"fleet", before, goldenSnapshot(t, "docker-host"), after, sibling}, svgs: 4, mini: true, subRows: true,
			captions: []string{">utilisation</th>", `<tr class="sub"><td>└ container api</td>`}},
	}
	dir := t.TempDir()
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			file := filepath.Join(dir, p.name+".html")
			netanalyze(t, append(p.args, "-f", "html", "-o", file)...)
			page, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			// The page as written.
			dom, console := runChromium(t, bin, file, "--dump-dom")
			checkDOM(t, dom, p)
			for _, l := range console {
				t.Errorf("console message from the page: %s", l)
			}
			// A copy that exercises the script.
			tested := filepath.Join(dir, p.name+".tested.html")
			if err := os.WriteFile(tested, []byte(withPageTest(t, string(page))), 0o644); err != nil {
				t.Fatal(err)
			}
			dom, console = runChromium(t, bin, tested, "--dump-dom")
			checkScriptTests(t, dom, p.mini, p.subRows)
			for _, l := range console {
				t.Errorf("console message from the tested copy: %s", l)
			}
			// The picture (of the pages kept as references).
			if p.screenshot == "" {
				return
			}
			shot := filepath.Join(dir, p.name+".png")
			runChromium(t, bin, file, "--screenshot="+shot, "--window-size=1280,2400")
			checkScreenshot(t, shot, p)
			if updating() {
				keepScreenshot(t, shot, filepath.Join(samples, p.screenshot))
			}
		})
	}
	t.Run("hostile", func(t *testing.T) { hostileInBrowser(t, bin, dir) })
}

// TestHTMLFormat runs report, diff and fleet with --format html, without
// a browser: each writes one page with its charts.
func TestHTMLFormat(t *testing.T) {
	const samples = "../../samples/"
	before, after := samples+"tengine-before.tgz", samples+"tengine-after.tgz"
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"report", before, "--format", "html"}, []string{"<title>netsnap report: ip-172-31-3-170</title>", `<svg class="chart stacked"`, ">tcp_max_tw_buckets 65536</text>"}},
		{[]string{before, after, "-f", "HTML"}, []string{"<title>netsnap diff: ip-172-31-3-170</title>", ">tcp_max_tw_buckets 180000</text>", "Not in this snapshot."}},
		{[]string{"fleet", before, after, "-f", "html"}, []string{"<title>netsnap fleet</title>", `<svg class="chart mini"`}},
	} {
		out := string(netanalyze(t, tc.args...))
		if !strings.HasPrefix(out, "<!DOCTYPE html>\n") || !strings.HasSuffix(out, "</html>\n") {
			t.Errorf("netanalyze %s: not one HTML page:\n%.200s", strings.Join(tc.args, " "), out)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("netanalyze %s: the page lacks %q", strings.Join(tc.args, " "), w)
			}
		}
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"report", before, "-f", "pdf"}, &out, &errOut); code != exitUsage || !strings.Contains(errOut.String(), "text, markdown, json or html") {
		t.Errorf("--format pdf: exit %d, %q; want a usage error listing the formats", code, errOut.String())
	}
}

// checkDOM checks the page after its script ran: the marker, the charts
// and their titles.
func checkDOM(t *testing.T, dom string, p browserPage) {
	t.Helper()
	if !htmlMarker.MatchString(dom) {
		t.Errorf("<html> lacks data-script=\"ok\": the page's script did not run to its end:\n%.300s", dom)
	}
	svgs := strings.Count(dom, `<svg class="chart stacked"`) + strings.Count(dom, `<svg class="chart bars"`)
	if p.mini {
		svgs = strings.Count(dom, `<svg class="chart mini"`)
	}
	if svgs != p.svgs {
		t.Errorf("%d chart SVGs in the DOM, want %d", svgs, p.svgs)
	}
	if bars := strings.Count(dom, `<rect class="bar"`); bars < p.svgs {
		t.Errorf("%d bars in the DOM for %d charts", bars, p.svgs)
	}
	if !p.mini && strings.Count(dom, `<rect class="seg"`) == 0 {
		t.Error("no stacked segment (TCP states) in the DOM")
	}
	for _, c := range p.captions {
		if !strings.Contains(dom, c) {
			t.Errorf("the DOM lacks %q", c)
		}
	}
}

// checkScriptTests reads the outcomes pageTest recorded.
func checkScriptTests(t *testing.T, dom string, fleet, subRows bool) {
	t.Helper()
	got := map[string]string{}
	for _, m := range testAttr.FindAllStringSubmatch(dom, -1) {
		got[m[1]] = m[2]
	}
	if e, ok := got["error"]; ok {
		t.Fatalf("the test script threw: %s", e)
	}
	want := map[string]string{"sort": "ok", "details": "ok"}
	if fleet {
		want["details"] = "none"
	}
	if subRows {
		want["sub"] = "ok"
	} else if _, ok := got["sub"]; ok {
		t.Errorf("script test sub ran on a page without sub rows: %q", got["sub"])
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("script test %s: %q, want %q", k, got[k], w)
		}
	}
}

// checkScreenshot checks the picture's size and that it shows the charts'
// colours: the red of what is at its limit, the amber of TIME_WAIT or of
// what is over half its limit.
func checkScreenshot(t *testing.T, file string, p browserPage) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 2400 {
		t.Errorf("screenshot is %dx%d, want 1280x2400", b.Dx(), b.Dy())
	}
	red, amber := countColor(img, 0xd6, 0x45, 0x45), countColor(img, 0xe8, 0xa3, 0x3d)
	min := 5000
	if p.mini {
		min = 300
	}
	if red < min || amber < min {
		t.Errorf("screenshot has %d red and %d amber pixels, want at least %d of each: are the charts drawn?", red, amber, min)
	}
}

// countColor counts the pixels within a few levels of an sRGB colour.
func countColor(img image.Image, r8, g8, b8 uint32) int {
	n := 0
	b := img.Bounds()
	near := func(c, want uint32) bool { c >>= 8; return c+6 >= want && c <= want+6 }
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if near(r, r8) && near(g, g8) && near(bl, b8) {
				n++
			}
		}
	}
	return n
}

// updating reports whether the tests run with -update (the golden package's flag).
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// keepScreenshot stores a screenshot as a sample's reference picture, in
// its 256 most frequent colours (a third of the size; the charts' fills
// and the text's greys are among them) so that the repository stays small.
func keepScreenshot(t *testing.T, from, to string) {
	t.Helper()
	f, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&b, paletted(img)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d KB)", to, b.Len()/1024)
}

// paletted maps img to its 256 most frequent colours, each other colour
// to the nearest of them.
func paletted(img image.Image) *image.Paletted {
	b := img.Bounds()
	freq := map[color.RGBA]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			freq[color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)]++
		}
	}
	colors := make([]color.RGBA, 0, len(freq))
	for c := range freq {
		colors = append(colors, c)
	}
	slices.SortFunc(colors, func(a, b color.RGBA) int {
		return cmp.Or(freq[b]-freq[a], cmp.Compare(a.R, b.R), cmp.Compare(a.G, b.G), cmp.Compare(a.B, b.B), cmp.Compare(a.A, b.A))
	})
	pal := color.Palette{}
	for _, c := range colors[:min(256, len(colors))] {
		pal = append(pal, c)
	}
	out := image.NewPaletted(b, pal)
	index := map[color.RGBA]uint8{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			i, ok := index[c]
			if !ok {
				i = uint8(pal.Index(c))
				index[c] = i
			}
			out.SetColorIndex(x, y, i)
		}
	}
	return out
}

// hostileInBrowser loads a report whose hostname is a script, whose
// finding title and nginx server name hold markup: the browser must see
// them as text, and the page's own script must be its only one.
func hostileInBrowser(t *testing.T, bin, dir string) {
	const (
		script = `<script>document.documentElement.setAttribute("data-pwned", "1")</script>`
		img    = `<img src=x onerror="document.documentElement.setAttribute('data-pwned', '2')">`
		title  = `Quote " less < greater > amp & apostrophe '`
	)
	r := &report.Report{
		Host: report.Host{Hostname: script, Snapshot: img},
		Findings: []report.Finding{{ID: "x" + img, Severity: report.Critical, Title: title + img, Why: script, Fix: img,
			Evidence: report.Evidence{Tables: []report.Table{{Title: "nginx servers", Columns: []string{"server_name"}, Rows: [][]string{{img}, {script}}}}},
			Refs:     []string{`javascript:document.documentElement.setAttribute("data-pwned", "3")`}}},
		Sections: []report.Table{{ID: "nginx_listen", Title: img, Columns: []string{"server_name", "n"}, Rows: [][]string{{script, "1"}, {img, "2"}, {title, "3"}}}},
		Charts: []report.Chart{{ID: "tcp_states", Title: script, Kind: report.Stacked, Categories: []string{img},
			Series: []report.Series{{Name: script, Values: []float64{3}}}}},
	}
	var b bytes.Buffer
	if err := render.Report(&b, render.HTML, r, render.Options{}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "hostile.html")
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	dom, console := runChromium(t, bin, file, "--dump-dom")
	if !htmlMarker.MatchString(dom) {
		t.Error("the page's own script did not run")
	}
	// Text cannot hold a "<" in the dump: a match is an attribute the hostile markup set.
	if m := regexp.MustCompile(`<[a-z][^>]*\sdata-pwned=[^>]*>`).FindString(dom); m != "" {
		t.Errorf("hostile markup ran: %s", m)
	}
	for what, n := range map[string]int{"<script": 1, "<img": 0} {
		if got := strings.Count(strings.ToLower(dom), what); got != n {
			t.Errorf("the DOM has %d %s elements, want %d", got, what, n)
		}
	}
	if !strings.Contains(dom, "&lt;script&gt;document.documentElement") || !strings.Contains(dom, "Quote \" less &lt; greater &gt; amp &amp; apostrophe '") {
		t.Errorf("the hostile names are not shown as text:\n%s", dom)
	}
	for _, l := range console {
		t.Errorf("console message from the hostile page: %s", l)
	}
}
