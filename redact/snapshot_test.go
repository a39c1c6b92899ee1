package redact

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/netsnap/netsnap"
	"github.com/netsnap/netsnap/analysis"
	"github.com/netsnap/netsnap/analysis/diff"
	"github.com/netsnap/netsnap/analysis/render"
	"github.com/netsnap/netsnap/analysis/rules"
	"github.com/netsnap/netsnap/internal/nginxconf"
	"github.com/netsnap/netsnap/snapshot"
	"github.com/netsnap/netsnap/snapshot/collect"
)

// fixtureSnapshot collects a fixture host of testdata/hosts as the
// command's tests do, with a fixed clock.
func fixtureSnapshot(t *testing.T, host string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), host+".tgz")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	clock := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	now := func() time.Time { clock = clock.Add(500 * time.Millisecond); return clock }
	if _, err := collect.Run(context.Background(), collect.Options{Root: filepath.Join("../testdata/hosts", host), Samples: 2, Interval: 1, Now: now, Version: "test"}, f); err != nil {
		t.Fatal(err)
	}
	return out
}

// snapshots are the inputs of the end-to-end tests: the samples and the
// fixture hosts.
func snapshots(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	samples, _ := filepath.Glob("../samples/*.tgz")
	if len(samples) == 0 {
		t.Fatal("no samples")
	}
	for _, s := range samples {
		out[filepath.Base(s)] = s
	}
	hosts, err := os.ReadDir("../testdata/hosts")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts {
		out[h.Name()] = fixtureSnapshot(t, h.Name())
	}
	// And this machine, live: real names and addresses, and netsnap's own
	// socket table where the kernel offers NETLINK_SOCK_DIAG.
	live := filepath.Join(t.TempDir(), "live.tgz")
	f, err := os.Create(live)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := collect.Run(context.Background(), collect.Options{Samples: 2, Interval: 200 * time.Millisecond, Version: "test"}, f); err != nil {
		t.Fatal(err)
	}
	out["live"] = live
	return out
}

// contents reads every regular file of a snapshot.
func contents(t *testing.T, p string) (map[string][]byte, *snapshot.Manifest) {
	t.Helper()
	s, err := snapshot.Open(p, snapshot.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out := map[string][]byte{}
	for _, e := range s.Entries() {
		b, err := s.ReadFile(e.Name)
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name] = b
	}
	return out, s.Manifest
}

// The identifiers of a snapshot, found independently of the redactor:
// by regular expressions over the text, the hex of /proc/net and the
// nginx parser.
type identifiers struct {
	addrs    map[netip.Addr]bool // unmapped
	names    map[string]bool     // lower case; searched everywhere
	words    map[string]bool     // plain words ("app"): checked where nginx and the logs name hosts
	hostname string
}

var (
	reIPv4     = regexp.MustCompile(`(?:^|[^0-9.])((?:[0-9]{1,3}\.){3}[0-9]{1,3})(?:[^0-9]|$)`)
	reIPv6     = regexp.MustCompile(`[0-9A-Fa-f]*:[0-9A-Fa-f:.]*`)
	reHexAddr  = regexp.MustCompile(`^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):[0-9A-Fa-f]{4}$`)
	reLogField = regexp.MustCompile(`, (server|host): "?([^,"]*)"?`)
	wellKnownT = []string{"localhost", "_", "ip6-localhost", "ip6-loopback", "ip6-localnet", "ip6-mcastprefix", "ip6-allnodes", "ip6-allrouters", "ip6-allhosts", ""}
)

// identifies reports whether a is an address that says something about
// a host (not loopback, 0.0.0.0, multicast, broadcast, a netmask).
func identifies(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsLoopback() || a.IsUnspecified() || a.IsMulticast() || a.Is4() && (a.As4()[0] == 0 || a.As4()[0] >= 240) {
		return false
	}
	return !netip.MustParsePrefix("fe00::/9").Contains(a)
}

