// Package report is the analyzer's output model: the findings of one
// snapshot (or of a diff, or a fleet), the host facts shown beside them and
// the data problems met on the way. Renderers turn it into text, markdown,
// JSON or HTML; nothing here formats for a terminal.
package report

import (
	"fmt"
	"strings"
	"time"
)

// Severity orders findings: Info < Warning < Critical.
type Severity int

// Severities.
const (
	Info Severity = iota + 1
	Warning
	Critical
)

// String returns "info", "warning" or "critical".
func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warning:
		return "warning"
	case Critical:
		return "critical"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// ParseSeverity reads "info", "warning" or "critical".
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "info":
		return Info, nil
	case "warning":
		return Warning, nil
	case "critical":
		return Critical, nil
	}
	return 0, fmt.Errorf("unknown severity %q (want info, warning or critical)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) {
	if s < Info || s > Critical {
		return nil, fmt.Errorf("invalid severity %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler; an unknown severity is an error.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Report is the analysis of one snapshot.
type Report struct {
	// Host identifies the host and the capture.
	Host Host `json:"host"`
	// Findings are sorted most severe first, then by id.
	Findings []Finding `json:"findings"`
	// Suppressed counts findings silenced by the user's rules file.
	Suppressed []Suppressed `json:"suppressed"`
	// Sections are the host facts every report shows, as tables, in order.
	Sections []Table `json:"sections"`
	// Problems are what could not be collected or parsed.
	Problems []Problem `json:"problems"`
	// Charts are the numbers behind the HTML format's figures, in order.
	Charts []Chart `json:"charts"`
	// Facts are the named facts the rules were evaluated against (JSON output only).
	Facts map[string]any `json:"facts,omitempty"`
	// Namespaces are the host's other network namespaces that were
	// captured (containers, pods), in the snapshot's order, with their own
	// tables and problems. Their findings are in Findings, after the
	// host's, with Namespace set to the namespace's Name.
	Namespaces []Namespace `json:"namespaces,omitempty"`
}

// Namespace is one network namespace of the host other than its own: what
// it is for people, and the tables and problems of its report.
type Namespace struct {
	// Name is unique within the report: "shop/web-5d9f7c-x2x4z" (a pod),
	// "api" (a container), "lab-backend" (ip netns), "sleep[8100]".
	Name         string   `json:"name"`
	Kind         string   `json:"kind"`
	Inode        uint64   `json:"inode"`
	Container    string   `json:"container,omitempty"`
	ContainerID  string   `json:"container_id,omitempty"`
	Pod          string   `json:"pod,omitempty"`
	PodNamespace string   `json:"pod_namespace,omitempty"`
	PIDs         []int    `json:"pids"`
	Addresses    []string `json:"addresses"`
	// TCPSockets counts its TCP sockets in the largest sample; Listeners
	// are its listening addresses.
	TCPSockets int      `json:"tcp_sockets"`
	Listeners  []string `json:"listeners"`
	// Counts of its findings by severity.
	Critical int       `json:"critical"`
	Warning  int       `json:"warning"`
	Info     int       `json:"info"`
	Sections []Table   `json:"sections"`
	Problems []Problem `json:"problems"`
	// Facts are the facts its rules were evaluated against (JSON output only).
	Facts map[string]any `json:"facts,omitempty"`
}

// NamespaceLabel says what a namespace is in a sentence: "container api",
// "pod shop/web-5d9f7c-x2x4z", "netns lab-backend", "the netns of
// sleep[8100]"; kind "" is "the host".
func NamespaceLabel(kind, name string) string {
	switch kind {
	case "":
		return "the host"
	case "pod":
		return "pod " + name
	case "docker", "containerd", "cri-o", "podman":
		return "container " + name
	case "netns":
		return "netns " + name
	}
	return "the netns of " + name
}

// Host identifies the host and the capture.
type Host struct {
	Snapshot      string    `json:"snapshot"`
	Hostname      string    `json:"hostname"`
	Kernel        string    `json:"kernel"`
	OS            string    `json:"os,omitempty"`
	CPUs          int       `json:"cpus"`
	UptimeSeconds float64   `json:"uptime_seconds"`
	CaptureStart  time.Time `json:"capture_start"`
	CaptureEnd    time.Time `json:"capture_end"`
	Samples       int       `json:"samples"`
	// IntervalSeconds is the mean time between samples (0 with one sample).
	IntervalSeconds float64 `json:"interval_seconds"`
	Live            bool    `json:"live"`
	Partial         bool    `json:"partial"`
	PartialReason   string  `json:"partial_reason,omitempty"`
	Collector       string  `json:"collector"`
}

// Finding is one rule that fired.
type Finding struct {
	// ID is the rule id from INCIDENTS.md, e.g. "tcp-tw-bucket-overflow".
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	// Title is one line with the numbers in it.
	Title string `json:"title"`
	// Basis says whether the evidence moved during the capture ("during capture"),
	// is cumulative since boot ("since boot"), or is a setting or a state ("").
	Basis    string   `json:"basis,omitempty"`
	Evidence Evidence `json:"evidence"`
	Why      string   `json:"why"`
	Fix      string   `json:"fix"`
	Refs     []string `json:"refs,omitempty"`
	// Status is set by diff: "new", "resolved" or "persisting".
	Status string `json:"status,omitempty"`
	// Changes describes, in a diff, how a persisting finding's numbers moved.
	Changes []string `json:"changes,omitempty"`
	// Namespace is the Name of the network namespace (Report.Namespaces)
	// the finding is about; "" for the host's own.
	Namespace string `json:"namespace,omitempty"`
	// Related are findings elsewhere on the host (another namespace, or the
	// host's own) that the same traffic ties to this one.
	Related []Related `json:"related,omitempty"`
}

// Related points from a finding to one in another namespace of the same host.
type Related struct {
	// Namespace is the other finding's namespace ("" the host's own).
	Namespace string `json:"namespace,omitempty"`
	ID        string `json:"id"`
	Title     string `json:"title"`
	// Why says what ties them: "nginx on the host proxies to
	// 172.17.0.2:8080, which container api listens on".
	Why string `json:"why"`
}

// Evidence is what a finding rests on: named values and tables.
type Evidence struct {
	Values []Value  `json:"values"`
	Tables []Table  `json:"tables,omitempty"`
	Lines  []string `json:"lines,omitempty"`
}

// Value is one named number or setting, already formatted for people
// (Raw keeps the machine value for JSON consumers).
type Value struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Raw   any    `json:"raw,omitempty"`
}

// ChartKind says how a chart is drawn.
type ChartKind string

// Chart kinds.
const (
	// Stacked draws one column per category with the series stacked in it
	// (TCP sockets by state, one column per sample).
	Stacked ChartKind = "stacked"
	// Bars draws one horizontal bar per category for the first series
	// (TIME_WAIT by service, ports by destination, counter rates).
	Bars ChartKind = "bars"
)

// Chart is a figure's data: numbers, not formatted strings, so that a
// renderer draws it without re-parsing a table.
type Chart struct {
	// ID is stable: "tcp_states", "time_wait_by_service",
	// "ports_by_destination", "conntrack", "counter_rates".
	ID    string    `json:"id"`
	Title string    `json:"title"`
	Kind  ChartKind `json:"kind"`
	// Unit names what the values count ("sockets", "ports", "per second").
	Unit string `json:"unit,omitempty"`
	// Categories label the columns or bars, in order.
	Categories []string `json:"categories"`
	// Series hold one value per category each.
	Series []Series `json:"series"`
	// Limits are reference lines on the value axis (tcp_max_tw_buckets,
	// the ephemeral range, nf_conntrack_max).
	Limits []Limit `json:"limits,omitempty"`
	// Note is a sentence printed under the chart (a cut, a caveat).
	Note string `json:"note,omitempty"`
}

// Series is one named run of values, one per category of its chart.
type Series struct {
	Name   string    `json:"name"`
	Values []float64 `json:"values"`
}

// Limit is a reference line: a value the chart's values are measured against.
type Limit struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
}

// Table is a titled table; every row has len(Columns) cells.
type Table struct {
	ID      string     `json:"id"`
	Title   string     `json:"title"`
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
	// Note is a sentence printed under the table (a cut, a caveat).
	Note string `json:"note,omitempty"`
}

// Suppressed counts findings a [[suppress]] entry silenced.
type Suppressed struct {
	ID     string `json:"id"`
	Match  string `json:"match"`
	Count  int    `json:"count"`
	Reason string `json:"reason,omitempty"`
}

// Problem is a source that could not be collected or a line that could not be parsed.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

// Worst returns the highest severity among the findings (0 when none).
func (r *Report) Worst() Severity {
	var w Severity
	for _, f := range r.Findings {
		if f.Severity > w {
			w = f.Severity
		}
	}
	return w
}

// Count returns how many findings have severity s.
func (r *Report) Count(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == s {
			n++
		}
	}
	return n
}

