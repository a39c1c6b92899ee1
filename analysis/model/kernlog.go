package model

import "time"

// KernelRecord is one line of a kernel log: /dev/kmsg, a syslog file,
// dmesg output or journalctl -k.
type KernelRecord struct {
	Time   time.Time // wall-clock time when the line carries one (syslog, journalctl, dmesg -T); zero otherwise
	Uptime float64   // seconds since boot when the line carries it (kmsg, "[ 12.345678]"); -1 if unknown
	Level  int       // syslog level 0-7 when known (kmsg, "<6>", "kern.warn"), else -1
	Text   string    // the message without timestamp, host and "kernel:" prefixes
	Source string    // archive file it came from
	Line   int       // 1-based line number in Source
}

// HasUptime reports whether the record carries a time since boot.
func (r *KernelRecord) HasUptime() bool { return r.Uptime >= 0 }

// HasTime reports whether the record carries a wall-clock time.
func (r *KernelRecord) HasTime() bool { return !r.Time.IsZero() }
