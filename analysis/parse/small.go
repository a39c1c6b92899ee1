package parse

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Uptime reads /proc/uptime: "350735.47 234388.90", the seconds since boot
// and the idle seconds summed over all CPUs. Anything else on the first
// line, or no first line, is an error.
func Uptime(r io.Reader) (up, idle float64, err error) {
	line, err := firstLine(r, "uptime")
	if err != nil {
		return 0, 0, err
	}
	f := strings.Fields(line)
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("uptime: want \"UP IDLE\", got %s", quoteShort(line))
	}
	if up, err = parseSeconds(f[0]); err != nil {
		return 0, 0, fmt.Errorf("uptime: %w", err)
	}
	if idle, err = parseSeconds(f[1]); err != nil {
		return 0, 0, fmt.Errorf("uptime: idle: %w", err)
	}
	return up, idle, nil
}

// FileNr reads /proc/sys/fs/file-nr: allocated file handles, allocated but
// unused ones (always 0 since 2.6), and fs.file-max, which may be
// 9223372036854775807 (LONG_MAX) on recent kernels.
func FileNr(r io.Reader) (allocated, unused, max int64, err error) {
	line, err := firstLine(r, "file-nr")
	if err != nil {
		return 0, 0, 0, err
	}
	f := strings.Fields(line)
	if len(f) != 3 {
		return 0, 0, 0, fmt.Errorf("file-nr: want \"ALLOCATED UNUSED MAX\", got %s", quoteShort(line))
	}
	var v [3]int64
	for i, s := range f {
		n, ok := parseInt([]byte(s))
		if !ok || n < 0 {
			return 0, 0, 0, fmt.Errorf("file-nr: bad number %s", quoteShort(s))
		}
		v[i] = n
	}
	return v[0], v[1], v[2], nil
}

// Loadavg reads /proc/loadavg ("0.20 0.18 0.12 1/80 11206") and returns the
// 1, 5 and 15 minute load averages; the running/total and last-pid fields
// are not checked.
func Loadavg(r io.Reader) ([3]float64, error) {
	var avg [3]float64
	line, err := firstLine(r, "loadavg")
	if err != nil {
		return avg, err
	}
	f := strings.Fields(line)
	if len(f) < 3 {
		return avg, fmt.Errorf("loadavg: want three load averages, got %s", quoteShort(line))
	}
	for i := range avg {
		if avg[i], err = parseSeconds(f[i]); err != nil {
			return [3]float64{}, fmt.Errorf("loadavg: %w", err)
		}
	}
	return avg, nil
}

// Meminfo reads /proc/meminfo ("MemTotal:       16307692 kB") into a map
// from field name to value. Values given in kB are returned in bytes;
// values without a unit (HugePages_Total, counts) as they are. A line that
// is not "Name: number [kB]", or whose value overflows, is a problem and
// skipped.
func Meminfo(r io.Reader, p *Problems) (map[string]int64, error) {
	lr := newLineReader(r, p)
	m := make(map[string]int64, 64)
	for {
		line, err := lr.next()
		if err != nil {
			return m, lr.done(err)
		}
		name, rest, ok := strings.Cut(string(line), ":")
		if !ok {
			if strings.TrimSpace(name) != "" {
				p.Addf(lr.n, "want \"Name: value [kB]\"")
			}
			continue
		}
		if name == "" || strings.ContainsAny(name, " \t") {
			p.Addf(lr.n, "bad field name %s", quoteShort(name))
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 || len(f) > 2 || (len(f) == 2 && f[1] != "kB") {
			p.Addf(lr.n, "%s: want \"number [kB]\"", name)
			continue
		}
		v, ok := parseInt([]byte(f[0]))
		if !ok || v < 0 {
			p.Addf(lr.n, "%s: bad number %s", name, quoteShort(f[0]))
			continue
		}
		if len(f) == 2 {
			if v > math.MaxInt64/1024 {
				p.Addf(lr.n, "%s: %d kB overflows", name, v)
				continue
			}
			v *= 1024
		}
		m[name] = v
	}
}

// CPUList counts the CPUs of a kernel CPU list such as
// /sys/devices/system/cpu/online: "0-3,6" is 5. Surrounding whitespace is
// ignored and the group syntax "0-15:2/4" (2 of every 4) is understood.
// Ranges are summed, not merged: "0-3,2" counts 5. An empty or malformed
// list counts 0.
func CPUList(s string) int {
	s = strings.TrimSpace(s)
	n := 0
	for s != "" {
		var part string
		part, s, _ = strings.Cut(s, ",")
		k, ok := cpuRange(part)
		if !ok || n > math.MaxInt32-k {
			return 0
		}
		n += k
	}
	return n
}

// cpuRange counts one element of a CPU list: "N", "A-B" or "A-B:USED/GROUP".
func cpuRange(part string) (int, bool) {
	rng, group, hasGroup := strings.Cut(part, ":")
	lo, hi, isRange := strings.Cut(rng, "-")
	a, ok1 := parseUint([]byte(lo))
	b, ok2 := a, true
	if isRange {
		b, ok2 = parseUint([]byte(hi))
	}
	const maxCPU = 1 << 22 // far beyond NR_CPUS; keeps the arithmetic small
	if !ok1 || !ok2 || b < a || b >= maxCPU {
		return 0, false
	}
	size := b - a + 1
	if !hasGroup {
		return int(size), true
	}
	u, g, ok := strings.Cut(group, "/")
	used, ok1 := parseUint([]byte(u))
	grp, ok2 := parseUint([]byte(g))
	if !ok || !ok1 || !ok2 || used == 0 || grp == 0 || used > grp || grp > maxCPU {
		return 0, false
	}
	return int(size/grp*used + min(size%grp, used)), true
}

// errEmptyFile is returned for a one-line file that has no line.
var errEmptyFile = errors.New("empty")

// firstLine returns the first line of a one-line /proc file, or an error
// naming what when there is none (or it is too long).
func firstLine(r io.Reader, what string) (string, error) {
	lr := newLineReader(r, nil)
	line, err := lr.next()
	switch {
	case err == io.EOF:
		return "", fmt.Errorf("%s: %w", what, errEmptyFile)
	case err != nil:
		return "", fmt.Errorf("%s: %w", what, err)
	case lr.n != 1:
		return "", fmt.Errorf("%s: line longer than %d bytes", what, maxLine)
	}
	return string(line), nil
}

// parseSeconds parses a non-negative finite decimal such as "350735.47".
func parseSeconds(s string) (float64, error) {
	if s == "" || strings.Trim(s, "0123456789.") != "" {
		return 0, fmt.Errorf("bad number %s", quoteShort(s))
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, fmt.Errorf("bad number %s", quoteShort(s))
	}
	return v, nil
}

// quoteShort quotes s for a message, cut to 64 bytes.
func quoteShort(s string) string {
	if len(s) > 64 {
		return strconv.Quote(s[:64]) + "..."
	}
	return strconv.Quote(s)
}
