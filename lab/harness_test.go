//go:build linux

package lab

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"github.com/netsnap/netsnap/internal/fixture"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/netsnap/netsnap/internal/netns"
)

// The two ends of the veth pair joining a proxy namespace and its backend
// namespace. Both exist only inside those namespaces; the pair is created
// inside them and never appears in the host's namespace.
const (
	proxyIP   = "10.255.0.1"
	backendIP = "10.255.0.2"
	// listenURL is where nginx listens inside the proxy namespace, and wrk's target.
	listenURL = "http://127.0.0.1:8080/"
)

// tools are the binaries the lab runs, built once per test binary.
type tools struct{ netsnap, netanalyze, backend string }

var build struct {
	once sync.Once
	dir  string
	bins tools
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
	os.Exit(code)
}

// requireLab skips the test when the lab cannot run here, and returns the
// binaries (building them on first use).
func requireLab(t *testing.T) tools {
	t.Helper()
	if testing.Short() {
		t.Skip("lab: skipped under -short (it starts nginx and drives load in network namespaces)")
	}
	if os.Geteuid() != 0 {
		t.Skip("lab: needs root (network namespaces, nginx); run `sudo go test ./lab/ -v`")
	}
	for _, c := range []struct{ bin, pkg string }{{"ip", "iproute2"}, {"nginx", "nginx"}, {"wrk", "wrk"}, {"go", "golang"}} {
		if _, err := exec.LookPath(c.bin); err != nil {
			t.Skipf("lab: %s not found in PATH (apt-get install %s)", c.bin, c.pkg)
		}
	}
	build.once.Do(func() {
		removeStale(t)
		build.dir, build.err = os.MkdirTemp("", "netsnap-lab-bin-")
		if build.err != nil {
			return
		}
		b := tools{
			netsnap:    filepath.Join(build.dir, "netsnap"),
			netanalyze: filepath.Join(build.dir, "netanalyze"),
			backend:    filepath.Join(build.dir, "backend"),
		}
		for out, pkg := range map[string]string{
			b.netsnap:    "github.com/netsnap/netsnap/cmd/netsnap",
			b.netanalyze: "github.com/netsnap/netsnap/cmd/netanalyze",
			b.backend:    "github.com/netsnap/netsnap/lab/backend",
		} {
			cmd := exec.Command("go", "build", "-o", out, pkg)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if o, err := cmd.CombinedOutput(); err != nil {
				build.err = fmt.Errorf("go build %s: %v\n%s", pkg, err, o)
				return
			}
		}
		// The backend runs as root inside the namespace; the directory
		// must be traversable for nothing else.
		build.bins = b
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	if pids := nginxMasters(); len(pids) > 0 {
		t.Skipf("lab: an nginx the lab did not start is running (master pid %v): netsnap finds every nginx master through /proc, "+
			"which all namespaces share, so its configuration would be analysed with the lab's; stop it to run the lab", pids)
	}
	return build.bins
}

// nginxMasters lists the running nginx processes whose parent is not an nginx.
func nginxMasters() []int {
	ents, _ := os.ReadDir("/proc")
	isNginx := func(pid string) bool {
		b, err := os.ReadFile("/proc/" + pid + "/comm")
		return err == nil && strings.TrimSpace(string(b)) == "nginx"
	}
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || !isNginx(e.Name()) {
			continue
		}
		if pp := ppid(pid); pp <= 0 || !isNginx(strconv.Itoa(pp)) {
			out = append(out, pid)
		}
	}
	return out
}

// ppid is a process's parent (from /proc/PID/stat), or -1.
func ppid(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	// pid (comm) state ppid ...: comm may hold spaces and parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return -1
	}
	p, err := strconv.Atoi(f[1])
	if err != nil {
		return -1
	}
	return p
}

// dieWithTest makes the kernel send sig to the process started by cmd when
// the test binary dies (a -timeout panic skips the cleanups), so that no
// nginx, backend or wrk outlives it.
func dieWithTest(cmd *exec.Cmd, sig syscall.Signal) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: sig}
}

