package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/netsnap/netsnap/snapshot"
)

// TestKilledAtRandomPoints: SIGTERM at any moment after start-up leaves a
// valid archive (complete or marked partial), and during start-up nothing; SIGKILL leaves no file under the final name
// and no temporary file, in the output directory or in $TMPDIR.
func TestKilledAtRandomPoints(t *testing.T) {
	bin := netsnapBinary(t)
	root := filepath.Join(fixtureHosts, "proxy-modern")
	for i := 0; i < 20; i++ {
		for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
			dir, spool := t.TempDir(), t.TempDir()
			out := filepath.Join(dir, "x.tgz")
			cmd := exec.Command(bin, "--root", root, "--samples", "4", "--interval", "100ms", "-q", "-o", out)
			cmd.Env = append(os.Environ(), "TMPDIR="+spool)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Duration(rand.IntN(450)) * time.Millisecond)
			cmd.Process.Signal(sig)
			err := cmd.Wait()
			if ents, _ := os.ReadDir(spool); len(ents) != 0 {
				t.Errorf("run %d %s: spool left: %v", i, sig, ents)
			}
			ents, _ := os.ReadDir(dir)
			switch sig {
			case syscall.SIGKILL:
				for _, e := range ents {
					if e.Name() != "x.tgz" {
						t.Errorf("run %d SIGKILL: temporary file left: %s", i, e.Name())
						continue
					}
					// The process finished before the signal: then the archive must be whole.
					if _, err := snapshot.Open(out, snapshot.ReadOptions{}); err != nil {
						t.Errorf("run %d SIGKILL: a file under the final name that does not open: %v", i, err)
					}
				}
			case syscall.SIGTERM:
				if ee, ok := err.(*exec.ExitError); ok && !ee.Exited() {
					// Terminated before it installed its handler (the first
					// milliseconds): then it must not have written anything.
					if len(ents) != 0 {
						t.Errorf("run %d: SIGTERM during start-up left %v", i, ents)
					}
					continue
				}
				if err != nil {
					t.Errorf("run %d SIGTERM: exit %v: %s", i, err, stderr.String())
					continue
				}
				s, err := snapshot.Open(out, snapshot.ReadOptions{})
				if err != nil {
					t.Errorf("run %d SIGTERM: the archive does not open: %v", i, err)
					continue
				}
				if m := s.Manifest; len(m.Samples) < 4 && !m.Partial {
					t.Errorf("run %d SIGTERM: %d samples but not marked partial", i, len(m.Samples))
				}
				s.Close()
				if len(ents) != 1 {
					t.Errorf("run %d SIGTERM: %d files in the output directory", i, len(ents))
				}
			}
		}
	}
}

// TestFullDisk writes to a 64 KiB tmpfs (in a mount namespace of its own):
// a clear error, a non-zero exit, and no file under the final name.
func TestFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs in a private mount namespace")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("unshare (util-linux) not installed")
	}
	bin := netsnapBinary(t)
	dir := t.TempDir()
	script := `mount -t tmpfs -o size=64k netsnap-full "$1" && "$2" --root "$3" --samples 1 -q -o "$1/x.tgz"; rc=$?; ls -A "$1"; exit $rc`
	// A table that compresses badly, so the archive cannot fit.
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "proc/net"), 0o755)
	rnd := make([]byte, 512<<10)
	for i := range rnd {
		rnd[i] = byte(rand.Uint32())
	}
	os.WriteFile(filepath.Join(root, "proc/net/tcp"), rnd, 0o644)
	cmd := exec.Command(unshare, "-m", "--propagation", "private", "sh", "-c", script, "sh", dir, bin, root)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if err == nil {
		t.Fatalf("netsnap succeeded on a full disk; stderr %q", stderr.String())
	}
	if strings.Contains(stderr.String(), "mount:") {
		t.Skipf("cannot mount a tmpfs here: %s", stderr.String())
	}
	msg := stderr.String()
	if !strings.Contains(msg, "netsnap: writing archive to "+dir+"/x.tgz") || !strings.Contains(msg, "no space left on device") || strings.Count(msg, "\n") != 1 {
		t.Errorf("stderr %q: want one line naming the output and ENOSPC", msg)
	}
	if strings.TrimSpace(stdout.String()) != "" {
		t.Errorf("files left on the full disk: %q", stdout.String())
	}
}
