package facts

import (
	"strings"
	"testing"
)

// TestEveryFactIsDocumented keeps `netanalyze rules --facts` complete.
func TestEveryFactIsDocumented(t *testing.T) {
	docs := Docs()
	if len(docs) < 100 {
		t.Fatalf("only %d facts documented", len(docs))
	}
	seen := map[string]bool{}
	for _, d := range docs {
		if d.Doc == "" {
			t.Errorf("fact %s (%s) has no doc tag", d.Name, d.Type)
		}
		if seen[d.Name] {
			t.Errorf("fact %s listed twice", d.Name)
		}
		seen[d.Name] = true
		if strings.Count(d.Name, ".") < 1 {
			t.Errorf("fact %s is not group.name", d.Name)
		}
	}
	for _, want := range []string{"tw.count", "tw.overflow.rising", "listen.overflows.total", "conntrack.pct", "ports.busiest_pct", "sysctl.somaxconn"} {
		if !seen[want] {
			t.Errorf("fact %s missing", want)
		}
	}
}
