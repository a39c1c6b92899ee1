package redact

import (
	"strings"

	"github.com/netsnap/netsnap/internal/nginxconf"
)

// passDirectives name an upstream or an address in their first argument.
var passDirectives = map[string]bool{
	"proxy_pass": true, "fastcgi_pass": true, "uwsgi_pass": true, "grpc_pass": true,
	"scgi_pass": true, "memcached_pass": true,
}

// nginxConf rewrites an nginx (Tengine, OpenResty) configuration file,
// tokenised as nginx reads it, keeping every byte that is not an address
// or a name. Names are replaced where nginx reads names: the name of an
// upstream block, the servers of an upstream, server_name, listen,
// resolver, the host of every *_pass and of "proxy_set_header Host";
// addresses, URL hosts and known names are replaced everywhere else,
// comments and Lua included. Upstream names and the names of proxy_pass
// get the same pseudonyms, so the configuration links up as it did.
func (r *rewriter) nginxConf(dst, data []byte) []byte {
	var stack []string // names of the open blocks
	var stmt []string  // words of the current statement so far (rewritten content not needed)
	i := 0
	for i < len(data) {
		c := data[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			dst = append(dst, c)
			i++
		case c == '#':
			end := i
			for end < len(data) && data[end] != '\n' {
				end++
			}
			dst = r.text(dst, data[i:end])
			i = end
		case c == ';':
			dst = append(dst, c)
			stmt = stmt[:0]
			i++
		case c == '{':
			dst = append(dst, c)
			i++
			name := ""
			if len(stmt) > 0 {
				name = stmt[0]
			}
			if strings.HasSuffix(name, "_by_lua_block") {
				end := luaBlockEnd(data, i)
				dst = r.text(dst, data[i:end])
				i = end
				if i < len(data) {
					dst = append(dst, '}')
					i++
				}
				stmt = stmt[:0]
				continue
			}
			stack = append(stack, name)
			stmt = stmt[:0]
		case c == '}':
			dst = append(dst, c)
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			stmt = stmt[:0]
			i++
		case c == '"' || c == '\'':
			end := i + 1
			for end < len(data) && data[end] != c {
				if data[end] == '\\' {
					end++
				}
				end++
			}
			end = min(end, len(data))
			content := string(data[i+1 : end])
			dst = append(dst, c)
			dst = append(dst, r.nginxWord(stack, stmt, content)...)
			stmt = append(stmt, content)
			if end < len(data) {
				dst = append(dst, c)
				end++
			}
			i = end
		default:
			end := nginxWordEnd(data, i)
			content := string(data[i:end])
			dst = append(dst, r.nginxWord(stack, stmt, content)...)
			stmt = append(stmt, content)
			i = end
		}
	}
	return dst
}

// nginxWordEnd returns the end of the unquoted word at data[i]: white
// space, ";" or "{" end it, except "{" right after "$" (${var}); a
// backslash protects the next byte.
func nginxWordEnd(data []byte, i int) int {
	variable := false
	for i < len(data) {
		c := data[i]
		if c == '{' && variable {
			i++
			continue
		}
		variable = false
		switch {
		case c == '\\':
			i++
		case c == '$':
			variable = true
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '{':
			return i
		}
		i++
	}
	return len(data)
}

// nginxWord returns the rewritten content of a word; stmt holds the words
// of its statement before it.
func (r *rewriter) nginxWord(stack, stmt []string, w string) string {
	parent := ""
	if len(stack) > 0 {
		parent = stack[len(stack)-1]
	}
	if len(stmt) == 0 {
		return r.textString(w)
	}
	name, idx := stmt[0], len(stmt)
	switch {
	case name == "upstream" && idx == 1:
		return r.name(w)
	case name == "server" && parent == "upstream" && idx == 1,
		name == "listen" && idx == 1:
		return r.hostPort(w)
	case passDirectives[name] && idx == 1:
		return r.passTarget(w)
	case name == "server_name":
		if !strings.HasPrefix(w, "~") && strings.ContainsAny(w, "$ ") {
			return r.textString(w)
		}
		return r.name(w)
	case name == "resolver" && !strings.Contains(w, "="):
		return r.hostPort(w)
	case idx == 2 && strings.HasSuffix(name, "_set_header") && strings.EqualFold(stmt[1], "host"),
		name == "proxy_ssl_name" && idx == 1, name == "grpc_ssl_name" && idx == 1:
		if strings.Contains(w, "$") {
			return r.textString(w)
		}
		return r.hostPort(w)
	}
	return r.textString(w)
}

// passTarget rewrites the target of proxy_pass and its kin:
// "http://host:port/uri", "host:port", "upstream_name", "unix:/path".
func (r *rewriter) passTarget(w string) string {
	scheme := ""
	rest := w
	if i := strings.Index(w, "://"); i >= 0 {
		scheme, rest = w[:i+3], w[i+3:]
	}
	if strings.HasPrefix(rest, "unix:") || strings.HasPrefix(rest, "$") || rest == "" {
		return scheme + r.textString(rest)
	}
	host, path := rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		host, path = rest[:i], rest[i:]
	}
	if strings.Contains(host, "$") {
		return scheme + r.textString(rest)
	}
	return scheme + r.hostPort(host) + r.textString(path)
}

// luaBlockEnd returns the index of the "}" that closes a Lua block whose
// body starts at data[i], counting braces outside Lua strings and
// comments as lua-nginx-module does (or len(data)).
func luaBlockEnd(data []byte, i int) int {
	depth := 1
	for i < len(data) {
		switch data[i] {
		case '-':
			if i+1 < len(data) && data[i+1] == '-' {
				i += 2
				if level, ok := nginxconf.LongBracket(data, i); ok {
					i = nginxconf.SkipLong(data, i, level)
				} else {
					for i < len(data) && data[i] != '\n' {
						i++
					}
				}
				continue
			}
		case '[':
			if level, ok := nginxconf.LongBracket(data, i); ok {
				i = nginxconf.SkipLong(data, i, level)
				continue
			}
		case '"', '\'':
			q := data[i]
			for i++; i < len(data) && data[i] != q && data[i] != '\n'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i
			}
		}
		i++
	}
	return len(data)
}
