package snapshot

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// tarEntry is one entry of a test archive. A body of size bytes comes from
// gen when set (so that large entries are never held in memory), else body.
type tarEntry struct {
	name string
	typ  byte // tar.TypeReg when 0
	body string
	size int64
	gen  func() io.Reader
	link string
}

func manifestJSON(version int) string {
	return fmt.Sprintf(`{"format_version":%d,"tool":"netsnap","tool_version":"test","hostname":"proxy-1",`+
		`"kernel_release":"5.10.0","samples":[{"index":1,"dir":"samples/1"}],`+
		`"sources":[{"name":"tcp","path":"/proc/net/tcp","archive":"samples/1/proc/net/tcp","sample":1,"status":"ok","bytes":10}]}`, version)
}

func manifestEntry(version int) tarEntry {
	return tarEntry{name: ManifestName, body: manifestJSON(version)}
}

// bigBody is size bytes of a repeating, non-trivial pattern.
func bigBody(size int64) func() io.Reader {
	return func() io.Reader {
		block := make([]byte, 4096)
		for i := range block {
			block[i] = byte(i*7 + i/251)
		}
		return io.LimitReader(repeatReader{block: block}, size)
	}
}

type repeatReader struct {
	block []byte
}

func (r repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], r.block)
	}
	return n, nil
}

// validEntries is a small well-formed snapshot, with one entry large enough
// to be spooled.
func validEntries() []tarEntry {
	return []tarEntry{
		{name: "samples/", typ: tar.TypeDir},
		{name: "samples/1/proc/net/tcp", body: "  sl  local_address rem_address   st\n"},
		{name: "samples/1/proc/net/sockstat", size: memEntryMax + 17, gen: bigBody(memEntryMax + 17)}, // spooled
		{name: "proc/sys/net/core/somaxconn", body: "4096\n"},
		{name: "etc/nginx/nginx.conf", body: "events {}\n"},
		{name: "proc/sys/net/ipv4/empty", body: ""},
		manifestEntry(FormatVersion),
	}
}

