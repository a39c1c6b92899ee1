package nginxconf

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// show formats a token for table tests as "line tag text": tag is w (word),
// q (quoted word), lua (Lua block body) or #; punctuation shows only itself.
func show(t Token) string {
	switch t.Kind {
	case Semicolon, BlockStart, BlockEnd:
		return fmt.Sprintf("%d %s", t.Line, t.Text)
	case Comment:
		return fmt.Sprintf("%d # %q", t.Line, t.Text)
	case LuaBlock:
		return fmt.Sprintf("%d lua %q", t.Line, t.Text)
	}
	if t.Quoted {
		return fmt.Sprintf("%d q %q", t.Line, t.Text)
	}
	return fmt.Sprintf("%d w %q", t.Line, t.Text)
}

func showAll(toks []Token) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = show(t)
	}
	return out
}

// errStrings returns the messages of err, an ErrorList, as "line: msg".
func errStrings(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error %v is a %T, want ErrorList", err, err)
	}
	var out []string
	for _, e := range list {
		out = append(out, fmt.Sprintf("%d: %s", e.Line, e.Msg))
	}
	return out
}

func TestLex(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
		errs []string
	}{
		{
			name: "simple",
			in:   "events {\n\tworker_connections 1024;\n}\n",
			want: []string{`1 w "events"`, `1 {`, `2 w "worker_connections"`, `2 w "1024"`, `2 ;`, `3 }`},
		},
		{
			name: "no space around punctuation",
			in:   "location /foo{}location /bar{return 200;}",
			want: []string{`1 w "location"`, `1 w "/foo"`, `1 {`, `1 }`, `1 w "location"`, `1 w "/bar"`, `1 {`, `1 w "return"`, `1 w "200"`, `1 ;`, `1 }`},
		},
		{
			name: "hash inside a word is not a comment",
			in:   "a#b c#;",
			want: []string{`1 w "a#b"`, `1 w "c#"`, `1 ;`},
		},
		{
			name: "comments at token start",
			in:   "http {#one\n  # two ; { }\n  a b; #three\n}",
			want: []string{`1 w "http"`, `1 {`, `1 # "#one"`, `2 # "# two ; { }"`, `3 w "a"`, `3 w "b"`, `3 ;`, `3 # "#three"`, `4 }`},
		},
		{
			name: "comment between arguments",
			in:   "log_format #c1\n  \\#arg\\ 1 #c2\n  '#arg 2'\n;",
			want: []string{`1 w "log_format"`, `1 # "#c1"`, `2 w "\\#arg\\ 1"`, `2 # "#c2"`, `3 q "#arg 2"`, `4 ;`},
		},
		{
			name: "double quotes with escapes",
			in:   `return 200 "a\"b\\c\n'd";`,
			want: []string{`1 w "return"`, `1 w "200"`, `1 q "a\"b\\\\c\\n'd"`, `1 ;`},
		},
		{
			name: "single quotes with escapes",
			in:   `add_header X '\'a\' \"b\"';`,
			want: []string{`1 w "add_header"`, `1 w "X"`, `1 q "'a' \\\"b\\\""`, `1 ;`},
		},
		{
			name: "quotes hold braces, semicolons, hashes and newlines",
			in:   "log_format j '{ \"a\": 1; } # x\n  y';\nnext;",
			want: []string{`1 w "log_format"`, `1 w "j"`, `1 q "{ \"a\": 1; } # x\n  y"`, `2 ;`, `3 w "next"`, `3 ;`},
		},
		{
			name: "empty quotes",
			in:   `map $a $b { '' 1; "" 2; }`,
			want: []string{`1 w "map"`, `1 w "$a"`, `1 w "$b"`, `1 {`, `1 q ""`, `1 w "1"`, `1 ;`, `1 q ""`, `1 w "2"`, `1 ;`, `1 }`},
		},
		{
			name: "quote inside a word is literal",
			in:   `a b"c d'e;`,
			want: []string{`1 w "a"`, `1 w "b\"c"`, `1 w "d'e"`, `1 ;`},
		},
		{
			name: "quoted string then parenthesis",
			in:   `if ($a = "b") { }`,
			want: []string{`1 w "if"`, `1 w "($a"`, `1 w "="`, `1 q "b"`, `1 w ")"`, `1 {`, `1 }`},
		},
		{
			name: "variable braces belong to the word",
			in:   "try_files /a/${uri} $foo${bar}baz ${x}.html;",
			want: []string{`1 w "try_files"`, `1 w "/a/${uri}"`, `1 w "$foo${bar}baz"`, `1 w "${x}.html"`, `1 ;`},
		},
		{
			name: "brace after escaped dollar opens a block",
			in:   `a \${b} }`,
			want: []string{`1 w "a"`, `1 w "\\$"`, `1 {`, `1 w "b}"`, `1 }`},
			errs: []string{`1: directive "b}" is not terminated by ";"`},
		},
		{
			name: "right brace inside a word is part of it, as in nginx",
			in:   "set $a b}c;",
			want: []string{`1 w "set"`, `1 w "$a"`, `1 w "b}c"`, `1 ;`},
		},
		{
			name: "escaped specials in a word",
			in:   `location /\{\;\}\ #\ ab {}`,
			want: []string{`1 w "location"`, `1 w "/\\{\\;\\}\\ #\\ ab"`, `1 {`, `1 }`},
		},
		{
			name: "escaped newline continues a word",
			in:   "a b\\\nc;",
			want: []string{`1 w "a"`, `1 w "b\\\nc"`, `2 ;`},
		},
		{
			name: "crlf line ends",
			in:   "a b;\r\nc \"d\r\ne\";\r\n",
			want: []string{`1 w "a"`, `1 w "b"`, `1 ;`, `2 w "c"`, `2 q "d\r\ne"`, `3 ;`},
		},
		{
			name: "non-utf-8 bytes pass through",
			in:   "return 200 \"M\xe4M\xf6\"; # \xff\nx \xfe;",
			want: []string{`1 w "return"`, `1 w "200"`, `1 q "M\xe4M\xf6"`, `1 ;`, `1 # "# \xff"`, `2 w "x"`, `2 w "\xfe"`, `2 ;`},
		},
		{
			name: "empty input",
			in:   "",
		},
		{
			name: "only comments and space",
			in:   "\n  # a\n\t\n",
			want: []string{`2 # "# a"`},
		},
		{
			name: "lua block with braces in strings and comments",
			in:   "content_by_lua_block {\n  ngx.say(\"}\", '{', \"\\\"}\")\n  -- a } comment\n  local t = {1, {2}}\n}\nnext;",
			want: []string{`1 w "content_by_lua_block"`, `5 lua "\n  ngx.say(\"}\", '{', \"\\\"}\")\n  -- a } comment\n  local t = {1, {2}}\n"`, `5 ;`, `6 w "next"`, `6 ;`},
		},
		{
			name: "lua long brackets and long comments",
			in:   "init_by_lua_block { local s = [[ } ]] local c = [==[ ]] } ]==] --[[ }\n ]] --[=[ } ]=] x = a[b[1]] }",
			want: []string{`1 w "init_by_lua_block"`, `2 lua " local s = [[ } ]] local c = [==[ ]] } ]==] --[[ }\n ]] --[=[ } ]=] x = a[b[1]] "`, `2 ;`},
		},
		{
			name: "lua minus is not a comment",
			in:   "access_by_lua_block { a = b - c; d = { e } }",
			want: []string{`1 w "access_by_lua_block"`, `1 lua " a = b - c; d = { e } "`, `1 ;`},
		},
		{
			name: "set_by_lua_block takes an argument",
			in:   "set_by_lua_block $res { return \"{\" }",
			want: []string{`1 w "set_by_lua_block"`, `1 w "$res"`, `1 lua " return \"{\" "`, `1 ;`},
		},
		{
			name: "lua block without space, quoted name, comment before brace",
			in:   "content_by_lua_block{a}\n\"rewrite_by_lua_block\" {b}\nlog_by_lua_block # {\n{c}",
			want: []string{`1 w "content_by_lua_block"`, `1 lua "a"`, `1 ;`, `2 q "rewrite_by_lua_block"`, `2 lua "b"`, `2 ;`, `3 w "log_by_lua_block"`, `3 # "# {"`, `4 lua "c"`, `4 ;`},
		},
		{
			name: "lua directive name as an argument is not lua",
			in:   "server_name content_by_lua_block;\nupstream content_by_lua_block {\n  # stuff\n}",
			want: []string{`1 w "server_name"`, `1 w "content_by_lua_block"`, `1 ;`, `2 w "upstream"`, `2 w "content_by_lua_block"`, `2 {`, `3 # "# stuff"`, `4 }`},
		},
		{
			name: "lua directive ended by semicolon is not lua",
			in:   "content_by_lua_block; x {}",
			want: []string{`1 w "content_by_lua_block"`, `1 ;`, `1 w "x"`, `1 {`, `1 }`},
		},
		{
			name: "unterminated lua string stops at the line end",
			in:   "content_by_lua_block { a = \"x\n}",
			want: []string{`1 w "content_by_lua_block"`, `2 lua " a = \"x\n"`, `2 ;`},
		},

		// Errors.
		{
			name: "unclosed block",
			in:   "events {}\nhttp {\n  server {\n  }\n\n",
			want: []string{`1 w "events"`, `1 {`, `1 }`, `2 w "http"`, `2 {`, `3 w "server"`, `3 {`, `4 }`},
			errs: []string{`4: unexpected end of file, expecting "}"`},
		},
		{
			name: "unterminated directive at end of file",
			in:   "http {\n  listen 80\n",
			want: []string{`1 w "http"`, `1 {`, `2 w "listen"`, `2 w "80"`},
			errs: []string{`2: unexpected end of file, expecting ";" or "}"`},
		},
		{
			name: "unclosed double quote",
			in:   "a \"b;\n}\n\nc",
			want: []string{`1 w "a"`},
			errs: []string{`4: unexpected end of file, expecting ";" or "}"`},
		},
		{
			name: "unclosed single quote ending in backslash",
			in:   `a 'b\`,
			want: []string{`1 w "a"`},
			errs: []string{`1: unexpected end of file, expecting ";" or "}"`},
		},
		{
			name: "extra right brace",
			in:   "a;\n}\nb;",
			want: []string{`1 w "a"`, `1 ;`, `2 }`, `3 w "b"`, `3 ;`},
			errs: []string{`2: unexpected "}"`},
		},
		{
			name: "missing semicolon before right brace",
			in:   "http {\n  server {\n    proxy_pass http://x\n  }\n}\n",
			want: []string{`1 w "http"`, `1 {`, `2 w "server"`, `2 {`, `3 w "proxy_pass"`, `3 w "http://x"`, `4 }`, `5 }`},
			errs: []string{`3: directive "proxy_pass" is not terminated by ";"`},
		},
		{
			name: "empty statements",
			in:   "a;;\n{}",
			want: []string{`1 w "a"`, `1 ;`, `1 ;`, `2 {`, `2 }`},
			errs: []string{`1: unexpected ";"`, `2: unexpected "{"`},
		},
		{
			name: "no space after a closing quote",
			in:   "\"a\"b 'c'\"d\" \"e\"\xff;",
			want: []string{`1 q "a"`, `1 w "b"`, `1 q "c"`, `1 q "d"`, `1 q "e"`, `1 w "\xff"`, `1 ;`},
			errs: []string{`1: unexpected "b"`, `1: unexpected """`, `1: unexpected "\xff"`},
		},
		{
			name: "unclosed lua block",
			in:   "content_by_lua_block {\n  x = \"}\"\n  -- }\n",
			want: []string{`1 w "content_by_lua_block"`},
			errs: []string{`3: unexpected end of file in Lua block, expecting "}"`},
		},
		{
			name: "unclosed lua long string",
			in:   "content_by_lua_block { x = [=[ } ]] }",
			want: []string{`1 w "content_by_lua_block"`},
			errs: []string{`1: unexpected end of file in Lua block, expecting "}"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			toks, err := Lex([]byte(tt.in), "t.conf")
			if got := showAll(toks); !slices.Equal(got, tt.want) {
				t.Errorf("Lex(%q) tokens:\n got %s\nwant %s", tt.in, strings.Join(got, "  "), strings.Join(tt.want, "  "))
			}
			if got := errStrings(t, err); !slices.Equal(got, tt.errs) {
				t.Errorf("Lex(%q) errors = %q; want %q", tt.in, got, tt.errs)
			}
		})
	}
}

func TestLexErrorFormat(t *testing.T) {
	_, err := Lex([]byte("a {\n}\n}\n"), "/etc/nginx/nginx.conf")
	if got, want := fmt.Sprint(err), `/etc/nginx/nginx.conf:3: unexpected "}"`; got != want {
		t.Errorf("Lex error = %q; want %q", got, want)
	}
	_, err = Lex([]byte("} } a"), "x.conf")
	want := `x.conf:1: unexpected "}" (and 2 more errors)`
	if got := fmt.Sprint(err); got != want {
		t.Errorf("Lex error = %q; want %q", got, want)
	}
}

func TestLexErrorLimit(t *testing.T) {
	_, err := Lex([]byte(strings.Repeat("}\n", 1000)), "x.conf")
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("Lex error %v is not an ErrorList", err)
	}
	if len(list) != maxErrors+1 || list[maxErrors].Msg != "too many errors" {
		t.Errorf("Lex of 1000 stray braces: %d errors, last %v; want %d ending with \"too many errors\"", len(list), list[len(list)-1], maxErrors+1)
	}
}

func TestTokenValue(t *testing.T) {
	tests := []struct {
		in   string
		want []string // values of the word tokens
	}{
		{`a "b\"c" 'd\'e' "f\\g" "h\'i" 'j\"k';`, []string{"a", `b"c`, `d'e`, `f\g`, `h'i`, `j"k`}},
		{`a "t\tr\rn\n" u\n\x\$;`, []string{"a", "t\tr\rn\n", "u\n\\x\\$"}},
		{`a \\\" "\\\"" "end\\";`, []string{"a", `\"`, `\"`, `end\`}},
		{`a /x\ y trailing\`, []string{"a", `/x\ y`, `trailing\`}},
	}
	for _, tt := range tests {
		toks, _ := Lex([]byte(tt.in), "t")
		var got []string
		for _, tok := range toks {
			if tok.Kind == Word {
				got = append(got, tok.Value())
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("values of %s = %q; want %q", tt.in, got, tt.want)
		}
	}
	for _, tok := range []Token{{Text: `\n`, Kind: Comment}, {Text: `\n`, Kind: LuaBlock}} {
		if tok.Value() != tok.Text {
			t.Errorf("%v.Value() = %q; want the text unchanged", tok.Kind, tok.Value())
		}
	}
}

func TestLexerNext(t *testing.T) {
	l := NewLexer([]byte("a { b; }"), "t")
	var n int
	for {
		_, ok := l.Next()
		if !ok {
			break
		}
		n++
	}
	if n != 5 {
		t.Errorf("Next returned %d tokens; want 5", n)
	}
	if _, ok := l.Next(); ok {
		t.Error("Next after the end returned a token")
	}
	if len(l.Errors()) != 0 {
		t.Errorf("Errors() = %v; want none", l.Errors())
	}
}

func TestTokenKindString(t *testing.T) {
	for k, want := range map[TokenKind]string{Word: "word", LuaBlock: "lua block", 99: "TokenKind(99)"} {
		if got := k.String(); got != want {
			t.Errorf("TokenKind(%d).String() = %q; want %q", k, got, want)
		}
	}
}
