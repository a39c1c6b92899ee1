// Command gen builds the bundled sample snapshots of samples/ and their
// golden reports.
//
// For each sample host it writes a fixture tree laid out like / in a
// temporary directory, runs the real collector on it (as `netsnap --root`
// does) with a fake clock, so that two runs give the same bytes, and
// renders the real analyzer's report of the snapshot as text, markdown,
// JSON and HTML:
//
//	go run ./samples/gen           # rewrite samples/*.tgz and samples/*.report.*
//	go run ./samples/gen -check    # exit 1 if they are not what it would write
//
// The hosts reconstruct the Tengine proxy of seed 000; samples/README.md
// says what comes from the write-up and what was reconstructed or invented.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/netsnap/netsnap"
	"github.com/netsnap/netsnap/analysis"
	"github.com/netsnap/netsnap/analysis/render"
	"github.com/netsnap/netsnap/analysis/rules"
	"github.com/netsnap/netsnap/snapshot"
	"github.com/netsnap/netsnap/snapshot/collect"
)

func main() {
	dir := flag.String("dir", "samples", "where the samples and their reports are kept")
	check := flag.Bool("check", false, "write nothing; exit 1 if a file differs from what would be written")
	flag.Parse()
	stale, err := run(*dir, *check, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if *check && len(stale) > 0 {
		fmt.Fprintf(os.Stderr, "gen: out of date: %s (run: go run ./samples/gen)\n", strings.Join(stale, ", "))
		os.Exit(1)
	}
}

// hosts are the sample hosts, in the order they are built.
func hosts() []*host { return []*host{tengineBefore(), tengineAfter(), tengineSibling()} }

// run builds every sample and writes (or, with check, compares) its
// files under dir. It returns the files that differ.
func run(dir string, check bool, log io.Writer) ([]string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if os.Geteuid() != 0 {
		fmt.Fprintln(log, "gen: warning: not running as root: the fixture's /proc/PID directories keep your uid, so netsnap/processes.txt differs from the committed samples (made as root)")
	}
	tmp, err := os.MkdirTemp("", "netsnap-samples-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	var stale []string
	for _, h := range hosts() {
		outs, err := build(h, tmp)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", h.name, err)
		}
		names := make([]string, 0, len(outs))
		for n := range outs {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			p := filepath.Join(dir, n)
			old, err := os.ReadFile(p)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, err
			}
			if err == nil && bytes.Equal(old, outs[n]) {
				continue
			}
			stale = append(stale, n)
			if check {
				continue
			}
			if err := os.WriteFile(p, outs[n], 0o644); err != nil {
				return nil, err
			}
			fmt.Fprintf(log, "gen: wrote %s (%d bytes)\n", p, len(outs[n]))
		}
	}
	return stale, nil
}

// build makes one sample: the snapshot NAME.tgz and its reports
// NAME.report.{txt,md,json,html}, by file name.
func build(h *host, tmp string) (map[string][]byte, error) {
	work := filepath.Join(tmp, h.name)
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	// The collector records --root as given: collect from inside the
	// work directory with a relative root, so the manifest is the same
	// wherever the generator runs.
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	if err := os.Chdir(work); err != nil {
		return nil, err
	}
	defer os.Chdir(wd)
	root := h.name
	if err := h.writeStatic(root); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	clk := &clock{t: h.start}
	var sampleErr error
	_, err = collect.Run(context.Background(), collect.Options{
		Root:    root,
		Samples: len(h.samples),
		// The collector waits this long between samples by the real clock
		// and records it; the fake clock dates the samples the same way.
		Interval: h.interval,
		Timeout:  5 * time.Minute,
		Now:      clk.now,
		BeforeSample: func(i int) {
			clk.t = h.sampleTime(i)
			if err := h.writeSample(root, i); err != nil && sampleErr == nil {
				sampleErr = err
			}
		},
		Version: "sample",
	}, &buf)
	if err == nil {
		err = sampleErr
	}
	if err != nil {
		return nil, err
	}
	snapPath := filepath.Join(tmp, h.name+".tgz")
	if err := os.WriteFile(snapPath, buf.Bytes(), 0o644); err != nil {
		return nil, err
	}
	out := map[string][]byte{h.name + ".tgz": buf.Bytes()}
	reports, err := reports(snapPath)
	if err != nil {
		return nil, err
	}
	for ext, b := range reports {
		out[h.name+".report."+ext] = b
	}
	return out, nil
}

// reports renders the analyzer's report of a snapshot in every format, by
// file extension.
func reports(path string) (map[string][]byte, error) {
	set, err := rules.Load(rules.Source{Name: "rules.toml", Data: netsnap.DefaultRules})
	if err != nil {
		return nil, err
	}
	snap, err := snapshot.Open(path, snapshot.ReadOptions{})
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	r, err := analysis.Analyze(snap, set)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for ext, f := range map[string]render.Format{"txt": render.Text, "md": render.Markdown, "json": render.JSON, "html": render.HTML} {
		var b bytes.Buffer
		if err := render.Report(&b, f, r, render.Options{}); err != nil {
			return nil, err
		}
		out[ext] = b.Bytes()
	}
	return out, nil
}
