package parse

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUptime(t *testing.T) {
	for _, tt := range []struct {
		in       string
		up, idle float64
		ok       bool
	}{
		{"350735.47 234388.90\n", 350735.47, 234388.90, true},
		{"3900000.55 7000000.10", 3900000.55, 7000000.10, true},
		{"0.00 0.00\n", 0, 0, true},
		{"12 34\n", 12, 34, true},
		{"", 0, 0, false},
		{"\n", 0, 0, false},
		{"1.0\n", 0, 0, false},
		{"1.0 2.0 3.0\n", 0, 0, false},
		{"-1.0 2.0\n", 0, 0, false},
		{"1.0 x\n", 0, 0, false},
		{"NaN 1\n", 0, 0, false},
		{"Inf 1\n", 0, 0, false},
		{"0x1p3 1\n", 0, 0, false},
		{"1.2.3 1\n", 0, 0, false},
	} {
		up, idle, err := Uptime(strings.NewReader(tt.in))
		if (err == nil) != tt.ok || up != tt.up || idle != tt.idle {
			t.Errorf("Uptime(%q) = %v, %v, %v; want %v, %v, ok=%v", tt.in, up, idle, err, tt.up, tt.idle, tt.ok)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "uptime: ") {
			t.Errorf("Uptime(%q) error %q: want an \"uptime: \" prefix", tt.in, err)
		}
	}
	if _, _, err := Uptime(strings.NewReader("")); !errors.Is(err, errEmptyFile) {
		t.Errorf("Uptime(\"\") error = %v; want errEmptyFile", err)
	}
}

func TestFileNr(t *testing.T) {
	for _, tt := range []struct {
		in                   string
		alloc, unused, limit int64
		ok                   bool
	}{
		{"1530\t0\t791526\n", 1530, 0, 791526, true},
		{"2944\t0\t9223372036854775807\n", 2944, 0, 9223372036854775807, true},
		{"1 2 3", 1, 2, 3, true},
		{"1\t0\t9223372036854775808\n", 0, 0, 0, false},
		{"1\t0\n", 0, 0, 0, false},
		{"1\t0\t1\t1\n", 0, 0, 0, false},
		{"-1\t0\t1\n", 0, 0, 0, false},
		{"", 0, 0, 0, false},
	} {
		a, u, m, err := FileNr(strings.NewReader(tt.in))
		if (err == nil) != tt.ok || a != tt.alloc || u != tt.unused || m != tt.limit {
			t.Errorf("FileNr(%q) = %d, %d, %d, %v; want %d, %d, %d, ok=%v", tt.in, a, u, m, err, tt.alloc, tt.unused, tt.limit, tt.ok)
		}
	}
}

func TestLoadavg(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want [3]float64
		ok   bool
	}{
		{"0.20 0.18 0.12 1/80 11206\n", [3]float64{0.20, 0.18, 0.12}, true},
		{"12.50 8.00 4.25", [3]float64{12.5, 8, 4.25}, true},
		{"0.20 0.18\n", [3]float64{}, false},
		{"0.20 x 0.12 1/80 1\n", [3]float64{}, false},
		{"", [3]float64{}, false},
	} {
		got, err := Loadavg(strings.NewReader(tt.in))
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("Loadavg(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestMeminfo(t *testing.T) {
	in := "MemTotal:       16307692 kB\n" +
		"MemFree:         1203340 kB\n" +
		"HugePages_Total:       0\n" +
		"Hugepagesize:       2048 kB\n" +
		"VmallocTotal:   34359738367 kB\n" +
		"\n" +
		"Broken line\n" +
		"Bad: 12 MB\n" +
		"Neg: -1 kB\n" +
		"Huge: 9223372036854775807 kB\n" +
		": 1\n" +
		"Two words: 1\n" +
		"Empty:\n"
	p := &Problems{}
	got, err := Meminfo(strings.NewReader(in), p)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{
		"MemTotal":        16307692 * 1024,
		"MemFree":         1203340 * 1024,
		"HugePages_Total": 0,
		"Hugepagesize":    2048 * 1024,
		"VmallocTotal":    34359738367 * 1024,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Meminfo =\n%v\nwant\n%v", got, want)
	}
	if p.Count != 7 {
		t.Errorf("problems:\n%s; want 7", p)
	}
}

func TestCPUList(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int
	}{
		{"0-3,6", 5},
		{"0-3,6\n", 5},
		{"0", 1},
		{"0-1", 2},
		{"0-63", 64},
		{"0,2,4,6", 4},
		{"0-15:2/4", 8},
		{"0-14:2/4", 8},
		{"0-13:2/4", 8},
		{"0-12:2/4", 7},
		{"", 0},
		{"\n", 0},
		{"3-1", 0},
		{"a", 0},
		{"0-", 0},
		{"-1", 0},
		{"0,,1", 0},
		{"0-7:3/2", 0},
		{"0-7:0/2", 0},
		{"0-99999999999", 0},
	} {
		if got := CPUList(tt.in); got != tt.want {
			t.Errorf("CPUList(%q) = %d; want %d", tt.in, got, tt.want)
		}
	}
}

