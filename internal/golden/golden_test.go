package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	errs  []string
	fatal bool
}

func (r *recorder) Helper()                   {}
func (r *recorder) Logf(string, ...any)       {}
func (r *recorder) Errorf(f string, a ...any) { r.errs = append(r.errs, fmt.Sprintf(f, a...)) }
func (r *recorder) Fatalf(f string, a ...any) {
	r.fatal = true
	r.errs = append(r.errs, fmt.Sprintf(f, a...))
}

func TestCheck(t *testing.T) {
	Check(t, []byte("netsnap golden\n"))
}

func TestCheckSubtest(t *testing.T) {
	t.Run("nested/name", func(t *testing.T) {
		Check(t, []byte("line one\nline two\n"))
	})
}

func TestCheckFile(t *testing.T) {
	CheckFile(t, "explicit.golden", []byte("explicit\n"))
}

func TestCheckFileRejectsEscapes(t *testing.T) {
	for _, name := range []string{"", "../x.golden", "/etc/passwd", "a/../../x"} {
		r := &recorder{TB: t}
		CheckFile(r, name, []byte("x"))
		if !r.fatal {
			t.Errorf("CheckFile(%q) did not fail", name)
		}
	}
}

func TestCheckMismatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.golden")
	if err := os.WriteFile(path, []byte("a\nb\nc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &recorder{TB: t}
	check(r, path, []byte("a\nB\nc\n"), false)
	if len(r.errs) != 1 {
		t.Fatalf("check on a mismatch reported %d errors, want 1", len(r.errs))
	}
	for _, want := range []string{path, "-want +got", "-    2 | b", "+    2 | B", "-update"} {
		if !strings.Contains(r.errs[0], want) {
			t.Errorf("mismatch report lacks %q:\n%s", want, r.errs[0])
		}
	}
}

func TestCheckMissing(t *testing.T) {
	r := &recorder{TB: t}
	check(r, filepath.Join(t.TempDir(), "missing.golden"), []byte("x"), false)
	if len(r.errs) != 1 || !strings.Contains(r.errs[0], "-update") {
		t.Errorf("check on a missing file reported %q, want one error mentioning -update", r.errs)
	}
}

func TestCheckUpdate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "TestX", "sub", "x.golden")
	r := &recorder{TB: t}
	check(r, path, []byte("new\n"), true)
	if len(r.errs) != 0 {
		t.Fatalf("check with update reported %q", r.errs)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "new\n" {
		t.Fatalf("after update the file holds %q, %v; want %q", got, err, "new\n")
	}
	check(r, path, []byte("new\n"), false)
	if len(r.errs) != 0 {
		t.Errorf("check after update reported %q", r.errs)
	}
}

func TestDiff(t *testing.T) {
	many := func(prefix string, n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "%s%d\n", prefix, i)
		}
		return b.String()
	}
	tests := []struct {
		name, want, got string
		diff            string
	}{
		{"equal", "a\nb\n", "a\nb\n", ""},
		{"changed line", "a\nb\nc\n", "a\nx\nc\n", "-    2 | b\n+    2 | x\n"},
		{"inserted line keeps later lines paired", "a\nb\nc\n", "a\nnew\nb\nc\n", "+    2 | new\n"},
		{"deleted line", "a\nb\nc\n", "a\nc\n", "-    2 | b\n"},
		{"final newline", "a\n", "a", "-    1 | a\n+    1 | a (no newline at end of file)\n"},
		{"from empty", "", "a\n", "+    1 | a\n"},
		{"cut after a dozen", many("w", 20), many("g", 20),
			"-    1 | w0\n-    2 | w1\n-    3 | w2\n-    4 | w3\n-    5 | w4\n-    6 | w5\n" +
				"-    7 | w6\n-    8 | w7\n-    9 | w8\n-   10 | w9\n-   11 | w10\n-   12 | w11\n" +
				"... and 28 more changed lines\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Diff([]byte(tt.want), []byte(tt.got)); got != tt.diff {
				t.Errorf("Diff(%q, %q) =\n%s\nwant\n%s", tt.want, tt.got, got, tt.diff)
			}
		})
	}
}

func TestDiffLargeFallsBackToPositions(t *testing.T) {
	n := 3000 // 3000 × 3000 lines exceeds maxLCSCells
	a := make([]string, n)
	b := make([]string, n)
	for i := range n {
		a[i] = fmt.Sprint("a", i)
		b[i] = fmt.Sprint("b", i)
	}
	edits := diffLines(a, b)
	if len(edits) != 2*n || edits[0] != (edit{'-', 0, 0}) || edits[1] != (edit{'+', 0, 0}) {
		t.Errorf("diffLines on %d distinct lines: %d edits starting %v, want %d paired by position", n, len(edits), edits[:2], 2*n)
	}
}
