package collect

import (
	"bytes"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/netsnap/netsnap/internal/nginxconf"
	"github.com/netsnap/netsnap/internal/rootfs"
	"github.com/netsnap/netsnap/snapshot"
)

// nginxDefaults are where configurations live when no master is running:
// main configuration and prefix, for the packages and builds people use.
var nginxDefaults = []struct{ conf, prefix, flavor string }{
	{"/etc/nginx/nginx.conf", "/etc/nginx", "nginx"},
	{"/usr/local/nginx/conf/nginx.conf", "/usr/local/nginx", "nginx"},
	{"/usr/local/openresty/nginx/conf/nginx.conf", "/usr/local/openresty/nginx", "openresty"},
	{"/usr/local/tengine/conf/nginx.conf", "/usr/local/tengine", "tengine"},
	{"/etc/tengine/nginx.conf", "/etc/tengine", "tengine"},
}

// nginxArgs are the options of an nginx command line that locate its configuration.
type nginxArgs struct {
	bin, prefix, conf, globals string
}

// parseNginxCmdline reads a master's /proc/PID/cmdline. A running master
// rewrites its title, so the arguments arrive as one string such as
// "nginx: master process /usr/sbin/nginx -c /etc/nginx/nginx.conf -g daemon on;";
// a process that did not (single-process mode, a foreground master under
// some supervisors) has NUL-separated arguments.
func parseNginxCmdline(raw []byte) nginxArgs {
	fields := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
	var argv []string
	if len(fields) > 1 && !strings.Contains(fields[0], " process") {
		argv = fields
	} else {
		title := strings.TrimSpace(strings.Join(fields, " "))
		if _, rest, ok := strings.Cut(title, "master process "); ok {
			title = rest
		} else if _, rest, ok := strings.Cut(title, ": "); ok && strings.Contains(title, " process") {
			title = rest
		}
		argv = splitTitle(title)
	}
	var a nginxArgs
	if len(argv) == 0 {
		return a
	}
	a.bin = argv[0]
	for i := 1; i < len(argv); i++ {
		arg := argv[i]
		if len(arg) < 2 || arg[0] != '-' {
			continue
		}
		flag, val := arg[1], arg[2:]
		if flag != 'c' && flag != 'p' && flag != 'g' {
			continue
		}
		if val == "" && i+1 < len(argv) {
			i++
			val = argv[i]
		}
		switch flag {
		case 'c':
			a.conf = val
		case 'p':
			a.prefix = val
		case 'g':
			a.globals = val
		}
	}
	return a
}

// splitTitle splits a rewritten title into arguments. Words are separated
// by spaces; the value of -g, which holds spaces itself, runs to the next
// word that is an nginx option.
func splitTitle(title string) []string {
	words := strings.Fields(title)
	var argv []string
	for i := 0; i < len(words); i++ {
		w := words[i]
		argv = append(argv, w)
		if w != "-g" {
			continue
		}
		j := i + 1
		for j < len(words) && !isNginxOption(words[j]) {
			j++
		}
		argv = append(argv, strings.Join(words[i+1:j], " "))
		i = j - 1
	}
	return argv
}

func isNginxOption(w string) bool {
	switch w {
	case "-c", "-p", "-g", "-e", "-q", "-t", "-T", "-s", "-v", "-V", "-?", "-h":
		return true
	}
	return len(w) > 2 && w[0] == '-' && (w[1] == 'c' || w[1] == 'p' || w[1] == 'e') && strings.HasPrefix(w[2:], "/")
}

// binaryDefaults are the compiled-in paths of an nginx binary, read from the
// configure arguments embedded in it (what `nginx -V` prints), without running it.
type binaryDefaults struct {
	prefix, conf, errorLog string
	flavor                 string
}

// readBinaryDefaults scans the nginx binary at host path bin (bounded to 64 MiB).
func (c *collector) readBinaryDefaults(fsys rootfs.Root, bin string) binaryDefaults {
	var d binaryDefaults
	f, err := fsys.Open(bin)
	if err != nil {
		return d
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return d
	}
	keys := map[string]*string{"--prefix=": &d.prefix, "--conf-path=": &d.conf, "--error-log-path=": &d.errorLog}
	r := io.LimitReader(f, 64<<20)
	buf := make([]byte, 1<<20)
	carry := 0
	for {
		n, err := io.ReadFull(r, buf[carry:])
		chunk := buf[:carry+n]
		for k, dst := range keys {
			if *dst != "" {
				continue
			}
			if i := bytes.Index(chunk, []byte(k)); i >= 0 {
				v := chunk[i+len(k):]
				end := bytes.IndexAny(v, " \x00\n\t'\"")
				if end >= 0 {
					*dst = string(v[:end])
				}
			}
		}
		if d.flavor == "" {
			switch {
			case bytes.Contains(chunk, []byte("Tengine/")):
				d.flavor = "tengine"
			case bytes.Contains(chunk, []byte("openresty/")):
				d.flavor = "openresty"
			}
		}
		if err != nil {
			break
		}
		// Keep the last 4 KiB so a key cut by the chunk boundary is found next time.
		carry = copy(buf, chunk[len(chunk)-4096:])
	}
	return d
}

