package snapshot

import (
	"archive/tar"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzOpen opens arbitrary bytes as a snapshot file: Open must return a
// snapshot or a one-line error, never panic, hang or leave a spool file,
// and a snapshot it returns must be readable throughout.
func FuzzOpen(f *testing.F) {
	small := []tarEntry{
		{name: "proc/", typ: tar.TypeDir},
		{name: "proc/net/tcp", body: "  sl  local_address\n"},
		{name: "proc/sys/net/core/somaxconn", body: "4096\n"},
		manifestEntry(1),
	}
	for _, format := range []string{"gzip", "zstd", "tar"} {
		f.Add(archiveBytes(f, format, small))
	}
	valid := archiveBytes(f, "gzip", small)
	f.Add(valid[:len(valid)/2])
	f.Add(archiveBytes(f, "tar", []tarEntry{{name: "../x", body: "x"}, manifestEntry(1)}))
	f.Add(archiveBytes(f, "tar", []tarEntry{{name: "x", typ: tar.TypeSymlink, link: "/etc/passwd"}}))
	f.Add(archiveBytes(f, "gzip", []tarEntry{manifestEntry(99)}))
	f.Add(archiveBytes(f, "zstd", []tarEntry{{name: "a", body: "1"}, {name: "a", body: "2"}}))
	f.Add([]byte("not a snapshot"))
	f.Add([]byte{})

	opt := ReadOptions{MaxEntryBytes: 256 << 10, MaxTotalBytes: 1 << 20, MaxEntries: 1000}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		p := filepath.Join(dir, "snap")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		opt := opt
		opt.TempDir = filepath.Join(dir, "tmp")
		if err := os.Mkdir(opt.TempDir, 0o700); err != nil {
			t.Fatal(err)
		}
		s, err := Open(p, opt)
		if names, _ := os.ReadDir(opt.TempDir); len(names) != 0 {
			t.Errorf("left in TempDir: %v", names)
		}
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, p+": ") || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line starting with the file name", msg)
			}
			return
		}
		defer s.Close()
		if s.Manifest == nil {
			t.Fatal("no manifest")
		}
		var total int64
		for _, e := range s.Entries() {
			f, err := s.Open(e.Name)
			if err != nil {
				t.Fatalf("Open(%q) of a listed entry: %v", e.Name, err)
			}
			n, err := io.Copy(io.Discard, f)
			f.Close()
			if err != nil || n != e.Size {
				t.Errorf("read %q: %d bytes, %v; want %d", e.Name, n, err, e.Size)
			}
			if n > opt.MaxEntryBytes {
				t.Errorf("entry %q of %d bytes passed the %d cap", e.Name, n, opt.MaxEntryBytes)
			}
			total += n
		}
		if total > opt.MaxTotalBytes {
			t.Errorf("entries add up to %d bytes, past the %d cap", total, opt.MaxTotalBytes)
		}
		err = fs.WalkDir(s, ".", func(name string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			_, err = d.Info()
			return err
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("WalkDir: %v", err)
		}
	})
}