func writeTar(t testing.TB, w io.Writer, entries []tarEntry) {
	t.Helper()
	tw := tar.NewWriter(w)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		size := e.size
		if e.gen == nil {
			size = int64(len(e.body))
		}
		if typ != tar.TypeReg {
			size = 0
		}
		hdr := &tar.Header{Name: e.name, Typeflag: typ, Size: size, Mode: 0o644, Linkname: e.link,
			ModTime: time.Unix(1700000000, 0), Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatalf("tar header %s: %v", e.name, err)
		}
		if size == 0 {
			continue
		}
		var r io.Reader = strings.NewReader(e.body)
		if e.gen != nil {
			r = e.gen()
		}
		if _, err := io.Copy(tw, r); err != nil {
			t.Fatalf("tar body %s: %v", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
}

// compressor wraps w in the named compression ("tar": none).
func compressor(t testing.TB, format string, w io.Writer) io.WriteCloser {
	t.Helper()
	switch format {
	case "gzip":
		return gzip.NewWriter(w)
	case "zstd":
		zw, err := zstd.NewWriter(w)
		if err != nil {
			t.Fatal(err)
		}
		return zw
	case "tar":
		return nopCloser{w}
	}
	t.Fatalf("unknown format %q", format)
	return nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// archiveBytes returns the archive of entries in format (gzip, zstd, tar).
func archiveBytes(t testing.TB, format string, entries []tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := compressor(t, format, &buf)
	writeTar(t, zw, entries)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeArchive writes the archive of entries in format (gzip, zstd, tar, or
// dir for an extracted directory) under a temporary directory and returns its path.
func writeArchive(t testing.TB, format string, entries []tarEntry) string {
	t.Helper()
	if format == "dir" {
		dir := filepath.Join(t.TempDir(), "snap")
		extract(t, dir, entries)
		return dir
	}
	p := filepath.Join(t.TempDir(), "snap."+format)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := compressor(t, format, f)
	writeTar(t, zw, entries)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// extract lays out the regular files and directories of entries under dir.
func extract(t testing.TB, dir string, entries []tarEntry) {
	t.Helper()
	for _, e := range entries {
		p := filepath.Join(dir, filepath.FromSlash(e.name))
		if e.typ == tar.TypeDir {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = strings.NewReader(e.body)
		if e.gen != nil {
			r = e.gen()
		}
		if _, err := io.Copy(f, r); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func digest(r io.Reader) (string, error) {
	h := sha256.New()
	_, err := io.Copy(h, r)
	return fmt.Sprintf("%x", h.Sum(nil)), err
}

func TestOpenValid(t *testing.T) {
	entries := validEntries()
	var wantEntries []Entry
	for _, e := range entries {
		if e.typ == tar.TypeDir {
			continue
		}
		size := int64(len(e.body))
		if e.gen != nil {
			size = e.size
		}
		wantEntries = append(wantEntries, Entry{Name: e.name, Size: size})
	}
	slices.SortFunc(wantEntries, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })

	for _, format := range []string{"gzip", "zstd", "tar", "dir"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel() // fstest.TestFS reads the spooled entry in many small ways
			p := writeArchive(t, format, entries)
			s, err := Open(p, ReadOptions{TempDir: t.TempDir()})
			if err != nil {
				t.Fatalf("Open(%s) = %v", p, err)
			}
			defer s.Close()
			if s.Format != format || s.Path != p {
				t.Errorf("Format, Path = %q, %q; want %q, %q", s.Format, s.Path, format, p)
			}
			if m := s.Manifest; m.FormatVersion != FormatVersion || m.Hostname != "proxy-1" || len(m.Source("tcp")) != 1 {
				t.Errorf("Manifest = %+v", m)
			}
			if got := s.Entries(); !slices.Equal(got, wantEntries) {
				t.Errorf("Entries() = %v; want %v", got, wantEntries)
			}
			for _, e := range entries {
				if e.typ == tar.TypeDir {
					continue
				}
				f, err := s.Open(e.name)
				if err != nil {
					t.Fatalf("Open(%q) = %v", e.name, err)
				}
				got, err := digest(f)
				if err != nil {
					t.Fatalf("read %q: %v", e.name, err)
				}
				f.Close()
				var want string
				if e.gen != nil {
					want, _ = digest(e.gen())
				} else {
					want, _ = digest(strings.NewReader(e.body))
				}
				if got != want {
					t.Errorf("contents of %q differ", e.name)
				}
			}
			if b, err := fs.ReadFile(s, "proc/sys/net/core/somaxconn"); err != nil || string(b) != "4096\n" {
				t.Errorf("ReadFile(somaxconn) = %q, %v", b, err)
			}
			if _, err := s.Open("proc/net/nope"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Open(missing) = %v; want fs.ErrNotExist", err)
			}
			if _, err := s.Open("../x"); !errors.Is(err, fs.ErrInvalid) {
				t.Errorf("Open(../x) = %v; want fs.ErrInvalid", err)
			}
			if err := fstest.TestFS(s, "manifest.json", "samples/1/proc/net/tcp", "samples/1/proc/net/sockstat", "etc/nginx/nginx.conf"); err != nil {
				t.Error(err)
			}
			if err := s.Close(); err != nil {
				t.Errorf("Close() = %v", err)
			}
			if _, err := s.Open(ManifestName); !errors.Is(err, fs.ErrClosed) {
				t.Errorf("Open after Close = %v; want fs.ErrClosed", err)
			}
		})
	}
}

// TestOpenDotSlash: `tar czf x.tgz -C dir .` writes "./" and "./name" entries.
func TestOpenDotSlash(t *testing.T) {
	p := writeArchive(t, "gzip", []tarEntry{
		{name: "./", typ: tar.TypeDir},
		{name: "./proc/", typ: tar.TypeDir},
		{name: "./proc/loadavg", body: "0.1\n"},
		{name: "./" + ManifestName, body: manifestJSON(1)},
	})
	s, err := Open(p, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if b, err := fs.ReadFile(s, "proc/loadavg"); err != nil || string(b) != "0.1\n" {
		t.Errorf("ReadFile(proc/loadavg) = %q, %v", b, err)
	}
}

func TestOpenTestdataDir(t *testing.T) {
	s, err := Open(filepath.Join("testdata", "reader", "extracted"), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Manifest.Hostname != "lb-3" {
		t.Errorf("Hostname = %q; want lb-3", s.Manifest.Hostname)
	}
	if err := fstest.TestFS(s, "manifest.json", "proc/net/sockstat", "etc/nginx/nginx.conf"); err != nil {
		t.Error(err)
	}
}

// TestSpoolLeavesNothing: large entries go to a file that never shows in TempDir.
func TestSpoolLeavesNothing(t *testing.T) {
	tmp := t.TempDir()
	s, err := Open(writeArchive(t, "zstd", validEntries()), ReadOptions{TempDir: tmp})
	if err != nil {
		t.Fatal(err)
	}
	if s.spool == nil {
		t.Error("no spool file for a 3 MiB entry")
	}
	if names, err := os.ReadDir(tmp); err != nil || len(names) != 0 {
		t.Errorf("TempDir holds %v (%v) while open; want nothing", names, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if names, err := os.ReadDir(tmp); err != nil || len(names) != 0 {
		t.Errorf("TempDir holds %v (%v) after Close; want nothing", names, err)
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// zeros is a reader of endless zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// bomb compresses a tar holding one entry of size bytes from content, or,
// with afterEnd, a small valid snapshot followed by those bytes inside the
// compressed stream (past the end of the tar, invisible to its headers).
func bomb(t testing.TB, format string, afterEnd bool, size int64, content func() io.Reader) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := compressor(t, format, &buf)
	if afterEnd {
		writeTar(t, zw, []tarEntry{manifestEntry(1)})
		if _, err := io.CopyN(zw, content(), size); err != nil {
			t.Fatal(err)
		}
	} else {
		writeTar(t, zw, []tarEntry{{name: "proc/net/tcp", size: size, gen: func() io.Reader { return io.LimitReader(content(), size) }}, manifestEntry(1)})
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestBombStopsAtCap checks that the reader stops reading the compressed
// stream at the cap. Zeros compress so well (200 MB to 200 KB with gzip, to
// 22 KB with zstd) that the zstd case uses random bytes, 32 MiB against a
// 4 MiB cap, for the count of compressed bytes read to tell anything.
func TestBombStopsAtCap(t *testing.T) {
	random := func() io.Reader { return rand.NewChaCha8([32]byte{1}) }
	for _, tc := range []struct {
		format  string
		size    int64
		cap     int64
		content func() io.Reader
	}{
		{"gzip", 200 << 20, 10 << 20, func() io.Reader { return zeros{} }},
		{"zstd", 32 << 20, 4 << 20, random},
	} {
		for _, afterEnd := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/afterEnd=%v", tc.format, afterEnd), func(t *testing.T) {
				data := bomb(t, tc.format, afterEnd, tc.size, tc.content)
				t.Logf("%d bytes compressed", len(data))
				cr := &countingReader{r: bytes.NewReader(data)}
				_, err := openStream("bomb", cr, ReadOptions{MaxTotalBytes: tc.cap}.withDefaults(), false)
				if !errors.Is(err, ErrTooLarge) {
					t.Fatalf("openStream(bomb) = %v; want ErrTooLarge", err)
				}
				// The cap is 1/20 or 1/8 of the content: reading over half
				// the compressed bytes would mean inflating past it.
				if cr.n > int64(len(data))/2 {
					t.Errorf("read %d of %d compressed bytes before stopping", cr.n, len(data))
				}
			})
		}
	}
}

func TestOpenRefuses(t *testing.T) {
	big := func(name string, size int64) tarEntry {
		return tarEntry{name: name, size: size, gen: func() io.Reader { return io.LimitReader(zeros{}, size) }}
	}
	with := func(extra ...tarEntry) []tarEntry {
		return append(append([]tarEntry{{name: "proc/loadavg", body: "0.1\n"}}, extra...), manifestEntry(1))
	}
	valid := archiveBytes(t, "gzip", validEntries())
	validZstd := archiveBytes(t, "zstd", validEntries())
	validTar := archiveBytes(t, "tar", validEntries())

	tests := []struct {
		name    string
		file    string // file name, default snap.tgz
		data    []byte
		opt     ReadOptions
		want    error
		wantMsg string // substring of the message, besides the file name
	}{
		{name: "absolute", data: archiveBytes(t, "gzip", with(tarEntry{name: "/etc/passwd", body: "x"})),
			want: ErrUnsafeEntry, wantMsg: `"/etc/passwd": unsafe entry: absolute path`},
		{name: "dotdot", data: archiveBytes(t, "gzip", with(tarEntry{name: "../../etc/cron.d/x", body: "x"})),
			want: ErrUnsafeEntry, wantMsg: `"../../etc/cron.d/x": unsafe entry: ".." path component`},
		{name: "inner dotdot", data: archiveBytes(t, "tar", with(tarEntry{name: "proc/../../x", body: "x"})),
			want: ErrUnsafeEntry, wantMsg: `"proc/../../x"`},
		{name: "double slash", data: archiveBytes(t, "gzip", with(tarEntry{name: "proc//x", body: "x"})),
			want: ErrUnsafeEntry, wantMsg: `"proc//x"`},
		{name: "symlink", data: archiveBytes(t, "gzip", with(tarEntry{name: "etc/passwd", typ: tar.TypeSymlink, link: "/etc/passwd"})),
			want: ErrUnsafeEntry, wantMsg: `"etc/passwd": unsafe entry: symbolic link`},
		{name: "symlink inside", data: archiveBytes(t, "zstd", with(tarEntry{name: "proc/x", typ: tar.TypeSymlink, link: "loadavg"})),
			want: ErrUnsafeEntry, wantMsg: `"proc/x": unsafe entry: symbolic link`},
		{name: "hardlink", data: archiveBytes(t, "gzip", with(tarEntry{name: "x", typ: tar.TypeLink, link: "proc/loadavg"})),
			want: ErrUnsafeEntry, wantMsg: `"x": unsafe entry: hard link`},
		{name: "char device", data: archiveBytes(t, "gzip", with(tarEntry{name: "dev/sda", typ: tar.TypeChar})),
			want: ErrUnsafeEntry, wantMsg: `"dev/sda": unsafe entry: device node`},
		{name: "block device", data: archiveBytes(t, "tar", with(tarEntry{name: "dev/sdb", typ: tar.TypeBlock})),
			want: ErrUnsafeEntry, wantMsg: "device node"},
		{name: "fifo", data: archiveBytes(t, "gzip", with(tarEntry{name: "run/fifo", typ: tar.TypeFifo})),
			want: ErrUnsafeEntry, wantMsg: `"run/fifo": unsafe entry: fifo`},
		{name: "duplicate", data: archiveBytes(t, "gzip", with(tarEntry{name: "proc/loadavg", body: "9.9\n"})),
			want: ErrUnsafeEntry, wantMsg: `"proc/loadavg": unsafe entry: duplicate entry`},
		{name: "duplicate manifest", data: archiveBytes(t, "gzip", with(manifestEntry(1))),
			want: ErrUnsafeEntry, wantMsg: `"manifest.json": unsafe entry: duplicate entry`},
		{name: "file and dir", data: archiveBytes(t, "gzip", with(tarEntry{name: "proc/loadavg/x", body: "x"})),
			want: ErrUnsafeEntry, wantMsg: `parent "proc/loadavg" is a file`},
		{name: "entry over cap", data: archiveBytes(t, "gzip", with(big("samples/1/proc/net/tcp", 2<<20))),
			opt: ReadOptions{MaxEntryBytes: 1 << 20}, want: ErrTooLarge, wantMsg: `"samples/1/proc/net/tcp": entry exceeds size cap`},
		{name: "total over cap", data: archiveBytes(t, "zstd", with(big("a", 600<<10), big("b", 600<<10))),
			opt: ReadOptions{MaxTotalBytes: 1 << 20}, want: ErrTooLarge, wantMsg: "decompresses to more than 1048576 bytes"},
		{name: "too many entries", data: archiveBytes(t, "gzip", with(tarEntry{name: "a"}, tarEntry{name: "b"}, tarEntry{name: "c"})),
			opt: ReadOptions{MaxEntries: 3}, want: ErrTooLarge, wantMsg: "more than 3 entries"},
		{name: "gzip bomb", data: bomb(t, "gzip", false, 200<<20, func() io.Reader { return zeros{} }),
			opt: ReadOptions{MaxTotalBytes: 10 << 20}, want: ErrTooLarge},
		{name: "truncated gzip", data: valid[:len(valid)/2], want: ErrTruncated, wantMsg: "truncated archive"},
		{name: "truncated gzip trailer", data: valid[:len(valid)-4], want: ErrTruncated, wantMsg: "truncated archive"},
		{name: "truncated gzip header", data: valid[:5], want: ErrTruncated, wantMsg: "truncated archive"},
		{name: "truncated zstd", data: validZstd[:len(validZstd)/2], want: ErrTruncated, wantMsg: "truncated archive"},
		{name: "truncated tar", file: "snap.tar", data: validTar[:len(validTar)/2], want: ErrTruncated, wantMsg: "truncated archive"},
		{name: "future version", data: archiveBytes(t, "gzip", []tarEntry{manifestEntry(99)}),
			want: ErrFormatVersion, wantMsg: "format_version 99 is newer"},
		{name: "no version", data: archiveBytes(t, "gzip", []tarEntry{{name: ManifestName, body: "{}"}}), want: ErrFormatVersion},
		{name: "missing manifest", data: archiveBytes(t, "gzip", []tarEntry{{name: "proc/loadavg", body: "0.1\n"}}),
			want: ErrNoManifest, wantMsg: "no manifest.json: the capture was cut off before it finished, or this is not a netsnap snapshot"},
		{name: "manifest is a dir", data: archiveBytes(t, "gzip", []tarEntry{{name: ManifestName + "/", typ: tar.TypeDir}}), want: ErrNoManifest},
		{name: "not an archive", file: "x.txt", data: []byte("hello, this is text\n"),
			want: ErrNotSnapshot, wantMsg: "not a netsnap snapshot (neither gzip, zstd, tar nor a directory)"},
		{name: "empty file", data: nil, want: ErrNotSnapshot},
		{name: "gzip of text", data: gzipped(t, bytes.Repeat([]byte("not a tar\n"), 100)),
			want: ErrNotSnapshot, wantMsg: "not a tar archive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := tt.file
			if file == "" {
				file = "snap.tgz"
			}
			p := writeFile(t, file, tt.data)
			tt.opt.TempDir = t.TempDir()
			s, err := Open(p, tt.opt)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%s) succeeded; want %v", tt.name, tt.want)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("Open = %v; want errors.Is %v", err, tt.want)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, p+": ") || !strings.Contains(msg, tt.wantMsg) || strings.Contains(msg, "\n") {
				t.Errorf("Open = %q; want one line starting with %q holding %q", msg, p+": ", tt.wantMsg)
			}
			if tt.name == "not an archive" && msg != p+": not a netsnap snapshot (neither gzip, zstd, tar nor a directory)" {
				t.Errorf("Open = %q", msg)
			}
			if names, _ := os.ReadDir(tt.opt.TempDir); len(names) != 0 {
				t.Errorf("spool left in TempDir: %v", names)
			}
		})
	}
}

func gzipped(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestOpenDirRefuses(t *testing.T) {
	base := []tarEntry{{name: "proc/loadavg", body: "0.1\n"}, manifestEntry(1)}
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string)
		want    error
		wantMsg string
	}{
		{name: "absolute symlink", setup: func(t *testing.T, dir string) {
			symlink(t, "/etc/passwd", filepath.Join(dir, "etc-passwd"))
		}, want: ErrUnsafeEntry, wantMsg: `"etc-passwd": unsafe entry: symlink resolves outside`},
		{name: "relative symlink out", setup: func(t *testing.T, dir string) {
			symlink(t, "../../outside", filepath.Join(dir, "proc", "x"))
			if err := os.WriteFile(filepath.Join(dir, "..", "outside"), []byte("secret"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, want: ErrUnsafeEntry, wantMsg: `"proc/x": unsafe entry: symlink resolves outside`},
		{name: "dir symlink out", setup: func(t *testing.T, dir string) {
			symlink(t, "/etc", filepath.Join(dir, "etc"))
		}, want: ErrUnsafeEntry, wantMsg: `"etc": unsafe entry`},
		{name: "dangling symlink", setup: func(t *testing.T, dir string) {
			symlink(t, "nowhere", filepath.Join(dir, "x"))
		}, want: ErrUnsafeEntry, wantMsg: "does not resolve"},
		{name: "fifo", setup: func(t *testing.T, dir string) {
			mkfifo(t, filepath.Join(dir, "proc", "fifo"))
		}, want: ErrUnsafeEntry, wantMsg: `"proc/fifo": unsafe entry: fifo`},
		{name: "symlink to fifo", setup: func(t *testing.T, dir string) {
			mkfifo(t, filepath.Join(dir, "proc", "fifo"))
			symlink(t, "fifo", filepath.Join(dir, "proc", "link"))
		}, want: ErrUnsafeEntry, wantMsg: "unsafe entry: fifo"},
		{name: "missing manifest", setup: func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, ManifestName)); err != nil {
				t.Fatal(err)
			}
		}, want: ErrNoManifest, wantMsg: "no manifest.json: the capture was cut off"},
		{name: "future version", setup: func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, ManifestName), []byte(manifestJSON(99)), 0o644); err != nil {
				t.Fatal(err)
			}
		}, want: ErrFormatVersion, wantMsg: "format_version 99"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeArchive(t, "dir", base)
			tt.setup(t, dir)
			s, err := Open(dir, ReadOptions{})
			if err == nil {
				s.Close()
				t.Fatalf("Open succeeded; want %v", tt.want)
			}
			if msg := err.Error(); !errors.Is(err, tt.want) || !strings.HasPrefix(msg, dir+": ") || !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("Open = %q; want errors.Is %v, starting with %q, holding %q", msg, tt.want, dir+": ", tt.wantMsg)
			}
		})
	}
}

// TestOpenDirLate: what appears after Open is checked when opened.
func TestOpenDirLate(t *testing.T) {
	dir := writeArchive(t, "dir", []tarEntry{{name: "proc/loadavg", body: "0.1\n"}, manifestEntry(1)})
	symlink(t, "loadavg", filepath.Join(dir, "proc", "inside"))
	s, err := Open(dir, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if b, err := fs.ReadFile(s, "proc/inside"); err != nil || string(b) != "0.1\n" {
		t.Errorf("ReadFile(symlink inside) = %q, %v", b, err)
	}
	symlink(t, "/etc/passwd", filepath.Join(dir, "late"))
	if _, err := s.Open("late"); !errors.Is(err, ErrUnsafeEntry) {
		t.Errorf("Open(late symlink out) = %v; want ErrUnsafeEntry", err)
	}
	mkfifo(t, filepath.Join(dir, "late-fifo"))
	if _, err := s.Open("late-fifo"); !errors.Is(err, ErrUnsafeEntry) {
		t.Errorf("Open(late fifo) = %v; want ErrUnsafeEntry", err)
	}
}

func symlink(t *testing.T, target, name string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, name); err != nil {
		t.Skipf("symlinks: %v", err)
	}
}

func mkfifo(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath("mkfifo"); err != nil {
		t.Skip("no mkfifo")
	}
	if out, err := exec.Command("mkfifo", name).CombinedOutput(); err != nil {
		t.Fatalf("mkfifo: %v: %s", err, out)
	}
}

// TestFlatMemory reads a snapshot holding a 64 MiB entry and checks that
// the reader allocated far less than that: the entry is streamed to the
// spool file and read back through a small buffer, never held whole.
func TestFlatMemory(t *testing.T) {
	const size = 64 << 20
	for _, format := range []string{"gzip", "zstd"} {
		t.Run(format, func(t *testing.T) {
			p := writeArchive(t, format, []tarEntry{
				{name: "samples/1/proc/net/tcp", size: size, gen: bigBody(size)},
				manifestEntry(1),
			})
			want, _ := digest(bigBody(size)())

			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			s, err := Open(p, ReadOptions{TempDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			f, err := s.Open("samples/1/proc/net/tcp")
			if err != nil {
				t.Fatal(err)
			}
			got, err := digest(struct{ io.Reader }{f}) // hide WriterTo: read in small pieces
			if err != nil {
				t.Fatal(err)
			}
			runtime.ReadMemStats(&after)
			defer s.Close()
			if got != want {
				t.Error("contents differ")
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			inuse := int64(after.HeapInuse) - int64(before.HeapInuse)
			t.Logf("allocated %d KiB in all, heap in use grew by %d KiB, for a %d KiB entry", alloc>>10, inuse>>10, size>>10)
			if alloc > size/4 {
				t.Errorf("allocated %d bytes reading a %d-byte entry; want < %d", alloc, size, size/4)
			}
			if inuse > size/4 {
				t.Errorf("heap in use grew by %d bytes reading a %d-byte entry; want < %d", inuse, size, size/4)
			}
		})
	}
}
