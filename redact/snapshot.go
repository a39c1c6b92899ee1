package redact

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/netsnap/netsnap/snapshot"
)

// Options shape a redaction.
type Options struct {
	// Read bounds the input as snapshot.Open does (the zero value: its
	// defaults). Its Tee is used by File and must be nil.
	Read snapshot.ReadOptions
	// Compression is the output's: snapshot.Gzip or snapshot.Zstd; ""
	// keeps the input's (gzip for a plain tar or a directory).
	Compression string
}

// OutputError is an error in writing the redacted archive (a full disk, a
// missing directory), as opposed to a fault of the input.
type OutputError struct{ Err error }

func (e *OutputError) Error() string { return e.Err.Error() }
func (e *OutputError) Unwrap() error { return e.Err }

// File redacts the snapshot at in (an archive or an extracted directory)
// into a new archive at out, written to a temporary file beside out and
// renamed only when complete: on any error nothing is left under out.
// Errors name the input, and the entry and line where that applies;
// errors of the output are *OutputError.
func File(in, out string, m *Map, opt Options) error {
	o, err := Prepare(in, out, m, opt)
	if err != nil {
		return err
	}
	if err := o.Commit(); err != nil {
		return &OutputError{err}
	}
	return nil
}

// Prepare is File without the last step: the archive is complete but has
// no name until the caller calls Commit (or Abort) on it, so that the map
// file can be put in place first.
func Prepare(in, out string, m *Map, opt Options) (*snapshot.Output, error) {
	var order []string
	ro := opt.Read
	ro.Tee = func(name string) snapshot.TeeWriter {
		order = append(order, name) // archive order, kept in the output
		return nil
	}
	snap, err := snapshot.Open(in, ro)
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	o, err := snapshot.CreateOutput(out)
	if err != nil {
		return nil, &OutputError{err}
	}
	if err := Redact(o, snap, order, m, opt); err != nil {
		o.Abort()
		return nil, err
	}
	return o, nil
}

// Redact writes the redacted archive of snap to w: every entry rewritten
// (see the package documentation), renamed where its path holds an
// address or a known name, in the given order (entries not in order
// follow, manifest order first), and the manifest last, with its names,
// paths and sizes updated. order may be nil.
func Redact(w io.Writer, snap *snapshot.Snapshot, order []string, m *Map, opt Options) error {
	compression := opt.Compression
	if compression == "" {
		compression = snapshot.Gzip
		if snap.Format == "zstd" {
			compression = snapshot.Zstd
		}
	}
	man := snap.Manifest
	d := &driver{snap: snap, m: m, kinds: kindsOf(man), compression: compression}
	entries := entryOrder(snap, order)

	// Pass 1: learn the names of the host from every file that may hold
	// them (not the large socket and conntrack tables, which hold none),
	// so that pass 2 replaces them wherever they stand.
	d.r = newRewriter(m, nil)
	d.r.name(man.Hostname)
	for _, e := range entries {
		if k := d.kinds.of(e.Name); k.large() {
			continue
		}
		if err := d.entry(io.Discard, e); err != nil {
			return err
		}
	}
	d.r = newRewriter(m, d.knownNames())

	aw, err := snapshot.NewWriter(w, compression, man.Start)
	if err != nil {
		return &OutputError{err}
	}
	defer d.closeSpool()
	d.sizes = map[string][2]int64{}
	d.names = map[string]string{}
	for _, e := range entries {
		if err := d.add(aw, e); err != nil {
			return err
		}
	}
	d.r.done()
	nm := d.manifest(man)
	if err := aw.Close(nm); err != nil {
		return &OutputError{fmt.Errorf("writing the redacted archive of %s: %w", snap.Path, err)}
	}
	return nil
}

// driver redacts one snapshot.
type driver struct {
	snap        *snapshot.Snapshot
	m           *Map
	r           *rewriter
	kinds       kinds
	compression string
	sizes       map[string][2]int64 // entry -> size before, after
	names       map[string]string   // entry -> redacted name
	spool       *os.File
}

