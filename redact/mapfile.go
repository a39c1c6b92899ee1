package redact

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
)

// MapVersion is the version of the map file format.
const MapVersion = 1

// maxMapFile bounds what ReadMap reads: a map of a million addresses is
// about 50 MB.
const maxMapFile = 1 << 30

// mapFile is the JSON form of a Map:
//
//	{
//	  "netsnap_redact_map": 1,
//	  "key": "64 hex digits",
//	  "names": {"ip-10-0-0-1.ec2.internal": "host-1a2b3c.sub.example.invalid", ...},
//	  "addresses": {"10.0.0.1": "10.93.4.17", ...}
//	}
//
// Both objects map an original to its pseudonym; names are lower case.
type mapFile struct {
	Version   int               `json:"netsnap_redact_map"`
	Key       string            `json:"key"`
	Names     map[string]string `json:"names"`
	Addresses map[string]string `json:"addresses"`
}

// ReadMap reads a map file written by WriteMap. It checks everything: the
// version, the key, that no two names share a pseudonym, and that every
// address pair is what the key computes (a map edited by hand, or merged
// from two keys, is refused rather than trusted).
func ReadMap(r io.Reader) (*Map, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxMapFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxMapFile {
		return nil, fmt.Errorf("map file larger than %d bytes", maxMapFile)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f mapFile
	if err := dec.Decode(&f); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return nil, fmt.Errorf("line %d: not a redaction map: %w", lineAt(data, syn.Offset), err)
		case errors.As(err, &typ):
			return nil, fmt.Errorf("line %d: not a redaction map: %w", lineAt(data, typ.Offset), err)
		}
		return nil, fmt.Errorf("not a redaction map: %w", err)
	}
	if dec.More() {
		return nil, errors.New("not a redaction map: data after the JSON object")
	}
	if f.Version != MapVersion {
		return nil, fmt.Errorf("redaction map version %d, want %d", f.Version, MapVersion)
	}
	k, err := hex.DecodeString(f.Key)
	if err != nil || len(k) != KeySize {
		return nil, fmt.Errorf("redaction map: key is not %d hex digits", 2*KeySize)
	}
	m := NewMapKey([KeySize]byte(k))
	for orig, p := range f.Names {
		switch {
		case orig == "" || orig != strings.ToLower(orig):
			return nil, fmt.Errorf("redaction map: bad name %q", orig)
		case !isPseudonym(p):
			return nil, fmt.Errorf("redaction map: %q is not a pseudonym (name %q)", p, orig)
		}
		if o, dup := m.back[p]; dup {
			return nil, fmt.Errorf("redaction map: names %q and %q share the pseudonym %q", o, orig, p)
		}
		m.names[orig] = p
		m.back[p] = orig
	}
	for o, p := range f.Addresses {
		a, err1 := netip.ParseAddr(o)
		b, err2 := netip.ParseAddr(p)
		if err1 != nil || err2 != nil || a.Zone() != "" || b.Zone() != "" || a.Is4In6() || b.Is4In6() {
			return nil, fmt.Errorf("redaction map: bad address pair %q: %q", o, p)
		}
		if got := m.addr.mapAddr(a, false); got != b {
			return nil, fmt.Errorf("redaction map: address %s maps to %s with this key, not %s (a map made with another key?)", a, got, b)
		}
		m.addrs[a] = b
	}
	return m, nil
}

// WriteMap writes m as JSON (keys sorted, so the same map gives the same
// bytes).
func (m *Map) WriteMap(w io.Writer) error {
	m.mu.Lock()
	f := mapFile{
		Version:   MapVersion,
		Key:       hex.EncodeToString(m.key[:]),
		Names:     make(map[string]string, len(m.names)),
		Addresses: make(map[string]string, len(m.addrs)),
	}
	for o, p := range m.names {
		f.Names[o] = p
	}
	for o, p := range m.addrs {
		f.Addresses[o.String()] = p.String()
	}
	m.mu.Unlock()
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// LoadMapFile reads the map file at path; a file that does not exist gives
// a new Map with a fresh key (created reports it).
func LoadMapFile(path string) (m *Map, created bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		m, err := NewMap()
		return m, true, err
	}
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	m, err = ReadMap(f)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	return m, false, nil
}

// MapFile is a map file written but not yet in place: Commit renames it,
// Abort removes it. The file has mode 0600: it un-redacts.
type MapFile struct {
	tmp, path string
}

// PrepareMapFile writes m to a temporary file beside path.
func (m *Map) PrepareMapFile(path string) (*MapFile, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, err
	}
	mf := &MapFile{tmp: f.Name(), path: path}
	err = f.Chmod(0o600)
	if err == nil {
		err = m.WriteMap(f)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		mf.Abort()
		return nil, err
	}
	return mf, nil
}

// Commit puts the map file in place.
func (mf *MapFile) Commit() error {
	if err := os.Rename(mf.tmp, mf.path); err != nil {
		mf.Abort()
		return err
	}
	return nil
}

// Abort removes the temporary file.
func (mf *MapFile) Abort() {
	os.Remove(mf.tmp)
}

// lineAt is the line of byte offset off.
func lineAt(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return 1 + bytes.Count(data[:off], []byte{'\n'})
}
