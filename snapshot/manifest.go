// Package snapshot defines the netsnap archive format: the manifest, the
// layout of entries inside the archive, the writer used by the collector and
// the safe reader used by the analyzer.
//
// An archive is a tar stream (gzip or zstd compressed) holding:
//
//	samples/N/<host path>   sampled sources, N = 1..samples (samples/1/proc/net/tcp)
//	<host path>             sources captured once, at their original path (proc/sys/net/core/somaxconn,
//	                        etc/nginx/nginx.conf, var/log/kern.log)
//	netsnap/...             text files the collector derives itself (documented in FORMAT.md)
//	manifest.json           always the last entry: what was captured, how, and what failed
//
// The package links only the standard library and klauspost/compress.
package snapshot

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// FormatVersion is the archive format this package writes and the newest it reads.
const FormatVersion = 1

// ManifestName is the archive path of the manifest.
const ManifestName = "manifest.json"

// Status values of a SourceResult.
const (
	StatusOK      = "ok"      // captured (possibly truncated, see Truncated)
	StatusMissing = "missing" // the file or directory does not exist on this host
	StatusDenied  = "denied"  // permission denied
	StatusTimeout = "timeout" // cut off by the per-source or total deadline
	StatusSkipped = "skipped" // deliberately not collected (live-only under --root, unsafe, --skip)
	StatusError   = "error"   // any other failure
)

// Manifest describes one snapshot. It is stored as the last archive entry.
type Manifest struct {
	FormatVersion int    `json:"format_version"`
	Tool          string `json:"tool"`
	ToolVersion   string `json:"tool_version"`

	Hostname      string `json:"hostname"`
	KernelRelease string `json:"kernel_release"`
	KernelVersion string `json:"kernel_version"`
	BootID        string `json:"boot_id"`
	CPUs          int    `json:"cpus"`

	// Live is true when the collector read the running host, false under --root.
	Live bool `json:"live"`
	// Root is the --root directory, empty when live.
	Root string `json:"root,omitempty"`

	Start time.Time `json:"start"`
	End   time.Time `json:"end"`

	// Partial is true when the capture was cut short (deadline or signal);
	// PartialReason says why.
	Partial       bool   `json:"partial"`
	PartialReason string `json:"partial_reason,omitempty"`

	Options Options `json:"options"`

	// Samples lists the sampling rounds that were taken, in order.
	Samples []Sample `json:"samples"`
	// Sources lists every source attempted, in capture order.
	Sources []SourceResult `json:"sources"`
	// Nginx lists the nginx-family instances found.
	Nginx []NginxInstance `json:"nginx,omitempty"`
	// NetNS lists the network namespaces captured besides netsnap's own
	// (--netns), each under its Dir, and those skipped.
	NetNS []NetNS `json:"netns,omitempty"`
	// Warnings are notes for the person reading the snapshot (e.g. "not running as root").
	Warnings []string `json:"warnings,omitempty"`
}

// NetNS is a network namespace other than netsnap's own. Its files are
// under Dir ("netns/INODE"), laid out like the archive's top: the sampled
// tables in samples/N/proc/net/, its settings in proc/sys/net/.
type NetNS struct {
	// Inode is the namespace's inode (ls -L -i /proc/PID/ns/net).
	Inode uint64 `json:"inode"`
	Dir   string `json:"dir,omitempty"`
	// Name is for people: "shop/web-5d9f7c-x2x4z" (a Kubernetes pod), "web"
	// (a docker container), "lab-backend" (ip netns), else its processes
	// ("nginx[812] python3[900]").
	Name string `json:"name"`
	// Kind says where Name comes from: "pod", "docker", "containerd",
	// "cri-o", "podman", "netns" (ip netns add) or "processes".
	Kind         string `json:"kind"`
	ContainerID  string `json:"container_id,omitempty"`
	Container    string `json:"container,omitempty"`
	Pod          string `json:"pod,omitempty"`
	PodNamespace string `json:"pod_namespace,omitempty"`
	PodUID       string `json:"pod_uid,omitempty"`
	// PIDs are the processes in the namespace when the capture began.
	PIDs []int `json:"pids"`
	// Comms are their distinct command names, up to 8.
	Comms []string `json:"comms,omitempty"`
	// Skipped says why the namespace was not captured ("" when it was).
	Skipped string `json:"skipped,omitempty"`
}

// Options records the collector settings that shaped the snapshot.
type Options struct {
	Samples         int      `json:"samples"`
	IntervalSeconds float64  `json:"interval_seconds"`
	TimeoutSeconds  float64  `json:"timeout_seconds"`
	Compression     string   `json:"compression"`
	LogMaxBytes     int64    `json:"log_max_bytes"`
	TableMaxBytes   int64    `json:"table_max_bytes"`
	Only            []string `json:"only,omitempty"`
	Skip            []string `json:"skip,omitempty"`
}

