package redact

import (
	"strings"

	"github.com/netsnap/netsnap/snapshot"
)

// manifest returns the redacted copy of m: the host name replaced, every
// path, message and command line rewritten like the files (so archive
// paths match the renamed entries), and each source's byte count changed
// by what redaction changed in the entries it stored.
func (d *driver) manifest(m *snapshot.Manifest) *snapshot.Manifest {
	t := d.r.textString
	out := *m
	out.Hostname = d.r.name(m.Hostname)
	out.Root = t(m.Root)
	out.PartialReason = t(m.PartialReason)
	out.Warnings = mapStrings(m.Warnings, t)
	out.Sources = make([]snapshot.SourceResult, len(m.Sources))
	for i, s := range m.Sources {
		s.Bytes += d.delta(m, s)
		s.Path = t(s.Path)
		if s.Archive != "" {
			s.Archive = d.rename(s.Archive)
		}
		s.Error = t(s.Error)
		if s.FileErrors != nil {
			fe := make([]snapshot.FileError, len(s.FileErrors))
			for k, e := range s.FileErrors {
				fe[k] = snapshot.FileError{Path: t(e.Path), Error: t(e.Error)}
			}
			s.FileErrors = fe
		}
		out.Sources[i] = s
	}
	out.Nginx = make([]snapshot.NginxInstance, len(m.Nginx))
	for i, n := range m.Nginx {
		n.Exe, n.Cmdline, n.Prefix, n.Conf, n.Globals = t(n.Exe), t(n.Cmdline), t(n.Prefix), t(n.Conf), t(n.Globals)
		n.ConfigFiles = mapStrings(n.ConfigFiles, t)
		n.ErrorLogs = mapStrings(n.ErrorLogs, t)
		n.Problems = mapStrings(n.Problems, t)
		n.Workers = append([]int(nil), n.Workers...)
		out.Nginx[i] = n
	}
	if m.Nginx == nil {
		out.Nginx = nil
	}
	if m.NetNS != nil {
		out.NetNS = make([]snapshot.NetNS, len(m.NetNS))
		name := func(s string) string {
			if s == "" {
				return ""
			}
			return d.r.name(s)
		}
		for i, n := range m.NetNS {
			// Containers, pods and their Kubernetes namespaces are names
			// like host names: each gets a pseudonym (the same in every
			// snapshot redacted with one map, so diff still matches them),
			// and the namespace's name is made again from them.
			n.Dir, n.Container, n.Pod, n.PodNamespace, n.Skipped = t(n.Dir), name(n.Container), name(n.Pod), name(n.PodNamespace), t(n.Skipped)
			switch {
			case n.Pod != "" && n.PodNamespace != "":
				n.Name = n.PodNamespace + "/" + n.Pod
			case n.Pod != "":
				n.Name = n.Pod
			case n.Container != "":
				n.Name = n.Container
			case n.Kind == "netns":
				n.Name = name(n.Name)
			default:
				n.Name = t(n.Name)
			}
			n.PIDs = append([]int(nil), n.PIDs...)
			n.Comms = mapStrings(n.Comms, t)
			out.NetNS[i] = n
		}
	}
	return &out
}

func mapStrings(in []string, f func(string) string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = f(s)
	}
	return out
}

// delta is the change in size of the entries source s stored: its entry,
// the files of its tree, or (nginx) the configuration files.
func (d *driver) delta(m *snapshot.Manifest, s snapshot.SourceResult) int64 {
	if s.Archive == "" || s.Status != snapshot.StatusOK {
		return 0
	}
	diff := func(name string) int64 {
		if z, ok := d.sizes[name]; ok {
			return z[1] - z[0]
		}
		return 0
	}
	if s.Files == 0 {
		return diff(s.Archive)
	}
	var sum int64
	if s.Name == "nginx" {
		for _, n := range m.Nginx {
			if archivePath(n.Root+"/"+n.Conf) != s.Archive {
				continue
			}
			for _, f := range n.ConfigFiles {
				sum += diff(archivePath(n.Root + "/" + f))
			}
		}
		return sum
	}
	prefix := s.Archive + "/"
	for name := range d.sizes {
		if strings.HasPrefix(name, prefix) {
			sum += diff(name)
		}
	}
	return sum
}