// kind is how an entry is rewritten.
type kind uint8

const (
	kText      kind = iota // free text: addresses, URLs, syslog hosts, known names
	kProcHex               // /proc/net socket tables in hex
	kProcNet               // other /proc/net files: hex addresses and text
	kSockText              // netsnap/tcp.txt
	kListeners             // netsnap/listeners.txt
	kConntrack             // nf_conntrack, ip_conntrack
	kNginxConf
	kNginxLog
	kHosts
	kResolv
	kHostname
	kManifest
)

func (k kind) large() bool {
	return k == kProcHex || k == kSockText || k == kListeners || k == kConntrack
}

type kinds struct {
	conf, logs map[string]bool
}

func kindsOf(m *snapshot.Manifest) kinds {
	k := kinds{conf: map[string]bool{}, logs: map[string]bool{}}
	for _, n := range m.Nginx {
		// An nginx in a container has its files stored under its Root.
		for _, f := range n.ConfigFiles {
			k.conf[archivePath(n.Root+"/"+f)] = true
		}
		if n.Conf != "" {
			k.conf[archivePath(n.Root+"/"+n.Conf)] = true
		}
		for _, f := range n.ErrorLogs {
			k.logs[archivePath(n.Root+"/"+f)] = true
		}
	}
	return k
}

func archivePath(p string) string { return strings.TrimPrefix(path.Clean("/"+p), "/") }

var (
	procHexTable = regexp.MustCompile(`^proc/(net|[0-9]+/net)/(tcp|tcp6|udp|udp6|raw|raw6|udplite|udplite6|icmp|icmp6)$`)
	procNet      = regexp.MustCompile(`^proc/([0-9]+/)?net/`)
	conntrack    = regexp.MustCompile(`^proc/net/(nf|ip)_conntrack$`)
	hostnameFile = regexp.MustCompile(`^(proc/sys/kernel/(hostname|domainname)|etc/hostname|etc/mailname)$`)
)

// hostPath is the path an archive entry had on its host: without the
// "netns/INODE/" of another network namespace and the "samples/N/" of a
// sample.
func hostPath(name string) string {
	for _, dir := range []string{"netns/", "samples/"} {
		if rest, ok := strings.CutPrefix(name, dir); ok {
			if i := strings.IndexByte(rest, '/'); i >= 0 {
				name = rest[i+1:]
			}
		}
	}
	return name
}

func (k kinds) of(name string) kind {
	switch {
	case name == snapshot.ManifestName:
		return kManifest
	case k.conf[name]:
		return kNginxConf
	case k.logs[name]:
		return kNginxLog
	}
	p := hostPath(name)
	switch {
	case p == "netsnap/tcp.txt":
		return kSockText
	case p == "netsnap/listeners.txt":
		return kListeners
	case procHexTable.MatchString(p):
		return kProcHex
	case conntrack.MatchString(p):
		return kConntrack
	case procNet.MatchString(p):
		return kProcNet
	case p == "etc/hosts":
		return kHosts
	case p == "etc/resolv.conf" || strings.HasPrefix(p, "run/") && strings.HasSuffix(p, "/resolv.conf"):
		return kResolv
	case hostnameFile.MatchString(p):
		return kHostname
	}
	return kText
}

