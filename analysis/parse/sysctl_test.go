package parse

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/netsnap/netsnap/analysis/model"
)

func TestSysctlTree(t *testing.T) {
	fsys := fstest.MapFS{
		"proc/sys/net/core/somaxconn":                        {Data: []byte("4096\n")},
		"proc/sys/net/ipv4/ip_local_port_range":              {Data: []byte("32768\t60999\n")},
		"proc/sys/net/ipv4/tcp_mem":                          {Data: []byte("45588\t60787\t91176\n")},
		"proc/sys/net/ipv4/tcp_available_congestion_control": {Data: []byte("reno cubic\n")},
		"proc/sys/net/ipv4/conf/eth0.100/rp_filter":          {Data: []byte("1\n")},
		"proc/sys/net/ipv4/route/flush":                      {Data: []byte("")},
		"proc/sys/net/ipv4/multi":                            {Data: []byte("  a  \n\n b\t\n")},
		"proc/sys/net/ipv4/huge":                             {Data: make([]byte, maxSysctlValue+1)},
		"proc/sys/net/ipv4/link":                             {Data: []byte("x"), Mode: fs.ModeSymlink},
		"proc/sys/fs/file-max":                               {Data: []byte("9223372036854775807\n")},
		"samples/1/proc/sys/fs/file-nr":                      {Data: []byte("1530\t0\t791526\n")},
		"tree/a/b":                                           {Data: []byte("c\n")},
	}
	for _, tt := range []struct {
		root     string
		want     model.Sysctls
		problems int
	}{
		{"proc/sys", model.Sysctls{
			"net.core.somaxconn":                        "4096",
			"net.ipv4.ip_local_port_range":              "32768 60999",
			"net.ipv4.tcp_mem":                          "45588 60787 91176",
			"net.ipv4.tcp_available_congestion_control": "reno cubic",
			"net.ipv4.conf.eth0.100.rp_filter":          "1",
			"net.ipv4.route.flush":                      "",
			"net.ipv4.multi":                            "a b",
			"fs.file-max":                               "9223372036854775807",
		}, 1},
		{"proc/sys/net/core", model.Sysctls{"net.core.somaxconn": "4096"}, 0},
		{"proc/sys/fs/file-max", model.Sysctls{"fs.file-max": "9223372036854775807"}, 0},
		{"./proc/sys/fs/", model.Sysctls{"fs.file-max": "9223372036854775807"}, 0},
		{"samples/1/proc/sys", model.Sysctls{"fs.file-nr": "1530 0 791526"}, 0},
		{"tree", model.Sysctls{"a.b": "c"}, 0},
	} {
		p := &Problems{}
		got, err := SysctlTree(fsys, tt.root, p)
		if err != nil {
			t.Errorf("SysctlTree(%q) error: %v", tt.root, err)
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("SysctlTree(%q) =\n%v\nwant\n%v", tt.root, got, tt.want)
		}
		if p.Count != tt.problems {
			t.Errorf("SysctlTree(%q): problems:\n%s; want %d", tt.root, p, tt.problems)
		}
	}

	_, err := SysctlTree(fsys, "proc/sys/nope", nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("SysctlTree(missing root) error = %v; want fs.ErrNotExist", err)
	}

	// Files and directories that cannot be read are problems naming them.
	p := &Problems{}
	got, err := SysctlTree(failFS{fsys, "proc/sys/net/core/somaxconn", "proc/sys/net/ipv4/conf"}, "proc/sys/net", p)
	if err != nil || got["net.ipv4.tcp_mem"] == "" || p.Count != 3 {
		t.Errorf("SysctlTree(failing files) = %d keys, %v, problems:\n%s; want 3 problems", len(got), err, p)
	}
	if _, ok := got["net.core.somaxconn"]; ok {
		t.Error("an unreadable file has a key")
	}
	if s := p.String(); !strings.Contains(s, "proc/sys/net/core/somaxconn: permission denied") {
		t.Errorf("problems do not name the file:\n%s", s)
	}
}

// failFS fails to open the file bad and to read the directory badDir.
type failFS struct {
	fstest.MapFS
	bad, badDir string
}

