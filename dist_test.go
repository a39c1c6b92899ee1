package netsnap_test

// Release packaging: the version each binary reports, `go install`, the man
// pages and completions of the gendocs build, and the dependencies the
// release binaries must not carry. The commands are built twice for all the
// tests of this file (a few seconds with a warm build cache): once as make
// dist does, with -ldflags and the gendocs tag, and once by `go install`.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/netsnap/netsnap/snapshot"
)

var commands = []string{"netsnap", "netanalyze"}

// docTools are the modules only the gendocs build may link.
var docTools = []string{"github.com/spf13/cobra/doc", "github.com/cpuguy83/go-md2man", "github.com/russross/blackfriday", "go.yaml.in/yaml"}

type built struct {
	once sync.Once
	dir  string
	err  error
}

var (
	tmpRoot            string
	releaseBuild       built // go build -tags gendocs -ldflags "-X main.version=v9.9.9 -X main.commit=deadbeef"
	installBuild       built // GOBIN=DIR go install ./cmd/netsnap ./cmd/netanalyze
	testVersion        = "v9.9.9"
	testCommit         = "deadbeef"
	goBuildEnvironment = append(os.Environ(), "CGO_ENABLED=0")
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "netsnap-dist-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tmpRoot = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// build runs the go command once for all tests and returns the directory of
// the binaries.
func (b *built) get(t *testing.T, name string, args func(dir string) []string, env ...string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the commands: skipped with -short")
	}
	b.once.Do(func() {
		b.dir = filepath.Join(tmpRoot, name)
		cmd := exec.Command("go", args(b.dir)...)
		cmd.Env = append(goBuildEnvironment, env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go %s: %v\n%s", strings.Join(cmd.Args[1:], " "), err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.dir
}

func release(t *testing.T) string {
	return releaseBuild.get(t, "release", func(dir string) []string {
		return []string{"build", "-trimpath", "-tags", "gendocs", "-ldflags", "-X main.version=" + testVersion + " -X main.commit=" + testCommit, "-o", dir + string(filepath.Separator), "./cmd/netsnap", "./cmd/netanalyze"}
	})
}

// head is the checkout's commit, or "" outside a git checkout.
var head = sync.OnceValue(func() string {
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
})

func installed(t *testing.T) string {
	dir := filepath.Join(tmpRoot, "gobin")
	env := []string{"GOBIN=" + dir}
	if head() != "" {
		// In a checkout, have the toolchain record the revision whatever
		// GOFLAGS says, so that the fallback to it is tested.
		env = append(env, "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -buildvcs=true"))
	}
	return installBuild.get(t, "gobin", func(string) []string {
		return []string{"install", "./cmd/netsnap", "./cmd/netanalyze"}
	}, env...)
}

func run(t *testing.T, bin string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

func TestVersionFromLdflags(t *testing.T) {
	dir := release(t)
	for _, name := range commands {
		got := run(t, filepath.Join(dir, name), "--version")
		want := fmt.Sprintf("%s %s (commit %s, %s, %s/%s)\n", name, testVersion, testCommit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		if got != want {
			t.Errorf("%s --version = %q; want %q", name, got, want)
		}
	}
	// The manifest records the same version.
	out := filepath.Join(t.TempDir(), "host.tgz")
	run(t, filepath.Join(dir, "netsnap"), "--root", "testdata/hosts/proxy-modern", "--samples", "1", "-q", "-o", out)
	snap, err := snapshot.Open(out, snapshot.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	if snap.Manifest.ToolVersion != testVersion {
		t.Errorf("manifest tool_version = %q; want %q", snap.Manifest.ToolVersion, testVersion)
	}
}

// TestGoInstall: `go install` builds both commands without ldflags; --version
// then falls back to the build information: "dev" or the module version
// stamped from VCS, and the VCS revision when the toolchain recorded one.
func TestGoInstall(t *testing.T) {
	dir := installed(t)
	line := regexp.MustCompile(`^(netsnap|netanalyze) (dev|v\S+) \((?:commit ([0-9a-f]{40})(?: modified)?, )?` + regexp.QuoteMeta(runtime.Version()+", "+runtime.GOOS+"/"+runtime.GOARCH) + `\)\n$`)
	for _, name := range commands {
		got := run(t, filepath.Join(dir, name), "--version")
		m := line.FindStringSubmatch(got)
		if m == nil || m[1] != name {
			t.Errorf("%s --version = %q; want %s VERSION (commit HASH, GO, PLATFORM)", name, got, name)
			continue
		}
		if head() != "" && m[3] != head() {
			t.Errorf("%s --version = %q; want the commit of the checkout, %s", name, got, head())
		}
	}
}

// TestReleaseBinariesLinkNoDocTools: cobra/doc and go-md2man are in the
// gendocs build only.
func TestReleaseBinariesLinkNoDocTools(t *testing.T) {
	deps := func(tags ...string) string {
		args := append([]string{"list", "-deps"}, tags...)
		out, err := exec.Command("go", append(args, "./cmd/netsnap", "./cmd/netanalyze")...).Output()
		if err != nil {
			t.Fatalf("go list: %v", err)
		}
		return string(out)
	}
	release := strings.Fields(deps())
	for _, tool := range docTools {
		for _, d := range release {
			if strings.HasPrefix(d, tool) {
				t.Errorf("the release build links %s", d)
			}
		}
	}
	if gendocs := deps("-tags", "gendocs"); !strings.Contains(gendocs, "github.com/spf13/cobra/doc\n") || !strings.Contains(gendocs, "github.com/cpuguy83/go-md2man") {
		t.Error("the gendocs build does not link cobra/doc and go-md2man: the check above proves nothing")
	}
	// And in the binaries themselves, as `go version -m` lists their modules.
	dir := installed(t)
	for _, name := range commands {
		out, err := exec.Command("go", "version", "-m", filepath.Join(dir, name)).Output()
		if err != nil {
			t.Fatalf("go version -m: %v", err)
		}
		if !strings.Contains(string(out), "github.com/spf13/cobra") {
			t.Errorf("go version -m %s lists no cobra: cannot tell what it links\n%s", name, out)
		}
		for _, tool := range docTools[1:] {
			if strings.Contains(string(out), tool) {
				t.Errorf("%s links %s:\n%s", name, tool, out)
			}
		}
	}
}

// subcommands lists the commands `NAME --help` offers.
func subcommands(t *testing.T, bin string) []string {
	t.Helper()
	_, list, ok := strings.Cut(run(t, bin, "--help"), "Available Commands:\n")
	if !ok {
		return nil
	}
	var names []string
	for _, l := range strings.Split(list, "\n") {
		if !strings.HasPrefix(l, "  ") {
			break
		}
		if f := strings.Fields(l); f[0] != "help" {
			names = append(names, f[0])
		}
	}
	return names
}

func TestManPagesAndCompletions(t *testing.T) {
	dir := release(t)
	out := t.TempDir()
	for _, name := range commands {
		run(t, filepath.Join(dir, name), "gendocs", out)
	}
	var pages []string
	entries, err := os.ReadDir(filepath.Join(out, "man", "man1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		pages = append(pages, e.Name())
	}
	want := []string{"netsnap.1", "netanalyze.1"}
	subs := subcommands(t, filepath.Join(dir, "netanalyze"))
	for _, sub := range []string{"report", "diff", "fleet", "rules", "inspect", "completion"} {
		if !slices.Contains(subs, sub) {
			t.Errorf("netanalyze --help does not offer %s: %v", sub, subs)
		}
	}
	for _, sub := range subs {
		want = append(want, "netanalyze-"+sub+".1")
	}
	for _, p := range want {
		if !slices.Contains(pages, p) {
			t.Errorf("no man page %s; got %v", p, pages)
		}
	}
	if got := subcommands(t, filepath.Join(dir, "netsnap")); len(got) != 0 {
		t.Errorf("netsnap offers subcommands %v: the gendocs build should look like the release one", got)
	}
	for _, p := range pages {
		if strings.Contains(p, "gendocs") || strings.HasPrefix(p, "netsnap-") {
			t.Errorf("unexpected man page %s (hidden or not in the release binary)", p)
		}
	}
	for page, wants := range map[string][]string{
		"netsnap.1":           {`.TH "NETSNAP" "1" `, `"netsnap ` + testVersion + `"`, `\fB--sockets\fP`, "ssh host sudo netsnap -o - > host.tgz"},
		"netanalyze.1":        {`.TH "NETANALYZE" "1" `, `\fBnetanalyze-report(1)\fP`},
		"netanalyze-report.1": {`.TH "NETANALYZE-REPORT" "1" `, `"netanalyze ` + testVersion + `"`, `\fB--format\fP`, `\fB--fail-on\fP`},
		"netanalyze-rules.1":  {`\fB--facts\fP`},
	} {
		b, err := os.ReadFile(filepath.Join(out, "man", "man1", page))
		if err != nil {
			t.Error(err)
			continue
		}
		for _, w := range wants {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s lacks %q", page, w)
			}
		}
		if strings.Contains(string(b), "Auto generated") {
			t.Errorf("%s carries cobra's dated history line", page)
		}
	}
	for _, name := range commands {
		for file, want := range map[string]string{
			filepath.Join("bash", name):         "__start_" + name,
			filepath.Join("zsh", "_"+name):      "#compdef " + name,
			filepath.Join("fish", name+".fish"): "complete -c " + name,
		} {
			b, err := os.ReadFile(filepath.Join(out, "completions", file))
			if err != nil {
				t.Error(err)
			} else if !strings.Contains(string(b), want) {
				t.Errorf("completion %s lacks %q", file, want)
			}
		}
	}
}

// TestBashCompletion runs the generated bash completion against the release
// binaries: the scripts ask the binary itself (its hidden __complete command).
func TestBashCompletion(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	dir := release(t)
	out := t.TempDir()
	bin := installed(t)
	for _, name := range commands {
		run(t, filepath.Join(dir, name), "gendocs", out)
	}
	for _, tc := range []struct{ line, want string }{
		{"netanalyze rep", "report"},
		{"netanalyze report --fa", "--fail-on"},
		{"netsnap --sock", "--sockets"},
	} {
		name := strings.Fields(tc.line)[0]
		// The script needs _get_comp_words_by_ref from the bash-completion
		// package; a stand-in where it is not installed.
		script := fmt.Sprintf(`if [ -r /usr/share/bash-completion/bash_completion ]; then . /usr/share/bash-completion/bash_completion; else
_get_comp_words_by_ref() { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }
fi
source %q
COMP_LINE=%q; COMP_POINT=${#COMP_LINE}; read -ra COMP_WORDS <<<"$COMP_LINE"; COMP_CWORD=$((${#COMP_WORDS[@]}-1))
__start_%s
printf '%%s\n' "${COMPREPLY[@]}"`, filepath.Join(out, "completions", "bash", name), tc.line, name)
		cmd := exec.Command(bash, "--norc", "--noprofile", "-c", script)
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		got, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("bash completion of %q: %v\n%s", tc.line, err, got)
		}
		if !slices.Contains(strings.Fields(string(got)), tc.want) {
			t.Errorf("bash completion of %q = %q; want %q among them", tc.line, got, tc.want)
		}
	}
}

// TestMakeDist runs `make dist` for this machine's architecture into a
// temporary directory and checks what a release ships.
func TestMakeDist(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a release: skipped with -short")
	}
	if runtime.GOOS != "linux" {
		t.Skip("make dist builds linux binaries and runs them")
	}
	for _, tool := range []string{"make", "tar", "gzip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s", tool)
		}
	}
	if out, err := exec.Command("tar", "--version").Output(); err != nil || !strings.Contains(string(out), "GNU tar") {
		t.Skip("make dist needs GNU tar")
	}
	dist := t.TempDir()
	arch := runtime.GOARCH
	const version = "v9.9.9-dist"
	cmd := exec.Command("make", "dist", "DIST="+dist, "ARCHS="+arch, "VERSION="+version, "COMMIT="+testCommit)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make dist: %v\n%s", err, out)
	}
	tarball := "netsnap-" + version + "-linux-" + arch + ".tar.gz"
	artefacts := []string{"netsnap-linux-" + arch, "netanalyze-linux-" + arch, tarball}

	// SHA256SUMS: one line per artefact, in sha256sum's format, and right.
	sums, err := os.ReadFile(filepath.Join(dist, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(sums), "\n"), "\n")
	if len(lines) != len(artefacts) {
		t.Errorf("SHA256SUMS has %d lines; want one per artefact %v:\n%s", len(lines), artefacts, sums)
	}
	for _, l := range lines {
		sum, name, ok := strings.Cut(l, "  ")
		if !ok || !slices.Contains(artefacts, name) {
			t.Errorf("SHA256SUMS line %q: want HASH  ARTEFACT", l)
			continue
		}
		b, err := os.ReadFile(filepath.Join(dist, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%x", sha256.Sum256(b)); got != sum {
			t.Errorf("SHA256SUMS says %s for %s; it is %s", sum, name, got)
		}
	}

	// The binaries: static, with the version, without the doc tools.
	for _, name := range commands {
		bin := filepath.Join(dist, name+"-linux-"+arch)
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Errorf("%s is dynamically linked", bin)
			}
		}
		f.Close()
		want := fmt.Sprintf("%s %s (commit %s, %s, linux/%s)\n", name, version, testCommit, runtime.Version(), arch)
		if got := run(t, bin, "--version"); got != want {
			t.Errorf("%s --version = %q; want %q", filepath.Base(bin), got, want)
		}
		bi, err := buildinfo.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range bi.Deps {
			for _, tool := range docTools[1:] {
				if strings.HasPrefix(d.Path, tool) {
					t.Errorf("%s links %s", filepath.Base(bin), d.Path)
				}
			}
		}
	}

	// The tarball: both binaries, README, man pages and completions, in one
	// directory, owned by root.
	f, err := os.Open(filepath.Join(dist, tarball))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	prefix := strings.TrimSuffix(tarball, ".tar.gz") + "/"
	entries := map[string]int64{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(h.Name, prefix) || h.Uid != 0 || h.Gid != 0 {
			t.Errorf("tarball entry %s (uid %d, gid %d): want it under %s, owned by 0:0", h.Name, h.Uid, h.Gid, prefix)
		}
		entries[strings.TrimPrefix(h.Name, prefix)] = h.Size
	}
	for _, want := range []string{"netsnap", "netanalyze", "README.md", "man/man1/netsnap.1", "man/man1/netanalyze.1", "man/man1/netanalyze-report.1",
		"completions/bash/netsnap", "completions/bash/netanalyze", "completions/zsh/_netsnap", "completions/zsh/_netanalyze",
		"completions/fish/netsnap.fish", "completions/fish/netanalyze.fish"} {
		if size, ok := entries[want]; !ok || size == 0 {
			t.Errorf("tarball lacks %s (or it is empty); it has %v", want, entries)
		}
	}
}
