package nginxconf

import (
	"github.com/netsnap/netsnap/internal/rootfs"

	"encoding/json"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// corpusRoot is the shared test corpus (third-party data, see its README).
const corpusRoot = "../../../shared/corpus/nginx"

// corpus returns the corpus directory sub, skipping the test if it is absent.
func corpus(t testing.TB, sub ...string) string {
	t.Helper()
	dir := filepath.Join(append([]string{corpusRoot}, sub...)...)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("test corpus not found at %s (%v): it lives in /work/shared/corpus, outside this repository", dir, err)
	}
	return dir
}

// xpCase is one of crossplane's expected results, converted to JSON (see
// corpus/README.md, "nginx/crossplane/").
type xpCase struct {
	SourceTest string          `json:"source_test"`
	Call       string          `json:"call"`
	Config     string          `json:"config"`
	Options    map[string]any  `json:"options"`
	TokenShape string          `json:"token_shape"`
	Expected   json.RawMessage `json:"expected"`
}

func xpCases(t *testing.T, call string) (root string, cases []xpCase) {
	t.Helper()
	root = corpus(t, "crossplane")
	files, err := filepath.Glob(filepath.Join(root, "expected", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no crossplane expectations in %s (%v)", root, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c xpCase
		if err := json.Unmarshal(data, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if c.Call == call {
			cases = append(cases, c)
		}
	}
	return root, cases
}

// tokLine is a token as crossplane's lex tests record it; Line is 0 where
// they record none.
type tokLine struct {
	Text string
	Line int
}

// lexDiff is a deliberate difference from crossplane's expected lex output:
// at index at, drop del expected tokens and expect ours instead.
type lexDiff struct {
	at   int
	del  int
	ours []tokLine
}

// lexDiffs lists the deliberate differences, by crossplane source test.
var lexDiffs = map[string][]lexDiff{
	"tests/test_lex.py::test_messy_config": {
		// The comment line ends in a lone backslash. crossplane pairs it with
		// the newline and drops both; we keep the comment as written.
		{at: 3, del: 1, ours: []tokLine{{`# hello\n\\n\\\n worlddd  \#\\#\\\# dfsf\n \\n \\\n \`, 2}}},
		// "try_files /abc/${uri} /abc/${uri}.html =404 ;": after "${...}"
		// crossplane keeps appending, so the space after "}" lands inside one
		// token "/abc/${uri} /abc/${uri}.html". nginx ends the word at the
		// space, and so do we.
		{at: 74, del: 1, ours: []tokLine{{"/abc/${uri}", 19}, {"/abc/${uri}.html", 19}}},
	},
}

// TestLexCrossplane runs the lexer on each config of crossplane's lex tests
// and compares tokens (and lines, where recorded) with crossplane's.
func TestLexCrossplane(t *testing.T) {
	root, cases := xpCases(t, "lex")
	if len(cases) == 0 {
		t.Fatal("no lex cases")
	}
	for _, c := range cases {
		t.Run(path.Base(c.SourceTest), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(root, c.Config))
			if err != nil {
				t.Fatal(err)
			}
			var want []tokLine
			if c.TokenShape == "token" {
				var texts []string
				if err := json.Unmarshal(c.Expected, &texts); err != nil {
					t.Fatal(err)
				}
				for _, s := range texts {
					want = append(want, tokLine{s, 0})
				}
			} else {
				var pairs [][2]any
				if err := json.Unmarshal(c.Expected, &pairs); err != nil {
					t.Fatal(err)
				}
				for _, p := range pairs {
					s, _ := p[0].(string)
					n, _ := p[1].(float64)
					want = append(want, tokLine{s, int(n)})
				}
			}
			diffs := lexDiffs[c.SourceTest]
			for i := len(diffs) - 1; i >= 0; i-- { // from the end: indices stay valid
				d := diffs[i]
				want = slices.Replace(want, d.at, d.at+d.del, d.ours...)
			}
			toks, _ := Lex(data, c.Config)
			var got []tokLine
			for _, tok := range toks {
				line := tok.Line
				if c.TokenShape == "token" {
					line = 0
				}
				got = append(got, tokLine{tok.Text, line})
			}
			for i := 0; i < len(got) || i < len(want); i++ {
				var g, w tokLine
				if i < len(got) {
					g = got[i]
				}
				if i < len(want) {
					w = want[i]
				}
				if g != w {
					t.Errorf("%s: token %d = %q line %d; want %q line %d", c.Config, i, g.Text, g.Line, w.Text, w.Line)
				}
			}
		})
	}
}

// TestLoadCrossplane loads the config of each of crossplane's parse tests and
// checks the files read and the errors: where crossplane reports an error, a
// Problem must be at the same file and line, and where it reports none, there
// must be no Problem. Errors that need directive knowledge ("unknown
// directive" in strict mode) are a parser's business and are skipped.
func TestLoadCrossplane(t *testing.T) {
	root, cases := xpCases(t, "parse")
	for _, c := range cases {
		t.Run(path.Base(c.SourceTest), func(t *testing.T) {
			if single, _ := c.Options["single"].(bool); single {
				t.Skip("single=True: crossplane does not follow includes, Load always does")
			}
			var exp struct {
				Errors []struct {
					File  string `json:"file"`
					Error string `json:"error"`
					Line  *int   `json:"line"`
				} `json:"errors"`
				Config []struct {
					File string `json:"file"`
				} `json:"config"`
			}
			if err := json.Unmarshal(c.Expected, &exp); err != nil {
				t.Fatal(err)
			}
			conf := "/" + c.Config
			dir := path.Dir(conf)
			rel := func(p string) string { return strings.TrimPrefix(p, dir+"/") }
			cfg := Load(rootfs.Root{Dir: root}, conf, "", Limits{})

			// crossplane lists files in the order it first meets them, level by
			// level; Load lists them in nginx's depth-first order. Compare sets.
			if combine, _ := c.Options["combine"].(bool); !combine {
				var got, want []string
				for _, f := range cfg.Files {
					got = append(got, rel(f.Path))
				}
				for _, f := range exp.Config {
					want = append(want, f.File)
				}
				sort.Strings(got)
				sort.Strings(want)
				if !slices.Equal(got, want) {
					t.Errorf("files read = %q; want %q", got, want)
				}
			}

			var want []string
			for _, e := range exp.Errors {
				if strings.Contains(e.Error, "unknown directive") {
					continue
				}
				line := 0
				if e.Line != nil {
					line = *e.Line
				}
				want = append(want, e.File+":"+strconv.Itoa(line))
			}
			var got []string
			for _, p := range cfg.Problems {
				got = append(got, rel(p.File)+":"+strconv.Itoa(p.Line))
			}
			if !slices.Equal(got, want) {
				t.Errorf("problems at %q; want %q\nproblems: %v", got, want, cfg.Problems)
			}
		})
	}
}

// brokenOnPurpose are the crossplane test configs that are invalid on
// purpose, by path after "configs/" (both crossplane corpora share them),
// with the lex errors we expect ("line: message").
var brokenOnPurpose = map[string][]string{
	"missing-semicolon/broken-above.conf":                  {`4: directive "proxy_pass" is not terminated by ";"`},
	"missing-semicolon/broken-below.conf":                  {`7: directive "proxy_pass" is not terminated by ";"`},
	"missing-semicolon-above/nginx.conf":                   {`4: directive "proxy_pass" is not terminated by ";"`},
	"missing-semicolon-below/nginx.conf":                   {`7: directive "proxy_pass" is not terminated by ";"`},
	"braces/extra-brace.conf":                              {`11: unexpected "}"`},
	"braces/missing-brace.conf":                            {`22: unexpected end of file, expecting "}"`},
	"premature-eof/nginx.conf":                             {`3: unexpected end of file, expecting ";" or "}"`},
	"includes-regular/conf.d/bar.conf":                     {`2: unexpected end of file, expecting ";" or "}"`},
	"includes-regular/conf.d/foo.conf":                     {`2: unexpected end of file, expecting ";" or "}"`},
	"includes-globbed/servers/locations/not-included.conf": {`2: unexpected end of file, expecting ";" or "}"`},
	// nginx wants a space after a closing quote; crossplane does not care.
	"quote-behavior/nginx.conf": {`1: unexpected "-"`, `2: unexpected "l"`},
}

// TestLexCorpus lexes every configuration file of the corpus: none may make
// the lexer panic, and only files broken on purpose may have errors.
func TestLexCorpus(t *testing.T) {
	root := corpus(t)
	n := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isConfigFile(p) {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		n++
		toks, lexErr := Lex(data, rel)
		checkInvariants(t, rel, toks)
		got := errStrings(t, lexErr)
		key := filepath.ToSlash(rel)
		if i := strings.LastIndex(key, "configs/"); i >= 0 {
			key = strings.TrimPrefix(key[i+len("configs/"):], "testdata/")
		}
		if want, ok := brokenOnPurpose[key]; ok {
			if !slices.Equal(got, want) {
				t.Errorf("%s: errors %q; want %q", rel, got, want)
			}
			return nil
		}
		if len(got) > 0 {
			t.Errorf("%s: unexpected errors %q", rel, got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("lexed %d corpus files", n)
}

// isConfigFile reports whether the corpus file at p is nginx configuration
// (or a fragment of it) rather than an expected output or a licence.
func isConfigFile(p string) bool {
	base := filepath.Base(p)
	switch filepath.Ext(base) {
	case ".json", ".golden", ".md", ".txt", ".t":
		return false
	}
	return !strings.HasPrefix(base, "LICENSE") && !strings.HasPrefix(base, "COPYRIGHT") &&
		base != "copyright" && base != "token_file" && base != "config.json"
}

// checkInvariants checks what must hold for any token list.
func checkInvariants(t testing.TB, name string, toks []Token) {
	t.Helper()
	prev := 1
	for i, tok := range toks {
		if tok.Line < prev {
			t.Fatalf("%s: token %d %q on line %d, before line %d", name, i, tok.Text, tok.Line, prev)
		}
		prev = tok.Line
		switch tok.Kind {
		case Semicolon, BlockStart, BlockEnd:
			if tok.Text != map[TokenKind]string{Semicolon: ";", BlockStart: "{", BlockEnd: "}"}[tok.Kind] || tok.Quoted {
				t.Fatalf("%s: token %d: %v with text %q", name, i, tok.Kind, tok.Text)
			}
		case Comment:
			if !strings.HasPrefix(tok.Text, "#") || strings.Contains(tok.Text, "\n") {
				t.Fatalf("%s: token %d: bad comment %q", name, i, tok.Text)
			}
		case LuaBlock:
			if i+1 >= len(toks) || toks[i+1].Kind != Semicolon {
				t.Fatalf("%s: token %d: Lua block not followed by a semicolon", name, i)
			}
		case Word:
			if !tok.Quoted && tok.Text == "" {
				t.Fatalf("%s: token %d: empty unquoted word", name, i)
			}
			_ = tok.Value()
		default:
			t.Fatalf("%s: token %d: unknown kind %v", name, i, tok.Kind)
		}
	}
}
