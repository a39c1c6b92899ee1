package collect

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"

	"github.com/netsnap/netsnap/snapshot"
)

// TestMemberWriter writes many more bytes than its chunks hold, in pieces
// of every size, and checks the member decompresses to them.
func TestMemberWriter(t *testing.T) {
	sp := newSpool(t.TempDir())
	defer sp.Close()
	w, err := newMemberWriter(snapshot.Gzip, sp, true)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	line := strings.Repeat("TIME_WAIT\t127.0.0.1:40000\t127.0.0.2:80\t0\t0\t3\t59000\t0\t0\t0\n", 40)
	for i := 0; want.Len() < 8*memberChunks*memberChunk; i++ {
		p := []byte(line)[:i%len(line)]
		if i%97 == 0 {
			p = bytes.Repeat([]byte(line), 100) // larger than a chunk
		}
		want.Write(p)
		if n, err := w.Write(p); n != len(p) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	size, err := w.Close()
	if err != nil || size != int64(want.Len()) {
		t.Fatalf("Close = %d, %v; want %d", size, err, want.Len())
	}
	zr, err := gzip.NewReader(sp.Section(0))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("decompressed %d bytes (%v), want %d", len(got), err, want.Len())
	}
}
