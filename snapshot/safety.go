package snapshot

import (
	"archive/tar"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Default caps of the reader, used where a ReadOptions field is zero. They
// are far above what the collector writes (its tables are capped well below
// an entry cap) and low enough that a hostile archive cannot fill a disk or
// a tmpfs holding the spool file.
const (
	DefaultMaxEntryBytes int64 = 2 << 30 // 2 GiB for one entry
	DefaultMaxTotalBytes int64 = 8 << 30 // 8 GiB for the decompressed tar stream
	DefaultMaxEntries          = 1 << 20 // entries in one archive or directory
)

const (
	// memEntryMax is the largest entry kept in memory; larger ones are spooled.
	memEntryMax = 1 << 20
	// memBudget bounds the memory held by small entries; past it every entry is spooled.
	memBudget = 64 << 20
	// zstdMaxWindow is the largest zstd window accepted (that of `zstd --long`).
	zstdMaxWindow = 128 << 20
)

// readerError is an error of the reader: a one-line message, wrapping a
// sentinel of errors.go and, where there is one, the underlying cause.
type readerError struct {
	msg  string
	errs []error
}

func (e *readerError) Error() string   { return e.msg }
func (e *readerError) Unwrap() []error { return e.errs }

// newReaderError returns an error with the formatted message that matches
// sentinel (and cause, when not nil) under errors.Is.
func newReaderError(sentinel, cause error, format string, args ...any) error {
	errs := []error{sentinel}
	if cause != nil {
		errs = append(errs, cause)
	}
	return &readerError{msg: oneLine(fmt.Sprintf(format, args...)), errs: errs}
}

// oneLine replaces line breaks, which an archive can smuggle into entry
// names, so that every message stays on one line.
func oneLine(s string) string {
	return strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(s)
}

// unsafeEntry reports an entry refused for safety.
func unsafeEntry(archive, entry, why string) error {
	return newReaderError(ErrUnsafeEntry, nil, "%s: %q: unsafe entry: %s", archive, entry, why)
}

// cleanEntryName turns a tar entry name into an fs.FS path. A leading "./"
// (as written by `tar -C dir .`) and a trailing "/" are dropped; the root
// itself is ".". It returns a non-empty problem for a name that is absolute,
// climbs with "..", or is not a clean slash-separated relative path.
func cleanEntryName(raw string) (name, problem string) {
	if raw == "" {
		return "", "empty name"
	}
	if strings.HasPrefix(raw, "/") {
		return "", "absolute path"
	}
	name = raw
	for strings.HasPrefix(name, "./") {
		name = name[2:]
	}
	name = strings.TrimSuffix(name, "/")
	if name == "" || name == "." {
		return ".", ""
	}
	for _, elem := range strings.Split(name, "/") {
		if elem == ".." {
			return "", `".." path component`
		}
	}
	if !fs.ValidPath(name) {
		return "", `not a clean relative path (empty or "." component)`
	}
	return name, ""
}

// entryTypeProblem says why a tar entry type is refused, or "" for a regular
// file or a directory. The collector writes nothing else, so every link is
// refused, even one that stays inside the tree.
func entryTypeProblem(typ byte) string {
	switch typ {
	case tar.TypeReg, tar.TypeDir:
		return ""
	case tar.TypeSymlink:
		return "symbolic link (netsnap archives hold no links)"
	case tar.TypeLink:
		return "hard link (netsnap archives hold no links)"
	case tar.TypeChar, tar.TypeBlock:
		return "device node"
	case tar.TypeFifo:
		return "fifo"
	case tar.TypeGNUSparse:
		return "sparse file (netsnap archives hold none)"
	default:
		return fmt.Sprintf("unsupported entry type %q", typ)
	}
}

// inside reports whether path, an absolute path with symlinks resolved, is
// dir or lies below it.
func inside(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	if err != nil {
		return false
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel))
}

// checkDirEntry checks the entry name (an fs.FS path) of the extracted
// snapshot directory dir (absolute, symlinks resolved): symlinks on the way
// must resolve inside dir, and the entry must be a regular file or a
// directory. It returns the entry's FileInfo, following symlinks. A missing
// entry gives an error matching fs.ErrNotExist.
func checkDirEntry(archive, dir, name string) (fs.FileInfo, error) {
	full := filepath.Join(dir, filepath.FromSlash(name))
	real, err := filepath.EvalSymlinks(full)
	if err != nil {
		lfi, lerr := os.Lstat(full)
		if lerr == nil && lfi.Mode()&fs.ModeSymlink != 0 {
			return nil, newReaderError(ErrUnsafeEntry, err, "%s: %q: unsafe entry: symlink does not resolve", archive, name)
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: underlying(err)}
	}
	if !inside(dir, real) {
		return nil, unsafeEntry(archive, name, "symlink resolves outside the snapshot directory")
	}
	fi, err := os.Stat(real)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: underlying(err)}
	}
	if why := modeProblem(fi.Mode()); why != "" {
		return nil, unsafeEntry(archive, name, why)
	}
	return fi, nil
}

// modeProblem says why a file of an extracted snapshot is refused, or "" for
// a regular file or a directory.
func modeProblem(m fs.FileMode) string {
	switch {
	case m.IsRegular() || m.IsDir():
		return ""
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m&fs.ModeDevice != 0:
		return "device node"
	case m&fs.ModeNamedPipe != 0:
		return "fifo"
	case m&fs.ModeSocket != 0:
		return "socket"
	default:
		return "special file"
	}
}

// underlying strips the *fs.PathError of err, so that it can be re-wrapped
// under the fs.FS name of the entry.
func underlying(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}
