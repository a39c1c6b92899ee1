package parse

import (
	"reflect"
	"strings"
	"testing"

	"github.com/netsnap/netsnap/analysis/model"
)

func TestSlabinfo(t *testing.T) {
	const hdr21 = "slabinfo - version: 2.1\n# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n"
	tests := []struct {
		name     string
		in       string
		want     []model.Slab
		problems []string
	}{
		{
			name: "2.1 (SLUB)",
			in: hdr21 + "tw_sock_TCP          704    864    256   32    2 : tunables    0    0    0 : slabdata     27     27      0\n" +
				"nf_conntrack       65422  65536    320   25    2 : tunables    0    0    0 : slabdata   2622   2622      0",
			want: []model.Slab{
				{Name: "tw_sock_TCP", ActiveObjs: 704, NumObjs: 864, ObjSize: 256, ObjPerSlab: 32, PagesPerSlab: 2},
				{Name: "nf_conntrack", ActiveObjs: 65422, NumObjs: 65536, ObjSize: 320, ObjPerSlab: 25, PagesPerSlab: 2},
			},
		},
		{
			name: "2.0 (old SLAB, statistics columns)",
			in: "slabinfo - version: 2.0\n# name <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <batchcount> <limit> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n" +
				"ip_conntrack         120    150    256   15    1 : tunables  120   60    8 : slabdata     10     10      0 : globalstat 1 2 3\n",
			want: []model.Slab{{Name: "ip_conntrack", ActiveObjs: 120, NumObjs: 150, ObjSize: 256, ObjPerSlab: 15, PagesPerSlab: 1}},
		},
		{
			name:     "1.1 is another layout",
			in:       "slabinfo - version: 1.1\nkmem_cache 59 78 100 2 2 1\n",
			problems: []string{`unsupported slabinfo version "1.1"`},
		},
		{
			name: "malformed rows and a missing header",
			in: "tw_sock_TCP          704    864    256   32\n" +
				"tw_sock_TCP          704    x    256   32    2\n" +
				"ok 1 2 3 4 5\n",
			want:     []model.Slab{{Name: "ok", ActiveObjs: 1, NumObjs: 2, ObjSize: 3, ObjPerSlab: 4, PagesPerSlab: 5}},
			problems: []string{`column 6: bad number ""`, `column 3: bad number "x"`, "missing"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Problems{}
			got, err := Slabinfo(strings.NewReader(tt.in), p)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Slabinfo =\n%+v\nwant\n%+v", got, tt.want)
			}
			wantProblems(t, p, tt.problems...)
		})
	}
}

func TestSlabinfoCorpus(t *testing.T) {
	files := netCorpus(t, "procfs/proc/slabinfo")
	files = append(files, netCorpus(t, "procfs-node_exporter/collector/fixtures/proc/slabinfo")...)
	files = append(files, netCorpus(t, "procfs-hotsos/tests/unit/fake_data_root/*/proc/slabinfo")...)
	for _, path := range files {
		p := &Problems{File: path}
		slabs, err := Slabinfo(openFile(t, path), p)
		if err != nil {
			t.Fatal(err)
		}
		if p.Count != 0 || len(slabs) < 4 {
			t.Errorf("%s: %d slabs\n%s", path, len(slabs), p)
		}
	}
	if len(files) != 4 {
		t.Errorf("%d slabinfo files, want 4", len(files))
	}

	m := e2eMetrics(t)
	slabs, err := Slabinfo(openFile(t, netCorpus(t, "procfs-node_exporter/collector/fixtures/proc/slabinfo")[0]), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range slabs {
		l := `{slab="` + s.Name + `"}`
		for name, got := range map[string]int64{
			"active_objects": s.ActiveObjs, "objects": s.NumObjs, "object_size_bytes": s.ObjSize,
			"objects_per_slab": s.ObjPerSlab, "pages_per_slab": s.PagesPerSlab,
		} {
			if want, ok := m["node_slabinfo_"+name+l]; !ok || float64(got) != want {
				t.Errorf("%s %s = %d; e2e-output says %v (%v)", s.Name, name, got, want, ok)
			}
		}
	}
	if len(slabs) != 4 {
		t.Errorf("node_exporter slabinfo: %d slabs, want 4", len(slabs))
	}
}

func TestSlabinfoLive(t *testing.T) {
	p := &Problems{}
	slabs, err := Slabinfo(liveProc(t, "/proc/slabinfo"), p)
	if err != nil {
		t.Fatal(err)
	}
	if p.Count != 0 || len(slabs) == 0 {
		t.Errorf("live slabinfo: %d slabs\n%s", len(slabs), p)
	}
}
