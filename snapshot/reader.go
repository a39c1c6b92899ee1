package snapshot

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// ReadOptions bounds what Open accepts. The zero value uses the defaults.
type ReadOptions struct {
	// MaxEntryBytes caps the size of one entry (0: DefaultMaxEntryBytes, 2 GiB).
	MaxEntryBytes int64
	// MaxTotalBytes caps the decompressed tar stream, and the sum of the
	// entry sizes, of an archive; for a directory, the sum of the file sizes
	// (0: DefaultMaxTotalBytes, 8 GiB). A compression bomb stops at the cap.
	MaxTotalBytes int64
	// MaxEntries caps the number of entries (0: DefaultMaxEntries, 1,048,576).
	MaxEntries int
	// TempDir holds the spool file for entries over 1 MiB ("": os.TempDir()).
	// The file has no name (O_TMPFILE, or unlinked at once), so nothing stays
	// on disk even if the process is killed, but it takes space there until
	// Close.
	TempDir string
	// Tee, when set, is asked for every regular file of an archive as the
	// stream reaches it; a non-nil TeeWriter receives a copy of the entry's
	// data while it is decompressed (so that a consumer can parse it on
	// another core) and is then closed: CloseWithError(nil) after the whole
	// entry, with the error when reading it failed. Its write errors are
	// ignored. Open may still refuse the archive after a Tee saw entries.
	// Directories are read lazily and never teed.
	Tee func(name string) TeeWriter
}

// TeeWriter receives a copy of an entry's data; see ReadOptions.Tee.
type TeeWriter interface {
	io.Writer
	CloseWithError(err error) error
}

// TeeOnly may be implemented by a TeeWriter that takes over the entries it
// is given: when TeeOnly returns true, an entry too large to be kept in
// memory is not written to the spool file (on a million-socket snapshot
// that is most of the archive, written once more to disk for nothing). The
// snapshot then reads it again from the archive, whole, if it is ever
// opened, and fails the read if the archive changed meanwhile.
type TeeOnly interface {
	TeeOnly() bool
}

func (o ReadOptions) withDefaults() ReadOptions {
	if o.MaxEntryBytes <= 0 {
		o.MaxEntryBytes = DefaultMaxEntryBytes
	}
	if o.MaxTotalBytes <= 0 {
		o.MaxTotalBytes = DefaultMaxTotalBytes
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.TempDir == "" {
		o.TempDir = os.TempDir()
	}
	return o
}

// Entry is one regular file of a snapshot.
type Entry struct {
	Name string // archive path, "samples/1/proc/net/tcp"
	Size int64  // bytes
}

// Snapshot is an opened snapshot: its manifest and its files, readable as an
// fs.FS with archive paths ("samples/1/proc/net/tcp",
// "proc/sys/net/core/somaxconn", "etc/nginx/nginx.conf"). It also implements
// fs.StatFS, fs.ReadDirFS and fs.ReadFileFS, and is safe for concurrent use.
// Close releases it.
type Snapshot struct {
	// Manifest is the decoded manifest.json.
	Manifest *Manifest
	// Path is the path given to Open.
	Path string
	// Format is how the snapshot is stored: "gzip", "zstd", "tar" or "dir".
	Format string
	// Prepared holds what a consumer of ReadOptions.Tee computed while the
	// archive was read, for the caller's later use (nil otherwise).
	Prepared any

	entries []Entry
	closed  atomic.Bool

	// An archive: every entry and directory by fs path ("." is the root),
	// small entries in memory, larger ones in the spool file, tee-only ones
	// (see TeeOnly) nowhere until they are opened.
	files map[string]*snapEntry
	spool *os.File // unlinked: nothing is left on disk, even if killed

	// For reading tee-only entries again: the options the archive was
	// opened with, and a lock over the spool's growth.
	opt      ReadOptions
	mu       sync.Mutex
	spoolOff int64

	// An extracted directory: read lazily through root.
	root *os.Root
	dir  string // absolute, symlinks resolved
}

// Open opens the snapshot at path: a gzip, zstd or plain tar archive (told
// apart by their magic bytes, not by the file name) or an extracted
// directory. An archive is read once, as a stream, and refused as a whole if
// any entry is unsafe (absolute, "..", link, device, fifo, duplicate) or over
// a cap; see ReadOptions. Entries up to 1 MiB are kept in memory, larger
// ones in one unlinked temporary file, so memory stays flat however large
// the tables. A directory is checked (no symlink resolving outside it, no
// special file) and its files are read lazily. Either way the manifest must
// be there and of a format version this package understands.
func Open(path string, opt ReadOptions) (*Snapshot, error) {
	opt = opt.withDefaults()
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return openDir(path, opt)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close() // read-only: a close error loses nothing
	return openStream(path, f, opt, true)
}

// Magic numbers of the input kinds.
var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// sniffFormat tells the kind of stream from its first bytes, or "".
func sniffFormat(head []byte) string {
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		return "gzip"
	case bytes.HasPrefix(head, zstdMagic):
		return "zstd"
	case len(head) >= 262 && string(head[257:262]) == "ustar":
		return "tar"
	}
	return ""
}

