// Command rusage runs a command and reports its wall time, CPU time and peak
// resident set size, like a small GNU time(1) with finer resolution:
//
//	rusage [-o FILE] [--] CMD [ARGS...]
//
// It prints one line, to FILE or else to stderr:
//
//	wall_s=0.012345 cpu_s=0.010000 maxrss_kib=1234
//
// cpu_s is user+system time of CMD and of the descendants it waited for;
// maxrss_kib is the largest peak RSS among them (wait4's ru_maxrss). CMD's
// stdin, stdout and stderr are rusage's own; rusage exits with CMD's status.
//
// Why a helper at all: a child started by a Go program (os/exec uses
// vfork+exec) inherits the parent's peak RSS as a floor of its own ru_maxrss,
// because the kernel folds the pre-exec address space (the parent's, shared
// by vfork) into the child's maxrss at exec. A test binary that has read a
// large archive would thus "measure" itself. rusage keeps that floor at its
// own, small, current RSS: it resets its peak (/proc/self/clear_refs) just
// before starting CMD. The floor it cannot remove (~3 MiB, its own VmHWM
// then) is printed with -floor; /usr/bin/time's is ~1 MiB.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	out := flag.String("o", "", "write the result line to this file instead of stderr")
	floor := flag.Bool("floor", false, "also print floor_kib=, rusage's own RSS when it started CMD (a lower bound of maxrss)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: rusage [-o FILE] [-floor] [--] CMD [ARGS...]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr

	debug.FreeOSMemory()
	// "5": reset the peak RSS to the current RSS (proc(5), clear_refs).
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	// Our own ru_maxrss may hold our parent's peak (see above): the floor
	// CMD inherits is our address space's peak, VmHWM, just reset.
	floorKiB := vmHWM()

	start := time.Now()
	err := cmd.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "rusage:", err)
		os.Exit(127)
	}
	err = cmd.Wait()
	wall := time.Since(start)
	status := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		status = exitErr.ExitCode()
		if status < 0 { // killed by a signal
			status = 128
			if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				status += int(ws.Signal())
			}
		}
	} else if err != nil {
		fmt.Fprintln(os.Stderr, "rusage:", err)
		status = 127
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	var cpu time.Duration
	var maxrss int64
	if ru != nil {
		cpu = time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
		maxrss = ru.Maxrss
	}
	line := fmt.Sprintf("wall_s=%.6f cpu_s=%.6f maxrss_kib=%d", wall.Seconds(), cpu.Seconds(), maxrss)
	if *floor {
		line += fmt.Sprintf(" floor_kib=%d", floorKiB)
	}
	line += "\n"
	if *out != "" {
		if werr := os.WriteFile(*out, []byte(line), 0o644); werr != nil {
			fmt.Fprintln(os.Stderr, "rusage:", werr)
			os.Exit(125)
		}
	} else {
		fmt.Fprint(os.Stderr, line)
	}
	os.Exit(status)
}

// vmHWM returns this process's peak RSS in KiB from /proc/self/status, or -1.
func vmHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return n
				}
			}
		}
	}
	return -1
}
