package snapshot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Output is an archive file being written. It has no name until Commit:
// it is created with O_TMPFILE where the filesystem allows, so a process
// killed mid-write leaves nothing behind; elsewhere it is a hidden temporary
// file next to the final name, removed by Abort.
type Output struct {
	*os.File
	final   string
	tmpName string // set when O_TMPFILE was not available
	done    bool
}

// CreateOutput starts writing the archive that Commit will name final.
func CreateOutput(final string) (*Output, error) {
	dir := filepath.Dir(final)
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("output %s: %w", final, err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("output %s: %s is not a directory", final, dir)
	}
	if fi, err := os.Stat(final); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("output %s: is a directory", final)
	}
	f, err := TempFile(dir)
	if err == nil {
		return &Output{File: f, final: final}, nil
	}
	if !errors.Is(err, errNoTmpfile) {
		return nil, fmt.Errorf("output %s: %w", final, err)
	}
	tmp := filepath.Join(dir, "."+filepath.Base(final)+".tmp"+strconv.Itoa(os.Getpid()))
	f, err = os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("output %s: %w", final, err)
	}
	return &Output{File: f, final: final, tmpName: tmp}, nil
}

var errNoTmpfile = errors.New("O_TMPFILE not supported")

// SpoolFile returns an anonymous read-write temporary file in dir (os.TempDir
// when empty) that leaves nothing behind: O_TMPFILE, or created and unlinked
// at once where O_TMPFILE is not supported.
func SpoolFile(dir string) (*os.File, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	f, err := TempFile(dir)
	if err == nil || !errors.Is(err, errNoTmpfile) {
		return f, err
	}
	f, err = os.CreateTemp(dir, ".netsnap-spool-*")
	if err != nil {
		return nil, err
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Commit makes the finished archive visible under its final name, replacing
// any file there.
func (o *Output) Commit() error {
	if o.done {
		return errors.New("output already committed or aborted")
	}
	o.done = true
	if err := o.Sync(); err != nil {
		o.cleanup()
		return fmt.Errorf("output %s: %w", o.final, err)
	}
	if o.tmpName == "" {
		// Link the unnamed file into the directory under a temporary name, then rename
		// over the final name (linkat refuses an existing target).
		tmp := filepath.Join(filepath.Dir(o.final), "."+filepath.Base(o.final)+".tmp"+strconv.FormatInt(time.Now().UnixNano(), 36))
		if err := linkFD(o.Fd(), tmp); err != nil {
			o.File.Close()
			return fmt.Errorf("output %s: %w", o.final, err)
		}
		o.tmpName = tmp
	}
	if err := o.File.Close(); err != nil {
		o.cleanup()
		return fmt.Errorf("output %s: %w", o.final, err)
	}
	if err := os.Rename(o.tmpName, o.final); err != nil {
		o.cleanup()
		return fmt.Errorf("output %s: %w", o.final, err)
	}
	return nil
}

// Abort discards the archive; nothing is left under any name.
func (o *Output) Abort() {
	if o.done {
		return
	}
	o.done = true
	o.File.Close()
	o.cleanup()
}

func (o *Output) cleanup() {
	if o.tmpName != "" {
		os.Remove(o.tmpName)
	}
}
