// Package rules loads the rule set (the embedded rules.toml merged with a
// user's file), compiles every expression once, and evaluates the rules
// against a snapshot's facts into findings. Rules are data: they read facts
// and never execute anything.
package rules

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"math"
	"path"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/netsnap/netsnap/analysis/facts"
	"github.com/netsnap/netsnap/analysis/report"
)

// fileRule is a rule as written in a TOML file. Pointer fields are nil when
// absent, so a user file can override single fields of a default rule.
type fileRule struct {
	ID           string         `toml:"id"`
	Aliases      []string       `toml:"aliases"`
	Disabled     *bool          `toml:"disabled"`
	Severity     *string        `toml:"severity"`
	Summary      *string        `toml:"summary"`
	CriticalWhen *string        `toml:"critical_when"`
	WarningWhen  *string        `toml:"warning_when"`
	InfoWhen     *string        `toml:"info_when"`
	When         *string        `toml:"when"`
	Rising       *string        `toml:"rising"`
	Cumulative   *string        `toml:"cumulative"`
	Subjects     *string        `toml:"subjects"`
	Params       map[string]any `toml:"params"`
	Title        *string        `toml:"title"`
	Values       *[][]string    `toml:"values"`
	Tables       *[]string      `toml:"tables"`
	Lines        *string        `toml:"lines"`
	Why          *string        `toml:"why"`
	Fix          *string        `toml:"fix"`
	Refs         *[]string      `toml:"refs"`
}

// Suppression silences a finding: for a host (glob), and optionally only
// when every subject of the finding matches a peer (ip:port or ip) or a port.
type Suppression struct {
	ID     string `toml:"id"`
	Host   string `toml:"host"`
	Peer   string `toml:"peer"`
	Port   int    `toml:"port"`
	Reason string `toml:"reason"`
	File   string `toml:"-"`
}

type file struct {
	Rules    []fileRule    `toml:"rule"`
	Suppress []Suppression `toml:"suppress"`
}

// Rule is a compiled rule.
type Rule struct {
	ID       string
	Aliases  []string
	Disabled bool
	Severity report.Severity
	// Source is the file that defined the rule last ("rules.toml (default)" or the user file).
	Source string
	Params map[string]any
	When   string
	Title  string
	Why    string
	Fix    string
	Refs   []string
	Tables []string
	// Summary says in one line when the rule fires, with its parameters'
	// values filled in (the rule catalogue: netanalyze rules -f markdown).
	Summary string
	// CriticalWhen, WarningWhen and InfoWhen are the expressions that change
	// the severity ("" when absent).
	CriticalWhen, WarningWhen, InfoWhen string

	when, critical, warning, info, rising, cumulative, subjects, lines *vm.Program
	title                                                              template
	values                                                             []valueTemplate
	why, fix                                                           template
}

// Set is a rule set ready to evaluate.
type Set struct {
	Rules    []*Rule
	Suppress []Suppression
}

// Source is one rules file's bytes and name.
type Source struct {
	Name string
	Data []byte
}