// textAddrs lists the addresses written in b as text.
func textAddrs(b []byte, fn func(netip.Addr)) {
	for _, m := range reIPv4.FindAllSubmatch(b, -1) {
		if a, err := netip.ParseAddr(string(m[1])); err == nil {
			fn(a)
		}
	}
	for _, m := range reIPv6.FindAll(b, -1) {
		m = bytes.TrimRight(m, ".:")
		if bytes.Count(m, []byte{':'}) < 2 || !bytes.ContainsAny(m, "0123456789") {
			continue
		}
		if a, err := netip.ParseAddr(string(m)); err == nil {
			fn(a)
		}
	}
}

// hexAddrs lists the addresses of a /proc/net table.
func hexAddrs(b []byte, fn func(netip.Addr)) {
	for _, f := range bytes.Fields(b) {
		if !reHexAddr.Match(f) {
			continue
		}
		raw, _ := hex.DecodeString(string(f[:bytes.IndexByte(f, ':')]))
		var a [16]byte
		for k := 0; k < len(raw); k += 4 {
			binary.BigEndian.PutUint32(a[k:], binary.LittleEndian.Uint32(raw[k:]))
		}
		if len(raw) == 4 {
			fn(netip.AddrFrom4([4]byte(a[:4])))
		} else {
			fn(netip.AddrFrom16(a))
		}
	}
}

func isProcTable(name string) bool {
	return regexp.MustCompile(`proc/net/(tcp|udp|raw)6?$`).MatchString(name)
}

func findIdentifiers(t *testing.T, files map[string][]byte, man *snapshot.Manifest) identifiers {
	id := identifiers{addrs: map[netip.Addr]bool{}, names: map[string]bool{}, words: map[string]bool{}, hostname: man.Hostname}
	addAddr := func(a netip.Addr) {
		if identifies(a) {
			id.addrs[a.Unmap().WithZone("")] = true
		}
	}
	addName := func(n string) {
		n = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(n, "*."), "."), "."))
		if slices.Contains(wellKnownT, n) || strings.ContainsAny(n, "$~/ ") || strings.HasPrefix(n, "unix:") {
			return
		}
		if _, err := netip.ParseAddr(strings.Trim(n, "[]")); err == nil {
			return
		}
		if strings.ContainsAny(n, "0123456789-.") {
			id.names[n] = true
		} else {
			id.words[n] = true
		}
	}
	addName(man.Hostname)
	for name, b := range files {
		if isProcTable(name) {
			hexAddrs(b, addAddr)
			continue
		}
		textAddrs(b, addAddr)
		if name == "etc/hosts" {
			for _, l := range strings.Split(string(b), "\n") {
				l, _, _ = strings.Cut(l, "#")
				if f := strings.Fields(l); len(f) > 1 {
					for _, n := range f[1:] {
						addName(n)
					}
				}
			}
		}
	}
	for _, n := range man.NetNS {
		for _, s := range []string{n.Container, n.Pod, n.PodNamespace} {
			if s != "" {
				addName(s)
			}
		}
		if n.Kind == "netns" {
			addName(n.Name)
		}
	}
	for _, inst := range man.Nginx {
		for _, l := range inst.ErrorLogs {
			for _, m := range reLogField.FindAllStringSubmatch(string(files[archivePath(inst.Root+"/"+l)]), -1) {
				h, _, _ := strings.Cut(m[2], ":")
				addName(h)
			}
		}
		for _, d := range nginxNames(t, files, inst) {
			addName(d)
		}
	}
	return id
}

// mapFS serves the snapshot's files to the nginx parser.
type mapFS map[string][]byte

func (m mapFS) ReadFile(name string) ([]byte, error) {
	if b, ok := m[strings.TrimPrefix(path.Clean("/"+name), "/")]; ok {
		return b, nil
	}
	return nil, fs.ErrNotExist
}

func (m mapFS) Glob(pattern string) ([]string, error) {
	var out []string
	for n := range m {
		if ok, _ := path.Match(strings.TrimPrefix(pattern, "/"), n); ok {
			out = append(out, "/"+n)
		}
	}
	sort.Strings(out)
	return out, nil
}

