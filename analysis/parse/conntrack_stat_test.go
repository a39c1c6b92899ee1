package parse

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/netsnap/netsnap/analysis/model"
)

func TestConntrackStat(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     model.ConntrackStat
		problems []string
	}{
		{
			name: "6.x header (clashres, chainlength), entries not summed",
			in: "entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart\n" +
				"0000ff8e  00000001 00000000 00000000 00000002 00000000 00000000 00000003 00000000 00000000 00000010 00000000 00000000  00000000 00000000 00000000 00000000\n" +
				"0000ff8e  00000000 00000000 00000000 00000001 00000000 00000000 00000004 00000000 00000000 00000020 00000001 00000000  00000000 00000000 00000000 00000001",
			want: model.ConntrackStat{"entries": 65422, "clashres": 1, "found": 0, "new": 0, "invalid": 3, "ignore": 0, "delete": 0,
				"chainlength": 7, "insert": 0, "insert_failed": 0, "drop": 0x30, "early_drop": 1, "icmp_error": 0,
				"expect_new": 0, "expect_create": 0, "expect_delete": 0, "search_restart": 1},
		},
		{
			name: "2.6 ip_conntrack: 16 columns",
			in: "entries  searched found new invalid ignore delete delete_list insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete\n" +
				"00000078  0000a1b2 00012345 00000100 00000000 00000000 000000f0 000000f0 00000100 00000000 00000000 00000000 00000000  00000000 00000000 00000000\n",
			want: model.ConntrackStat{"entries": 120, "searched": 0xa1b2, "found": 0x12345, "new": 0x100, "invalid": 0, "ignore": 0,
				"delete": 0xf0, "delete_list": 0xf0, "insert": 0x100, "insert_failed": 0, "drop": 0, "early_drop": 0, "icmp_error": 0,
				"expect_new": 0, "expect_create": 0, "expect_delete": 0},
		},
		{
			name: "malformed",
			in: "00000001 00000002\n" +
				"entries drop\n" +
				"00000005\n" +
				"00000005 0000000x\n" +
				"\n" +
				"00000005 00000007\n" +
				"00000009 00000001\n",
			want:     model.ConntrackStat{"entries": 5, "drop": 8},
			problems: []string{"values before the header", "1 values for 2 columns", `column 2: bad hex value "0000000x"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Problems{}
			got, err := ConntrackStat(strings.NewReader(tt.in), p)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ConntrackStat =\n%v\nwant\n%v", got, tt.want)
			}
			wantProblems(t, p, tt.problems...)
		})
	}
}

func TestConntrackStatCorpus(t *testing.T) {
	path := netCorpus(t, "procfs-node_exporter/collector/fixtures/proc/net/stat/nf_conntrack")[0]
	p := &Problems{File: path}
	st, err := ConntrackStat(openFile(t, path), p)
	if err != nil {
		t.Fatal(err)
	}
	if p.Count != 0 || len(st) != 17 {
		t.Errorf("%s: %d columns, want 17\n%s", path, len(st), p)
	}
	// entries is repeated per CPU (0x21 on each of the 4 rows), not summed.
	// (node_nf_conntrack_entries comes from nf_conntrack_count instead.)
	if st["entries"] != 0x21 {
		t.Errorf("entries = %d, want 33", st["entries"])
	}
	checked := 0
	for key, want := range e2eMetrics(t) {
		name, ok := strings.CutPrefix(key, "node_nf_conntrack_stat_")
		if !ok {
			continue
		}
		if got, ok := st[name]; !ok || float64(got) != want {
			t.Errorf("%s = %d, %v; e2e-output says %v", name, got, ok, want)
		}
		checked++
	}
	if checked < 8 {
		t.Errorf("checked only %d e2e values", checked)
	}
}

func TestConntrackStatLive(t *testing.T) {
	for _, path := range []string{"/proc/net/stat/nf_conntrack", "/proc/net/stat/ip_conntrack"} {
		f, err := os.Open(path)
		if err != nil {
			t.Logf("%s: %v", path, err)
			continue
		}
		defer f.Close()
		p := &Problems{File: path}
		st, err := ConntrackStat(f, p)
		if err != nil {
			t.Fatal(err)
		}
		if p.Count != 0 || len(st) == 0 {
			t.Errorf("live %s: %v\n%s", path, st, p)
		}
	}
}
