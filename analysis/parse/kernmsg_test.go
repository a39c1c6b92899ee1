package parse

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netsnap/netsnap/analysis/model"
)

func TestClassifyKernel(t *testing.T) {
	// Lines no public fixture has (ip_conntrack, tw bucket overflow,
	// orphans, tcp_mem) are written here by hand, in the kernels' wording.
	for _, tt := range []struct{ text, id, detail string }{
		{"nf_conntrack: table full, dropping packet", "conntrack-table-full", ""},
		{"nf_conntrack: table full, dropping packet.", "conntrack-table-full", ""},
		{"nf_conntrack: nf_conntrack: table full, dropping packet", "conntrack-table-full", ""},
		{"nf_conntrack: nf_conntrack: table full in netns 4026532177, dropping packet", "conntrack-table-full", "4026532177"},
		{"nf_conntrack: table full in netns 4026531993, dropping packet", "conntrack-table-full", "4026531993"},
		{"ip_conntrack: table full, dropping packet.", "conntrack-table-full", ""},
		{"ffff8800b9fc6040[ 703.5] nf_conntrack: table full, dropping packet", "conntrack-table-full", ""},
		{"nf_conntrack: expectation table full", "", ""},
		{"nf_conntrack: table full in netns x, dropping packet", "", ""},
		{"xnf_conntrack: table full, dropping packet", "", ""},
		{"nf_conntrack: table fully loaded", "", ""},
		{"nf_conntrack: falling back to vmalloc.", "", ""},

		{"TCP: time wait bucket table overflow", "tw-bucket-overflow", ""},
		{"TCP: time wait bucket table overflow (CPU3)", "tw-bucket-overflow", ""},
		{"TCP: time wait bucket table overflow (CPU 12)", "tw-bucket-overflow", ""},
		{"time wait bucket table overflow", "tw-bucket-overflow", ""},

		{"Possible SYN flooding on port 80. Sending cookies.", "syn-flood", "80"},
		{"Possible SYN flooding on port 8080. Dropping request.", "syn-flood", "8080"},
		{"possible SYN flooding on port 443. Sending cookies.", "syn-flood", "443"},
		{"TCP: request_sock_TCP: Possible SYN flooding on port 0.0.0.0:80. Sending cookies.  Check SNMP counters.", "syn-flood", "0.0.0.0:80"},
		{"TCP: request_sock_TCPv6: Possible SYN flooding on port [::]:443. Sending cookies.  Check SNMP counters.", "syn-flood", "[::]:443"},
		{"TCP: request_sock_TCPv6: Possible SYN flooding on port 20032. Sending cookies.  Check SNMP counters.", "syn-flood", "20032"},
		{"TCP: request_sock_TCP: Possible SYN flooding on port 10.0.0.1:9092. Dropping request.  Check SNMP counters.", "syn-flood", "10.0.0.1:9092"},
		{"Possible SYN flooding on port x:80. Sending cookies.", "syn-flood", "80"},
		{"Possible SYN flooding on port ", "syn-flood", ""},
		{"ImPossible SYN flooding on port 80.", "", ""},

		{"TCP: too many orphaned sockets", "orphans", ""},
		{"TCP: too many of orphaned sockets", "orphans", ""},
		{"too many orphaned sockets", "orphans", ""},
		{"Out of socket memory", "orphans", ""},
		{"TCP: Out of socket memory", "orphans", ""},
		{"not too many orphaned sockets here", "orphans", ""}, // a word boundary is all we ask
		{"orphaned sockets: 3", "", ""},

		{"TCP: out of memory -- consider tuning tcp_mem", "tcp-mem", ""},
		{"out of memory -- consider tuning tcp_mem", "tcp-mem", ""},
		{"Memory cgroup out of memory: Kill process 1012 (heapster)", "", ""},

		{"net_ratelimit: 10606 callbacks suppressed", "ratelimit", "10606"},
		{" 0000000000120018[  703.530883] net_ratelimit: 7720 callbacks suppressed", "ratelimit", "7720"},
		{"kauditd_printk_skb: 18 callbacks suppressed", "", ""},
		{"xnet_ratelimit: 3 callbacks suppressed", "", ""},
		{"net_ratelimit: many callbacks suppressed", "", ""},
		{"NET_RATELIMIT: 3 CALLBACKS SUPPRESSED", "", ""}, // the kernel never upper-cases

		{"", "", ""},
		{"TCP: Hash tables configured (established 32768 bind 32768)", "", ""},
	} {
		id, detail := ClassifyKernel(tt.text)
		if id != tt.id || detail != tt.detail {
			t.Errorf("ClassifyKernel(%q) = %q, %q; want %q, %q", tt.text, id, detail, tt.id, tt.detail)
		}
	}
}

