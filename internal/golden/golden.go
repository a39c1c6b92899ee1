// Package golden compares test output with golden files kept under the
// test's testdata directory, and rewrites them when the test binary runs with
// -update:
//
//	go test ./analysis/render -update
//
// A golden file's path comes from the test's name: Check in the subtest
// "TestRender/text" compares with testdata/TestRender/text.golden. A mismatch
// fails the test with the first differing lines, numbered, as a
// "(-want +got)" diff.
//
// The package registers the -update flag, so a test binary that imports it
// must not register a flag of that name itself.
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/ with the output of the tests")

// maxDiffLines is how many changed lines a mismatch report shows.
const maxDiffLines = 12

// Check compares got with testdata/<t.Name()>.golden, the slashes of subtest
// names kept as directories. With -update it writes got to that file instead.
func Check(t testing.TB, got []byte) {
	t.Helper()
	check(t, filepath.Join("testdata", filepath.FromSlash(t.Name())+".golden"), got, *update)
}

// CheckFile is Check with an explicit file name, relative to testdata/
// (for example "report.txt.golden" or "seed000/report.golden").
func CheckFile(t testing.TB, name string, got []byte) {
	t.Helper()
	clean := filepath.Clean(filepath.FromSlash(name))
	if name == "" || filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
		t.Fatalf("golden: file name %q must be relative and stay inside testdata/", name)
		return
	}
	check(t, filepath.Join("testdata", clean), got, *update)
}

// check compares got with the file at path, or writes it when update is set.
// It reports with Errorf, so that one test can check several goldens.
func check(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Errorf("golden: %v", err)
			return
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Errorf("golden: %v", err)
			return
		}
		t.Logf("golden: wrote %s", path)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("golden: %v (run the test with -update to create it)", err)
		return
	}
	if bytes.Equal(got, want) {
		return
	}
	t.Errorf("golden: output differs from %s (-want +got); rerun with -update to accept it:\n%s", path, Diff(want, got))
}

// Diff returns a short line diff of want and got: up to a dozen changed
// lines, each with its line number in the file it comes from, "-" for want
// and "+" for got, and a count of the changes left out. It returns "" when
// want and got are equal.
func Diff(want, got []byte) string {
	if bytes.Equal(want, got) {
		return ""
	}
	a, b := splitLines(want), splitLines(got)
	edits := diffLines(a, b)
	var sb strings.Builder
	shown, total := 0, 0
	for _, e := range edits {
		if e.op == ' ' {
			continue
		}
		total++
		if shown == maxDiffLines {
			continue
		}
		shown++
		line, text := e.a, a
		if e.op == '+' {
			line, text = e.b, b
		}
		fmt.Fprintf(&sb, "%c%5d | %s\n", e.op, line+1, text[line])
	}
	if total > shown {
		fmt.Fprintf(&sb, "... and %d more changed lines\n", total-shown)
	}
	if total == 0 {
		// Same lines, different bytes: only the final newline differs.
		sb.WriteString("the files differ only in their final newline\n")
	}
	return sb.String()
}

// splitLines splits b into lines without their "\n"; a missing final
// newline is marked on the last line so that it shows in a diff.
func splitLines(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	s := string(b)
	noEOL := !strings.HasSuffix(s, "\n")
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if noEOL {
		lines[len(lines)-1] += " (no newline at end of file)"
	}
	return lines
}

// edit is one line of a diff: ' ' kept, '-' only in a, '+' only in b, with
// the line's index in a and in b.
type edit struct {
	op   byte
	a, b int
}

// maxLCSCells bounds the longest-common-subsequence table; beyond it the diff
// pairs lines by position, which is still enough to locate a change.
const maxLCSCells = 4 << 20

// diffLines returns the edits turning a into b.
func diffLines(a, b []string) []edit {
	// Common prefix and suffix first: most golden changes are local.
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var edits []edit
	for i := range pre {
		edits = append(edits, edit{' ', i, i})
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	if (len(ma)+1)*(len(mb)+1) <= maxLCSCells {
		edits = append(edits, lcs(ma, mb, pre, pre)...)
	} else {
		edits = append(edits, byPosition(ma, mb, pre, pre)...)
	}
	for i := range suf {
		edits = append(edits, edit{' ', len(a) - suf + i, len(b) - suf + i})
	}
	return edits
}

// lcs diffs a and b through a longest common subsequence; offA and offB are
// added to the line indexes it reports.
func lcs(a, b []string, offA, offB int) []edit {
	n, m := len(a), len(b)
	// l[i][j] is the LCS length of a[i:] and b[j:].
	l := make([][]int, n+1)
	for i := range l {
		l[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				l[i][j] = l[i+1][j+1] + 1
			} else {
				l[i][j] = max(l[i+1][j], l[i][j+1])
			}
		}
	}
	var edits []edit
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			edits = append(edits, edit{' ', offA + i, offB + j})
			i++
			j++
		case j < m && (i == n || l[i][j+1] > l[i+1][j]):
			edits = append(edits, edit{'+', offA + i, offB + j})
			j++
		default:
			edits = append(edits, edit{'-', offA + i, offB + j})
			i++
		}
	}
	return edits
}

// byPosition pairs the lines of a and b by index.
func byPosition(a, b []string, offA, offB int) []edit {
	var edits []edit
	for i := range max(len(a), len(b)) {
		switch {
		case i < len(a) && i < len(b) && a[i] == b[i]:
			edits = append(edits, edit{' ', offA + i, offB + i})
		default:
			if i < len(a) {
				edits = append(edits, edit{'-', offA + i, offB + i})
			}
			if i < len(b) {
				edits = append(edits, edit{'+', offA + i, offB + i})
			}
		}
	}
	return edits
}