// removeStale deletes the namespaces an earlier lab run left behind when it
// was killed before its cleanups ran: only names this lab makes
// (labp<PID>-<N>, labb<PID>-<N>) whose PID no longer runs.
func removeStale(t *testing.T) {
	ents, err := os.ReadDir("/run/netns")
	if err != nil {
		return
	}
	for _, e := range ents {
		m := reStaleNS.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		if _, err := os.Stat("/proc/" + m[1]); err == nil {
			continue
		}
		if out, err := exec.Command("ip", "netns", "del", e.Name()).CombinedOutput(); err != nil {
			t.Logf("stale namespace %s: ip netns del: %v: %s", e.Name(), err, bytes.TrimSpace(out))
		} else {
			t.Logf("removed the namespace %s left by an earlier lab run", e.Name())
		}
	}
}

var reStaleNS = regexp.MustCompile(`^lab[pb]([0-9]+)-[0-9]+$`)

// requireNft skips a scenario that needs nftables.
func requireNft(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("lab: nft not found in PATH (apt-get install nftables)")
	}
}

// pair is a proxy namespace and a backend namespace joined by a veth pair
// whose ends are both called eth0: proxyIP/30 in the proxy, backendIP/30 in
// the backend. Nothing routes anywhere else.
type pair struct {
	proxy, backend *netns.NS
	dir            string
}

func newPair(t *testing.T) *pair {
	t.Helper()
	p := &pair{proxy: netns.New(t, "labp"), backend: netns.New(t, "labb"), dir: t.TempDir()}
	// Created inside the proxy namespace, its peer inside the backend's.
	ipCmd(t, "-n", p.proxy.Name(), "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", p.backend.Name())
	ipCmd(t, "-n", p.proxy.Name(), "addr", "add", proxyIP+"/30", "dev", "eth0")
	ipCmd(t, "-n", p.backend.Name(), "addr", "add", backendIP+"/30", "dev", "eth0")
	ipCmd(t, "-n", p.proxy.Name(), "link", "set", "eth0", "up")
	ipCmd(t, "-n", p.backend.Name(), "link", "set", "eth0", "up")
	return p
}

func ipCmd(t *testing.T, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
}

// nft loads an nftables ruleset into ns (a table of the lab's own; it goes
// away with the namespace).
func nft(t *testing.T, ns *netns.NS, ruleset string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := ns.Command(ctx, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(ruleset)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft -f - in %s: %v: %s\n%s", ns.Name(), err, bytes.TrimSpace(out), ruleset)
	}
}

// backend is a running lab/backend.
type backend struct {
	addr  string
	stats string
	pid   int
}

// startBackend starts lab/backend inside ns listening on addr, with extra flags.
func startBackend(t *testing.T, bins tools, ns *netns.NS, addr string, flags ...string) *backend {
	t.Helper()
	b := &backend{addr: addr, stats: filepath.Join(t.TempDir(), "stats")}
	args := append([]string{"-listen", addr, "-stats", b.stats, "-max-time", "3m"}, flags...)
	cmd := ns.Command(context.Background(), bins.backend, args...)
	dieWithTest(cmd, syscall.SIGKILL)
	var stderr fixture.LockedBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	ns.Start(t, cmd)
	b.pid = cmd.Process.Pid
	t.Cleanup(func() { _ = ns.Stop(cmd, 5*time.Second) })
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "ready ") {
				ready <- true
			}
		}
		close(ready)
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("backend %s exited before listening: %s", addr, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("backend %s not ready after 10s: %s", addr, stderr.String())
	}
	return b
}

// backendStats are a backend's counters at one moment.
type backendStats struct {
	at                         time.Time
	accepted, requests, closed int
}

// series reads the backend's counters, one reading per 100 ms, oldest first.
func (b *backend) series(t *testing.T) []backendStats {
	t.Helper()
	data, err := os.ReadFile(b.stats)
	if err != nil {
		t.Fatalf("backend stats: %v", err)
	}
	var out []backendStats
	for _, line := range strings.Split(string(data), "\n") {
		var ns int64
		var s backendStats
		if _, err := fmt.Sscanf(line, "%d accepted=%d requests=%d closed=%d", &ns, &s.accepted, &s.requests, &s.closed); err != nil {
			continue // the last line may be half written
		}
		s.at = time.Unix(0, ns)
		out = append(out, s)
	}
	if len(out) == 0 {
		t.Fatalf("backend stats %s: no reading in %q", b.stats, data)
	}
	return out
}