// Sample is one sampling round of the fast-moving sources.
type Sample struct {
	Index int       `json:"index"` // 1-based
	Dir   string    `json:"dir"`   // archive directory, "samples/1"
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// SourceResult is the outcome of capturing one source (one file, one tree or
// one derived file) once, or in one sample.
type SourceResult struct {
	// Name is the source id from the collector's source table, e.g. "tcp" or "sysctl-net".
	Name string `json:"name"`
	// Path is where the data came from on the host ("/proc/net/tcp"); for
	// derived sources a description ("/proc/*/fd").
	Path string `json:"path"`
	// Archive is the archive path of the stored entry (or tree root); empty when nothing was stored.
	Archive string `json:"archive,omitempty"`
	// Sample is the 1-based sample index for sampled sources, 0 for sources captured once.
	Sample int `json:"sample,omitempty"`
	// Status is one of the Status* constants.
	Status string `json:"status"`
	// Error is the reason for a status other than ok, or a note.
	Error string `json:"error,omitempty"`
	// Bytes is the number of bytes stored.
	Bytes int64 `json:"bytes"`
	// Truncated is true when only part of the data was stored (a byte cap or a tail).
	Truncated bool `json:"truncated,omitempty"`
	// Filter says the data is a filtered copy (e.g. "kernel lines").
	Filter string `json:"filter,omitempty"`
	// Files counts the files stored for a tree source.
	Files int `json:"files,omitempty"`
	// Items counts the records of a derived source (processes, sockets, listeners).
	Items int `json:"items,omitempty"`
	// FileErrors lists files of a tree source that could not be read (at most 50).
	FileErrors []FileError `json:"file_errors,omitempty"`
	// DurationMS is how long the capture took, in milliseconds.
	DurationMS float64 `json:"duration_ms"`
}

// FileError is one unreadable file inside a tree source.
type FileError struct {
	Path  string `json:"path"`
	Error string `json:"error"`
}

// NginxInstance is one nginx, Tengine or OpenResty installation found on the host.
type NginxInstance struct {
	// PID of the master process; 0 when the configuration was found at a default path with nothing running.
	PID int `json:"pid,omitempty"`
	// Workers are the PIDs of the master's children.
	Workers []int  `json:"workers,omitempty"`
	Exe     string `json:"exe,omitempty"`
	Cmdline string `json:"cmdline,omitempty"`
	// Flavor is nginx, tengine or openresty when it can be told, else nginx.
	Flavor string `json:"flavor"`
	// Prefix is the nginx prefix (-p, or derived from the binary's location).
	Prefix string `json:"prefix"`
	// Conf is the main configuration file.
	Conf string `json:"conf"`
	// Globals are -g directives from the command line.
	Globals string `json:"globals,omitempty"`
	// ConfigFiles are the configuration files captured: the main one first, then includes in order.
	ConfigFiles []string `json:"config_files,omitempty"`
	// ErrorLogs are the error log files named by the configuration (or the default).
	ErrorLogs []string `json:"error_logs,omitempty"`
	// Problems are configuration problems seen while following includes ("file:line: message").
	Problems []string `json:"problems,omitempty"`
	// Root is set when the master runs in a mount namespace of its own (a
	// container): its files were read through Root ("/proc/PID/root") and
	// are stored in the archive under that path ("proc/PID/root/etc/..."),
	// while Conf, ConfigFiles and ErrorLogs stay the paths nginx sees.
	Root string `json:"root,omitempty"`
}

// DecodeManifest reads and validates a manifest. It refuses a format version
// newer than FormatVersion.
func DecodeManifest(r io.Reader) (*Manifest, error) {
	dec := json.NewDecoder(io.LimitReader(r, 64<<20))
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %w", ManifestName, err)
	}
	if m.FormatVersion < 1 {
		return nil, fmt.Errorf("%s: missing or invalid format_version %d: %w", ManifestName, m.FormatVersion, ErrFormatVersion)
	}
	if m.FormatVersion > FormatVersion {
		return nil, fmt.Errorf("%s: format_version %d is newer than this tool understands (%d): %w", ManifestName, m.FormatVersion, FormatVersion, ErrFormatVersion)
	}
	return &m, nil
}

// Source returns the results for the named source, in capture order.
func (m *Manifest) Source(name string) []SourceResult {
	var out []SourceResult
	for _, s := range m.Sources {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}
