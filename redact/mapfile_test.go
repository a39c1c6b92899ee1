package redact

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMapFileRoundTrip(t *testing.T) {
	m := NewMapKey(testKey)
	m.Name("ip-10-0-0-1.ec2.internal")
	m.Name("app")
	m.Addr(netip.MustParseAddr("10.0.0.1"))
	m.Addr(netip.MustParseAddr("2001:db8::1"))
	m.Addr(netip.MustParseAddr("::ffff:192.168.1.1"))
	m.Addr(netip.MustParseAddr("127.0.0.1")) // unchanged: not a pair
	var buf bytes.Buffer
	if err := m.WriteMap(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadMap(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if n, a := back.Pairs(); n != 2 || a != 3 {
		t.Errorf("read back %d names and %d addresses; want 2 and 3", n, a)
	}
	var again bytes.Buffer
	if err := back.WriteMap(&again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Errorf("a map read and written again changed:\n%s\n%s", buf.Bytes(), again.Bytes())
	}
	if got, want := back.Name("APP"), strings.ToUpper(m.Name("app")); got != want {
		t.Errorf("Name(APP) from the file = %q; want %q", got, want)
	}
	if !strings.Contains(buf.String(), `"192.168.1.1": "`+pa(m, "192.168.1.1")+`"`) {
		t.Errorf("the IPv4-mapped address is not kept as its IPv4:\n%s", buf.String())
	}
}

func TestReadMapErrors(t *testing.T) {
	key := hex.EncodeToString(testKey[:])
	good := NewMapKey(testKey)
	p := pa(good, "10.0.0.1")
	name := good.Name("app")
	for _, tc := range []struct{ in, err string }{
		{``, "not a redaction map"},
		{`{"netsnap_redact_map": 2, "key": "` + key + `"}`, "version 2"},
		{`{"netsnap_redact_map": 1, "key": "abc"}`, "key is not 64 hex digits"},
		{`{"netsnap_redact_map": 1, "key": "` + key + `", "extra": 1}`, "unknown field"},
		{`{"netsnap_redact_map": 1, "key": "` + key + `"} {}`, "data after"},
		{`{"netsnap_redact_map": 1, "key": "` + key + `", "names": {"App": "` + name + `"}}`, `bad name "App"`},
		{`{"netsnap_redact_map": 1, "key": "` + key + `", "names": {"app": "web"}}`, "is not a pseudonym"},
		{`{"netsnap_redact_map": 1, "key": "` + key + `", "names": {"app": "` + name + `", "db": "` + name + `"}}`, "share the pseudonym"},
		{`{"netsnap_redact_map": 1, "key": "` + key + `", "addresses": {"10.0.0.1": "10.0.0.2"}}`, "another key"},
		{`{"netsnap_redact_map": 1, "key": "` + key + `", "addresses": {"10.0.0.1": "x"}}`, "bad address pair"},
		{`{"netsnap_redact_map": 1, "key": "` + key + `", "addresses": {"::ffff:10.0.0.1": "` + p + `"}}`, "bad address pair"},
		{"{\n\"netsnap_redact_map\": 1,\n\"key\": \n}", "line 4"},
	} {
		_, err := ReadMap(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ReadMap(%.60q) = %v; want an error with %q", tc.in, err, tc.err)
		}
	}
}

func TestMapFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "host.map.json")
	m, created, err := LoadMapFile(p)
	if err != nil || !created {
		t.Fatalf("LoadMapFile(missing) = %v, %v", created, err)
	}
	m.Name("web-1")
	mf, err := m.PrepareMapFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("the map is in place before Commit: %v", err)
	}
	if err := mf.Commit(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("map file: %v, mode %v; want 0600", err, fi.Mode())
	}
	back, created, err := LoadMapFile(p)
	if err != nil || created || back.Name("web-1") != m.Name("web-1") {
		t.Errorf("LoadMapFile = %v, %v; Name(web-1) %q, want %q", created, err, back.Name("web-1"), m.Name("web-1"))
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("%d files in the directory; want the map alone", len(ents))
	}
	os.WriteFile(p, []byte("{"), 0o600)
	if _, _, err := LoadMapFile(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("LoadMapFile(broken) = %v; want an error naming the file", err)
	}
}