// nginxInstance is one installation to capture.
type nginxInstance struct {
	snapshot.NginxInstance
	errorLogDefault string
	// fsys reads its files: the host's root, or, for a master in a mount
	// namespace of its own (a container), /proc/PID/root with links
	// resolved inside it (an absolute link in the container must not lead
	// to the host's file of that name).
	fsys rootfs.Root
}

// nginxRoot is "/proc/PID/root" when process pid sees another filesystem
// than netsnap (its mount namespace differs from netsnap's; under --root,
// from PID 1's), else "".
func (c *collector) nginxRoot(pid int) string {
	own, err := c.root.Readlink("/proc/self/ns/mnt")
	if err != nil || !c.root.Live() {
		own, err = c.root.Readlink("/proc/1/ns/mnt")
	}
	theirs, err2 := c.root.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/mnt")
	if err != nil || err2 != nil || own == theirs || !strings.HasPrefix(theirs, "mnt:[") {
		return ""
	}
	return "/proc/" + strconv.Itoa(pid) + "/root"
}

// findNginx finds the running nginx-family masters, or installations at the default paths.
func (c *collector) findNginx() []nginxInstance {
	procs, _ := c.scanProcs()
	byPID := map[int]*procInfo{}
	for i := range procs {
		byPID[procs[i].pid] = &procs[i]
	}
	var out []nginxInstance
	seen := map[string]bool{}
	for i := range procs {
		p := &procs[i]
		if !p.nginx {
			continue
		}
		if parent, ok := byPID[p.ppid]; ok && parent.nginx {
			continue // a worker, cache manager or loader: listed under its master
		}
		args := parseNginxCmdline(p.rawCmdline)
		inst := nginxInstance{NginxInstance: snapshot.NginxInstance{PID: p.pid, Cmdline: p.cmdline, Globals: args.globals, Flavor: "nginx"}, fsys: c.root}
		if r := c.nginxRoot(p.pid); r != "" {
			inst.Root = r
			inst.fsys = rootfs.Root{Dir: c.root.Path(r)}
		}
		exe, err := c.root.Readlink("/proc/" + strconv.Itoa(p.pid) + "/exe")
		if err == nil {
			inst.Exe = strings.TrimSuffix(exe, " (deleted)")
		} else if strings.HasPrefix(args.bin, "/") {
			inst.Exe = args.bin
		}
		var bd binaryDefaults
		if inst.Exe != "" {
			bd = c.readBinaryDefaults(inst.fsys, inst.Exe)
		}
		inst.Flavor = flavorOf(inst.Exe, p.comm, bd.flavor)
		inst.Prefix = firstNonEmpty(args.prefix, bd.prefix, prefixFromExe(inst.Exe), "/usr/local/nginx")
		inst.Prefix = strings.TrimSuffix(inst.Prefix, "/")
		if inst.Prefix == "" {
			inst.Prefix = "/"
		}
		// Without the binary's own defaults (unreadable, or a container's
		// image we could not read), the layout of the prefix decides: the
		// distribution packages' /etc/nginx keeps nginx.conf at its top and
		// logs in /var/log/nginx, a source build PREFIX/conf and PREFIX/logs.
		inst.Conf = absUnder(inst.Prefix, firstNonEmpty(args.conf, bd.conf, defaultConf(inst.Prefix)))
		if el := bd.errorLog; el == "" {
			inst.errorLogDefault = defaultErrorLog(inst.Prefix)
		} else if el != "stderr" && !strings.HasPrefix(el, "syslog:") {
			inst.errorLogDefault = absUnder(inst.Prefix, el)
		}
		for _, q := range procs {
			if q.ppid == p.pid && q.nginx {
				inst.Workers = append(inst.Workers, q.pid)
			}
		}
		if seen[inst.Root+inst.Conf] {
			continue
		}
		seen[inst.Root+inst.Conf] = true
		out = append(out, inst)
	}
	if len(out) > 0 {
		return out
	}
	for _, d := range nginxDefaults {
		if _, err := c.root.Stat(d.conf); err != nil {
			continue
		}
		out = append(out, nginxInstance{
			NginxInstance:   snapshot.NginxInstance{Flavor: d.flavor, Prefix: d.prefix, Conf: d.conf},
			errorLogDefault: defaultErrorLog(d.prefix),
			fsys:            c.root,
		})
	}
	return out
}