func (f failFS) Open(name string) (fs.File, error) {
	if name == f.bad {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return f.MapFS.Open(name)
}

func (f failFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if name == f.badDir {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrPermission}
	}
	return f.MapFS.ReadDir(name)
}

// TestSysctlTreeCorpus reads the sysctl trees of real hosts (hotsos
// sosreports, node_exporter's fixture, this repository's host fixtures):
// one key per file, no problem, and the values the corpus README states.
func TestSysctlTreeCorpus(t *testing.T) {
	for _, tt := range []struct {
		dir  string
		want map[string]string
	}{
		{"procfs-hotsos/tests/unit/fake_data_root/kubernetes", map[string]string{
			"net.netfilter.nf_conntrack_count":  "901",
			"net.netfilter.nf_conntrack_max":    "131072",
			"net.ipv4.tcp_mem":                  "45588 60787 91176",
			"net.ipv4.conf.flannel.1.rp_filter": "",
		}},
		{"procfs-hotsos/tests/unit/fake_data_root/vault", nil},
		{"procfs-hotsos/tests/unit/fake_data_root/rabbitmq", nil},
		{"procfs-hotsos/tests/unit/fake_data_root/storage/ceph-mon", nil},
		{"procfs-node_exporter/collector/fixtures", map[string]string{
			"net.netfilter.nf_conntrack_count": "123",
			"net.netfilter.nf_conntrack_max":   "65536",
		}},
	} {
		t.Run(tt.dir, func(t *testing.T) {
			dir := sharedCorpus(t, tt.dir)
			checkSysctlTree(t, dir, "proc/sys", tt.want)
		})
	}
	for _, host := range []string{"centos6-ipconntrack", "proxy-modern"} {
		t.Run(host, func(t *testing.T) {
			checkSysctlTree(t, hostFixture(t, host), "proc/sys", map[string]string{"fs.file-nr": "*"})
		})
	}
}

// checkSysctlTree reads root below dir and compares it with the files
// there; want lists values to check ("" = present with any value that is
// not empty; "*" = present).
func checkSysctlTree(t *testing.T, dir, root string, want map[string]string) {
	t.Helper()
	p := &Problems{}
	got, err := SysctlTree(os.DirFS(dir), root, p)
	if err != nil || p.Count != 0 {
		t.Fatalf("SysctlTree: %v, problems:\n%s", err, p)
	}
	files := 0
	err = filepath.WalkDir(filepath.Join(dir, root), func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files++
		}
		return err
	})
	if err != nil || files != len(got) || files == 0 {
		t.Errorf("%d keys from %d files (%v)", len(got), files, err)
	}
	for k, w := range want {
		v, ok := got[k]
		switch {
		case !ok:
			t.Errorf("%s absent", k)
		case w == "" && v == "", w != "" && w != "*" && v != w:
			t.Errorf("%s = %q; want %q", k, v, w)
		}
	}
	for k, v := range got {
		if strings.ContainsAny(v, "\t\n") || strings.Contains(v, "  ") || strings.HasPrefix(k, ".") {
			t.Errorf("%s = %q: not folded", k, v)
		}
	}
}

// TestSysctlTreeLive reads this machine's /proc/sys/net. Some files cannot
// be read even by root (write-only flush files, stable_secret before it is
// set): those are problems, nothing else is.
func TestSysctlTreeLive(t *testing.T) {
	if _, err := os.Stat("/proc/sys/net/core/somaxconn"); err != nil {
		t.Skip(err)
	}
	for _, root := range []string{"proc/sys/net", "proc/sys/fs"} {
		p := &Problems{}
		got, err := SysctlTree(os.DirFS("/"), root, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) < 10 {
			t.Errorf("%s: %d keys", root, len(got))
		}
		for _, q := range p.First {
			if !strings.Contains(q.Msg, "permission denied") && !strings.Contains(q.Msg, "input/output error") &&
				!strings.Contains(q.Msg, "invalid argument") && !strings.Contains(q.Msg, "operation not supported") {
				t.Errorf("%s: unexpected problem: %s", root, q.Msg)
			}
		}
		if root == "proc/sys/net" {
			if n, ok := got.Int("net.core.somaxconn"); !ok || n <= 0 {
				t.Errorf("net.core.somaxconn = %q", got["net.core.somaxconn"])
			}
			if r, ok := got.Ints("net.ipv4.ip_local_port_range"); !ok || len(r) != 2 || r[0] > r[1] {
				t.Errorf("net.ipv4.ip_local_port_range = %q", got["net.ipv4.ip_local_port_range"])
			}
		}
	}
}

