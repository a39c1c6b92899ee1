// Package nginxconf reads nginx, Tengine and OpenResty configuration: a lexer
// that splits a file into tokens the way nginx does, and Load, which follows
// include directives from a main configuration file and reports the error
// logs and pid file it names.
//
// The package uses only the standard library and never panics on bad input.
package nginxconf
