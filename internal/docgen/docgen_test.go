package docgen

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

func tree() *cobra.Command {
	root := &cobra.Command{Use: "toy [FILE]", Short: "A toy", Long: "A toy command.\n\n  toy a.tgz      # one\n  toy a b        # two\nThe end.", Run: func(*cobra.Command, []string) {}}
	root.Flags().String("format", "text", "text or json")
	sub := &cobra.Command{Use: "sub ARG", Short: "A subcommand", Run: func(*cobra.Command, []string) {}}
	sub.Flags().Bool("deep", false, "go deep")
	root.AddCommand(sub, &cobra.Command{Use: "secret", Hidden: true, Run: func(*cobra.Command, []string) {}})
	return root
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	if err := Write(tree(), dir, Options{Version: "v1.2.3", Date: time.Date(2020, 1, 15, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	for file, wants := range map[string][]string{
		"man/man1/toy.1":            {`.TH "TOY" "1" "Jan 2020" "toy v1.2.3" "netsnap manual"`, `\fB--format\fP`, "toy a.tgz      # one\ntoy a b        # two", `\fBtoy-sub(1)\fP`},
		"man/man1/toy-sub.1":        {`.TH "TOY-SUB" "1"`, `\fB--deep\fP`, `\fBtoy(1)\fP`},
		"completions/bash/toy":      {"__start_toy", "complete -o default -F __start_toy toy"},
		"completions/zsh/_toy":      {"#compdef toy"},
		"completions/fish/toy.fish": {"complete -c toy"},
	} {
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Error(err)
			continue
		}
		for _, w := range wants {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s lacks %q:\n%s", file, w, b)
			}
		}
		if strings.Contains(string(b), "Auto generated") {
			t.Errorf("%s has cobra's dated history line", file)
		}
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "man", "man1", "*"))
	if len(pages) != 2 {
		t.Errorf("man pages %v; want toy.1 and toy-sub.1 (no page for a hidden command)", pages)
	}
}

func TestExamples(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Text only.", "Text only."},
		{"Intro:\n\n  a  # x\n  b\nAfter.", "Intro:\n\n```\na  # x\nb\n```\nAfter."},
		{"Intro:\n  a", "Intro:\n\n```\na\n```"},
		{"", ""},
	} {
		if got := examples(tc.in); got != tc.want {
			t.Errorf("examples(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}