// Load decodes the default rules and merges each user source over them, in
// order: a rule with a known id overrides the fields it sets (params key by
// key), `disabled = true` turns a rule off, a new id adds a rule. Decoding is
// strict: an unknown key or severity is an error naming the file. Every
// expression is compiled once; an error names the file, the rule and the
// expression.
func Load(defaults Source, user ...Source) (*Set, error) {
	merged := map[string]*fileRule{}
	sources := map[string]string{}
	var order []string
	var suppress []Suppression
	for i, src := range append([]Source{defaults}, user...) {
		var f file
		md, err := toml.NewDecoder(bytes.NewReader(src.Data)).Decode(&f)
		if err != nil {
			return nil, fmt.Errorf("%s: %s", src.Name, tomlError(err))
		}
		if und := md.Undecoded(); len(und) > 0 {
			keys := make([]string, len(und))
			for j, k := range und {
				keys[j] = k.String()
			}
			return nil, fmt.Errorf("%s: unknown key %s", src.Name, strings.Join(keys, ", "))
		}
		for j := range f.Rules {
			r := f.Rules[j]
			if r.ID == "" {
				return nil, fmt.Errorf("%s: rule %d has no id", src.Name, j+1)
			}
			id := canonical(r.ID, merged)
			if base, ok := merged[id]; ok {
				overlay(base, &r)
			} else {
				if i > 0 && (r.When == nil || r.Title == nil || r.Severity == nil) {
					return nil, fmt.Errorf("%s: rule %q: a new rule needs severity, when and title", src.Name, r.ID)
				}
				rc := r
				merged[id] = &rc
				order = append(order, id)
			}
			sources[id] = src.Name
		}
		for _, s := range f.Suppress {
			if s.ID == "" {
				return nil, fmt.Errorf("%s: [[suppress]] without an id", src.Name)
			}
			if s.Peer != "" && !validPeer(s.Peer) {
				return nil, fmt.Errorf("%s: [[suppress]] id %q: peer %q is not an address or address:port", src.Name, s.ID, s.Peer)
			}
			if s.Host != "" {
				if _, err := path.Match(s.Host, ""); err != nil {
					return nil, fmt.Errorf("%s: [[suppress]] id %q: host pattern %q: %v", src.Name, s.ID, s.Host, err)
				}
			}
			s.File = src.Name
			suppress = append(suppress, s)
		}
	}
	set := &Set{Suppress: suppress}
	for _, id := range order {
		r, err := compile(merged[id], sources[id])
		if err != nil {
			return nil, err
		}
		set.Rules = append(set.Rules, r)
	}
	for _, s := range set.Suppress {
		if set.Rule(s.ID) == nil {
			return nil, fmt.Errorf("%s: [[suppress]] names unknown rule %q", s.File, s.ID)
		}
	}
	return set, nil
}

// tomlError shortens BurntSushi's parse errors to one line with the position.
func tomlError(err error) string {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("line %d: %s", pe.Position.Line, pe.Message)
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

// canonical maps an alias to the id of an already known rule.
func canonical(id string, known map[string]*fileRule) string {
	if _, ok := known[id]; ok {
		return id
	}
	for k, r := range known {
		if slices.Contains(r.Aliases, id) {
			return k
		}
	}
	return id
}

func overlay(base, r *fileRule) {
	bv := reflect.ValueOf(base).Elem()
	rv := reflect.ValueOf(r).Elem()
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Field(i)
		if f.Kind() == reflect.Pointer && !f.IsNil() {
			bv.Field(i).Set(f)
		}
	}
	if len(r.Params) > 0 && base.Params == nil {
		base.Params = map[string]any{}
	}
	for k, v := range r.Params {
		base.Params[k] = v
	}
	base.Aliases = append(base.Aliases, r.Aliases...)
}

func validPeer(s string) bool {
	if _, err := parseAddrPort(s); err == nil {
		return true
	}
	_, err := parseAddr(s)
	return err == nil
}

// Rule returns the rule with that id or alias, or nil.
func (s *Set) Rule(id string) *Rule {
	for _, r := range s.Rules {
		if r.ID == id || slices.Contains(r.Aliases, id) {
			return r
		}
	}
	return nil
}

// env builds the expression environment: the facts' groups, the rule's
// parameters and the helper functions.
func env(f *facts.Facts, params map[string]any) map[string]any {
	e := map[string]any{"params": params}
	v := reflect.ValueOf(f).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		tag := t.Field(i).Tag.Get("expr")
		if tag == "" || tag == "-" {
			continue
		}
		e[tag] = v.Field(i).Interface()
	}
	for name, fn := range helpers {
		e[name] = fn
	}
	return e
}

