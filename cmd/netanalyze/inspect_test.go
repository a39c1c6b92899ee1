package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netsnap/netsnap/snapshot/collect"
)

// fixtureSnapshot collects a fixture host with the real collector.
func fixtureSnapshot(t *testing.T, host string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), host+".tgz")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := collect.Run(context.Background(), collect.Options{Root: filepath.Join("../../testdata/hosts", host), Samples: 2}, f); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestInspect(t *testing.T) {
	snap := fixtureSnapshot(t, "centos6-ipconntrack")
	var out, errOut bytes.Buffer
	if code := run([]string{"inspect", "--entries", snap}, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{
		"host      web-f5-01, kernel 2.6.32-754.el6.x86_64",
		"samples   2 asked, 2 taken",
		"nginx     not running (): /usr/local/nginx/conf/nginx.conf",
		`problem: /usr/local/nginx/conf/nginx.conf:5:`,
		"conntrack-count  1       ok",
		"/proc/sys/net/ipv4/netfilter/ip_conntrack_count",
		"syslog-kernel    -       ok",
		"kernel lines",
		"samples/2/proc/net/tcp",
		"manifest.json",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("inspect output lacks %q\n%s", want, out.String())
		}
	}
}

// inspect lists the captured network namespaces and says which nginx was
// read through a container's root.
func TestInspectNamespaces(t *testing.T) {
	snap := fixtureSnapshot(t, "docker-host")
	var out, errOut bytes.Buffer
	if code := run([]string{"inspect", snap}, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{
		"netns     4026532500 api (docker a3f1c2d4e5b6), pids 5100 5101, in netns/4026532500",
		"netns     4026532700 shop/web-5d9f7c6b8-q7k2m (pod c1d2e3f4a5b6), pids 7100 7200 7201, in netns/4026532700",
		"netns     4026532800 sleep[8100] (processes), pids 8100, in netns/4026532800",
		"nginx     master 7200, 1 workers (/usr/sbin/nginx): /etc/nginx/nginx.conf, prefix /etc/nginx, 2 config files, error logs /var/log/nginx/error.log in its own filesystem, read through /proc/7200/root",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("inspect output lacks %q\n%s", want, out.String())
		}
	}
}

func TestInspectErrors(t *testing.T) {
	notSnap := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(notSnap, []byte("hello\n"), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"inspect", notSnap}, exitUsage, notSnap + ": not a netsnap snapshot"},
		{[]string{"inspect", "/nonexistent.tgz"}, exitUsage, "/nonexistent.tgz"},
		{[]string{"inspect"}, exitUsage, "accepts 1 arg(s)"},
		{[]string{"inspect", "a", "b"}, exitUsage, "accepts 1 arg(s)"},
	} {
		var out, errOut bytes.Buffer
		code := run(tc.args, &out, &errOut)
		if code != tc.code || !strings.Contains(errOut.String(), tc.want) || strings.Count(errOut.String(), "\n") != 1 {
			t.Errorf("netanalyze %v: exit %d stderr %q; want exit %d and one line with %q", tc.args, code, errOut.String(), tc.code, tc.want)
		}
	}
}
