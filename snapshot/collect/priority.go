package collect

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// Priorities netsnap runs at: the lowest CPU priority, and the lowest
// best-effort I/O priority (not the idle class, which a busy disk can starve
// until the deadline).
const (
	Nice          = 19
	ioprioClassBE = 2
	ioprioLevel   = 7
	ioprioWhoProc = 1
)

// IOPrio is the ioprio value set by LowerPriority.
const IOPrio = ioprioClassBE<<13 | ioprioLevel

// LowerPriority lowers the CPU and I/O priority of every thread of this
// process (on Linux both are per thread; threads created later inherit them).
func LowerPriority() error {
	tids, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return fmt.Errorf("lower priority: %w", err)
	}
	var first error
	for _, t := range tids {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, Nice); err != nil && first == nil {
			first = fmt.Errorf("lower CPU priority: %w", err)
		}
		if _, _, e := syscall.Syscall(syscall.SYS_IOPRIO_SET, ioprioWhoProc, uintptr(tid), IOPrio); e != 0 && first == nil {
			first = fmt.Errorf("lower I/O priority: %w", e)
		}
	}
	return first
}
