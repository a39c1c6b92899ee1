package analysis

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/netsnap/netsnap/analysis/model"
	"github.com/netsnap/netsnap/analysis/parse"
)

// sequentialAndParallel parses in with parse.TCPTable and with
// parseTableParallel and fails when the sockets (in order), the problems
// or the errors differ.
func sequentialAndParallel(t *testing.T, in []byte) int {
	t.Helper()
	var seq, par []model.Socket
	ps, pp := &parse.Problems{File: "x"}, &parse.Problems{File: "x"}
	es := parse.TCPTable(bytes.NewReader(in), ps, func(s *model.Socket) { seq = append(seq, *s) })
	ep := parseTableParallel(bytes.NewReader(in), pp, func(s *model.Socket) { par = append(par, *s) })
	if fmt.Sprint(es) != fmt.Sprint(ep) {
		t.Fatalf("errors differ: %v / %v", es, ep)
	}
	if len(seq) != len(par) {
		t.Fatalf("%d sockets sequentially, %d in parallel", len(seq), len(par))
	}
	for i := range seq {
		if seq[i] != par[i] {
			t.Fatalf("socket %d differs:\n %+v\n %+v", i, seq[i], par[i])
		}
	}
	if ps.String() != pp.String() {
		t.Fatalf("problems differ:\n%s\n---\n%s", ps.String(), pp.String())
	}
	return len(seq)
}

func TestParseTableParallel(t *testing.T) {
	big := benchTable(60_000) // several blocks
	lines := strings.Split(string(big), "\n")
	for i := 1000; i < len(lines); i += 7919 {
		lines[i] = "ESTABLISHED\tbroken" // malformed lines in several blocks
	}
	long := "LISTEN\t" + strings.Repeat("9", 200<<10) // longer than a block and than a line may be
	cases := map[string]string{
		"big":              string(big),
		"malformed":        strings.Join(lines, "\n"),
		"no final newline": strings.TrimSuffix(string(big), "\n"),
		"long line":        strings.Join(lines[:3000], "\n") + "\n" + long + "\n" + strings.Join(lines[3000:6000], "\n"),
		"future version":   "# netsnap tcp v2 (x)\n" + strings.Join(lines[1:10], "\n"),
		"crlf":             strings.ReplaceAll(strings.Join(lines[:5000], "\n"), "\n", "\r\n"),
		"empty":            "",
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			n := sequentialAndParallel(t, []byte(in))
			if name == "big" && n != 60_002 {
				t.Errorf("%d sockets, want 60002", n)
			}
		})
	}
}

func FuzzParseTableParallel(f *testing.F) {
	f.Add(benchTable(50))
	f.Add([]byte("# netsnap tcp v1 (x)\nLISTEN\t0.0.0.0:80\t0.0.0.0:0\t0\t511\t0\t0\t0\t0\t1\nbroken\n"))
	f.Add([]byte("# netsnap tcp v3\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		sequentialAndParallel(t, in)
	})
}
