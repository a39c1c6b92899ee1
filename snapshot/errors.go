package snapshot

import "errors"

// Sentinel errors of the archive reader, to be tested with errors.Is.
var (
	// ErrFormatVersion means the manifest is missing its version or is newer than this tool.
	ErrFormatVersion = errors.New("unsupported snapshot format version")
	// ErrUnsafeEntry means the archive holds an absolute path, a ".." path, a link leaving the tree or a special file.
	ErrUnsafeEntry = errors.New("unsafe archive entry")
	// ErrTooLarge means an entry or the archive as a whole decompresses past the size cap.
	ErrTooLarge = errors.New("archive exceeds size cap")
	// ErrNoManifest means the archive has no manifest.json (cut short, or not a snapshot).
	ErrNoManifest = errors.New("no manifest.json in snapshot")
	// ErrTruncated means the archive ends mid-stream (an interrupted capture, copy or download).
	ErrTruncated = errors.New("truncated archive")
	// ErrNotSnapshot means the input is neither a gzip, zstd or plain tar archive nor a directory,
	// or its contents are not a tar archive.
	ErrNotSnapshot = errors.New("not a netsnap snapshot")
)
