package snapshot

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"strings"
	"testing"
)

// TestAsyncMember writes many more bytes than its chunks hold, in pieces
// of every size, and checks the member decompresses to them.
func TestAsyncMember(t *testing.T) {
	var dst bytes.Buffer
	w, err := NewAsyncMember(Gzip, &dst, true)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	line := strings.Repeat("TIME_WAIT\t127.0.0.1:40000\t127.0.0.2:80\t0\t0\t3\t59000\t0\t0\t0\n", 40)
	for i := 0; want.Len() < 8*asyncChunks*asyncChunk; i++ {
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
	zr, err := gzip.NewReader(&dst)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("decompressed %d bytes (%v), want %d", len(got), err, want.Len())
	}
}

// A failing destination (a full disk) is reported by Close, and Write
// never blocks on it.
func TestAsyncMemberReportsWriteErrors(t *testing.T) {
	w, err := NewAsyncMember(Zstd, failingWriter{}, false)
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte("x"), 1<<20)
	for range 8 {
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Close(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Close = %v, want the destination's error", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

var errDiskFull = errors.New("disk full")
