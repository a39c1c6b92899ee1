package render

// The HTML format's charts: SVG written by hand from report.Chart. No
// charting library: the standard library is enough for bars and columns,
// and the output stays deterministic (coordinates are formatted to one
// decimal, nothing depends on map order, time or randomness) and
// self-contained (no script draws anything, no font or image is loaded).
//
// Every string that comes from the report (category names, series names,
// titles) goes through esc before it is written: snapshots come from
// strangers.

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"

	"github.com/netsnap/netsnap/analysis/report"
)

// esc escapes s for SVG text and double-quoted attribute values.
func esc(s string) string { return html.EscapeString(s) }

// f1 formats a coordinate.
func f1(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }

// Chart geometry, in SVG user units (the picture scales with the page).
const (
	chartWidth   = 640.0
	barLabelW    = 236.0 // the category names left of horizontal bars
	barValueW    = 96.0  // the value right of a bar
	barRowH      = 20.0
	barH         = 13.0
	barTop       = 22.0 // room for the limit's label
	barBottom    = 22.0 // room for the axis
	stackH       = 240.0
	stackLeft    = 52.0
	stackLegendW = 170.0
	stackTop     = 18.0
	stackBottom  = 24.0
	maxLabelLen  = 38
)

// Colours: bars by how close they are to their limit, states by name.
const (
	colorOK    = "#3b7dd8"
	colorHigh  = "#e8a33d"
	colorFull  = "#d64545"
	colorLimit = "#b3261e"
	colorAxis  = "#9aa0a6"
	colorGrid  = "#e3e6ea"
	colorText  = "#333"
)

var stateColors = map[string]string{
	"ESTABLISHED": "#3b7dd8", "SYN_SENT": "#d64545", "SYN_RECV": "#f28e2b", "FIN_WAIT1": "#9467bd",
	"FIN_WAIT2": "#c5b0d5", "TIME_WAIT": "#e8a33d", "CLOSE": "#7f7f7f", "CLOSE_WAIT": "#8c564b",
	"LAST_ACK": "#e377c2", "LISTEN": "#2ca02c", "CLOSING": "#17becf", "NEW_SYN_RECV": "#bcbd22",
}

// palette colours series without a colour of their own, by position.
var palette = []string{"#3b7dd8", "#e8a33d", "#2ca02c", "#d64545", "#9467bd", "#8c564b", "#17becf", "#e377c2", "#7f7f7f", "#bcbd22"}

func seriesColor(name string, i int) string {
	if c, ok := stateColors[name]; ok {
		return c
	}
	return palette[i%len(palette)]
}

// levelColor colours a value by its share of a limit.
func levelColor(v, limit float64) string {
	switch {
	case limit <= 0:
		return colorOK
	case v >= 0.9*limit:
		return colorFull
	case v >= 0.5*limit:
		return colorHigh
	}
	return colorOK
}

// fmtValue formats a chart value: whole numbers as integers, others with
// one decimal (NaN and infinities as 0).
func fmtValue(v float64) string {
	v = finite(v)
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// fmtTick formats an axis tick compactly: 20000 as 20k, 1500000 as 1.5M.
func fmtTick(v float64) string {
	trim := func(s string) string { return strings.TrimSuffix(s, ".0") }
	switch a := math.Abs(v); {
	case a >= 1e6:
		return trim(strconv.FormatFloat(v/1e6, 'f', 1, 64)) + "M"
	case a >= 1e4:
		return trim(strconv.FormatFloat(v/1e3, 'f', 1, 64)) + "k"
	}
	if v == math.Trunc(v) {
		return fmtValue(v)
	}
	return strings.TrimRight(strconv.FormatFloat(v, 'f', 2, 64), "0")
}

// truncLabel shortens a category name that would not fit beside its bar.
func truncLabel(s string) string {
	r := []rune(s)
	if len(r) <= maxLabelLen {
		return s
	}
	return string(r[:maxLabelLen-1]) + "…"
}

// niceStep returns a round tick step that divides [0, max] into about n parts.
func niceStep(max float64, n int) float64 {
	if max <= 0 || math.IsNaN(max) || math.IsInf(max, 0) {
		return 1
	}
	raw := max / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if raw <= m*mag {
			return m * mag
		}
	}
	return 10 * mag
}

// finite returns v, or 0 for NaN and infinities (which a hand-made report may hold).
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// seriesValue returns series s's value for category i (0 when missing).
func seriesValue(s report.Series, i int) float64 {
	if i < len(s.Values) {
		return finite(s.Values[i])
	}
	return 0
}

