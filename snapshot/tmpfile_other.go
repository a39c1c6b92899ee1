//go:build !linux

package snapshot

import (
	"fmt"
	"os"
)

// TempFile reports errNoTmpfile: unnamed files are a Linux feature; callers
// fall back to a named temporary file.
func TempFile(dir string) (*os.File, error) {
	return nil, fmt.Errorf("%s: %w", dir, errNoTmpfile)
}

func linkFD(fd uintptr, newpath string) error { return errNoTmpfile }