// Diff compares two snapshots of one host.
type Diff struct {
	Before Host `json:"before"`
	After  Host `json:"after"`
	// ElapsedSeconds is the time from the first capture's start to the second's.
	ElapsedSeconds float64 `json:"elapsed_seconds"`
	// Rebooted is true when the host rebooted between the captures (boot id or uptime).
	Rebooted bool `json:"rebooted"`
	// Notes are sentences about the comparison itself (a reboot, different hosts compared with --force).
	Notes []string `json:"notes"`
	// Findings are both snapshots' findings with Status new, resolved or persisting.
	Findings []Finding `json:"findings"`
	// SysctlChanges are runtime sysctl values that differ; PersistedChanges the
	// settings in sysctl.conf, sysctl.d and rc.local that differ.
	SysctlChanges    []SysctlChange `json:"sysctl_changes"`
	PersistedChanges []SysctlChange `json:"persisted_changes"`
	// Sections are side-by-side tables.
	Sections []Table   `json:"sections"`
	Problems []Problem `json:"problems"`
	// Charts pair each chart of the first snapshot's report with the same
	// chart of the second's, for figures drawn side by side.
	Charts []ChartPair `json:"charts"`
	// Namespaces are the network namespaces either snapshot has (the second's
	// description when both do), matched by name; findings name them.
	Namespaces []Namespace `json:"namespaces,omitempty"`
}