// chartMax is the largest number a chart must show: a bar, a column's
// total or a limit.
func chartMax(c *report.Chart) float64 {
	m := 0.0
	if c == nil {
		return m
	}
	for i := range c.Categories {
		if c.Kind == report.Stacked {
			sum := 0.0
			for _, s := range c.Series {
				sum += max(0, seriesValue(s, i))
			}
			m = max(m, sum)
		} else if len(c.Series) > 0 {
			m = max(m, seriesValue(c.Series[0], i))
		}
	}
	for _, l := range c.Limits {
		m = max(m, finite(l.Value))
	}
	return m
}

// svgChart draws c as an inline SVG element of class "chart". scale is the
// value at the end of the value axis (0: the chart's own maximum), so that
// two charts side by side can share one.
func svgChart(c *report.Chart, scale float64) template.HTML {
	if scale <= 0 {
		scale = chartMax(c)
	}
	if scale <= 0 {
		scale = 1
	}
	var b strings.Builder
	if c.Kind == report.Stacked {
		stackedSVG(&b, c, scale)
	} else {
		barsSVG(&b, c, scale)
	}
	return template.HTML(b.String())
}

// svgOpen starts an svg element with its accessible title.
func svgOpen(b *strings.Builder, kind, title string, h float64) {
	fmt.Fprintf(b, `<svg class="chart %s" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-label="%s">`,
		kind, f1(chartWidth), f1(h), f1(chartWidth), f1(h), esc(title))
	fmt.Fprintf(b, "<title>%s</title>", esc(title))
}