// read is the latest reading.
func (b *backend) read(t *testing.T) backendStats {
	t.Helper()
	s := b.series(t)
	return s[len(s)-1]
}

// at interpolates the backend's accepted counter at time when.
func (b *backend) at(t *testing.T, when time.Time) float64 {
	t.Helper()
	s := b.series(t)
	if when.Before(s[0].at) || when.After(s[len(s)-1].at) {
		t.Fatalf("backend stats: %v outside the readings %v .. %v", when, s[0].at, s[len(s)-1].at)
	}
	i := sort.Search(len(s), func(i int) bool { return !s[i].at.Before(when) })
	if i == 0 || s[i].at.Equal(when) {
		return float64(s[i].accepted)
	}
	a, c := s[i-1], s[i]
	f := float64(when.Sub(a.at)) / float64(c.at.Sub(a.at))
	return float64(a.accepted) + f*float64(c.accepted-a.accepted)
}

// rateDuring is the backend's accept rate (connections/s) between the first
// and the last sample of a snapshot: the window the snapshot's counter
// rates are measured over.
func (b *backend) rateDuring(t *testing.T, snap string) float64 {
	t.Helper()
	ts := sampleTimes(t, snap)
	first, last := ts[0], ts[len(ts)-1]
	return (b.at(t, last) - b.at(t, first)) / last.Sub(first).Seconds()
}

// sampleTimes reads a snapshot's manifest: the middle of each sample.
func sampleTimes(t *testing.T, snap string) []time.Time {
	t.Helper()
	f, err := os.Open(snap)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", snap, err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s: no manifest.json: %v", snap, err)
		}
		if h.Name != "manifest.json" {
			continue
		}
		var m struct {
			Samples []struct{ Start, End time.Time } `json:"samples"`
		}
		if err := json.NewDecoder(tr).Decode(&m); err != nil {
			t.Fatalf("%s: manifest.json: %v", snap, err)
		}
		if len(m.Samples) < 2 {
			t.Fatalf("%s: %d samples, want at least 2", snap, len(m.Samples))
		}
		var out []time.Time
		for _, s := range m.Samples {
			out = append(out, s.Start.Add(s.End.Sub(s.Start)/2))
		}
		return out
	}
}

// nginx is a Debian nginx master started by the lab in its own prefix.
type nginx struct {
	ns                      *netns.NS
	dir, conf, site, errLog string
	pidFile                 string
	cmd                     *exec.Cmd
	exited                  chan struct{} // closed when the master has exited
	stopOnce                sync.Once
}

// mainConf is nginx.conf; the site (upstreams and servers) is included from
// conf.d/lab.conf, so that netsnap has an include to follow.
const mainConf = `# netsnap lab: a throw-away nginx, in its own prefix and network namespace.
user root;
worker_processes 2;
worker_rlimit_nofile 8192;
error_log {{DIR}}/error.log warn;
pid {{DIR}}/nginx.pid;

events {
    worker_connections 2048;
}

http {
    access_log off;
    client_body_temp_path {{DIR}}/tmp/client_body;
    proxy_temp_path {{DIR}}/tmp/proxy;
    fastcgi_temp_path {{DIR}}/tmp/fastcgi;
    uwsgi_temp_path {{DIR}}/tmp/uwsgi;
    scgi_temp_path {{DIR}}/tmp/scgi;
    keepalive_timeout 65;

    include {{DIR}}/conf.d/*.conf;
}
`

