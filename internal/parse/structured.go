package parse

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/cloudsage/cloudsage"
)

// Structured is a log record that arrives already taken apart: a log
// shipper's protocol (OTLP, Loki push, syslog) carries its time, level,
// service, host, message and attributes separately. PushStructured makes
// of it the event the parser makes of its JSON line (JSONLine) without
// writing that line and reading it back: the same time, level, service,
// host, message, fields, signals and format. Only Raw differs: it is the
// message as the shipper sent it, not the JSON line. A record whose
// message is a log line with a header of its own (HasHeader: a forwarded
// file line) is that line's event instead, the record filling what the
// line lacks (see readHeaded).
type Structured struct {
	Time    time.Time // zero: none (the event takes the previous one's, as a line without a timestamp)
	Level   string    // a level name the parser reads ("info", "error", ...), or ""
	Service string
	Host    string
	Message string
	Fields  map[string]string // attributes, labels, structured data; flattened keys
}

// PushStructured appends r's event to dst, after the event held back, if
// any: a record is never continued by what comes after it (a JSON line
// never is). The parser's time memory moves on as with a line.
func (p *Parser) PushStructured(dst []cloudsage.Event, r *Structured) []cloudsage.Event {
	dst = p.Flush(dst)
	if headedCandidate(r.Message) {
		// a forwarded log line with its own header: read as that line
		env := envelope{service: r.Service, host: r.Host, fields: r.Fields, sigs: true}
		if y := r.Time.UTC().Year(); !r.Time.IsZero() && y >= 1970 && y <= 2999 {
			env.time = r.Time.UTC()
		}
		if r.Level != "" {
			env.level, env.hasLevel = levelValue(r.Level)
		}
		dst = append(dst, cloudsage.Event{})
		if p.readHeaded(&dst[len(dst)-1], r.Message, &env) {
			return dst
		}
		dst = dst[:len(dst)-1]
	}
	if !r.direct() {
		// The rare records read differently from their line (no message,
		// bytes JSON cannot carry, a line the parser would cut): read the
		// line, so the event is the same whatever the record holds.
		dst = p.Push(dst, r.JSONLine())
		return p.Flush(dst)
	}
	dst = append(dst, cloudsage.Event{})
	ev := &dst[len(dst)-1]
	ev.Raw = r.Message
	st := &p.st
	*st = lineState{}
	x := newStructured(p, ev, st)
	// The keys JSONLine writes, in its order, so that ties between names
	// of the same thing fall the same way.
	if !r.Time.IsZero() {
		ev.Time, st.hasTime = r.Time.UTC(), true
		x.timePrio = keyKinds["time"].prio
	}
	if r.Level != "" {
		x.leaf("level", r.Level, true)
	}
	if r.Service != "" {
		x.leaf("service", r.Service, true)
	}
	if r.Host != "" {
		x.leaf("host", r.Host, true)
	}
	x.leaf("msg", r.Message, true)
	if len(r.Fields) == 1 {
		for k, v := range r.Fields {
			x.leaf(k, v, true)
		}
	} else if len(r.Fields) > 1 {
		var stack [16]string
		keys := stack[:0]
		for k := range r.Fields {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			x.leaf(k, r.Fields[k], true)
		}
	}
	ev.Format = FormatJSON
	x.done("")
	p.finish(ev, st)
	// what startTrace makes of a JSON line whose message starts a Go panic
	if (strings.HasPrefix(ev.Message, "panic: ") || strings.HasPrefix(ev.Message, "fatal error: ")) && ev.Level < cloudsage.LevelFatal {
		ev.Level = cloudsage.LevelFatal
	}
	return dst
}

// direct reports whether r's event can be built from its parts: the
// parser reads its JSON line exactly as r holds it. Not so for a record
// without a message (the miner then reads the line), with NUL bytes or
// invalid UTF-8 or DEL (the line repairs them), a time the line's format does
// not round-trip, or a line long enough for the parser to cut.
func (r *Structured) direct() bool {
	if y := r.Time.UTC().Year(); !r.Time.IsZero() && (y < 1970 || y > 2999) {
		return false // the years mkTime reads
	}
	m := strings.TrimRight(r.Message, "\r\n")
	if i := strings.IndexByte(m, '\n'); i >= 0 {
		m = m[:i]
	}
	if trimBlankRight(m) == "" {
		return false
	}
	n := len(r.Level) + len(r.Service) + len(r.Host) + len(r.Message)
	if !plain(r.Level) || !plain(r.Service) || !plain(r.Host) || !plain(r.Message) {
		return false
	}
	for k, v := range r.Fields {
		if !plain(k) || !plain(v) {
			return false
		}
		n += len(k) + len(v) + 6
	}
	// an escaped byte takes at most 6 in the line ("\u001b")
	return 96+6*n <= MaxRaw
}

// plain reports whether s is valid UTF-8 without NUL or DEL bytes (a
// JSON line escapes the other control characters; the parser drops these
// two from a line). Three passes of the library's word-at-a-time scans
// beat one byte loop.
func plain(s string) bool {
	return strings.IndexByte(s, 0) < 0 && strings.IndexByte(s, 0x7f) < 0 && utf8.ValidString(s)
}

// JSONLine renders r as one JSON line: "time" (RFC 3339, UTC), "level",
// "service", "host", "msg", then the fields sorted by key, so the same
// record always gives the same line. These keys are the highest-priority
// names the JSON parser knows, so a record's own attributes never
// override its time, level, message, service or host. Invalid UTF-8
// becomes U+FFFD.
func (r *Structured) JSONLine() string {
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
	b = appendJSONString(b, r.Message)
	var stack [8]string
	keys := stack[:0]
	for k := range r.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b = append(b, ',')
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, r.Fields[k])
	}
	b = append(b, '}')
	return unsafe.String(unsafe.SliceData(b), len(b)) // b is not written to again
}

// appendPair appends "k":v, (k needs no escaping).
func appendPair(b []byte, k, v string) []byte {
	b = append(b, '"')
	b = append(b, k...)
	b = append(b, `":`...)
	b = appendJSONString(b, v)
	return append(b, ',')
}

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes
// U+FFFD. Runs of bytes that need no escaping are copied at once.
func appendJSONString(b []byte, s string) []byte {
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
