package parse

import (
	"reflect"
	"strings"
	"testing"

	"github.com/netsnap/netsnap/analysis/model"
)

func TestCounters(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     model.Counters
		problems []string
	}{
		{
			name: "netstat and snmp pairs, negative MaxConn, no final newline",
			in: "TcpExt: SyncookiesSent TW ListenOverflows ListenDrops TCPTimeWaitOverflow\n" +
				"TcpExt: 0 388812 1098 1098 3985\n" +
				"IpExt: InNoRoutes InOctets\n" +
				"IpExt: 0 6286396970\n" +
				"Tcp: RtoAlgorithm MaxConn CurrEstab\n" +
				"Tcp: 1 -1 15",
			want: model.Counters{
				"TcpExt": {"SyncookiesSent": 0, "TW": 388812, "ListenOverflows": 1098, "ListenDrops": 1098, "TCPTimeWaitOverflow": 3985},
				"IpExt":  {"InNoRoutes": 0, "InOctets": 6286396970},
				"Tcp":    {"RtoAlgorithm": 1, "MaxConn": -1, "CurrEstab": 15},
			},
		},
		{
			name: "trailing spaces, tabs, blank lines",
			in:   "\nUdp: InDatagrams\tNoPorts  \n\nUdp: 88542 120   \n",
			want: model.Counters{"Udp": {"InDatagrams": 88542, "NoPorts": 120}},
		},
		{
			name: "malformed",
			in: "TcpExt: A B C\n" +
				"TcpExt: 1 2\n" + // count mismatch
				"Tcp: A B\n" +
				"Udp: A\n" + // Tcp header without values
				"Udp: 7\n" +
				"Ip: A B C\n" +
				"Ip: 1 x 3\n" + // one bad value: the others are kept
				"garbage line\n" +
				"Icmp:\n" +
				"Foo: A\n" +
				"Foo: 99999999999999999999\n" +
				"Bar: A", // header at the end
			want: model.Counters{"Udp": {"A": 7}, "Ip": {"A": 1, "C": 3}},
			problems: []string{`TcpExt: 2 values for 3 names`, "Tcp header without a values line", `Ip B: bad value "x"`,
				"want \"Group:", "names no counters", "bad value", "Bar header without"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Problems{}
			got, err := Counters(strings.NewReader(tt.in), p)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Counters =\n%v\nwant\n%v", got, tt.want)
			}
			wantProblems(t, p, tt.problems...)
		})
	}
}

func TestCountersGet(t *testing.T) {
	var nilc model.Counters
	if _, ok := nilc.Get("Tcp", "MaxConn"); ok {
		t.Error("nil Counters has MaxConn")
	}
	c := model.Counters{"Tcp": {"MaxConn": -1}}
	if v, ok := c.Get("Tcp", "MaxConn"); !ok || v != -1 {
		t.Errorf("Get = %d, %v", v, ok)
	}
}

func TestCountersCorpus(t *testing.T) {
	var files []string
	for _, pat := range []string{
		"procfs/proc/26231/net/netstat", "procfs/proc/26231/net/snmp",
		"procfs-node_exporter/collector/fixtures/proc/net/netstat", "procfs-node_exporter/collector/fixtures/proc/net/snmp",
		"procfs-hotsos/tests/unit/fake_data_root/*/proc/*/net/netstat", "procfs-hotsos/tests/unit/fake_data_root/*/proc/*/net/snmp",
		"procfs-hotsos/tests/unit/fake_data_root/*/*/proc/*/net/netstat", "procfs-hotsos/tests/unit/fake_data_root/*/*/proc/*/net/snmp",
	} {
		files = append(files, netCorpus(t, pat)...)
	}
	for _, path := range files {
		p := &Problems{File: path}
		c, err := Counters(openFile(t, path), p)
		if err != nil {
			t.Fatal(err)
		}
		if p.Count != 0 {
			t.Errorf("%s:\n%s", path, p)
		}
		_, tcpext := c.Get("TcpExt", "ListenOverflows")
		_, tcp := c.Get("Tcp", "CurrEstab")
		if !tcpext && !tcp {
			t.Errorf("%s: neither TcpExt ListenOverflows nor Tcp CurrEstab", path)
		}
	}
	t.Logf("%d files", len(files))

	// node_exporter's expected values: node_netstat_<Group>_<Name>.
	dir := "procfs-node_exporter/collector/fixtures/proc/net/"
	all := model.Counters{}
	for _, name := range []string{"netstat", "snmp"} {
		c, err := Counters(openFile(t, netCorpus(t, dir+name)[0]), nil)
		if err != nil {
			t.Fatal(err)
		}
		for g, m := range c {
			all[g] = m
		}
	}
	checked := 0
	for key, want := range e2eMetrics(t) {
		rest, ok := strings.CutPrefix(key, "node_netstat_")
		if !ok {
			continue
		}
		group, name, _ := strings.Cut(rest, "_")
		if all[group] == nil {
			continue // Ip6, Icmp6, Udp6...: snmp6, another format
		}
		got, ok := all.Get(group, name)
		if !ok || float64(got) != want {
			t.Errorf("%s %s = %d, %v; e2e-output says %v", group, name, got, ok, want)
		}
		checked++
	}
	if checked < 25 {
		t.Errorf("checked only %d e2e values", checked)
	}
}

func TestCountersLive(t *testing.T) {
	for _, name := range []string{"netstat", "snmp"} {
		p := &Problems{File: name}
		c, err := Counters(liveProc(t, "/proc/net/"+name), p)
		if err != nil {
			t.Fatal(err)
		}
		if p.Count != 0 {
			t.Errorf("live /proc/net/%s:\n%s", name, p)
		}
		if len(c) == 0 {
			t.Errorf("live /proc/net/%s: no counters", name)
		}
	}
}
