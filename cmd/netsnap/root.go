package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/netsnap/netsnap/snapshot"
	"github.com/netsnap/netsnap/snapshot/collect"
)

// Exit codes.
const (
	exitOK     = 0 // a snapshot was written (a partial one with a warning line)
	exitFailed = 1 // no archive could be written
	exitUsage  = 2 // bad flags
)

// options holds the flags of one invocation.
type options struct {
	output        string
	quiet         bool
	listSources   bool
	logMax        string
	tableMax      string
	collect       collect.Options
	stdoutIsTerm  func() bool
	notifySignals bool
}

func run(args []string, stdout, stderr io.Writer) int {
	opt := &options{notifySignals: true, stdoutIsTerm: func() bool { return isTerminal(os.Stdout) }}
	cmd := newRootCmd(opt, stdout, stderr)
	cmd.SetArgs(args)
	err := cmd.Execute()
	if err == nil {
		return exitOK
	}
	var ee exitError
	if errors.As(err, &ee) {
		fmt.Fprintf(stderr, "netsnap: %v\n", ee.err)
		return ee.code
	}
	fmt.Fprintf(stderr, "netsnap: %v\n", err)
	return exitUsage
}

type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }

func newRootCmd(opt *options, stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "netsnap [flags]",
		Short: "Capture a Linux host's network state into a snapshot for netanalyze",
		Long: `netsnap captures socket tables, TCP counters, conntrack, sysctls, slabinfo, kernel
logs and nginx/Tengine/OpenResty configurations and error logs into one compressed
archive. It only reads, runs at the lowest priority, bounds every source in time and
bytes, and keeps memory flat. Analyse the result with netanalyze.

  sudo netsnap                              # writes netsnap-HOST-TIME.tgz here
  ssh host sudo netsnap -o - > host.tgz     # stream over ssh
  netsnap --root /mnt/image -o image.tgz    # an offline tree laid out like /`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCollect(cmd.Context(), opt, stdout, stderr)
		},
	}
	setVersion(cmd)
	addGendocs(cmd)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	f := cmd.Flags()
	f.StringVarP(&opt.output, "output", "o", "", "archive to write (default netsnap-HOSTNAME-UTCTIME.tgz); - streams to stdout")
	f.StringVar(&opt.collect.Root, "root", "", "read from a directory laid out like / instead of the live host (live-only sources are skipped)")
	f.IntVar(&opt.collect.Samples, "samples", collect.DefaultSamples, "how many times to read the fast-moving sources (socket tables, counters)")
	f.DurationVar(&opt.collect.Interval, "interval", collect.DefaultInterval, "time between samples")
	f.DurationVar(&opt.collect.Timeout, "timeout", collect.DefaultTimeout, "total deadline; the archive is finished with what was read and marked partial")
	f.DurationVar(&opt.collect.SourceTimeout, "source-timeout", collect.DefaultSourceTimeout, "deadline for reading any one source")
	f.StringVar(&opt.collect.Compression, "compress", snapshot.Gzip, "gzip or zstd")
	f.StringVar(&opt.collect.Sockets, "sockets", collect.SocketsAuto, "how to read the TCP socket table: auto (NETLINK_SOCK_DIAG where inet_diag is already in the kernel, else /proc/net/tcp), netlink, or proc (verbatim /proc/net/tcp and tcp6)")
	f.StringVar(&opt.collect.NetNS, "netns", collect.NetNSAuto, "network namespaces to capture besides netsnap's own: all, host (none), PIDs (1234,5678: their namespaces), or auto (all when root, else host)")
	f.IntVar(&opt.collect.NetNSMax, "netns-max", collect.DefaultNetNSMax, "capture at most this many other network namespaces (the rest are listed as skipped)")
	f.StringVar(&opt.logMax, "log-max", "16MiB", "keep at most this much of each log file (its tail)")
	f.StringVar(&opt.tableMax, "table-max", "1GiB", "keep at most this much of each /proc table")
	f.StringSliceVar(&opt.collect.Only, "only", nil, "capture only these sources (comma-separated names, see --list-sources)")
	f.StringSliceVar(&opt.collect.Skip, "skip", nil, "do not capture these sources")
	f.BoolVar(&opt.listSources, "list-sources", false, "list the sources and exit")
	f.BoolVarP(&opt.quiet, "quiet", "q", false, "no summary on stderr")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return err })
	return cmd
}

