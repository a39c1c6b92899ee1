package rules

import (
	"strings"
	"testing"

	"github.com/netsnap/netsnap"
	"github.com/netsnap/netsnap/analysis/facts"
	"github.com/netsnap/netsnap/analysis/report"
)

var defaults = Source{Name: "rules.toml", Data: netsnap.DefaultRules}

func TestDefaultsCompile(t *testing.T) {
	set, err := Load(defaults)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Rules) < 19 {
		t.Errorf("%d rules", len(set.Rules))
	}
	for _, r := range set.Rules {
		if r.Why == "" || r.Fix == "" || len(r.Refs) == 0 {
			t.Errorf("rule %s lacks why, fix or refs", r.ID)
		}
	}
	// The healthy zero facts fire nothing.
	f := &facts.Facts{Sysctl: facts.SysctlFacts{TWBuckets: -1, TWRecycle: -1, TWReuse: -1, FinTimeout: -1, KeepaliveTime: -1, IPForward: -1}}
	fs, _, probs := set.Evaluate(f)
	if len(fs) != 0 || len(probs) != 0 {
		t.Errorf("zero facts: findings %+v, problems %+v", fs, probs)
	}
}

func TestUserFileErrors(t *testing.T) {
	for _, tc := range []struct {
		user string
		want string
	}{
		{`[[rule]]
id = "tcp-tw-bucket-overflow"
when = "tw.cnt > 1"`, `my.toml: rule "tcp-tw-bucket-overflow": when: type facts.TWFacts has no field cnt`},
		{`[[rule]]
id = "my-rule"
severity = "warning"
when = "tw.count > params.x"
title = "{{ tw.count + }}"`, `my.toml: rule "my-rule": title: {{ tw.count + }}:`},
		{`[[rule]]
id = "my-rule"
severity = "urgent"
when = "true"
title = "x"`, `my.toml: rule "my-rule": severity: unknown severity "urgent"`},
		{`[[rule]]
id = "my-rule"
when = "true"`, `my.toml: rule "my-rule": a new rule needs severity, when and title`},
		{`[[rule]]
id = "tcp-tw-bucket-overflow"
thresold = 3`, `my.toml: unknown key rule.thresold`},
		{`[[rule]
id = "x"`, `my.toml: line 2: expected end of table array name`},
		{`[[rule]]
id = "my-rule"
severity = "info"
when = "tw.count"
title = "x"`, `my.toml: rule "my-rule": when: expected bool`},
		{`[[suppress]]
id = "no-such-rule"`, `my.toml: [[suppress]] names unknown rule "no-such-rule"`},
		{`[[suppress]]
id = "syn-sent-stuck"
peer = "not-an-address"`, `peer "not-an-address" is not an address`},
	} {
		_, err := Load(defaults, Source{Name: "my.toml", Data: []byte(tc.user)})
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Load(%q)\n  = %v\n  want one line containing %q", tc.user, err, tc.want)
		}
	}
}

func twFacts(count int, limit int64) *facts.Facts {
	f := &facts.Facts{}
	f.Sysctl.TWBuckets, f.Sysctl.TWRecycle, f.Sysctl.TWReuse, f.Sysctl.FinTimeout, f.Sysctl.KeepaliveTime, f.Sysctl.IPForward = limit, -1, -1, -1, -1, -1
	f.TW.Count, f.TW.Limit = count, limit
	f.TW.Pct = 100 * float64(count) / float64(limit)
	f.Ports.Size = 28232
	f.Host.Hostname = "proxy-1"
	return f
}

