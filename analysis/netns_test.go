package analysis_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netsnap/netsnap/analysis"
	"github.com/netsnap/netsnap/analysis/model"
	"github.com/netsnap/netsnap/analysis/report"
	"github.com/netsnap/netsnap/snapshot"
	"github.com/netsnap/netsnap/snapshot/collect"
)

// dockerHost collects testdata/hosts/docker-host (nginx on the host, a
// java backend in a docker container whose accept queue overflows, two
// pods and a bare namespace) with the real collector.
func dockerHost(t testing.TB, samples int) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "docker-host.tgz")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := collect.Run(context.Background(), collect.Options{Root: "../testdata/hosts/docker-host", Samples: samples, Interval: 1}, f); err != nil {
		t.Fatal(err)
	}
	return out
}

func loadPath(t testing.TB, path string) *model.Host {
	t.Helper()
	snap, err := snapshot.Open(path, snapshot.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	h, err := analysis.Load(snap)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestLoadNetNS(t *testing.T) {
	h := loadPath(t, dockerHost(t, 2))
	if h.NetNS != nil || len(h.Namespaces) != 4 {
		t.Fatalf("host netns %+v, %d namespaces", h.NetNS, len(h.Namespaces))
	}
	api := h.Namespaces[0]
	if api.NetNS == nil || api.NetNS.Name != "api" || api.NetNS.Kind != "docker" || api.NetNS.Inode != 4026532500 {
		t.Fatalf("first namespace = %+v", api.NetNS)
	}
	if len(api.Samples) != 2 {
		t.Fatalf("api samples = %d", len(api.Samples))
	}
	s := api.Samples[0]
	if s.TCP == nil || len(s.TCP.Listen) != 1 || s.TCP.Listen[0].Local != netip.MustParseAddrPort("0.0.0.0:8080") || s.TCP.Listen[0].RxQueue != 129 {
		t.Fatalf("api listeners = %+v", s.TCP)
	}
	if s.TCP.States[model.Established] != 4 || s.Counters["TcpExt"]["ListenOverflows"] != 674915 {
		t.Errorf("api: %d established, ListenOverflows %d", s.TCP.States[model.Established], s.Counters["TcpExt"]["ListenOverflows"])
	}
	if len(api.NetNS.Addrs) != 1 || api.NetNS.Addrs[0] != netip.MustParseAddr("172.17.0.2") {
		t.Errorf("api addresses = %v, want 172.17.0.2 (the local end of its connections)", api.NetNS.Addrs)
	}
	// Host-wide entries stay with the host.
	if s.Slabs != nil || s.FileNr != [3]int64{} || len(api.Kernel) != 0 || api.Conntrack != nil || len(api.Nginx) != 0 || len(api.Persisted) != 0 {
		t.Errorf("the namespace model carries host-wide data: slabs %v file-nr %v kernel %v conntrack %v nginx %v persisted %v", s.Slabs != nil, s.FileNr, api.Kernel, api.Conntrack, api.Nginx, api.Persisted)
	}
	if s.Uptime == 0 || s.Uptime != h.Samples[0].Uptime {
		t.Errorf("the namespace's clock (uptime %v) is not the host's (%v)", s.Uptime, h.Samples[0].Uptime)
	}
	// Its settings were not read (--root): no net.* value from the host leaks in.
	if v, ok := api.Sysctls["net.core.somaxconn"]; ok {
		t.Errorf("namespace somaxconn = %q: the host's value leaked", v)
	}
	if _, ok := api.Sysctls["fs.file-max"]; !ok && h.Sysctls["fs.file-max"] != "" {
		t.Error("the host's fs.* settings are missing from the namespace")
	}
	var said bool
	for _, p := range api.Problems {
		said = said || strings.Contains(p.Message, "settings were not read")
	}
	if !said {
		t.Errorf("namespace problems %+v do not say its settings are unknown", api.Problems)
	}
	for _, p := range h.Problems {
		if strings.Contains(p.File, "netns") {
			t.Errorf("a namespace problem on the host: %+v", p)
		}
	}
	// The host's own table has its connections to the container, not the container's listener.
	for _, l := range h.Samples[0].TCP.Listen {
		if l.Local.Port() == 8080 && l.Local.Addr().IsUnspecified() {
			t.Error("the container's listener appears in the host's table")
		}
	}
	if n := h.Namespaces[1].NetNS; n.Name != "kube-system/coredns-7db6d8ff4d-x2x4z" || n.Pod != "coredns-7db6d8ff4d-x2x4z" || n.PodNamespace != "kube-system" {
		t.Errorf("pod namespace = %+v", n)
	}
}

// Seed 004's shape: nginx on the host gets errors from a backend in a
// container whose accept queue overflows. The report finds the overflow in
// the container's namespace and ties it to the host's nginx errors and
// unanswered SYNs.
func TestNamespaceFindingsAreLinked(t *testing.T) {
	r := analyze(t, dockerHost(t, 2))
	var lqo, nue, sss *report.Finding
	for i := range r.Findings {
		f := &r.Findings[i]
		switch {
		case f.ID == "listen-queue-overflow" && f.Namespace == "api":
			lqo = f
		case f.ID == "nginx-upstream-errors" && f.Namespace == "":
			nue = f
		case f.ID == "syn-sent-stuck" && f.Namespace == "":
			sss = f
		case f.Namespace == "" && f.ID == "listen-queue-overflow":
			t.Errorf("the container's overflow is reported as the host's: %s", f.Title)
		}
	}
	if lqo == nil || nue == nil || sss == nil {
		t.Fatalf("findings: %s", ids(r))
	}
	if !strings.Contains(lqo.Title, "674915") {
		t.Errorf("overflow title %q lacks the container's counter", lqo.Title)
	}
	rel := func(f *report.Finding, ns, id string) *report.Related {
		for i := range f.Related {
			if f.Related[i].Namespace == ns && f.Related[i].ID == id {
				return &f.Related[i]
			}
		}
		return nil
	}
	if x := rel(lqo, "", "nginx-upstream-errors"); x == nil || !strings.Contains(x.Why, "172.17.0.2:8080") || !strings.Contains(x.Why, "container api") {
		t.Errorf("overflow related = %+v", lqo.Related)
	}
	if x := rel(nue, "api", "listen-queue-overflow"); x == nil || x.Title != lqo.Title {
		t.Errorf("nginx errors related = %+v", nue.Related)
	}
	if rel(sss, "api", "listen-queue-overflow") == nil {
		t.Errorf("syn-sent-stuck related = %+v", sss.Related)
	}
	// Host findings first, then the namespace's.
	host := true
	for _, f := range r.Findings {
		if f.Namespace != "" {
			host = false
		} else if !host {
			t.Errorf("host finding %s after a namespace's", f.ID)
		}
	}
	if len(r.Namespaces) != 4 || r.Namespaces[0].Name != "api" || r.Namespaces[0].Warning != 1 || r.Namespaces[0].Addresses[0] != "172.17.0.2" {
		t.Errorf("namespaces = %+v", r.Namespaces)
	}
	// The web pod's own nginx (its files read through /proc/PID/root) also
	// times out on the api container: its errors are the pod's, tied to the
	// same overflow.
	const web = "shop/web-5d9f7c6b8-q7k2m"
	var podErrors *report.Finding
	for i := range r.Findings {
		f := &r.Findings[i]
		switch {
		case f.Namespace == web && f.ID == "nginx-upstream-errors":
			podErrors = f
		case f.Namespace != "" && f.Namespace != "api" && f.Namespace != web:
			t.Errorf("finding %s in %s", f.ID, f.Namespace)
		}
	}
	if podErrors == nil || !strings.Contains(podErrors.Title, "5 timed out") || rel(podErrors, "api", "listen-queue-overflow") == nil {
		t.Errorf("the pod's nginx errors: %+v", podErrors)
	}
	if x := rel(lqo, web, "nginx-upstream-errors"); x == nil || !strings.Contains(x.Why, "pod "+web) {
		t.Errorf("the overflow is not tied to the pod's nginx: %+v", lqo.Related)
	}
	if nue != nil && strings.Contains(nue.Title, "timed out (110)") && strings.Contains(nue.Title, "6 timed out") {
		t.Errorf("the host's nginx errors count the pod's log: %s", nue.Title)
	}
}

// A snapshot from a stranger may describe namespaces that are not there or
// point outside their directory: each is loaded from what exists, with its
// problems, and nothing panics or reads outside the snapshot.
func TestHostileNamespaceManifest(t *testing.T) {
	dir := t.TempDir()
	src := dockerHost(t, 1)
	s, err := snapshot.Open(src, snapshot.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range s.Entries() {
		b, err := s.ReadFile(e.Name)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, e.Name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m := *s.Manifest
	s.Close()
	m.NetNS = append(m.NetNS,
		snapshot.NetNS{Inode: 1, Dir: "../../etc", Name: "escape", Kind: "docker", PIDs: []int{1}},
		snapshot.NetNS{Inode: 2, Dir: "samples", Name: "the host's own samples", Kind: "processes"},
		snapshot.NetNS{Inode: 3, Dir: "netns/404", Name: "missing"},
		snapshot.NetNS{Inode: 4026532500, Dir: "netns/4026532500", Name: "api", Kind: "docker"}, // a duplicate name
		snapshot.NetNS{Inode: 5, Dir: "/netns/4026532500", Name: "absolute"},
	)
	f, err := os.Create(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewEncoder(f).Encode(&m); err != nil {
		t.Fatal(err)
	}
	f.Close()
	r := analyze(t, dir)
	names := map[string]bool{}
	for _, n := range r.Namespaces {
		if names[n.Name] {
			t.Errorf("two namespaces named %q in one report", n.Name)
		}
		names[n.Name] = true
	}
	if len(r.Namespaces) != 9 {
		t.Errorf("%d namespaces, want the 4 real ones and the 5 odd ones, each loaded from what exists", len(r.Namespaces))
	}
	for _, f := range r.Findings {
		if f.Namespace == "escape" || f.Namespace == "missing" || f.Namespace == "absolute" {
			t.Errorf("finding %s in %q, which has no tables", f.ID, f.Namespace)
		}
	}
}
