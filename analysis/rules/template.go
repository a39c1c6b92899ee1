package rules

import (
	"fmt"
	"math"
	"net/netip"
	"reflect"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// template is text with {{ expression }} placeholders, compiled once.
type template struct {
	parts []part
}

type part struct {
	text string
	prog *vm.Program // nil for literal text
	src  string
}

type valueTemplate struct {
	name string
	tmpl template
}

// parseTemplate splits s at {{ }} and compiles each expression against env.
func parseTemplate(s string, env map[string]any) (template, error) {
	var t template
	for len(s) > 0 {
		i := strings.Index(s, "{{")
		if i < 0 {
			t.parts = append(t.parts, part{text: s})
			break
		}
		if i > 0 {
			t.parts = append(t.parts, part{text: s[:i]})
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			return t, fmt.Errorf("unclosed {{ in %q", s)
		}
		src := strings.TrimSpace(s[i+2 : i+j])
		p, err := expr.Compile(src, expr.Env(env))
		if err != nil {
			return t, fmt.Errorf("{{ %s }}: %s", src, oneLine(err))
		}
		t.parts = append(t.parts, part{prog: p, src: src})
		s = s[i+j+2:]
	}
	return t, nil
}

func (t template) render(env map[string]any) (string, error) {
	var b strings.Builder
	for _, p := range t.parts {
		if p.prog == nil {
			b.WriteString(p.text)
			continue
		}
		v, err := expr.Run(p.prog, env)
		if err != nil {
			return "", fmt.Errorf("{{ %s }}: %s", p.src, oneLine(err))
		}
		b.WriteString(format(v))
	}
	return b.String(), nil
}

// format prints a value for people: integers exactly, other numbers with one
// decimal, lists joined with ", ", booleans as yes/no.
func format(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return "n/a"
		}
		return strconv.FormatFloat(x, 'f', 1, 64)
	case fmt.Stringer:
		return x.String()
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice {
		return list(v, 20)
	}
	return fmt.Sprint(v)
}

// list joins the elements of a slice with ", ", at most n, saying how many more.
func list(v any, n int) string {
	items := toStrings(v)
	if n > 0 && len(items) > n {
		return strings.Join(items[:n], ", ") + fmt.Sprintf(" and %d more", len(items)-n)
	}
	return strings.Join(items, ", ")
}

func toStrings(v any) []string {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return nil
	}
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return []string{format(v)}
	}
	out := make([]string, 0, rv.Len())
	for i := 0; i < rv.Len(); i++ {
		out = append(out, format(rv.Index(i).Interface()))
	}
	return out
}

// duration prints seconds as "45 s", "12 min", "3.5 h" or "2.1 days".
func duration(s float64) string {
	switch {
	case math.IsInf(s, 0) || math.IsNaN(s) || s < 0:
		return "n/a"
	case s < 120:
		return fmt.Sprintf("%.0f s", s)
	case s < 7200:
		return fmt.Sprintf("%.0f min", s/60)
	case s < 172800:
		return fmt.Sprintf("%.1f h", s/3600)
	}
	return fmt.Sprintf("%.1f days", s/86400)
}

func parseAddrPort(s string) (netip.AddrPort, error) { return netip.ParseAddrPort(s) }
func parseAddr(s string) (netip.Addr, error)         { return netip.ParseAddr(s) }