// svgText writes a text element; anchor is start, middle or end.
func svgText(b *strings.Builder, x, y float64, anchor, class, s string) {
	fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="%s" class="%s">%s</text>`, f1(x), f1(y), anchor, class, esc(s))
}

// barsSVG draws one horizontal bar per category for the first series,
// limits as dashed vertical lines, and a value axis underneath.
func barsSVG(b *strings.Builder, c *report.Chart, scale float64) {
	n := len(c.Categories)
	h := barTop + float64(max(n, 1))*barRowH + barBottom
	svgOpen(b, "bars", c.Title, h)
	x0, x1 := barLabelW+8, chartWidth-barValueW
	xOf := func(v float64) float64 { return x0 + (x1-x0)*math.Min(math.Max(v, 0), scale)/scale }
	plotBottom := barTop + float64(max(n, 1))*barRowH
	// Grid and axis.
	step := niceStep(scale, 4)
	for v := 0.0; v <= scale*1.0001; v += step {
		x := xOf(v)
		fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`, f1(x), f1(barTop-4), f1(x), f1(plotBottom), colorGrid)
		svgText(b, x, plotBottom+14, "middle", "tick", fmtTick(v))
	}
	var series report.Series
	if len(c.Series) > 0 {
		series = c.Series[0]
	}
	limit := 0.0
	if len(c.Limits) == 1 {
		limit = max(0, finite(c.Limits[0].Value))
	}
	if n == 0 {
		svgText(b, x0, barTop+14, "start", "empty", "(none)")
	}
	for i, cat := range c.Categories {
		v := seriesValue(series, i)
		y := barTop + float64(i)*barRowH
		svgText(b, barLabelW, y+barH-2, "end", "cat", truncLabel(cat))
		w := xOf(v) - x0
		label := fmtValue(v)
		if limit > 0 {
			label += fmt.Sprintf(" (%.1f%%)", 100*v/limit)
		}
		fmt.Fprintf(b, `<rect class="bar" x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s: %s %s</title></rect>`,
			f1(x0), f1(y), f1(math.Max(w, 0.5)), f1(barH), levelColor(v, limit), esc(cat), esc(label), esc(c.Unit))
		svgText(b, x0+w+4, y+barH-2, "start", "val", label)
	}
	for _, l := range c.Limits {
		if finite(l.Value) <= 0 {
			continue
		}
		x := xOf(l.Value)
		fmt.Fprintf(b, `<line class="limit" x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1.5" stroke-dasharray="5 3"><title>%s %s</title></line>`,
			f1(x), f1(barTop-6), f1(x), f1(plotBottom), colorLimit, esc(l.Name), esc(fmtValue(l.Value)))
		anchor := "end"
		if x < (x0+x1)/2 {
			anchor = "start"
		}
		svgText(b, x, barTop-9, anchor, "limit-label", l.Name+" "+fmtValue(l.Value))
	}
	fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`, f1(x0), f1(barTop-4), f1(x0), f1(plotBottom), colorAxis)
	b.WriteString("</svg>")
}

// stackedSVG draws one column per category with the series stacked in it,
// its total on top, a value axis on the left and a legend on the right.
func stackedSVG(b *strings.Builder, c *report.Chart, scale float64) {
	svgOpen(b, "stacked", c.Title, stackH)
	plotTop, plotBottom := stackTop, stackH-stackBottom
	x0, x1 := stackLeft, chartWidth-stackLegendW-12
	yOf := func(v float64) float64 {
		return plotBottom - (plotBottom-plotTop)*math.Min(math.Max(v, 0), scale)/scale
	}
	step := niceStep(scale, 4)
	for v := 0.0; v <= scale*1.0001; v += step {
		y := yOf(v)
		fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`, f1(x0), f1(y), f1(x1), f1(y), colorGrid)
		svgText(b, x0-6, y+4, "end", "tick", fmtTick(v))
	}
	n := len(c.Categories)
	if n == 0 {
		svgText(b, (x0+x1)/2, (plotTop+plotBottom)/2, "middle", "empty", "(none)")
	}
	slot := (x1 - x0) / float64(max(n, 1))
	colW := math.Min(72, slot*0.6)
	for i, cat := range c.Categories {
		cx := x0 + slot*(float64(i)+0.5)
		base, total := 0.0, 0.0
		for j, s := range c.Series {
			v := max(0, seriesValue(s, i))
			if v == 0 {
				continue
			}
			yTop, yBase := yOf(base+v), yOf(base)
			fmt.Fprintf(b, `<rect class="seg" x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s, %s: %s</title></rect>`,
				f1(cx-colW/2), f1(yTop), f1(colW), f1(math.Max(yBase-yTop, 0.5)), seriesColor(s.Name, j), esc(cat), esc(s.Name), fmtValue(v))
			base += v
			total += v
		}
		svgText(b, cx, yOf(total)-4, "middle", "val", fmtValue(total))
		svgText(b, cx, plotBottom+15, "middle", "cat", truncLabel(cat))
	}
	for _, l := range c.Limits {
		if finite(l.Value) <= 0 {
			continue
		}
		y := yOf(l.Value)
		fmt.Fprintf(b, `<line class="limit" x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1.5" stroke-dasharray="5 3"><title>%s %s</title></line>`,
			f1(x0), f1(y), f1(x1), f1(y), colorLimit, esc(l.Name), esc(fmtValue(l.Value)))
		svgText(b, x1, y-4, "end", "limit-label", l.Name+" "+fmtValue(l.Value))
	}
	fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`, f1(x0), f1(plotBottom), f1(x1), f1(plotBottom), colorAxis)
	// Legend: most recent value of each series, top to bottom as stacked.
	lx := chartWidth - stackLegendW
	for j := len(c.Series) - 1; j >= 0; j-- {
		s := c.Series[j]
		y := plotTop + float64(len(c.Series)-1-j)*16
		fmt.Fprintf(b, `<rect class="swatch" x="%s" y="%s" width="10" height="10" fill="%s"/>`, f1(lx), f1(y), seriesColor(s.Name, j))
		last := 0.0
		if n > 0 {
			last = seriesValue(s, n-1)
		}
		svgText(b, lx+14, y+9, "start", "legend", s.Name+" "+fmtValue(last))
	}
	b.WriteString("</svg>")
}

// Utilisation mini-chart of a fleet row.
const (
	miniW     = 190.0
	miniRowH  = 14.0
	miniLabel = 62.0
	miniTrack = 84.0
)

// utilisation is one bar of a mini-chart: a share of a limit, in percent
// (negative when unknown).
type utilisation struct {
	name string
	pct  float64
}

// svgMini draws a fleet host's utilisations as three small bars from 0 to 100 %.
func svgMini(title string, us []utilisation) template.HTML {
	var b strings.Builder
	h := float64(len(us))*miniRowH + 2
	fmt.Fprintf(&b, `<svg class="chart mini" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-label="%s">`,
		f1(miniW), f1(h), f1(miniW), f1(h), esc(title))
	fmt.Fprintf(&b, "<title>%s</title>", esc(title))
	for i, u := range us {
		y := 1 + float64(i)*miniRowH
		svgText(&b, miniLabel-4, y+10, "end", "cat", u.name)
		fmt.Fprintf(&b, `<rect class="track" x="%s" y="%s" width="%s" height="10" fill="%s"/>`, f1(miniLabel), f1(y+1), f1(miniTrack), colorGrid)
		if u.pct < 0 {
			svgText(&b, miniLabel+miniTrack+4, y+10, "start", "val", "-")
			continue
		}
		p := math.Min(finite(u.pct), 100)
		fmt.Fprintf(&b, `<rect class="bar" x="%s" y="%s" width="%s" height="10" fill="%s"><title>%s %.1f%%</title></rect>`,
			f1(miniLabel), f1(y+1), f1(math.Max(miniTrack*p/100, 0.5)), levelColor(p, 100), esc(u.name), finite(u.pct))
		svgText(&b, miniLabel+miniTrack+4, y+10, "start", "val", fmt.Sprintf("%.1f%%", finite(u.pct)))
	}
	b.WriteString("</svg>")
	return template.HTML(b.String())
}