func TestSysctlKey(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_fin_timeout"},
		{"net/ipv4/tcp_fin_timeout", "net.ipv4.tcp_fin_timeout"},
		{"/net/ipv4/tcp_fin_timeout", "net.ipv4.tcp_fin_timeout"},
		{"net.ipv4.conf.eth0/100.rp_filter", "net.ipv4.conf.eth0.100.rp_filter"},
		{"net/ipv4/conf/eth0.100/rp_filter", "net.ipv4.conf.eth0.100.rp_filter"},
		{" net.core.somaxconn ", "net.core.somaxconn"},
		{"net.ipv4.conf.*.rp_filter", "net.ipv4.conf.*.rp_filter"},
	} {
		if got := SysctlKey(tt.in); got != tt.want {
			t.Errorf("SysctlKey(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// settings formats settings as "line key=value" lines.
func settings(s []model.SysctlSetting) string {
	var b strings.Builder
	for _, x := range s {
		fmt.Fprintf(&b, "%d %s=%s\n", x.Line, x.Key, x.Value)
	}
	return b.String()
}

func TestSysctlConf(t *testing.T) {
	in := `# /etc/sysctl.conf
; another comment
net.ipv4.tcp_max_tw_buckets = 100
net.ipv4.tcp_tw_recycle=1
   net.core.somaxconn	=	4096   
net.ipv4.ip_local_port_range = 1024    65000
-net.ipv4.tcp_tw_reuse = 1
net/ipv4/tcp_fin_timeout = 3
net.ipv4.conf.eth0/100.rp_filter = 2
net.ipv4.conf.*.rp_filter = 1
kernel.core_pattern = |/usr/lib/systemd/systemd-coredump %P %u = x
net.core.rmem_max = 16777216 # raised for kafka

no equals sign
= 5
net.core.wmem_max =
bad key = 1
net.ipv4.tcp_syncookies = 1` // no final newline
	p := &Problems{}
	got, err := SysctlConf(strings.NewReader(in), "etc/sysctl.conf", p)
	if err != nil {
		t.Fatal(err)
	}
	want := `3 net.ipv4.tcp_max_tw_buckets=100
4 net.ipv4.tcp_tw_recycle=1
5 net.core.somaxconn=4096
6 net.ipv4.ip_local_port_range=1024 65000
7 net.ipv4.tcp_tw_reuse=1
8 net.ipv4.tcp_fin_timeout=3
9 net.ipv4.conf.eth0.100.rp_filter=2
10 net.ipv4.conf.*.rp_filter=1
11 kernel.core_pattern=|/usr/lib/systemd/systemd-coredump %P %u = x
12 net.core.rmem_max=16777216 # raised for kafka
18 net.ipv4.tcp_syncookies=1
`
	if s := settings(got); s != want {
		t.Errorf("SysctlConf =\n%s\nwant\n%s", s, want)
	}
	if p.Count != 4 {
		t.Errorf("problems:\n%s; want 4", p)
	}
	for _, s := range got {
		if s.File != "etc/sysctl.conf" {
			t.Errorf("File = %q", s.File)
		}
	}
}

// TestSysctlConfFiles reads the repository's host fixtures and this
// machine's sysctl.conf and sysctl.d files: no problem in any.
func TestSysctlConfFiles(t *testing.T) {
	var files []string
	for _, pat := range []string{"../../testdata/hosts/*/etc/sysctl.conf", "../../testdata/hosts/*/etc/sysctl.d/*",
		"/etc/sysctl.conf", "/etc/sysctl.d/*.conf", "/usr/lib/sysctl.d/*.conf", "/run/sysctl.d/*.conf"} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skip("no sysctl.conf files")
	}
	total := 0
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Error(err)
			continue
		}
		p := &Problems{File: name}
		got, err := SysctlConf(f, name, p)
		f.Close()
		if err != nil || p.Count != 0 {
			t.Errorf("%s: %v, problems:\n%s", name, err, p)
		}
		total += len(got)
	}
	if total == 0 {
		t.Errorf("no settings in %v", files)
	}
	// proxy-modern's sysctl.d file persists somaxconn 4096; its runtime tree agrees.
	dir, err := filepath.Abs(filepath.Join("..", "..", "testdata", "hosts", "proxy-modern"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "etc", "sysctl.d", "99-proxy.conf")); err == nil {
		rt, err := SysctlTree(os.DirFS(dir), "proc/sys", nil)
		f, _ := os.Open(filepath.Join(dir, "etc", "sysctl.d", "99-proxy.conf"))
		persisted, _ := SysctlConf(f, "etc/sysctl.d/99-proxy.conf", nil)
		f.Close()
		for _, s := range persisted {
			if v, ok := rt[s.Key]; err == nil && ok && s.Key == "net.core.somaxconn" && v != s.Value {
				t.Errorf("%s: runtime %q, persisted %q", s.Key, v, s.Value)
			}
		}
	}
}

