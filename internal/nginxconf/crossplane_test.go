package nginxconf

import (
	"github.com/netsnap/netsnap/internal/rootfs"

	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// This file compares Parse with crossplane, the reference parser, on the
// expected parses of both crossplane test suites in the corpus (see
// corpus/README.md). Parsed is converted into crossplane's payload shape,
// one parse per file with "includes" naming files, then both payloads are
// printed one directive per line and compared: directive names, arguments,
// lines, nesting, the files read and each file's errors.

// xpPayload is crossplane's parse output.
type xpPayload struct {
	Status string     `json:"status"`
	Errors []xpError  `json:"errors"`
	Config []xpConfig `json:"config"`
}

type xpConfig struct {
	File   string        `json:"file"`
	Status string        `json:"status"`
	Errors []xpError     `json:"errors"`
	Parsed []xpDirective `json:"parsed"`
}

type xpError struct {
	File  string `json:"file"`
	Error string `json:"error"`
	Line  *int   `json:"line"`
}

type xpDirective struct {
	Directive string         `json:"directive"`
	Line      int            `json:"line"`
	Args      []string       `json:"args"`
	Includes  *[]int         `json:"includes"`
	Block     *[]xpDirective `json:"block"`
	Comment   *string        `json:"comment"`
	File      string         `json:"file"` // with combine=True
}

// xpOptions are the crossplane parse options a case uses.
type xpOptions struct {
	Comments bool     `json:"comments"`
	Combine  bool     `json:"combine"`
	Single   bool     `json:"single"`
	Strict   bool     `json:"strict"`
	Ignore   []string `json:"ignore"`
}

// xpCompare is one expected parse to compare with ours.
type xpCompare struct {
	name string    // for t.Run
	root string    // directory the FS shows as "/"
	conf string    // main file, relative to root
	base string    // directory file names in the payload are relative to
	opt  xpOptions // crossplane options
	// emptyBlockOmitted: the payload leaves out "block" for an empty block
	// (Python crossplane's CLI output in nginx-go-crossplane's xp.json), so
	// "name {}" and "name;" print alike.
	emptyBlockOmitted bool
	want              xpPayload
	// fileName turns a "file" of the payload into a path relative to base.
	fileName func(string) string
}

// xpSkip are the expected parses not compared, with the reason.
var xpSkip = map[string]string{
	// crossplane's strict mode reports directives it does not know; we keep
	// every directive and do not check names.
	"test_parse_strict": "strict=True needs crossplane's directive table",

	// nginx-go-crossplane checks contexts and argument counts, and these
	// parses leave out the directives it rejects. We check neither.
	"includes-globbed/servers/server1.json":     `context errors ("server" directive is not allowed here)`,
	"includes-globbed/servers/server2.json":     `context errors ("server" directive is not allowed here)`,
	"includes-globbed/locations/location1.json": `context errors ("location" directive is not allowed here)`,
	"includes-globbed/locations/location2.json": `context errors ("location" directive is not allowed here)`,
	"bad-args/nginx.json":                       `argument count error (invalid number of arguments in "user" directive)`,
	// Its error has neither a line nor a message; TestLexCorpus checks ours.
	"includes-globbed/servers/locations/not-included.json": "the expected error has no line and no message",

	// This xp.json comes from a crossplane CLI without its Lua extension,
	// which reads the Lua bodies as nginx syntax ("set_by_lua_block $res {
	// -- irregular ..." becomes one directive name). crossplane's own test of
	// this config (test_parse_lua_block_tricky) and the Go port's nginx.json
	// agree with us.
	"lua-block-tricky/xp.json": "crossplane CLI without the Lua extension",

	// These payloads describe other versions of their configs than the
	// corpus holds (the corpus copies are crossplane's Python test configs):
	"with-comments/xp.json":           "stale: its http block has a second server (lines 14-19) that the config lacks",
	"with-comments/nginx.json":        "stale: its http block has a second server (lines 14-19) that the config lacks",
	"directive-with-space/xp.json":    "stale: it lacks the config's charset_map block (lines 9-12)",
	"directive-with-space/nginx.json": "stale: it lacks the config's charset_map block (lines 9-12)",
	"includes-regular/xp.json":        "stale: another nginx.conf and conf.d/server.conf (includes conf.d/http-inner.conf and details.conf)",
	"includes-regular/nginx.json":     "stale: another nginx.conf and conf.d/server.conf (includes conf.d/http-inner.conf and details.conf)",
	"lua-block-larger/xp.json":        `stale: its Lua body reads "ocal data" where the config has "local data" (line 22)`,
	"lua-block-larger/nginx.json":     `stale: its Lua body reads "ocal data" where the config has "local data" (line 22)`,
}

// xpDiff is a deliberate difference from an expected parse: the expected
// line old (as printed by xpCompare.print) is replaced by the lines new.
type xpDiff struct {
	old string
	new []string
}

// quoteBehavior is how we differ on quote-behavior/nginx.conf, which is
// invalid nginx: nginx wants white space, ";" or "{" after a closing quote,
// and a directive cannot have an empty name. crossplane takes it all.
var quoteBehavior = []xpDiff{
	{"file nginx.conf", []string{
		"file nginx.conf",
		`  error 1: unexpected "-"`,
		`  error 2: unexpected "l"`,
		`  error 2: unknown directive ""`,
	}},
	{`  2 "" "" "left-empty" "right-empty\"\"" "inner\"\"empty" "right-empty-single\""`, nil},
}

// xpDiffs lists the deliberate differences, by case name.
var xpDiffs = map[string][]xpDiff{
	// The lexer's deliberate differences (see lexDiffs): a comment ending in
	// a backslash keeps it, and "${uri} " ends a word at the space.
	"messy/nginx.json": {
		{`  2 "#" comment=" hello\\n\\\\n\\\\\\n worlddd  \\#\\\\#\\\\\\# dfsf\\n \\\\n \\\\\\n "`,
			[]string{`  2 "#" comment=" hello\\n\\\\n\\\\\\n worlddd  \\#\\\\#\\\\\\# dfsf\\n \\\\n \\\\\\n \\"`}},
		{`        19 "try_files" "/abc/${uri} /abc/${uri}.html" "=404"`,
			[]string{`        19 "try_files" "/abc/${uri}" "/abc/${uri}.html" "=404"`}},
	},
	"quote-behavior/nginx.json": quoteBehavior,
	"quote-behavior/xp.json":    quoteBehavior,
}

// TestParseCrossplane compares Parse with crossplane's expected parses.
func TestParseCrossplane(t *testing.T) {
	cases := append(xpPythonCases(t), xpGoCases(t)...)
	compared := 0
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if why, ok := xpSkip[c.name]; ok && why != "" {
				t.Skip(why)
			}
			compared++
			c.check(t)
		})
	}
	t.Logf("compared %d of %d expected parses", compared, len(cases))
}

