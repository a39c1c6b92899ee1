package sockdiag

import (
	"errors"
	"io/fs"
	"testing"
)

func TestAvailable(t *testing.T) {
	const (
		bothLoaded = "tcp_diag 16384 0 - Live 0x0000000000000000\n" +
			"inet_diag 28672 1 tcp_diag, Live 0x0000000000000000\n" +
			"nf_conntrack 172032 0 - Live 0x0000000000000000\n"
		onlyInet  = "inet_diag 28672 0 - Live 0x0000000000000000\n"
		unrelated = "ext4 999424 2 - Live 0xffffffffc0000000\n"
		builtin   = "kernel/net/ipv4/inet_diag.ko\nkernel/net/ipv4/tcp_diag.ko\nkernel/net/ipv4/udp_diag.ko\n"
	)
	permission := fs.ErrPermission
	tests := []struct {
		name       string
		modules    string
		modulesErr error
		builtin    string
		builtinErr error
		ok         bool
		why        string
	}{
		{"no module support", "", fs.ErrNotExist, "", fs.ErrNotExist, true, "kernel without module support"},
		{"no module support wrapped", "", &fs.PathError{Op: "open", Path: "/proc/modules", Err: fs.ErrNotExist}, "", nil, true, "kernel without module support"},
		{"proc modules unreadable", "", permission, builtin, nil, false, "/proc/modules unreadable: permission denied"},
		{"both loaded", bothLoaded, nil, "", fs.ErrNotExist, true, "inet_diag and tcp_diag loaded"},
		{"both built in", unrelated, nil, builtin, nil, true, "inet_diag and tcp_diag built in"},
		{"empty proc modules, built in", "", nil, builtin, nil, true, "inet_diag and tcp_diag built in"},
		{"mixed", onlyInet, nil, "kernel/net/ipv4/tcp_diag.ko\n", nil, true, "inet_diag loaded, tcp_diag built in"},
		{"tcp_diag missing", onlyInet, nil, "kernel/net/ipv4/udp_diag.ko\n", nil, false, "tcp_diag not loaded"},
		{"tcp_diag missing, builtin unreadable", onlyInet, nil, "", fs.ErrNotExist, false, "tcp_diag not loaded (modules.builtin unreadable)"},
		{"both missing", unrelated, nil, "kernel/fs/ext4/ext4.ko\n", nil, false, "inet_diag and tcp_diag not loaded"},
		{"dash in proc modules", "inet-diag 1 1 - Live 0x0\ntcp-diag 1 0 - Live 0x0\n", nil, "", nil, true, "inet_diag and tcp_diag loaded"},
		{"dash in builtin", "", nil, "kernel/net/ipv4/inet-diag.ko\nkernel/net/ipv4/tcp-diag.ko\n", nil, true, "inet_diag and tcp_diag built in"},
		{"compressed names in builtin", "", nil, "kernel/net/ipv4/inet_diag.ko.xz\r\nkernel/net/ipv4/tcp_diag.ko.zst\n", nil, true, "inet_diag and tcp_diag built in"},
		{"still loading", "inet_diag 28672 1 tcp_diag, Live 0x0\ntcp_diag 16384 0 - Loading 0x0\n", nil, "", nil, false, "tcp_diag not loaded"},
		{"old format without state", "inet_diag 28672 1\ntcp_diag 16384 0\n", nil, "", nil, true, "inet_diag and tcp_diag loaded"},
		{"similar names do not count", "inet_diag_x 1 0 - Live 0x0\nmptcp_diag 1 0 - Live 0x0\n", nil, "kernel/net/ipv4/xtcp_diag.ko\n", nil, false, "inet_diag and tcp_diag not loaded"},
		{"path in proc modules is not a name", "kernel/net/ipv4/inet_diag.ko 1 0 - Live 0x0\ntcp_diag 1 0 - Live 0x0\n", nil, "", nil, false, "inet_diag not loaded"},
		{"builtin read error other than missing", onlyInet, nil, "", errors.New("EIO"), false, "tcp_diag not loaded (modules.builtin unreadable)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, why := Available([]byte(tt.modules), tt.modulesErr, []byte(tt.builtin), tt.builtinErr)
			if ok != tt.ok || why != tt.why {
				t.Errorf("Available = %v, %q; want %v, %q", ok, why, tt.ok, tt.why)
			}
		})
	}
}