// entryOrder lists the regular files of snap: those named in order first,
// as given, then the rest in the order of the manifest's sources, then by
// name; the manifest is left out (it is written last).
func entryOrder(snap *snapshot.Snapshot, order []string) []snapshot.Entry {
	all := snap.Entries()
	byName := make(map[string]snapshot.Entry, len(all))
	for _, e := range all {
		byName[e.Name] = e
	}
	var out []snapshot.Entry
	seen := map[string]bool{snapshot.ManifestName: true}
	take := func(n string) {
		if e, ok := byName[n]; ok && !seen[n] {
			seen[n] = true
			out = append(out, e)
		}
	}
	for _, n := range order {
		take(n)
	}
	rank := map[string]int{}
	for i, s := range snap.Manifest.Sources {
		if _, ok := rank[s.Archive]; !ok && s.Archive != "" {
			rank[s.Archive] = i
		}
	}
	rest := all[:0:0]
	for _, e := range all {
		if !seen[e.Name] {
			rest = append(rest, e)
		}
	}
	r := func(n string) int {
		for p := n; p != "."; p = path.Dir(p) {
			if i, ok := rank[p]; ok {
				return i
			}
		}
		return len(rank)
	}
	sort.SliceStable(rest, func(i, j int) bool { return r(rest[i].Name) < r(rest[j].Name) })
	for _, e := range rest {
		take(e.Name)
	}
	return out
}

// knownNames lists the names replaced wherever they stand: the host's
// own names, and every name the Map holds that cannot be an ordinary word
// (it has a dot, a digit or a "-": "api.example.com", "homepage-api",
// "db1"; not "app" or "backend", which are replaced where nginx, the
// hosts file or a log names a host, and nowhere else).
func (d *driver) knownNames() *nameIndex {
	var names []string
	d.m.mu.Lock()
	for n := range d.m.names {
		if distinctive(n) {
			names = append(names, n)
		}
	}
	d.m.mu.Unlock()
	own := []string{d.snap.Manifest.Hostname}
	for _, f := range []string{"proc/sys/kernel/hostname", "etc/hostname"} {
		if b, err := fs.ReadFile(d.snap, f); err == nil && len(b) < 1024 {
			own = append(own, strings.Fields(string(b))...)
		}
	}
	for _, h := range own {
		short, _, _ := strings.Cut(h, ".")
		for _, n := range []string{h, short} {
			// A host name that is a plain word ("proxy", "web") would hit
			// configuration keywords and program names: it is replaced in
			// its structured places only.
			if distinctive(n) {
				names = append(names, n)
			}
		}
	}
	return newNameIndex(names)
}

// rename returns the redacted archive path of an entry.
func (d *driver) rename(name string) string {
	if n, ok := d.names[name]; ok {
		return n
	}
	n := d.r.textString(name)
	d.names[name] = n
	return n
}

// add writes the redacted entry e to aw.
func (d *driver) add(aw *snapshot.Writer, e snapshot.Entry) error {
	name := d.rename(e.Name)
	if e.Size <= smallEntry {
		var buf bytes.Buffer
		if err := d.entry(&buf, e); err != nil {
			return err
		}
		d.sizes[e.Name] = [2]int64{e.Size, int64(buf.Len())}
		if err := aw.AddBytes(name, buf.Bytes()); err != nil {
			return &OutputError{fmt.Errorf("writing the redacted archive of %s: %w", d.snap.Path, err)}
		}
		return nil
	}
	spoolErr := func(err error) error {
		return &OutputError{fmt.Errorf("%s: %q: spooling the redacted entry: %w", d.snap.Path, e.Name, err)}
	}
	if d.spool == nil {
		sp, err := snapshot.SpoolFile("")
		if err != nil {
			return spoolErr(err)
		}
		d.spool = sp
	}
	if err := d.spool.Truncate(0); err != nil {
		return spoolErr(err)
	}
	if _, err := d.spool.Seek(0, io.SeekStart); err != nil {
		return spoolErr(err)
	}
	// Large entries are compressed as their own member at the faster
	// level, as the collector does its socket table.
	mw, err := snapshot.NewAsyncMember(d.compression, d.spool, true)
	if err != nil {
		return &OutputError{err}
	}
	err = d.entry(mw, e)
	size, cerr := mw.Close()
	if err != nil {
		return err
	}
	if cerr != nil {
		return spoolErr(cerr)
	}
	d.sizes[e.Name] = [2]int64{e.Size, size}
	off, err := d.spool.Seek(0, io.SeekCurrent)
	if err != nil {
		return spoolErr(err)
	}
	if err := aw.AddMember(name, size, io.NewSectionReader(d.spool, 0, off)); err != nil {
		return &OutputError{fmt.Errorf("writing the redacted archive of %s: %w", d.snap.Path, err)}
	}
	return nil
}

