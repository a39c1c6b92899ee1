// Package nginxconf reads nginx, Tengine and OpenResty configuration: a lexer
// that splits a file into tokens the way nginx does; Load, which follows
// include directives from a main configuration file and reports the error
// logs and pid file it names; and Parse, which builds the directive tree of
// the whole configuration, includes spliced in, as nginx reads it.
//
// Parse understands directives and blocks; single- and double-quoted strings
// and nginx's escapes (arguments are the values nginx uses); $variables and
// ${var}, kept as written; comments (dropped, or kept with Options.Comments);
// include with globs, relative to the directory of the main file, loops and
// missing files reported at the include; if (...) conditions, whose
// parentheses are removed as nginx and crossplane do; map, geo, types,
// split_clients, match and charset_map blocks, whose key/value pairs are
// Directives too; *_by_lua_block bodies, one raw argument each, read as Lua;
// and any directive it does not know (Tengine's check, dynamic_resolve,
// session_sticky, third-party modules), kept as written. Each directive keeps
// its file and line, and errors are reported in nginx's words at file:line.
//
// It does not evaluate variables, if conditions or regular expressions; does
// not check directive names, their contexts or their argument counts (only
// the syntax of if conditions and of map-like blocks); and does not read the
// files that directives other than include name (certificates, Lua files).
// Where crossplane, the reference parser, differs from nginx, Parse follows
// nginx (see Lexer).
//
// The package uses only the standard library and never panics on bad input.
package nginxconf
