// Package shipper holds what the log-shipper protocol decoders (otlp, loki,
// esbulk, syslog) share: the Record they decode a shipper's payload into.
// The ingest service hands records to the engine as they are
// (parse.Parser.PushStructured), already taken apart: the event is the one
// the parser makes of the record's JSON line (Line), whose keys are the
// highest-priority names the JSON parser knows, so a record's own
// attributes never override its time, level, message, service or host;
// but no line is written and read back. A message that is itself a log
// line with a header of its own (a forwarded file line) is read as that
// line, as /api/ingest reads it (parse.HasHeader).
package shipper

import (
	"strings"
	"time"

	"github.com/cloudsage/cloudsage/internal/parse"
)

// Record is one log record as a shipper sent it. Its fields are those of
// parse.Structured, in the same order (Structured converts).
type Record struct {
	Time    time.Time // zero: when it was received
	Level   string    // "trace", "debug", "info", "warn", "error", "fatal" or ""
	Service string
	Host    string
	Message string
	// Fields are the attributes, labels, structured data; flattened keys.
	// Read-only once decoded: records of one payload may share a map.
	Fields map[string]string
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

// Size is r's size in bytes: its level, service, host, message, field
// names and values (what a record limit counts, without writing r out).
func (r *Record) Size() int {
	n := len(r.Level) + len(r.Service) + len(r.Host) + len(r.Message)
	for k, v := range r.Fields {
		n += len(k) + len(v)
	}
	return n
}

// Line renders r as the JSON line the ingest parser reads
// (parse.Structured.JSONLine): what r is equivalent to as a line.
func (r *Record) Line() string { return r.Structured().JSONLine() }

// Structured is r as the parser takes it (parse.Parser.PushStructured),
// without a copy: the two types have the same fields.
func (r *Record) Structured() *parse.Structured { return (*parse.Structured)(r) }

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
