package collect

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"strings"
	"syscall"

	"github.com/netsnap/netsnap/snapshot"
)

// namer names network namespaces for people, from what the host keeps on
// disk: the cgroup of their processes gives a container id and a
// Kubernetes pod UID, and the container runtime's state files (docker,
// containerd, CRI-O) or the kubelet's pod directory give the names. It
// reads small files only, and nothing inside the containers.
type namer struct {
	c       *collector
	ipNetns map[uint64]string // `ip netns add NAME`: /run/netns/NAME by inode
}

// Bounds of the naming work per namespace.
const (
	nameMaxPIDs  = 16 // processes whose cgroup is read
	nameMaxComms = 8
	nameMaxJSON  = 4 << 20 // a runtime's config file
)

func newNamer(c *collector) *namer {
	n := &namer{c: c, ipNetns: map[uint64]string{}}
	if !c.root.Live() {
		return n // the inodes of a tree's /run/netns files are not namespaces
	}
	ents, err := c.root.ReadDir("/run/netns")
	if err != nil {
		return n
	}
	for _, e := range ents {
		fi, err := c.root.Stat("/run/netns/" + e.Name())
		if err != nil {
			continue
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			n.ipNetns[st.Ino] = e.Name()
		}
	}
	return n
}

// name fills v.m's name fields.
func (n *namer) name(v *netnsView) {
	m := v.m
	seen := map[string]bool{}
	for _, pid := range v.pids {
		if len(m.Comms) >= nameMaxComms {
			break
		}
		b, err := n.c.root.ReadFileMax(fmt.Sprintf("/proc/%d/comm", pid), 256)
		comm := strings.TrimSpace(string(b))
		if err != nil || comm == "" || seen[comm] {
			continue
		}
		seen[comm] = true
		m.Comms = append(m.Comms, comm)
	}
	for i, pid := range v.pids {
		if i >= nameMaxPIDs || m.Pod != "" {
			break
		}
		b, err := n.c.root.ReadFileMax(fmt.Sprintf("/proc/%d/cgroup", pid), 64<<10)
		if err != nil {
			continue
		}
		cg := parseCgroup(string(b))
		if cg.podUID != "" && m.PodUID == "" {
			m.PodUID = cg.podUID
		}
		if cg.id != "" && m.ContainerID == "" {
			m.ContainerID, m.Kind = cg.id, cg.runtime
			n.runtimeNames(m, cg)
		}
		if m.Pod == "" && cg.id != "" {
			n.runtimeNames(m, cg) // another container of the same pod may say more
		}
	}
	if m.PodUID != "" && m.Pod == "" {
		n.kubeletNames(m)
	}
	switch {
	case m.Pod != "":
		m.Kind, m.Name = "pod", m.Pod
		if m.PodNamespace != "" {
			m.Name = m.PodNamespace + "/" + m.Pod
		}
	case m.Container != "":
		m.Name = m.Container
	case m.ContainerID != "":
		m.Name = m.Kind + " " + shortID(m.ContainerID)
	case n.ipNetns[m.Inode] != "":
		m.Kind, m.Name = "netns", n.ipNetns[m.Inode]
	default:
		m.Kind = "processes"
		var parts []string
		for i, pid := range v.pids {
			if i == 3 {
				parts = append(parts, fmt.Sprintf("and %d more", len(v.pids)-3))
				break
			}
			comm := "?"
			if b, err := n.c.root.ReadFileMax(fmt.Sprintf("/proc/%d/comm", pid), 256); err == nil {
				comm = strings.TrimSpace(string(b))
			}
			parts = append(parts, fmt.Sprintf("%s[%d]", comm, pid))
		}
		m.Name = strings.Join(parts, " ")
	}
	if m.Kind == "" {
		m.Kind = "processes"
	}
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// cgroupInfo is what a process's cgroup path says of its container.
type cgroupInfo struct {
	id      string // 64 hex digits
	runtime string // docker, containerd, cri-o, podman ("" unknown)
	podUID  string // with dashes
}

var (
	cgroupID  = regexp.MustCompile(`^(?:(docker|cri-containerd|crio|libpod)-)?([0-9a-f]{64})(?:\.scope)?$`)
	cgroupPod = regexp.MustCompile(`pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})`)
)

// parseCgroup reads /proc/PID/cgroup ("ID:controllers:path" lines; cgroup
// v2 has one line "0::/path"): the container id from the last path element
// that is one (docker-ID.scope, cri-containerd-ID.scope, crio-ID.scope,
// libpod-ID.scope, or /docker/ID, /kubepods/.../ID), the pod UID from a
// kubepods element.
func parseCgroup(s string) cgroupInfo {
	var ci cgroupInfo
	for _, line := range strings.Split(s, "\n") {
		_, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		_, p, ok := strings.Cut(rest, ":")
		if !ok {
			continue
		}
		if ci.podUID == "" {
			if m := cgroupPod.FindStringSubmatch(p); m != nil {
				ci.podUID = strings.ReplaceAll(m[1], "_", "-")
			}
		}
		if ci.id != "" {
			continue
		}
		elems := strings.Split(p, "/")
		for i := len(elems) - 1; i >= 0; i-- {
			m := cgroupID.FindStringSubmatch(elems[i])
			if m == nil {
				continue
			}
			ci.id = m[2]
			switch {
			case m[1] == "docker" || i > 0 && elems[i-1] == "docker":
				ci.runtime = "docker"
			case m[1] == "cri-containerd":
				ci.runtime = "containerd"
			case m[1] == "crio":
				ci.runtime = "cri-o"
			case m[1] == "libpod":
				ci.runtime = "podman"
			}
			break
		}
	}
	return ci
}

// Labels and annotations that name a container and its pod.
var (
	podNameKeys   = []string{"io.kubernetes.pod.name", "io.kubernetes.cri.sandbox-name"}
	podNSKeys     = []string{"io.kubernetes.pod.namespace", "io.kubernetes.cri.sandbox-namespace"}
	podUIDKeys    = []string{"io.kubernetes.pod.uid", "io.kubernetes.cri.sandbox-uid"}
	containerKeys = []string{"io.kubernetes.container.name", "io.kubernetes.cri.container-name"}
)

// runtimeNames reads the container's state file of whichever runtime has it.
func (n *namer) runtimeNames(m *snapshot.NetNS, cg cgroupInfo) {
	id := cg.id
	var labels map[string]string
	// docker (and cri-dockerd): config.v2.json, {"Name": "/web", "Config": {"Labels": {...}}}.
	if cg.runtime == "" || cg.runtime == "docker" {
		var d struct {
			Name   string
			Config struct{ Labels map[string]string }
		}
		if n.readJSON("/var/lib/docker/containers/"+id+"/config.v2.json", &d) {
			if m.Kind == "" {
				m.Kind = "docker"
			}
			if m.Container == "" {
				m.Container = strings.TrimPrefix(d.Name, "/")
			}
			labels = d.Config.Labels
		}
	}
	// containerd: the OCI bundle of its runtime v2 task, in any containerd namespace (k8s.io, moby, default).
	if labels == nil && (cg.runtime == "" || cg.runtime == "containerd") {
		if matches, _ := n.c.root.Glob("/run/containerd/io.containerd.runtime.v2.task/*/" + id + "/config.json"); len(matches) > 0 {
			var o struct{ Annotations map[string]string }
			if n.readJSON(matches[0], &o) {
				if m.Kind == "" {
					m.Kind = "containerd"
				}
				labels = o.Annotations
			}
		}
	}
	// CRI-O (and podman): the container's userdata.
	if labels == nil && (cg.runtime == "" || cg.runtime == "cri-o" || cg.runtime == "podman") {
		var o struct{ Annotations map[string]string }
		if n.readJSON("/var/lib/containers/storage/overlay-containers/"+id+"/userdata/config.json", &o) {
			if m.Kind == "" {
				m.Kind = "cri-o"
			}
			labels = o.Annotations
		}
	}
	if v := firstLabel(labels, podNameKeys); v != "" && m.Pod == "" {
		m.Pod = v
	}
	if v := firstLabel(labels, podNSKeys); v != "" && m.PodNamespace == "" {
		m.PodNamespace = v
	}
	if v := firstLabel(labels, podUIDKeys); v != "" && m.PodUID == "" {
		m.PodUID = v
	}
	if v := firstLabel(labels, containerKeys); v != "" && m.Container == "" {
		m.Container = v
	}
}

func firstLabel(labels map[string]string, keys []string) string {
	for _, k := range keys {
		if v := labels[k]; v != "" {
			return v
		}
	}
	return ""
}

// kubeletNames reads the pod's name from the hosts file the kubelet writes
// for it (its last line names the pod) and its namespace from the service
// account volume (the "namespace" file only; the token beside it is not read).
func (n *namer) kubeletNames(m *snapshot.NetNS) {
	dir := "/var/lib/kubelet/pods/" + m.PodUID
	if b, err := n.c.root.ReadFileMax(dir+"/etc-hosts", 64<<10); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) < 2 || strings.HasPrefix(f[0], "#") || f[1] == "localhost" || strings.HasPrefix(f[1], "ip6-") {
				continue
			}
			m.Pod = f[1]
		}
	}
	if matches, _ := n.c.root.Glob(dir + "/volumes/kubernetes.io~projected/*/namespace"); len(matches) > 0 {
		if b, err := n.c.root.ReadFileMax(matches[0], 256); err == nil {
			m.PodNamespace = strings.TrimSpace(string(b))
		}
	}
}

// readJSON decodes a runtime's state file into v; false when it is absent or not JSON.
func (n *namer) readJSON(p string, v any) bool {
	b, err := n.c.root.ReadFileMax(path.Clean(p), nameMaxJSON)
	if err != nil {
		return false
	}
	return json.Unmarshal(b, v) == nil
}
