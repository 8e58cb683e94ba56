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
	"unsafe"
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
// line. It runs once a shipped record, so the buffer is sized up front
// and handed over as the string without a copy.
func (r *Record) Line() string {
	size := 64 + len(r.Level) + len(r.Service) + len(r.Host) + len(r.Message)
	for k, v := range r.Fields {
		size += len(k) + len(v) + 6
	}
	b := make([]byte, 0, size+size/8)
	b = append(b, '{')
	if !r.Time.IsZero() {
		b = append(b, `"time":"`...)
		b = r.Time.UTC().AppendFormat(b, time.RFC3339Nano)
		b = append(b, `",`...)
	}
	if r.Level != "" {
		b = appendPair(b, "level", r.Level)
	}
	if r.Service != "" {
		b = appendPair(b, "service", r.Service)
	}
	if r.Host != "" {
		b = appendPair(b, "host", r.Host)
	}
	b = append(b, `"msg":`...)
	b = appendString(b, r.Message)
	var stack [8]string
	keys := stack[:0]
	for k := range r.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b = append(b, ',')
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, r.Fields[k])
	}
	b = append(b, '}')
	return unsafe.String(unsafe.SliceData(b), len(b)) // b is not written to again
}

// appendPair appends "k":v, (k needs no escaping).
func appendPair(b []byte, k, v string) []byte {
	b = append(b, '"')
	b = append(b, k...)
	b = append(b, `":`...)
	b = appendString(b, v)
	return append(b, ',')
}

// appendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
// Runs of bytes that need no escaping are copied at once.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	plain := 0 // start of the pending run of plain bytes
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != '"' && c != '\\' {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || n != 1 {
				i += n // valid UTF-8 is kept as it is
				continue
			}
		}
		b = append(b, s[plain:i]...)
		switch {
		case c >= utf8.RuneSelf:
			b = append(b, `\ufffd`...)
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		}
		i++
		plain = i
	}
	b = append(b, s[plain:]...)
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
