package facts

// The charts of a report: the numbers behind the HTML format's figures,
// computed beside the tables they illustrate (tcp, tw, ports, conntrack,
// churn append theirs, in that order) so that no renderer has to parse a
// table's formatted cells back into numbers.

import (
	"fmt"

	"github.com/netsnap/netsnap/analysis/model"
	"github.com/netsnap/netsnap/analysis/report"
)

// chartTop is how many bars a chart of services or destinations shows
// (the tables beside it list more).
const chartTop = 10

// bar is one bar of a bar chart.
type bar struct {
	name  string
	value float64
}

// barChart makes a one-series horizontal bar chart.
func barChart(id, title, unit string, bars []bar, limits []report.Limit, note string) report.Chart {
	ch := report.Chart{ID: id, Title: title, Kind: report.Bars, Unit: unit, Categories: []string{}, Limits: limits, Note: note}
	s := report.Series{Name: unit, Values: []float64{}}
	for _, b := range bars {
		ch.Categories = append(ch.Categories, b.name)
		s.Values = append(s.Values, b.value)
	}
	ch.Series = []report.Series{s}
	return ch
}

// limitOf returns a one-line limit when the value is known (positive).
func limitOf(name string, v int64) []report.Limit {
	if v <= 0 {
		return nil
	}
	return []report.Limit{{Name: name, Value: float64(v)}}
}

// serviceName names a service or destination on a chart: "172.31.1.240:9092 kafka".
func serviceName(ep, label string) string {
	if label == "" {
		return ep
	}
	return ep + " " + label
}

// statesChart stacks each sample's sockets by state, one column per sample;
// states that are zero in every sample are left out.
func statesChart(samples []model.Sample) report.Chart {
	ch := report.Chart{ID: "tcp_states", Title: "TCP sockets by state, per sample", Kind: report.Stacked, Unit: "sockets", Categories: []string{}, Series: []report.Series{}}
	for _, s := range samples {
		ch.Categories = append(ch.Categories, fmt.Sprintf("sample %d", s.Index))
	}
	for _, st := range model.TCPStates {
		ser := report.Series{Name: st.String(), Values: make([]float64, 0, len(samples))}
		nonzero := false
		for _, s := range samples {
			n := s.TCP.States[st]
			nonzero = nonzero || n > 0
			ser.Values = append(ser.Values, float64(n))
		}
		if nonzero {
			ch.Series = append(ch.Series, ser)
		}
	}
	if len(samples) == 0 {
		ch.Note = "No socket table was captured."
	}
	return ch
}

// twChart shows TIME_WAIT in all and for the busiest services against
// tcp_max_tw_buckets; bars are the top services, services their number.
func twChart(total int, limit int64, bars []bar, services int) report.Chart {
	all := []bar{{name: "all services", value: float64(total)}}
	note := fmt.Sprintf("In the sample with the most TIME_WAIT (%d).", total)
	if services > len(bars) {
		note = fmt.Sprintf("Top %d of %d services, in the sample with the most TIME_WAIT (%d).", len(bars), services, total)
	}
	return barChart("time_wait_by_service", "TIME_WAIT by service", "sockets", append(all, bars...), limitOf("tcp_max_tw_buckets", limit), note)
}

// portsChart shows the ephemeral ports the busiest destinations use
// against the number of ports each destination can have.
func portsChart(p *PortFacts, bars []bar) report.Chart {
	note := fmt.Sprintf("Ephemeral range %d-%d: %d ports per (local address, destination).", p.Low, p.High, p.Size)
	if p.Destinations > len(bars) {
		note += fmt.Sprintf(" Top %d of %d destinations.", len(bars), p.Destinations)
	}
	return barChart("ports_by_destination", "Ephemeral ports in use by destination", "ports", bars, limitOf("ephemeral range", p.Size), note)
}

// conntrackChart shows each sample's conntrack count against nf_conntrack_max;
// ok is false when conntrack was not loaded.
func conntrackChart(samples []model.Sample, max int64) (report.Chart, bool) {
	var bars []bar
	for _, s := range samples {
		if s.ConntrackCount >= 0 {
			bars = append(bars, bar{name: fmt.Sprintf("sample %d", s.Index), value: float64(s.ConntrackCount)})
		}
	}
	if len(bars) == 0 {
		return report.Chart{}, false
	}
	return barChart("conntrack", "Connection tracking entries, per sample", "entries", bars, limitOf("nf_conntrack_max", max), ""), true
}

// countersChart shows the TCP counters' rates during the capture; ok is
// false when there is no rate (one sample, a reboot).
func countersChart(bars []bar, seconds float64) (report.Chart, bool) {
	if len(bars) == 0 {
		return report.Chart{}, false
	}
	note := fmt.Sprintf("Rise per second from the first to the last sample (%.1f s).", seconds)
	return barChart("counter_rates", "TCP counters per second during the capture", "per second", bars, nil, note), true
}
