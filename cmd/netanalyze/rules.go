package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/netsnap/netsnap/analysis/facts"
	"github.com/netsnap/netsnap/internal/rulesdoc"
)

type rulesOptions struct {
	rulesFile []string
	facts     bool
	format    string
}

func newRulesCmd(stdout io.Writer) *cobra.Command {
	var o rulesOptions
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the rules (defaults merged with --rules files), or with --facts the facts rules are written against",
		Args:  cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			return runRules(stdout, &o)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.rulesFile, "rules", nil, "merge this rules file over the defaults (repeatable); a broken rule is reported with its file and id")
	f.BoolVar(&o.facts, "facts", false, "list the facts (name, type, meaning) instead of the rules")
	f.StringVarP(&o.format, "format", "f", "text", "text, markdown (the rule catalogue of README.md) or json")
	return cmd
}

func runRules(w io.Writer, o *rulesOptions) error {
	if o.format != "text" && o.format != "markdown" && o.format != "json" {
		return failure{exitUsage, fmt.Errorf("--format %q: want text, markdown or json", o.format)}
	}
	if o.facts {
		docs := facts.Docs()
		switch o.format {
		case "json":
			return writeJSON(w, docs)
		case "markdown":
			fmt.Fprintln(w, "| fact | type | meaning |\n|---|---|---|")
			for _, d := range docs {
				fmt.Fprintf(w, "| `%s` | `%s` | %s |\n", d.Name, d.Type, strings.ReplaceAll(d.Doc, "|", `\|`))
			}
			return nil
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "FACT\tTYPE\tMEANING")
		for _, d := range docs {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", d.Name, d.Type, d.Doc)
		}
		return tw.Flush()
	}
	set, err := loadRules(o.rulesFile)
	if err != nil {
		return err
	}
	if o.format == "markdown" {
		return rulesdoc.Markdown(w, set)
	}
	type row struct {
		ID       string         `json:"id"`
		Severity string         `json:"severity"`
		Summary  string         `json:"summary,omitempty"`
		Enabled  bool           `json:"enabled"`
		Source   string         `json:"source"`
		When     string         `json:"when"`
		Params   map[string]any `json:"params"`
		Aliases  []string       `json:"aliases,omitempty"`
	}
	var rows []row
	for _, r := range set.Rules {
		rows = append(rows, row{r.ID, r.Severity.String(), r.Summary, !r.Disabled, r.Source, r.When, r.Params, r.Aliases})
	}
	if o.format == "json" {
		return writeJSON(w, map[string]any{"rules": rows, "suppress": set.Suppress})
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tSEVERITY\tENABLED\tSOURCE\tPARAMS")
	for _, r := range rows {
		params := ""
		if len(r.Params) > 0 {
			b, _ := json.Marshal(r.Params)
			params = string(b)
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%s\t%s\n", r.ID, r.Severity, r.Enabled, r.Source, params)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range set.Suppress {
		fmt.Fprintf(w, "suppress %s (%s) from %s\n", s.ID, s.Reason, s.File)
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
