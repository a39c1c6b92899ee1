package rootfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

func TestResolveStaysInsideRoot(t *testing.T) {
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "etc/nginx/sites-available"), 0o755))
	must(os.MkdirAll(filepath.Join(root, "etc/nginx/sites-enabled"), 0o755))
	must(os.MkdirAll(filepath.Join(root, "usr/lib"), 0o755))
	must(os.WriteFile(filepath.Join(root, "etc/nginx/sites-available/app"), []byte("server {}"), 0o644))
	must(os.WriteFile(filepath.Join(root, "usr/lib/os-release"), []byte("ID=debian\n"), 0o644))
	must(os.Symlink("/etc/nginx/sites-available/app", filepath.Join(root, "etc/nginx/sites-enabled/app")))
	must(os.Symlink("../usr/lib/os-release", filepath.Join(root, "etc/os-release")))
	must(os.Symlink("../../../../../../etc/passwd", filepath.Join(root, "etc/escape")))
	must(os.Symlink("self", filepath.Join(root, "etc/self")))
	r := Root{Dir: root}

	for p, want := range map[string]string{
		"/etc/nginx/sites-enabled/app":        "server {}", // absolute link, re-rooted
		"/etc/os-release":                     "ID=debian\n",
		"/etc/nginx/../../usr/lib/os-release": "ID=debian\n",
		"/../../../usr/lib/os-release":        "ID=debian\n", // ".." never climbs above the root
	} {
		got, err := r.ReadFile(p)
		if err != nil || string(got) != want {
			t.Errorf("ReadFile(%s) = %q, %v; want %q", p, got, err, want)
		}
	}
	if _, err := r.ReadFile("/etc/escape"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a link climbing out of the root must resolve inside it (and not exist): %v", err)
	}
	if _, err := r.ReadFile("/etc/self"); !errors.Is(err, syscall.ELOOP) {
		t.Errorf("link loop: %v, want ELOOP", err)
	}
	if _, err := r.ReadFile("relative"); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("relative path: %v, want ErrInvalid", err)
	}
	if _, err := r.ReadFile("/etc/nginx"); err == nil || err.Error() != "open /etc/nginx: not a regular file" {
		t.Errorf("directory: %v", err)
	}
	got, err := r.Glob("/etc/nginx/sites-*/*")
	if want := []string{"/etc/nginx/sites-available/app", "/etc/nginx/sites-enabled/app"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("Glob = %q, %v; want %q", got, err, want)
	}
	if Root.Live(r) || !(Root{}).Live() || !(Root{Dir: "/"}).Live() {
		t.Error("Live")
	}
}
