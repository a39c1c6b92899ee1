package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The api container restarted with a larger backlog: a new network
// namespace (another inode), no overflow. diff matches it by its name and
// calls the overflow resolved, not "resolved in one namespace, absent from
// a new one".
func TestDiffMatchesNamespacesByName(t *testing.T) {
	before := changedSnapshot(t, "docker-host", "before", func(string) {})
	after := changedSnapshot(t, "docker-host", "after", func(root string) {
		for _, pid := range []string{"5100", "5101"} {
			link := filepath.Join(root, "proc", pid, "ns", "net")
			if err := os.Remove(link); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("net:[4026532999]", link); err != nil {
				t.Fatal(err)
			}
		}
		netstat := filepath.Join(root, "proc/5100/net/netstat")
		b, _ := os.ReadFile(netstat)
		os.WriteFile(netstat, bytes.ReplaceAll(b, []byte(" 674915"), []byte(" 0")), 0o644)
		tcp := filepath.Join(root, "proc/5100/net/tcp")
		b, _ = os.ReadFile(tcp)
		os.WriteFile(tcp, bytes.Replace(b, []byte("00000080:00000081"), []byte("00000000:00000000"), 1), 0o644)
	})
	var out, errOut bytes.Buffer
	if code := run([]string{"diff", before, after, "-f", "json"}, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var d struct {
		Findings []struct {
			ID, Status, Namespace string
		} `json:"findings"`
		Namespaces []struct {
			Name  string `json:"name"`
			Inode uint64 `json:"inode"`
		} `json:"namespaces"`
	}
	if err := json.Unmarshal(out.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range d.Findings {
		if f.Namespace != "" {
			got = append(got, f.Status+" "+f.ID+" in "+f.Namespace)
		}
	}
	// The web pod's nginx logged its timeouts before: its log is the same file.
	if strings.Join(got, "; ") != "resolved listen-queue-overflow in api; persisting nginx-upstream-errors in shop/web-5d9f7c6b8-q7k2m" {
		t.Errorf("namespace findings in the diff: %q, want the api container's overflow resolved and the pod's nginx errors persisting", got)
	}
	if len(d.Namespaces) != 4 || d.Namespaces[0].Name != "api" || d.Namespaces[0].Inode != 4026532999 {
		t.Errorf("diff namespaces = %+v, want api first with its new inode", d.Namespaces)
	}
	// The text names the container.
	out.Reset()
	if code := run([]string{"diff", before, after, "--color", "never"}, &out, &errOut); code != exitOK || !strings.Contains(out.String(), "[container api] Accept queues have overflowed") {
		t.Errorf("text diff (exit %d) does not name the container:\n%s", code, out.String())
	}
}

// fleet shows a host's namespaces as rows under it, with their own counts.
func TestFleetNamespaceRows(t *testing.T) {
	dir := t.TempDir()
	for _, h := range []string{"docker-host", "healthy-proxy"} {
		b, err := os.ReadFile(goldenSnapshot(t, h))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, h+".tgz"), b, 0o644)
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"fleet", dir, "--color", "never"}, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	text := out.String()
	host := strings.Index(text, " docker-host ")
	api := strings.Index(text, "└ container api")
	pod := strings.Index(text, "└ pod kube-system/coredns-7db6d8ff4d-x2x4z")
	next := strings.Index(text, " healthy-proxy ")
	if host < 0 || api < host || pod < api || next < pod {
		t.Fatalf("namespace rows are not under their host:\n%s", text)
	}
	apiRow := text[api : api+strings.Index(text[api:], "\n")]
	if !strings.Contains(apiRow, "674915") {
		t.Errorf("api row lacks its ListenOverflows: %q", apiRow)
	}
	if !strings.Contains(text, "docker-host/api") {
		t.Errorf("the findings table does not name the namespace with its host:\n%s", text)
	}
}
