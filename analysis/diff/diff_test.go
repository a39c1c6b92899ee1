package diff

import (
	"strings"
	"testing"

	"github.com/netsnap/netsnap/analysis/report"
)

// TestChartPairs pairs charts by id in the first report's order, keeps a
// chart only one report has, and points at the reports' own charts.
func TestChartPairs(t *testing.T) {
	before := []report.Chart{{ID: "tcp_states", Title: "states"}, {ID: "conntrack", Title: "conntrack"}, {ID: "counter_rates", Title: "rates"}}
	after := []report.Chart{{ID: "tcp_states", Title: "states"}, {ID: "counter_rates", Title: "rates"}, {ID: "ports", Title: "ports"}}
	got := chartPairs(before, after)
	want := []struct {
		id            string
		before, after bool
	}{{"tcp_states", true, true}, {"conntrack", true, false}, {"counter_rates", true, true}, {"ports", false, true}}
	if len(got) != len(want) {
		t.Fatalf("chartPairs gave %d pairs, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		p := got[i]
		if p.ID != w.id || (p.Before != nil) != w.before || (p.After != nil) != w.after {
			t.Errorf("pair %d = {%s before:%v after:%v}, want {%s %v %v}", i, p.ID, p.Before != nil, p.After != nil, w.id, w.before, w.after)
		}
		if p.Before != nil && p.Before.ID != p.ID || p.After != nil && p.After.ID != p.ID {
			t.Errorf("pair %s holds charts %+v and %+v", p.ID, p.Before, p.After)
		}
	}
	if ps := chartPairs(nil, nil); ps == nil || len(ps) != 0 {
		t.Errorf("chartPairs(nil, nil) = %#v, want an empty list (a JSON array)", ps)
	}
}

// Namespaces are matched by name; one named from its processes is matched
// by their commands, since its PIDs change from one capture to the next.
func TestFindingsMatchNamespaces(t *testing.T) {
	before := []report.Finding{
		{ID: "close-wait-accumulation", Severity: report.Warning, Namespace: "sleep[8100] app[8101]"},
		{ID: "listen-queue-overflow", Severity: report.Warning, Namespace: "api"},
		{ID: "listen-queue-overflow", Severity: report.Warning, Namespace: "web"},
	}
	after := []report.Finding{
		{ID: "close-wait-accumulation", Severity: report.Warning, Namespace: "sleep[9200] app[9201]"},
		{ID: "listen-queue-overflow", Severity: report.Critical, Namespace: "api"},
		{ID: "listen-queue-overflow", Severity: report.Warning, Namespace: "web-2"},
	}
	keys := matchKeys(
		[]report.Namespace{{Name: "sleep[8100] app[8101]", Kind: "processes"}, {Name: "api", Kind: "docker"}, {Name: "web", Kind: "docker"}},
		[]report.Namespace{{Name: "sleep[9200] app[9201]", Kind: "processes"}, {Name: "api", Kind: "docker"}, {Name: "web-2", Kind: "docker"}},
	)
	var got []string
	for _, f := range findings(before, after, keys) {
		got = append(got, f.Status+" "+f.ID+" in "+f.Namespace)
	}
	want := []string{
		"persisting listen-queue-overflow in api",
		"persisting close-wait-accumulation in sleep[9200] app[9201]",
		"resolved listen-queue-overflow in web",
		"new listen-queue-overflow in web-2",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diff findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