// nginxNames returns the names an nginx configuration gives hosts:
// server_name, upstream names, the hosts of upstream servers, listen,
// resolver and *_pass.
func nginxNames(t *testing.T, files map[string][]byte, inst snapshot.NginxInstance) []string {
	fsys := mapFS(files)
	if inst.Root != "" { // an nginx in a container: its files are under its root
		fsys = mapFS{}
		prefix := archivePath(inst.Root) + "/"
		for n, b := range files {
			if rest, ok := strings.CutPrefix(n, prefix); ok {
				fsys[rest] = b
			}
		}
	}
	parsed := nginxconf.Parse(fsys, inst.Conf, inst.Prefix, nginxconf.Limits{})
	var out []string
	host := func(s string) string {
		if i := strings.Index(s, "://"); i >= 0 {
			s = s[i+3:]
		}
		s, _, _ = strings.Cut(s, "/")
		if strings.HasPrefix(s, "[") {
			return ""
		}
		h, _, _ := strings.Cut(s, ":")
		return h
	}
	nginxconf.Walk(parsed.Tree, func(d *nginxconf.Directive, parents []*nginxconf.Directive) bool {
		switch d.Name {
		case "server_name":
			out = append(out, d.Args...)
		case "upstream":
			out = append(out, d.Arg(0))
		case "server":
			if len(parents) > 0 && parents[len(parents)-1].Name == "upstream" {
				out = append(out, host(d.Arg(0)))
			}
		case "proxy_pass", "fastcgi_pass", "uwsgi_pass", "grpc_pass":
			out = append(out, host(d.Arg(0)))
		case "resolver":
			for _, a := range d.Args {
				if !strings.Contains(a, "=") {
					out = append(out, host(a))
				}
			}
		}
		return true
	})
	if len(parsed.Files) == 0 {
		t.Errorf("nginx %s: no configuration parsed", inst.Conf)
	}
	return out
}

// leaks lists the identifiers of id found in b (named where) that are not
// pseudonyms themselves.
func leaks(id identifiers, pseudo map[netip.Addr]bool, where string, b []byte, proc bool) []string {
	var out []string
	check := func(a netip.Addr) {
		a = a.Unmap().WithZone("")
		if id.addrs[a] && !pseudo[a] {
			out = append(out, where+": address "+a.String())
		}
	}
	if proc {
		hexAddrs(b, check)
	} else {
		textAddrs(b, check)
	}
	lower := bytes.ToLower(b)
	for n := range id.names {
		for i := 0; ; {
			k := bytes.Index(lower[i:], []byte(n))
			if k < 0 {
				break
			}
			k += i
			before, after := byte(' '), byte(' ')
			if k > 0 {
				before = lower[k-1]
			}
			if e := k + len(n); e < len(lower) {
				after = lower[e]
			}
			if !is(before, cDigit|cAlpha) && before != '-' && !is(after, cDigit|cAlpha) && after != '-' {
				out = append(out, where+": name "+n)
				break
			}
			i = k + 1
		}
	}
	return out
}

// redactFile redacts in with a fresh map of the test key.
func redactFile(t *testing.T, in string, m *Map) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "redacted.tgz")
	if err := File(in, out, m, Options{}); err != nil {
		t.Fatal(err)
	}
	return out
}

func run(t *testing.T, p string) *analysis.Result {
	t.Helper()
	set, err := rules.Load(rules.Source{Name: "rules.toml", Data: netsnap.DefaultRules})
	if err != nil {
		t.Fatal(err)
	}
	s, err := analysis.OpenSnapshot(p, snapshot.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	res, err := analysis.Run(s, set)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

var (
	rePseudonym = regexp.MustCompile(`(?i)host-[0-9a-f]{6,}(\.sub)*(\.example)?(\.invalid)?`)
	reAnyIPv6   = regexp.MustCompile(`\[?[0-9A-Fa-f]*::?[0-9A-Fa-f:.]*[0-9A-Fa-f]\]?`)
	reAnyIPv4   = regexp.MustCompile(`[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}`)
	reSpaces    = regexp.MustCompile(` +`)
)

// normalize replaces addresses and names by placeholders, so that a report
// and the report of its redacted snapshot compare equal.
func normalize(s string, id identifiers) string {
	names := make([]string, 0, len(id.names)+len(id.words))
	for n := range id.names {
		names = append(names, n)
	}
	for n := range id.words {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) })
	s = rePseudonym.ReplaceAllString(s, "NAME")
	for _, n := range names {
		s = regexp.MustCompile(`(?i)(^|[^a-z0-9-])`+regexp.QuoteMeta(n)+`($|[^a-z0-9-])`).ReplaceAllString(s, "${1}NAME${2}")
		s = regexp.MustCompile(`(?i)(^|[^a-z0-9-])`+regexp.QuoteMeta(n)+`($|[^a-z0-9-])`).ReplaceAllString(s, "${1}NAME${2}")
	}
	s = reAnyIPv4.ReplaceAllString(s, "IP")
	s = reAnyIPv6.ReplaceAllStringFunc(s, func(m string) string {
		if strings.Count(m, ":") >= 2 {
			return "IP"
		}
		return m
	})
	return reSpaces.ReplaceAllString(s, " ")
}

