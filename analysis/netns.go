package analysis

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/netsnap/netsnap/analysis/model"
	"github.com/netsnap/netsnap/analysis/report"
	"github.com/netsnap/netsnap/analysis/rules"
)

// NamespaceSections are the tables a namespace's part of the report shows
// (the host-wide ones, kernel log and conntrack table, stay with the host).
var NamespaceSections = []string{"tcp_states", "listeners", "time_wait_by_service", "time_wait_by_peer", "ports_by_destination", "counters", "sysctls"}

// addNamespaces evaluates the rules against each of the host's other
// network namespaces, appends their findings after the host's (Namespace
// set), describes them in r.Namespaces and ties findings across them.
func addNamespaces(name string, r *report.Report, h *model.Host, set *rules.Set) {
	used := map[string]bool{}
	seenProblem := map[string]bool{}
	for _, p := range r.Problems {
		seenProblem[p.File+"\x00"+p.Message] = true
	}
	for _, ns := range h.Namespaces {
		nr, nf := evaluate(name, ns, set)
		id := uniqueName(ns.NetNS, used)
		rn := report.Namespace{
			Name: id, Kind: ns.NetNS.Kind, Inode: ns.NetNS.Inode, Container: ns.NetNS.Container, ContainerID: ns.NetNS.ContainerID,
			Pod: ns.NetNS.Pod, PodNamespace: ns.NetNS.PodNamespace, PIDs: ns.NetNS.PIDs, Addresses: []string{},
			Sections: []report.Table{}, Problems: []report.Problem{}, Facts: nr.Facts,
		}
		if rn.PIDs == nil {
			rn.PIDs = []int{}
		}
		for _, a := range ns.NetNS.Addrs {
			rn.Addresses = append(rn.Addresses, a.String())
		}
		rn.Listeners = []string{}
		for _, smp := range ns.Samples {
			if smp.TCP != nil && smp.TCP.Total >= rn.TCPSockets {
				rn.TCPSockets = smp.TCP.Total
				rn.Listeners = rn.Listeners[:0]
				for _, l := range smp.TCP.Listen {
					rn.Listeners = append(rn.Listeners, l.Local.String())
				}
			}
		}
		netSettings := false
		for k := range ns.Sysctls {
			netSettings = netSettings || strings.HasPrefix(k, "net.")
		}
		for _, sid := range NamespaceSections {
			t, ok := nf.Tables[sid]
			if !ok || len(t.Rows) == 0 || sid == "sysctls" && !netSettings {
				continue // an empty table, or the host's settings only
			}
			rn.Sections = append(rn.Sections, t)
		}
		for _, p := range nr.Problems {
			// The rules' own problems are the same in every namespace: say them once.
			if k := p.File + "\x00" + p.Message; !seenProblem[k] || strings.HasPrefix(p.File, "netns/") {
				rn.Problems = append(rn.Problems, p)
			}
		}
		for i := range nr.Findings {
			f := &nr.Findings[i]
			f.Namespace = id
			switch f.Severity {
			case report.Critical:
				rn.Critical++
			case report.Warning:
				rn.Warning++
			default:
				rn.Info++
			}
		}
		r.Findings = append(r.Findings, nr.Findings...)
		r.Suppressed = append(r.Suppressed, nr.Suppressed...)
		r.Namespaces = append(r.Namespaces, rn)
	}
	linkNamespaces(r, h)
}

// uniqueName is the namespace's name, made unique within one report.
func uniqueName(n *model.NetNS, used map[string]bool) string {
	name := n.Name
	if name == "" {
		name = "netns " + strconv.FormatUint(n.Inode, 10)
	}
	if used[name] {
		name += " (netns " + strconv.FormatUint(n.Inode, 10) + ")"
	}
	used[name] = true
	return name
}

// Findings on the two sides of a connection between namespaces: a proxy
// (nginx) or client that cannot get through, and the listener that does not
// take its connections.
var (
	clientSide   = map[string]bool{"nginx-upstream-errors": true, "syn-sent-stuck": true, "nginx-dead-upstream-servers": true}
	listenerSide = map[string]bool{"listen-queue-overflow": true, "syn-flood-or-syn-backlog": true}
)

// target is a destination one namespace (or the host) connects to.
type target struct {
	ap  netip.AddrPort
	via string // "nginx upstream app", "SYN_SENT sockets", "nginx error log"
}