// openStream reads an archive from r; name is used in messages.
func openStream(name string, r io.Reader, opt ReadOptions, reopenable bool) (*Snapshot, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	l := &loader{
		name:   name,
		opt:    opt,
		files:  map[string]*snapEntry{".": {name: ".", isDir: true, implicit: true}},
		lazyOK: reopenable,
	}
	s, err := l.load(br, sniffFormat(head))
	if err != nil {
		l.discard()
		return nil, err
	}
	return s, nil
}

// loader reads one archive stream into a Snapshot.
type loader struct {
	name string // archive path, for messages
	opt  ReadOptions

	capped  *capReader
	files   map[string]*snapEntry
	count   int   // entries seen
	sum     int64 // sum of the entry sizes
	mem     int64 // bytes of entries held in memory
	current string

	spool    *os.File
	spoolOff int64
	buf      []byte
	// lazyOK: the archive is a file that can be read again (tee-only entries).
	lazyOK bool
}

func (l *loader) load(br *bufio.Reader, format string) (*Snapshot, error) {
	var stream io.Reader
	switch format {
	case "gzip":
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, l.streamError(err)
		}
		defer zr.Close()
		stream = zr
	case "zstd":
		zd, err := zstd.NewReader(br, zstd.WithDecoderMaxWindow(l.zstdWindow()))
		if err != nil {
			return nil, l.streamError(err)
		}
		defer zd.Close()
		stream = zd
	case "tar":
		stream = br
	default:
		return nil, newReaderError(ErrNotSnapshot, nil, "%s: not a netsnap snapshot (neither gzip, zstd, tar nor a directory)", l.name)
	}
	l.capped = &capReader{r: stream, max: l.opt.MaxTotalBytes}
	if err := l.readTar(tar.NewReader(l.capped)); err != nil {
		return nil, err
	}
	if format != "tar" {
		// Read the compressed stream to its end, so that its checksum is
		// verified and a cut-off trailer is reported; bounded by the cap.
		l.current = ""
		if _, err := io.Copy(io.Discard, l.capped); err != nil {
			return nil, l.streamError(err)
		}
	}
	s := &Snapshot{
		Path:     l.name,
		Format:   format,
		files:    l.files,
		spool:    l.spool,
		opt:      l.opt,
		spoolOff: l.spoolOff,
	}
	s.index()
	m, err := l.manifest(s)
	if err != nil {
		return nil, err
	}
	s.Manifest = m
	return s, nil
}