// startNginx writes the configuration (site is the content of
// conf.d/lab.conf) and starts nginx in the foreground inside ns:
// nginx -p DIR/ -c DIR/nginx.conf -e DIR/error.log -g 'daemon off;'.
// Its cleanup stops the master and its workers, by PID.
func startNginx(t *testing.T, ns *netns.NS, site string) *nginx {
	t.Helper()
	dir := t.TempDir()
	n := &nginx{ns: ns, dir: dir, conf: filepath.Join(dir, "nginx.conf"), site: filepath.Join(dir, "conf.d", "lab.conf"),
		errLog: filepath.Join(dir, "error.log"), pidFile: filepath.Join(dir, "nginx.pid")}
	for _, d := range []string{"conf.d", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, n.conf, strings.ReplaceAll(mainConf, "{{DIR}}", dir))
	writeFile(t, n.site, site)
	n.cmd = ns.Command(context.Background(), "nginx", "-p", dir+"/", "-c", n.conf, "-e", n.errLog, "-g", "daemon off;")
	var out fixture.LockedBuffer
	n.cmd.Stdout, n.cmd.Stderr = &out, &out
	dieWithTest(n.cmd, syscall.SIGTERM) // the master then stops its workers
	ns.Start(t, n.cmd)
	n.exited = make(chan struct{})
	go func() { _ = n.cmd.Wait(); close(n.exited) }()
	t.Cleanup(func() { n.stop(t) })

	// The pid file is written once the configuration is loaded and the
	// listening sockets are open.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if pid, err := readPid(n.pidFile); err == nil && pid == n.cmd.Process.Pid && len(children(pid)) >= 2 {
			return n
		}
		select {
		case <-n.exited:
			t.Fatalf("nginx exited at start: %s\n%s", out.String(), readFile(n.errLog))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx not up after 10s: %s\n%s", out.String(), readFile(n.errLog))
		}
	}
}

// stop ends nginx (once): SIGTERM to the master, which stops its workers,
// then, if needed, SIGKILL to the master and to the workers it had, by PID.
func (n *nginx) stop(t *testing.T) {
	n.stopOnce.Do(func() {
		master := n.cmd.Process.Pid
		workers := children(master)
		_ = n.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-n.exited:
		case <-time.After(5 * time.Second):
			t.Logf("nginx master %d did not stop on SIGTERM: killing it and its workers %v", master, workers)
			_ = n.cmd.Process.Kill()
			<-n.exited
		}
		for _, w := range workers {
			// Still a worker of ours, orphaned by its master's death?
			if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", w)); err == nil && strings.TrimSpace(string(comm)) == "nginx" && ppid(w) != master {
				_ = syscall.Kill(w, syscall.SIGKILL)
			}
		}
	})
}

// reload replaces the site configuration and runs `nginx -s reload` (which
// signals the pid in the configuration's pid file: this master's), then
// waits until every old worker has exited and new ones serve.
func (n *nginx) reload(t *testing.T, site string) {
	t.Helper()
	master := n.cmd.Process.Pid
	if pid, err := readPid(n.pidFile); err != nil || pid != master {
		t.Fatalf("nginx pid file %s holds %d (%v), not our master %d: refusing to signal it", n.pidFile, pid, err, master)
	}
	old := children(master)
	writeFile(t, n.site, site)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if out, err := n.ns.Command(ctx, "nginx", "-p", n.dir+"/", "-c", n.conf, "-e", n.errLog, "-s", "reload").CombinedOutput(); err != nil {
		t.Fatalf("nginx -s reload: %v: %s", err, out)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		now := children(master)
		if len(now) >= 2 && !slices.ContainsFunc(now, func(p int) bool { return slices.Contains(old, p) }) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx reload: workers %v still running after 15s (new: %v)\n%s", old, now, readFile(n.errLog))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func readPid(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// children lists the PIDs whose parent is pid.
func children(pid int) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		c, err := strconv.Atoi(e.Name())
		if err == nil && ppid(c) == pid {
			out = append(out, c)
		}
	}
	return out
}

// wrkResult is what wrk printed.
type wrkResult struct {
	requests int
	seconds  float64
	rps      float64
	non2xx   int
	errors   string
	out      string
}

var (
	reWrkTotal  = regexp.MustCompile(`(\d+) requests in ([\d.]+)(ms|s|m)`)
	reWrkRPS    = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	reWrkNon2xx = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	reWrkErrors = regexp.MustCompile(`Socket errors: .*`)
)

