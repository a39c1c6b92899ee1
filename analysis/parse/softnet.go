package parse

import (
	"io"

	"github.com/netsnap/netsnap/analysis/model"
)

// softnetMinColumns is the width of the oldest layout (2.6.32): processed,
// dropped, time_squeeze, five zeros and cpu_collision. Later kernels add
// received_rps (2.6.35), flow_limit_count (3.11), backlog length and the
// CPU number (5.10), input and process queue lengths (6.x).
const softnetMinColumns = 9

// Softnet reads /proc/net/softnet_stat: one row of hex columns per online
// CPU. A row with fewer than 9 columns or a value that is not hex is a
// problem and skipped. CPU is column 13 where the kernel prints it, else
// the row's index among the file's rows.
func Softnet(r io.Reader, p *Problems) ([]model.Softnet, error) {
	lr := newLineReader(r, p)
	var out []model.Softnet
	row := -1
	for {
		line, err := lr.next()
		if err != nil {
			return out, lr.done(err)
		}
		if f, _ := cutField(line); len(f) == 0 {
			continue
		}
		row++
		var cols [13]uint64
		n, ok := hexRow(line, cols[:], p, lr.n)
		if !ok {
			continue
		}
		if n < softnetMinColumns {
			p.Addf(lr.n, "%d columns, want at least %d", n, softnetMinColumns)
			continue
		}
		cpu := row
		if n >= 13 && cols[12] < 1<<31 {
			cpu = int(cols[12])
		}
		out = append(out, model.Softnet{
			CPU:         cpu,
			Processed:   cols[0],
			Dropped:     cols[1],
			TimeSqueeze: cols[2],
			ReceivedRPS: cols[9],
			FlowLimit:   cols[10],
		})
	}
}
