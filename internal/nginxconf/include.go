package nginxconf

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// FS is what Load reads through. Paths are absolute host paths such as
// "/etc/nginx/nginx.conf".
type FS interface {
	// ReadFile returns the contents of the named file.
	ReadFile(name string) ([]byte, error)
	// Glob returns the names of all files matching pattern, sorted and
	// absolute, like path/filepath.Glob; no match is not an error.
	Glob(pattern string) ([]string, error)
}

// Default limits used by Load and Parse for zero fields of Limits.
const (
	DefaultMaxFiles            = 2000
	DefaultMaxBytes      int64 = 64 << 20
	DefaultMaxDirectives       = 1 << 20
)

// maxDepth bounds include nesting. nginx has no such limit (it runs out of
// file descriptors instead), but no sane configuration comes near it.
const maxDepth = 64

// Limits bounds what Load reads and what Parse builds. A zero field means
// its default (DefaultMaxFiles, DefaultMaxBytes, DefaultMaxDirectives).
type Limits struct {
	MaxFiles      int   // most files read, the main file included
	MaxBytes      int64 // most bytes read in all files together
	MaxDirectives int   // most directives in Parse's tree, includes spliced (Load ignores it)
}

// File is one configuration file, byte for byte as read.
type File struct {
	Path string // absolute path, cleaned
	Data []byte
}

// Ref is a path named by a directive, with the file and line of the
// directive.
type Ref struct {
	Path string // the path named, made absolute when the prefix allows
	File string // file of the directive
	Line int    // line of the directive
}

// Config is a main configuration file and everything it includes.
type Config struct {
	// Files holds the main configuration file first, then each included file
	// once, in the order nginx first reads them (depth first).
	Files []File
	// ErrorLogs holds the file targets of every error_log directive, in
	// reading order; one path may appear several times. stderr, syslog:,
	// memory: and /dev/null targets are left out.
	ErrorLogs []Ref
	// PID is the first pid directive, or nil.
	PID *Ref
	// Problems lists syntax errors, includes that could not be read (missing
	// files, loops) and limits reached, each at the position of the cause.
	Problems ErrorList
}

// Load reads the nginx configuration file conf through fsys and follows its
// include directives, as nginx started with "-c conf -p prefix" would.
//
// Relative include paths are relative to the directory of conf (nginx's conf
// prefix). Relative error_log and pid paths are relative to prefix, the
// nginx -p prefix; if prefix is "", they are left relative. A relative conf
// is taken relative to prefix.
//
// An include whose path contains "*", "?" or "[" is a glob: it may match
// nothing, and like glibc glob, which nginx uses, a wildcard does not match a
// leading "." in a file name. Any other include must name a readable file.
//
// Load never fails: what it could not read is listed in Config.Problems.
func Load(fsys FS, conf, prefix string, lim Limits) *Config {
	if lim.MaxFiles <= 0 {
		lim.MaxFiles = DefaultMaxFiles
	}
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = DefaultMaxBytes
	}
	conf = confPath(conf, prefix)
	w := &walker{
		fsys:       fsys,
		lim:        lim,
		confPrefix: path.Dir(conf),
		prefix:     prefix,
		cfg:        &Config{},
		read:       make(map[string]bool),
		reading:    make(map[string]bool),
	}
	w.load(conf, conf, 0, 0)
	return w.cfg
}

// confPath is the main configuration file nginx reads for "-c conf -p
// prefix": a relative conf is taken relative to prefix.
func confPath(conf, prefix string) string {
	if !path.IsAbs(conf) && prefix != "" {
		conf = path.Join(prefix, conf)
	}
	return path.Clean(conf)
}

type walker struct {
	fsys       FS
	lim        Limits
	confPrefix string
	prefix     string
	cfg        *Config
	bytes      int64
	read       map[string]bool // files read (and walked) already
	reading    map[string]bool // files on the current include chain
	full       bool            // a limit was reached: read no more files
}

func (w *walker) problem(file string, line int, err error, format string, args ...any) {
	w.cfg.Problems = append(w.cfg.Problems, &Error{File: file, Line: line, Msg: fmt.Sprintf(format, args...), Err: err})
}

// load reads name, included from file:line (line 0 for the main file), and
// walks it.
func (w *walker) load(name, file string, line, depth int) {
	switch {
	case w.reading[name]:
		w.problem(file, line, nil, `include loop: "%s" is already being read`, name)
		return
	case w.read[name]:
		// nginx parses it again, but it holds the same includes and logs.
		return
	case depth > maxDepth:
		w.problem(file, line, nil, "includes nested more than %d deep", maxDepth)
		return
	case w.full:
		return
	case len(w.cfg.Files) >= w.lim.MaxFiles:
		w.full = true
		w.problem(file, line, nil, "limit of %d configuration files reached", w.lim.MaxFiles)
		return
	}
	data, err := w.fsys.ReadFile(name)
	if err != nil {
		w.problem(file, line, err, `open "%s" failed (%s)`, name, reason(err))
		return
	}
	if w.bytes+int64(len(data)) > w.lim.MaxBytes {
		w.full = true
		w.problem(file, line, nil, "limit of %d bytes of configuration reached", w.lim.MaxBytes)
		return
	}
	w.bytes += int64(len(data))
	w.read[name] = true
	w.cfg.Files = append(w.cfg.Files, File{Path: name, Data: data})

	l := NewLexer(data, name)
	var toks []Token
	for {
		t, ok := l.Next()
		if !ok {
			break
		}
		toks = append(toks, t)
	}
	w.cfg.Problems = append(w.cfg.Problems, l.Errors()...)

	w.reading[name] = true
	w.walk(name, toks, depth)
	delete(w.reading, name)
}