// xpPythonCases are the parse expectations of Python crossplane's own tests
// (corpus nginx/crossplane/expected): paths relative to the config's
// directory.
func xpPythonCases(t *testing.T) []xpCompare {
	root, cases := xpCases(t, "parse")
	var out []xpCompare
	for _, c := range cases {
		var x xpCompare
		x.name = path.Base(strings.ReplaceAll(c.SourceTest, "::", "/"))
		if raw, err := json.Marshal(c.Options); err != nil || json.Unmarshal(raw, &x.opt) != nil {
			t.Fatalf("%s: bad options %v", c.SourceTest, c.Options)
		}
		if err := json.Unmarshal(c.Expected, &x.want); err != nil {
			t.Fatalf("%s: %v", c.SourceTest, err)
		}
		x.root, x.conf = root, c.Config
		x.base = path.Dir(c.Config)
		x.fileName = func(s string) string { return s }
		if slices.ContainsFunc(out, func(o xpCompare) bool { return o.name == x.name }) {
			x.name += ".2"
		}
		out = append(out, x)
	}
	return out
}

// goFilePrefix is how nginx-go-crossplane's payloads start file names:
// "testdata/configs/<case>/" for xp.json and nginx.json, and
// "python/<case>/" for the payloads of its Python-derived sub-tests.
var goFilePrefix = regexp.MustCompile(`^(testdata/configs|python)/[^/]+/`)