// defaultConf is the main configuration file, relative to prefix, of an
// nginx whose binary does not say.
func defaultConf(prefix string) string {
	if prefix == "/etc/nginx" {
		return "nginx.conf"
	}
	return "conf/nginx.conf"
}

func defaultErrorLog(prefix string) string {
	if prefix == "/etc/nginx" {
		return "/var/log/nginx/error.log"
	}
	return path.Join(prefix, "logs/error.log")
}

func flavorOf(exe, comm, fromBinary string) string {
	low := strings.ToLower(exe + " " + comm)
	switch {
	case strings.Contains(low, "openresty"):
		return "openresty"
	case strings.Contains(low, "tengine"):
		return "tengine"
	case fromBinary != "":
		return fromBinary
	}
	return "nginx"
}

// prefixFromExe guesses the prefix of a binary installed as PREFIX/sbin/nginx.
func prefixFromExe(exe string) string {
	if exe == "" {
		return ""
	}
	dir := path.Dir(exe)
	if path.Base(dir) != "sbin" {
		return ""
	}
	p := path.Dir(dir)
	if p == "/usr" || p == "/" {
		return "/etc/nginx"
	}
	return p
}

func absUnder(prefix, p string) string {
	if strings.HasPrefix(p, "/") {
		return path.Clean(p)
	}
	return path.Join(prefix, p)
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// nginx captures every nginx-family installation: configuration files with
// their includes, the error logs they name (tail), and the limits of the
// master and workers.
func nginx(c *collector, s *Source, sample int) []snapshot.SourceResult {
	var out []snapshot.SourceResult
	insts := c.findNginx()
	if len(insts) == 0 {
		return []snapshot.SourceResult{{Name: s.Name, Path: s.describe(), Status: snapshot.StatusMissing, Error: "no nginx, tengine or openresty running or installed at the usual paths"}}
	}
	logsSeen := map[string]bool{}
	for _, inst := range insts {
		t0 := time.Now()
		cfg := nginxconf.Load(inst.fsys, inst.Conf, inst.Prefix, nginxconf.Limits{})
		for _, p := range cfg.Problems {
			inst.Problems = append(inst.Problems, p.Error())
		}
		var bytesIn int64
		for _, f := range cfg.Files {
			inst.ConfigFiles = append(inst.ConfigFiles, f.Path)
			name := archiveName(inst.Root+f.Path, 0)
			if c.arch.has(name) {
				continue
			}
			c.arch.addBytes(name, f.Data)
			bytesIn += int64(len(f.Data))
		}
		cr := snapshot.SourceResult{Name: s.Name, Path: inst.Root + inst.Conf, Archive: archiveName(inst.Root+inst.Conf, 0), Files: len(cfg.Files), Bytes: bytesIn, DurationMS: c.ms(t0)}
		if len(cfg.Files) == 0 {
			cr.Status, cr.Archive, cr.Error = snapshot.StatusMissing, "", "configuration not readable"
			if len(cfg.Problems) > 0 {
				cr.Error = cfg.Problems[0].Error()
			}
		}
		out = append(out, cr)

		var logPaths []string
		for _, ref := range cfg.ErrorLogs {
			logPaths = append(logPaths, ref.Path)
		}
		if inst.errorLogDefault != "" {
			logPaths = append(logPaths, inst.errorLogDefault)
		}
		for _, lp := range logPaths {
			if logsSeen[inst.Root+lp] {
				continue
			}
			logsSeen[inst.Root+lp] = true
			if _, err := inst.fsys.Stat(lp); err != nil {
				if lp != inst.errorLogDefault {
					out = append(out, snapshot.SourceResult{Name: s.Name, Path: inst.Root + lp, Status: statusOf(err), Error: errText(err)})
				}
				continue
			}
			inst.ErrorLogs = append(inst.ErrorLogs, lp)
			// Read through the instance's root; stored under it.
			host := c.root
			c.root = inst.fsys
			r := c.captureFile(s.Name, lp, archiveName(inst.Root+lp, 0), 0, c.opt.LogMaxBytes, tailMode, nil)
			c.root = host
			r.Path = inst.Root + lp
			out = append(out, r)
		}
		for _, pid := range append([]int{inst.PID}, inst.Workers...) {
			if pid == 0 {
				continue
			}
			for _, f := range []string{"limits", "status", "cmdline"} {
				p := "/proc/" + strconv.Itoa(pid) + "/" + f
				if c.arch.has(archiveName(p, 0)) {
					continue
				}
				r := c.captureFile(s.Name, p, archiveName(p, 0), 0, 1<<20, headMode, nil)
				if r.Status != snapshot.StatusOK && r.Status != "" {
					out = append(out, r)
				}
			}
		}
		c.m.Nginx = append(c.m.Nginx, inst.NginxInstance)
		if c.writeErr != nil {
			return out
		}
	}
	return out
}
