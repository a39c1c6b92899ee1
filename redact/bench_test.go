package redact

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netsnap/netsnap/snapshot"
)

// benchRows is the size of the generated socket tables.
const benchRows = 1_000_000

// writeTableSnapshot writes a snapshot holding one socket table of rows
// sockets, as netsnap's tcp.txt (diag) or as /proc/net/tcp, over 50,000
// peers in 10/8 and 2,000 public ones, on 40 local addresses.
func writeTableSnapshot(tb testing.TB, dir string, rows int, diag bool) string {
	tb.Helper()
	name := "proc"
	entry := "samples/1/proc/net/tcp"
	if diag {
		name, entry = "diag", "samples/1/netsnap/tcp.txt"
	}
	out := filepath.Join(dir, fmt.Sprintf("%s-%d.tgz", name, rows))
	if _, err := os.Stat(out); err == nil {
		return out
	}
	var table bytes.Buffer
	table.Grow(rows * 150)
	if diag {
		table.WriteString("# netsnap tcp v1 (NETLINK_SOCK_DIAG): state local remote recv_q send_q timer expires_ms retrans uid inode\n")
	} else {
		table.WriteString("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n")
	}
	for i := range rows {
		local := [4]byte{10, 1, 0, byte(i % 40)}
		var remote [4]byte
		if i%25 == 0 {
			p := i / 25 % 2000
			remote = [4]byte{52, byte(p >> 8), byte(p), 7}
		} else {
			p := i % 50000
			remote = [4]byte{10, 9, byte(p >> 8), byte(p)}
		}
		lport, rport := 1024+i%60000, 9092
		if diag {
			fmt.Fprintf(&table, "TIME_WAIT\t%d.%d.%d.%d:%d\t%d.%d.%d.%d:%d\t0\t0\t3\t%d\t0\t0\t0\n",
				local[0], local[1], local[2], local[3], lport, remote[0], remote[1], remote[2], remote[3], rport, i%60000)
		} else {
			fmt.Fprintf(&table, "%6d: %02X%02X%02X%02X:%04X %02X%02X%02X%02X:%04X 06 00000000:00000000 03:000004E3 00000000     0        0 0 3 ffff8802a7ff1f00\n",
				i, local[3], local[2], local[1], local[0], lport, remote[3], remote[2], remote[1], remote[0], rport)
		}
	}
	f, err := os.Create(out)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	start := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	w, err := snapshot.NewWriter(f, snapshot.Gzip, start)
	if err != nil {
		tb.Fatal(err)
	}
	if err := w.AddBytes(entry, table.Bytes()); err != nil {
		tb.Fatal(err)
	}
	m := &snapshot.Manifest{FormatVersion: 1, Tool: "netsnap", ToolVersion: "bench", Hostname: "bench-host-01", Start: start, End: start.Add(time.Second),
		Samples: []snapshot.Sample{{Index: 1, Dir: "samples/1", Start: start, End: start}},
		Sources: []snapshot.SourceResult{{Name: "tcp", Path: "/proc/net/tcp", Archive: entry, Sample: 1, Status: snapshot.StatusOK, Bytes: int64(table.Len())}}}
	if err := w.Close(m); err != nil {
		tb.Fatal(err)
	}
	return out
}

// BenchmarkRedactTable redacts a snapshot of one million sockets, in
// either form: decompression, rewriting and compression included.
func BenchmarkRedactTable(b *testing.B) {
	dir := b.TempDir()
	for _, diag := range []bool{false, true} {
		name := "proc-hex"
		if diag {
			name = "tcp.txt"
		}
		in := writeTableSnapshot(b, dir, benchRows, diag)
		b.Run(name, func(b *testing.B) {
			m := NewMapKey(testKey)
			b.ResetTimer()
			start := time.Now()
			for b.Loop() {
				snap, err := snapshot.Open(in, snapshot.ReadOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if err := Redact(io.Discard, snap, nil, m, Options{}); err != nil {
					b.Fatal(err)
				}
				snap.Close()
			}
			per := time.Since(start) / time.Duration(b.N)
			b.ReportMetric(float64(per.Nanoseconds())/benchRows, "ns/row")
			b.ReportMetric(per.Seconds(), "s/snapshot")
		})
	}
}

// BenchmarkRewriteLines measures the line rewriters alone (no archive).
func BenchmarkRewriteLines(b *testing.B) {
	for _, tc := range []struct {
		name string
		line string
		fn   func(*rewriter, []byte, []byte) []byte
	}{
		{"proc-hex", "   3: AA031FAC:CB7D E03801AC:78F6 06 00000000:00000000 03:000004E3 00000000     0        0 0 3 ffff8802a7ff1f00\n", (*rewriter).procHex},
		{"tcp.txt", "TIME_WAIT\t10.1.0.7:41234\t10.9.3.17:9092\t0\t0\t3\t59731\t0\t0\t0\n", func(r *rewriter, dst, l []byte) []byte { return r.sockText(dst, l, 1, 2) }},
		{"conntrack", "ipv4     2 tcp      6 74 TIME_WAIT src=172.31.3.170 dst=172.31.15.64 sport=45537 dport=9092 src=172.31.15.64 dst=172.31.3.170 sport=9092 dport=45537 [ASSURED] mark=0 zone=0 use=2\n", (*rewriter).text},
		{"syslog", "Mar  1 09:41:21 ip-172-31-3-170 kernel: [12449650.185260] nf_conntrack: table full, dropping packet\n", (*rewriter).text},
	} {
		b.Run(tc.name, func(b *testing.B) {
			r := newRewriter(NewMapKey(testKey), newNameIndex([]string{"ip-172-31-3-170"}))
			line := []byte(tc.line)
			var out []byte
			b.SetBytes(int64(len(line)))
			for b.Loop() {
				out = tc.fn(r, out[:0], line)
			}
			if strings.Contains(string(out), "172.31.3.170") {
				b.Fatalf("not redacted: %s", out)
			}
		})
	}
}
