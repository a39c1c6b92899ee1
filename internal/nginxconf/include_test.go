package nginxconf

import (
	"github.com/netsnap/netsnap/internal/rootfs"

	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
)

// mapFS is an in-memory FS: absolute path -> contents.
type mapFS map[string]string

func (m mapFS) ReadFile(name string) ([]byte, error) {
	s, ok := m[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return []byte(s), nil
}

func (m mapFS) Glob(pattern string) ([]string, error) {
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, err
	}
	var out []string
	for name := range m {
		if ok, _ := path.Match(pattern, name); ok {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// mountFS shows the FS inner at mount point at: at+"/x" reads inner's "/x".
type mountFS struct {
	at    string
	inner FS
}

func (m mountFS) ReadFile(name string) ([]byte, error) {
	if rest, ok := strings.CutPrefix(name, m.at+"/"); ok {
		return m.inner.ReadFile("/" + rest)
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

func (m mountFS) Glob(pattern string) ([]string, error) {
	rest, ok := strings.CutPrefix(pattern, m.at+"/")
	if !ok {
		return nil, nil
	}
	matches, err := m.inner.Glob("/" + rest)
	for i := range matches {
		matches[i] = m.at + matches[i]
	}
	return matches, err
}

// summary is what a Config says, in strings, for comparing in tables.
type summary struct {
	files    []string
	logs     []string // "path@file:line"
	pid      string   // "path@file:line" or ""
	problems []string
}

func summarize(c *Config) summary {
	var s summary
	for _, f := range c.Files {
		s.files = append(s.files, f.Path)
	}
	for _, r := range c.ErrorLogs {
		s.logs = append(s.logs, fmt.Sprintf("%s@%s:%d", r.Path, r.File, r.Line))
	}
	if c.PID != nil {
		s.pid = fmt.Sprintf("%s@%s:%d", c.PID.Path, c.PID.File, c.PID.Line)
	}
	for _, p := range c.Problems {
		s.problems = append(s.problems, p.Error())
	}
	return s
}

func compareSummary(t *testing.T, got, want summary) {
	t.Helper()
	if !slices.Equal(got.files, want.files) {
		t.Errorf("Files = %q;\n want %q", got.files, want.files)
	}
	if !slices.Equal(got.logs, want.logs) {
		t.Errorf("ErrorLogs = %q;\n want %q", got.logs, want.logs)
	}
	if got.pid != want.pid {
		t.Errorf("PID = %q; want %q", got.pid, want.pid)
	}
	if !slices.Equal(got.problems, want.problems) {
		t.Errorf("Problems = %q;\n want %q", got.problems, want.problems)
	}
}

const mainConf = "/etc/nginx/nginx.conf"

func TestLoad(t *testing.T) {
	tests := []struct {
		name   string
		fs     mapFS
		prefix string
		want   summary
	}{
		{
			name: "relative includes are relative to the conf directory, depth first",
			fs: mapFS{
				mainConf:                         "include a.conf;\nhttp {\n  include conf.d/*.conf;\n}\n",
				"/etc/nginx/a.conf":              "include sub/c.conf;",
				"/etc/nginx/sub/c.conf":          "# c, included as sub/c.conf, not relative to sub/\n",
				"/etc/nginx/conf.d/2.conf":       "server { location / { include snippets/x.conf; } }",
				"/etc/nginx/conf.d/10.conf":      "upstream u { include /etc/nginx/up.conf; }",
				"/etc/nginx/conf.d/x.txt":        "not included",
				"/etc/nginx/snippets/x.conf":     "",
				"/etc/nginx/up.conf":             "server 127.0.0.1:8080;",
				"/etc/nginx/conf.d/sub/3.conf":   "not included: * does not cross /",
				"/etc/nginx/sub/conf.d/4.conf":   "not included",
				"/etc/nginx/conf.d/.hidden.conf": "not included: * does not match a leading dot",
			},
			want: summary{files: []string{
				mainConf, "/etc/nginx/a.conf", "/etc/nginx/sub/c.conf",
				"/etc/nginx/conf.d/10.conf", "/etc/nginx/up.conf",
				"/etc/nginx/conf.d/2.conf", "/etc/nginx/snippets/x.conf",
			}},
		},
		{
			name: "explicit dot matches hidden files",
			fs: mapFS{
				mainConf:                         "include conf.d/.*.conf;",
				"/etc/nginx/conf.d/.hidden.conf": "",
			},
			want: summary{files: []string{mainConf, "/etc/nginx/conf.d/.hidden.conf"}},
		},
		{
			name: "quoted and escaped include paths",
			fs: mapFS{
				mainConf: `include "sites/my site.conf"; include 'sites/it\'s.conf'; include sites/a\ b.conf;` +
					"\ninclude 'x'y;",
				"/etc/nginx/sites/my site.conf": "",
				"/etc/nginx/sites/it's.conf":    "",
				"/etc/nginx/sites/a b.conf":     "",
			},
			want: summary{
				files: []string{mainConf, "/etc/nginx/sites/my site.conf", "/etc/nginx/sites/it's.conf"},
				problems: []string{
					`/etc/nginx/nginx.conf:2: unexpected "y"`,
					// nginx keeps a backslash before a space.
					`/etc/nginx/nginx.conf:1: open "/etc/nginx/sites/a\ b.conf" failed (file does not exist)`,
					`/etc/nginx/nginx.conf:2: invalid number of arguments in "include" directive`,
				},
			},
		},
		{
			name: "missing include, variables taken literally, glob matching nothing",
			fs: mapFS{
				mainConf: "events {}\nhttp {\n  include missing.conf;\n  include $site.conf;\n  include none/*.conf;\n}\n",
			},
			want: summary{
				files: []string{mainConf},
				problems: []string{
					`/etc/nginx/nginx.conf:3: open "/etc/nginx/missing.conf" failed (file does not exist)`,
					`/etc/nginx/nginx.conf:4: open "/etc/nginx/$site.conf" failed (file does not exist)`,
				},
			},
		},
		{
			name: "include loops",
			fs: mapFS{
				mainConf:               "include self.conf; include a.conf;",
				"/etc/nginx/self.conf": "include self.conf;",
				"/etc/nginx/a.conf":    "include b.conf;",
				"/etc/nginx/b.conf":    "\ninclude a.conf;",
			},
			want: summary{
				files: []string{mainConf, "/etc/nginx/self.conf", "/etc/nginx/a.conf", "/etc/nginx/b.conf"},
				problems: []string{
					`/etc/nginx/self.conf:1: include loop: "/etc/nginx/self.conf" is already being read`,
					`/etc/nginx/b.conf:2: include loop: "/etc/nginx/a.conf" is already being read`,
				},
			},
		},
		{
			name: "a file included twice is kept once",
			fs: mapFS{
				mainConf:                 "server { include common.conf; }\nserver { include common.conf; }",
				"/etc/nginx/common.conf": "error_log logs/common.log;",
			},
			prefix: "/usr/share/nginx",
			want: summary{
				files: []string{mainConf, "/etc/nginx/common.conf"},
				logs:  []string{"/usr/share/nginx/logs/common.log@/etc/nginx/common.conf:1"},
			},
		},
		{
			name: "only directive names count",
			fs: mapFS{
				mainConf: "set $x include;\nserver_name include error_log pid;\n# include c.conf;\n" +
					"return 200 \"include d.conf;\";\ncontent_by_lua_block { include('e.conf'); error_log x; }\n" +
					"'include' f.conf;\n",
				"/etc/nginx/f.conf": "",
			},
			want: summary{files: []string{mainConf, "/etc/nginx/f.conf"}},
		},
		{
			name: "error_log targets and pid",
			fs: mapFS{
				mainConf: "error_log logs/error.log warn;\nerror_log stderr;\nerror_log syslog:server=unix:/dev/log;\n" +
					"error_log memory:32m debug;\nerror_log /dev/null crit;\npid nginx.pid;\npid /run/second.pid;\n" +
					"http {\n  error_log off;\n  include vhost.conf;\n}\n",
				"/etc/nginx/vhost.conf": "server {\n  error_log \"/var/log/nginx/vhost error.log\";\n}",
			},
			prefix: "/usr/local/openresty/nginx/",
			want: summary{
				files: []string{mainConf, "/etc/nginx/vhost.conf"},
				logs: []string{
					"/usr/local/openresty/nginx/logs/error.log@/etc/nginx/nginx.conf:1",
					// "error_log off" logs to a file named "off", as nginx does.
					"/usr/local/openresty/nginx/off@/etc/nginx/nginx.conf:9",
					"/var/log/nginx/vhost error.log@/etc/nginx/vhost.conf:2",
				},
				pid: "/usr/local/openresty/nginx/nginx.pid@/etc/nginx/nginx.conf:6",
			},
		},
		{
			name: "no prefix leaves relative log paths relative",
			fs:   mapFS{mainConf: "error_log logs/error.log; pid run/nginx.pid;"},
			want: summary{
				files: []string{mainConf},
				logs:  []string{"logs/error.log@/etc/nginx/nginx.conf:1"},
				pid:   "run/nginx.pid@/etc/nginx/nginx.conf:1",
			},
		},
		{
			name: "syntax errors of every file are problems; the rest is still read",
			fs: mapFS{
				mainConf:            "http {\n  include a.conf\n}\ninclude b.conf;\n",
				"/etc/nginx/a.conf": "",
				"/etc/nginx/b.conf": "x \"y;\n",
			},
			want: summary{
				files: []string{mainConf, "/etc/nginx/b.conf"},
				problems: []string{
					`/etc/nginx/nginx.conf:2: directive "include" is not terminated by ";"`,
					`/etc/nginx/b.conf:1: unexpected end of file, expecting ";" or "}"`,
				},
			},
		},
		{
			name: "bad glob pattern",
			fs:   mapFS{mainConf: "include conf.d/[.conf;"},
			want: summary{
				files:    []string{mainConf},
				problems: []string{`/etc/nginx/nginx.conf:1: glob "/etc/nginx/conf.d/[.conf" failed (syntax error in pattern)`},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			compareSummary(t, summarize(Load(tt.fs, mainConf, tt.prefix, Limits{})), tt.want)
		})
	}
}

func TestLoadMissingMain(t *testing.T) {
	c := Load(mapFS{}, mainConf, "", Limits{})
	compareSummary(t, summarize(c), summary{
		problems: []string{`/etc/nginx/nginx.conf: open "/etc/nginx/nginx.conf" failed (file does not exist)`},
	})
	if !errors.Is(c.Problems.Err(), fs.ErrNotExist) {
		t.Errorf("errors.Is(%v, fs.ErrNotExist) = false; want true", c.Problems.Err())
	}
}

func TestLoadRelativeConf(t *testing.T) {
	fsys := mapFS{"/opt/nginx/conf/nginx.conf": "include mime.types;", "/opt/nginx/conf/mime.types": ""}
	got := summarize(Load(fsys, "conf/nginx.conf", "/opt/nginx", Limits{}))
	compareSummary(t, got, summary{files: []string{"/opt/nginx/conf/nginx.conf", "/opt/nginx/conf/mime.types"}})
}

func TestLoadLimits(t *testing.T) {
	fsys := mapFS{
		mainConf:            "include a.conf; include b.conf; include c.conf;",
		"/etc/nginx/a.conf": "# 34567890",
		"/etc/nginx/b.conf": "# 34567890",
		"/etc/nginx/c.conf": "",
	}
	compareSummary(t, summarize(Load(fsys, mainConf, "", Limits{MaxFiles: 2})), summary{
		files:    []string{mainConf, "/etc/nginx/a.conf"},
		problems: []string{`/etc/nginx/nginx.conf:1: limit of 2 configuration files reached`},
	})
	size := int64(len(fsys[mainConf]) + 15)
	compareSummary(t, summarize(Load(fsys, mainConf, "", Limits{MaxBytes: size})), summary{
		files:    []string{mainConf, "/etc/nginx/a.conf"},
		problems: []string{fmt.Sprintf(`/etc/nginx/nginx.conf:1: limit of %d bytes of configuration reached`, size)},
	})
}

func TestLoadDepth(t *testing.T) {
	fsys := mapFS{mainConf: "include f1.conf;"}
	for i := 1; i <= 100; i++ {
		fsys[fmt.Sprintf("/etc/nginx/f%d.conf", i)] = fmt.Sprintf("include f%d.conf;", i+1)
	}
	c := Load(fsys, mainConf, "", Limits{})
	want := []string{`/etc/nginx/f64.conf:1: includes nested more than 64 deep`}
	if got := summarize(c).problems; !slices.Equal(got, want) {
		t.Errorf("Problems = %q; want %q", got, want)
	}
	if len(c.Files) != 65 {
		t.Errorf("read %d files; want 65", len(c.Files))
	}
}

// TestLoadCorpus follows includes through real configuration trees.
func TestLoadCorpus(t *testing.T) {
	ngc := func(t *testing.T, sub string) FS {
		return rootfs.Root{Dir: corpus(t, "nginx-go-crossplane", "testdata", "configs", sub)}
	}
	t.Run("includes-cycle/valid", func(t *testing.T) {
		compareSummary(t, summarize(Load(ngc(t, "includes-cycle/valid"), "/nginx.conf", "", Limits{})), summary{
			files: []string{"/nginx.conf", "/location1.conf", "/location2.conf"},
		})
	})
	t.Run("includes-cycle/invalid", func(t *testing.T) {
		compareSummary(t, summarize(Load(ngc(t, "includes-cycle/invalid"), "/nginx.conf", "", Limits{})), summary{
			files:    []string{"/nginx.conf", "/location1.conf", "/location2.conf"},
			problems: []string{`/location2.conf:2: include loop: "/location1.conf" is already being read`},
		})
	})
	t.Run("includes-globbed", func(t *testing.T) {
		compareSummary(t, summarize(Load(ngc(t, "includes-globbed"), "/nginx.conf", "", Limits{})), summary{
			files: []string{
				"/nginx.conf", "/http.conf",
				"/servers/server1.conf", "/locations/location1.conf", "/locations/location2.conf",
				"/servers/server2.conf",
			},
		})
	})
	t.Run("includes-regular", func(t *testing.T) {
		c := Load(ngc(t, "includes-regular"), "/nginx.conf", "", Limits{})
		compareSummary(t, summarize(c), summary{
			files:    []string{"/nginx.conf", "/conf.d/server.conf", "/foo.conf"},
			problems: []string{`/conf.d/server.conf:5: open "/bar.conf" failed (no such file or directory)`},
		})
		if !errors.Is(c.Problems[0], fs.ErrNotExist) {
			t.Errorf("errors.Is(%v, fs.ErrNotExist) = false; want true", c.Problems[0])
		}
	})
	t.Run("ubuntu-default", func(t *testing.T) {
		fsys := mountFS{"/etc/nginx", ngc(t, "ubuntu-default")}
		compareSummary(t, summarize(Load(fsys, mainConf, "/usr/share/nginx", Limits{})), summary{
			files: []string{
				mainConf,
				"/etc/nginx/modules-enabled/50-mod-http-image-filter.conf",
				"/etc/nginx/modules-enabled/50-mod-http-xslt-filter.conf",
				"/etc/nginx/mime.types",
				"/etc/nginx/sites-enabled/default",
			},
			logs: []string{"/var/log/nginx/error.log@/etc/nginx/nginx.conf:42"},
			pid:  "/run/nginx.pid@/etc/nginx/nginx.conf:3",
		})
	})
	t.Run("debian", func(t *testing.T) {
		fsys := mountFS{"/etc/nginx", rootfs.Root{Dir: corpus(t, "debian-nginx", "debian", "conf")}}
		compareSummary(t, summarize(Load(fsys, mainConf, "/usr/share/nginx", Limits{})), summary{
			files: []string{mainConf, "/etc/nginx/mime.types"},
			logs:  []string{"/var/log/nginx/error.log@/etc/nginx/nginx.conf:5"},
			pid:   "/run/nginx.pid@/etc/nginx/nginx.conf:4",
		})
	})
	t.Run("h5bp", func(t *testing.T) {
		// conf.d/.default.conf is disabled by its leading dot: "*.conf" skips it.
		fsys := mountFS{"/etc/nginx", rootfs.Root{Dir: corpus(t, "h5bp-server-configs-nginx")}}
		compareSummary(t, summarize(Load(fsys, mainConf, "/usr/share/nginx", Limits{})), summary{
			files: []string{
				mainConf,
				"/etc/nginx/h5bp/security/server_software_information.conf",
				"/etc/nginx/h5bp/media_types/media_types.conf",
				"/etc/nginx/mime.types",
				"/etc/nginx/h5bp/media_types/character_encodings.conf",
				"/etc/nginx/h5bp/web_performance/compression.conf",
				"/etc/nginx/h5bp/web_performance/cache_expiration.conf",
				"/etc/nginx/conf.d/no-ssl.default.conf",
			},
			logs: []string{"/var/log/nginx/error.log@/etc/nginx/nginx.conf:42"},
			pid:  "/var/run/nginx.pid@/etc/nginx/nginx.conf:47",
		})
	})
}

// TestRootFS checks rootfs.Root, the FS the collector gives Load, on a tree with symbolic links, absolute ones
// included, resolved inside the root.
func TestRootFS(t *testing.T) {
	root := t.TempDir()
	mk := func(name, data string) {
		t.Helper()
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, name string) {
		t.Helper()
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	mk("etc/nginx/nginx.conf", "include sites-enabled/*;\ninclude snippets/x.conf;\n")
	mk("etc/nginx/sites-available/default", "server { include ../../../../etc/nginx/snippets/x.conf; }")
	mk("etc/nginx/sites-available/other", "")
	mk("opt/snippets/x.conf", "# x")
	mk("etc/nginx/sites-enabled/.swp", "hidden")
	link("/etc/nginx/sites-available/default", "etc/nginx/sites-enabled/default") // absolute, as Debian does
	link("../sites-available/other", "etc/nginx/sites-enabled/other")
	link("/opt/snippets", "etc/nginx/snippets")
	link("loop2", "etc/nginx/loop1")
	link("loop1", "etc/nginx/loop2")
	if err := syscall.Mkfifo(filepath.Join(root, "etc/nginx/fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	fsys := rootfs.Root{Dir: root}

	c := Load(fsys, mainConf, "", Limits{})
	compareSummary(t, summarize(c), summary{files: []string{
		mainConf, "/etc/nginx/sites-enabled/default", "/etc/nginx/snippets/x.conf", "/etc/nginx/sites-enabled/other",
	}})

	got, err := fsys.Glob("/etc/nginx/s*/*")
	want := []string{
		"/etc/nginx/sites-available/default", "/etc/nginx/sites-available/other",
		"/etc/nginx/sites-enabled/.swp", "/etc/nginx/sites-enabled/default", "/etc/nginx/sites-enabled/other",
		"/etc/nginx/snippets/x.conf",
	}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("Glob(/etc/nginx/s*/*) = %q, %v; want %q", got, err, want)
	}
	if got, err := fsys.Glob("/etc/nginx/nginx.conf"); err != nil || !slices.Equal(got, []string{mainConf}) {
		t.Errorf("Glob of a plain path = %q, %v; want it back", got, err)
	}
	if got, err := fsys.Glob("/etc/nginx/none/*.conf"); err != nil || got != nil {
		t.Errorf("Glob of a missing directory = %q, %v; want nothing", got, err)
	}
	if _, err := fsys.Glob("/etc/[x"); !errors.Is(err, path.ErrBadPattern) {
		t.Errorf("Glob of a bad pattern: error %v; want ErrBadPattern", err)
	}

	for _, tt := range []struct {
		name string
		err  error
		msg  string
	}{
		{"/etc/nginx/missing.conf", fs.ErrNotExist, "open /etc/nginx/missing.conf: no such file or directory"},
		{"/nope/x.conf", fs.ErrNotExist, "open /nope/x.conf: no such file or directory"},
		{"/etc/nginx/loop1", syscall.ELOOP, "open /etc/nginx/loop1: too many levels of symbolic links"},
		{"/etc/nginx/fifo", nil, "open /etc/nginx/fifo: not a regular file"},
		{"/etc/nginx", nil, "open /etc/nginx: not a regular file"},
		{"relative.conf", fs.ErrInvalid, "open relative.conf: invalid argument"},
	} {
		_, err := fsys.ReadFile(tt.name)
		if err == nil || err.Error() != tt.msg || (tt.err != nil && !errors.Is(err, tt.err)) {
			t.Errorf("ReadFile(%q) error = %v; want %q (is %v)", tt.name, err, tt.msg, tt.err)
		}
	}
	if data, err := fsys.ReadFile("/etc/nginx/../../../etc/nginx/snippets/x.conf"); err != nil || string(data) != "# x" {
		t.Errorf("ReadFile through .. and a link = %q, %v; want %q", data, err, "# x")
	}

	// Root "/" reads host paths as they are.
	host := rootfs.Root{Dir: "/"}
	p := filepath.Join(root, "opt/snippets/x.conf")
	if data, err := host.ReadFile(p); err != nil || string(data) != "# x" {
		t.Errorf("Root{/}.ReadFile(%s) = %q, %v; want %q", p, data, err, "# x")
	}
	if got, err := host.Glob(filepath.Join(root, "opt/*/x.conf")); err != nil || !slices.Equal(got, []string{p}) {
		t.Errorf("Root{/}.Glob = %q, %v; want [%s]", got, err, p)
	}
}
