package collect

import (
	"testing"
)

func TestParseNginxCmdline(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want nginxArgs
	}{
		// A master rewrites its title: one string, arguments joined by spaces.
		{"nginx: master process /usr/sbin/nginx -g daemon on; master_process on;\x00",
			nginxArgs{bin: "/usr/sbin/nginx", globals: "daemon on; master_process on;"}},
		{"nginx: master process /usr/sbin/nginx -c /etc/nginx/nginx.conf\x00",
			nginxArgs{bin: "/usr/sbin/nginx", conf: "/etc/nginx/nginx.conf"}},
		{"nginx: master process /usr/local/openresty/nginx/sbin/nginx -p /usr/local/openresty/nginx/ -c conf/nginx.conf -g daemon off;",
			nginxArgs{bin: "/usr/local/openresty/nginx/sbin/nginx", prefix: "/usr/local/openresty/nginx/", conf: "conf/nginx.conf", globals: "daemon off;"}},
		{"nginx: master process /usr/local/tengine/sbin/nginx -g pid /run/t.pid; -c /etc/tengine/nginx.conf",
			nginxArgs{bin: "/usr/local/tengine/sbin/nginx", conf: "/etc/tengine/nginx.conf", globals: "pid /run/t.pid;"}},
		{"nginx: master process nginx", nginxArgs{bin: "nginx"}},
		// Not rewritten (master_process off, or a foreground master): NUL-separated arguments.
		{"/usr/sbin/nginx\x00-c\x00/srv/my nginx/nginx.conf\x00-g\x00daemon off; worker_processes 2;\x00",
			nginxArgs{bin: "/usr/sbin/nginx", conf: "/srv/my nginx/nginx.conf", globals: "daemon off; worker_processes 2;"}},
		{"/opt/nginx/sbin/nginx\x00-c/opt/nginx/conf/alt.conf\x00-p/opt/nginx\x00",
			nginxArgs{bin: "/opt/nginx/sbin/nginx", conf: "/opt/nginx/conf/alt.conf", prefix: "/opt/nginx"}},
		{"", nginxArgs{}},
		{"nginx: master process /usr/sbin/nginx -c", nginxArgs{bin: "/usr/sbin/nginx"}},
	} {
		if got := parseNginxCmdline([]byte(tc.raw)); got != tc.want {
			t.Errorf("parseNginxCmdline(%q) = %+v; want %+v", tc.raw, got, tc.want)
		}
	}
}

func TestIsNginxProc(t *testing.T) {
	for _, tc := range []struct {
		comm, cmdline string
		want          bool
	}{
		{"nginx", "nginx: worker process", true},
		{"openresty", "", true},
		{"sh", "nginx: master process /usr/sbin/nginx", true},
		{"bash", "/usr/local/openresty/bin/openresty\x00-g\x00daemon off;", true},
		{"java", "java\x00-jar\x00nginx-exporter.jar", false},
		{"nginx-prometheus", "/usr/bin/nginx-prometheus-exporter\x00", false},
		{"sh", "", false},
	} {
		if got := isNginxProc(tc.comm, []byte(tc.cmdline)); got != tc.want {
			t.Errorf("isNginxProc(%q, %q) = %v", tc.comm, tc.cmdline, got)
		}
	}
}

func TestNginxPaths(t *testing.T) {
	for exe, want := range map[string]string{
		"/usr/sbin/nginx":                       "/etc/nginx",
		"/usr/local/nginx/sbin/nginx":           "/usr/local/nginx",
		"/usr/local/openresty/nginx/sbin/nginx": "/usr/local/openresty/nginx",
		"/opt/bin/nginx":                        "",
		"":                                      "",
	} {
		if got := prefixFromExe(exe); got != want {
			t.Errorf("prefixFromExe(%q) = %q; want %q", exe, got, want)
		}
	}
	if got := absUnder("/usr/local/nginx", "conf/nginx.conf"); got != "/usr/local/nginx/conf/nginx.conf" {
		t.Errorf("absUnder = %q", got)
	}
	if got := flavorOf("/usr/local/openresty/nginx/sbin/nginx", "nginx", ""); got != "openresty" {
		t.Errorf("flavor = %q", got)
	}
	if got := flavorOf("/usr/sbin/nginx", "nginx", "tengine"); got != "tengine" {
		t.Errorf("flavor from the binary = %q", got)
	}
}

func TestSmallParsers(t *testing.T) {
	for in, want := range map[string]int{"0-3": 4, "0": 1, "0-1,4,6-7": 5, "": 0, "x": 0, "3-1": 0} {
		if got := cpuCount(in); got != want {
			t.Errorf("cpuCount(%q) = %d; want %d", in, got, want)
		}
	}
	limits := "Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n"
	if s, h := parseNofile([]byte(limits)); s != "1024" || h != "524288" {
		t.Errorf("parseNofile = %s %s", s, h)
	}
	if s, h := parseNofile([]byte("garbage")); s != "-" || h != "-" {
		t.Errorf("parseNofile(garbage) = %s %s", s, h)
	}
	for line, want := range map[string]bool{
		"Mar  1 10:00:00 web kernel: ip_conntrack: table full, dropping packet.\n": true,
		"2026-11-20T10:00:00.123456+00:00 host kernel: [1.2] TCP: x\n":             true,
		"Mar  1 10:00:01 web sshd[1234]: Accepted publickey for root\n":            false,
		"Mar  1 10:00:01 web app: the kernel: is fine\n":                           true, // accepted: a rare false positive is harmless
	} {
		if got := isKernelLine([]byte(line)); got != want {
			t.Errorf("isKernelLine(%q) = %v", line, got)
		}
	}
}
