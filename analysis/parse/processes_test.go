package parse

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/netsnap/netsnap/analysis/model"
)

func TestProcesses(t *testing.T) {
	in := "# netsnap processes v1: pid ppid uid comm open_fds nofile_soft nofile_hard cmdline\n" +
		"# tab-separated; \"-\" = unknown; cmdline is recorded for nginx-family processes only\n" +
		"1\t0\t0\tsystemd\t120\t1048576\t1048576\t-\n" +
		"4242\t1\t0\tnginx\t25\t1024\t4096\tnginx: master process /usr/sbin/nginx -c /etc/nginx/nginx.conf -g daemon on;\n" +
		"4243\t4242\t33\tnginx\t40012\t65535\t65535\tnginx: worker process\n" +
		"77\t2\t-\tkworker/0:1 (x)\t-\t-\t-\t-\n" +
		"88\t1\t1000\tjava\t9\tunlimited\tunlimited\t-\r\n" +
		"99\t1\t0\t-\t0\t1024\t4096\targ\twith\ttabs\n" +
		"\n" +
		"5\t1\t0\tshort\n" +
		"x\t1\t0\tbad\t1\t1\t1\t-\n" +
		"0\t1\t0\tzero\t1\t1\t1\t-\n" +
		"6\tx\t0\tbad ppid\t1\t1\t1\t-\n" +
		"7\t1\t-5\tbad uid\t1\t1\t1\t-\n" +
		"8\t1\t0\tbad fds\t-1\t1\t1\t-\n" +
		"9\t1\t0\tbad soft\t1\tlots\t1\t-\n" +
		"10\t1\t0\tbad hard\t1\t1\t99999999999999999999\t-\n" +
		"11 1 0 spaces 1 1 1 -\n"
	p := &Problems{}
	got, err := Processes(strings.NewReader(in), p)
	if err != nil {
		t.Fatal(err)
	}
	want := []model.Process{
		{PID: 1, PPID: 0, UID: 0, Comm: "systemd", OpenFDs: 120, NofileSoft: 1048576, NofileHard: 1048576},
		{PID: 4242, PPID: 1, UID: 0, Comm: "nginx", OpenFDs: 25, NofileSoft: 1024, NofileHard: 4096,
			Cmdline: "nginx: master process /usr/sbin/nginx -c /etc/nginx/nginx.conf -g daemon on;"},
		{PID: 4243, PPID: 4242, UID: 33, Comm: "nginx", OpenFDs: 40012, NofileSoft: 65535, NofileHard: 65535, Cmdline: "nginx: worker process"},
		{PID: 77, PPID: 2, UID: -1, Comm: "kworker/0:1 (x)", OpenFDs: -1, NofileSoft: -1, NofileHard: -1},
		{PID: 88, PPID: 1, UID: 1000, Comm: "java", OpenFDs: 9, NofileSoft: model.Unlimited, NofileHard: model.Unlimited},
		{PID: 99, PPID: 1, UID: 0, OpenFDs: 0, NofileSoft: 1024, NofileHard: 4096, Cmdline: "arg\twith\ttabs"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Processes =\n%+v\nwant\n%+v", got, want)
	}
	if p.Count != 9 {
		t.Errorf("problems:\n%s; want 9", p)
	}
}

// TestProcessesCaptured reads a processes.txt that netsnap wrote on a test
// machine (with a fake nginx master, whose command line is kept).
func TestProcessesCaptured(t *testing.T) {
	f, err := os.Open("testdata/netsnap/processes.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := &Problems{}
	got, err := Processes(f, p)
	if err != nil || p.Count != 0 {
		t.Fatalf("Processes: %v, problems:\n%s", err, p)
	}
	if len(got) != 86 {
		t.Errorf("%d processes; want 86", len(got))
	}
	var nginx []model.Process
	pids := map[int]bool{}
	for _, pr := range got {
		if pids[pr.PID] || pr.UID < 0 || pr.Comm == "" || pr.NofileSoft < 0 || pr.NofileSoft > pr.NofileHard {
			t.Errorf("process %+v", pr)
		}
		pids[pr.PID] = true
		if pr.Cmdline != "" {
			nginx = append(nginx, pr)
		}
	}
	if len(nginx) != 1 || !strings.HasPrefix(nginx[0].Cmdline, "nginx: master process /usr/sbin/nginx -c /etc/nginx/nginx.conf") {
		t.Errorf("processes with a command line: %+v; want the nginx master", nginx)
	}
	if !pids[1] {
		t.Error("no pid 1")
	}
}
