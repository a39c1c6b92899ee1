package model

import "time"

// NginxError is one error-log entry of nginx, Tengine or OpenResty, such as
// (one line in the log)
//
//	2026/11/20 10:00:01 [error] 1234#1234: *5678 upstream timed out (110: Connection timed out)
//	while connecting to upstream, client: 192.0.2.1, server: example.com, request: "GET / HTTP/1.1",
//	upstream: "http://10.0.0.21:8080/", host: "example.com"
//
// An entry may span lines: FastCGI stderr and Lua stack tracebacks go on
// in lines without a timestamp, which Message holds joined by "\n".
type NginxError struct {
	Time     time.Time // "2026/11/20 10:00:01" read in the host's zone (UTC unless the caller gives one)
	Level    string    // emerg alert crit error warn notice info debug
	PID, TID int       // "1234#1234"; TID is 0 on builds without thread ids ("1234#0")
	Conn     int64     // "*5678" connection number, 0 when absent
	Message  string    // what happened: the text before the trailing ", client: ..." fields

	// The trailing fields when present, without their quotes. Upstream is
	// e.g. "http://10.0.0.21:8080/" or "fastcgi://unix:/run/php.sock:".
	Client, Server, Request, Upstream, Host string

	Kind  string // what parse.ClassifyNginxError says of Message, "" when nothing it knows
	Errno int    // the "(111: Connection refused)" number in Message, else 0
	Line  int    // 1-based line number of the entry's first line
}
