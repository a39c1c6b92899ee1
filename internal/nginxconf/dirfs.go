package nginxconf

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// maxFileSize bounds one file read by DirFS.
const maxFileSize = DefaultMaxBytes

// maxLinks bounds the symbolic links DirFS follows for one path, as Linux's
// MAXSYMLINKS does.
const maxLinks = 40

// DirFS returns an FS that reads absolute paths under the host directory
// root, as if root were "/": with root "/srv/img", "/etc/nginx/nginx.conf"
// is read from "/srv/img/etc/nginx/nginx.conf". Symbolic links are resolved
// inside root, so an absolute link target such as
// "/etc/nginx/sites-available/default" stays in the tree. Root "/" reads the
// live host.
//
// ReadFile reads only regular files (a FIFO would block) of at most 64 MiB.
// Errors are *fs.PathError values naming the path as asked, not the host
// path.
func DirFS(root string) FS {
	return dirFS{root: filepath.Clean(root)}
}

type dirFS struct{ root string }

// ReadFile reads the regular file name.
func (d dirFS) ReadFile(name string) ([]byte, error) {
	host, err := d.resolve(name)
	if err != nil {
		return nil, pathError("open", name, err)
	}
	fi, err := os.Stat(host)
	if err != nil {
		return nil, pathError("open", name, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, pathError("open", name, errors.New("not a regular file"))
	}
	f, err := os.Open(host)
	if err != nil {
		return nil, pathError("open", name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, pathError("read", name, err)
	}
	if int64(len(data)) > maxFileSize {
		return nil, pathError("read", name, errors.New("file larger than 64 MiB"))
	}
	return data, nil
}

// Glob returns the paths under root matching pattern, sorted, as
// path/filepath.Glob does; I/O errors count as no match.
func (d dirFS) Glob(pattern string) ([]string, error) {
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, err
	}
	if !path.IsAbs(pattern) {
		return nil, pathError("glob", pattern, fs.ErrInvalid)
	}
	cands := []string{"/"}
	for _, comp := range splitPath(pattern) {
		var next []string
		if !strings.ContainsAny(comp, `*?[\`) {
			for _, c := range cands {
				next = append(next, path.Join(c, comp))
			}
		} else {
			for _, c := range cands {
				host, err := d.resolve(c)
				if err != nil {
					continue
				}
				entries, err := os.ReadDir(host)
				if err != nil {
					continue
				}
				for _, e := range entries {
					if ok, _ := path.Match(comp, e.Name()); ok {
						next = append(next, path.Join(c, e.Name()))
					}
				}
			}
		}
		cands = next
	}
	var matches []string
	for _, c := range cands {
		host, err := d.resolve(c)
		if err != nil {
			continue
		}
		if _, err := os.Lstat(host); err == nil {
			matches = append(matches, c)
		}
	}
	sort.Strings(matches)
	return matches, nil
}

// resolve returns the host path of name, following symbolic links as if root
// were "/".
func (d dirFS) resolve(name string) (string, error) {
	if !path.IsAbs(name) {
		return "", fs.ErrInvalid
	}
	if d.root == "/" {
		return path.Clean(name), nil
	}
	rest := splitPath(name)
	var cur []string
	for links := 0; len(rest) > 0; {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case ".":
			continue
		case "..":
			if len(cur) > 0 {
				cur = cur[:len(cur)-1]
			}
			continue
		}
		host := filepath.Join(d.root, filepath.Join(cur...), c)
		fi, err := os.Lstat(host)
		if err != nil {
			if len(rest) == 0 && errors.Is(err, fs.ErrNotExist) {
				return host, nil // let the caller report it
			}
			return "", unwrapPath(err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			cur = append(cur, c)
			continue
		}
		if links++; links > maxLinks {
			return "", syscall.ELOOP
		}
		target, err := os.Readlink(host)
		if err != nil {
			return "", unwrapPath(err)
		}
		if path.IsAbs(target) {
			cur = cur[:0]
		}
		rest = append(splitPath(target), rest...)
	}
	return filepath.Join(d.root, filepath.Join(cur...)), nil
}

// splitPath returns the non-empty components of p.
func splitPath(p string) []string {
	var comps []string
	for _, c := range strings.Split(p, "/") {
		if c != "" {
			comps = append(comps, c)
		}
	}
	return comps
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func pathError(op, name string, err error) error {
	return &fs.PathError{Op: op, Path: name, Err: unwrapPath(err)}
}
