// Package lab reproduces the incidents of INCIDENTS.md live, on the running
// kernel with the Debian nginx, inside throw-away network namespaces, and
// checks that netsnap captures them and netanalyze finds them.
//
// The scenarios are tests (lab_test.go, harness_test.go): run them as root
// with `go test ./lab/ -v`. lab/backend is the upstream server they start,
// lab/sockgen a socket-table filler used by the collector's scale test.
// See README.md in this directory.
package lab
