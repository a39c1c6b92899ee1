package analysis

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/netsnap/netsnap/analysis/model"
	"github.com/netsnap/netsnap/analysis/parse"
)

// benchTable is a socket table like a busy proxy's: TIME_WAIT and
// ESTABLISHED toward a few dozen upstreams from every ephemeral port,
// clients on two listeners.
func benchTable(n int) []byte {
	var b bytes.Buffer
	b.WriteString("# netsnap tcp v1 (NETLINK_SOCK_DIAG): state local remote recv_q send_q timer expires_ms retrans uid inode\n")
	b.WriteString("LISTEN\t0.0.0.0:80\t0.0.0.0:0\t0\t511\t0\t0\t0\t0\t1001\n")
	b.WriteString("LISTEN\t0.0.0.0:443\t0.0.0.0:0\t0\t511\t0\t0\t0\t0\t1002\n")
	for i := 0; i < n; i++ {
		switch i % 4 {
		case 0, 1:
			fmt.Fprintf(&b, "TIME_WAIT\t10.0.2.15:%d\t172.31.%d.%d:8080\t0\t0\t3\t%d\t0\t0\t0\n", 32768+i%28232, i%4, 10+i%40, i%60000)
		case 2:
			fmt.Fprintf(&b, "ESTABLISHED\t10.0.2.15:%d\t172.31.%d.%d:8080\t0\t0\t0\t0\t0\t33\t%d\n", 32768+i%28232, i%4, 10+i%40, 100000+i)
		case 3:
			fmt.Fprintf(&b, "ESTABLISHED\t10.0.2.15:443\t100.%d.%d.%d:%d\t0\t0\t2\t7000\t0\t33\t%d\n", i%200, (i/200)%250, i%251, 1024+i%60000, 200000+i)
		}
	}
	return b.Bytes()
}

// BenchmarkTableAggregate parses and aggregates a socket table as the
// analyzer does, per row.
func BenchmarkTableAggregate(b *testing.B) {
	const rows = 200_000
	data := benchTable(rows)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		a := newTCPAgg(nil)
		if err := parse.TCPTable(bytes.NewReader(data), nil, a.add); err != nil {
			b.Fatal(err)
		}
		a.finish(func(p uint16) bool { return p >= 32768 && p <= 60999 })
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
}

// BenchmarkTableParse is the parser alone.
func BenchmarkTableParse(b *testing.B) {
	const rows = 200_000
	data := benchTable(rows)
	b.SetBytes(int64(len(data)))
	n := 0
	for b.Loop() {
		if err := parse.TCPTable(bytes.NewReader(data), nil, func(*model.Socket) { n++ }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
}
