package facts

import (
	"encoding/json"
	"net/netip"
	"testing"
	"time"

	"github.com/netsnap/netsnap/analysis/model"
	"github.com/netsnap/netsnap/analysis/report"
)

// chartHost is a proxy sampled twice, 2 s apart: TIME_WAIT toward kafka
// and mysql, ports toward kafka, conntrack loaded, ActiveOpens rising.
func chartHost(samples int) *model.Host {
	kafka := netip.MustParseAddrPort("10.0.0.1:9092")
	mysql := netip.MustParseAddrPort("10.0.0.2:3306")
	local := netip.MustParseAddr("10.0.0.9")
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	h := &model.Host{Sysctls: model.Sysctls{
		"net.ipv4.tcp_max_tw_buckets":    "1000",
		"net.ipv4.ip_local_port_range":   "32768\t32867",
		"net.netfilter.nf_conntrack_max": "200",
	}}
	for i := range samples {
		tcp := &model.TCPSample{
			TimeWaitByService: map[model.Endpoint]int{kafka: 400 + 100*i, mysql: 100},
			Incoming:          map[model.Endpoint]bool{},
			PortUse:           map[model.Dest]int{{Local: local, Remote: kafka}: 50 + 10*i},
		}
		tcp.States[model.Established] = 10 + 2*i
		tcp.States[model.TimeWait] = 500 + 100*i
		tcp.Total = tcp.States[model.Established] + tcp.States[model.TimeWait]
		h.Samples = append(h.Samples, model.Sample{
			Index: i + 1, Time: t0.Add(time.Duration(2*i) * time.Second), Uptime: 1000 + 2*float64(i),
			TCP:            tcp,
			Counters:       model.Counters{"Tcp": {"ActiveOpens": 1000 + 100*int64(i)}},
			ConntrackCount: 150 + 30*int64(i),
		})
	}
	return h
}

func chartIDs(cs []report.Chart) []string {
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids
}

func asJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestCharts checks every chart's numbers against the host they come from.
func TestCharts(t *testing.T) {
	f := Compute(chartHost(2), nil)
	want := []report.Chart{
		{ID: "tcp_states", Title: "TCP sockets by state, per sample", Kind: report.Stacked, Unit: "sockets",
			Categories: []string{"sample 1", "sample 2"},
			Series:     []report.Series{{Name: "ESTABLISHED", Values: []float64{10, 12}}, {Name: "TIME_WAIT", Values: []float64{500, 600}}}},
		{ID: "time_wait_by_service", Title: "TIME_WAIT by service", Kind: report.Bars, Unit: "sockets",
			Categories: []string{"all services", "10.0.0.1:9092 kafka", "10.0.0.2:3306 mysql"},
			Series:     []report.Series{{Name: "sockets", Values: []float64{600, 500, 100}}},
			Limits:     []report.Limit{{Name: "tcp_max_tw_buckets", Value: 1000}},
			Note:       "In the sample with the most TIME_WAIT (600)."},
		{ID: "ports_by_destination", Title: "Ephemeral ports in use by destination", Kind: report.Bars, Unit: "ports",
			Categories: []string{"10.0.0.1:9092 kafka"},
			Series:     []report.Series{{Name: "ports", Values: []float64{60}}},
			Limits:     []report.Limit{{Name: "ephemeral range", Value: 100}},
			Note:       "Ephemeral range 32768-32867: 100 ports per (local address, destination)."},
		{ID: "conntrack", Title: "Connection tracking entries, per sample", Kind: report.Bars, Unit: "entries",
			Categories: []string{"sample 1", "sample 2"},
			Series:     []report.Series{{Name: "entries", Values: []float64{150, 180}}},
			Limits:     []report.Limit{{Name: "nf_conntrack_max", Value: 200}}},
		{ID: "counter_rates", Title: "TCP counters per second during the capture", Kind: report.Bars, Unit: "per second",
			Categories: []string{"Tcp ActiveOpens"},
			Series:     []report.Series{{Name: "per second", Values: []float64{50}}},
			Note:       "Rise per second from the first to the last sample (2.0 s)."},
	}
	if got, w := asJSON(f.Charts), asJSON(want); got != w {
		t.Errorf("Compute(host).Charts =\n%s\nwant\n%s", got, w)
	}
}

// TestChartsOneSample: no rate without a second sample, no conntrack
// chart when conntrack is not loaded.
func TestChartsOneSample(t *testing.T) {
	h := chartHost(1)
	h.Samples[0].ConntrackCount = -1
	f := Compute(h, nil)
	if got, want := asJSON(chartIDs(f.Charts)), `["tcp_states","time_wait_by_service","ports_by_destination"]`; got != want {
		t.Errorf("charts of a one-sample host without conntrack: %s, want %s", got, want)
	}
}

// TestChartsTopServices: the TIME_WAIT chart shows the busiest services
// only, and says how many there are.
func TestChartsTopServices(t *testing.T) {
	h := chartHost(1)
	tcp := h.Samples[0].TCP
	for i := range 25 {
		tcp.TimeWaitByService[netip.AddrPortFrom(netip.MustParseAddr("10.1.0.1"), uint16(20000+i))] = 1
	}
	f := Compute(h, nil)
	c := f.Charts[1]
	if c.ID != "time_wait_by_service" || len(c.Categories) != chartTop+1 || c.Note != "Top 10 of 27 services, in the sample with the most TIME_WAIT (500)." {
		t.Errorf("TIME_WAIT chart: %d categories, note %q", len(c.Categories), c.Note)
	}
}

// TestChartsEmptyHost: a host without samples still has its state chart,
// empty, saying why.
func TestChartsEmptyHost(t *testing.T) {
	f := Compute(&model.Host{}, nil)
	if len(f.Charts) != 1 || f.Charts[0].ID != "tcp_states" || len(f.Charts[0].Categories) != 0 || f.Charts[0].Note == "" {
		t.Errorf("charts of an empty host: %s", asJSON(f.Charts))
	}
}
