package facts

import (
	"reflect"
	"strings"
)

// Doc describes one fact for people writing rules.
type Doc struct {
	// Name is how expressions refer to it: "tw.count", "listen.overflows.rising".
	Name string `json:"name"`
	Type string `json:"type"`
	Doc  string `json:"doc"`
}

// counterDoc describes the fields every Counter has.
var counterDoc = map[string]string{
	"present":   "the kernel reported the counter",
	"total":     "value in the last sample: everything since boot",
	"delta":     "rise from the first to the last sample (0 with one sample or after a reset)",
	"rate":      "delta per second of capture",
	"rising":    "the counter rose during the capture",
	"boot_rate": "total divided by the uptime: an average since boot",
	"reset":     "the counter went down between samples (a reboot or a wrap)",
}

// Docs lists every fact an expression can read, from the Facts struct's
// expr and doc tags (one table serves the code and `netanalyze rules --facts`).
func Docs() []Doc {
	var out []Doc
	t := reflect.TypeOf(Facts{})
	for i := 0; i < t.NumField(); i++ {
		g := t.Field(i)
		group := g.Tag.Get("expr")
		if group == "" || group == "-" {
			continue
		}
		for j := 0; j < g.Type.NumField(); j++ {
			f := g.Type.Field(j)
			name := group + "." + f.Tag.Get("expr")
			if f.Type == reflect.TypeOf(Counter{}) {
				out = append(out, Doc{Name: name, Type: "counter", Doc: f.Tag.Get("doc")})
				for k := 0; k < f.Type.NumField(); k++ {
					cf := f.Type.Field(k)
					tag := cf.Tag.Get("expr")
					out = append(out, Doc{Name: name + "." + tag, Type: typeName(cf.Type), Doc: counterDoc[tag]})
				}
				continue
			}
			out = append(out, Doc{Name: name, Type: typeName(f.Type), Doc: f.Tag.Get("doc")})
		}
	}
	return out
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Uint64, reflect.Uint32:
		return "int"
	case reflect.Float64:
		return "float"
	case reflect.Bool:
		return "bool"
	case reflect.String:
		return "string"
	case reflect.Slice:
		return "list of " + typeName(t.Elem())
	case reflect.Map:
		return "map of " + typeName(t.Key()) + " to " + typeName(t.Elem())
	}
	return strings.ToLower(t.Kind().String())
}