// targets lists where h's nginx and its connection attempts go.
func targets(h *model.Host) []target {
	var out []target
	seen := map[string]bool{}
	add := func(ap netip.AddrPort, via string) {
		ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		if !ap.IsValid() || ap.Addr().IsLoopback() || ap.Addr().IsUnspecified() {
			return // a loopback address never leaves its namespace
		}
		k := ap.String() + "\x00" + via
		if seen[k] {
			return
		}
		seen[k] = true
		out = append(out, target{ap, via})
	}
	for _, c := range h.NginxConfigs {
		for _, u := range c.Upstreams {
			for _, s := range u.Servers {
				for _, a := range s.Addrs {
					add(a, "nginx upstream "+u.Name)
				}
			}
		}
	}
	var kinds []string
	for k := range h.NginxErrors {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		for u := range h.NginxErrors[k].ByUpstream {
			if ap, err := netip.ParseAddrPort(u); err == nil {
				add(ap, "nginx error log")
			}
		}
	}
	if n := len(h.Samples); n > 0 && h.Samples[n-1].TCP != nil {
		for _, s := range h.Samples[n-1].TCP.SynSent {
			add(s.Remote, "SYN_SENT sockets")
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ap.Compare(out[j].ap) < 0 })
	return out
}

// serves returns the listener of h that takes connections to ap, if any.
func serves(h *model.Host, ap netip.AddrPort) (netip.AddrPort, bool) {
	n := len(h.Samples)
	if n == 0 || h.Samples[n-1].TCP == nil || h.NetNS == nil {
		return netip.AddrPort{}, false
	}
	mine := false
	for _, a := range h.NetNS.Addrs {
		mine = mine || a == ap.Addr()
	}
	for _, l := range h.Samples[n-1].TCP.Listen {
		if l.Local.Port() != ap.Port() {
			continue
		}
		if la := l.Local.Addr().Unmap(); la == ap.Addr() || la.IsUnspecified() && mine {
			return l.Local, true
		}
	}
	return netip.AddrPort{}, false
}

// linkNamespaces ties a client-side finding (nginx's upstream errors, SYNs
// nobody answers) to a listener-side one (an overflowing accept queue) in
// another namespace when the client's destination is that namespace's
// listener: seed 004, where the proxy's 502s came from a container's full
// accept queue that the host's ss could not see. Each side gets a Related
// entry and a value saying who is on the other side.
func linkNamespaces(r *report.Report, h *model.Host) {
	models := map[string]*model.Host{"": h}
	kinds := map[string]string{"": ""}
	for i, ns := range h.Namespaces {
		models[r.Namespaces[i].Name] = ns
		kinds[r.Namespaces[i].Name] = r.Namespaces[i].Kind
	}
	findings := map[string][]int{} // namespace -> indexes into r.Findings
	for i, f := range r.Findings {
		findings[f.Namespace] = append(findings[f.Namespace], i)
	}
	names := []string{""}
	for _, n := range r.Namespaces {
		names = append(names, n.Name)
	}
	for _, from := range names {
		for _, tg := range targets(models[from]) {
			for _, to := range names[1:] {
				if to == from {
					continue
				}
				l, ok := serves(models[to], tg.ap)
				if !ok {
					continue
				}
				why := fmt.Sprintf("%s connects to %s (%s), which %s listens on (%s)", report.NamespaceLabel(kinds[from], from), tg.ap, tg.via, report.NamespaceLabel(kinds[to], to), l)
				linked := false
				for _, ci := range findings[from] {
					for _, li := range findings[to] {
						c, lf := &r.Findings[ci], &r.Findings[li]
						if !clientSide[c.ID] || !listenerSide[lf.ID] {
							continue
						}
						if addRelated(c, report.Related{Namespace: to, ID: lf.ID, Title: lf.Title, Why: why}) {
							explain(c, lf.ID+" in "+report.NamespaceLabel(kinds[to], to)+": "+lf.Title)
						}
						addRelated(lf, report.Related{Namespace: from, ID: c.ID, Title: c.Title, Why: why})
						linked = true
					}
				}
				if !linked {
					// No finding on the client's side: the listener's still says who depends on it.
					for _, li := range findings[to] {
						if lf := &r.Findings[li]; listenerSide[lf.ID] {
							addValue(lf, "connected to from "+report.NamespaceLabel(kinds[from], from), fmt.Sprintf("%s (%s)", tg.ap, tg.via))
						}
					}
				}
			}
		}
	}
}

// addRelated adds rel to f unless f has it already; it says whether it did.
func addRelated(f *report.Finding, rel report.Related) bool {
	for _, x := range f.Related {
		if x.Namespace == rel.Namespace && x.ID == rel.ID {
			return false
		}
	}
	f.Related = append(f.Related, rel)
	return true
}

// explain adds the other namespace's finding to a client-side finding's
// "kernel-side explanation" (nginx-upstream-errors names the explanations
// it finds on its own host there; this one is in another namespace).
func explain(f *report.Finding, text string) {
	for i, v := range f.Evidence.Values {
		if v.Name != "kernel-side explanation" {
			continue
		}
		if v.Value == "" || v.Value == "-" {
			f.Evidence.Values[i].Value = text
		} else {
			f.Evidence.Values[i].Value += "; " + text
		}
		return
	}
}

func addValue(f *report.Finding, name, value string) {
	for _, v := range f.Evidence.Values {
		if v.Name == name && v.Value == value {
			return
		}
	}
	f.Evidence.Values = append(f.Evidence.Values, report.Value{Name: name, Value: value})
}