// helpers are the functions rules may call. They take any number type.
var helpers = map[string]any{
	// pct returns a as a percentage of b (0 when b <= 0).
	"pct": func(a, b any) float64 {
		x, y := toFloat(a), toFloat(b)
		if y <= 0 {
			return 0
		}
		return 100 * x / y
	},
	// mib formats bytes as MiB with one decimal.
	"mib": func(b any) string { return fmt.Sprintf("%.1f MiB", toFloat(b)/(1<<20)) },
	// f1 formats a number with one decimal.
	"f1": func(x any) string { return strconv.FormatFloat(toFloat(x), 'f', 1, 64) },
	// f0 rounds a number to an integer.
	"f0": func(x any) string { return strconv.FormatFloat(math.Round(toFloat(x)), 'f', 0, 64) },
	// dur formats seconds as a duration ("45 s", "12 min", "3.5 h").
	"dur": func(s any) string { return duration(toFloat(s)) },
	// list joins strings (or numbers) with ", ", at most n of them.
	"list": func(v any, n int) string { return list(v, n) },
}

// toFloat converts any Go number to float64 (NaN for anything else).
func toFloat(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case int32:
		return float64(x)
	case uint32:
		return float64(x)
	case uint64:
		return float64(x)
	case float64:
		return x
	case float32:
		return float64(x)
	}
	return math.NaN()
}

func compile(r *fileRule, source string) (*Rule, error) {
	out := &Rule{ID: r.ID, Aliases: r.Aliases, Source: source, Params: r.Params, Tables: deref(r.Tables)}
	if out.Params == nil {
		out.Params = map[string]any{}
	}
	fail := func(field string, err error) error {
		return fmt.Errorf("%s: rule %q: %s: %s", source, r.ID, field, oneLine(err))
	}
	if r.Disabled != nil {
		out.Disabled = *r.Disabled
	}
	if r.Severity == nil {
		return nil, fail("severity", errors.New("missing"))
	}
	sev, err := report.ParseSeverity(*r.Severity)
	if err != nil {
		return nil, fail("severity", err)
	}
	out.Severity = sev
	if r.When == nil {
		return nil, fail("when", errors.New("missing"))
	}
	if r.Title == nil {
		return nil, fail("title", errors.New("missing"))
	}
	out.When, out.Title, out.Why, out.Fix, out.Refs = *r.When, *r.Title, deref(r.Why), deref(r.Fix), deref(r.Refs)
	out.CriticalWhen, out.WarningWhen, out.InfoWhen = deref(r.CriticalWhen), deref(r.WarningWhen), deref(r.InfoWhen)
	if out.Summary, err = summary(deref(r.Summary), out.Params); err != nil {
		return nil, fail("summary", err)
	}
	sample := env(&facts.Facts{}, out.Params)
	boolExpr := func(field string, src *string) (*vm.Program, error) {
		if src == nil || strings.TrimSpace(*src) == "" {
			return nil, nil
		}
		p, err := expr.Compile(*src, expr.Env(sample), expr.AsBool())
		if err != nil {
			return nil, fail(field, err)
		}
		return p, nil
	}
	anyExpr := func(field string, src *string) (*vm.Program, error) {
		if src == nil || strings.TrimSpace(*src) == "" {
			return nil, nil
		}
		p, err := expr.Compile(*src, expr.Env(sample))
		if err != nil {
			return nil, fail(field, err)
		}
		return p, nil
	}
	if out.when, err = boolExpr("when", r.When); err != nil {
		return nil, err
	}
	if out.critical, err = boolExpr("critical_when", r.CriticalWhen); err != nil {
		return nil, err
	}
	if out.warning, err = boolExpr("warning_when", r.WarningWhen); err != nil {
		return nil, err
	}
	if out.info, err = boolExpr("info_when", r.InfoWhen); err != nil {
		return nil, err
	}
	if out.rising, err = boolExpr("rising", r.Rising); err != nil {
		return nil, err
	}
	if out.cumulative, err = boolExpr("cumulative", r.Cumulative); err != nil {
		return nil, err
	}
	if out.subjects, err = anyExpr("subjects", r.Subjects); err != nil {
		return nil, err
	}
	if out.lines, err = anyExpr("lines", r.Lines); err != nil {
		return nil, err
	}
	if out.title, err = parseTemplate(out.Title, sample); err != nil {
		return nil, fail("title", err)
	}
	if out.why, err = parseTemplate(out.Why, sample); err != nil {
		return nil, fail("why", err)
	}
	if out.fix, err = parseTemplate(out.Fix, sample); err != nil {
		return nil, fail("fix", err)
	}
	for i, v := range deref(r.Values) {
		if len(v) != 2 {
			return nil, fail("values", fmt.Errorf("entry %d: want [\"name\", \"template\"]", i+1))
		}
		t, err := parseTemplate(v[1], sample)
		if err != nil {
			return nil, fail("values "+strconv.Quote(v[0]), err)
		}
		out.values = append(out.values, valueTemplate{name: v[0], tmpl: t})
	}
	return out, nil
}

