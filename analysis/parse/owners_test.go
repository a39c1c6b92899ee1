package parse

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/netsnap/netsnap/analysis/model"
)

func TestSocketOwners(t *testing.T) {
	in := "# netsnap socket owners v1: inode pid fd (tab-separated)\n" +
		"6878667\t22423\t3\n" +
		"18446744073709551615\t4242\t0\n" +
		"12 1 7\r\n" +
		"\n" +
		"   # indented comment\n" +
		"1\t2\n" +
		"1\t2\t3\t4\n" +
		"x\t2\t3\n" +
		"18446744073709551616\t2\t3\n" +
		"1\t0\t3\n" +
		"1\t-2\t3\n" +
		"1\t2\t2147483648\n" +
		"99\t2\t5" // no final newline
	p := &Problems{}
	var got []model.SocketOwner
	err := SocketOwners(strings.NewReader(in), p, func(o model.SocketOwner) { got = append(got, o) })
	if err != nil {
		t.Fatal(err)
	}
	want := []model.SocketOwner{
		{Inode: 6878667, PID: 22423, FD: 3},
		{Inode: 18446744073709551615, PID: 4242, FD: 0},
		{Inode: 12, PID: 1, FD: 7},
		{Inode: 99, PID: 2, FD: 5},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("SocketOwners = %v; want %v", got, want)
	}
	if p.Count != 7 {
		t.Errorf("problems:\n%s; want 7", p)
	}
}

// TestSocketOwnersCaptured reads a socket-owners.txt that netsnap wrote on a
// test machine.
func TestSocketOwnersCaptured(t *testing.T) {
	f, err := os.Open("testdata/netsnap/socket-owners.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := &Problems{}
	n := 0
	err = SocketOwners(f, p, func(o model.SocketOwner) {
		n++
		if o.Inode == 0 || o.PID <= 0 || o.FD < 0 {
			t.Errorf("owner %+v", o)
		}
	})
	if err != nil || p.Count != 0 || n == 0 {
		t.Errorf("SocketOwners: %v, %d owners, problems:\n%s", err, n, p)
	}
}

// ownersInput writes n lines of socket-owners.txt.
func ownersInput(n int) []byte {
	var b bytes.Buffer
	b.WriteString("# netsnap socket owners v1: inode pid fd (tab-separated)\n")
	for i := range n {
		b.WriteString(strconv.Itoa(1000000+i) + "\t" + strconv.Itoa(100+i%500) + "\t" + strconv.Itoa(i%4096) + "\n")
	}
	return b.Bytes()
}

// TestSocketOwnersAllocs checks that a large file costs no allocation per line.
func TestSocketOwnersAllocs(t *testing.T) {
	data := ownersInput(100000)
	n := 0
	allocs := testing.AllocsPerRun(3, func() {
		n = 0
		if err := SocketOwners(bytes.NewReader(data), nil, func(model.SocketOwner) { n++ }); err != nil {
			t.Fatal(err)
		}
	})
	if n != 100000 {
		t.Errorf("%d owners; want 100000", n)
	}
	if allocs > 10 {
		t.Errorf("%v allocations for 100000 lines; want a constant few", allocs)
	}
}

func BenchmarkSocketOwners(b *testing.B) {
	data := ownersInput(100000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := SocketOwners(bytes.NewReader(data), nil, func(model.SocketOwner) {}); err != nil {
			b.Fatal(err)
		}
	}
}