func runCollect(ctx context.Context, opt *options, stdout, stderr io.Writer) error {
	if opt.listSources {
		return listSources(stdout)
	}
	var err error
	if opt.collect.LogMaxBytes, err = parseSize(opt.logMax); err != nil {
		return fmt.Errorf("--log-max: %w", err)
	}
	if opt.collect.TableMaxBytes, err = parseSize(opt.tableMax); err != nil {
		return fmt.Errorf("--table-max: %w", err)
	}
	if err := opt.collect.Validate(); err != nil {
		return err
	}
	opt.collect.Version = buildInfo().Version
	if opt.output == "-" && opt.stdoutIsTerm() {
		return errors.New("refusing to write a binary archive to a terminal: redirect stdout or use -o FILE")
	}
	if opt.output == "" {
		opt.output = defaultOutput(opt.collect.Root, opt.collect.Compression, time.Now())
	}
	if err := collect.LowerPriority(); err != nil && !opt.quiet {
		fmt.Fprintf(stderr, "netsnap: note: %v\n", err)
	}

	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var out *snapshot.Output
	if opt.notifySignals {
		// A first SIGINT/SIGTERM finishes the archive with what was read; a second one gives up.
		sigs := make(chan os.Signal, 2)
		signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
		defer signal.Stop(sigs)
		go func() {
			sig, ok := <-sigs
			if !ok {
				return
			}
			cancel(fmt.Errorf("signal %s", sig))
			if _, ok := <-sigs; ok {
				if out != nil {
					out.Abort()
				}
				os.Exit(130)
			}
		}()
		signal.Ignore(syscall.SIGPIPE) // a closed stdout becomes a write error, not a silent death
	}

	var w io.Writer
	if opt.output == "-" {
		w = stdout
	} else {
		out, err = snapshot.CreateOutput(opt.output)
		if err != nil {
			return exitError{exitFailed, err}
		}
		w = out
	}
	if opt.notifySignals {
		// The deadline is kept by the collector; should a bug ever leave it
		// stuck past it, the process still ends (and leaves no file).
		const grace = 15 * time.Second
		wd := time.AfterFunc(opt.collect.Timeout+grace, func() {
			fmt.Fprintf(stderr, "netsnap: still running %s after --timeout %s: giving up, no archive written\n", grace, opt.collect.Timeout)
			if out != nil {
				out.Abort()
			}
			os.Exit(exitFailed)
		})
		defer wd.Stop()
	}
	cw := &countingWriter{w: w}
	t0 := time.Now()
	m, err := collect.Run(ctx, opt.collect, cw)
	if err != nil {
		if out != nil {
			out.Abort()
		}
		where := opt.output
		if where == "-" {
			where = "stdout"
		}
		if errors.Is(err, syscall.EPIPE) {
			return exitError{exitFailed, fmt.Errorf("writing archive to %s: reader went away before the archive was complete", where)}
		}
		return exitError{exitFailed, fmt.Errorf("writing archive to %s: %w", where, err)}
	}
	if out != nil {
		if err := out.Commit(); err != nil {
			return exitError{exitFailed, err}
		}
	}
	if !opt.quiet {
		summarize(stderr, opt.output, m, cw.n, time.Since(t0))
	}
	return nil
}

// summarize prints what was captured, in a few lines.
func summarize(w io.Writer, output string, m *snapshot.Manifest, size int64, took time.Duration) {
	name := output
	if name == "-" {
		name = "stdout"
	}
	nfiles := 0
	for _, s := range m.Sources {
		if s.Status == snapshot.StatusOK {
			if s.Files > 0 {
				nfiles += s.Files
			} else {
				nfiles++
			}
		}
	}
	fmt.Fprintf(w, "netsnap: wrote %s: %s, %d samples, %d files in %s\n", name, humanBytes(size), len(m.Samples), nfiles, took.Round(10*time.Millisecond))
	for _, n := range m.Nginx {
		who := "found at default path"
		if n.PID > 0 {
			who = fmt.Sprintf("master pid %d, %d workers", n.PID, len(n.Workers))
		}
		fmt.Fprintf(w, "netsnap: %s (%s): %s, %d config files, %d error logs", n.Flavor, who, n.Conf, len(n.ConfigFiles), len(n.ErrorLogs))
		if len(n.Problems) > 0 {
			fmt.Fprintf(w, ", %d problems (first: %s)", len(n.Problems), n.Problems[0])
		}
		fmt.Fprintln(w)
	}
	// A source is listed under a status only when none of its files was captured
	// (a missing /etc/rc.local is not news when /etc/sysctl.conf was read).
	captured := map[string]bool{}
	for _, s := range m.Sources {
		if s.Status == snapshot.StatusOK {
			captured[s.Name] = true
		}
	}
	byStatus := map[string][]string{}
	seen := map[string]bool{}
	for _, s := range m.Sources {
		if s.Status == snapshot.StatusOK || seen[s.Name] || (captured[s.Name] && s.Status == snapshot.StatusMissing) {
			continue
		}
		if s.Status == snapshot.StatusSkipped && strings.HasPrefix(s.Error, "in ") {
			continue // its data is in another source's file (tcp6 in netsnap/tcp.txt)
		}
		seen[s.Name] = true
		byStatus[s.Status] = append(byStatus[s.Status], s.Name)
	}
	for _, st := range []string{snapshot.StatusMissing, snapshot.StatusSkipped, snapshot.StatusDenied, snapshot.StatusTimeout, snapshot.StatusError} {
		if len(byStatus[st]) > 0 {
			fmt.Fprintf(w, "netsnap: %s: %s\n", st, strings.Join(byStatus[st], ", "))
		}
	}
	for _, warn := range m.Warnings {
		fmt.Fprintf(w, "netsnap: note: %s\n", warn)
	}
	if m.Partial {
		fmt.Fprintf(w, "netsnap: warning: partial snapshot: %s\n", m.PartialReason)
	}
}

func listSources(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tWHEN\tPATHS\tWHAT")
	for _, s := range collect.Sources() {
		when := "once"
		if s.Sampled {
			when = "sampled"
		}
		if s.LiveOnly {
			when += ", live only"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name, when, strings.Join(s.Paths, " "), s.Doc)
	}
	return tw.Flush()
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func defaultOutput(root, compression string, now time.Time) string {
	host := unsafeName.ReplaceAllString(collect.Hostname(root), "_")
	ext := ".tgz"
	if compression == snapshot.Zstd {
		ext = ".tar.zst"
	}
	return fmt.Sprintf("netsnap-%s-%s%s", host, now.UTC().Format("20060102T150405Z"), ext)
}

// parseSize reads a byte size such as 16MiB, 512K, 1G or 1048576.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(strings.ToUpper(s))
	mult := int64(1)
	for _, u := range []struct {
		suf string
		m   int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(t, u.suf) {
			t, mult = strings.TrimSuffix(t, u.suf), u.m
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("bad size %q (want e.g. 16MiB, 512K, 1G)", s)
	}
	return n * mult, nil
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
