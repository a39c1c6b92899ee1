package netsnap_test

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/netsnap/netsnap"
	"github.com/netsnap/netsnap/analysis/rules"
	"github.com/netsnap/netsnap/internal/golden"
	"github.com/netsnap/netsnap/internal/rulesdoc"
)

// The rule catalogue in README.md is generated: `netanalyze rules -f
// markdown` writes it between these markers, and `go test . -update` (make
// readme) rewrites it there.
const (
	rulesBegin = "<!-- rules:begin: generated from rules.toml by `make readme`; do not edit -->\n"
	rulesEnd   = "<!-- rules:end -->\n"
)

// updating says whether the test runs with -update (the flag is registered
// by internal/golden).
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func defaultRules(t *testing.T) *rules.Set {
	t.Helper()
	set, err := rules.Load(rules.Source{Name: "rules.toml", Data: netsnap.DefaultRules})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// TestReadmeRules keeps README.md honest: its rule catalogue is exactly what
// `netanalyze rules -f markdown` prints for the default rules, and its
// "Writing rules" example is a valid rules file.
func TestReadmeRules(t *testing.T) {
	var catalogue bytes.Buffer
	if err := rulesdoc.Markdown(&catalogue, defaultRules(t)); err != nil {
		t.Fatal(err)
	}
	if updating() {
		// Read the file again just before writing it: only the section changes.
		readme, err := os.ReadFile("README.md")
		if err != nil {
			t.Fatal(err)
		}
		before, _, after, ok := section(string(readme))
		if !ok {
			t.Fatalf("README.md lacks the markers %q and %q", rulesBegin, rulesEnd)
		}
		if err := os.WriteFile("README.md", []byte(before+catalogue.String()+after), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("rewrote README.md's rule catalogue")
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, got, _, ok := section(string(readme))
	if !ok {
		t.Fatalf("README.md lacks the markers %q and %q around the rule catalogue", rulesBegin, rulesEnd)
	}
	if got != catalogue.String() {
		t.Errorf("README.md's rule catalogue differs from rules.toml (-README +generated); run `make readme`:\n%s", golden.Diff([]byte(got), catalogue.Bytes()))
	}

	_, rest, ok := strings.Cut(string(readme), "### Writing rules")
	if !ok {
		t.Fatal("no Writing rules section")
	}
	_, rest, _ = strings.Cut(rest, "```toml\n")
	example, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("no toml example")
	}
	user, err := rules.Load(rules.Source{Name: "rules.toml", Data: netsnap.DefaultRules}, rules.Source{Name: "README example", Data: []byte(example)})
	if err != nil {
		t.Fatalf("the README example does not load: %v", err)
	}
	if r := user.Rule("our-mysql-churn"); r == nil || user.Rule("aggressive-tcp-timers").Disabled != true {
		t.Error("the README example's rules did not take effect")
	}
}

// section splits the README around its generated rule catalogue.
func section(readme string) (before, body, after string, ok bool) {
	before, rest, ok1 := strings.Cut(readme, rulesBegin)
	body, after, ok2 := strings.Cut(rest, rulesEnd)
	if !ok1 || !ok2 {
		return "", "", "", false
	}
	return before + rulesBegin, body, rulesEnd + after, true
}

func TestReadmeSection(t *testing.T) {
	before, body, after, ok := section("a\n" + rulesBegin + "| x |\n" + rulesEnd + "b\n")
	if !ok || before != "a\n"+rulesBegin || body != "| x |\n" || after != rulesEnd+"b\n" {
		t.Errorf("section = %q, %q, %q, %v", before, body, after, ok)
	}
	if _, _, _, ok := section("a\n" + rulesBegin + "| x |\n"); ok {
		t.Error("section without an end marker: ok")
	}
}
