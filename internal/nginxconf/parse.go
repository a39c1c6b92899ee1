package nginxconf

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"unicode"
)

// maxNesting bounds block nesting in one file; deeper blocks are dropped
// with a Problem. nginx has no such limit, but no configuration comes near
// it, and it keeps every recursion over the tree shallow.
const maxNesting = 100

// Options changes what Parse keeps. The zero value is what the analyzer
// wants: directives only.
type Options struct {
	// Comments keeps comments as directives named "#" whose Comment is the
	// text after "#", as crossplane's comments=True does. Like crossplane, a
	// comment written among a directive's arguments comes after the
	// directive (after its block, for a block) with the directive's line.
	Comments bool
}

// Parsed is a configuration as nginx reads it: the main file's directives
// with every include followed.
//
// An include directive stays in the tree, with Include listing the files it
// pulled in, and the directives of those files come right after it, at the
// same level, each with its own File and Line: walking the children of an
// http block finds the server blocks of "include conf.d/*.conf;" as if they
// were written there. A file included several times is spliced in each
// time, as nginx reads it each time. An include that would read a file
// already being read (a loop) pulls nothing in.
type Parsed struct {
	Main     string       // the main configuration file, absolute
	Tree     []*Directive // the main file's directives, includes spliced in
	Files    []string     // every file read, the main file first (see Config.Files)
	Problems ErrorList    // syntax errors, unreadable includes, limits; never fatal
}

// Parse reads the configuration file conf through fsys as nginx started with
// "-c conf -p prefix" would, following includes as Load does, and builds its
// directive tree. It never fails: what it could not read or understand is
// in Parsed.Problems, each at its file:line, and the tree holds the rest.
// Parse(fsys, conf, prefix, lim) is Options{}.Parse(fsys, conf, prefix, lim).
func Parse(fsys FS, conf, prefix string, lim Limits) *Parsed {
	return Options{}.Parse(fsys, conf, prefix, lim)
}

// Parse is Parse with options o.
func (o Options) Parse(fsys FS, conf, prefix string, lim Limits) *Parsed {
	if lim.MaxDirectives <= 0 {
		lim.MaxDirectives = DefaultMaxDirectives
	}
	loaded := Load(fsys, conf, prefix, lim)
	p := &Parsed{Main: confPath(conf, prefix), Problems: slices.Clone(loaded.Problems)}
	b := &builder{
		opt:        o,
		fsys:       fsys,
		confPrefix: path.Dir(p.Main),
		max:        lim.MaxDirectives,
		trees:      make(map[string][]*Directive, len(loaded.Files)),
		includes:   make(map[string][]string),
		left:       lim.MaxDirectives,
	}
	for _, f := range loaded.Files {
		p.Files = append(p.Files, f.Path)
		b.trees[f.Path] = b.parseFile(f.Data, f.Path)
	}
	if main, ok := b.trees[p.Main]; ok {
		b.left = b.max
		p.Tree = b.splice(main, []string{p.Main})
	}
	p.Problems = append(p.Problems, b.problems...)
	order := make(map[string]int, len(p.Files))
	for i, f := range p.Files {
		order[f] = i + 1
	}
	sort.SliceStable(p.Problems, func(i, j int) bool {
		a, b := p.Problems[i], p.Problems[j]
		if order[a.File] != order[b.File] {
			return order[a.File] < order[b.File]
		}
		return a.Line < b.Line
	})
	return p
}

// builder parses files into per-file trees, then splices them into one.
type builder struct {
	opt        Options
	fsys       FS
	confPrefix string
	max        int                     // Limits.MaxDirectives
	left       int                     // directives that may still be made (per-file trees, then the tree)
	trees      map[string][]*Directive // per file, include directives not followed
	includes   map[string][]string     // include argument -> files
	problems   ErrorList
	fileErrs   int  // problems in the file being parsed
	full       bool // the directive limit was reported
}

func (b *builder) problem(file string, line int, format string, args ...any) {
	b.fileErrs++
	switch {
	case b.fileErrs <= maxErrors:
		b.problems.Add(file, line, fmt.Sprintf(format, args...))
	case b.fileErrs == maxErrors+1:
		b.problems.Add(file, line, "too many errors")
	}
}

// limit reports whether the directive limit is reached, saying so once.
func (b *builder) limit(file string, line int) bool {
	if b.left > 0 {
		b.left--
		return false
	}
	if !b.full {
		b.full = true
		b.problems.Add(file, line, fmt.Sprintf("limit of %d directives reached", b.max))
	}
	return true
}

// frame is an open block while a file is parsed.
type frame struct {
	d     *Directive
	pairs bool // d's children are key/value pairs (map, types, ...)
	// after are the comments written among d's arguments, which follow d
	// once its block is closed.
	after []*Directive
}