// TestSmallFixtures reads the repository's host fixtures.
func TestSmallFixtures(t *testing.T) {
	dir := filepath.Dir(hostFixture(t, "proxy-modern/proc/meminfo"))
	f, err := os.Open(filepath.Join(dir, "meminfo"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := &Problems{}
	m, err := Meminfo(f, p)
	if err != nil || p.Count != 0 || m["MemTotal"] != 8039540*1024 {
		t.Errorf("Meminfo = MemTotal %d, %v, problems:\n%s", m["MemTotal"], err, p)
	}
	for _, host := range []string{"centos6-ipconntrack", "proxy-modern"} {
		for name, fn := range map[string]func(*os.File) error{
			"proc/uptime": func(f *os.File) error {
				up, _, err := Uptime(f)
				if err == nil && up <= 0 {
					err = fmt.Errorf("uptime %v", up)
				}
				return err
			},
			"proc/sys/fs/file-nr": func(f *os.File) error {
				a, _, max, err := FileNr(f)
				if err == nil && (a <= 0 || max < a) {
					err = fmt.Errorf("file-nr %d of %d", a, max)
				}
				return err
			},
		} {
			f, err := os.Open(filepath.Join("..", "..", "testdata", "hosts", host, filepath.FromSlash(name)))
			if err != nil {
				continue
			}
			if err := fn(f); err != nil {
				t.Errorf("%s/%s: %v", host, name, err)
			}
			f.Close()
		}
	}
}

// TestSmallLive reads this machine's files.
func TestSmallLive(t *testing.T) {
	open := func(name string) *os.File {
		f, err := os.Open(name)
		if err != nil {
			t.Skip(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	t.Run("uptime", func(t *testing.T) {
		up, idle, err := Uptime(open("/proc/uptime"))
		if err != nil || up <= 0 || idle < 0 {
			t.Errorf("Uptime = %v, %v, %v", up, idle, err)
		}
	})
	t.Run("file-nr", func(t *testing.T) {
		a, _, max, err := FileNr(open("/proc/sys/fs/file-nr"))
		if err != nil || a <= 0 || max < a {
			t.Errorf("FileNr = %d, %d, %v", a, max, err)
		}
	})
	t.Run("loadavg", func(t *testing.T) {
		if avg, err := Loadavg(open("/proc/loadavg")); err != nil || avg[0] < 0 {
			t.Errorf("Loadavg = %v, %v", avg, err)
		}
	})
	t.Run("meminfo", func(t *testing.T) {
		p := &Problems{}
		m, err := Meminfo(open("/proc/meminfo"), p)
		if err != nil || p.Count != 0 || m["MemTotal"] <= 0 || m["MemFree"] > m["MemTotal"] {
			t.Errorf("Meminfo: MemTotal %d MemFree %d, %v, problems:\n%s", m["MemTotal"], m["MemFree"], err, p)
		}
	})
	t.Run("cpu online", func(t *testing.T) {
		b, err := os.ReadFile("/sys/devices/system/cpu/online")
		if err != nil {
			t.Skip(err)
		}
		if n := CPUList(string(b)); n < 1 {
			t.Errorf("CPUList(%q) = %d", b, n)
		}
	})
}
