// Package redact rewrites a netsnap snapshot so that it can leave the
// company: every IP address and every host or domain name is replaced by
// a pseudonym, consistently (the same original, the same pseudonym, in
// every file of every snapshot redacted with one Map), and everything else
// (ports, counts, states, timers, sizes, the layout of every file) stays,
// so the analyzer finds the same things in the redacted snapshot, with the
// same numbers.
//
// # Addresses
//
// Addresses are mapped by a keyed, prefix-preserving permutation in the
// style of Crypto-PAn (see ip.go): two addresses that share their first n
// bits share exactly n bits after mapping, and classes are kept (loopback
// stays as it is, 10/8 stays in 10/8, 172.16/12 in 172.16/12, 192.168/16
// in 192.168/16, link-local in link-local, public in public). 0.0.0.0,
// ::, 127/8, ::1, multicast, 255.255.255.255 and netmask-like values are
// not changed. ::ffff:a.b.c.d maps like a.b.c.d. The key is random for a
// new Map; Map.Original inverts the mapping with it.
//
// # Names
//
// Names get a pseudonym from an HMAC of the name under the key:
// "host-1a2b3c", "host-1a2b3c.invalid", "host-1a2b3c.example.invalid",
// keeping the number of labels. Names that reveal nothing (localhost, "_",
// ip6-localhost...) stay.
//
// # What is rewritten, and how
//
//   - /proc/net/{tcp,tcp6,udp,udp6,raw,raw6,...}: the hex addresses in
//     place, same width, so every line keeps its length.
//   - netsnap/tcp.txt, netsnap/listeners.txt: the address columns.
//   - nginx configurations (the manifest's config files): tokenised as
//     nginx reads them; names where nginx reads names (upstream, the
//     servers of an upstream, server_name, listen, resolver, *_pass,
//     proxy_set_header Host), addresses and known names everywhere,
//     comments and Lua included. An upstream and the proxy_pass naming it
//     get one pseudonym.
//   - nginx error logs: addresses, URLs, and the server: and host: fields.
//   - /etc/hosts, resolv.conf (search, domain), hostname files: names.
//   - everything else (conntrack, kernel and syslog lines, the process
//     list, command lines, sysctls...): addresses anywhere in text (IPv4,
//     IPv6 compressed or expanded, with a port, a zone or a prefix
//     length), URL hosts, the host field of syslog lines, and the names
//     met in the places above wherever they appear when they cannot be an
//     ordinary word (the host's own name, "api.example.com", "db-1").
//   - archive paths holding an address or such a name are renamed, and
//     the manifest follows: host name, paths, messages, sizes.
//
// Text aligned in columns with runs of blanks keeps its columns.
//
// Redaction reads the archive with snapshot.Open (so it refuses what the
// analyzer refuses), learns the names of the host from every small file
// first, then streams every entry line by line into a snapshot.Writer, the
// large tables in blocks on every core, each worker with an address cache.
package redact
