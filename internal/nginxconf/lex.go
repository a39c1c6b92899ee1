package nginxconf

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// TokenKind says what a Token is.
type TokenKind uint8

// The kinds of token the lexer returns.
const (
	Word       TokenKind = iota // a directive name or an argument, quoted or not
	Semicolon                   // ";" ending a simple directive
	BlockStart                  // "{" opening a block
	BlockEnd                    // "}" closing a block
	Comment                     // "#" to the end of the line, "#" included, newline excluded
	LuaBlock                    // the raw body of a *_by_lua_block directive, outer braces excluded
)

var kindNames = [...]string{
	Word:       "word",
	Semicolon:  "semicolon",
	BlockStart: "block start",
	BlockEnd:   "block end",
	Comment:    "comment",
	LuaBlock:   "lua block",
}

// String returns a lowercase name for the kind, such as "word".
func (k TokenKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("TokenKind(%d)", k)
}

// Token is one token of an nginx configuration file.
//
// Text follows crossplane, so that token lists compare equal to its lexer's:
// an unquoted word is exactly as written, backslashes included; a quoted word
// is the text between the quotes with only an escaped closing quote (\" in
// "..." or \' in '...') unescaped. Value gives the string nginx itself uses.
//
// A LuaBlock token is followed by a Semicolon token that the lexer adds (as
// crossplane does), so that "content_by_lua_block {...}" reads like a simple
// directive with one argument.
type Token struct {
	Text   string    // the token text, see above
	Line   int       // line the token starts on; for LuaBlock, the line of its closing "}"
	Quoted bool      // the word was written in single or double quotes
	Kind   TokenKind // what the token is
}

