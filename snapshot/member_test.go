package snapshot

import (
	"archive/tar"
	"bytes"
	stdgzip "compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// TestAddMember writes entries around one compressed as a member of its
// own and reads the archive back with this package's reader and with
// stock tar.
func TestAddMember(t *testing.T) {
	for _, comp := range []string{Gzip, Zstd} {
		t.Run(comp, func(t *testing.T) {
			var out bytes.Buffer
			w, err := NewWriter(&out, comp, time.Unix(1700000000, 0))
			if err != nil {
				t.Fatal(err)
			}
			if err := w.AddBytes("a.txt", []byte("first\n")); err != nil {
				t.Fatal(err)
			}
			data := strings.Repeat("ESTABLISHED\t10.0.0.1:80\t10.0.0.2:5000\t0\t0\t0\t0\t0\t0\t1\n", 3000) + "odd"
			var comp1 bytes.Buffer
			m, err := NewMember(comp, &comp1, comp == Gzip)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < len(data); i += 1000 { // as a dump writes it, in pieces
				m.Write([]byte(data[i:min(i+1000, len(data))]))
			}
			if err := m.Close(); err != nil {
				t.Fatal(err)
			}
			if m.Size() != int64(len(data)) {
				t.Fatalf("Size %d, want %d", m.Size(), len(data))
			}
			if err := w.AddMember("samples/1/netsnap/tcp.txt", m.Size(), &comp1); err != nil {
				t.Fatal(err)
			}
			if err := w.AddMember("samples/1/netsnap/tcp.txt", 0, &bytes.Buffer{}); err == nil {
				t.Error("a duplicate member entry was accepted")
			}
			if err := w.AddBytes("b.txt", []byte("after\n")); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(&Manifest{FormatVersion: FormatVersion, Tool: "netsnap"}); err != nil {
				t.Fatal(err)
			}
			// This package's reader.
			dir := t.TempDir()
			ext := map[string]string{Gzip: ".tgz", Zstd: ".tar.zst"}[comp]
			p := filepath.Join(dir, "x"+ext)
			if err := os.WriteFile(p, out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := Open(p, ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for name, want := range map[string]string{"a.txt": "first\n", "samples/1/netsnap/tcp.txt": data, "b.txt": "after\n"} {
				f, err := s.Open(name)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				got, _ := io.ReadAll(f)
				f.Close()
				if string(got) != want {
					t.Errorf("%s: %d bytes, want %d", name, len(got), len(want))
				}
			}
			// Stock tar (and gzip/zstd behind it).
			flag := map[string]string{Gzip: "-z", Zstd: "--zstd"}[comp]
			if comp == Zstd {
				if _, err := exec.LookPath("zstd"); err != nil {
					t.Skip("no zstd program for tar --zstd")
				}
			}
			cmd := exec.Command("tar", flag, "-xOf", p, "samples/1/netsnap/tcp.txt")
			got, err := cmd.Output()
			if err != nil {
				t.Fatalf("tar: %v", err)
			}
			if string(got) != data {
				t.Errorf("tar extracted %d bytes, want %d", len(got), len(data))
			}
			// archive/tar over the whole stream, entry by entry.
			r, err := decompressor(comp, bytes.NewReader(out.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			tr := tar.NewReader(r)
			var names []string
			for {
				h, err := tr.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("after %v: %v", names, err)
				}
				names = append(names, h.Name)
			}
			if strings.Join(names, " ") != "a.txt samples/1/netsnap/tcp.txt b.txt manifest.json" {
				t.Errorf("entries %v", names)
			}
		})
	}
}

// decompressor reads a gzip stream with the standard library's reader (a
// second implementation: multi-member streams are standard) or a zstd one.
func decompressor(comp string, r io.Reader) (io.Reader, error) {
	if comp == Gzip {
		return stdgzip.NewReader(r)
	}
	d, err := zstd.NewReader(r)
	if err != nil {
		return nil, err
	}
	return d.IOReadCloser(), nil
}