// startWrk runs `wrk -t 2 -c conns -d dur --timeout 5s listenURL` inside ns
// in the background; the channel yields its result.
func startWrk(t *testing.T, ns *netns.NS, conns int, dur time.Duration) <-chan wrkResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), dur+20*time.Second)
	cmd := ns.Command(ctx, "wrk", "-t", "2", "-c", strconv.Itoa(conns), "-d", fmt.Sprintf("%ds", int(dur.Seconds())),
		"--timeout", "5s", listenURL)
	var out fixture.LockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	dieWithTest(cmd, syscall.SIGKILL)
	ns.Start(t, cmd)
	ch := make(chan wrkResult, 1)
	go func() {
		defer cancel()
		err := cmd.Wait()
		r := parseWrk(out.String())
		if err != nil {
			r.errors = fmt.Sprintf("wrk: %v; %s", err, r.errors)
		}
		ch <- r
	}()
	return ch
}

func runWrk(t *testing.T, ns *netns.NS, conns int, dur time.Duration) wrkResult {
	t.Helper()
	r := <-startWrk(t, ns, conns, dur)
	t.Logf("wrk -c %d -d %v: %d requests in %.2fs (%.0f/s), %d non-2xx %s", conns, dur, r.requests, r.seconds, r.rps, r.non2xx, r.errors)
	if r.requests == 0 {
		t.Fatalf("wrk made no request:\n%s", r.out)
	}
	return r
}

func parseWrk(out string) wrkResult {
	r := wrkResult{out: out}
	if m := reWrkTotal.FindStringSubmatch(out); m != nil {
		r.requests, _ = strconv.Atoi(m[1])
		r.seconds, _ = strconv.ParseFloat(m[2], 64)
		switch m[3] {
		case "ms":
			r.seconds /= 1000
		case "m":
			r.seconds *= 60
		}
	}
	if m := reWrkRPS.FindStringSubmatch(out); m != nil {
		r.rps, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := reWrkNon2xx.FindStringSubmatch(out); m != nil {
		r.non2xx, _ = strconv.Atoi(m[1])
	}
	r.errors = reWrkErrors.FindString(out)
	return r
}

// capture runs netsnap inside ns (3 samples 1 s apart) and returns the archive.
func capture(t *testing.T, bins tools, ns *netns.NS, name string) string {
	t.Helper()
	start := time.Now()
	out, err := captureErr(bins, ns, filepath.Join(t.TempDir(), name+".tgz"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("netsnap in %s: %s (%v)", ns.Name(), filepath.Base(out), time.Since(start).Round(time.Millisecond))
	keep(t, out)
	return out
}

// captureHost runs netsnap in the lab's own (main) namespace, capturing
// the namespaces of the given processes besides its own, as netsnap on a
// docker host or Kubernetes node captures its containers.
func captureHost(bins tools, out string, pids ...int) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var list []string
	for _, p := range pids {
		list = append(list, strconv.Itoa(p))
	}
	cmd := exec.CommandContext(ctx, bins.netsnap, "--samples", "3", "--interval", "1s", "--timeout", "45s", "--netns", strings.Join(list, ","), "-q", "-o", out)
	if o, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("netsnap in the main namespace: %v\n%s", err, o)
	}
	return out, nil
}

// keep copies a snapshot to $NETSNAP_LAB_KEEP/<test>/ when that is set, to
// look at it after the run (`netanalyze inspect`, `netanalyze report`).
func keep(t *testing.T, path string) {
	t.Helper()
	dir := os.Getenv("NETSNAP_LAB_KEEP")
	if dir == "" {
		return
	}
	dst := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_"))
	data, err := os.ReadFile(path)
	if err == nil {
		err = os.MkdirAll(dst, 0o755)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(dst, filepath.Base(path)), data, 0o644)
	}
	if err != nil {
		t.Errorf("NETSNAP_LAB_KEEP: %v", err)
		return
	}
	t.Logf("kept %s", filepath.Join(dst, filepath.Base(path)))
}

// captureErr is capture for any goroutine.
func captureErr(bins tools, ns *netns.NS, out string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// --netns host: the snapshot of one namespace, as a host running there
	// would take it (as root netsnap would also capture every other
	// namespace it sees through /proc: the other scenarios' too).
	cmd := ns.Command(ctx, bins.netsnap, "--samples", "3", "--interval", "1s", "--timeout", "45s", "--netns", "host", "-q", "-o", out)
	if o, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("netsnap in %s: %v\n%s", ns.Name(), err, o)
	}
	return out, nil
}

