package main

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/netsnap/netsnap/internal/fixture"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netsnap/netsnap/internal/golden"
	"github.com/netsnap/netsnap/snapshot/collect"
)

// variantSnapshot collects a copy of a fixture host with some files replaced, deterministically.
func variantSnapshot(t *testing.T, host, name string, mods map[string]string) string {
	t.Helper()
	return changedSnapshot(t, host, name, func(root string) {
		for p, content := range mods {
			if err := os.WriteFile(filepath.Join(root, p), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// changedSnapshot collects a copy of a fixture host after change(root),
// deterministically; a name starting with "after" is dated later.
func changedSnapshot(t *testing.T, host, name string, change func(root string)) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), host)
	fixture.CopyTree(t, filepath.Join("../../testdata/hosts", host), root)
	change(root)
	out := filepath.Join(t.TempDir(), name+".tgz")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	clock := fixedClock()
	if name == "after" || strings.HasPrefix(name, "after") {
		clock() // later than before
		for i := 0; i < 7200; i++ {
			clock()
		}
	}
	if _, err := collect.Run(context.Background(), collect.Options{Root: root, Samples: 2, Interval: 1, Now: clock, Version: "test"}, f); err != nil {
		t.Fatal(err)
	}
	return out
}

// The seed 001 host after its fix: recycle off, a sane TIME_WAIT limit, persisted.
var seed001Fix = map[string]string{
	"proc/sys/net/ipv4/tcp_tw_recycle":     "0\n",
	"proc/sys/net/ipv4/tcp_max_tw_buckets": "180000\n",
	"proc/sys/net/ipv4/tcp_fin_timeout":    "30\n",
	"etc/sysctl.conf":                      "net.ipv4.tcp_max_tw_buckets = 180000\nnet.ipv4.tcp_tw_recycle = 0\n",
	"proc/uptime":                          "3903600.55 7000000.10\n",
}

func TestDiffGolden(t *testing.T) {
	before := variantSnapshot(t, "centos6-ipconntrack", "before", nil)
	after := variantSnapshot(t, "centos6-ipconntrack", "after", seed001Fix)
	for _, format := range []string{"text", "markdown", "json"} {
		t.Run(format, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run([]string{before, after, "-f", format, "--color", "never"}, &out, &errOut); code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			golden.Check(t, out.Bytes())
		})
	}
}

func TestDiffContract(t *testing.T) {
	before := variantSnapshot(t, "centos6-ipconntrack", "before", nil)
	after := variantSnapshot(t, "centos6-ipconntrack", "after", seed001Fix)
	var out, errOut bytes.Buffer
	if code := run([]string{"diff", before, after, "-f", "json"}, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var d struct {
		Findings []struct {
			ID, Status string
			Changes    []string
		} `json:"findings"`
		SysctlChanges    []struct{ Key, Before, After string } `json:"sysctl_changes"`
		PersistedChanges []struct{ Key, Before, After string } `json:"persisted_changes"`
		Rebooted         bool                                  `json:"rebooted"`
		ElapsedSeconds   float64                               `json:"elapsed_seconds"`
	}
	if err := json.Unmarshal(out.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, f := range d.Findings {
		status[f.ID] = f.Status
	}
	for id, want := range map[string]string{"tcp-tw-recycle-enabled": "resolved", "tcp-tw-buckets-too-low": "resolved", "aggressive-tcp-timers": "persisting", "conntrack-table-full": "persisting"} {
		if status[id] != want {
			t.Errorf("%s: status %q, want %q", id, status[id], want)
		}
	}
	changes := map[string][2]string{}
	for _, c := range d.SysctlChanges {
		changes[c.Key] = [2]string{c.Before, c.After}
	}
	if changes["net.ipv4.tcp_max_tw_buckets"] != [2]string{"100", "180000"} || changes["net.ipv4.tcp_tw_recycle"] != [2]string{"1", "0"} {
		t.Errorf("sysctl_changes: %+v", d.SysctlChanges)
	}
	if len(d.PersistedChanges) != 2 || d.Rebooted || d.ElapsedSeconds < 3600 {
		t.Errorf("persisted %+v rebooted %v elapsed %v", d.PersistedChanges, d.Rebooted, d.ElapsedSeconds)
	}
}

func TestDiffRebootAndHosts(t *testing.T) {
	before := variantSnapshot(t, "centos6-ipconntrack", "before", nil)
	rebooted := variantSnapshot(t, "centos6-ipconntrack", "after", map[string]string{"proc/sys/kernel/random/boot_id": "11111111-2222-3333-4444-555555555555\n", "proc/uptime": "60.00 100.00\n"})
	var out, errOut bytes.Buffer
	if code := run([]string{before, rebooted}, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "The host rebooted between the snapshots (its boot id changed)") || !strings.Contains(out.String(), "rebooted") {
		t.Errorf("reboot not stated:\n%s", out.String()[:400])
	}
	other := goldenSnapshot(t, "healthy-proxy")
	out.Reset()
	errOut.Reset()
	if code := run([]string{before, other}, &out, &errOut); code != exitUsage || !strings.Contains(errOut.String(), "different hosts (web-f5-01 and healthy-proxy): use --force") {
		t.Errorf("different hosts: exit %d, %q", code, errOut.String())
	}
	out.Reset()
	if code := run([]string{"diff", "--force", before, other}, &out, &errOut); code != exitOK || !strings.Contains(out.String(), "These are snapshots of two different hosts") {
		t.Errorf("--force: exit %d", code)
	}
}

func TestFleet(t *testing.T) {
	dir := t.TempDir()
	for _, h := range []string{"centos6-ipconntrack", "healthy-proxy", "proxy-modern"} {
		b, err := os.ReadFile(goldenSnapshot(t, h))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, h+".tgz"), b, 0o644)
	}
	os.WriteFile(filepath.Join(dir, "truncated.tgz"), []byte("\x1f\x8b\x08\x00garbage"), 0o644)
	for _, format := range []string{"text", "markdown", "json"} {
		t.Run(format, func(t *testing.T) {
			var out, errOut bytes.Buffer
			// The unreadable snapshot has its row, a line on stderr, and exit 2.
			if code := run([]string{"fleet", dir, "-f", format, "--color", "never"}, &out, &errOut); code != exitUsage ||
				!strings.Contains(errOut.String(), "netanalyze: truncated.tgz: ") || !strings.Contains(errOut.String(), "1 of 4 snapshots could not be read") {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			golden.Check(t, bytes.ReplaceAll(out.Bytes(), []byte(dir), []byte("DIR")))
		})
	}
	// Globs and files give the same rows; --fail-on looks at every host.
	var out, errOut bytes.Buffer
	code := run([]string{"fleet", filepath.Join(dir, "*-proxy.tgz"), filepath.Join(dir, "proxy-modern.tgz"), "-f", "json", "--fail-on", "critical", "-j", "1"}, &out, &errOut)
	var fl struct {
		Hosts []struct{ Hostname, Error string } `json:"hosts"`
	}
	json.Unmarshal(out.Bytes(), &fl)
	if code != exitFindings || len(fl.Hosts) != 2 || fl.Hosts[0].Hostname != "healthy-proxy" || fl.Hosts[1].Hostname != "proxy-modern" {
		t.Errorf("glob fleet: exit %d, hosts %+v, %s", code, fl.Hosts, errOut.String())
	}
	if code := run([]string{"fleet", filepath.Join(dir, "none-*.tgz")}, &out, &errOut); code != exitUsage {
		t.Errorf("a glob matching nothing: exit %d", code)
	}
	errOut.Reset()
	if code := run([]string{"fleet", filepath.Join(dir, "healthy-proxy.tgz"), filepath.Join(dir, "missing.tgz")}, &out, &errOut); code != exitUsage ||
		!strings.Contains(errOut.String(), "missing.tgz: no such file or directory") {
		t.Errorf("a missing file: exit %d, %q", code, errOut.String())
	}
}

// TestSeed000Diff compares the bundled samples: what INCIDENTS.md says the
// diff of seed 000 shows. (Its "ephemeral-port-exhaustion new" cannot hold:
// the write-up's TIME_WAIT sampling toward one broker already needs more than
// half the range before the change, see samples/README.md; it persists.)
func TestSeed000Diff(t *testing.T) {
	before, after := "../../samples/tengine-before.tgz", "../../samples/tengine-after.tgz"
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run([]string{"diff", before, after, "-f", format, "--color", "never"}, &out, &errOut); code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			golden.Check(t, out.Bytes())
			if format != "json" {
				return
			}
			var d struct {
				Findings      []struct{ ID, Status string }         `json:"findings"`
				SysctlChanges []struct{ Key, Before, After string } `json:"sysctl_changes"`
				Sections      []struct {
					ID   string     `json:"id"`
					Rows [][]string `json:"rows"`
				} `json:"sections"`
			}
			if err := json.Unmarshal(out.Bytes(), &d); err != nil {
				t.Fatal(err)
			}
			status := map[string]string{}
			for _, f := range d.Findings {
				status[f.ID] = f.Status
			}
			if status["tcp-tw-bucket-overflow"] != "resolved" || status["ephemeral-port-exhaustion"] != "persisting" || status["conntrack-table-full"] != "resolved" {
				t.Errorf("statuses: %v", status)
			}
			found := false
			for _, c := range d.SysctlChanges {
				found = found || c.Key == "net.ipv4.tcp_max_tw_buckets" && c.Before == "65536" && c.After == "180000"
			}
			if !found {
				t.Error("no tcp_max_tw_buckets 65536 → 180000 change")
			}
			for _, s := range d.Sections {
				if s.ID != "tcp_states" {
					continue
				}
				for _, r := range s.Rows {
					if r[0] == "TIME_WAIT" && (r[1] != "65536" || r[2] != "125708" || r[3] != "+60172") {
						t.Errorf("TIME_WAIT row %v, want 65536 → 125708 (+60172)", r)
					}
				}
			}
		})
	}
}