// summary renders a rule's summary, whose placeholders may read the
// parameters and the helpers but no fact: it describes the rule, not a host.
func summary(src string, params map[string]any) (string, error) {
	e := map[string]any{"params": params}
	for name, fn := range helpers {
		e[name] = fn
	}
	t, err := parseTemplate(src, e)
	if err != nil {
		return "", err
	}
	return t.render(e)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func oneLine(err error) string {
	s := strings.TrimSpace(err.Error())
	// expr errors carry a source excerpt with a caret on following lines: keep the message.
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// Evaluate runs every enabled rule against the facts of one host. Findings
// are sorted most severe first, evidence that moved during the capture
// before evidence since boot, then by id. A rule whose expression fails at
// run time becomes a problem, not a crash.
func (s *Set) Evaluate(f *facts.Facts) (findings []report.Finding, suppressed []report.Suppressed, problems []report.Problem) {
	findings, suppressed = []report.Finding{}, []report.Suppressed{}
	counts := map[int]int{}
	for _, r := range s.Rules {
		if r.Disabled {
			continue
		}
		fd, fired, err := r.evaluate(f)
		if err != nil {
			problems = append(problems, report.Problem{File: r.Source, Message: fmt.Sprintf("rule %q: %v", r.ID, err)})
			continue
		}
		if !fired {
			continue
		}
		if i := s.suppressedBy(fd, f.Host.Hostname); i >= 0 {
			counts[i]++
			continue
		}
		findings = append(findings, fd.Finding)
	}
	for i, sp := range s.Suppress {
		if counts[i] > 0 {
			suppressed = append(suppressed, report.Suppressed{ID: sp.ID, Match: sp.match(), Count: counts[i], Reason: sp.Reason})
		}
	}
	Sort(findings)
	return findings, suppressed, problems
}

// Sort orders findings: severity, then "during capture" before the rest, then id.
func Sort(fs []report.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		return cmp.Or(
			cmp.Compare(b.Severity, a.Severity),
			cmp.Compare(rank(a.Basis), rank(b.Basis)),
			cmp.Compare(a.ID, b.ID),
		) < 0
	})
}

func rank(basis string) int {
	switch basis {
	case BasisCapture:
		return 0
	case "":
		return 1
	}
	return 2
}

// Bases of a finding.
const (
	BasisCapture = "during capture"
	BasisBoot    = "since boot"
)

// subjectFinding is a finding with the subjects suppressions match against.
type subjectFinding struct {
	report.Finding
	subjects []string
}

