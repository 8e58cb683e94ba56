// Package shipper holds what the log-shipper protocol decoders (otlp, loki,
// esbulk, syslog) share: the Record they decode a shipper's payload into,
// and the one JSON line a Record becomes. The ingest service reads lines,
// so a shipped record goes through the same parse stage, engine and
// durable write as a line posted to /api/ingest; the line's keys are the
// highest-priority names the JSON parser knows, so a record's own
// attributes never override its time, level, message, service or host.
package shipper

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Record is one log record as a shipper sent it.
type Record struct {
	Time    time.Time // zero: when it was received
	Level   string    // "trace", "debug", "info", "warn", "error", "fatal" or ""
	Service string
	Host    string
	Message string
	Fields  map[string]string // attributes, labels, structured data; flattened keys
}

// Empty reports whether r carries nothing to store.
func (r *Record) Empty() bool { return r.Message == "" && len(r.Fields) == 0 }

// Set adds a field, keeping the first value for a key.
func (r *Record) Set(k, v string) {
	if k == "" {
		return
	}
	if r.Fields == nil {
		r.Fields = make(map[string]string, 4)
	}
	if _, ok := r.Fields[k]; !ok {
		r.Fields[k] = v
	}
}

// Line renders r as the JSON line the ingest service parses. Fields come
// after the named keys, sorted, so the same record always gives the same
// line.
func (r *Record) Line() string {
	b := make([]byte, 0, 64+len(r.Message))
	b = append(b, '{')
	sep := false
	add := func(k, v string) {
		if sep {
			b = append(b, ',')
		}
		sep = true
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, v)
	}
	if !r.Time.IsZero() {
		add("time", r.Time.UTC().Format(time.RFC3339Nano))
	}
	if r.Level != "" {
		add("level", r.Level)
	}
	if r.Service != "" {
		add("service", r.Service)
	}
	if r.Host != "" {
		add("host", r.Host)
	}
	add("msg", r.Message)
	keys := make([]string, 0, len(r.Fields))
	for k := range r.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		add(k, r.Fields[k])
	}
	return string(append(b, '}'))
}

// appendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, `\u00`...)
				b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}

// SeverityLevel maps a severity name in any common spelling ("ERR",
// "Warning", "crit", "E") to a level name, or "".
func SeverityLevel(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "trace", "trc", "t", "finest", "finer":
		return "trace"
	case "debug", "dbg", "d", "fine", "verbose":
		return "debug"
	case "info", "information", "informational", "inf", "i", "notice", "ok":
		return "info"
	case "warn", "warning", "wrn", "w":
		return "warn"
	case "error", "err", "e", "eror", "severe":
		return "error"
	case "fatal", "critical", "crit", "f", "alert", "emerg", "emergency", "panic":
		return "fatal"
	}
	return ""
}

// Result is a decoded payload: the records to store and how many were
// refused (with the first few reasons).
type Result struct {
	Records  []Record
	Rejected int
	Reasons  []string
}

// MaxReasons is how many rejection reasons a Result keeps.
const MaxReasons = 5

// Reject counts one refused record.
func (res *Result) Reject(reason string) {
	res.Rejected++
	if len(res.Reasons) < MaxReasons {
		res.Reasons = append(res.Reasons, reason)
	}
}
