package sockdiag

import (
	"bytes"
	"errors"
	"io/fs"
	"path"
	"strings"
)

// needed are the modules that must already be in the kernel before a
// SOCK_DIAG_BY_FAMILY dump of TCP sockets: inet_diag registers the AF_INET and
// AF_INET6 sock_diag handlers and tcp_diag the IPPROTO_TCP one; a missing one
// is request_module()d by the kernel on the first request.
//
// sock_diag itself (net/core/sock_diag.c, the NETLINK_SOCK_DIAG socket) is
// not checked separately: upstream it is always built in (obj-y in
// net/core/Makefile, so it is never listed in modules.builtin), and on the
// kernels that make it optional (OpenWrt's CONFIG_SOCK_DIAG) inet_diag
// depends on it, so inet_diag being present implies sock_diag is. Before 3.3
// inet_diag owned NETLINK_INET_DIAG itself, which the inet_diag check covers.
var needed = []string{"inet_diag", "tcp_diag"}

// Available reports whether inet_diag and tcp_diag (and sock_diag) are already provided by the
// running kernel, so that a NETLINK_SOCK_DIAG dump cannot trigger a module load.
// modules is the content of /proc/modules (modulesErr its read error; fs.ErrNotExist means the kernel
// has no module support: everything is built in), builtin is /lib/modules/$(uname -r)/modules.builtin
// (builtinErr its read error). why explains the decision in one short phrase for the manifest
// (e.g. "kernel without module support", "inet_diag and tcp_diag loaded", "tcp_diag not loaded").
func Available(modules []byte, modulesErr error, builtin []byte, builtinErr error) (ok bool, why string) {
	if modulesErr != nil {
		if errors.Is(modulesErr, fs.ErrNotExist) {
			return true, "kernel without module support"
		}
		return false, "/proc/modules unreadable: " + modulesErr.Error()
	}
	loaded := loadedModules(modules)
	var built map[string]bool
	if builtinErr == nil {
		built = builtinModules(builtin)
	}
	var viaLoaded, viaBuiltin, missing []string
	for _, m := range needed {
		switch {
		case loaded[m]:
			viaLoaded = append(viaLoaded, m)
		case built[m]:
			viaBuiltin = append(viaBuiltin, m)
		default:
			missing = append(missing, m)
		}
	}
	if len(missing) > 0 {
		why = join(missing) + " not loaded"
		if builtinErr != nil {
			why += " (modules.builtin unreadable)"
		}
		return false, why
	}
	switch {
	case len(viaBuiltin) == 0:
		return true, join(viaLoaded) + " loaded"
	case len(viaLoaded) == 0:
		return true, join(viaBuiltin) + " built in"
	default:
		return true, join(viaLoaded) + " loaded, " + join(viaBuiltin) + " built in"
	}
}

func join(names []string) string {
	if len(names) == 2 {
		return names[0] + " and " + names[1]
	}
	return strings.Join(names, ", ")
}

// normalize maps a module name to its canonical form: the kernel treats '-'
// and '_' in module names as the same character and shows '_'.
func normalize(name string) string {
	return strings.ReplaceAll(name, "-", "_")
}

// loadedModules returns the live modules of /proc/modules ("name size refs
// deps state addr"). A module still Loading (or Unloading) does not count:
// its handlers may not be registered yet, and a request would wait for or
// race with it.
func loadedModules(b []byte) map[string]bool {
	m := map[string]bool{}
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		f := strings.Fields(string(line))
		if len(f) == 0 {
			continue
		}
		if len(f) >= 5 && f[4] != "Live" {
			continue
		}
		m[normalize(f[0])] = true
	}
	return m
}

// builtinModules returns the module names listed in modules.builtin
// ("kernel/net/ipv4/inet_diag.ko" -> "inet_diag").
func builtinModules(b []byte) map[string]bool {
	m := map[string]bool{}
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		s := strings.TrimSpace(string(line))
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		base := path.Base(s)
		for _, ext := range []string{".ko", ".ko.gz", ".ko.xz", ".ko.zst"} {
			if strings.HasSuffix(base, ext) {
				base = strings.TrimSuffix(base, ext)
				break
			}
		}
		m[normalize(base)] = true
	}
	return m
}
