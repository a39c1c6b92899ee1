package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/netsnap/netsnap/snapshot"
)

type inspectOptions struct {
	entries bool
}

func newInspectCmd(stdout io.Writer) *cobra.Command {
	var opt inspectOptions
	cmd := &cobra.Command{
		Use:   "inspect SNAPSHOT",
		Short: "Print a snapshot's manifest: host, samples, every source's outcome, and its entries",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			s, err := snapshot.Open(args[0], snapshot.ReadOptions{})
			if err != nil {
				return failure{exitUsage, err}
			}
			defer s.Close()
			return inspect(stdout, args[0], s, opt)
		},
	}
	cmd.Flags().BoolVar(&opt.entries, "entries", false, "also list every archive entry with its size")
	return cmd
}

func inspect(w io.Writer, name string, s *snapshot.Snapshot, opt inspectOptions) error {
	m := s.Manifest
	state := "complete"
	if m.Partial {
		state = "PARTIAL: " + m.PartialReason
	}
	where := "live host"
	if !m.Live {
		where = "--root " + m.Root
	}
	fmt.Fprintf(w, "snapshot  %s (format %d, %s %s)\n", name, m.FormatVersion, m.Tool, m.ToolVersion)
	fmt.Fprintf(w, "host      %s, kernel %s, %d CPUs, boot %s\n", m.Hostname, m.KernelRelease, m.CPUs, m.BootID)
	fmt.Fprintf(w, "captured  %s, %s, from the %s, %s\n", m.Start.Format("2006-01-02 15:04:05Z07:00"), m.End.Sub(m.Start).Round(1e6), where, state)
	fmt.Fprintf(w, "samples   %d asked, %d taken, every %gs\n", m.Options.Samples, len(m.Samples), m.Options.IntervalSeconds)
	for _, n := range m.Nginx {
		who := "not running"
		if n.PID > 0 {
			who = fmt.Sprintf("master %d, %d workers", n.PID, len(n.Workers))
		}
		in := ""
		if n.Root != "" {
			in = " in its own filesystem, read through " + n.Root
		}
		fmt.Fprintf(w, "%-9s %s (%s): %s, prefix %s, %d config files, error logs %s%s\n", n.Flavor, who, n.Exe, n.Conf, n.Prefix, len(n.ConfigFiles), strings.Join(n.ErrorLogs, " "), in)
		for _, p := range n.Problems {
			fmt.Fprintf(w, "          problem: %s\n", p)
		}
	}
	for _, n := range m.NetNS {
		what := n.Kind
		if n.ContainerID != "" {
			what += " " + n.ContainerID[:min(12, len(n.ContainerID))]
		}
		state := "in " + n.Dir
		if n.Skipped != "" {
			state = "skipped: " + n.Skipped
		}
		fmt.Fprintf(w, "netns     %d %s (%s), pids %s, %s\n", n.Inode, n.Name, what, pidList(n.PIDs), state)
	}
	for _, warn := range m.Warnings {
		fmt.Fprintf(w, "note      %s\n", warn)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tSAMPLE\tSTATUS\tBYTES\tPATH\tNOTE")
	for _, r := range m.Sources {
		smp := "-"
		if r.Sample > 0 {
			smp = fmt.Sprint(r.Sample)
		}
		var notes []string
		if r.Truncated {
			notes = append(notes, "truncated")
		}
		if r.Filter != "" {
			notes = append(notes, r.Filter)
		}
		if r.Files > 0 {
			notes = append(notes, fmt.Sprintf("%d files", r.Files))
		}
		if r.Items > 0 {
			notes = append(notes, fmt.Sprintf("%d records", r.Items))
		}
		if r.Error != "" {
			notes = append(notes, r.Error)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", r.Name, smp, r.Status, r.Bytes, r.Path, strings.Join(notes, "; "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if !opt.entries {
		return nil
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	for _, e := range s.Entries() {
		fmt.Fprintf(tw, "%d\t  %s\t\n", e.Size, e.Name)
	}
	return tw.Flush()
}

// pidList shows up to 6 PIDs.
func pidList(pids []int) string {
	var b strings.Builder
	for i, p := range pids {
		if i == 6 {
			fmt.Fprintf(&b, " +%d", len(pids)-6)
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprint(&b, p)
	}
	return b.String()
}
