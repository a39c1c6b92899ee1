// Package analysis turns a snapshot into a report: it loads the host model
// (Load), computes the facts, evaluates the rules and assembles the report.
package analysis

import (
	"math"
	"path/filepath"

	"github.com/netsnap/netsnap/analysis/facts"
	"github.com/netsnap/netsnap/analysis/model"
	"github.com/netsnap/netsnap/analysis/report"
	"github.com/netsnap/netsnap/analysis/rules"
	"github.com/netsnap/netsnap/snapshot"
)

// Sections are the host-fact tables every report shows, in order.
var Sections = []string{"tcp_states", "listeners", "time_wait_by_service", "time_wait_by_peer", "ports_by_destination", "conntrack", "counters", "kernel_log", "sysctls"}

// NginxSections are shown, before the sysctls, when an nginx configuration was captured.
var NginxSections = []string{"nginx_upstreams", "nginx_passes", "nginx_listen", "nginx_workers", "nginx_errors"}

// Analyze reads a snapshot and evaluates the rule set against it.
func Analyze(snap *snapshot.Snapshot, set *rules.Set) (*report.Report, error) {
	res, err := Run(snap, set)
	if err != nil {
		return nil, err
	}
	return res.Report, nil
}

// Result is the analysis of one snapshot with what it was computed from
// (diff and fleet compare those).
type Result struct {
	Report *report.Report
	Host   *model.Host
	Facts  *facts.Facts
}

// Run reads a snapshot and evaluates the rule set against it.
func Run(snap *snapshot.Snapshot, set *rules.Set) (*Result, error) {
	h, err := Load(snap)
	if err != nil {
		return nil, err
	}
	// The report names the snapshot by its file name: reports travel to tickets, local paths need not.
	r, f := evaluate(filepath.Base(snap.Path), h, set)
	return &Result{Report: r, Host: h, Facts: f}, nil
}

// Report evaluates the rules against a loaded host.
func Report(name string, h *model.Host, set *rules.Set) *report.Report {
	r, _ := evaluate(name, h, set)
	return r
}

func evaluate(name string, h *model.Host, set *rules.Set) (*report.Report, *facts.Facts) {
	f := facts.Compute(h, facts.Labels(h))
	findings, suppressed, ruleProblems := set.Evaluate(f)
	r := &report.Report{
		Host:       hostInfo(name, h),
		Findings:   findings,
		Suppressed: suppressed,
		Sections:   []report.Table{},
		Problems:   []report.Problem{},
		Charts:     f.Charts,
		Facts:      factsMap(f),
	}
	ids := Sections
	if f.Nginx.Present {
		ids = append(append([]string{}, Sections[:len(Sections)-1]...), NginxSections...)
		ids = append(ids, Sections[len(Sections)-1])
	}
	for _, id := range ids {
		if t, ok := f.Tables[id]; ok {
			r.Sections = append(r.Sections, t)
		}
	}
	for _, p := range h.Problems {
		r.Problems = append(r.Problems, report.Problem{File: p.File, Line: p.Line, Message: p.Message})
	}
	r.Problems = append(r.Problems, ruleProblems...)
	if len(h.Namespaces) > 0 {
		addNamespaces(name, r, h, set)
	}
	return r, f
}

func hostInfo(name string, h *model.Host) report.Host {
	hi := report.Host{
		Snapshot:      name,
		Hostname:      h.Hostname,
		Kernel:        h.KernelRelease,
		OS:            h.OS,
		CPUs:          h.CPUs,
		CaptureStart:  h.CaptureStart,
		CaptureEnd:    h.CaptureEnd,
		Samples:       len(h.Samples),
		Live:          h.Live,
		Partial:       h.Partial,
		PartialReason: h.PartialReason,
		Collector:     h.Collector,
	}
	if n := len(h.Samples); n > 0 {
		hi.UptimeSeconds = h.Samples[n-1].Uptime
		if n > 1 {
			d := h.Samples[n-1].Time.Sub(h.Samples[0].Time).Seconds() / float64(n-1)
			hi.IntervalSeconds = math.Round(d*10) / 10
		}
	}
	return hi
}

// factsMap exposes the facts in JSON under their expression names.
func factsMap(f *facts.Facts) map[string]any {
	return map[string]any{
		"host": f.Host, "sysctl": f.Sysctl, "tcp": f.TCP, "tw": f.TW, "ports": f.Ports,
		"listen": f.Listen, "syn": f.Syn, "conntrack": f.Conntrack, "sockstat": f.Sockstat,
		"churn": f.Churn, "syn_sent": f.SynSent, "close_wait": f.CloseWait, "kernel": f.Kernel, "nginx": f.Nginx,
	}
}