// parseFile builds the directive tree of one file, without following
// includes. The lexer's errors are already in Load's Problems; parseFile
// adds the few that need the tree: "{" in a map-like block, a malformed if
// condition, an empty directive name, nesting and the directive limit.
//
// It recovers as crossplane does: a directive cut short by "}" or the end of
// the file is dropped, a block left open at the end of the file is closed,
// a stray "}" is ignored.
func (b *builder) parseFile(data []byte, file string) []*Directive {
	b.fileErrs = 0
	root := &Directive{Block: []*Directive{}}
	stack := []frame{{d: root}}
	nested := false // "blocks nested too deep" was reported
	var words []Token
	var after []*Directive // comments among the current statement's words
	add := func(d *Directive) {
		top := &stack[len(stack)-1]
		top.d.Block = append(top.d.Block, d)
	}
	addAll := func(ds []*Directive) {
		for _, d := range ds {
			add(d)
		}
	}
	lx := NewLexer(data, file)
	for {
		t, ok := lx.Next()
		if !ok {
			break
		}
		switch t.Kind {
		case Comment:
			if !b.opt.Comments {
				continue
			}
			c := &Directive{Name: "#", File: file, Line: t.Line, Comment: t.Text[1:]}
			if len(words) > 0 {
				c.Line = words[0].Line
				after = append(after, c)
			} else {
				add(c)
			}
		case Word, LuaBlock:
			words = append(words, t)
		case Semicolon:
			if len(words) > 0 {
				if d := b.directive(words, file, stack[len(stack)-1].pairs); d != nil {
					add(d)
				}
			}
			addAll(after)
			words, after = words[:0], nil
		case BlockStart:
			var d *Directive
			switch {
			case len(words) == 0:
				// The lexer reported `unexpected "{"`.
			case len(stack) > maxNesting:
				if !nested {
					nested = true
					b.problem(file, words[0].Line, "blocks nested more than %d deep", maxNesting)
				}
			default:
				if stack[len(stack)-1].pairs {
					b.problem(file, t.Line, `unexpected "{"`)
				}
				d = b.directive(words, file, stack[len(stack)-1].pairs)
			}
			if d == nil {
				// Read the block into a directive that is not in the tree.
				d = &Directive{}
			} else {
				add(d)
			}
			d.Block = []*Directive{}
			stack = append(stack, frame{d: d, pairs: pairBlocks[d.Name], after: after})
			words, after = words[:0], nil
		case BlockEnd:
			// Words left over are a directive the lexer reported as not
			// terminated by ";": dropped, as crossplane does.
			addAll(after)
			words, after = words[:0], nil
			if len(stack) > 1 { // else the lexer reported `unexpected "}"`
				f := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				addAll(f.after)
			}
		}
	}
	// The lexer reported what the end of the file left open.
	addAll(after)
	for len(stack) > 1 {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		addAll(f.after)
	}
	return root.Block
}

// directive makes the directive of a statement's words (name and
// arguments), or returns nil if it cannot be in the tree. pairs says whether
// it is written in a map-like block.
func (b *builder) directive(words []Token, file string, pairs bool) *Directive {
	name, line := words[0].Value(), words[0].Line
	if name == "" && !pairs {
		b.problem(file, line, `unknown directive ""`)
		return nil
	}
	if b.limit(file, line) {
		return nil
	}
	d := &Directive{Name: name, File: file, Line: line}
	if len(words) > 1 {
		d.Args = make([]string, len(words)-1)
		for i, w := range words[1:] {
			d.Args[i] = w.Value()
		}
	}
	if name == "if" && !pairs {
		d.Args = b.ifCondition(d)
	}
	return d
}

// ifCondition returns the arguments of an if directive without the
// parentheses around the condition, as nginx's and crossplane's parsers
// strip them: "(" and ")" may be words of their own or stuck to the first
// and last words. A condition without them, or an empty one, is reported in
// nginx's words and kept as written.
func (b *builder) ifCondition(d *Directive) []string {
	args := d.Args
	if len(args) == 0 {
		b.problem(d.File, d.Line, `invalid number of arguments in "if" directive`)
		return args
	}
	last := len(args) - 1
	if !strings.HasPrefix(args[0], "(") {
		b.problem(d.File, d.Line, `invalid condition "%s"`, args[0])
		return args
	}
	if !strings.HasSuffix(args[last], ")") {
		b.problem(d.File, d.Line, `invalid condition "%s"`, args[last])
		return args
	}
	cond := slices.Clone(args)
	cond[0] = strings.TrimLeftFunc(cond[0][1:], unicode.IsSpace)
	cond[last] = strings.TrimRightFunc(strings.TrimSuffix(cond[last], ")"), unicode.IsSpace)
	start, end := 0, len(cond)
	if cond[0] == "" {
		start++
	}
	if end > start && cond[end-1] == "" {
		end--
	}
	if start >= end {
		b.problem(d.File, d.Line, `invalid condition "%s"`, strings.Join(args, " "))
		return nil
	}
	return cond[start:end]
}

// includeFiles returns the files an include argument names, resolving each
// argument once (Load has reported what could not be resolved).
func (b *builder) includeFiles(arg string) []string {
	names, ok := b.includes[arg]
	if !ok {
		_, names, _ = includeFiles(b.fsys, b.confPrefix, arg)
		b.includes[arg] = names
	}
	return names
}

// splice returns a fresh copy of the directives list with every include
// directive followed by the directives of the files it includes. chain holds
// the files being spliced, the outermost first, so that a loop is not
// followed (Load has reported it).
func (b *builder) splice(list []*Directive, chain []string) []*Directive {
	out := make([]*Directive, 0, len(list))
	for _, t := range list {
		if b.limit(t.File, t.Line) {
			break
		}
		d := &Directive{Name: t.Name, Args: slices.Clone(t.Args), File: t.File, Line: t.Line, Comment: t.Comment}
		if t.Block != nil {
			d.Block = b.splice(t.Block, chain)
		}
		out = append(out, d)
		if t.Name != "include" || len(t.Args) != 1 || t.Block != nil {
			continue
		}
		for _, name := range b.includeFiles(t.Args[0]) {
			tree, ok := b.trees[name]
			if !ok || slices.Contains(chain, name) {
				continue // not read or a loop: Load has said why
			}
			d.Include = append(d.Include, name)
			out = append(out, b.splice(tree, append(chain, name))...)
		}
	}
	return out
}