// ChartPair is one chart before and after; a side is nil when that
// snapshot has no such chart (conntrack not loaded, a single sample).
type ChartPair struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Before *Chart `json:"before,omitempty"`
	After  *Chart `json:"after,omitempty"`
}

// SysctlChange is one setting that differs ("" when absent on that side).
type SysctlChange struct {
	Key    string `json:"key"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// Finding statuses in a diff.
const (
	StatusNew        = "new"
	StatusResolved   = "resolved"
	StatusPersisting = "persisting"
)

// Fleet compares many hosts.
type Fleet struct {
	// Hosts has one row per snapshot, in the order given (a bad snapshot is a row with Error).
	Hosts []FleetHost `json:"hosts"`
	// Findings lists each rule that fired with the hosts it fired on.
	Findings []FleetFinding `json:"findings"`
	// Outliers are relevant sysctls where some hosts differ from the majority.
	Outliers []SysctlOutlier `json:"outliers"`
}

// FleetHost is one host's row.
type FleetHost struct {
	Snapshot     string    `json:"snapshot"`
	Error        string    `json:"error,omitempty"`
	Hostname     string    `json:"hostname,omitempty"`
	Kernel       string    `json:"kernel,omitempty"`
	CaptureStart time.Time `json:"capture_start"`
	Partial      bool      `json:"partial,omitempty"`
	// States counts sockets by state (largest sample).
	Established int `json:"established"`
	TimeWait    int `json:"time_wait"`
	SynSent     int `json:"syn_sent"`
	CloseWait   int `json:"close_wait"`
	// TWLimit is tcp_max_tw_buckets (-1 unknown).
	TWLimit int64 `json:"tw_limit"`
	// ConntrackPct is conntrack usage (-1 when not loaded).
	ConntrackPct float64 `json:"conntrack_pct"`
	// BusiestDest and BusiestPortPct describe the busiest destination's share of the ephemeral range.
	BusiestDest    string  `json:"busiest_dest,omitempty"`
	BusiestPortPct float64 `json:"busiest_port_pct"`
	// ListenOverflows is TcpExt ListenOverflows since boot; ListenRising says it rose during the capture.
	ListenOverflows int64 `json:"listen_overflows"`
	ListenRising    bool  `json:"listen_rising,omitempty"`
	// Critical, Warning and Info count the host's own findings; its
	// namespaces' are on their rows.
	Critical int `json:"critical"`
	Warning  int `json:"warning"`
	Info     int `json:"info"`
	// Namespaces are rows under the host: its other network namespaces
	// (containers, pods) that were captured.
	Namespaces []FleetNamespace `json:"namespaces,omitempty"`
}

// FleetNamespace is one network namespace of a fleet host.
type FleetNamespace struct {
	Name            string `json:"name"`
	Kind            string `json:"kind"`
	Established     int    `json:"established"`
	TimeWait        int    `json:"time_wait"`
	SynSent         int    `json:"syn_sent"`
	CloseWait       int    `json:"close_wait"`
	ListenOverflows int64  `json:"listen_overflows"`
	ListenRising    bool   `json:"listen_rising,omitempty"`
	Critical        int    `json:"critical"`
	Warning         int    `json:"warning"`
	Info            int    `json:"info"`
}

// FleetFinding is one rule and the hosts it fired on. A finding in one of
// a host's namespaces names it "HOST/NAMESPACE".
type FleetFinding struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Hosts    []string `json:"hosts"`
}

// SysctlOutlier is a setting where some hosts differ from the majority.
type SysctlOutlier struct {
	Key      string            `json:"key"`
	Majority string            `json:"majority"`
	Hosts    map[string]string `json:"hosts"`
}
