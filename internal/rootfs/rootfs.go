// Package rootfs reads host paths ("/proc/net/tcp", "/etc/nginx/nginx.conf")
// from a directory laid out like "/": the live host, a fixture tree or a
// mounted disk image. Under a directory other than "/", symbolic links are
// resolved inside it, as chroot would, so an absolute link such as Debian's
// sites-enabled/default -> /etc/nginx/sites-available/default stays in the
// tree. It is a standard-library-only leaf shared by the collector and the
// configuration walker.
package rootfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// HostRoot is the only place the live root appears.
const HostRoot = "/"

// MaxReadFile bounds one ReadFile.
const MaxReadFile = 64 << 20

// Root reads host paths ("/proc/net/tcp") from a directory laid out like
// "/": the live host when Dir is "/", a fixture tree or a disk image
// otherwise. Under a non-live root, symbolic links are resolved inside the
// root, as chroot would: an absolute link target is taken relative to Dir,
// and ".." never climbs above Dir.
type Root struct {
	Dir string
}

// Live reports whether the root is the running host.
func (r Root) Live() bool { return r.Dir == "" || r.Dir == HostRoot }

// Path returns the filesystem path of the host path p, without resolving links.
func (r Root) Path(p string) string {
	if r.Live() {
		return path.Clean("/" + p)
	}
	return filepath.Join(r.Dir, path.Clean("/"+p))
}

// Resolve returns the filesystem path of host path p with every symbolic
// link resolved inside the root. On the live host it is Path(p): the kernel
// resolves links itself.
func (r Root) Resolve(p string) (string, error) {
	if !path.IsAbs(p) {
		return "", &fs.PathError{Op: "open", Path: p, Err: fs.ErrInvalid}
	}
	if r.Live() {
		return r.Path(p), nil
	}
	parts := splitPath(p)
	resolved := "/" // host path resolved so far, always clean and absolute
	links := 0
	for len(parts) > 0 {
		part := parts[0]
		parts = parts[1:]
		switch part {
		case ".", "":
			continue
		case "..":
			resolved = path.Dir(resolved)
			continue
		}
		next := path.Join(resolved, part)
		fi, err := os.Lstat(r.Path(next))
		if err != nil {
			// The rest cannot exist; report with the full path so callers see fs.ErrNotExist.
			return "", &fs.PathError{Op: "open", Path: p, Err: UnwrapPathErr(err)}
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			resolved = next
			continue
		}
		links++
		if links > 40 {
			return "", &fs.PathError{Op: "open", Path: p, Err: syscall.ELOOP}
		}
		target, err := os.Readlink(r.Path(next))
		if err != nil {
			return "", &fs.PathError{Op: "open", Path: p, Err: UnwrapPathErr(err)}
		}
		if strings.HasPrefix(target, "/") {
			resolved = "/"
		}
		parts = append(splitPath(target), parts...)
	}
	return r.Path(resolved), nil
}

// Open opens host path p for reading without following it into a blocking
// open (O_NONBLOCK), so that a FIFO cannot hang the collector.
func (r Root) Open(p string) (*os.File, error) {
	fp, err := r.Resolve(p)
	if err != nil {
		return nil, err
	}
	fd, err := syscall.Open(fp, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	for err == syscall.EINTR {
		fd, err = syscall.Open(fp, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: p, Err: err}
	}
	// O_NONBLOCK was for the open (a FIFO without a writer); reads block,
	// bounded by the caller's timeout. A blocking descriptor also keeps
	// os.File from registering every /proc file with the network poller.
	if _, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_SETFL, 0); e != 0 {
		syscall.Close(fd)
		return nil, &fs.PathError{Op: "open", Path: p, Err: e}
	}
	return os.NewFile(uintptr(fd), fp), nil
}

// Stat returns the file info of host path p, following links inside the root.
func (r Root) Stat(p string) (fs.FileInfo, error) {
	fp, err := r.Resolve(p)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(fp)
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: p, Err: UnwrapPathErr(err)}
	}
	return fi, nil
}

// ReadDir lists directory p (host path), sorted by name.
func (r Root) ReadDir(p string) ([]fs.DirEntry, error) {
	fp, err := r.Resolve(p)
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(fp)
	if err != nil {
		return ents, &fs.PathError{Op: "readdir", Path: p, Err: UnwrapPathErr(err)}
	}
	return ents, nil
}

// Readlink returns the target of the link at host path p (the last element is not followed).
func (r Root) Readlink(p string) (string, error) {
	dir, base := path.Split(path.Clean("/" + p))
	fd, err := r.Resolve(dir)
	if err != nil {
		return "", err
	}
	return os.Readlink(filepath.Join(fd, base))
}

// Glob returns the host paths matching pattern (path.Match syntax in every
// element), sorted. Links are followed inside the root.
func (r Root) Glob(pattern string) ([]string, error) {
	parts := splitPath(pattern)
	matches := []string{"/"}
	for i, part := range parts {
		if part == "" || part == "." {
			continue
		}
		var next []string
		if !HasMeta(part) {
			for _, m := range matches {
				c := path.Join(m, part)
				if i == len(parts)-1 {
					if _, err := r.Stat(c); err != nil {
						continue
					}
				}
				next = append(next, c)
			}
		} else {
			if _, err := path.Match(part, ""); err != nil {
				return nil, fmt.Errorf("glob %q: %w", pattern, err)
			}
			for _, m := range matches {
				ents, err := r.ReadDir(m)
				if err != nil {
					continue
				}
				for _, e := range ents {
					if ok, _ := path.Match(part, e.Name()); ok {
						next = append(next, path.Join(m, e.Name()))
					}
				}
			}
		}
		matches = next
		if len(matches) == 0 {
			return nil, nil
		}
	}
	sort.Strings(matches)
	return matches, nil
}

// HasMeta reports whether a path element holds glob metacharacters.
func HasMeta(s string) bool { return strings.ContainsAny(s, `*?[\`) }

func splitPath(p string) []string {
	return strings.Split(strings.Trim(p, "/"), "/")
}

// UnwrapPathErr strips an *fs.PathError so the caller can put the host path in its own.
func UnwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ReadFile reads the regular file at host path p, at most MaxReadFile bytes
// (a FIFO or a device would block or never end: they are refused). Errors
// are *fs.PathError values naming p.
func (r Root) ReadFile(p string) ([]byte, error) {
	return r.ReadFileMax(p, MaxReadFile)
}

// ReadFileMax is ReadFile with its own bound; a longer file is an error.
func (r Root) ReadFileMax(p string, max int64) ([]byte, error) {
	f, err := r.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: p, Err: UnwrapPathErr(err)}
	}
	if !fi.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "open", Path: p, Err: errNotRegular}
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: p, Err: UnwrapPathErr(err)}
	}
	if int64(len(data)) > max {
		return nil, &fs.PathError{Op: "read", Path: p, Err: fmt.Errorf("file larger than %d bytes", max)}
	}
	return data, nil
}

var errNotRegular = errors.New("not a regular file")
