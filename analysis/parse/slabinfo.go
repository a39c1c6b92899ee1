package parse

import (
	"bytes"
	"io"

	"github.com/netsnap/netsnap/analysis/model"
)

// Slabinfo reads /proc/slabinfo, versions 2.0 and 2.1: a "slabinfo -
// version: 2.x" header, "#" comment lines, then one row per cache of which
// the name and the five numbers before ": tunables" are read. Another
// version is a problem and yields no slabs (its columns mean other
// things); a row without a name and five decimal numbers is a problem and
// skipped.
func Slabinfo(r io.Reader, p *Problems) ([]model.Slab, error) {
	lr := newLineReader(r, p)
	var out []model.Slab
	header := false
	for {
		line, err := lr.next()
		if err != nil {
			if !header && len(out) > 0 {
				p.Addf(1, "missing \"slabinfo - version:\" header")
			}
			return out, lr.done(err)
		}
		name, rest := cutField(line)
		if len(name) == 0 || name[0] == '#' {
			continue
		}
		if string(name) == "slabinfo" {
			v := bytes.TrimSpace(rest)
			if !bytes.HasPrefix(v, []byte("- version: 2.")) {
				p.Addf(lr.n, "unsupported slabinfo version %q, want 2.x", bytes.TrimPrefix(v, []byte("- version: ")))
				return nil, nil
			}
			header = true
			continue
		}
		var nums [5]int64
		bad := false
		for i := range nums {
			var f []byte
			f, rest = cutField(rest)
			v, ok := parseInt(f)
			if !ok || v < 0 {
				p.Addf(lr.n, "%s: column %d: bad number %q", name, i+2, f)
				bad = true
				break
			}
			nums[i] = v
		}
		if bad {
			continue
		}
		out = append(out, model.Slab{
			Name:         string(name),
			ActiveObjs:   nums[0],
			NumObjs:      nums[1],
			ObjSize:      nums[2],
			ObjPerSlab:   nums[3],
			PagesPerSlab: nums[4],
		})
	}
}
