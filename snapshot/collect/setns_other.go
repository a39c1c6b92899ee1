//go:build !amd64 && !arm64

package collect

// sysSetns is 0 where netsnap does not know setns(2)'s number: the
// per-namespace sysctls are then recorded as not read.
const sysSetns = 0