// readTar reads every entry of the tar stream.
func (l *loader) readTar(tr *tar.Reader) error {
	for {
		l.current = ""
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if l.count == 0 && errors.Is(err, tar.ErrHeader) && !l.capped.over {
				return newReaderError(ErrNotSnapshot, err, "%s: not a netsnap snapshot: the data is not a tar archive", l.name)
			}
			return l.streamError(err)
		}
		l.count++
		if l.count > l.opt.MaxEntries {
			return newReaderError(ErrTooLarge, nil, "%s: archive exceeds size cap: more than %d entries", l.name, l.opt.MaxEntries)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue // pax metadata for the whole archive, not a file
		}
		name, problem := cleanEntryName(hdr.Name)
		if problem != "" {
			return unsafeEntry(l.name, hdr.Name, problem)
		}
		if problem := entryTypeProblem(hdr.Typeflag); problem != "" {
			return unsafeEntry(l.name, name, problem)
		}
		l.current = name
		if hdr.Typeflag == tar.TypeDir {
			if err := l.add(&snapEntry{name: name, isDir: true, modTime: hdr.ModTime}); err != nil {
				return err
			}
			continue
		}
		if err := l.readFile(tr, name, hdr); err != nil {
			return err
		}
	}
}

// readFile stores one regular file, in memory or in the spool.
func (l *loader) readFile(tr *tar.Reader, name string, hdr *tar.Header) error {
	size := hdr.Size
	if size < 0 {
		return fmt.Errorf("%s: %q: corrupt archive: negative size", l.name, name)
	}
	if size > l.opt.MaxEntryBytes {
		return newReaderError(ErrTooLarge, nil, "%s: %q: entry exceeds size cap: %d bytes, cap %d", l.name, name, size, l.opt.MaxEntryBytes)
	}
	if l.sum+size > l.opt.MaxTotalBytes {
		return l.totalError()
	}
	l.sum += size
	e := &snapEntry{name: name, size: size, modTime: hdr.ModTime, ordinal: l.count}
	if err := l.add(e); err != nil {
		return err
	}
	var tee TeeWriter
	if l.opt.Tee != nil {
		tee = l.opt.Tee(name)
	}
	err := l.readData(tr, e, name, size, tee)
	if tee != nil {
		tee.CloseWithError(err)
	}
	return err
}

// readData reads the data of entry e into memory or the spool, and a copy
// into tee when it is not nil.
func (l *loader) readData(tr *tar.Reader, e *snapEntry, name string, size int64, tee TeeWriter) error {
	if size <= memEntryMax && l.mem+size <= memBudget {
		e.inMem = true
		e.data = make([]byte, size)
		l.mem += size
		if _, err := io.ReadFull(tr, e.data); err != nil {
			return l.streamError(err)
		}
		if tee != nil {
			tee.Write(e.data)
		}
		return nil
	}
	if t, ok := tee.(TeeOnly); ok && t.TeeOnly() && l.lazyOK {
		if l.buf == nil {
			l.buf = make([]byte, 256<<10)
		}
		e.lazy = true
		n, err := io.CopyBuffer(teeOnlyWriter{tee}, io.LimitReader(tr, size), l.buf)
		switch {
		case err != nil:
			return l.streamError(err)
		case n < size:
			return l.streamError(io.ErrUnexpectedEOF)
		}
		return nil
	}
	if l.spool == nil {
		f, err := SpoolFile(l.opt.TempDir)
		if err != nil {
			return fmt.Errorf("%s: %q: spooling large entries: %w", l.name, name, err)
		}
		l.spool = f
		l.buf = make([]byte, 256<<10)
	}
	e.off = l.spoolOff
	w := &spoolWriter{f: l.spool, tee: tee}
	n, err := io.CopyBuffer(w, io.LimitReader(tr, size), l.buf)
	l.spoolOff += n
	switch {
	case w.err != nil:
		return fmt.Errorf("%s: %q: spooling to %s (set another temporary directory?): %w", l.name, name, l.opt.TempDir, w.err)
	case err != nil:
		return l.streamError(err)
	case n < size:
		return l.streamError(io.ErrUnexpectedEOF)
	}
	return nil
}