func TestRCLocal(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
		problems       int
	}{
		{"sysctl -w", "#!/bin/sh\nsysctl -w net.ipv4.tcp_fin_timeout=3\n", "2 net.ipv4.tcp_fin_timeout=3\n", 0},
		{"flags and paths",
			"/sbin/sysctl -q -w net.core.somaxconn=4096 net.ipv4.tcp_tw_reuse=1\n" +
				"/usr/sbin/sysctl -qw net.ipv4.tcp_max_syn_backlog=8192\n" +
				"sysctl -e --write net/ipv4/tcp_syncookies=1\n" +
				"sysctl net.ipv4.tcp_timestamps=1\n" +
				"sudo -n sysctl -w vm.swappiness=10\n" +
				"LANG=C sysctl -w net.ipv4.tcp_fin_timeout=30\n",
			"1 net.core.somaxconn=4096\n1 net.ipv4.tcp_tw_reuse=1\n2 net.ipv4.tcp_max_syn_backlog=8192\n" +
				"3 net.ipv4.tcp_syncookies=1\n4 net.ipv4.tcp_timestamps=1\n5 vm.swappiness=10\n6 net.ipv4.tcp_fin_timeout=30\n", 0},
		{"quoted values",
			"sysctl -w net.ipv4.ip_local_port_range=\"1024 65000\"\n" +
				"sysctl -w 'net.ipv4.tcp_rmem=4096   87380 16777216'\n" +
				"sysctl -w net.ipv4.tcp_wmem=4096\\ 16384\\ 4194304\n",
			"1 net.ipv4.ip_local_port_range=1024 65000\n2 net.ipv4.tcp_rmem=4096 87380 16777216\n3 net.ipv4.tcp_wmem=4096 16384 4194304\n", 0},
		{"echo",
			"echo 1 > /proc/sys/net/ipv4/tcp_tw_recycle\n" +
				"echo \"32768 61000\" >/proc/sys/net/ipv4/ip_local_port_range\n" +
				"echo -n 65536 >> /proc/sys/net/netfilter/nf_conntrack_max\n" +
				"  echo 262144 | tee /proc/sys/net/core/somaxconn > /dev/null\n" +
				"echo '10' > /proc/sys/net/ipv4/tcp_fin_timeout 2>/dev/null\n" +
				"echo 1 > /tmp/not-a-sysctl\n" +
				"echo hello\n" +
				"echo 3 2>/proc/sys/vm/drop_caches\n",
			"1 net.ipv4.tcp_tw_recycle=1\n2 net.ipv4.ip_local_port_range=32768 61000\n3 net.netfilter.nf_conntrack_max=65536\n" +
				"4 net.core.somaxconn=262144\n5 net.ipv4.tcp_fin_timeout=10\n", 0},
		{"compound lines",
			"modprobe nf_conntrack && sysctl -w net.netfilter.nf_conntrack_max=1048576 || true\n" +
				"if [ -f /proc/sys/net/ipv4/tcp_tw_recycle ]; then echo 0 > /proc/sys/net/ipv4/tcp_tw_recycle; fi\n" +
				"sysctl -w net.core.somaxconn=1024; sysctl -w net.core.netdev_max_backlog=5000 # comment sysctl -w a.b=c\n" +
				"# sysctl -w net.ipv4.tcp_fin_timeout=1\n" +
				"sysctl -w \\\n    net.ipv4.tcp_keepalive_time=600\n" +
				"touch /var/lock/subsys/local\n",
			"1 net.netfilter.nf_conntrack_max=1048576\n2 net.ipv4.tcp_tw_recycle=0\n3 net.core.somaxconn=1024\n" +
				"3 net.core.netdev_max_backlog=5000\n5 net.ipv4.tcp_keepalive_time=600\n", 0},
		{"not settings",
			"sysctl -p\nsysctl -p /etc/sysctl.d/99-x.conf\nsysctl --system\nsysctl -a | grep tw\nsysctl net.core.somaxconn\n" +
				"cat /proc/sys/net/core/somaxconn\nexit 0\n",
			"", 0},
		{"here-document",
			"cat > /etc/sysctl.d/90-x.conf <<'EOF'\nnet.core.somaxconn = 1\necho 1 > /proc/sys/net/ipv4/ip_forward\nEOF\n" +
				"cat <<-END >/dev/null\n\tsysctl -w a.b=1\n\tEND\n" +
				"sysctl -w net.ipv4.ip_forward=0\n",
			"8 net.ipv4.ip_forward=0\n", 0},
		{"multi-line quote",
			"echo \"1\n\" > /proc/sys/net/ipv4/ip_forward\nsysctl -w net.a=1\n",
			"1 net.ipv4.ip_forward=1\n3 net.a=1\n", 0},
		{"problems",
			"sysctl -w net.core.somaxconn=$SOMAXCONN\n" +
				"sysctl -w net.core.somaxconn\n" +
				"for i in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 1 > $i; done\n" +
				"for i in eth0 eth1; do echo 0 > /proc/sys/net/ipv4/conf/$i/rp_filter; done\n" +
				"echo $(nproc) > /proc/sys/net/core/somaxconn\n" +
				"echo > /proc/sys/net/ipv4/ip_forward\n" +
				"echo 1>/proc/sys/net/ipv4/ip_forward\n" +
				"sysctl -w '=1'\n" +
				"echo `cat /etc/somaxconn` > /proc/sys/net/core/somaxconn\n" +
				"sysctl -w net.core.somaxconn=$(cat /etc/somaxconn | tr -d ' ')\n" +
				"sysctl net.core.somaxconn=\n" +
				"sysctl -w net.ipv4.tcp_fin_timeout=\"3\n",
			"", 12},
		{"crlf", "sysctl -w net.core.somaxconn=4096\r\n", "1 net.core.somaxconn=4096\n", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := &Problems{}
			got, err := RCLocal(strings.NewReader(tt.in), "etc/rc.local", p)
			if err != nil {
				t.Fatal(err)
			}
			if s := settings(got); s != tt.want {
				t.Errorf("RCLocal =\n%s\nwant\n%s", s, tt.want)
			}
			if p.Count != tt.problems {
				t.Errorf("problems:\n%s; want %d", p, tt.problems)
			}
		})
	}
}

func TestRCLocalFixture(t *testing.T) {
	f, err := os.Open(hostFixture(t, "centos6-ipconntrack/etc/rc.local"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := &Problems{}
	got, err := RCLocal(f, "etc/rc.local", p)
	if err != nil || p.Count != 0 {
		t.Fatalf("RCLocal: %v, problems:\n%s", err, p)
	}
	if s := settings(got); s != "2 net.ipv4.tcp_fin_timeout=3\n" {
		t.Errorf("RCLocal = %q", s)
	}
}

// TestRCLocalLive reads this machine's rc.local scripts: no problem.
func TestRCLocalLive(t *testing.T) {
	var found []string
	for _, name := range []string{"/etc/rc.local", "/etc/rc.d/rc.local"} {
		f, err := os.Open(name)
		if err != nil {
			continue
		}
		found = append(found, name)
		p := &Problems{}
		_, err = RCLocal(f, name, p)
		f.Close()
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		t.Logf("%s: %d problems", name, p.Count)
	}
	if len(found) == 0 {
		t.Skip("no rc.local on this machine")
	}
	sort.Strings(found)
}