// counter is a counter fact.
type counter struct {
	Present bool    `json:"present"`
	Total   int64   `json:"total"`
	Delta   int64   `json:"delta"`
	Rate    float64 `json:"rate"`
	Rising  bool    `json:"rising"`
}

// facts are the parts of netanalyze's facts the lab asserts on.
type facts struct {
	Host struct {
		Samples int     `json:"samples"`
		Proxy   bool    `json:"proxy_running"`
		Dur     float64 `json:"duration"`
	} `json:"host"`
	TCP struct {
		Established int `json:"established"`
		SynSent     int `json:"syn_sent"`
		TimeWait    int `json:"time_wait"`
	} `json:"tcp"`
	TW struct {
		Count    int     `json:"count"`
		Limit    int     `json:"limit"`
		Overflow counter `json:"overflow"`
	} `json:"tw"`
	Churn struct {
		CloseRate       float64 `json:"close_rate"`
		OpenRate        float64 `json:"open_rate"`
		ActiveOpenRate  float64 `json:"active_open_rate"`
		PassiveOpenRate float64 `json:"passive_open_rate"`
	} `json:"churn"`
	Ports struct {
		Size                int     `json:"size"`
		Busiest             string  `json:"busiest"`
		BusiestCount        int     `json:"busiest_count"`
		BusiestPct          float64 `json:"busiest_pct"`
		EaddrnotavailErrors int     `json:"eaddrnotavail_errors"`
	} `json:"ports"`
	Listen struct {
		Overflows    counter `json:"overflows"`
		Drops        counter `json:"drops"`
		BacklogKnown bool    `json:"backlog_known"`
		MaxFillPct   float64 `json:"max_fill_pct"`
		Fullest      string  `json:"fullest"`
	} `json:"listen"`
	Conntrack struct {
		Loaded  bool `json:"loaded"`
		Count   int  `json:"count"`
		Max     int  `json:"max"`
		Entries int  `json:"entries"`
	} `json:"conntrack"`
	SynSent struct {
		Stuck     int      `json:"stuck"`
		StuckList []string `json:"stuck_list"`
	} `json:"syn_sent"`
	Nginx struct {
		Present            bool           `json:"present"`
		NoKeepaliveNames   []string       `json:"no_keepalive_names"`
		NoKeepaliveTW      int            `json:"no_keepalive_tw"`
		ServersConfigured  int            `json:"servers_configured"`
		ServersWithTraffic int            `json:"servers_with_traffic"`
		ServersOnlySynSent int            `json:"servers_only_syn_sent"`
		Dead               int            `json:"dead"`
		DeadServers        []string       `json:"dead_servers"`
		Errors             int            `json:"errors"`
		ErrorCounts        map[string]int `json:"error_counts"`
		ErrorTopUpstream   string         `json:"error_top_upstream"`
	} `json:"nginx"`
}

type finding struct {
	ID        string          `json:"id"`
	Severity  string          `json:"severity"`
	Title     string          `json:"title"`
	Basis     string          `json:"basis"`
	Status    string          `json:"status"`
	Evidence  json.RawMessage `json:"evidence"`
	Namespace string          `json:"namespace"`
	Related   []struct {
		Namespace string `json:"namespace"`
		ID        string `json:"id"`
		Why       string `json:"why"`
	} `json:"related"`
}

type report struct {
	Findings   []finding        `json:"findings"`
	Problems   []map[string]any `json:"problems"`
	Facts      facts            `json:"facts"`
	Namespaces []struct {
		Name  string `json:"name"`
		Kind  string `json:"kind"`
		PIDs  []int  `json:"pids"`
		Facts facts  `json:"facts"`
	} `json:"namespaces"`
}

type diffReport struct {
	Findings      []finding           `json:"findings"`
	SysctlChanges []map[string]string `json:"sysctl_changes"`
	Sections      []struct {
		ID   string     `json:"id"`
		Rows [][]string `json:"rows"`
	} `json:"sections"`
}

// analyze runs `netanalyze report SNAP -f json`.
func analyze(t *testing.T, bins tools, snap string) *report {
	t.Helper()
	var r report
	netanalyze(t, bins, &r, "report", snap, "-f", "json")
	for _, f := range r.Findings {
		where := ""
		if f.Namespace != "" {
			where = " in " + f.Namespace
		}
		t.Logf("  %-8s %-32s %s [%s]%s", f.Severity, f.ID, f.Title, f.Basis, where)
	}
	return &r
}

