package parse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/netsnap/netsnap/analysis/model"
)

// maxSysctlValue is the largest sysctl file SysctlTree reads; a larger one
// is a problem (the largest real ones, such as tcp_available_congestion_control
// or a full ip_local_reserved_ports, are well under 1 KiB).
const maxSysctlValue = 64 << 10

// SysctlTree reads every regular file below root in fsys (for example
// "proc/sys" or "proc/sys/net" of a snapshot) as one sysctl. The key is the
// file's path below "proc/sys" (or below root when root has no "proc/sys"
// element) with "/" turned into ".": proc/sys/net/core/somaxconn is
// "net.core.somaxconn". The value is the file's content with whitespace
// trimmed and inner runs folded to one space.
//
// The dotted form is ambiguous where a path element holds a dot, as an
// interface name such as eth0.100 does: proc/sys/net/ipv4/conf/eth0.100/rp_filter
// gives "net.ipv4.conf.eth0.100.rp_filter", which sysctl(8) would spell
// "net.ipv4.conf.eth0/100.rp_filter". SysctlConf and RCLocal map that
// spelling to the same key, so runtime and persisted values still compare;
// a reader that needs the interface must look the names up in the tree.
//
// A file that cannot be read, or is larger than 64 KiB, is a problem (line
// 0, the message naming the file) and has no key. Directories that cannot
// be read are problems too; an error is returned only when root itself
// cannot be walked, and then errors.Is(err, fs.ErrNotExist) tells a
// missing tree.
func SysctlTree(fsys fs.FS, root string, p *Problems) (model.Sysctls, error) {
	root = path.Clean(root)
	base := sysctlBase(root)
	out := model.Sysctls{}
	buf := make([]byte, maxSysctlValue+1)
	err := fs.WalkDir(fsys, root, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			if name == root && d == nil {
				return err
			}
			p.Addf(0, "%s: %v", name, unwrapPath(err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		v, msg := readSysctl(fsys, name, buf)
		if msg != "" {
			p.Addf(0, "%s: %s", name, msg)
			return nil
		}
		out[sysctlTreeKey(base, name)] = v
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("sysctl tree %s: %w", root, err)
	}
	return out, nil
}

// sysctlBase returns the directory keys are relative to: root up to and
// including its first "proc/sys" elements, or root itself.
func sysctlBase(root string) string {
	el := strings.Split(root, "/")
	for i := 0; i+1 < len(el); i++ {
		if el[i] == "proc" && el[i+1] == "sys" {
			return strings.Join(el[:i+2], "/")
		}
	}
	return root
}

// sysctlTreeKey turns a file name below base into a dotted key.
func sysctlTreeKey(base, name string) string {
	rel := name
	switch {
	case base == ".":
	case name == base:
		rel = path.Base(name)
	default:
		rel = strings.TrimPrefix(name, base+"/")
	}
	return strings.ReplaceAll(rel, "/", ".")
}

// readSysctl reads one sysctl file through buf and returns its folded
// value, or a message saying why it could not.
func readSysctl(fsys fs.FS, name string, buf []byte) (string, string) {
	f, err := fsys.Open(name)
	if err != nil {
		return "", unwrapPath(err).Error()
	}
	defer f.Close()
	n, err := io.ReadFull(f, buf)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return "", unwrapPath(err).Error()
	}
	if n > maxSysctlValue {
		return "", fmt.Sprintf("longer than %d bytes", maxSysctlValue)
	}
	return string(foldSpace(buf[:n])), ""
}

// unwrapPath drops the operation and path of a *fs.PathError, which the
// messages name already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// foldSpace trims b and folds inner runs of blanks, tabs and newlines to
// one space, in place.
func foldSpace(b []byte) []byte {
	out := b[:0]
	space := false
	for _, c := range b {
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' {
			space = len(out) > 0
			continue
		}
		if space {
			out = append(out, ' ')
			space = false
		}
		out = append(out, c)
	}
	return out
}