func (d *driver) closeSpool() {
	if d.spool != nil {
		d.spool.Close() //nolint:errcheck // a temporary file without a name
		d.spool = nil
	}
}

// smallEntry is the largest entry rewritten in memory.
const smallEntry = 1 << 20

// entry writes the redacted data of e to w.
func (d *driver) entry(w io.Writer, e snapshot.Entry) error {
	f, err := d.snap.Open(e.Name)
	if err != nil {
		return fmt.Errorf("%s: %q: %w", d.snap.Path, e.Name, err)
	}
	defer f.Close()
	k := d.kinds.of(e.Name)
	if k == kNginxConf && e.Size <= 16<<20 {
		data, err := io.ReadAll(f)
		if err != nil {
			return fmt.Errorf("%s: %q: %w", d.snap.Path, e.Name, err)
		}
		_, err = w.Write(d.r.nginxConf(nil, data))
		return err
	}
	line := d.lineFunc(k)
	if k.large() && e.Size > smallEntry {
		return d.parallel(w, f, e.Name, line)
	}
	return d.lines(w, f, e.Name, line)
}

// lineFunc returns the rewriter of one line of an entry of kind k.
func (d *driver) lineFunc(k kind) func(r *rewriter, dst, line []byte) []byte {
	switch k {
	case kProcHex:
		return (*rewriter).procHex
	case kProcNet:
		return func(r *rewriter, dst, line []byte) []byte {
			start := len(dst)
			dst = r.procHex(dst, line)
			hexed := append([]byte(nil), dst[start:]...)
			return r.text(dst[:start], hexed)
		}
	case kSockText:
		return func(r *rewriter, dst, line []byte) []byte { return r.sockText(dst, line, 1, 2) }
	case kListeners:
		return func(r *rewriter, dst, line []byte) []byte { return r.sockText(dst, line, 1) }
	case kNginxLog:
		return (*rewriter).nginxLog
	case kNginxConf:
		return func(r *rewriter, dst, line []byte) []byte { return r.nginxConf(dst, line) }
	case kHosts:
		return (*rewriter).hostsFile
	case kResolv:
		return (*rewriter).resolvConf
	case kHostname:
		return (*rewriter).hostnameFile
	}
	return (*rewriter).text
}

// maxLine bounds a line held whole; a longer one is rewritten in pieces
// cut at a blank (or anywhere, past twice the bound).
const maxLine = 1 << 20

// lines rewrites r line by line into w.
func (d *driver) lines(w io.Writer, r io.Reader, name string, fn func(*rewriter, []byte, []byte) []byte) error {
	br := bufio.NewReaderSize(r, 64<<10)
	bw := bufio.NewWriterSize(w, 64<<10)
	var long, out []byte
	n := 0
	for {
		b, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long, b...)
			if len(long) < maxLine {
				continue
			}
			cut := bytes.LastIndexAny(long, " \t")
			if cut < maxLine/2 {
				cut = len(long) - 1
			}
			out = fn(d.r, out[:0], long[:cut+1])
			if _, werr := bw.Write(out); werr != nil {
				return werr
			}
			long = append(long[:0], long[cut+1:]...)
			continue
		}
		if len(long) > 0 {
			b = append(long, b...)
			long = long[:0]
		}
		if len(b) > 0 {
			n++
			out = fn(d.r, out[:0], b)
			if _, werr := bw.Write(out); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return bw.Flush()
		}
		if err != nil {
			return fmt.Errorf("%s: %q: line %d: %w", d.snap.Path, name, n+1, err)
		}
	}
}

// distinctive reports whether a name can be replaced wherever it stands.
func distinctive(n string) bool {
	return hostLike(n) && strings.ContainsAny(n, "0123456789-.")
}