// TestRedactSnapshots redacts every sample and fixture host and checks
// that no identifier survives, in the archive or in its reports, and that
// the findings are the same, numbers included.
func TestRedactSnapshots(t *testing.T) {
	for name, in := range snapshots(t) {
		t.Run(name, func(t *testing.T) {
			files, man := contents(t, in)
			id := findIdentifiers(t, files, man)
			if name == "live" && len(id.addrs)+len(id.names)+len(id.words) == 0 {
				t.Skip("this machine shows no address or name to redact")
			}
			if name != "live" && (len(id.addrs) == 0 || len(id.names)+len(id.words) == 0) {
				t.Fatalf("found %d addresses and %d names to look for", len(id.addrs), len(id.names))
			}
			// The detector finds them in the original (else it proves nothing).
			var before []string
			for n, b := range files {
				before = append(before, leaks(id, nil, n, b, isProcTable(n))...)
			}
			if len(before) < len(id.names) || len(before) == 0 {
				t.Fatalf("the detector finds only %d identifiers in the original", len(before))
			}
			t.Logf("%d addresses, %d names, %d words; %d occurrences in the original", len(id.addrs), len(id.names), len(id.words), len(before))
			m := NewMapKey(testKey)
			out := redactFile(t, in, m)
			pseudo := map[netip.Addr]bool{}
			for _, p := range m.addrs {
				pseudo[p] = true
			}
			red, rman := contents(t, out)
			var found []string
			for n, b := range red {
				found = append(found, leaks(id, pseudo, n+" (name)", []byte(n), false)...)
				found = append(found, leaks(id, pseudo, n, b, isProcTable(n))...)
			}
			orig, redr := run(t, in), run(t, out)
			for _, format := range []render.Format{render.Text, render.Markdown, render.JSON} {
				var buf bytes.Buffer
				if err := render.Report(&buf, format, redr.Report, render.Options{}); err != nil {
					t.Fatal(err)
				}
				found = append(found, leaks(id, pseudo, "report."+string(format), buf.Bytes(), false)...)
			}
			sort.Strings(found)
			for i, f := range found {
				if i == 20 {
					t.Errorf("... and %d more", len(found)-20)
					break
				}
				t.Errorf("left in the redacted snapshot: %s", f)
			}
			// Plain-word names ("app", "proxy") where nginx and the logs name hosts.
			for _, inst := range rman.Nginx {
				for _, n := range nginxNames(t, red, inst) {
					if id.words[strings.ToLower(n)] {
						t.Errorf("nginx configuration still names %q", n)
					}
				}
				for _, l := range inst.ErrorLogs {
					for _, f := range reLogField.FindAllStringSubmatch(string(red[archivePath(inst.Root+"/"+l)]), -1) {
						if h, _, _ := strings.Cut(f[2], ":"); id.words[strings.ToLower(h)] {
							t.Errorf("%s still names %q", l, h)
						}
					}
				}
			}
			if rman.Hostname == man.Hostname {
				t.Errorf("manifest hostname %q kept", man.Hostname)
			}
			if b, ok := red["proc/sys/kernel/hostname"]; ok && strings.TrimSpace(string(b)) == man.Hostname {
				t.Errorf("proc/sys/kernel/hostname still %q", man.Hostname)
			}
			for _, l := range strings.Split(string(red["etc/hosts"]), "\n") {
				l, _, _ = strings.Cut(l, "#")
				for i, f := range strings.Fields(l) {
					if i > 0 && (id.words[strings.ToLower(f)] || id.names[strings.ToLower(f)]) {
						t.Errorf("etc/hosts still names %q", f)
					}
				}
			}
			// Sizes agree with the entries.
			for _, s := range rman.Sources {
				if s.Status == snapshot.StatusOK && s.Files == 0 && s.Archive != "" && !s.Truncated {
					if b, ok := red[s.Archive]; ok && int64(len(b)) != s.Bytes {
						t.Errorf("manifest: %s has %d bytes, the entry %d", s.Archive, s.Bytes, len(b))
					}
				}
			}
			compareReports(t, orig, redr, id)
		})
	}
}

