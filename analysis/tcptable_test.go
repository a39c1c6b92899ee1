package analysis_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netsnap/netsnap"
	"github.com/netsnap/netsnap/analysis"
	"github.com/netsnap/netsnap/analysis/model"
	"github.com/netsnap/netsnap/analysis/parse"
	"github.com/netsnap/netsnap/analysis/rules"
	"github.com/netsnap/netsnap/snapshot"
)

// toSocketTable rewrites each sample of the extracted snapshot dir the way
// netsnap stores a NETLINK_SOCK_DIAG dump: proc/net/tcp and tcp6 become one
// netsnap/tcp.txt. Listeners get backlog as their send_q.
func toSocketTable(t *testing.T, dir string, backlog uint32) {
	t.Helper()
	samples, _ := filepath.Glob(filepath.Join(dir, "samples", "*"))
	if len(samples) == 0 {
		t.Fatalf("no samples in %s", dir)
	}
	for _, s := range samples {
		var b bytes.Buffer
		b.WriteString("# netsnap tcp v1 (NETLINK_SOCK_DIAG): state local remote recv_q send_q timer expires_ms retrans uid inode\n")
		for _, name := range []string{"proc/net/tcp", "proc/net/tcp6"} {
			p := filepath.Join(s, name)
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			err = parse.TCP(f, nil, func(k *model.Socket) {
				tx, retrans := k.TxQueue, k.Retransmits
				if k.State == model.Listen {
					tx = backlog
				}
				if k.Timer == 2 || k.Timer == 4 {
					retrans = k.Timeout
				}
				fmt.Fprintf(&b, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", k.State, k.Local, k.Remote,
					k.RxQueue, tx, k.Timer, k.TimerMS, retrans, k.UID, k.Inode)
			})
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			os.Remove(p)
		}
		if err := os.MkdirAll(filepath.Join(s, "netsnap"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(s, "netsnap", "tcp.txt"), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSocketTableFormatsAgree analyses the samples twice: as collected
// (/proc/net/tcp and tcp6) and with the same sockets in netsnap's socket
// table format. Every finding must come out the same, numbers included.
func TestSocketTableFormatsAgree(t *testing.T) {
	for _, name := range []string{"tengine-before", "tengine-after", "tengine-sibling"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if out, err := exec.Command("tar", "xzf", filepath.Join("..", "samples", name+".tgz"), "-C", dir).CombinedOutput(); err != nil {
				t.Fatalf("tar: %v\n%s", err, out)
			}
			want := analyze(t, dir)
			toSocketTable(t, dir, 4096)
			got := analyze(t, dir)
			if len(want.Findings) == 0 {
				t.Fatal("no findings: the sample proves nothing")
			}
			if fmt.Sprint(ids(got)) != fmt.Sprint(ids(want)) {
				t.Fatalf("findings differ:\n proc: %s\ntable: %s", ids(want), ids(got))
			}
			for i := range want.Findings {
				w, g := want.Findings[i], got.Findings[i]
				// The tcp_states table says where its counts come from.
				ge := strings.ReplaceAll(fmt.Sprint(g.Evidence), "netsnap's NETLINK_SOCK_DIAG dump (netsnap/tcp.txt)", "/proc/net/tcp and tcp6")
				if w.Title != g.Title || fmt.Sprint(w.Evidence) != ge {
					t.Errorf("%s differs:\n proc: %s %v\ntable: %s %v", w.ID, w.Title, w.Evidence, g.Title, g.Evidence)
				}
			}
			note := ""
			for _, s := range got.Sections {
				if s.ID == "tcp_states" {
					note = s.Note
				}
			}
			if !bytes.Contains([]byte(note), []byte("netsnap/tcp.txt")) {
				t.Errorf("tcp_states note does not name the socket table: %q", note)
			}
			if len(got.Problems) != len(want.Problems) {
				t.Errorf("problems differ:\n proc: %+v\ntable: %+v", want.Problems, got.Problems)
			}
		})
	}
}

// TestOpenSnapshotSameReport analyses archives opened with OpenSnapshot
// (socket tables parsed while the archive is decompressed) and with
// snapshot.Open (parsed afterwards): the JSON reports must be identical,
// for /proc tables (the samples) and for netsnap's socket table.
func TestOpenSnapshotSameReport(t *testing.T) {
	set, err := rules.Load(rules.Source{Name: "rules.toml", Data: netsnap.DefaultRules})
	if err != nil {
		t.Fatal(err)
	}
	report := func(snap *snapshot.Snapshot) string {
		t.Helper()
		defer snap.Close()
		r, err := analysis.Analyze(snap, set)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, name := range []string{"tengine-before", "tengine-after"} {
		for _, table := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/table=%v", name, table), func(t *testing.T) {
				path := filepath.Join("..", "samples", name+".tgz")
				if table {
					dir := t.TempDir()
					if out, err := exec.Command("tar", "xzf", path, "-C", dir).CombinedOutput(); err != nil {
						t.Fatalf("tar: %v\n%s", err, out)
					}
					toSocketTable(t, dir, 511)
					path = filepath.Join(t.TempDir(), "table.tgz")
					if out, err := exec.Command("tar", "--sort=name", "-czf", path, "-C", dir, ".").CombinedOutput(); err != nil {
						t.Fatalf("tar: %v\n%s", err, out)
					}
				}
				plain, err := snapshot.Open(path, snapshot.ReadOptions{})
				if err != nil {
					t.Fatal(err)
				}
				want := report(plain)
				streamed, err := analysis.OpenSnapshot(path, snapshot.ReadOptions{})
				if err != nil {
					t.Fatal(err)
				}
				got := report(streamed)
				if taken, left := analysis.StreamedTables(streamed); taken == 0 || left != 0 {
					t.Errorf("%d socket tables parsed while reading were used, %d not", taken, left)
				}
				if got != want {
					t.Errorf("reports differ:\n stream %.400s\n  plain %.400s", got, want)
				}
				// When a table parsed while reading cannot be used, the loader
				// parses it from the snapshot, which did not keep it (a
				// tee-only entry) and reads it again from the archive.
				fallback, err := analysis.OpenSnapshot(path, snapshot.ReadOptions{})
				if err != nil {
					t.Fatal(err)
				}
				fallback.Prepared = nil
				if got := report(fallback); got != want {
					t.Errorf("reports differ:\n re-read %.400s\n   plain %.400s", got, want)
				}
				if !strings.Contains(want, `"findings":[{`) {
					t.Error("no findings: the comparison proves little")
				}
			})
		}
	}
}
