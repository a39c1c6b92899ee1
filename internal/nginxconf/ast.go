package nginxconf

import (
	"strconv"
	"strings"
)

// Directive is one directive of a configuration, with its arguments and, for
// a block, its children.
//
// Inside the blocks whose children are key/value pairs rather than
// directives (map, geo, types, split_clients, match, charset_map; see
// HoldsPairs), each pair is a Directive too: Name is the key, Args the
// values. A key may then be empty (a map's "" key); a directive's Name never
// is.
type Directive struct {
	Name string
	// Args are the argument values as nginx uses them (Token.Value): quotes
	// removed, escapes resolved. The body of a *_by_lua_block directive is
	// its last argument, raw. For "if", the parentheses around the condition
	// are removed, as nginx and crossplane do: "if ($a = b)" has Args
	// ["$a", "=", "b"].
	Args []string
	File string // absolute path of the file the directive is written in
	Line int    // line of its name in File, from 1
	// Block holds the children of a block directive; it is nil for a simple
	// directive and non-nil, possibly empty, for a block.
	Block []*Directive
	// Include, for an include directive, lists the files whose directives
	// follow it in the tree, in order (see Parsed).
	Include []string
	// Comment is the text after "#" of a comment, kept as a Directive named
	// "#" only when Options.Comments is set.
	Comment string
}

// pairBlocks are the blocks whose children are key/value pairs. All but
// match are read by nginx with a custom handler, which rejects "{".
var pairBlocks = map[string]bool{
	"map":           true,
	"geo":           true,
	"types":         true,
	"split_clients": true,
	"match":         true,
	"charset_map":   true,
}

// IsBlock reports whether d is a block directive ("name args { ... }").
func (d *Directive) IsBlock() bool { return d.Block != nil }

// HoldsPairs reports whether d is a block whose children are key/value pairs
// rather than directives: map, geo, types, split_clients, match and
// charset_map. A walker looking for directives skips such blocks.
func (d *Directive) HoldsPairs() bool { return d.Block != nil && pairBlocks[d.Name] }

// Arg returns argument i, or "" if d has fewer arguments.
func (d *Directive) Arg(i int) string {
	if i < 0 || i >= len(d.Args) {
		return ""
	}
	return d.Args[i]
}

// Child returns the first child of d named name, or nil. Included files are
// spliced into the tree, so it finds a child wherever it is written.
func (d *Directive) Child(name string) *Directive {
	for _, c := range d.Block {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Children returns the children of d named name, in order.
func (d *Directive) Children(name string) []*Directive {
	var out []*Directive
	for _, c := range d.Block {
		if c.Name == name {
			out = append(out, c)
		}
	}
	return out
}

// Pos returns "file:line", where d is written.
func (d *Directive) Pos() string { return d.File + ":" + strconv.Itoa(d.Line) }

// String returns the directive as it could be written, without its block:
// name and arguments, quoted where needed, such as `add_header X "a b"`.
func (d *Directive) String() string {
	if d.Name == "#" && len(d.Args) == 0 && d.Block == nil {
		return "#" + d.Comment
	}
	var b strings.Builder
	b.WriteString(quoteArg(d.Name))
	for _, a := range d.Args {
		b.WriteByte(' ')
		b.WriteString(quoteArg(a))
	}
	return b.String()
}

// quoteArg returns s as it can be written in a configuration: as is when
// nginx would read it back as one word with the same value, else
// double-quoted with escapes.
func quoteArg(s string) string {
	plain := s != "" && s[0] != '#' && s[0] != '}' && !strings.ContainsAny(s, " \t\r\n;\"'\\")
	for i := 0; plain && i < len(s); i++ {
		plain = s[i] != '{' || (i > 0 && s[i-1] == '$')
	}
	if plain {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\t", `\t`, "\r", `\r`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// Find returns the directives of tree named name at any depth, in the order
// they are written (depth first), leaving out the pairs of map-like blocks
// (see HoldsPairs).
func Find(tree []*Directive, name string) []*Directive {
	var out []*Directive
	Walk(tree, func(d *Directive, _ []*Directive) bool {
		if d.Name == name {
			out = append(out, d)
		}
		return !d.HoldsPairs()
	})
	return out
}

// Walk visits every directive of tree depth first, in the order they are
// written, calling fn with the directive and its ancestors, outermost first.
// If fn returns false, Walk does not visit d's children. The parents slice is
// only valid during the call: copy it to keep it.
func Walk(tree []*Directive, fn func(d *Directive, parents []*Directive) bool) {
	var stack []*Directive
	var walk func(list []*Directive)
	walk = func(list []*Directive) {
		for _, d := range list {
			if fn(d, stack[:len(stack):len(stack)]) && len(d.Block) > 0 {
				stack = append(stack, d)
				walk(d.Block)
				stack = stack[:len(stack)-1]
			}
		}
	}
	walk(tree)
}