// compareReports checks that two analyses found the same, numbers
// included, with addresses and names aside.
func compareReports(t *testing.T, orig, red *analysis.Result, id identifiers) {
	t.Helper()
	a, b := orig.Report, red.Report
	if len(a.Findings) != len(b.Findings) {
		t.Fatalf("%d findings, %d after redaction", len(a.Findings), len(b.Findings))
	}
	for i := range a.Findings {
		fa, fb := a.Findings[i], b.Findings[i]
		if fa.ID != fb.ID || fa.Severity != fb.Severity {
			t.Errorf("finding %d: %s %s, after redaction %s %s", i, fa.ID, fa.Severity, fb.ID, fb.Severity)
			continue
		}
		if na, nb := normalize(fa.Title, id), normalize(fb.Title, id); na != nb {
			t.Errorf("%s: title\n  %s\nafter redaction\n  %s", fa.ID, na, nb)
		}
		if na, nb := canonical(t, fa.Evidence, id), canonical(t, fb.Evidence, id); na != nb {
			t.Errorf("%s: evidence\n  %s\nafter redaction\n  %s", fa.ID, na, nb)
		}
	}
	// Every number the report holds: the facts, the sections, the problems.
	da := canonical(t, map[string]any{"facts": a.Facts, "problems": a.Problems, "sections": a.Sections, "suppressed": a.Suppressed}, id)
	db := canonical(t, map[string]any{"facts": b.Facts, "problems": b.Problems, "sections": b.Sections, "suppressed": b.Suppressed}, id)
	if da != db {
		i := 0
		for i < len(da) && i < len(db) && da[i] == db[i] {
			i++
		}
		t.Errorf("report data differs after redaction at byte %d:\n  %s\n  %s", i, clip(da, i), clip(db, i))
	}
}

var reAddrPort = regexp.MustCompile(`IP:[0-9]+`)

// canonical is v in JSON with addresses and names normalised, and every
// array sorted: rows that tie (same counts) are ordered by address or
// name, and a "top N" of ties may keep other ones, so only the multiset
// of numbers and labels is compared (with the port of an address
// dropped for the same reason; titles keep theirs).
func canonical(t *testing.T, v any, id identifiers) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		t.Fatal(err)
	}
	var walk func(any) any
	walk = func(x any) any {
		switch x := x.(type) {
		case string:
			return reAddrPort.ReplaceAllString(normalize(x, id), "IP")
		case []any:
			out := make([]string, len(x))
			for i, e := range x {
				b, _ := json.Marshal(walk(e))
				out[i] = string(b)
			}
			sort.Strings(out)
			return out
		case map[string]any:
			out := map[string]any{}
			for k, e := range x {
				out[normalize(k, id)] = walk(e)
			}
			return out
		}
		return x
	}
	c, _ := json.Marshal(walk(x))
	return string(c)
}

func clip(s string, i int) string {
	return s[max(0, i-150):min(len(s), i+150)]
}

