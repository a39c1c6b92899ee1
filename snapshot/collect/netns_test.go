package collect

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/netsnap/netsnap/internal/netns"
	"github.com/netsnap/netsnap/snapshot"
)

// docker-host has the host's processes in one namespace and four others: a
// docker container (java, its accept queue full), a containerd pod
// (pause + coredns), a pod known only from the kubelet's directory, and a
// process of its own (unshare -n).
func TestCollectNetNSFromTree(t *testing.T) {
	root := filepath.Join(fixtures, "docker-host")
	s, m := collectTo(t, context.Background(), Options{Root: root, Samples: 2, Interval: time.Millisecond})
	checkVerbatim(t, root, s, m)

	type want struct {
		inode                        uint64
		name, kind, pod, podNS, cont string
		pids                         []int
		comms                        []string
	}
	wants := []want{
		{4026532500, "api", "docker", "", "", "api", []int{5100, 5101}, []string{"java"}},
		{4026532600, "kube-system/coredns-7db6d8ff4d-x2x4z", "pod", "coredns-7db6d8ff4d-x2x4z", "kube-system", "", []int{6100, 6150}, []string{"pause", "coredns"}},
		{4026532700, "shop/web-5d9f7c6b8-q7k2m", "pod", "web-5d9f7c6b8-q7k2m", "shop", "", []int{7100, 7200, 7201}, []string{"node", "nginx"}},
		{4026532800, "sleep[8100]", "processes", "", "", "", []int{8100}, []string{"sleep"}},
	}
	if len(m.NetNS) != len(wants) {
		t.Fatalf("netns = %+v", m.NetNS)
	}
	for i, w := range wants {
		g := m.NetNS[i]
		if g.Inode != w.inode || g.Name != w.name || g.Kind != w.kind || g.Pod != w.pod || g.PodNamespace != w.podNS || g.Container != w.cont ||
			!slices.Equal(g.PIDs, w.pids) || !slices.Equal(g.Comms, w.comms) || g.Skipped != "" || g.Dir != "netns/"+itoa(w.inode) {
			t.Errorf("netns %d = %+v, want %+v", i, g, w)
		}
	}
	// Each namespace's tables, in each sample, byte for byte from /proc/PID/net.
	for i := 1; i <= 2; i++ {
		got := string(readEntry(t, s, "netns/4026532500/samples/"+itoa(uint64(i))+"/proc/net/tcp"))
		raw, _ := os.ReadFile(filepath.Join(root, "proc/5100/net/tcp"))
		if got != string(raw) {
			t.Errorf("sample %d: the container's tcp table differs from proc/5100/net/tcp", i)
		}
	}
	readEntry(t, s, "netns/4026532500/samples/1/proc/net/netstat")
	var tables []snapshot.SourceResult
	for _, r := range m.Sources {
		switch r.Name {
		case "netns":
			tables = append(tables, r)
		case "netns-sysctl":
			if r.Status != snapshot.StatusSkipped || !strings.Contains(r.Error, "live kernel") {
				t.Errorf("netns-sysctl under --root = %+v", r)
			}
		}
	}
	if len(tables) != 2*len(wants) {
		t.Fatalf("netns results = %+v", tables)
	}
	if r := tables[0]; r.Status != snapshot.StatusOK || r.Path != "/proc/5100/net" || r.Archive != "netns/4026532500/samples/1/proc/net" || r.Files != 4 ||
		!strings.Contains(r.Error, "tcp6") {
		t.Errorf("first netns result = %+v", r)
	}
	// The web pod's nginx runs in a mount namespace of its own: its files
	// are read through /proc/7200/root and stored there; the host's nginx
	// keeps its own.
	if len(m.Nginx) != 2 {
		t.Fatalf("nginx instances = %+v", m.Nginx)
	}
	pod := m.Nginx[1]
	if pod.PID != 7200 || pod.Root != "/proc/7200/root" || pod.Conf != "/etc/nginx/nginx.conf" ||
		strings.Join(pod.ConfigFiles, " ") != "/etc/nginx/nginx.conf /etc/nginx/conf.d/default.conf" ||
		strings.Join(pod.ErrorLogs, " ") != "/var/log/nginx/error.log" || m.Nginx[0].Root != "" {
		t.Errorf("pod nginx = %+v (host's root %q)", pod, m.Nginx[0].Root)
	}
	if !strings.Contains(string(readEntry(t, s, "proc/7200/root/etc/nginx/conf.d/default.conf")), "server 172.17.0.2:8080;") {
		t.Error("the pod's nginx configuration is not stored under proc/7200/root")
	}
	if !strings.Contains(string(readEntry(t, s, "proc/7200/root/var/log/nginx/error.log")), "upstream timed out") {
		t.Error("the pod's nginx error log is not stored under proc/7200/root")
	}
	if strings.Contains(string(readEntry(t, s, "etc/nginx/nginx.conf")), "the web pod's nginx") {
		t.Error("the host's nginx.conf is the pod's")
	}
	// The host's own view is untouched: its tables are the host's files.
	if got, raw := string(readEntry(t, s, "samples/1/proc/net/tcp")), readFixture(t, root, "proc/net/tcp"); got != raw {
		t.Error("the host's tcp table is not proc/net/tcp")
	}
}

