// Package netsnap holds the files the binaries embed: the default rule set.
// (go:embed cannot reach "..", so the module root owns them.)
package netsnap

import _ "embed"

// DefaultRules is rules.toml: every rule of INCIDENTS.md.
//
//go:embed rules.toml
var DefaultRules []byte
