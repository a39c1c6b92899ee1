// Package rulesdoc renders the rule catalogue: one markdown table row per
// rule of a set, from the rules themselves (rules.toml and any user files),
// so the catalogue in README.md cannot drift from the rules in force. It is
// what `netanalyze rules --format markdown` prints.
package rulesdoc

import (
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/netsnap/netsnap/analysis/report"
	"github.com/netsnap/netsnap/analysis/rules"
)

// Markdown writes the catalogue of set as a markdown table: id (and
// aliases), the severities a finding can have, when the rule fires (its
// summary, else its `when` expression), its parameters as TOML, and the
// seeds its texts cite.
func Markdown(w io.Writer, set *rules.Set) error {
	var b strings.Builder
	b.WriteString("| rule | severity | fires when | parameters | seed |\n")
	b.WriteString("|---|---|---|---|---|\n")
	for _, r := range set.Rules {
		id := "`" + r.ID + "`"
		for _, a := range r.Aliases {
			id += " (alias `" + a + "`)"
		}
		when := r.Summary
		if when == "" {
			when = "`" + r.When + "`"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", id, severities(r), cell(when), cell(params(r.Params)), strings.Join(seeds(r), ", "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// severities lists the severity a finding of r has, then those its
// *_when expressions can give it: "warning, critical".
func severities(r *rules.Rule) string {
	out := []string{r.Severity.String()}
	for _, e := range []struct {
		when string
		sev  report.Severity
	}{{r.CriticalWhen, report.Critical}, {r.WarningWhen, report.Warning}, {r.InfoWhen, report.Info}} {
		if strings.TrimSpace(e.when) != "" && e.sev != r.Severity {
			out = append(out, e.sev.String())
		}
	}
	s := strings.Join(out, ", ")
	if r.Disabled {
		s += " (disabled)"
	}
	return s
}

// params prints the parameters as TOML assignments, sorted by name.
func params(p map[string]any) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []string
	for _, k := range keys {
		out = append(out, "`"+k+" = "+tomlValue(p[k])+"`")
	}
	return strings.Join(out, ", ")
}

// tomlValue prints a parameter as TOML would read it back: floats keep a
// decimal point, so a user copying the value keeps its type.
func tomlValue(v any) string {
	switch x := v.(type) {
	case float64:
		s := strconv.FormatFloat(x, 'f', -1, 64)
		if !strings.ContainsAny(s, ".eE") && !math.IsInf(x, 0) && !math.IsNaN(x) {
			s += ".0"
		}
		return s
	case string:
		return strconv.Quote(x)
	}
	return fmt.Sprint(v)
}

var seedRef = regexp.MustCompile(`\bseed (\d{3})\b`)

// seeds lists the seeds ("seed 000") the rule's texts cite, in order.
func seeds(r *rules.Rule) []string {
	var out []string
	for _, m := range seedRef.FindAllStringSubmatch(r.Summary+"\n"+r.Why+"\n"+r.Fix, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	slices.Sort(out)
	return out
}

// cell makes text safe inside a table cell: one line, pipes escaped.
func cell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(s, "|", `\|`)
}
