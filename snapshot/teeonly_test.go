package snapshot

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// captureTee keeps what it is given; it takes its entries over (TeeOnly).
type captureTee struct {
	buf    bytes.Buffer
	closed bool
	err    error
}

func (c *captureTee) Write(p []byte) (int, error) { return c.buf.Write(p) }
func (c *captureTee) CloseWithError(err error) error {
	c.closed, c.err = true, err
	return nil
}
func (c *captureTee) TeeOnly() bool { return true }

// A tee-only entry over 1 MiB is given to the tee and not spooled; opening
// it reads it again from the archive, in every format; a small one stays in
// memory as before; the other entries are unaffected.
func TestTeeOnlyEntries(t *testing.T) {
	big := strings.Repeat("TIME_WAIT\t10.0.0.1:40000\t10.0.0.2:80\t0\t0\t3\t59000\t0\t0\t0\n", 60000) // 3.4 MB
	for _, format := range []string{"gzip", "zstd", "tar"} {
		t.Run(format, func(t *testing.T) {
			path := writeArchive(t, format, []tarEntry{
				{name: "samples/1/netsnap/tcp.txt", body: big},
				{name: "samples/1/proc/uptime", body: "1.0 2.0\n"},
				{name: "samples/2/netsnap/tcp.txt", body: "small\n"},
				{name: "other.txt", body: big},
				manifestEntry(1),
			})
			tees := map[string]*captureTee{}
			s, err := Open(path, ReadOptions{Tee: func(name string) TeeWriter {
				if !strings.HasSuffix(name, "tcp.txt") {
					return nil
				}
				c := &captureTee{}
				tees[name] = c
				return c
			}})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			c := tees["samples/1/netsnap/tcp.txt"]
			if c == nil || !c.closed || c.err != nil || c.buf.String() != big {
				t.Fatalf("the tee got %d bytes (closed %v, %v)", c.buf.Len(), c.closed, c.err)
			}
			if e := s.files["samples/1/netsnap/tcp.txt"]; !e.lazy {
				t.Error("the large tee-only entry was stored anyway")
			}
			if e := s.files["samples/2/netsnap/tcp.txt"]; e.lazy || !e.inMem {
				t.Error("a small tee-only entry should stay in memory")
			}
			if e := s.files["other.txt"]; e.lazy || e.inMem {
				t.Error("an entry without a tee should be spooled")
			}
			for _, name := range []string{"samples/1/netsnap/tcp.txt", "other.txt", "samples/2/netsnap/tcp.txt"} {
				want := big
				if strings.HasPrefix(name, "samples/2") {
					want = "small\n"
				}
				for range 2 { // the second read comes from the spool
					got, err := s.ReadFile(name)
					if err != nil || string(got) != want {
						t.Fatalf("%s: read %d bytes, %v", name, len(got), err)
					}
				}
			}
		})
	}
}

// The archive changed after it was opened: reading a tee-only entry fails
// with one line saying so, and nothing else is affected.
func TestTeeOnlyEntryArchiveChanged(t *testing.T) {
	big := strings.Repeat("x", 2<<20)
	path := writeArchive(t, "gzip", []tarEntry{{name: "samples/1/netsnap/tcp.txt", body: big}, manifestEntry(1)})
	s, err := Open(path, ReadOptions{Tee: func(string) TeeWriter { return &captureTee{} }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	other := writeArchive(t, "gzip", []tarEntry{{name: "samples/1/proc/uptime", body: "1 2\n"}, manifestEntry(1)})
	b, err := os.ReadFile(other)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = s.ReadFile("samples/1/netsnap/tcp.txt")
	if err == nil || !strings.Contains(err.Error(), "changed since it was opened") || strings.Contains(err.Error(), "\n") {
		t.Errorf("read after the archive changed: %v", err)
	}
	if m := s.Manifest; m == nil {
		t.Error("the manifest is gone")
	}
}
