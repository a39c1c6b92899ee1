package parse

import (
	"reflect"
	"strings"
	"testing"

	"github.com/netsnap/netsnap/analysis/model"
)

func TestSockstat(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     model.Sockstat
		problems []string
	}{
		{
			name: "sockstat",
			in: "sockets: used 1602\nTCP: inuse 35 orphan 0 tw 4 alloc 59 mem 22\nUDP: inuse 12 mem 62\n" +
				"UDPLITE: inuse 0\nRAW: inuse 0\nFRAG: inuse 0 memory 0\n",
			want: model.Sockstat{SocketsUsed: 1602, Proto: map[string]map[string]int64{
				"TCP": {"inuse": 35, "orphan": 0, "tw": 4, "alloc": 59, "mem": 22}, "UDP": {"inuse": 12, "mem": 62},
				"UDPLITE": {"inuse": 0}, "RAW": {"inuse": 0}, "FRAG": {"inuse": 0, "memory": 0},
			}},
		},
		{
			name: "sockstat6, trailing blanks, no final newline",
			in:   "TCP6: inuse 17  \nFRAG6: inuse 0 memory 0",
			want: model.Sockstat{Proto: map[string]map[string]int64{"TCP6": {"inuse": 17}, "FRAG6": {"inuse": 0, "memory": 0}}},
		},
		{
			name: "malformed",
			in:   "sockets: used x\nTCP: inuse 35 orphan\nUDP: inuse 1.5\nRAW:\nnonsense\n\nTCP: inuse 3\n",
			want: model.Sockstat{Proto: map[string]map[string]int64{"TCP": {"inuse": 3}}},
			problems: []string{`sockets: field "used": bad value "x"`, `TCP: field "orphan" without a value`, "UDP: field",
				"RAW: no fields", "want \"PROTO:"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Problems{}
			got, err := Sockstat(strings.NewReader(tt.in), p)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Sockstat =\n%+v\nwant\n%+v", got, tt.want)
			}
			wantProblems(t, p, tt.problems...)
		})
	}
}

func TestSockstatCorpus(t *testing.T) {
	var files []string
	for _, pat := range []string{
		"procfs/proc/net/sockstat*", "procfs-node_exporter/collector/fixtures/proc/net/sockstat*",
		"procfs-hotsos/tests/unit/fake_data_root/*/proc/*/net/sockstat*",
		"procfs-hotsos/tests/unit/fake_data_root/*/*/proc/*/net/sockstat*",
	} {
		files = append(files, netCorpus(t, pat)...)
	}
	for _, path := range files {
		p := &Problems{File: path}
		s, err := Sockstat(openFile(t, path), p)
		if err != nil {
			t.Fatal(err)
		}
		if p.Count != 0 || len(s.Proto) == 0 {
			t.Errorf("%s: %d protocols\n%s", path, len(s.Proto), p)
		}
	}

	// node_exporter's expected values: node_sockstat_<PROTO>_<field>.
	dir := "procfs-node_exporter/collector/fixtures/proc/net/"
	var all model.Sockstat
	for _, name := range []string{"sockstat", "sockstat6"} {
		s, err := Sockstat(openFile(t, netCorpus(t, dir+name)[0]), nil)
		if err != nil {
			t.Fatal(err)
		}
		if name == "sockstat" {
			all = s
			continue
		}
		for k, v := range s.Proto {
			all.Proto[k] = v
		}
	}
	checked := 0
	for key, want := range e2eMetrics(t) {
		rest, ok := strings.CutPrefix(key, "node_sockstat_")
		if !ok || strings.HasSuffix(rest, "_mem_bytes") {
			continue
		}
		var got int64
		if rest == "sockets_used" {
			got, ok = all.SocketsUsed, true
		} else {
			proto, field, _ := strings.Cut(rest, "_")
			got, ok = all.Get(proto, field)
		}
		if !ok || float64(got) != want {
			t.Errorf("%s = %d, %v; e2e-output says %v", key, got, ok, want)
		}
		checked++
	}
	if checked < 18 {
		t.Errorf("checked only %d e2e values", checked)
	}
}

func TestSockstatLive(t *testing.T) {
	for _, name := range []string{"sockstat", "sockstat6"} {
		p := &Problems{File: name}
		s, err := Sockstat(liveProc(t, "/proc/net/"+name), p)
		if err != nil {
			t.Fatal(err)
		}
		if p.Count != 0 || len(s.Proto) == 0 {
			t.Errorf("live /proc/net/%s: %+v\n%s", name, s, p)
		}
	}
}