// foldString is foldSpace for a string.
func foldString(s string) string {
	return string(foldSpace([]byte(s)))
}

// SysctlKey returns the dotted key, as SysctlTree spells it, of a key
// written the ways sysctl(8) accepts: "net.ipv4.tcp_fin_timeout",
// "net/ipv4/tcp_fin_timeout", or with "/" standing for a dot inside a path
// element ("net.ipv4.conf.eth0/100.rp_filter"). Surrounding blanks and a
// leading "/" are dropped.
func SysctlKey(k string) string {
	k = strings.TrimSpace(k)
	k = strings.TrimLeft(k, "/")
	return strings.ReplaceAll(k, "/", ".")
}

// SysctlConf reads sysctl.conf or a sysctl.d file: "key = value" or
// "key=value" lines, "#" and ";" comment lines, blank lines. A leading "-"
// (systemd-sysctl: ignore a failure to set the key) is dropped. Keys are
// returned in SysctlTree's dotted form (see SysctlKey); a key may be a
// glob as systemd-sysctl allows ("net.ipv4.conf.*.rp_filter"), returned as
// written. Values are trimmed and folded like SysctlTree's, and kept as
// written otherwise: a trailing "# comment" is part of the value, as it is
// for sysctl(8). A line without "=", with an empty key or value, or with
// blanks inside the key, is a problem and skipped. file fills each
// setting's File.
func SysctlConf(r io.Reader, file string, p *Problems) ([]model.SysctlSetting, error) {
	lr := newLineReader(r, p)
	var out []model.SysctlSetting
	for {
		line, err := lr.next()
		if err != nil {
			return out, lr.done(err)
		}
		s := strings.TrimSpace(string(line))
		if s == "" || s[0] == '#' || s[0] == ';' {
			continue
		}
		s = strings.TrimPrefix(s, "-")
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			p.Addf(lr.n, "want \"key = value\"")
			continue
		}
		k = strings.TrimSpace(k)
		v = foldString(v)
		switch {
		case k == "" || strings.Trim(k, "./") == "":
			p.Addf(lr.n, "empty key")
			continue
		case strings.ContainsAny(k, " \t"):
			p.Addf(lr.n, "bad key %s", quoteShort(k))
			continue
		case v == "":
			p.Addf(lr.n, "%s: empty value", k)
			continue
		}
		out = append(out, model.SysctlSetting{Key: SysctlKey(k), Value: v, File: file, Line: lr.n})
	}
}

// maxShellLines bounds how many physical lines RCLocal joins into one
// command (backslash continuations, quotes spanning lines).
const maxShellLines = 64

// RCLocal extracts the sysctl settings of a boot script such as
// /etc/rc.local: "sysctl -w key=value" (with any of -q, -e, -w, a path
// such as /sbin/sysctl, several key=value arguments, or none of -w, as
// procps' sysctl accepts) and "echo VALUE > /proc/sys/..." (also ">>",
// "echo -n", and "echo VALUE | tee /proc/sys/..."). Words are read as the
// shell reads them: quotes, backslashes, comments, ";", "&&", "||" and
// "|" between commands, backslash-continued lines, and here-documents
// (whose bodies are skipped). A setting is found anywhere in a line
// ("if ...; then sysctl -w ...; fi", after sudo or an environment
// assignment).
//
// Lines that set nothing are skipped silently. A setting whose key or
// value depends on the shell ("$VAR", "`cmd`", "$(cmd)"), an echo of
// nothing, "sysctl -w" with an argument that is not key=value, or an
// unterminated quote in a line that mentions sysctl or /proc/sys, is a
// problem and skipped. Line is the first line of the command.
func RCLocal(r io.Reader, file string, p *Problems) ([]model.SysctlSetting, error) {
	lr := newLineReader(r, p)
	var out []model.SysctlSetting
	pending := "" // a command continued over several lines
	first, lines := 0, 0
	heredoc := "" // terminator of the here-document being skipped
	heredocTabs := false
	for {
		raw, err := lr.next()
		if err != nil {
			if err == io.EOF && pending != "" {
				rcCommand(pending, first, file, p, &out)
			}
			return out, lr.done(err)
		}
		line := string(bytes.TrimSuffix(raw, []byte("\r")))
		if heredoc != "" {
			t := line
			if heredocTabs {
				t = strings.TrimLeft(t, "\t")
			}
			if t == heredoc {
				heredoc = ""
			}
			continue
		}
		if pending == "" {
			first, lines = lr.n, 0
		}
		lines++
		if n := len(line) - len(strings.TrimRight(line, "\\")); n%2 == 1 && lines < maxShellLines {
			pending += line[:len(line)-1] // backslash-newline joins the lines
			continue
		}
		pending += line
		if _, complete := shellWords(pending); !complete && lines < maxShellLines {
			pending += "\n" // a quote spans lines
			continue
		}
		heredoc, heredocTabs = rcCommand(pending, first, file, p, &out)
		pending = ""
	}
}

