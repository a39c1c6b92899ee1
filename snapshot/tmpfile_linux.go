package snapshot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"unsafe"
)

// oTmpfile is O_TMPFILE: __O_TMPFILE | O_DIRECTORY (O_DIRECTORY differs between architectures).
const oTmpfile = 0x400000 | syscall.O_DIRECTORY

// atSymlinkFollow is AT_SYMLINK_FOLLOW for linkat(2).
const atSymlinkFollow = 0x400

// TempFile creates an unnamed temporary file in dir with O_TMPFILE. It
// disappears when closed or when the process dies. It returns an error
// wrapping errNoTmpfile where the filesystem cannot do this.
func TempFile(dir string) (*os.File, error) {
	fd, err := syscall.Open(dir, oTmpfile|syscall.O_RDWR|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		if errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.EINVAL) {
			return nil, fmt.Errorf("%s: %w", dir, errNoTmpfile)
		}
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	return os.NewFile(uintptr(fd), filepath.Join(dir, "(unnamed)")), nil
}

func linkFD(fd uintptr, newpath string) error {
	old, err := syscall.BytePtrFromString("/proc/self/fd/" + strconv.Itoa(int(fd)))
	if err != nil {
		return err
	}
	nw, err := syscall.BytePtrFromString(newpath)
	if err != nil {
		return err
	}
	atFDCWD := -100
	_, _, e := syscall.Syscall6(syscall.SYS_LINKAT, uintptr(atFDCWD), uintptr(unsafe.Pointer(old)), uintptr(atFDCWD), uintptr(unsafe.Pointer(nw)), atSymlinkFollow, 0)
	if e != 0 {
		return &os.LinkError{Op: "link", Old: "(unnamed)", New: newpath, Err: e}
	}
	return nil
}
