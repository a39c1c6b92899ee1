// Package docgen writes the man pages and shell completions of a cobra
// command tree, for release archives (make dist). It links
// github.com/spf13/cobra/doc and go-md2man, which the released binaries must
// not carry, so only builds with the gendocs tag import it (see
// cmd/netsnap/gendocs.go):
//
//	go run -tags gendocs ./cmd/netsnap gendocs DIR
//
// DIR receives man/man1/NAME.1 and NAME-SUB.1 for every visible command, and
// completions/bash/NAME, completions/zsh/_NAME and completions/fish/NAME.fish.
package docgen

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// Options say what the man pages' header shows.
type Options struct {
	// Version goes into the footer of every man page: "netsnap VERSION".
	Version string
	// Date is the man pages' date; zero means SOURCE_DATE_EPOCH if set, else now.
	Date time.Time
}

// Write generates the man pages and completions of root's tree under dir.
// Hidden commands get neither a page nor a completion entry.
func Write(root *cobra.Command, dir string, o Options) error {
	man := filepath.Join(dir, "man", "man1")
	if err := os.MkdirAll(man, 0o755); err != nil {
		return err
	}
	prepare(root)
	header := &doc.GenManHeader{Section: "1", Source: root.Name() + " " + o.Version, Manual: "netsnap manual"}
	if !o.Date.IsZero() {
		header.Date = &o.Date
	}
	if err := doc.GenManTree(root, header, man); err != nil {
		return fmt.Errorf("man pages: %w", err)
	}
	name := root.Name()
	for _, c := range []struct {
		file string
		gen  func(*bytes.Buffer) error
	}{
		{filepath.Join("bash", name), func(b *bytes.Buffer) error { return root.GenBashCompletionV2(b, true) }},
		{filepath.Join("zsh", "_"+name), func(b *bytes.Buffer) error { return root.GenZshCompletion(b) }},
		{filepath.Join("fish", name+".fish"), func(b *bytes.Buffer) error { return root.GenFishCompletion(b, true) }},
	} {
		var b bytes.Buffer
		if err := c.gen(&b); err != nil {
			return fmt.Errorf("completion %s: %w", c.file, err)
		}
		path := filepath.Join(dir, "completions", c.file)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// prepare readies every command of the tree for the man pages: no "Auto
// generated" history line (it carries the generation date), and the indented
// example lines of a long description kept as lines.
func prepare(c *cobra.Command) {
	c.DisableAutoGenTag = true
	c.Long = examples(c.Long)
	for _, sub := range c.Commands() {
		prepare(sub)
	}
}

// examples turns each run of lines indented by two spaces or more, which
// --help prints as they are, into a fenced block, so that the markdown the
// man pages are made from does not join them into a paragraph.
func examples(long string) string {
	var out []string
	in := false
	for _, line := range strings.Split(long, "\n") {
		indented := strings.HasPrefix(line, "  ")
		switch {
		case indented && !in:
			if n := len(out); n > 0 && out[n-1] != "" {
				out = append(out, "")
			}
			out = append(out, "```")
			in = true
		case !indented && in:
			out = append(out, "```")
			in = false
		}
		if in {
			line = line[2:]
		}
		out = append(out, line)
	}
	if in {
		out = append(out, "```")
	}
	return strings.Join(out, "\n")
}