func (r *Rule) evaluate(f *facts.Facts) (subjectFinding, bool, error) {
	e := env(f, r.Params)
	fired, err := runBool(r.when, e)
	if err != nil || !fired {
		return subjectFinding{}, false, wrap("when", err)
	}
	out := subjectFinding{Finding: report.Finding{ID: r.ID, Severity: r.Severity, Refs: r.Refs}}
	// The first of critical_when, warning_when, info_when that holds sets the severity.
	for _, c := range []struct {
		field string
		prog  *vm.Program
		sev   report.Severity
	}{{"critical_when", r.critical, report.Critical}, {"warning_when", r.warning, report.Warning}, {"info_when", r.info, report.Info}} {
		ok, err := runBool(c.prog, e)
		if err != nil {
			return out, false, wrap(c.field, err)
		}
		if ok {
			out.Severity = c.sev
			break
		}
	}
	if ok, err := runBool(r.rising, e); err != nil {
		return out, false, wrap("rising", err)
	} else if ok {
		out.Basis = BasisCapture
	} else if ok, err := runBool(r.cumulative, e); err != nil {
		return out, false, wrap("cumulative", err)
	} else if ok {
		out.Basis = BasisBoot
	}
	if out.Title, err = r.title.render(e); err != nil {
		return out, false, wrap("title", err)
	}
	if out.Why, err = r.why.render(e); err != nil {
		return out, false, wrap("why", err)
	}
	if out.Fix, err = r.fix.render(e); err != nil {
		return out, false, wrap("fix", err)
	}
	out.Evidence.Values = []report.Value{}
	for _, v := range r.values {
		s, err := v.tmpl.render(e)
		if err != nil {
			return out, false, wrap("values "+strconv.Quote(v.name), err)
		}
		out.Evidence.Values = append(out.Evidence.Values, report.Value{Name: v.name, Value: s})
	}
	for _, id := range r.Tables {
		if t, ok := f.Tables[id]; ok && len(t.Rows) > 0 {
			out.Evidence.Tables = append(out.Evidence.Tables, t)
		}
	}
	if r.lines != nil {
		v, err := expr.Run(r.lines, e)
		if err != nil {
			return out, false, wrap("lines", err)
		}
		out.Evidence.Lines = toStrings(v)
		if len(out.Evidence.Lines) > 50 {
			out.Evidence.Lines = append(out.Evidence.Lines[:50], fmt.Sprintf("… and %d more", len(out.Evidence.Lines)-50))
		}
	}
	if r.subjects != nil {
		v, err := expr.Run(r.subjects, e)
		if err != nil {
			return out, false, wrap("subjects", err)
		}
		out.subjects = toStrings(v)
	}
	return out, true, nil
}

func wrap(field string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %s", field, oneLine(err))
}

func runBool(p *vm.Program, e map[string]any) (bool, error) {
	if p == nil {
		return false, nil
	}
	v, err := expr.Run(p, e)
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("not a boolean: %v", v)
	}
	return b, nil
}

// suppressedBy returns the index of the first suppression matching the finding, or -1.
func (s *Set) suppressedBy(f subjectFinding, hostname string) int {
	for i, sp := range s.Suppress {
		r := s.Rule(sp.ID)
		if r == nil || r.ID != f.ID {
			continue
		}
		if sp.Host != "" {
			if ok, _ := path.Match(sp.Host, hostname); !ok {
				continue
			}
		}
		if sp.Peer == "" && sp.Port == 0 {
			return i
		}
		if len(f.subjects) == 0 {
			continue
		}
		all := true
		for _, subj := range f.subjects {
			if !sp.matches(subj) {
				all = false
				break
			}
		}
		if all {
			return i
		}
	}
	return -1
}

func (sp Suppression) matches(subject string) bool {
	ap, err := parseAddrPort(subject)
	if err != nil {
		// a bare port ("9092") or address
		if sp.Port > 0 && subject == strconv.Itoa(sp.Port) {
			return true
		}
		return sp.Peer != "" && subject == sp.Peer
	}
	if sp.Port > 0 && int(ap.Port()) != sp.Port {
		return false
	}
	if sp.Peer != "" {
		if pap, err := parseAddrPort(sp.Peer); err == nil {
			return pap == ap
		}
		if a, err := parseAddr(sp.Peer); err == nil {
			return a == ap.Addr()
		}
		return false
	}
	return true
}

func (sp Suppression) match() string {
	var parts []string
	if sp.Host != "" {
		parts = append(parts, "host "+sp.Host)
	}
	if sp.Peer != "" {
		parts = append(parts, "peer "+sp.Peer)
	}
	if sp.Port > 0 {
		parts = append(parts, "port "+strconv.Itoa(sp.Port))
	}
	if len(parts) == 0 {
		return "everywhere"
	}
	return strings.Join(parts, ", ")
}