// add records e, creating its parent directories, and refuses a duplicate
// and a path that is both a file and a directory.
func (l *loader) add(e *snapEntry) error {
	if old, ok := l.files[e.name]; ok {
		if e.isDir && old.isDir && old.implicit {
			old.implicit, old.modTime = false, e.modTime
			return nil
		}
		if e.isDir != old.isDir {
			return unsafeEntry(l.name, e.name, "both a file and a directory")
		}
		return unsafeEntry(l.name, e.name, "duplicate entry (each path must appear once)")
	}
	for dir := path.Dir(e.name); ; dir = path.Dir(dir) {
		p, ok := l.files[dir]
		if ok {
			if !p.isDir {
				return unsafeEntry(l.name, e.name, fmt.Sprintf("parent %q is a file", dir))
			}
			break
		}
		l.files[dir] = &snapEntry{name: dir, isDir: true, implicit: true}
	}
	l.files[e.name] = e
	return nil
}

// manifest decodes manifest.json of s.
func (l *loader) manifest(s *Snapshot) (*Manifest, error) {
	e, ok := s.files[ManifestName]
	if !ok || e.isDir {
		return nil, noManifest(l.name)
	}
	r, err := e.reader(s)
	if err != nil {
		return nil, err
	}
	m, err := DecodeManifest(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", l.name, err)
	}
	return m, nil
}

func noManifest(archive string) error {
	return newReaderError(ErrNoManifest, nil, "%s: no manifest.json: the capture was cut off before it finished, or this is not a netsnap snapshot", archive)
}

// streamError explains an error met while reading the archive stream.
func (l *loader) streamError(err error) error {
	at := ""
	if l.current != "" {
		at = fmt.Sprintf(" %q:", l.current)
	}
	switch {
	case l.capped != nil && l.capped.over:
		return l.totalError()
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return newReaderError(ErrTruncated, err, "%s:%s truncated archive: the file ends mid-stream (an interrupted capture, copy or download)", l.name, at)
	case errors.Is(err, zstd.ErrWindowSizeExceeded) || errors.Is(err, zstd.ErrDecoderSizeExceeded):
		return newReaderError(ErrTooLarge, err, "%s: archive exceeds size cap: it needs a zstd window over %d bytes", l.name, l.zstdWindow())
	}
	return fmt.Errorf("%s:%s corrupt archive: %w", l.name, at, err)
}

// zstdWindow is the largest zstd window accepted: that of `zstd --long`,
// but no more than the size cap (nor less than the encoders' usual 8 MiB).
func (l *loader) zstdWindow() uint64 {
	return uint64(min(zstdMaxWindow, max(8<<20, l.opt.MaxTotalBytes)))
}

func (l *loader) totalError() error {
	return newReaderError(ErrTooLarge, nil, "%s: archive exceeds size cap: decompresses to more than %d bytes", l.name, l.opt.MaxTotalBytes)
}

// discard releases the spool file of a failed load.
func (l *loader) discard() {
	if l.spool != nil {
		l.spool.Close() //nolint:errcheck // the load error is the one to report
	}
}

// capReader fails once more than max bytes have been read through it.
type capReader struct {
	r    io.Reader
	n    int64
	max  int64
	over bool
}

var errCapExceeded = errors.New("decompressed size cap exceeded")