// Value returns a Word's argument as nginx sees it: nginx turns \", \' and
// \\ into the character, \t, \r and \n into tab, carriage return and newline,
// and keeps any other backslash. For tokens other than words Value returns
// Text.
func (t Token) Value() string {
	if t.Kind != Word || strings.IndexByte(t.Text, '\\') < 0 {
		return t.Text
	}
	s := t.Text
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case '"', '\'', '\\':
				c = s[i+1]
				i++
			case 't':
				c = '\t'
				i++
			case 'r':
				c = '\r'
				i++
			case 'n':
				c = '\n'
				i++
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// maxErrors bounds the errors one Lexer records, so that a file of a million
// stray "}" does not make a million errors.
const maxErrors = 100

// luaBlockSuffix ends the names of OpenResty directives whose block is Lua.
const luaBlockSuffix = "_by_lua_block"

// Lexer splits an nginx configuration file into tokens, following nginx's
// ngx_conf_read_token. Syntax errors do not stop it: they are recorded (see
// Errors) and lexing goes on where nginx's own rules allow, so that a caller
// still sees the rest of the file. Only the end of input inside a quoted
// string or a Lua block ends lexing early.
//
// The errors are nginx's: an unbalanced "}" or end of file, ";" or "{"
// without a directive, anything but space, ";", "{" or ")" right after a
// closing quote, and a directive cut short by "}" (reported at the
// directive's line, as crossplane does).
//
// Where nginx and crossplane's lexer disagree, the Lexer follows nginx: only
// space, tab, CR and LF are white space; "}" inside a word is part of it
// ("b}c" is one word, as in nginx); "${" continues a word but "${a b}" is two
// words. The body of a *_by_lua_block directive is read as Lua, as
// lua-nginx-module does, with long brackets and "--" comments, and also when
// "{" follows the name without a space.
type Lexer struct {
	data  []byte
	file  string
	pos   int
	line  int
	depth int     // open blocks
	args  int     // words read in the current statement
	name  Token   // first word of the current statement
	queue []Token // scanned but not yet returned (the ";" after a Lua block)
	errs  ErrorList
	done  bool
}

// NewLexer returns a Lexer reading data; file names the data in errors.
func NewLexer(data []byte, file string) *Lexer {
	return &Lexer{data: data, file: file, line: 1}
}

// Lex returns all tokens of data, comments included. The error, if not nil,
// is an ErrorList of every syntax error found; the tokens are returned even
// then.
func Lex(data []byte, file string) ([]Token, error) {
	l := NewLexer(data, file)
	var toks []Token
	for {
		t, ok := l.Next()
		if !ok {
			break
		}
		toks = append(toks, t)
	}
	return toks, l.Errors().Err()
}

// Errors returns the syntax errors found so far.
func (l *Lexer) Errors() ErrorList { return l.errs }

// Next returns the next token, or false at the end of input.
func (l *Lexer) Next() (Token, bool) {
	if len(l.queue) > 0 {
		t := l.queue[0]
		l.queue = l.queue[1:]
		return t, true
	}
	if l.done {
		return Token{}, false
	}
	l.skipSpace()
	if l.pos >= len(l.data) {
		l.done = true
		switch {
		case l.args > 0:
			l.errorf(l.eofLine(), `unexpected end of file, expecting ";" or "}"`)
		case l.depth > 0:
			l.errorf(l.eofLine(), `unexpected end of file, expecting "}"`)
		}
		return Token{}, false
	}
	line := l.line
	switch c := l.data[l.pos]; c {
	case ';':
		l.pos++
		if l.args == 0 {
			l.errorf(line, `unexpected ";"`)
		}
		l.args = 0
		return Token{Text: ";", Line: line, Kind: Semicolon}, true
	case '{':
		l.pos++
		if l.args == 0 {
			l.errorf(line, `unexpected "{"`)
		} else if strings.HasSuffix(l.name.Text, luaBlockSuffix) {
			return l.luaBlock()
		}
		l.args = 0
		l.depth++
		return Token{Text: "{", Line: line, Kind: BlockStart}, true
	case '}':
		l.pos++
		if l.args > 0 {
			l.errorf(l.name.Line, `directive "%s" is not terminated by ";"`, l.name.Text)
		}
		if l.depth == 0 {
			l.errorf(line, `unexpected "}"`)
		} else {
			l.depth--
		}
		l.args = 0
		return Token{Text: "}", Line: line, Kind: BlockEnd}, true
	case '#':
		return l.comment(), true
	case '"', '\'':
		t, ok := l.quoted(c)
		if ok {
			l.addWord(t)
		}
		return t, ok
	default:
		t := l.word()
		l.addWord(t)
		return t, true
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n'
}

func (l *Lexer) errorf(line int, format string, args ...any) {
	switch {
	case len(l.errs) < maxErrors:
		l.errs.Add(l.file, line, fmt.Sprintf(format, args...))
	case len(l.errs) == maxErrors:
		l.errs.Add(l.file, line, "too many errors")
	}
}

func (l *Lexer) addWord(t Token) {
	if l.args == 0 {
		l.name = t
	}
	l.args++
}

func (l *Lexer) skipSpace() {
	for l.pos < len(l.data) && isSpace(l.data[l.pos]) {
		if l.data[l.pos] == '\n' {
			l.line++
		}
		l.pos++
	}
}

// eofLine is the line reported for an unexpected end of file: the last line
// with anything but white space on it.
func (l *Lexer) eofLine() int {
	i := len(l.data)
	for i > 0 && isSpace(l.data[i-1]) {
		i--
	}
	return 1 + bytes.Count(l.data[:i], []byte{'\n'})
}

func (l *Lexer) comment() Token {
	start := l.pos
	end := bytes.IndexByte(l.data[start:], '\n')
	if end < 0 {
		end = len(l.data)
	} else {
		end += start
	}
	l.pos = end
	return Token{Text: string(l.data[start:end]), Line: l.line, Kind: Comment}
}

// word reads an unquoted word. As in nginx, a backslash protects the next
// byte, "{" right after "$" belongs to the word (${var}), and only white
// space, ";" and "{" end a word: "}" and quotes inside a word are ordinary.
func (l *Lexer) word() Token {
	start, line := l.pos, l.line
	i := start
	variable := false
scan:
	for i < len(l.data) {
		c := l.data[i]
		if c == '{' && variable {
			i++
			continue
		}
		variable = false
		switch {
		case c == '\\':
			if i+1 < len(l.data) {
				if l.data[i+1] == '\n' {
					l.line++
				}
				i++
			}
		case c == '$':
			variable = true
		case isSpace(c) || c == ';' || c == '{':
			break scan
		}
		i++
	}
	l.pos = i
	return Token{Text: string(l.data[start:i]), Line: line, Kind: Word}
}

// quoted reads a string in quotes q. It returns false if the input ends
// before the closing quote.
func (l *Lexer) quoted(q byte) (Token, bool) {
	line := l.line
	var b []byte
	i := l.pos + 1
	for ; i < len(l.data); i++ {
		c := l.data[i]
		if c == q {
			break
		}
		if c == '\n' {
			l.line++
		}
		if c == '\\' && i+1 < len(l.data) {
			i++
			n := l.data[i]
			if n == '\n' {
				l.line++
			}
			if n != q {
				b = append(b, c)
			}
			c = n
		}
		b = append(b, c)
	}
	if i >= len(l.data) {
		l.pos = len(l.data)
		l.done = true
		l.errorf(l.eofLine(), `unexpected end of file, expecting ";" or "}"`)
		return Token{}, false
	}
	l.pos = i + 1
	// nginx wants white space, ";", "{" or ")" after a closing quote. A "}"
	// is reported when it is read, as an unterminated directive.
	if l.pos < len(l.data) {
		switch c := l.data[l.pos]; {
		case isSpace(c), c == ';', c == '{', c == '}', c == ')':
		default:
			l.errorf(l.line, `unexpected "%s"`, charAt(l.data, l.pos))
		}
	}
	return Token{Text: string(b), Line: line, Quoted: true, Kind: Word}, true
}

// charAt returns the character at data[i] for an error message: the UTF-8
// character if valid, else the byte in \x form.
func charAt(data []byte, i int) string {
	r, n := utf8.DecodeRune(data[i:])
	if r == utf8.RuneError && n <= 1 {
		return fmt.Sprintf(`\x%02x`, data[i])
	}
	return string(data[i : i+n])
}

// luaBlock reads the body of a *_by_lua_block directive, l.pos being just
// after its "{". Like lua-nginx-module, it counts braces outside Lua strings
// ('...', "...", [[...]], [==[...]==]) and comments (-- to the end of the
// line, --[[...]]).
func (l *Lexer) luaBlock() (Token, bool) {
	data := l.data
	start := l.pos
	depth := 1
	i := start
	for i < len(data) {
		switch data[i] {
		case '\n':
			l.line++
			i++
		case '-':
			if i+1 < len(data) && data[i+1] == '-' {
				i += 2
				if level, ok := LongBracket(data, i); ok {
					i = l.skipLong(i, level)
				} else {
					for i < len(data) && data[i] != '\n' {
						i++
					}
				}
			} else {
				i++
			}
		case '[':
			if level, ok := LongBracket(data, i); ok {
				i = l.skipLong(i, level)
			} else {
				i++
			}
		case '"', '\'':
			i = l.skipLuaString(i)
		case '{':
			depth++
			i++
		case '}':
			depth--
			if depth == 0 {
				l.pos = i + 1
				l.args = 0
				t := Token{Text: string(data[start:i]), Line: l.line, Kind: LuaBlock}
				l.queue = append(l.queue, Token{Text: ";", Line: l.line, Kind: Semicolon})
				return t, true
			}
			i++
		default:
			i++
		}
	}
	l.pos = len(data)
	l.done = true
	l.errorf(l.eofLine(), `unexpected end of file in Lua block, expecting "}"`)
	return Token{}, false
}

// LongBracket reports whether a Lua long bracket [[ or [=*[ opens at
// data[i], and its level (the number of "="). Exported for the redactor,
// which tokenizes Lua blocks the same way.
func LongBracket(data []byte, i int) (int, bool) {
	if i >= len(data) || data[i] != '[' {
		return 0, false
	}
	j := i + 1
	for j < len(data) && data[j] == '=' {
		j++
	}
	if j < len(data) && data[j] == '[' {
		return j - i - 1, true
	}
	return 0, false
}

// SkipLong returns the index after the closing bracket of the long string
// or comment of the given level opening at data[i], or len(data).
func SkipLong(data []byte, i, level int) int {
	for i += level + 2; i < len(data); i++ {
		if data[i] != ']' {
			continue
		}
		j := i + 1
		for j < len(data) && data[j] == '=' {
			j++
		}
		if j < len(data) && data[j] == ']' && j-i-1 == level {
			return j + 1
		}
	}
	return len(data)
}

// skipLong is SkipLong counting the lines it skips.
func (l *Lexer) skipLong(i, level int) int {
	end := SkipLong(l.data, i, level)
	l.line += bytes.Count(l.data[i:end], []byte{'\n'})
	return end
}

// skipLuaString skips a short Lua string opening at data[i] and returns the
// index after its closing quote. An unescaped newline ends the string too
// (Lua would reject it), so a stray quote cannot swallow the rest of the file.
func (l *Lexer) skipLuaString(i int) int {
	data := l.data
	q := data[i]
	for i++; i < len(data); i++ {
		switch data[i] {
		case q:
			return i + 1
		case '\n':
			return i
		case '\\':
			if i+1 < len(data) {
				i++
				if data[i] == '\n' {
					l.line++
				}
			}
		}
	}
	return len(data)
}