// rcCommand appends the settings of one (possibly joined) command line and
// returns the terminator of a here-document it starts. An incomplete line
// that looks like it sets a sysctl is a problem.
func rcCommand(text string, line int, file string, p *Problems, out *[]model.SysctlSetting) (string, bool) {
	words, complete := shellWords(text)
	if !complete {
		if strings.Contains(text, "sysctl") || strings.Contains(text, "/proc/sys") {
			p.Addf(line, "unterminated quote or continuation")
		}
		return "", false
	}
	rcSettings(words, line, file, p, out)
	return heredocEnd(words)
}

// shellWord is a word or an operator of a shell command line.
type shellWord struct {
	text    string
	op      bool // an operator: ; & && | || ( ) > >> < << <<- >| &>
	fd      int  // for redirections: the file descriptor, 1 for ">" and 0 for "<"
	literal bool // no $ or ` expansion outside single quotes
}

// shellWords splits a command line as a POSIX shell would, far enough to
// find simple commands: quotes and backslashes are removed, "#" starts a
// comment at the start of a word, and operators are words of their own.
// complete is false when a quote is left open or the line ends in a
// backslash.
func shellWords(s string) (words []shellWord, complete bool) {
	var cur strings.Builder
	inWord, literal := false, true
	flush := func() {
		if inWord {
			words = append(words, shellWord{text: cur.String(), literal: literal})
		}
		cur.Reset()
		inWord, literal = false, true
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			flush()
		case c == '#' && !inWord:
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '\\':
			if i+1 == len(s) {
				return words, false
			}
			i++
			if s[i] != '\n' {
				cur.WriteByte(s[i])
				inWord = true
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return words, false
			}
			cur.WriteString(s[i+1 : i+1+j])
			inWord = true
			i += j + 1
		case c == '"':
			inWord = true
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				switch {
				case s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`\n", s[i+1]) >= 0:
					i++
					if s[i] != '\n' {
						cur.WriteByte(s[i])
					}
				case s[i] == '$' || s[i] == '`':
					literal = false
					cur.WriteByte(s[i])
				default:
					cur.WriteByte(s[i])
				}
			}
			if i == len(s) {
				return words, false
			}
		case c == '$' && i+1 < len(s) && s[i+1] == '(' || c == '`':
			// $(cmd) or `cmd`: kept whole, whatever blanks and operators it holds.
			j := substitutionEnd(s, i)
			if j < 0 {
				return words, false
			}
			literal = false
			inWord = true
			cur.WriteString(s[i:j])
			i = j - 1
		case c == '$':
			literal = false
			inWord = true
			cur.WriteByte(c)
		case strings.IndexByte(";&|()<>", c) >= 0:
			fd := -1
			if (c == '<' || c == '>') && inWord && literal && isDigits(cur.String()) && cur.Len() < 4 {
				fd = atoiSmall(cur.String()) // "2>file": an io number, not a word
				cur.Reset()
				inWord = false
			}
			flush()
			op := shellOp(s[i:])
			if fd < 0 {
				fd = 1
				if c == '<' {
					fd = 0
				}
			}
			words = append(words, shellWord{text: op, op: true, fd: fd, literal: true})
			i += len(op) - 1
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	flush()
	return words, true
}