func (c *capReader) Read(p []byte) (int, error) {
	if c.over {
		return 0, errCapExceeded
	}
	if room := c.max - c.n + 1; int64(len(p)) > room {
		p = p[:room] // one byte more than the cap tells "over" from "exactly at"
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.max {
		c.over = true
		return n - int(c.n-c.max), errCapExceeded
	}
	return n, err
}

// spoolWriter hides the ReaderFrom of *os.File (so the copy goes through the
// loader's buffer) and keeps write errors apart from read errors.
type spoolWriter struct {
	f   *os.File
	err error
	tee TeeWriter // also gets what was written, when not nil
}

func (w *spoolWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if err != nil {
		w.err = err
	}
	if w.tee != nil && n > 0 {
		w.tee.Write(p[:n])
	}
	return n, err
}

// index lists the regular files and the children of every directory.
func (s *Snapshot) index() {
	for name, e := range s.files {
		if name == "." {
			continue
		}
		parent := s.files[path.Dir(name)]
		parent.children = append(parent.children, fs.FileInfoToDirEntry(snapInfo{e}))
		if !e.isDir {
			s.entries = append(s.entries, Entry{Name: name, Size: e.size})
		}
	}
	for _, e := range s.files {
		slices.SortFunc(e.children, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	}
	slices.SortFunc(s.entries, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
}

// Entries lists the regular files of the snapshot, sorted by name.
func (s *Snapshot) Entries() []Entry {
	return slices.Clone(s.entries)
}

// Close releases the spool file (or the directory). The snapshot and the
// files opened from it must not be used afterwards.
func (s *Snapshot) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	var err error
	if s.spool != nil {
		err = s.spool.Close()
	}
	if s.root != nil {
		err = s.root.Close()
	}
	return err
}

// Open opens the named entry (an fs.FS path). It implements fs.FS.
func (s *Snapshot) Open(name string) (fs.File, error) {
	if err := s.check("open", name); err != nil {
		return nil, err
	}
	if s.root != nil {
		return s.openDirEntry(name)
	}
	e, ok := s.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	if e.isDir {
		return &snapDir{e: e}, nil
	}
	r, err := e.reader(s)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &snapFile{SectionReader: r, e: e}, nil
}

// Stat returns the FileInfo of the named entry. It implements fs.StatFS.
func (s *Snapshot) Stat(name string) (fs.FileInfo, error) {
	if err := s.check("stat", name); err != nil {
		return nil, err
	}
	if s.root != nil {
		if _, err := checkDirEntry(s.Path, s.dir, name); err != nil {
			return nil, err
		}
		return s.root.Stat(name)
	}
	e, ok := s.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return snapInfo{e}, nil
}

// ReadDir lists the named directory, sorted by name. It implements fs.ReadDirFS.
func (s *Snapshot) ReadDir(name string) ([]fs.DirEntry, error) {
	if err := s.check("readdir", name); err != nil {
		return nil, err
	}
	if s.root != nil {
		if _, err := checkDirEntry(s.Path, s.dir, name); err != nil {
			return nil, err
		}
		return fs.ReadDir(s.root.FS(), name)
	}
	e, ok := s.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	if !e.isDir {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errNotDir}
	}
	return slices.Clone(e.children), nil
}

// ReadFile returns the contents of the named entry. It implements fs.ReadFileFS.
func (s *Snapshot) ReadFile(name string) ([]byte, error) {
	f, err := s.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errIsDir}
	}
	data := make([]byte, 0, fi.Size()+1) // +1: EOF is seen without growing
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := f.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if errors.Is(err, io.EOF) {
			return data, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

var (
	errIsDir  = errors.New("is a directory")
	errNotDir = errors.New("not a directory")
)

func (s *Snapshot) check(op, name string) error {
	if !fs.ValidPath(name) {
		return &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	if s.closed.Load() {
		return &fs.PathError{Op: op, Path: name, Err: fs.ErrClosed}
	}
	return nil
}

// snapEntry is a file or a directory of an archive.
type snapEntry struct {
	name     string // fs path
	size     int64
	modTime  time.Time
	isDir    bool
	implicit bool // a directory that has no entry of its own

	inMem bool
	data  []byte // when inMem
	off   int64  // offset in the spool file otherwise
	// lazy: a tee-only entry, not stored; ordinal is its place in the tar
	// stream (1-based), to find it again.
	lazy    bool
	ordinal int

	children []fs.DirEntry // of a directory, sorted
}

func (e *snapEntry) reader(s *Snapshot) (*io.SectionReader, error) {
	if e.inMem {
		return io.NewSectionReader(bytes.NewReader(e.data), 0, e.size), nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.lazy {
		if err := s.reread(e); err != nil {
			return nil, err
		}
	}
	return io.NewSectionReader(s.spool, e.off, e.size), nil
}

// reread finds a tee-only entry in the archive again and appends it to the
// spool. It runs under s.mu.
func (s *Snapshot) reread(e *snapEntry) error {
	f, err := os.Open(s.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(512)
	var stream io.Reader = br
	switch sniffFormat(head) {
	case "gzip":
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("%s: reading %q again: %w", s.Path, e.name, err)
		}
		defer zr.Close()
		stream = zr
	case "zstd":
		l := &loader{opt: s.opt}
		zd, err := zstd.NewReader(br, zstd.WithDecoderMaxWindow(l.zstdWindow()))
		if err != nil {
			return fmt.Errorf("%s: reading %q again: %w", s.Path, e.name, err)
		}
		defer zd.Close()
		stream = zd
	}
	tr := tar.NewReader(&capReader{r: stream, max: s.opt.MaxTotalBytes})
	for n := 1; ; n++ {
		hdr, err := tr.Next()
		if err != nil {
			return fmt.Errorf("%s: %q is no longer in the archive (changed since it was opened?): %v", s.Path, e.name, err)
		}
		if n < e.ordinal {
			continue
		}
		if name, _ := cleanEntryName(hdr.Name); name != e.name || hdr.Size != e.size {
			return fmt.Errorf("%s: %q is not where it was in the archive (changed since it was opened?)", s.Path, e.name)
		}
		break
	}
	if s.spool == nil {
		sp, err := SpoolFile(s.opt.TempDir)
		if err != nil {
			return fmt.Errorf("%s: %q: spooling large entries: %w", s.Path, e.name, err)
		}
		s.spool = sp
	}
	n, err := io.Copy(&spoolWriter{f: s.spool}, io.LimitReader(tr, e.size))
	if err == nil && n < e.size {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return fmt.Errorf("%s: reading %q again: %w", s.Path, e.name, err)
	}
	e.off, e.lazy = s.spoolOff, false
	s.spoolOff += n
	return nil
}

// teeOnlyWriter hides a TeeWriter's other methods from io.CopyBuffer.
type teeOnlyWriter struct{ w TeeWriter }

func (t teeOnlyWriter) Write(p []byte) (int, error) {
	t.w.Write(p) //nolint:errcheck // a tee's write errors are ignored (ReadOptions.Tee)
	return len(p), nil
}

// snapInfo is the fs.FileInfo of an archive entry. Entries are read-only.
type snapInfo struct{ e *snapEntry }

func (i snapInfo) Name() string       { return path.Base(i.e.name) }
func (i snapInfo) Size() int64        { return i.e.size }
func (i snapInfo) ModTime() time.Time { return i.e.modTime }
func (i snapInfo) IsDir() bool        { return i.e.isDir }
func (i snapInfo) Sys() any           { return nil }
func (i snapInfo) Mode() fs.FileMode {
	if i.e.isDir {
		return fs.ModeDir | 0o555
	}
	return 0o444
}

// snapFile is an open regular file of an archive.
type snapFile struct {
	*io.SectionReader
	e *snapEntry
}

func (f *snapFile) Stat() (fs.FileInfo, error) { return snapInfo{f.e}, nil }
func (f *snapFile) Close() error               { return nil }

// snapDir is an open directory of an archive.
type snapDir struct {
	e   *snapEntry
	pos int
}

func (d *snapDir) Stat() (fs.FileInfo, error) { return snapInfo{d.e}, nil }
func (d *snapDir) Close() error               { return nil }
func (d *snapDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.e.name, Err: errIsDir}
}

// ReadDir implements fs.ReadDirFile.
func (d *snapDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.e.children[d.pos:]
	if n > 0 && len(rest) == 0 {
		return nil, io.EOF
	}
	if n > 0 && n < len(rest) {
		rest = rest[:n]
	}
	d.pos += len(rest)
	return slices.Clone(rest), nil
}

// openDir opens an extracted snapshot directory.
func openDir(dirPath string, opt ReadOptions) (*Snapshot, error) {
	abs, err := filepath.Abs(dirPath)
	if err != nil {
		return nil, err
	}
	dir, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, err
	}
	s := &Snapshot{Path: dirPath, Format: "dir", dir: dir}
	if err := s.walkDir(opt); err != nil {
		return nil, err
	}
	if s.root, err = os.OpenRoot(dir); err != nil {
		return nil, err
	}
	m, err := s.readDirManifest()
	if err != nil {
		s.Close() //nolint:errcheck // the manifest error is the one to report
		return nil, err
	}
	s.Manifest = m
	return s, nil
}

// walkDir checks every file of the directory and lists the regular ones.
// A symlink to a directory inside the tree is allowed but not descended.
func (s *Snapshot) walkDir(opt ReadOptions) error {
	var count int
	var total int64
	err := filepath.WalkDir(s.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == s.dir {
			return nil
		}
		rel, err := filepath.Rel(s.dir, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		if count++; count > opt.MaxEntries {
			return newReaderError(ErrTooLarge, nil, "%s: snapshot exceeds size cap: more than %d entries", s.Path, opt.MaxEntries)
		}
		if d.IsDir() {
			return nil
		}
		if t := d.Type(); !t.IsRegular() && t&fs.ModeSymlink == 0 {
			return unsafeEntry(s.Path, name, modeProblem(t))
		}
		fi, err := checkDirEntry(s.Path, s.dir, name)
		if err != nil {
			return err
		}
		if fi.IsDir() {
			return nil
		}
		if fi.Size() > opt.MaxEntryBytes {
			return newReaderError(ErrTooLarge, nil, "%s: %q: entry exceeds size cap: %d bytes, cap %d", s.Path, name, fi.Size(), opt.MaxEntryBytes)
		}
		if total += fi.Size(); total > opt.MaxTotalBytes {
			return newReaderError(ErrTooLarge, nil, "%s: snapshot exceeds size cap: more than %d bytes", s.Path, opt.MaxTotalBytes)
		}
		s.entries = append(s.entries, Entry{Name: name, Size: fi.Size()})
		return nil
	})
	slices.SortFunc(s.entries, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	return err
}

func (s *Snapshot) readDirManifest() (*Manifest, error) {
	f, err := s.openDirEntry(ManifestName)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, noManifest(s.Path)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.IsDir() {
		return nil, noManifest(s.Path)
	}
	m, err := DecodeManifest(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Path, err)
	}
	return m, nil
}

// openDirEntry opens a file of an extracted directory, refusing what
// checkDirEntry refuses. The file is opened non-blocking and checked again,
// so that a fifo swapped in after the check neither blocks nor gets read.
func (s *Snapshot) openDirEntry(name string) (fs.File, error) {
	if _, err := checkDirEntry(s.Path, s.dir, name); err != nil {
		return nil, err
	}
	flag := os.O_RDONLY
	if runtime.GOOS != "windows" {
		flag |= syscall.O_NONBLOCK
	}
	f, err := s.root.OpenFile(name, flag, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil {
		if why := modeProblem(fi.Mode()); why != "" {
			err = unsafeEntry(s.Path, name, why)
		}
	}
	if err != nil {
		f.Close() //nolint:errcheck // the stat error is the one to report
		return nil, err
	}
	return f, nil
}
