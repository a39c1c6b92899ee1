package sockdiag

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
)

// nlmsg wraps a payload in a netlink header, padded to 4 bytes.
func nlmsg(typ uint16, seq uint32, payload []byte) []byte {
	b := make([]byte, nlmsgHdrLen, nlmsgHdrLen+len(payload)+3)
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(nlmsgHdrLen+len(payload)))
	ne.PutUint16(b[4:], typ)
	ne.PutUint32(b[8:], seq)
	b = append(b, payload...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func le32(v int32) []byte {
	b := make([]byte, 4)
	binary.NativeEndian.PutUint32(b, uint32(v))
	return b
}

func TestRequest(t *testing.T) {
	b := request(afInet6, 7, 1<<tcpListen)
	if len(b) != 72 {
		t.Fatalf("len %d", len(b))
	}
	ne := binary.NativeEndian
	if ne.Uint32(b) != 72 || ne.Uint16(b[4:]) != 20 || ne.Uint16(b[6:]) != 0x301 || ne.Uint32(b[8:]) != 7 {
		t.Errorf("header % x", b[:16])
	}
	if b[16] != 10 || b[17] != 6 || b[18] != 0 || ne.Uint32(b[20:]) != 1<<10 {
		t.Errorf("request % x", b[16:24])
	}
	if !bytes.Equal(b[24:], make([]byte, 48)) {
		t.Errorf("sockid not zero")
	}
}

func TestHandle(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	tests := []struct {
		name    string
		in      []byte
		done    bool
		err     string
		written string
	}{
		{"one socket then done", append(nlmsg(20, 1, diagMsg(2, 10, lo, 80, 1, 2, 3, 4)), nlmsg(3, 1, le32(0))...), true, "", "inet\t127.0.0.1:80\t1\t2\t3\t4\n"},
		{"no done yet", nlmsg(20, 1, diagMsg(2, 10, lo, 80, 1, 2, 3, 4)), false, "", "inet\t127.0.0.1:80\t1\t2\t3\t4\n"},
		{"not listen state skipped", nlmsg(20, 1, diagMsg(2, 1, lo, 80, 1, 2, 3, 4)), false, "", ""},
		{"wrong family skipped", nlmsg(20, 1, diagMsg(10, 10, netip.IPv6Loopback(), 80, 1, 2, 3, 4)), false, "", ""},
		{"other seq skipped", nlmsg(20, 9, diagMsg(2, 10, lo, 80, 1, 2, 3, 4)), false, "", ""},
		{"done without payload", nlmsg(3, 1, nil), true, "", ""},
		{"done with error", nlmsg(3, 1, le32(-4)), true, "dump ended with error: interrupted system call", ""},
		{"error", nlmsg(2, 1, append(le32(-22), make([]byte, 16)...)), false, "kernel: invalid argument", ""},
		{"ack ignored", nlmsg(2, 1, le32(0)), false, "", ""},
		{"short error", nlmsg(2, 1, []byte{1}), false, "short NLMSG_ERROR", ""},
		{"overrun", nlmsg(4, 1, nil), false, "netlink overrun", ""},
		{"short diag msg", nlmsg(20, 1, make([]byte, 71)), false, "short inet_diag_msg: 71 bytes", ""},
		{"length beyond buffer", nlmsg(20, 1, diagMsg(2, 10, lo, 80, 1, 2, 3, 4))[:40], false, "malformed netlink message", ""},
		{"length below header", []byte{4, 0, 0, 0, 20, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0}, false, "malformed netlink message", ""},
		{"trailing garbage ignored", append(nlmsg(1, 1, nil), 1, 2, 3), false, "", ""},
		{"unknown type ignored", nlmsg(99, 1, []byte{1, 2, 3}), false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			d := dumper{w: &buf, states: 1 << tcpListen}
			done, err := d.handle(tt.in, afInet, 1)
			if done != tt.done || (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("handle = %v, %v; want %v, %q", done, err, tt.done, tt.err)
			}
			if buf.String() != tt.written {
				t.Errorf("wrote %q, want %q", buf.String(), tt.written)
			}
		})
	}
}

func FuzzHandle(f *testing.F) {
	f.Add(append(nlmsg(20, 1, diagMsg(10, 10, netip.IPv6Loopback(), 443, 1, 2, 3, 4)), nlmsg(3, 1, le32(0))...), uint8(10))
	f.Add(nlmsg(2, 1, le32(-1)), uint8(2))
	f.Fuzz(func(t *testing.T, b []byte, family uint8) {
		var buf bytes.Buffer
		d := dumper{w: &buf, states: 1 << tcpListen}
		d.handle(b, family, 1)
		if _, errs := Parse(&buf); len(errs) != 0 && (family == afInet || family == afInet6) {
			t.Fatalf("handle wrote unparsable output: %v", errs)
		}
	})
}
