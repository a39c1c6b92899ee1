// Package fleet analyses many snapshots in parallel and compares the hosts:
// one row per host, which rules fired where, and which settings differ
// from the majority.
package fleet

import (
	"cmp"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/netsnap/netsnap/analysis"
	"github.com/netsnap/netsnap/analysis/facts"
	"github.com/netsnap/netsnap/analysis/report"
	"github.com/netsnap/netsnap/analysis/rules"
	"github.com/netsnap/netsnap/snapshot"
)

// summary is what is kept of one snapshot once analysed: memory stays flat
// per snapshot however large its tables were.
type summary struct {
	row      report.FleetHost
	findings []report.Finding
	sysctls  map[string]string
}

// Analyze analyses the snapshots with one worker per CPU and compares them.
// progress, when not nil, is called after each snapshot (done, total).
func Analyze(paths []string, set *rules.Set, workers int, progress func(done, total int)) *report.Fleet {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	sums := make([]summary, len(paths))
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for w := 0; w < min(workers, max(1, len(paths))); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				sums[i] = one(paths[i], set)
				mu.Lock()
				done++
				if progress != nil {
					progress(done, len(paths))
				}
				mu.Unlock()
			}
		}()
	}
	for i := range paths {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return compare(sums)
}

func one(path string, set *rules.Set) summary {
	s := summary{row: report.FleetHost{Snapshot: filepath.Base(path), TWLimit: -1, ConntrackPct: -1}}
	snap, err := analysis.OpenSnapshot(path, snapshot.ReadOptions{})
	if err != nil {
		// The row already names the snapshot: keep the reason, not the local path.
		s.row.Error = strings.TrimPrefix(strings.ReplaceAll(err.Error(), path, ""), ": ")
		return s
	}
	defer snap.Close()
	res, err := analysis.Run(snap, set)
	if err != nil {
		s.row.Error = err.Error()
		return s
	}
	f, r := res.Facts, res.Report
	s.row.Hostname, s.row.Kernel, s.row.CaptureStart, s.row.Partial = r.Host.Hostname, r.Host.Kernel, r.Host.CaptureStart, r.Host.Partial
	s.row.Established, s.row.TimeWait, s.row.SynSent, s.row.CloseWait = f.TCP.Established, f.TCP.TimeWait, f.TCP.SynSent, f.TCP.CloseWait
	s.row.TWLimit = f.TW.Limit
	if f.Conntrack.Loaded {
		s.row.ConntrackPct = f.Conntrack.Pct
	}
	s.row.BusiestDest, s.row.BusiestPortPct = f.Ports.Busiest, f.Ports.BusiestPct
	s.row.ListenOverflows, s.row.ListenRising = f.Listen.Overflows.Total, f.Listen.Overflows.Rising
	for _, f := range r.Findings {
		if f.Namespace != "" {
			continue // counted on the namespace's row
		}
		switch f.Severity {
		case report.Critical:
			s.row.Critical++
		case report.Warning:
			s.row.Warning++
		default:
			s.row.Info++
		}
	}
	for i, ns := range res.Host.Namespaces {
		if i >= len(r.Namespaces) {
			break
		}
		rn := r.Namespaces[i]
		nf := facts.Compute(ns, facts.Labels(ns))
		s.row.Namespaces = append(s.row.Namespaces, report.FleetNamespace{
			Name: rn.Name, Kind: rn.Kind,
			Established: nf.TCP.Established, TimeWait: nf.TCP.TimeWait, SynSent: nf.TCP.SynSent, CloseWait: nf.TCP.CloseWait,
			ListenOverflows: nf.Listen.Overflows.Total, ListenRising: nf.Listen.Overflows.Rising,
			Critical: rn.Critical, Warning: rn.Warning, Info: rn.Info,
		})
	}
	s.findings = r.Findings
	s.sysctls = map[string]string{}
	for _, k := range facts.RelevantSysctls {
		if v, ok := res.Host.Sysctls[k]; ok {
			s.sysctls[k] = v
		}
	}
	return s
}

func compare(sums []summary) *report.Fleet {
	out := &report.Fleet{Hosts: []report.FleetHost{}, Findings: []report.FleetFinding{}, Outliers: []report.SysctlOutlier{}}
	// Hosts are named by hostname, or by hostname and snapshot when two snapshots share one.
	seen := map[string]int{}
	for _, s := range sums {
		seen[s.row.Hostname]++
	}
	nameOf := func(s summary) string {
		if s.row.Hostname == "" {
			return s.row.Snapshot
		}
		if seen[s.row.Hostname] > 1 {
			return s.row.Hostname + " (" + s.row.Snapshot + ")"
		}
		return s.row.Hostname
	}
	byID := map[string]*report.FleetFinding{}
	for _, s := range sums {
		out.Hosts = append(out.Hosts, s.row)
		host := nameOf(s)
		for _, f := range s.findings {
			name := host
			if f.Namespace != "" {
				name = host + "/" + f.Namespace
			}
			ff := byID[f.ID]
			if ff == nil {
				ff = &report.FleetFinding{ID: f.ID}
				byID[f.ID] = ff
			}
			ff.Severity = max(ff.Severity, f.Severity)
			if !slices.Contains(ff.Hosts, name) {
				ff.Hosts = append(ff.Hosts, name)
			}
		}
	}
	for _, ff := range byID {
		out.Findings = append(out.Findings, *ff)
	}
	sort.Slice(out.Findings, func(i, j int) bool {
		a, b := out.Findings[i], out.Findings[j]
		return cmp.Or(cmp.Compare(b.Severity, a.Severity), cmp.Compare(len(b.Hosts), len(a.Hosts)), cmp.Compare(a.ID, b.ID)) < 0
	})
	// Settings where some hosts differ from the majority (only among hosts that have the setting).
	for _, k := range facts.RelevantSysctls {
		values := map[string][]string{}
		for _, s := range sums {
			if v, ok := s.sysctls[k]; ok {
				values[v] = append(values[v], nameOf(s))
			}
		}
		if len(values) < 2 {
			continue
		}
		majority, n := "", 0
		for v, hosts := range values {
			if len(hosts) > n || len(hosts) == n && v < majority {
				majority, n = v, len(hosts)
			}
		}
		o := report.SysctlOutlier{Key: k, Majority: majority, Hosts: map[string]string{}}
		for v, hosts := range values {
			if v == majority {
				continue
			}
			for _, h := range hosts {
				o.Hosts[h] = v
			}
		}
		out.Outliers = append(out.Outliers, o)
	}
	return out
}
