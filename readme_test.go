package netsnap_test

import (
	"os"
	"strings"
	"testing"

	"github.com/netsnap/netsnap"
	"github.com/netsnap/netsnap/analysis/rules"
)

// TestReadmeRules keeps README.md honest: its rule table lists every default
// rule, and its "Writing rules" example is a valid rules file.
func TestReadmeRules(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	set, err := rules.Load(rules.Source{Name: "rules.toml", Data: netsnap.DefaultRules})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range set.Rules {
		if !strings.Contains(string(readme), "| `"+r.ID+"` |") {
			t.Errorf("README.md's rule table lacks %s", r.ID)
		}
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
