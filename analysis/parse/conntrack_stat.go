package parse

import (
	"io"

	"github.com/netsnap/netsnap/analysis/model"
)

// ConntrackStat reads /proc/net/stat/nf_conntrack (or the old
// /proc/net/stat/ip_conntrack): a header naming the columns, which differ
// between kernels (2.6 has "searched", newer ones "clashres" and
// "chainlength"), then one row of hex values per CPU. Each column is
// summed over the rows, except "entries", a global count every row
// repeats, which is taken from the first row. A row whose width differs
// from the header's or with a value that is not hex is a problem and
// skipped; without a header nothing can be named and every row is a
// problem.
func ConntrackStat(r io.Reader, p *Problems) (model.ConntrackStat, error) {
	lr := newLineReader(r, p)
	st := model.ConntrackStat{}
	var names []string
	var vals []uint64
	rows := 0
	for {
		line, err := lr.next()
		if err != nil {
			return st, lr.done(err)
		}
		first, _ := cutField(line)
		if len(first) == 0 {
			continue
		}
		if _, ok := parseHex(first, 16); !ok && names == nil {
			for rest := line; ; {
				var f []byte
				f, rest = cutField(rest)
				if len(f) == 0 {
					break
				}
				names = append(names, string(f))
			}
			vals = make([]uint64, len(names))
			continue
		}
		if names == nil {
			p.Addf(lr.n, "values before the header line")
			continue
		}
		n, ok := hexRow(line, vals, p, lr.n)
		if !ok {
			continue
		}
		if n != len(names) {
			p.Addf(lr.n, "%d values for %d columns", n, len(names))
			continue
		}
		for i, name := range names {
			if name == "entries" && rows > 0 {
				continue
			}
			st[name] += vals[i]
		}
		rows++
	}
}
