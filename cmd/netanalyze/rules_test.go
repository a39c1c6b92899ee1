package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/netsnap/netsnap"
	"github.com/netsnap/netsnap/analysis/rules"
	"github.com/netsnap/netsnap/internal/rulesdoc"
)

func TestRulesMarkdown(t *testing.T) {
	set, err := rules.Load(rules.Source{Name: "rules.toml", Data: netsnap.DefaultRules})
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := rulesdoc.Markdown(&want, set); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"rules", "-f", "markdown"}, &stdout, &stderr); code != exitOK || stdout.String() != want.String() {
		t.Errorf("netanalyze rules -f markdown = %d, stderr %q, output:\n%s\nwant the catalogue of README.md:\n%s", code, stderr.String(), stdout.String(), want.String())
	}

	stdout.Reset()
	if code := run([]string{"rules", "--facts", "-f", "markdown"}, &stdout, &stderr); code != exitOK ||
		!strings.HasPrefix(stdout.String(), "| fact | type | meaning |\n|---|---|---|\n") || !strings.Contains(stdout.String(), "\n| `tw.count` | `int` |") {
		t.Errorf("netanalyze rules --facts -f markdown = %d:\n%s", code, stdout.String())
	}

	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"rules", "-f", "html"}, &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), `--format "html": want text, markdown or json`) {
		t.Errorf("netanalyze rules -f html = %d, stderr %q; want exit %d naming the formats", code, stderr.String(), exitUsage)
	}
}

func TestRulesJSONHasSummary(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"rules", "-f", "json"}, &stdout, &stderr); code != exitOK || !strings.Contains(stdout.String(), `"summary": "TIME_WAIT ≥ 95 % of tcp_max_tw_buckets`) {
		t.Errorf("netanalyze rules -f json = %d: no summary for tcp-tw-bucket-overflow\n%s", code, stdout.String())
	}
}