// substitutionEnd returns the index after the command substitution that
// starts at s[i] ("$(" or "`"), or -1 when it is not closed.
func substitutionEnd(s string, i int) int {
	if s[i] == '`' {
		for j := i + 1; j < len(s); j++ {
			switch s[j] {
			case '\\':
				j++
			case '`':
				return j + 1
			}
		}
		return -1
	}
	depth := 0
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return j + 1
			}
		}
	}
	return -1
}

// shellOp returns the operator at the start of s.
func shellOp(s string) string {
	for _, op := range []string{"&&", "||", ";;", ">>", ">|", ">&", "<<-", "<<", "<&", "&>", "<>"} {
		if strings.HasPrefix(s, op) {
			return op
		}
	}
	return s[:1]
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// atoiSmall converts up to three digits.
func atoiSmall(s string) int {
	n := 0
	for _, c := range []byte(s) {
		n = n*10 + int(c-'0')
	}
	return n
}

// heredocEnd returns the terminator of a here-document the words start
// ("<<EOF", "<<-'EOF'"), and whether its lines may be indented with tabs.
func heredocEnd(words []shellWord) (string, bool) {
	for i, w := range words {
		if w.op && (w.text == "<<" || w.text == "<<-") && i+1 < len(words) && !words[i+1].op {
			return words[i+1].text, w.text == "<<-"
		}
	}
	return "", false
}

// simpleCommand is a command of a line: its words and where stdout goes.
type simpleCommand struct {
	args    []shellWord
	stdout  *shellWord // target of "> file" or ">> file", if any
	pipeOut bool       // "cmd | next"
}

// splitCommands splits words into simple commands at ; & && || | ( ).
func splitCommands(words []shellWord) []simpleCommand {
	var cmds []simpleCommand
	var cur simpleCommand
	for i := 0; i < len(words); i++ {
		w := words[i]
		if !w.op {
			cur.args = append(cur.args, w)
			continue
		}
		switch w.text {
		case ">", ">>", ">|", "&>", "<", "<<", "<<-", "<>", ">&", "<&":
			if i+1 < len(words) && !words[i+1].op {
				i++
				if (w.text == ">" || w.text == ">>" || w.text == ">|" || w.text == "&>") && w.fd == 1 {
					t := words[i]
					cur.stdout = &t
				}
			}
			continue
		}
		cur.pipeOut = w.text == "|"
		cmds = append(cmds, cur)
		cur = simpleCommand{}
	}
	return append(cmds, cur)
}

// commandName skips the words before a command's name: reserved words,
// environment assignments and wrappers such as sudo.
func commandName(args []shellWord) (name string, rest []shellWord) {
	for len(args) > 0 {
		w := args[0].text
		switch w {
		case "then", "do", "else", "elif", "if", "while", "until", "{", "}", "!",
			"exec", "command", "nohup", "time", "builtin":
			args = args[1:]
			continue
		case "sudo":
			args = args[1:]
			for len(args) > 0 && strings.HasPrefix(args[0].text, "-") {
				args = args[1:]
			}
			continue
		}
		if k, _, ok := strings.Cut(w, "="); ok && k != "" && !strings.ContainsAny(k, "./-") {
			args = args[1:] // VAR=value before the command
			continue
		}
		return path.Base(w), args[1:]
	}
	return "", nil
}

// rcSettings appends the settings of one command line's words.
func rcSettings(words []shellWord, line int, file string, p *Problems, out *[]model.SysctlSetting) {
	cmds := splitCommands(words)
	for i, c := range cmds {
		name, args := commandName(c.args)
		switch name {
		case "sysctl":
			sysctlArgs(args, line, file, p, out)
		case "echo":
			var targets []shellWord
			if c.stdout != nil {
				targets = append(targets, *c.stdout)
			} else if c.pipeOut && i+1 < len(cmds) {
				if n, a := commandName(cmds[i+1].args); n == "tee" {
					for _, t := range a {
						if !strings.HasPrefix(t.text, "-") {
							targets = append(targets, t)
						}
					}
				}
			}
			echoSettings(args, targets, mentionsProcSys(words), line, file, p, out)
		}
	}
}

// mentionsProcSys reports whether any word names a path below /proc/sys.
func mentionsProcSys(words []shellWord) bool {
	for _, w := range words {
		if strings.Contains(w.text, "/proc/sys/") {
			return true
		}
	}
	return false
}

// sysctlArgs handles the arguments of one sysctl command.
func sysctlArgs(args []shellWord, line int, file string, p *Problems, out *[]model.SysctlSetting) {
	write := false
	for _, a := range args {
		if strings.HasPrefix(a.text, "-") && !strings.Contains(a.text, "=") {
			switch {
			case a.text == "--write":
				write = true
			case a.text == "--load" || a.text == "--system" || a.text == "--all" ||
				!strings.HasPrefix(a.text, "--") && strings.ContainsAny(a.text, "pfaAX"):
				return // loads a file or prints: no settings on the command line
			case !strings.HasPrefix(a.text, "--") && strings.Contains(a.text, "w"):
				write = true
			}
			continue
		}
		k, v, ok := strings.Cut(a.text, "=")
		switch {
		case !ok:
			if write {
				p.Addf(line, "sysctl -w %s: want key=value", quoteShort(a.text))
			}
		case !a.literal:
			p.Addf(line, "sysctl %s: depends on the shell", quoteShort(a.text))
		case SysctlKey(k) == "" || strings.ContainsAny(k, " \t"):
			p.Addf(line, "sysctl %s: bad key", quoteShort(a.text))
		case foldString(v) == "":
			p.Addf(line, "sysctl %s: empty value", quoteShort(a.text))
		default:
			*out = append(*out, model.SysctlSetting{Key: SysctlKey(k), Value: foldString(v), File: file, Line: line})
		}
	}
}

// echoSettings handles "echo ARGS > TARGET" for targets below /proc/sys.
// A target that depends on the shell is a problem when the command line
// mentions /proc/sys anywhere (mention), since it likely sets a sysctl.
func echoSettings(args, targets []shellWord, mention bool, line int, file string, p *Problems, out *[]model.SysctlSetting) {
	for len(args) > 0 && len(args[0].text) > 1 && args[0].text[0] == '-' && strings.Trim(args[0].text[1:], "neE") == "" {
		args = args[1:]
	}
	for _, t := range targets {
		if !t.literal {
			if mention {
				p.Addf(line, "echo > %s: depends on the shell", quoteShort(t.text))
			}
			continue
		}
		rel, ok := strings.CutPrefix(path.Clean(t.text), "/proc/sys/")
		if !ok {
			continue
		}
		vals := make([]string, 0, len(args))
		literal := true
		for _, a := range args {
			vals = append(vals, a.text)
			literal = literal && a.literal
		}
		v := foldString(strings.Join(vals, " "))
		key := strings.ReplaceAll(rel, "/", ".")
		switch {
		case !literal:
			p.Addf(line, "echo > %s: value depends on the shell", quoteShort(t.text))
		case v == "":
			p.Addf(line, "echo > %s: empty value", quoteShort(t.text))
		default:
			*out = append(*out, model.SysctlSetting{Key: key, Value: v, File: file, Line: line})
		}
	}
}