// TestSameMapSameOutput: one key gives the same archive, byte for byte,
// also through a map file; and a diff of two snapshots redacted with one
// map finds what the diff of the originals finds.
func TestSameMapSameOutput(t *testing.T) {
	before, after := "../samples/tengine-before.tgz", "../samples/tengine-after.tgz"
	m := NewMapKey(testKey)
	a1, b1 := redactFile(t, before, m), redactFile(t, after, m)
	var mf bytes.Buffer
	if err := m.WriteMap(&mf); err != nil {
		t.Fatal(err)
	}
	again, err := ReadMap(bytes.NewReader(mf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	a2 := redactFile(t, before, NewMapKey(testKey))
	b2 := redactFile(t, after, again)
	for _, p := range [][2]string{{a1, a2}, {b1, b2}} {
		x, _ := os.ReadFile(p[0])
		y, _ := os.ReadFile(p[1])
		if !bytes.Equal(x, y) {
			t.Errorf("%s and %s differ: one key, two outputs", p[0], p[1])
		}
	}
	var mf2 bytes.Buffer
	if err := again.WriteMap(&mf2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mf.Bytes(), mf2.Bytes()) {
		t.Error("the map read back and used again for the same snapshot changed")
	}

	orig, err := diff.Compare(run(t, before), run(t, after), false)
	if err != nil {
		t.Fatal(err)
	}
	red, err := diff.Compare(run(t, a1), run(t, b1), false)
	if err != nil {
		t.Fatalf("diff of the redacted snapshots: %v", err)
	}
	status := func(d []string) []string { sort.Strings(d); return d }
	var so, sr []string
	for _, f := range orig.Findings {
		so = append(so, f.ID+" "+f.Status+" "+f.Severity.String())
	}
	for _, f := range red.Findings {
		sr = append(sr, f.ID+" "+f.Status+" "+f.Severity.String())
	}
	if !slices.Equal(status(so), status(sr)) {
		t.Errorf("diff findings:\n  %v\nafter redaction\n  %v", so, sr)
	}
	if len(orig.SysctlChanges) != len(red.SysctlChanges) {
		t.Errorf("%d sysctl changes, %d after redaction", len(orig.SysctlChanges), len(red.SysctlChanges))
	}
}

// TestFormats: the output has the input's compression (gzip for a
// directory), and analyses like it.
func TestFormats(t *testing.T) {
	dir := t.TempDir()
	zst := filepath.Join(dir, "zstd.tar.zst")
	f, err := os.Create(zst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := collect.Run(context.Background(), collect.Options{Root: "../testdata/hosts/proxy-modern", Samples: 1, Interval: 1, Compression: snapshot.Zstd, Version: "test"}, f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	tree := filepath.Join(dir, "tree")
	files, _ := contents(t, zst)
	for name, b := range files {
		p := filepath.Join(tree, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, b, 0o644)
	}
	for _, tc := range []struct{ in, format string }{
		{fixtureSnapshot(t, "centos6-ipconntrack"), "gzip"},
		{zst, "zstd"},
		{tree, "gzip"},
	} {
		out := redactFile(t, tc.in, NewMapKey(testKey))
		s, err := snapshot.Open(out, snapshot.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		if s.Format != tc.format {
			t.Errorf("%s: redacted as %s; want %s", tc.in, s.Format, tc.format)
		}
		a, b := run(t, tc.in).Report, run(t, out).Report
		if len(a.Findings) == 0 || len(a.Findings) != len(b.Findings) {
			t.Errorf("%s: %d findings, %d redacted", tc.in, len(a.Findings), len(b.Findings))
		}
	}
}

// TestRenamedEntries: an entry whose path holds the host name or an
// address is renamed, and the manifest and the nginx configuration follow,
// so the analyzer still finds the file.
func TestRenamedEntries(t *testing.T) {
	out := filepath.Join(t.TempDir(), "named.tgz")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	w, err := snapshot.NewWriter(f, snapshot.Gzip, start)
	if err != nil {
		t.Fatal(err)
	}
	conf := "error_log /var/log/nginx/web-7.error.log;\nhttp { upstream app { server 10.0.0.20:8080; } server { listen 80; location / { proxy_pass http://app; } } }\n"
	logLine := `2026/11/20 10:00:02 [error] 1#1: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.100, server: _, request: "GET / HTTP/1.1", upstream: "http://10.0.0.20:8080/", host: "web-7"` + "\n"
	w.AddBytes("etc/nginx/nginx.conf", []byte(conf))
	w.AddBytes("var/log/nginx/web-7.error.log", []byte(logLine))
	w.AddBytes("var/log/10.0.0.7/kern.log", []byte("Nov 20 10:00:00 web-7 kernel: hello\n"))
	m := &snapshot.Manifest{FormatVersion: 1, Tool: "netsnap", Hostname: "web-7", Start: start, End: start,
		Sources: []snapshot.SourceResult{
			{Name: "nginx", Path: "/etc/nginx/nginx.conf", Archive: "etc/nginx/nginx.conf", Status: snapshot.StatusOK, Bytes: int64(len(conf)), Files: 1},
			{Name: "nginx", Path: "/var/log/nginx/web-7.error.log", Archive: "var/log/nginx/web-7.error.log", Status: snapshot.StatusOK, Bytes: int64(len(logLine))},
		},
		Nginx: []snapshot.NginxInstance{{Flavor: "nginx", Prefix: "/etc/nginx", Conf: "/etc/nginx/nginx.conf",
			ConfigFiles: []string{"/etc/nginx/nginx.conf"}, ErrorLogs: []string{"/var/log/nginx/web-7.error.log"}}}}
	if err := w.Close(m); err != nil {
		t.Fatal(err)
	}
	f.Close()
	mp := NewMapKey(testKey)
	red := redactFile(t, out, mp)
	files, man := contents(t, red)
	host := mp.Name("web-7")
	want := []string{"manifest.json", "etc/nginx/nginx.conf", "var/log/" + pa(mp, "10.0.0.7") + "/kern.log", "var/log/nginx/" + host + ".error.log"}
	var got []string
	for n := range files {
		got = append(got, n)
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("entries %v; want %v", got, want)
	}
	if man.Nginx[0].ErrorLogs[0] != "/var/log/nginx/"+host+".error.log" || man.Sources[1].Archive != "var/log/nginx/"+host+".error.log" {
		t.Errorf("manifest: error logs %v, archive %q", man.Nginx[0].ErrorLogs, man.Sources[1].Archive)
	}
	if !strings.Contains(string(files["etc/nginx/nginx.conf"]), "error_log /var/log/nginx/"+host+".error.log;") {
		t.Errorf("nginx.conf:\n%s", files["etc/nginx/nginx.conf"])
	}
	if a, b := run(t, out), run(t, red); len(a.Host.NginxErrorLogs) != 1 || len(b.Host.NginxErrorLogs) != 1 || len(a.Report.Findings) != len(b.Report.Findings) {
		t.Errorf("error logs read: %v, redacted %v; findings %d, %d", a.Host.NginxErrorLogs, b.Host.NginxErrorLogs, len(a.Report.Findings), len(b.Report.Findings))
	}
}

// Containers and pods are named by people too: a redacted snapshot of
// docker-host names them by pseudonyms, and its report still finds the
// api container's overflow and ties it to the host's nginx errors.
func TestNamespaceNamesRedacted(t *testing.T) {
	in := fixtureSnapshot(t, "docker-host")
	red := redactFile(t, in, NewMapKey(testKey))
	orig, got := run(t, in), run(t, red)
	if len(got.Report.Namespaces) != len(orig.Report.Namespaces) || len(orig.Report.Namespaces) != 4 {
		t.Fatalf("namespaces: %d redacted, %d original", len(got.Report.Namespaces), len(orig.Report.Namespaces))
	}
	originals := []string{"api", "coredns-7db6d8ff4d-x2x4z", "kube-system", "web-5d9f7c6b8-q7k2m", "shop"}
	for i, n := range got.Report.Namespaces {
		o := orig.Report.Namespaces[i]
		for _, s := range []string{n.Name, n.Container, n.Pod, n.PodNamespace} {
			for _, w := range originals {
				if s == w || strings.Contains(s, w+"/") || strings.HasSuffix(s, "/"+w) {
					t.Errorf("namespace %q keeps %q (%+v)", n.Name, w, n)
				}
			}
		}
		if n.Kind != o.Kind || n.Inode != o.Inode || (o.Pod != "") != (n.Pod != "") {
			t.Errorf("namespace %d: %+v, original %+v", i, n, o)
		}
	}
	var linked bool
	for _, f := range got.Report.Findings {
		if f.ID == "listen-queue-overflow" && f.Namespace == got.Report.Namespaces[0].Name && len(f.Related) > 0 {
			linked = true
		}
	}
	if !linked {
		t.Errorf("the redacted report lost the container's overflow or its link: %+v", got.Report.Findings)
	}
}
