package parse

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/netsnap/netsnap/analysis/model"
)

func TestSoftnet(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     []model.Softnet
		problems []string
	}{
		{
			name: "6.x: 15 columns, CPU in column 13 (CPU 1 offline)",
			in: "00638b16 00000002 00000003 00000000 00000000 00000000 00000000 00000000 00000000 00000004 00000005 00000000 00000000 00000000 00000000\n" +
				"00556605 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000002 00000000 00000000\n",
			want: []model.Softnet{
				{CPU: 0, Processed: 0x638b16, Dropped: 2, TimeSqueeze: 3, ReceivedRPS: 4, FlowLimit: 5},
				{CPU: 2, Processed: 0x556605},
			},
		},
		{
			name: "2.6.32: 9 columns, 2.6.35: 10, 3.11: 11; no final newline",
			in: "01663fb2 00000000 000109a4 00000000 00000000 00000000 00000000 00000000 00020e76\n" +
				"00008e78 00000001 00000011 00000000 00000000 00000000 00000000 00000000 00000020 00000010\n" +
				"00015c73 00020e76 f0000769 00000000 00000000 00000000 00000000 00000000 00000004 00000003 00000002",
			want: []model.Softnet{
				{CPU: 0, Processed: 0x1663fb2, TimeSqueeze: 0x109a4},
				{CPU: 1, Processed: 0x8e78, Dropped: 1, TimeSqueeze: 0x11, ReceivedRPS: 0x10},
				{CPU: 2, Processed: 0x15c73, Dropped: 0x20e76, TimeSqueeze: 0xf0000769, ReceivedRPS: 3, FlowLimit: 2},
			},
		},
		{
			name: "malformed rows keep their CPU index",
			in: "00015c73 00020e76 F0000769 00000000\n" +
				"00000001 0000000g 00000000 00000000 00000000 00000000 00000000 00000000 00000000\n" +
				"\n" +
				"00000007 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000\n",
			want:     []model.Softnet{{CPU: 2, Processed: 7}},
			problems: []string{"4 columns, want at least 9", `column 2: bad hex value "0000000g"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Problems{}
			got, err := Softnet(strings.NewReader(tt.in), p)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Softnet =\n%+v\nwant\n%+v", got, tt.want)
			}
			wantProblems(t, p, tt.problems...)
		})
	}
}

func TestSoftnetCorpus(t *testing.T) {
	var files []string
	for _, pat := range []string{
		"procfs/proc/net/softnet_stat", "procfs-node_exporter/collector/fixtures/proc/net/softnet_stat",
		"procfs-hotsos/tests/unit/fake_data_root/*/proc/*/net/softnet_stat",
		"procfs-hotsos/tests/unit/fake_data_root/*/*/proc/*/net/softnet_stat",
	} {
		files = append(files, netCorpus(t, pat)...)
	}
	for _, path := range files {
		p := &Problems{File: path}
		rows, err := Softnet(openFile(t, path), p)
		if err != nil {
			t.Fatal(err)
		}
		if p.Count != 0 || len(rows) == 0 {
			t.Errorf("%s: %d rows\n%s", path, len(rows), p)
		}
	}

	// procfs's fixture mixes 13, 11, 9 and 10 columns.
	rows, err := Softnet(openFile(t, netCorpus(t, "procfs/proc/net/softnet_stat")[0]), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []model.Softnet{
		{CPU: 0, Processed: 0x358fe3, Dropped: 0x6283, ReceivedRPS: 0x855fc, FlowLimit: 0x76},
		{CPU: 1, Processed: 0x953d1a, Dropped: 0x446, TimeSqueeze: 0xb1, ReceivedRPS: 0x8eeb9a, FlowLimit: 0x2b},
		{CPU: 2, Processed: 0x15c73, Dropped: 0x20e76, TimeSqueeze: 0xf0000769, ReceivedRPS: 3, FlowLimit: 2},
		{CPU: 3, Processed: 0x1663fb2, TimeSqueeze: 0x109a4},
		{CPU: 4, Processed: 0x8e78, Dropped: 1, TimeSqueeze: 0x11, ReceivedRPS: 0x10},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("procfs softnet_stat =\n%+v\nwant\n%+v", rows, want)
	}
	p := &Problems{}
	if rows, _ := Softnet(openFile(t, netCorpus(t, "procfs/proc/net/softnet_stat.broken")[0]), p); len(rows) != 0 {
		t.Errorf("softnet_stat.broken gave %+v", rows)
	}
	wantProblems(t, p, "4 columns")

	// node_exporter's expected values, per CPU.
	m := e2eMetrics(t)
	rows, err = Softnet(openFile(t, netCorpus(t, "procfs-node_exporter/collector/fixtures/proc/net/softnet_stat")[0]), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		cpu := `{cpu="` + strconv.Itoa(r.CPU) + `"}`
		for name, got := range map[string]uint64{
			"processed_total": r.Processed, "dropped_total": r.Dropped, "times_squeezed_total": r.TimeSqueeze,
			"received_rps_total": r.ReceivedRPS, "flow_limit_count_total": r.FlowLimit,
		} {
			want, ok := m["node_softnet_"+name+cpu]
			if !ok || float64(got) != want {
				t.Errorf("cpu %d %s = %d; e2e-output says %v (%v)", r.CPU, name, got, want, ok)
			}
		}
	}
	if len(rows) != 4 {
		t.Errorf("node_exporter softnet_stat: %d rows, want 4", len(rows))
	}
}

func TestSoftnetLive(t *testing.T) {
	p := &Problems{}
	rows, err := Softnet(liveProc(t, "/proc/net/softnet_stat"), p)
	if err != nil {
		t.Fatal(err)
	}
	if p.Count != 0 || len(rows) == 0 {
		t.Errorf("live softnet_stat: %+v\n%s", rows, p)
	}
}
