package nginxconf

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// fuzzSeeds are small inputs with every quirk the lexer knows.
var fuzzSeeds = []string{
	"events { worker_connections 1024; }\nhttp { include conf.d/*.conf; }\n",
	"a#b \"c\\\"d\" 'e\\'f' g\\ h ${i}j $k${l}m # n\n;",
	"log_format j '{ \"a\": \"$b\" }';\nif ($a = \"b\") { return 200 \"x\\n\"; }",
	"content_by_lua_block { a = \"}\" -- }\n b = [==[ } ]==] --[[ } ]] c = { d } }",
	"set_by_lua_block $x { return '{' }\n\"rewrite_by_lua_block\" { }",
	"http {\n  server {\n    proxy_pass http://x\n  }\n",
	"}}; ;{ \"unterminated",
	"x 'a\n",
	"\xff\xfe \"\xe4\" # \x00\r\n;",
}

// fuzzCorpusFiles are corpus files added as seeds when the corpus is there.
var fuzzCorpusFiles = []string{
	"crossplane/configs/messy/nginx.conf",
	"crossplane/configs/lua-block-tricky/nginx.conf",
	"crossplane/configs/quote-behavior/nginx.conf",
	"h5bp-server-configs-nginx/nginx.conf",
	"docker-openresty/nginx.conf",
}

func FuzzLex(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	for _, name := range fuzzCorpusFiles {
		if data, err := os.ReadFile(filepath.Join(corpusRoot, name)); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		toks, err := Lex(data, "fuzz.conf")
		checkInvariants(t, "fuzz.conf", toks)
		if err == nil {
			return
		}
		var list ErrorList
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("error %v (%T) is not a non-empty ErrorList", err, err)
		}
		lines := 1 + bytes.Count(data, []byte{'\n'})
		for _, e := range list {
			if e.File != "fuzz.conf" || e.Line < 1 || e.Line > lines {
				t.Fatalf("error %q has a bad position (file has %d lines)", e, lines)
			}
		}
	})
}

// fuzzFiles are the files FuzzLoad fills, in order, from its input split at
// NUL bytes.
var fuzzFiles = []string{
	mainConf,
	"/etc/nginx/a.conf",
	"/etc/nginx/conf.d/b.conf",
	"/etc/nginx/conf.d/c.conf",
	"/etc/nginx/d/e.conf",
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte("include a.conf; http { include conf.d/*.conf; }\x00include d/e.conf;\x00error_log logs/b.log;\x00include nginx.conf;\x00pid x.pid;"))
	f.Add([]byte("include ../nginx.conf;\x00\x00include conf.d/[bc].conf;\x00include /etc/nginx/conf.d/?.conf;\x00include a.conf;"))
	f.Add([]byte("include 'a.conf'; error_log stderr; error_log syslog:x; include \"d/*\";\x00content_by_lua_block { include x; }"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := mapFS{}
		for i, part := range bytes.SplitN(data, []byte{0}, len(fuzzFiles)) {
			fsys[fuzzFiles[i]] = string(part)
		}
		c := Load(fsys, mainConf, "/usr/share/nginx", Limits{MaxFiles: 50})
		if len(c.Files) == 0 || c.Files[0].Path != mainConf {
			t.Fatalf("Files do not start with the main config: %v", c.Files)
		}
		read := map[string]bool{}
		for _, file := range c.Files {
			if read[file.Path] {
				t.Fatalf("%s read twice", file.Path)
			}
			read[file.Path] = true
			if _, ok := fsys[file.Path]; !ok {
				t.Fatalf("%s read but not in the FS", file.Path)
			}
		}
		refs := c.ErrorLogs
		if c.PID != nil {
			refs = append(refs, *c.PID)
		}
		for _, r := range refs {
			if !read[r.File] || r.Line < 1 || r.Path == "" {
				t.Fatalf("bad reference %+v", r)
			}
		}
		for _, p := range c.Problems {
			if !read[p.File] || p.Line < 1 {
				t.Fatalf("problem %q has a bad position", p)
			}
		}
	})
}