func TestCollectNetNSSelection(t *testing.T) {
	root := filepath.Join(fixtures, "docker-host")
	for _, tc := range []struct {
		netns    string
		max      int
		captured []uint64
		skipped  int
		warning  string
	}{
		{netns: NetNSHost},
		{netns: "7100", captured: []uint64{4026532700}},
		{netns: "7100,5101,1", captured: []uint64{4026532500, 4026532700}},
		{netns: "99999", warning: "process 99999 not found"},
		{netns: NetNSAll, max: 1, captured: []uint64{4026532500}, skipped: 3, warning: "4 network namespaces found; only the first 1"},
		{netns: NetNSAuto, captured: []uint64{4026532500, 4026532600, 4026532700, 4026532800}},
	} {
		_, m := collectTo(t, context.Background(), Options{Root: root, Samples: 1, NetNS: tc.netns, NetNSMax: tc.max, Only: []string{"netns", "uptime"}})
		var got []uint64
		skipped := 0
		for _, n := range m.NetNS {
			if n.Skipped != "" {
				skipped++
				continue
			}
			got = append(got, n.Inode)
		}
		if !slices.Equal(got, tc.captured) || skipped != tc.skipped {
			t.Errorf("--netns %s --netns-max %d: captured %v, %d skipped; want %v, %d", tc.netns, tc.max, got, skipped, tc.captured, tc.skipped)
		}
		if w := strings.Join(m.Warnings, "\n"); !strings.Contains(w, tc.warning) || tc.warning == "" && w != "" {
			t.Errorf("--netns %s: warnings %q, want %q", tc.netns, w, tc.warning)
		}
		if n := len(m.Source("netns")); n != len(tc.captured) {
			t.Errorf("--netns %s: %d netns results, want one per captured namespace", tc.netns, n)
		}
	}
}

// A host with a single namespace (the other fixtures) gets no netns results
// at all: snapshots of such hosts are as they were before namespaces.
func TestCollectSingleNetNSRecordsNothing(t *testing.T) {
	_, m := collectTo(t, context.Background(), Options{Root: filepath.Join(fixtures, "proxy-modern"), Samples: 1})
	if len(m.NetNS) != 0 || len(m.Source("netns")) != 0 || len(m.Source("netns-sysctl")) != 0 {
		t.Errorf("netns %+v, results %+v %+v", m.NetNS, m.Source("netns"), m.Source("netns-sysctl"))
	}
}

func TestParseNetNS(t *testing.T) {
	for _, tc := range []struct {
		in   string
		pids []int
		ok   bool
	}{
		{"", nil, true}, {"auto", nil, true}, {"all", nil, true}, {"host", nil, true},
		{"12", []int{12}, true}, {"12, 34", []int{12, 34}, true},
		{"0", nil, false}, {"-3", nil, false}, {"x", nil, false}, {"12,", nil, false}, {"ALL", nil, false},
	} {
		pids, err := ParseNetNS(tc.in)
		if (err == nil) != tc.ok || !slices.Equal(pids, tc.pids) {
			t.Errorf("ParseNetNS(%q) = %v, %v", tc.in, pids, err)
		}
		if err != nil && !strings.Contains(err.Error(), "--netns") {
			t.Errorf("ParseNetNS(%q) error %q does not name the flag", tc.in, err)
		}
	}
	o := Options{NetNS: "web"}
	if err := o.Validate(); err == nil {
		t.Error("Validate accepted --netns web")
	}
}

func TestNetNSLink(t *testing.T) {
	for _, tc := range []struct {
		in  string
		ino uint64
		ok  bool
	}{
		{"net:[4026531840]", 4026531840, true},
		{"net:[0]", 0, false}, {"mnt:[4026531840]", 0, false}, {"net:[4026531840", 0, false},
		{"net:[x]", 0, false}, {"", 0, false}, {"net:[-1]", 0, false},
	} {
		ino, ok := netnsLink(tc.in)
		if ino != tc.ino && tc.ok || ok != tc.ok {
			t.Errorf("netnsLink(%q) = %d, %v", tc.in, ino, ok)
		}
	}
}