// TestKernelMessages checks the table: ids are unique and kebab-case, every
// message is documented, and every example classifies as its message.
func TestKernelMessages(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range KernelMessages() {
		if seen[m.ID] || m.ID == "" || strings.Trim(m.ID, "abcdefghijklmnopqrstuvwxyz-") != "" {
			t.Errorf("id %q: duplicate or not kebab-case", m.ID)
		}
		seen[m.ID] = true
		if m.Doc == "" || len(m.Examples) == 0 {
			t.Errorf("%s: no doc or no examples", m.ID)
		}
		for _, ex := range m.Examples {
			if id, _ := ClassifyKernel(ex); id != m.ID {
				t.Errorf("%s: example %q classifies as %q", m.ID, ex, id)
			}
			if id, _ := ClassifyKernel("[ 12.000001] " + ex); id != m.ID {
				t.Errorf("%s: example %q after a timestamp classifies as %q", m.ID, ex, id)
			}
		}
	}
	for _, id := range []string{"conntrack-table-full", "tw-bucket-overflow", "syn-flood", "orphans", "tcp-mem", "ratelimit"} {
		if !seen[id] {
			t.Errorf("no message %q", id)
		}
	}
}

// classifyLog parses a log and counts its classified messages as
// "id detail" (or "id") -> count.
func classifyLog(t *testing.T, path, format string) (map[string]int, int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return classifyRecords(t, f, format)
}

func classifyRecords(t *testing.T, r interface{ Read([]byte) (int, error) }, format string) (map[string]int, int) {
	t.Helper()
	got := map[string]int{}
	n := 0
	p := &Problems{}
	err := Kernlog(r, format, 2026, nil, p, func(rec *model.KernelRecord) {
		n++
		if id, detail := ClassifyKernel(rec.Text); id != "" {
			got[strings.TrimSpace(id+" "+detail)]++
		}
	})
	if err != nil || p.Count != 0 {
		t.Fatalf("Kernlog: %v, problems:\n%s", err, p)
	}
	return got, n
}

func TestClassifyKernelCorpus(t *testing.T) {
	// Positives: syzkaller consoles, header skipped.
	for _, tt := range []struct {
		name string
		want map[string]int
	}{
		{"89", map[string]int{"syn-flood 20032": 1}},
		{"446", map[string]int{"syn-flood 20002": 1}},
		{"287", map[string]int{"ratelimit 10606": 1}},
		{"378", map[string]int{"ratelimit 18": 1}},
		{"443", map[string]int{"ratelimit 7720": 1}}, // starts mid-line
		// 731 repeats each console line upper-cased as a syslog line; the
		// kernel never prints upper case, so only the console line counts.
		{"731", map[string]int{"ratelimit 3": 1}},
	} {
		t.Run("syzkaller "+tt.name, func(t *testing.T) {
			got, _ := classifyRecords(t, syzkallerConsole(t, tt.name), "dmesg")
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("classified %v; want %v", got, tt.want)
			}
		})
	}

	t.Run("hotsos conntrack scenario", func(t *testing.T) {
		// The scenario's inline var/log/kern.log, taken out of the YAML.
		path := sharedCorpus(t, "kernlog/hotsos/hotsos/defs/tests/scenarios/kernel/network/misc_nf_conntrack_full.yaml")
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var log strings.Builder
		in := false
		for sc := bufio.NewScanner(f); sc.Scan(); {
			line := sc.Text()
			switch {
			case strings.TrimSpace(line) == "var/log/kern.log: |":
				in = true
			case in && strings.HasPrefix(line, "      "):
				log.WriteString(strings.TrimPrefix(line, "      ") + "\n")
			default:
				in = false
			}
		}
		got, n := classifyRecords(t, strings.NewReader(log.String()), "syslog")
		if n != 1 || got["conntrack-table-full"] != 1 || len(got) != 1 {
			t.Errorf("%d records, classified %v; want one conntrack-table-full (hotsos raises 1 NetworkWarning)", n, got)
		}
	})

	// Negatives: a Kubernetes worker's kernel log, as syslog and as dmesg,
	// has no network overload message; its "callbacks suppressed" lines
	// are kauditd's, not net_ratelimit's.
	for _, tt := range []struct{ rel, format string }{
		{"kernlog/hotsos/tests/unit/fake_data_root/kubernetes/var/log/kern.log", "syslog"},
		{"kernlog/hotsos/tests/unit/fake_data_root/kubernetes/sos_commands/kernel/dmesg", "dmesg"},
	} {
		t.Run("negative "+filepath.Base(tt.rel), func(t *testing.T) {
			got, n := classifyLog(t, sharedCorpus(t, tt.rel), tt.format)
			if len(got) != 0 || n < 700 {
				t.Errorf("%d records, classified %v; want none", n, got)
			}
		})
	}
	t.Run("negative node-problem-detector", func(t *testing.T) {
		dir := filepath.Dir(sharedCorpus(t, "kernlog/node-problem-detector/test/kernel_log_generator/problems/oom_kill"))
		files, err := filepath.Glob(filepath.Join(dir, "*"))
		if err != nil || len(files) < 5 {
			t.Fatalf("problem files: %v, %v", files, err)
		}
		for _, f := range files {
			if got, _ := classifyLog(t, f, "dmesg"); len(got) != 0 {
				t.Errorf("%s: classified %v; want none", filepath.Base(f), got)
			}
		}
	})
}

// BenchmarkClassifyKernel measures the common case: a line that is none
// of the messages.
func BenchmarkClassifyKernel(b *testing.B) {
	text := "IPv6: ADDRCONF(NETDEV_CHANGE): veth1c2d3e4f: link becomes ready"
	for b.Loop() {
		ClassifyKernel(text)
	}
}
