package parse

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"testing"

	"github.com/netsnap/netsnap/analysis/model"
)

// allocCounter starts counting heap allocations; the returned func gives
// the count so far.
func allocCounter() func() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	start := ms.Mallocs
	return func() uint64 {
		runtime.ReadMemStats(&ms)
		return ms.Mallocs - start
	}
}

// reportPerRow reports time and allocations per row (or entry) of input.
func reportPerRow(b *testing.B, rows int, mallocs uint64) {
	n := float64(b.N) * float64(rows)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/row")
	b.ReportMetric(float64(mallocs)/n, "allocs/row")
}

// genTCP makes a table of n rows, mixing states, like a busy proxy's.
func genTCP(n int, v6 bool) []byte {
	var b bytes.Buffer
	b.WriteString("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n")
	for i := 0; i < n; i++ {
		st := []int{1, 6, 6, 6, 1, 8, 2, 10}[i%8]
		if v6 {
			fmt.Fprintf(&b, "%6d: 0000000000000000FFFF00000F02000A:%04X 0000000000000000FFFF0000%08X:2384 %02X 00000000:00000000 03:%08X 00000000   33        0 %d 1 0000000000000000 20 4 30 10 -1\n",
				i, 32768+i%28233, 0xCD021FAC+i%3, st, i%6000, i)
		} else {
			fmt.Fprintf(&b, "%6d: 0F02000A:%04X %08X:2384 %02X 00000000:00000000 03:%08X 00000000   33        0 %d 1 0000000000000000 20 4 30 10 -1                   \n",
				i, 32768+i%28233, 0xCD021FAC+i%3, st, i%6000, i)
		}
	}
	return b.Bytes()
}

// genConntrack makes an nf_conntrack table of n entries: TIME_WAIT and
// ESTABLISHED TCP to a few brokers, UDP DNS, some IPv6.
func genConntrack(n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		port := 32768 + i%28233
		switch i % 8 {
		case 0, 1, 2, 3, 4:
			fmt.Fprintf(&b, "ipv4     2 tcp      6 %d TIME_WAIT src=10.0.2.15 dst=172.31.2.%d sport=%d dport=9092 src=172.31.2.%d dst=10.0.2.15 sport=9092 dport=%d [ASSURED] mark=0 zone=0 use=2\n",
				i%120, 200+i%3, port, 200+i%3, port)
		case 5:
			fmt.Fprintf(&b, "ipv4     2 tcp      6 431999 ESTABLISHED src=10.0.2.15 dst=10.0.9.%d sport=%d dport=443 packets=12 bytes=3400 src=10.0.9.%d dst=10.0.2.15 sport=443 dport=%d packets=10 bytes=9000 [ASSURED] mark=0 zone=0 use=2\n",
				i%250, port, i%250, port)
		case 6:
			fmt.Fprintf(&b, "ipv4     2 udp      17 %d src=10.0.2.15 dst=10.0.0.2 sport=%d dport=53 [UNREPLIED] src=10.0.0.2 dst=10.0.2.15 sport=53 dport=%d mark=0 zone=0 use=2\n",
				i%30, port, port)
		case 7:
			fmt.Fprintf(&b, "ipv6     10 tcp      6 %d TIME_WAIT src=2001:0db8:0000:0000:0000:0000:0000:0001 dst=2001:0db8:0000:0000:0000:0000:0000:%04x sport=%d dport=443 src=2001:0db8:0000:0000:0000:0000:0000:%04x dst=2001:0db8:0000:0000:0000:0000:0000:0001 sport=443 dport=%d [ASSURED] mark=0 zone=0 use=2\n",
				i%120, 2+i%100, port, 2+i%100, port)
		}
	}
	return b.Bytes()
}

func BenchmarkTCP(b *testing.B) { benchSockets(b, genTCP, TCP) }

// benchSockets runs a socket table parser over 100,000 generated rows,
// IPv4 and IPv6, and reports time and allocations per row.
func benchSockets(b *testing.B, gen func(int, bool) []byte, parse func(io.Reader, *Problems, func(*model.Socket)) error) {
	const rows = 100_000
	for _, v6 := range []bool{false, true} {
		name := "v4"
		if v6 {
			name = "v6"
		}
		data := gen(rows, v6)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			var states [13]int
			fn := func(s *model.Socket) { states[s.State%13]++ }
			var r bytes.Reader
			allocs := allocCounter()
			for b.Loop() {
				r.Reset(data)
				if err := parse(&r, nil, fn); err != nil {
					b.Fatal(err)
				}
			}
			reportPerRow(b, rows, allocs())
			if states[model.TimeWait] == 0 {
				b.Fatal("no TIME_WAIT counted")
			}
		})
	}
}

func BenchmarkConntrack(b *testing.B) {
	const rows = 100_000
	data := genConntrack(rows)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	tw := 0
	fn := func(e *model.ConntrackEntry) {
		if e.State == "TIME_WAIT" {
			tw++
		}
	}
	var r bytes.Reader
	allocs := allocCounter()
	for b.Loop() {
		r.Reset(data)
		if err := Conntrack(&r, nil, fn); err != nil {
			b.Fatal(err)
		}
	}
	reportPerRow(b, rows, allocs())
	if tw == 0 {
		b.Fatal("no TIME_WAIT counted")
	}
}
