// Package ansible holds the playbook that runs netsnap across a fleet; this
// test runs it for real against this machine (connection local).
package ansible

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netsnap/netsnap/snapshot"
)

func build(t *testing.T, dir, pkg string) string {
	t.Helper()
	out := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = "../.."
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

func TestPlaybookAgainstLocalhost(t *testing.T) {
	playbook, err := exec.LookPath("ansible-playbook")
	if err != nil {
		t.Skip("ansible-playbook not installed (apt-get install ansible): the playbook cannot be exercised")
	}
	if os.Geteuid() != 0 {
		t.Skip("netsnap needs root on the host, and this test runs the playbook against this machine: run as root")
	}
	bin := t.TempDir()
	netsnap := build(t, bin, "./cmd/netsnap")
	netanalyze := build(t, bin, "./cmd/netanalyze")
	out := t.TempDir()
	before, _ := filepath.Glob("/tmp/ansible.*netsnap")

	cmd := exec.Command(playbook, "-i", "localhost,", "-c", "local", "netsnap.yml",
		"-e", "netsnap_binary="+netsnap, "-e", "netanalyze="+netanalyze,
		"-e", "netsnap_output_dir="+out, "-e", "netsnap_samples=2", "-e", "netsnap_interval=200ms",
		"-e", "netsnap_timeout=30", "-e", "ansible_become=false")
	cmd.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1", "ANSIBLE_LOCALHOST_WARNING=false", "ANSIBLE_INVENTORY_UNPARSED_WARNING=false", "ANSIBLE_HOME="+t.TempDir())
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Run(); err != nil {
		t.Fatalf("ansible-playbook: %v\n%s", err, log.String())
	}
	runs, _ := filepath.Glob(filepath.Join(out, "2*"))
	if len(runs) != 1 {
		t.Fatalf("want one run folder in %s, got %v\n%s", out, runs, log.String())
	}
	snap, err := snapshot.Open(filepath.Join(runs[0], "localhost.tgz"), snapshot.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	host, _ := os.Hostname()
	if m := snap.Manifest; m.Hostname != host || len(m.Samples) != 2 || !m.Live {
		t.Errorf("snapshot: host %q samples %d live %v", m.Hostname, len(m.Samples), m.Live)
	}
	fleet, err := os.ReadFile(filepath.Join(runs[0], "fleet.txt"))
	if err != nil || !strings.Contains(string(fleet), "netsnap fleet: 1 snapshot") || !strings.Contains(string(fleet), host) {
		t.Errorf("fleet report: %v\n%s", err, fleet)
	}
	after, _ := filepath.Glob("/tmp/ansible.*netsnap")
	if len(after) != len(before) {
		t.Errorf("the playbook left its work directory on the host: %v", after)
	}
}
