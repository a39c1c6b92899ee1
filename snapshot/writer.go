package snapshot

import (
	"archive/tar"
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Compression names accepted by NewWriter.
const (
	Gzip = "gzip"
	Zstd = "zstd"
)

// Writer writes a snapshot archive: a tar stream, compressed, with entries
// added one after the other and the manifest last. It holds no entry in
// memory: each is copied from its reader.
type Writer struct {
	bw    *bufio.Writer
	zw    io.WriteCloser
	tw    *tar.Writer
	mtime time.Time
	seen  map[string]struct{}
	bytes int64 // uncompressed bytes of entry data written
}

// NewWriter starts an archive on w. compression is Gzip or Zstd. Every
// entry gets mtime as its modification time.
func NewWriter(w io.Writer, compression string, mtime time.Time) (*Writer, error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	var zw io.WriteCloser
	switch compression {
	case Gzip, "":
		g, err := gzip.NewWriterLevel(bw, 6)
		if err != nil {
			return nil, err
		}
		zw = g
	case Zstd:
		z, err := zstd.NewWriter(bw,
			zstd.WithEncoderLevel(zstd.SpeedDefault),
			zstd.WithEncoderConcurrency(1),
			zstd.WithLowerEncoderMem(true))
		if err != nil {
			return nil, err
		}
		zw = z
	default:
		return nil, fmt.Errorf("unknown compression %q (want gzip or zstd)", compression)
	}
	return &Writer{bw: bw, zw: zw, tw: tar.NewWriter(zw), mtime: mtime.Truncate(time.Second), seen: map[string]struct{}{}}, nil
}

// Add writes one regular-file entry of exactly size bytes read from r.
// name is an archive path: relative, clean, without "..".
func (w *Writer) Add(name string, size int64, r io.Reader) error {
	if err := checkName(name); err != nil {
		return err
	}
	if _, dup := w.seen[name]; dup {
		return fmt.Errorf("archive entry %q written twice", name)
	}
	w.seen[name] = struct{}{}
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     name,
		Size:     size,
		Mode:     0o644,
		ModTime:  w.mtime,
		Format:   tar.FormatPAX,
	}
	if len(name) <= 100 {
		hdr.Format = tar.FormatUSTAR
	}
	if err := w.tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("archive entry %s: %w", name, err)
	}
	n, err := io.CopyN(w.tw, r, size)
	w.bytes += n
	if err != nil {
		return fmt.Errorf("archive entry %s: %w", name, err)
	}
	return nil
}

// AddBytes writes one entry holding b.
func (w *Writer) AddBytes(name string, b []byte) error {
	return w.Add(name, int64(len(b)), strings.NewReader(string(b)))
}

// Has reports whether an entry of that name was written.
func (w *Writer) Has(name string) bool {
	_, ok := w.seen[name]
	return ok
}

// DataBytes is the number of uncompressed entry bytes written so far.
func (w *Writer) DataBytes() int64 { return w.bytes }

// Close writes the manifest as the last entry and ends the archive. It does
// not close the underlying writer.
func (w *Writer) Close(m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if err := w.AddBytes(ManifestName, b); err != nil {
		return err
	}
	if err := w.tw.Close(); err != nil {
		return err
	}
	if err := w.zw.Close(); err != nil {
		return err
	}
	return w.bw.Flush()
}

func checkName(name string) error {
	if name == "" || strings.HasPrefix(name, "/") || path.Clean(name) != name || name == ".." || strings.HasPrefix(name, "../") {
		return fmt.Errorf("bad archive entry name %q", name)
	}
	return nil
}
