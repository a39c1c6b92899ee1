package nginxconf

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// fuzzParseCorpusFiles are corpus files added as FuzzParse seeds (as the main
// file) when the corpus is there.
var fuzzParseCorpusFiles = []string{
	"crossplane/configs/messy/nginx.conf",
	"crossplane/configs/lua-block-tricky/nginx.conf",
	"crossplane/configs/comments-between-args/nginx.conf",
	"nginx-go-crossplane/testdata/configs/invalid-map/nginx.conf",
	"nginx-go-crossplane/testdata/configs/if-expr/nginx.conf",
	"nginx-go-crossplane/testdata/configs/returns/nginx.conf",
	"nginx-go-crossplane/testdata/configs/geo/nginx.conf",
	"h5bp-server-configs-nginx/nginx.conf",
	"tengine/upstream_check_module_test_blocks/http_check.TEST_1.http_config.conf",
	"docker-openresty/nginx.conf",
}

// FuzzParse parses an in-memory configuration of up to five files (the
// input split at NUL bytes, see fuzzFiles) with and without comments: Parse
// must not panic, every directive must have a name (but a map-like block's
// key may be empty), a line within its file and a file that was read, and
// every problem a position.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte("http { include a.conf; include conf.d/*.conf; }\x00server { if ($a = b) { return 200; } }\x00" +
		"map $a $b { '' 1; include d/e.conf; x { } }\x00types { text/html html; }\x00include nginx.conf; include a.conf;"))
	f.Add([]byte("include a.conf; include a.conf;\x00include conf.d/b.conf; include conf.d/c.conf;\x00" +
		"include conf.d/c.conf;\x00include d/e.conf; include d/e.conf;\x00x 1; y { z; }"))
	f.Add([]byte("if () {} if ( ) {} if ($a {} if a) {} if {} \"\" {} set_by_lua_block $x { return 1 }"))
	for _, name := range fuzzParseCorpusFiles {
		if data, err := os.ReadFile(filepath.Join(corpusRoot, name)); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := mapFS{}
		lines := map[string]int{}
		for i, part := range bytes.SplitN(data, []byte{0}, len(fuzzFiles)) {
			fsys[fuzzFiles[i]] = string(part)
			lines[fuzzFiles[i]] = 1 + bytes.Count(part, []byte{'\n'})
		}
		for _, opt := range []Options{{}, {Comments: true}} {
			p := opt.Parse(fsys, mainConf, "/usr/share/nginx", Limits{MaxFiles: 50, MaxDirectives: 20000})
			if p.Main != mainConf || len(p.Files) == 0 || p.Files[0] != mainConf {
				t.Fatalf("Main %q, Files %q: want the main config first", p.Main, p.Files)
			}
			checkTree(t, p)
			n := 0
			Walk(p.Tree, func(d *Directive, parents []*Directive) bool {
				n++
				if d.Line > lines[d.File] {
					t.Fatalf("%s: line %d of a %d-line file", d.Pos(), d.Line, lines[d.File])
				}
				if d.Name == "#" && !opt.Comments && d.Comment != "" {
					t.Fatalf("%s: comment kept without Options.Comments", d.Pos())
				}
				return true
			})
			if n > 20000 {
				t.Fatalf("%d directives, over the limit", n)
			}
			for _, e := range p.Problems {
				if e.Line < 1 || e.Line > lines[e.File] {
					t.Fatalf("problem %q has a bad position", e)
				}
			}
		}
	})
}
