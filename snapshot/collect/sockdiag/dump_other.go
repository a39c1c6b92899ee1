//go:build !linux

package sockdiag

import (
	"context"
	"errors"
	"fmt"
	"io"
)

func kernelErrno(e int32) error { return fmt.Errorf("errno %d", e) }

// DumpListeners is only implemented on Linux.
func DumpListeners(ctx context.Context, w io.Writer) (int, error) {
	return 0, errors.New("sockdiag: NETLINK_SOCK_DIAG is Linux only")
}

// DumpTCP is only implemented on Linux.
func DumpTCP(ctx context.Context, w io.Writer, opt TCPOptions) (int, error) {
	return 0, errors.New("sockdiag: NETLINK_SOCK_DIAG is Linux only")
}