// diff runs `netanalyze diff A B -f json`.
func diff(t *testing.T, bins tools, a, b string) *diffReport {
	t.Helper()
	var d diffReport
	netanalyze(t, bins, &d, "diff", a, b, "-f", "json")
	for _, f := range d.Findings {
		t.Logf("  %-10s %-8s %-32s %s", f.Status, f.Severity, f.ID, f.Title)
	}
	return &d
}

func netanalyze(t *testing.T, bins tools, v any, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bins.netanalyze, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("netanalyze %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("netanalyze %s: JSON: %v\n%.2000s", strings.Join(args, " "), err, out)
	}
}

// find returns the finding with id, or nil.
func find(fs []finding, id string) *finding {
	for i := range fs {
		if fs[i].ID == id {
			return &fs[i]
		}
	}
	return nil
}

// mustFind fails the test unless a finding id of the given severity is present.
func mustFind(t *testing.T, fs []finding, id, severity string) *finding {
	t.Helper()
	f := find(fs, id)
	switch {
	case f == nil:
		t.Errorf("no %s finding; got:\n%s", id, listFindings(fs))
	case f.Severity != severity:
		t.Errorf("%s: severity %s, want %s (%s)", id, f.Severity, severity, f.Title)
	}
	return f
}

func listFindings(fs []finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  %s %s %s: %s\n", f.Status, f.Severity, f.ID, f.Title)
	}
	if b.Len() == 0 {
		return "  (none)\n"
	}
	return b.String()
}

// within fails unless got is within ±tol (a fraction) of want.
func within(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if want <= 0 || math.Abs(got-want) > tol*want {
		t.Errorf("%s = %.1f, want %.1f ± %.0f%%", what, got, want, 100*tol)
		return
	}
	t.Logf("%s = %.1f, measured %.1f (%+.0f%%)", what, got, want, 100*(got-want)/want)
}

// timeWait counts the TIME_WAIT sockets of ns toward dst (ip:port) in
// /proc/net/tcp, and those among them that entered TIME_WAIT within the last
// `recent` (their 60 s timer has more than 60 s - recent left).
func timeWait(t *testing.T, ns *netns.NS, dst string, recent time.Duration) (all, fresh int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := ns.Command(ctx, "cat", "/proc/net/tcp").Output()
	if err != nil {
		t.Fatalf("cat /proc/net/tcp in %s: %v", ns.Name(), err)
	}
	want := hexAddr(t, dst)
	for _, line := range strings.Split(string(out), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 6 || f[3] != "06" || f[2] != want {
			continue
		}
		all++
		// f[5] is "03:XXXXXXXX": the TIME_WAIT timer, in 1/100 s left.
		_, left, _ := strings.Cut(f[5], ":")
		ticks, err := strconv.ParseUint(left, 16, 64)
		if err == nil && time.Duration(ticks)*10*time.Millisecond > 60*time.Second-recent {
			fresh++
		}
	}
	return all, fresh
}

// hexAddr writes ip:port as /proc/net/tcp does (little-endian address).
func hexAddr(t *testing.T, hostport string) string {
	t.Helper()
	host, port, ok := strings.Cut(hostport, ":")
	p, err := strconv.Atoi(port)
	var ip [4]int
	if n, err2 := fmt.Sscanf(host, "%d.%d.%d.%d", &ip[0], &ip[1], &ip[2], &ip[3]); !ok || err != nil || err2 != nil || n != 4 {
		t.Fatalf("hexAddr(%q): want IPv4 ip:port", hostport)
	}
	return fmt.Sprintf("%02X%02X%02X%02X:%04X", ip[3], ip[2], ip[1], ip[0], p)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// row returns the before and after numbers of a diff section's row.
func (d *diffReport) row(section, name string) (before, after int) {
	for _, s := range d.Sections {
		if s.ID != section {
			continue
		}
		for _, r := range s.Rows {
			if len(r) >= 3 && r[0] == name {
				before, _ = strconv.Atoi(r[1])
				after, _ = strconv.Atoi(r[2])
				return before, after
			}
		}
	}
	return -1, -1
}
