package main

import (
	"testing"
	"time"
)

func TestPlansSpreadAndTuplesAreUnique(t *testing.T) {
	c := config{established: 40001, timewait: 70000, addrs: 8, ports: 4, perWorker: 7000, hold: time.Second, setupTimeout: time.Minute}
	conns, tw := checkTuples(t, c)
	if conns != 20000 || tw != 70000 {
		t.Errorf("plans make %d connections and %d TIME_WAIT, want 20000 and 70000", conns, tw)
	}
}

// Odd address and port counts, and a worker whose tuples run past one
// source-port span (so the source address changes): still no repeats.
func TestTuplesUniqueOddShapes(t *testing.T) {
	for _, c := range []config{
		{established: 6000, timewait: 9000, addrs: 3, ports: 7, perWorker: 7000, workers: 3, hold: time.Second, setupTimeout: time.Minute},
		{timewait: 70000, addrs: 2, ports: 1, perWorker: 7000, workers: 1, hold: time.Second, setupTimeout: time.Minute},
	} {
		checkTuples(t, c)
	}
}

// checkTuples makes c's plans, checks that every worker's planned and spare
// tuples are distinct over all workers, and returns the totals planned.
func checkTuples(t *testing.T, c config) (conns, tw int) {
	t.Helper()
	plans, err := makePlans(c)
	if err != nil {
		t.Fatal(err)
	}
	type tuple struct{ src, dst string }
	seen := map[tuple]bool{}
	for _, p := range plans {
		if p.conns > c.perWorker {
			t.Errorf("worker %d holds %d connections (> %d)", p.id, p.conns, c.perWorker)
		}
		conns += p.conns
		tw += p.tw
		g := newGen(p.id, c.addrs, c.ports, p.portBase)
		for j := 0; j < 2*(p.conns+p.tw); j++ { // planned tuples and the spares
			src, dst := g.tuple(j)
			if dst.Port < listenPortLo || dst.Port > listenPortHi || src.Port < srcPortLo {
				t.Fatalf("worker %d tuple %d: %v -> %v out of range", p.id, j, src, dst)
			}
			k := tuple{src.String(), dst.String()}
			if seen[k] {
				t.Fatalf("worker %d tuple %d: %v -> %v repeats", p.id, j, src, dst)
			}
			seen[k] = true
		}
	}
	return conns, tw
}

func TestBadFlags(t *testing.T) {
	for _, c := range []config{
		{established: -1, addrs: 8, ports: 4, perWorker: 1, hold: 1, setupTimeout: 1},
		{addrs: 0, ports: 4, perWorker: 1, hold: 1, setupTimeout: 1},
		{addrs: 8, ports: 4, perWorker: 1, hold: 0, setupTimeout: 1},
		{established: 2000, addrs: 8, ports: 4, perWorker: 10, workers: 1, hold: 1, setupTimeout: 1},
	} {
		if _, err := makePlans(c); err == nil {
			t.Errorf("makePlans(%+v) accepted", c)
		}
	}
}