func TestParseCgroup(t *testing.T) {
	const id = "a3f1c2d4e5b60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9a"
	const uid = "1b2c3d4e-5f60-4718-92a3-b4c5d6e7f809"
	for _, tc := range []struct {
		name, in       string
		id, rt, podUID string
	}{
		{"docker systemd v2", "0::/system.slice/docker-" + id + ".scope\n", id, "docker", ""},
		{"docker cgroupfs v1", "12:memory:/docker/" + id + "\n11:cpu,cpuacct:/docker/" + id + "\n", id, "docker", ""},
		{"containerd pod", "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + strings.ReplaceAll(uid, "-", "_") + ".slice/cri-containerd-" + id + ".scope", id, "containerd", uid},
		{"cri-o pod", "0::/kubepods.slice/kubepods-pod" + strings.ReplaceAll(uid, "-", "_") + ".slice/crio-" + id + ".scope\n", id, "cri-o", uid},
		{"cgroupfs pod", "0::/kubepods/besteffort/pod" + uid + "/" + id + "\n", id, "", uid},
		{"podman", "0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + id + ".scope\n", id, "podman", ""},
		{"no container", "0::/user.slice/user-1000.slice/session-3.scope\n", "", "", ""},
		{"short hex is not an id", "0::/docker/abc123\n", "", "", ""},
		{"garbage", "docker-" + id, "", "", ""},
		{"empty", "", "", "", ""},
	} {
		g := parseCgroup(tc.in)
		if g.id != tc.id || g.runtime != tc.rt || g.podUID != tc.podUID {
			t.Errorf("%s: parseCgroup = %+v, want id %q runtime %q pod %q", tc.name, g, tc.id, tc.rt, tc.podUID)
		}
	}
}

func FuzzParseCgroup(f *testing.F) {
	f.Add("0::/system.slice/docker-a3f1c2d4e5b60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9a.scope\n")
	f.Add("0::/kubepods/besteffort/pod9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a/c1d2\n12:memory:/docker/\n")
	f.Add(":::\n::\n")
	f.Fuzz(func(t *testing.T, s string) {
		g := parseCgroup(s)
		if g.id != "" && (len(g.id) != 64 || !strings.Contains(s, g.id)) {
			t.Errorf("id %q not a 64-digit id of the input", g.id)
		}
		if g.podUID != "" && len(g.podUID) != 36 {
			t.Errorf("pod uid %q", g.podUID)
		}
	})
}

// The live path: a namespace made with ip netns, a process in it, and a
// setting changed only there. netsnap captures its table through the
// process and reads the setting by joining it; its own namespace is untouched.
func TestCollectNetNSLive(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	ns := netns.New(t, "nsnetns")
	ns.Sysctl(t, "net.core.somaxconn", "77")
	ns.Sysctl(t, "net.ipv4.ip_local_port_range", "20000\t20999")
	// A listener in the namespace, so its table has a row the host's lacks.
	cmd := ns.Command(context.Background(), "python3", "-c", "import socket,time; s=socket.socket(); s.bind(('127.0.0.1', 18931)); s.listen(7); time.sleep(60)")
	ns.Start(t, cmd)
	pid := cmd.Process.Pid
	var ino uint64
	deadline := time.Now().Add(5 * time.Second)
	for {
		if t, err := os.Readlink("/proc/" + itoa(uint64(pid)) + "/ns/net"); err == nil {
			ino, _ = netnsLink(t)
		}
		tcp, _ := os.ReadFile("/proc/" + itoa(uint64(pid)) + "/net/tcp")
		if ino != 0 && strings.Contains(string(tcp), ":49F3 ") || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	s, m := collectTo(t, context.Background(), Options{Samples: 1, NetNS: itoa(uint64(pid)), Only: []string{"uptime", "netns", "netns-sysctl"}})
	if len(m.NetNS) != 1 || m.NetNS[0].Inode != ino || m.NetNS[0].Kind != "netns" || m.NetNS[0].Name != ns.Name() || !slices.Contains(m.NetNS[0].PIDs, pid) {
		t.Fatalf("netns = %+v, want inode %d named %s with pid %d", m.NetNS, ino, ns.Name(), pid)
	}
	dir := m.NetNS[0].Dir
	if got := string(readEntry(t, s, dir+"/proc/sys/net/core/somaxconn")); got != "77\n" {
		t.Errorf("somaxconn in the namespace = %q, want 77", got)
	}
	if got := string(readEntry(t, s, dir+"/proc/sys/net/ipv4/ip_local_port_range")); got != "20000\t20999\n" {
		t.Errorf("ip_local_port_range in the namespace = %q", got)
	}
	if tcp := string(readEntry(t, s, dir+"/samples/1/proc/net/tcp")); !strings.Contains(tcp, "0100007F:49F3 00000000:0000 0A") {
		t.Errorf("the namespace's listener on 127.0.0.1:18931 is not in its table:\n%s", tcp)
	}
	r := m.Source("netns-sysctl")
	if len(r) != 1 || r[0].Status != snapshot.StatusOK || r[0].Files < 15 {
		t.Errorf("netns-sysctl = %+v", r)
	}
	// The host's value is its own, not the namespace's.
	host, _ := os.ReadFile("/proc/sys/net/core/somaxconn")
	if string(host) == "77\n" {
		t.Error("the host's somaxconn is 77: the namespace's setting leaked")
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

func readFixture(t *testing.T, root, p string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, p))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// An nginx in a mount namespace of its own (a container's view of the
// files): its configuration lives on a tmpfs mounted only there, invisible
// at that path from netsnap's namespace. netsnap finds the master, reads
// the configuration through /proc/PID/root and stores it there.
func TestNginxInItsOwnMountNamespaceLive(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	nginxBin, err := exec.LookPath("nginx")
	if err != nil {
		t.Skip("nginx not installed")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare not installed")
	}
	ns := netns.New(t, "nsmnt")
	dir := t.TempDir() // empty here; a tmpfs with the configuration in the new mount namespace
	conf := `pid ` + dir + `/nginx.pid;
error_log ` + dir + `/error.log;
events { worker_connections 16; }
http {
    access_log off;
    upstream private_backend { server 127.0.0.1:18932; }
    server { listen 127.0.0.1:18933; location / { proxy_pass http://private_backend; } }
}
`
	script := `mount -t tmpfs -o size=1m,mode=0755 netsnap-test "$1" && printf '%s' "$2" > "$1/nginx.conf" && exec "$3" -p "$1" -c "$1/nginx.conf" -g 'daemon off;'`
	cmd := ns.Command(context.Background(), "unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", dir, conf, nginxBin)
	ns.Start(t, cmd)
	pid := cmd.Process.Pid
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile("/proc/" + itoa(uint64(pid)) + "/cmdline")
		if strings.HasPrefix(string(b), "nginx: master") || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(dir, "nginx.conf")); err == nil {
		t.Fatal("the configuration is visible from the test's own mount namespace: the test proves nothing")
	}
	s, m := collectTo(t, context.Background(), Options{Samples: 1, NetNS: NetNSHost, Only: []string{"uptime", "processes", "nginx"}})
	var inst *snapshot.NginxInstance
	for i := range m.Nginx {
		if m.Nginx[i].PID == pid {
			inst = &m.Nginx[i]
		}
	}
	if inst == nil {
		t.Fatalf("nginx master %d not found: %+v", pid, m.Nginx)
	}
	root := "/proc/" + itoa(uint64(pid)) + "/root"
	if inst.Root != root || inst.Conf != dir+"/nginx.conf" || len(inst.ConfigFiles) != 1 {
		t.Fatalf("instance = %+v, want root %s and conf %s/nginx.conf", inst, root, dir)
	}
	got := string(readEntry(t, s, strings.TrimPrefix(root+dir+"/nginx.conf", "/")))
	if !strings.Contains(got, "upstream private_backend") {
		t.Errorf("stored configuration = %q", got)
	}
}

// Joining a namespace must never move the process's own view: /proc/self/net
// (what every /proc/net read of netsnap shows) follows the main thread, and
// the Go runtime never ends the main thread, so a join that happened on it
// would leave it there for the rest of the capture. Many joins, then the
// view and the main thread's namespace are checked.
func TestJoiningLeavesTheProcessView(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	own, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Skip(err)
	}
	ns := netns.New(t, "nsjoin")
	cmd := ns.Command(context.Background(), "sleep", "30")
	ns.Start(t, cmd)
	pid := cmd.Process.Pid
	var ino uint64
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if l, err := os.Readlink("/proc/" + itoa(uint64(pid)) + "/ns/net"); err == nil && l != own {
			ino, _ = netnsLink(l)
			break
		}
	}
	if ino == 0 {
		t.Fatal("the test process never entered its namespace")
	}
	// Keep the main thread free to be picked: many goroutines, many joins.
	for i := range 200 {
		files, err := readInNetNS(context.Background(), 5*time.Second, pid, ino, []string{"core/somaxconn"})
		if err != nil || len(files) != 1 || files[0].err != nil {
			t.Fatalf("join %d: %v %+v", i, err, files)
		}
		if now, _ := os.Readlink("/proc/self/ns/net"); now != own {
			t.Fatalf("after join %d /proc/self/ns/net is %s, was %s: the main thread was left in the joined namespace", i, now, own)
		}
	}
}
