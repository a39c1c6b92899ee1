package parse

import (
	"fmt"
	"io"

	"github.com/netsnap/netsnap/analysis/model"
)

// Sockstat reads /proc/net/sockstat or sockstat6: "sockets: used N" and
// one line per protocol of field-value pairs ("TCP: inuse 35 orphan 0 tw 4
// alloc 59 mem 22"). A line that is not "NAME: field value ..." with
// decimal values is a problem and skipped whole.
func Sockstat(r io.Reader, p *Problems) (model.Sockstat, error) {
	lr := newLineReader(r, p)
	s := model.Sockstat{Proto: map[string]map[string]int64{}}
	for {
		line, err := lr.next()
		if err != nil {
			return s, lr.done(err)
		}
		proto, rest, ok := cutGroup(line)
		if !ok {
			if len(proto) > 0 {
				p.Addf(lr.n, "want \"PROTO: field value ...\"")
			}
			continue
		}
		if msg := checkPairs(rest); msg != "" {
			p.Addf(lr.n, "%s: %s", proto, msg)
			continue
		}
		if string(proto) == "sockets" {
			for b := rest; ; {
				name, v := cutField(b)
				if len(name) == 0 {
					break
				}
				v, b = cutField(v)
				if string(name) == "used" {
					s.SocketsUsed, _ = parseInt(v)
				}
			}
			continue
		}
		storePairs(s.Proto, proto, rest)
	}
}

// checkPairs checks that b is one or more "name value" pairs with decimal
// values, and returns what is wrong or "".
func checkPairs(b []byte) string {
	n := 0
	for {
		name, rest := cutField(b)
		if len(name) == 0 {
			break
		}
		val, rest := cutField(rest)
		if len(val) == 0 {
			return fmt.Sprintf("field %q without a value", name)
		}
		if _, ok := parseInt(val); !ok {
			return fmt.Sprintf("field %q: bad value %q", name, val)
		}
		n++
		b = rest
	}
	if n == 0 {
		return "no fields"
	}
	return ""
}

// storePairs stores the checked pairs of b under proto.
func storePairs(m map[string]map[string]int64, proto, b []byte) {
	fields := m[string(proto)]
	if fields == nil {
		fields = map[string]int64{}
		m[string(proto)] = fields
	}
	for {
		name, rest := cutField(b)
		if len(name) == 0 {
			return
		}
		val, rest := cutField(rest)
		fields[string(name)], _ = parseInt(val)
		b = rest
	}
}
