package parse

import (
	"bytes"
	"io"

	"github.com/netsnap/netsnap/analysis/model"
)

// Processes reads netsnap/processes.txt: "#" header lines, then one
// tab-separated line per process, "pid ppid uid comm open_fds nofile_soft
// nofile_hard cmdline", where "-" means unknown (UID, OpenFDs and the
// limits become -1, Comm and Cmdline ""), a limit may be "unlimited"
// (model.Unlimited), and cmdline is recorded for nginx-family processes
// only. Fields are split on tabs alone, since comm and cmdline hold
// spaces; a ninth tab-separated field and beyond belong to the cmdline. A
// line with fewer than eight fields or with a bad number is a problem and
// skipped.
func Processes(r io.Reader, p *Problems) ([]model.Process, error) {
	lr := newLineReader(r, p)
	var out []model.Process
	var f [8][]byte
	for {
		line, err := lr.next()
		if err != nil {
			return out, lr.done(err)
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(bytes.TrimSpace(line)) == 0 || line[0] == '#' {
			continue
		}
		rest, n := line, 0
		for ; n < len(f)-1; n++ {
			i := bytes.IndexByte(rest, '\t')
			if i < 0 {
				break
			}
			f[n], rest = rest[:i], rest[i+1:]
		}
		if n < len(f)-1 {
			p.Addf(lr.n, "want 8 tab-separated fields, got %d", n+1)
			continue
		}
		f[n] = rest
		if msg := parseProcess(&f, &out); msg != "" {
			p.Addf(lr.n, "%s", msg)
		}
	}
}

// parseProcess appends the process of fields f to out, or returns what is wrong.
func parseProcess(f *[8][]byte, out *[]model.Process) string {
	pid, ok := parseUint(bytes.TrimSpace(f[0]))
	if !ok || pid == 0 || pid > 1<<31-1 {
		return "bad pid " + quoteShort(string(f[0]))
	}
	ppid, ok := parseUint(bytes.TrimSpace(f[1]))
	if !ok || ppid > 1<<31-1 {
		return "bad ppid " + quoteShort(string(f[1]))
	}
	uid, ok := dashInt(f[2], 1<<32-1)
	if !ok {
		return "bad uid " + quoteShort(string(f[2]))
	}
	fds, ok := dashInt(f[4], 1<<31-1)
	if !ok {
		return "bad open_fds " + quoteShort(string(f[4]))
	}
	soft, ok := nofile(f[5])
	if !ok {
		return "bad nofile_soft " + quoteShort(string(f[5]))
	}
	hard, ok := nofile(f[6])
	if !ok {
		return "bad nofile_hard " + quoteShort(string(f[6]))
	}
	*out = append(*out, model.Process{
		PID:        int(pid),
		PPID:       int(ppid),
		UID:        int(uid),
		Comm:       dashString(f[3]),
		OpenFDs:    int(fds),
		NofileSoft: soft,
		NofileHard: hard,
		Cmdline:    dashString(f[7]),
	})
	return ""
}

// dashInt parses a non-negative decimal up to max, or "-" as -1.
func dashInt(b []byte, max uint64) (int64, bool) {
	b = bytes.TrimSpace(b)
	if string(b) == "-" {
		return -1, true
	}
	v, ok := parseUint(b)
	if !ok || v > max {
		return 0, false
	}
	return int64(v), true
}

// nofile parses a resource limit: a number, "unlimited" or "-".
func nofile(b []byte) (int64, bool) {
	b = bytes.TrimSpace(b)
	if string(b) == "unlimited" {
		return model.Unlimited, true
	}
	v, ok := dashInt(b, uint64(model.Unlimited))
	return v, ok
}

// dashString returns b as a string, or "" for "-".
func dashString(b []byte) string {
	if string(b) == "-" {
		return ""
	}
	return string(b)
}