// xpGoCases are nginx-go-crossplane's expected parses: every xp.json (Python
// crossplane's CLI output) and *.json (the Go port's) under its configs.
// Their options are not recorded: comments are on where the payload has
// comments.
func xpGoCases(t *testing.T) []xpCompare {
	root := corpus(t, "nginx-go-crossplane", "testdata", "configs")
	var out []xpCompare
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".json" {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(rel, "testdata/") {
			return nil // a copy of the configs, without expectations
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		x := xpCompare{name: rel, root: root}
		if err := json.Unmarshal(data, &x.want); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		if len(x.want.Config) == 0 {
			t.Fatalf("%s: no config", rel)
		}
		caseDir, _, _ := strings.Cut(rel, "/")
		x.base = caseDir
		x.fileName = func(s string) string { return goFilePrefix.ReplaceAllString(s, "") }
		// lua-basic/xp.json names lua-block-larger/nginx.conf but is the parse
		// of lua-basic/nginx.conf: the case directory is the JSON's.
		x.conf = path.Join(caseDir, x.fileName(x.want.Config[0].File))
		x.opt.Comments = strings.Contains(string(data), `"directive":"#"`) ||
			strings.Contains(string(data), `"directive": "#"`)
		x.emptyBlockOmitted = path.Base(rel) == "xp.json"
		out = append(out, x)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (c xpCompare) check(t *testing.T) {
	p := Options{Comments: c.opt.Comments}.Parse(rootfs.Root{Dir: c.root}, "/"+c.conf, "", Limits{})
	got := xpFromParsed(p, "/"+c.base, c.opt)
	gotLines := c.print(got, func(s string) string { return s }, false)
	wantLines := c.print(c.want, c.fileName, true)
	for _, d := range xpDiffs[c.name] {
		i := slices.Index(wantLines, d.old)
		if i < 0 {
			t.Fatalf("deliberate difference: no expected line %s", d.old)
		}
		wantLines = slices.Replace(wantLines, i, i+1, d.new...)
	}
	if !slices.Equal(gotLines, wantLines) {
		t.Errorf("parse of %s differs from crossplane's (-want +got):\n%s", c.conf, lineDiff(wantLines, gotLines))
	}
}

// print prints a payload one line per file, error and directive, with file
// names relative to the case and, for an expected payload, crossplane's
// argument text turned into nginx's values. Files are sorted: crossplane
// lists them breadth first, we depth first.
func (c xpCompare) print(x xpPayload, fileName func(string) string, expected bool) []string {
	files := make([]string, len(x.Config))
	for i, cfg := range x.Config {
		files[i] = fileName(cfg.File)
	}
	type block struct {
		name  string
		lines []string
	}
	var blocks []block
	for i, cfg := range x.Config {
		if c.opt.Single && i > 0 {
			break
		}
		var lines []string
		for _, e := range cfg.Errors {
			lines = append(lines, "  error "+c.errorText(e, files[i], expected))
		}
		var pr func(list []xpDirective, indent string)
		pr = func(list []xpDirective, indent string) {
			for _, d := range list {
				if slices.Contains(c.opt.Ignore, d.Directive) {
					continue
				}
				var b strings.Builder
				fmt.Fprintf(&b, "%s%d %q", indent, d.Line, d.Directive)
				if c.opt.Combine {
					fmt.Fprintf(&b, " file=%s", fileName(d.File))
				}
				for j, a := range d.Args {
					if expected && !(j == len(d.Args)-1 && strings.HasSuffix(d.Directive, luaBlockSuffix)) {
						a = Token{Kind: Word, Text: a}.Value()
					}
					fmt.Fprintf(&b, " %q", validUTF8(a))
				}
				if d.Comment != nil {
					fmt.Fprintf(&b, " comment=%q", validUTF8(*d.Comment))
				}
				if d.Includes != nil && !c.opt.Single {
					var names []string
					for _, k := range *d.Includes {
						names = append(names, files[k])
					}
					fmt.Fprintf(&b, " includes=%q", names)
				}
				if d.Block != nil && (len(*d.Block) > 0 || !c.emptyBlockOmitted) {
					b.WriteString(" {")
				}
				lines = append(lines, b.String())
				if d.Block != nil {
					pr(*d.Block, indent+"  ")
				}
			}
		}
		pr(cfg.Parsed, "  ")
		blocks = append(blocks, block{files[i], lines})
	}
	sort.SliceStable(blocks, func(i, j int) bool { return blocks[i].name < blocks[j].name })
	var out []string
	for _, b := range blocks {
		out = append(out, "file "+b.name)
		out = append(out, b.lines...)
	}
	return out
}

// errorText prints an error of file as "line: message", the message in our
// words: crossplane's " in file:line" suffix is dropped, and a missing
// include, which crossplane reports with Python's "[Errno 2] No such file or
// directory" and we in nginx's words, prints as "no such file".
func (c xpCompare) errorText(e xpError, file string, expected bool) string {
	line := "?"
	if e.Line != nil {
		line = strconv.Itoa(*e.Line)
	}
	msg := e.Error
	if expected {
		msg = strings.TrimSuffix(msg, " in "+e.File+":"+line)
		msg = strings.TrimSuffix(msg, " in "+file+":"+line)
		if i := strings.LastIndex(msg, " in "); i >= 0 && strings.HasSuffix(msg, ":"+line) {
			msg = msg[:i]
		}
		if strings.HasPrefix(msg, "[Errno 2] ") {
			msg = "no such file"
		}
	}
	return line + ": " + msg
}

// xpFromParsed converts p into crossplane's payload, file names relative to
// base. Each file's "parsed" is its own directives: the directives spliced
// after each include are taken out again and the include lists them in
// "includes". With combine, there is one config: the tree with includes
// spliced and include directives left out, as crossplane combines.
func xpFromParsed(p *Parsed, base string, opt xpOptions) xpPayload {
	rel := func(f string) string {
		if r, ok := strings.CutPrefix(f, base+"/"); ok {
			return r
		}
		return f
	}
	index := make(map[string]int)
	for i, f := range p.Files {
		index[f] = i
	}
	errs := make(map[string][]xpError)
	var all []xpError
	for _, e := range p.Problems {
		msg := e.Msg
		if errors.Is(e, fs.ErrNotExist) {
			msg = "no such file"
		}
		line := e.Line
		xe := xpError{File: rel(e.File), Error: msg, Line: &line}
		errs[e.File] = append(errs[e.File], xe)
		all = append(all, xe)
	}
	var x xpPayload
	x.Errors = all
	x.Status = "ok"
	if len(all) > 0 {
		x.Status = "failed"
	}
	conv := func(d *Directive, block []xpDirective) xpDirective {
		xd := xpDirective{Directive: d.Name, Line: d.Line, Args: d.Args}
		if d.Name == "#" && d.Block == nil {
			c := d.Comment
			xd.Comment = &c
		}
		if d.Block != nil {
			xd.Block = &block
		}
		if opt.Combine {
			xd.File = rel(d.File)
		}
		return xd
	}
	if opt.Combine {
		var comb func(list []*Directive) []xpDirective
		comb = func(list []*Directive) []xpDirective {
			out := []xpDirective{}
			for _, d := range list {
				if d.Name == "include" && len(d.Args) == 1 && d.Block == nil {
					continue
				}
				var block []xpDirective
				if d.Block != nil {
					block = comb(d.Block)
				}
				out = append(out, conv(d, block))
			}
			return out
		}
		x.Config = []xpConfig{{File: rel(p.Main), Errors: all, Parsed: comb(p.Tree)}}
		return x
	}
	// own returns the directives of file from list[i:] on, without what
	// includes spliced in, and the index after them. A file's directives
	// end at the first one from another file that no include of it
	// brought in. (This cannot tell apart a file included twice in a row by
	// different includes, which no expected parse has.)
	var own func(list []*Directive, i int, file string) ([]xpDirective, int)
	own = func(list []*Directive, i int, file string) ([]xpDirective, int) {
		out := []xpDirective{}
		for i < len(list) && list[i].File == file {
			d := list[i]
			i++
			var block []xpDirective
			if d.Block != nil {
				block, _ = own(d.Block, 0, file)
			}
			xd := conv(d, block)
			if d.Name == "include" && len(d.Args) == 1 && d.Block == nil {
				inc := []int{}
				for _, f := range d.Include {
					inc = append(inc, index[f])
					_, i = own(list, i, f)
				}
				xd.Includes = &inc
			}
			out = append(out, xd)
		}
		return out, i
	}
	parsed := make(map[string][]xpDirective)
	if len(p.Files) > 0 {
		parsed[p.Main], _ = own(p.Tree, 0, p.Main)
	}
	// An included file's directives are where it is first spliced in.
	var find func(list []*Directive)
	find = func(list []*Directive) {
		for i := 0; i < len(list); i++ {
			d := list[i]
			if d.Block != nil {
				find(d.Block)
			}
			j := i + 1
			for _, f := range d.Include {
				var ds []xpDirective
				ds, j = own(list, j, f)
				if _, ok := parsed[f]; !ok {
					parsed[f] = ds
				}
			}
		}
	}
	find(p.Tree)
	for _, f := range p.Files {
		st := "ok"
		if len(errs[f]) > 0 {
			st = "failed"
		}
		x.Config = append(x.Config, xpConfig{File: rel(f), Status: st, Errors: errs[f], Parsed: parsed[f]})
	}
	return x
}

// validUTF8 replaces each byte of s that is not UTF-8 with U+FFFD, as
// crossplane's reading of a file does.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// lineDiff returns a line diff of want and got: lines only in want marked
// "-", only in got "+", with up to two lines of context around changes.
func lineDiff(want, got []string) string {
	// lcs[i][j] is the length of the longest common subsequence of
	// want[i:] and got[j:].
	lcs := make([][]int, len(want)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(got)+1)
	}
	for i := len(want) - 1; i >= 0; i-- {
		for j := len(got) - 1; j >= 0; j-- {
			if want[i] == got[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		mark byte
		line string
	}
	var ops []op
	i, j := 0, 0
	for i < len(want) || j < len(got) {
		switch {
		case i < len(want) && j < len(got) && want[i] == got[j]:
			ops = append(ops, op{' ', want[i]})
			i++
			j++
		case j < len(got) && (i == len(want) || lcs[i][j+1] >= lcs[i+1][j]):
			ops = append(ops, op{'+', got[j]})
			j++
		default:
			ops = append(ops, op{'-', want[i]})
			i++
		}
	}
	var b strings.Builder
	for k, o := range ops {
		near := false
		for d := max(0, k-2); d <= min(len(ops)-1, k+2); d++ {
			near = near || ops[d].mark != ' '
		}
		if near {
			fmt.Fprintf(&b, "%c %s\n", o.mark, o.line)
		}
	}
	return b.String()
}