func TestOverrideDisableAddSuppress(t *testing.T) {
	user := `
[[rule]]
id = "tcp-tw-bucket-overflow"
params = { ratio = 0.5 }

[[rule]]
id = "tcp-tw-buckets-too-low"
disabled = true

[[rule]]
id = "tw-half-full"
severity = "info"
when = "tw.count >= params.n"
params = { n = 600 }
title = "{{ tw.count }} TIME_WAIT, over {{ params.n }}"
values = [["count", "{{ tw.count }}"]]
why = "because"
fix = "do things"
`
	set, err := Load(defaults, Source{Name: "my.toml", Data: []byte(user)})
	if err != nil {
		t.Fatal(err)
	}
	if r := set.Rule("tcp-tw-bucket-overflow"); r.Params["ratio"] != 0.5 || r.Source != "my.toml" || r.Title == "" {
		t.Errorf("override: %+v", r)
	}
	fs, _, probs := set.Evaluate(twFacts(700, 1000))
	if len(probs) != 0 {
		t.Fatal(probs)
	}
	got := map[string]report.Finding{}
	for _, f := range fs {
		got[f.ID] = f
	}
	if _, ok := got["tcp-tw-bucket-overflow"]; !ok {
		t.Error("the lowered ratio did not make tcp-tw-bucket-overflow fire at 70%")
	}
	if _, ok := got["tcp-tw-buckets-too-low"]; ok {
		t.Error("a disabled rule fired")
	}
	if f := got["tw-half-full"]; f.Title != "700 TIME_WAIT, over 600" || f.Severity != report.Info || f.Evidence.Values[0].Value != "700" {
		t.Errorf("user rule: %+v", f)
	}

	// Suppress by host glob, and by peer only when every subject matches.
	sup := `
[[suppress]]
id = "tcp-tw-bucket-overflow"
host = "proxy-*"
reason = "known, ticket OPS-1"

[[suppress]]
id = "time-wait-concentration"
peer = "10.0.0.5:9092"
`
	set, err = Load(defaults, Source{Name: "s.toml", Data: []byte(sup)})
	if err != nil {
		t.Fatal(err)
	}
	f := twFacts(1200, 1250)
	f.TW.TopService, f.TW.TopGroupPct, f.TW.TopPct = "10.0.0.5:9092", 50, 50
	fs, supp, _ := set.Evaluate(f)
	for _, x := range fs {
		if x.ID == "tcp-tw-bucket-overflow" || x.ID == "time-wait-concentration" {
			t.Errorf("%s not suppressed", x.ID)
		}
	}
	if len(supp) != 2 || supp[0].Count != 1 || supp[0].Reason != "known, ticket OPS-1" || supp[0].Match != "host proxy-*" || supp[1].Match != "peer 10.0.0.5:9092" {
		t.Errorf("suppressed = %+v", supp)
	}
	f.TW.TopService = "10.0.0.6:9092"
	fs, _, _ = set.Evaluate(f)
	found := false
	for _, x := range fs {
		found = found || x.ID == "time-wait-concentration"
	}
	if !found {
		t.Error("a suppression for another peer silenced time-wait-concentration")
	}
}

func TestSortRanksCaptureAboveBoot(t *testing.T) {
	fs := []report.Finding{
		{ID: "b", Severity: report.Warning, Basis: BasisBoot},
		{ID: "c", Severity: report.Info},
		{ID: "a", Severity: report.Warning, Basis: BasisCapture},
		{ID: "z", Severity: report.Critical},
		{ID: "d", Severity: report.Warning},
	}
	Sort(fs)
	var got []string
	for _, f := range fs {
		got = append(got, f.ID)
	}
	if strings.Join(got, " ") != "z a d b c" {
		t.Errorf("order %v", got)
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
	}{{int64(65536), "65536"}, {99.81, "99.8"}, {true, "yes"}, {"x", "x"}, {[]string{"a", "b"}, "a, b"}, {[]int{1, 2}, "1, 2"}} {
		if got := format(tc.in); got != tc.want {
			t.Errorf("format(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := list([]int{1, 2, 3, 4}, 2); got != "1, 2 and 2 more" {
		t.Errorf("list = %q", got)
	}
	if got := duration(7300); got != "2.0 h" {
		t.Errorf("duration = %q", got)
	}
}
