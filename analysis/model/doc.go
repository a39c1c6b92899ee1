// Package model holds the typed values the analyzer works on: what the
// parsers produce (sockets, counters, conntrack entries, kernel log records,
// sysctls, processes) and the per-host model built from them. Types only:
// no I/O, no parsing. Zero values are useful.
package model
