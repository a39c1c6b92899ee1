package rulesdoc

import (
	"strings"
	"testing"

	"github.com/netsnap/netsnap"
	"github.com/netsnap/netsnap/analysis/rules"
)

func load(t *testing.T, user string) *rules.Set {
	t.Helper()
	var srcs []rules.Source
	if user != "" {
		srcs = append(srcs, rules.Source{Name: "mine.toml", Data: []byte(user)})
	}
	set, err := rules.Load(rules.Source{Name: "rules.toml", Data: netsnap.DefaultRules}, srcs...)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func markdown(t *testing.T, set *rules.Set) string {
	t.Helper()
	var b strings.Builder
	if err := Markdown(&b, set); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// row returns the catalogue's line for a rule.
func row(t *testing.T, md, id string) string {
	t.Helper()
	for _, l := range strings.Split(md, "\n") {
		if strings.HasPrefix(l, "| `"+id+"`") {
			return l
		}
	}
	t.Fatalf("no row for %s in\n%s", id, md)
	return ""
}

func TestDefaultCatalogue(t *testing.T) {
	set := load(t, "")
	md := markdown(t, set)
	lines := strings.Split(strings.TrimSuffix(md, "\n"), "\n")
	if len(lines) != 2+len(set.Rules) {
		t.Fatalf("%d lines for %d rules:\n%s", len(lines), len(set.Rules), md)
	}
	for i, r := range set.Rules {
		if r.Summary == "" {
			t.Errorf("rule %s has no summary in rules.toml", r.ID)
		}
		if strings.Contains(r.Summary, "{{") || strings.Contains(r.Summary, "<nil>") {
			t.Errorf("rule %s: summary not rendered: %q", r.ID, r.Summary)
		}
		if got := lines[2+i]; strings.Count(got, " | ")+strings.Count(got, `\|`) < 4 || !strings.HasPrefix(got, "| `"+r.ID+"`") {
			t.Errorf("line %d = %q; want the row of %s", 3+i, got, r.ID)
		}
	}
	for id, want := range map[string][]string{
		"tcp-tw-bucket-overflow":    {"| warning, critical |", "TIME_WAIT ≥ 95 % of tcp_max_tw_buckets", "`ratio = 0.95`"},
		"ephemeral-port-exhaustion": {"≥ 50 %", "critical from 80 %", "`critical_pct = 80.0`, `warning_pct = 50.0`", "| 000 |"},
		"conntrack-table-full":      {"| critical, warning |", "≥ 90 % full", "`pct = 90.0`"},
		"aggressive-tcp-timers":     {"| info |", "tcp_fin_timeout < 10 s", "`fin_timeout = 10`, `keepalive_time = 60`", "|  |"},
		"conntrack-on-proxy":        {"| warning |", "| 000 |"},
		"nginx-upstream-errors":     {"critical from 1000 lines", "| 004 |"},
	} {
		got := row(t, md, id)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("row of %s lacks %q:\n%s", id, w, got)
			}
		}
	}
}

func TestUserRulesInCatalogue(t *testing.T) {
	md := markdown(t, load(t, `
[[rule]]
id = "tcp-tw-bucket-overflow"
params = { ratio = 0.8 }

[[rule]]
id = "aggressive-tcp-timers"
disabled = true

[[rule]]
id = "ours"
severity = "warning"
when = "tw.count > params.n || tw.log > 0"
params = { n = 5, label = "x|y" }
title = "ours"
`))
	for id, want := range map[string]string{
		"tcp-tw-bucket-overflow": "TIME_WAIT ≥ 80 % of tcp_max_tw_buckets",
		"aggressive-tcp-timers":  "| info (disabled) |",
		"ours":                   "| warning | `tw.count > params.n \\|\\| tw.log > 0` | `label = \"x\\|y\"`, `n = 5` |",
	} {
		if got := row(t, md, id); !strings.Contains(got, want) {
			t.Errorf("row of %s = %q; want it to contain %q", id, got, want)
		}
	}
}

func TestSummaryReadsParamsOnly(t *testing.T) {
	_, err := rules.Load(rules.Source{Name: "rules.toml", Data: netsnap.DefaultRules}, rules.Source{Name: "mine.toml", Data: []byte(`
[[rule]]
id = "tw-memory"
summary = "TIME_WAIT is {{ tw.count }}"
`)})
	if err == nil || !strings.Contains(err.Error(), `mine.toml: rule "tw-memory": summary:`) {
		t.Errorf("a summary reading a fact: err = %v; want an error naming the file, rule and field", err)
	}
}