// reason is the text of err without the path that Problems already name.
func reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// walk looks at the directives of one file for include, error_log and pid.
// Only a word that starts a statement is a directive name: "set $x include;"
// includes nothing.
func (w *walker) walk(name string, toks []Token, depth int) {
	start := true
	for i, t := range toks {
		switch t.Kind {
		case Comment:
			continue
		case Word:
		default:
			start = true
			continue
		}
		if !start {
			continue
		}
		start = false
		directive := t.Value()
		if directive != "include" && directive != "error_log" && directive != "pid" {
			continue
		}
		args, ok := statementArgs(toks[i+1:])
		if !ok {
			continue // not a simple directive; nginx rejects it anyway
		}
		switch directive {
		case "include":
			if len(args) != 1 {
				w.problem(name, t.Line, nil, `invalid number of arguments in "include" directive`)
				continue
			}
			w.include(args[0], name, t.Line, depth)
		case "error_log":
			if len(args) == 0 {
				continue
			}
			if p, ok := w.logPath(args[0]); ok {
				w.cfg.ErrorLogs = append(w.cfg.ErrorLogs, Ref{Path: p, File: name, Line: t.Line})
			}
		case "pid":
			if len(args) == 1 && w.cfg.PID == nil {
				w.cfg.PID = &Ref{Path: w.prefixed(args[0]), File: name, Line: t.Line}
			}
		}
	}
}

// statementArgs returns the argument values of a directive whose name has
// just been read, and whether the directive ends with ";".
func statementArgs(toks []Token) ([]string, bool) {
	var args []string
	for _, t := range toks {
		switch t.Kind {
		case Comment:
		case Word:
			args = append(args, t.Value())
		case Semicolon:
			return args, true
		default:
			return nil, false
		}
	}
	return nil, false
}

// include follows one include directive at file:line.
func (w *walker) include(arg, file string, line, depth int) {
	p, names, err := includeFiles(w.fsys, w.confPrefix, arg)
	if err != nil {
		w.problem(file, line, err, `glob "%s" failed (%s)`, p, reason(err))
		return
	}
	for _, name := range names {
		w.load(name, file, line, depth+1)
	}
}

// includeFiles returns the files the argument of an include directive names,
// in the order nginx reads them, and the absolute, cleaned pattern: a relative
// argument is taken relative to confPrefix, the directory of the main
// configuration file. Without "*", "?" or "[" the argument names one file,
// returned whether it exists or not; otherwise it is a glob and the names are
// its matches, sorted, without those glibc would hide (see globVisible). The
// error is the glob's, for a malformed pattern or an unreadable directory.
func includeFiles(fsys FS, confPrefix, arg string) (string, []string, error) {
	p := arg
	if !path.IsAbs(p) {
		p = path.Join(confPrefix, p)
	}
	p = path.Clean(p)
	if !strings.ContainsAny(p, "*?[") {
		return p, []string{p}, nil
	}
	matches, err := fsys.Glob(p)
	if err != nil {
		return p, nil, err
	}
	matches = append([]string(nil), matches...)
	sort.Strings(matches)
	names := matches[:0]
	for _, m := range matches {
		if m = path.Clean(m); globVisible(p, m) {
			names = append(names, m)
		}
	}
	return p, names, nil
}

// globVisible reports whether glibc's glob, without GLOB_PERIOD, would return
// match for pattern: a name starting with "." must be matched by a pattern
// component starting with ".".
func globVisible(pattern, match string) bool {
	pc := strings.Split(pattern, "/")
	mc := strings.Split(match, "/")
	if len(pc) != len(mc) {
		return true
	}
	for i := range pc {
		if strings.HasPrefix(mc[i], ".") && !strings.HasPrefix(pc[i], ".") {
			return false
		}
	}
	return true
}

// logPath returns the file an error_log target names, or false for targets
// that are not files.
func (w *walker) logPath(target string) (string, bool) {
	switch {
	case target == "", target == "stderr", target == "/dev/null",
		strings.HasPrefix(target, "syslog:"), strings.HasPrefix(target, "memory:"):
		return "", false
	}
	return w.prefixed(target), true
}

// prefixed makes p absolute with the nginx prefix, if there is one.
func (w *walker) prefixed(p string) string {
	if !path.IsAbs(p) && w.prefix != "" {
		p = path.Join(w.prefix, p)
	}
	return path.Clean(p)
}
