package web

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/cloudsage/cloudsage/internal/store"
)

// A page of 1,000 events rendered by encoding/json cost more CPU than the
// search that found them (reflection over every field, a map iteration and
// sort per event). appendEvents writes the same bytes by hand; the test
// compares it with encoding/json on every kind of event, and the rare
// value encoding/json refuses (a time outside years 0-9999, a NaN or
// infinite float) makes it hand the page to encoding/json so the answer
// stays exactly what it was.

// appendEventsJSON appends evs as encoding/json (without HTML escaping)
// renders a []store.Event; ok is false when one of them needs
// encoding/json's own handling.
func appendEventsJSON(b []byte, evs []store.Event) ([]byte, bool) {
	b = append(b, '[')
	var keys []string
	for i := range evs {
		if i > 0 {
			b = append(b, ',')
		}
		var ok bool
		if b, keys, ok = appendEventJSON(b, &evs[i], keys); !ok {
			return b, false
		}
	}
	return append(b, ']'), true
}

func appendEventJSON(b []byte, e *store.Event, keys []string) ([]byte, []string, bool) {
	if y := e.Time.Year(); y < 0 || y > 9999 {
		return b, keys, false
	}
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, e.ID, 10)
	b = append(b, `,"batch_id":`...)
	b = strconv.AppendInt(b, int64(e.BatchID), 10)
	b = append(b, `,"time":"`...)
	b = e.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":`...)
	b = appendJSONString(b, e.Level.String())
	if e.Service != "" {
		b = append(b, `,"service":`...)
		b = appendJSONString(b, e.Service)
	}
	if e.Host != "" {
		b = append(b, `,"host":`...)
		b = appendJSONString(b, e.Host)
	}
	b = append(b, `,"message":`...)
	b = appendJSONString(b, e.Message)
	if e.Raw != "" {
		b = append(b, `,"raw":`...)
		b = appendJSONString(b, e.Raw)
	}
	if e.Format != "" {
		b = append(b, `,"format":`...)
		b = appendJSONString(b, e.Format)
	}
	if len(e.Fields) > 0 {
		keys = keys[:0]
		for k := range e.Fields {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, `,"fields":{`...)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = appendJSONString(b, e.Fields[k])
		}
		b = append(b, '}')
	}
	b = append(b, `,"signals":{`...)
	s := &e.Signals
	first := true
	sep := func() {
		if !first {
			b = append(b, ',')
		}
		first = false
	}
	if s.Status != 0 {
		sep()
		b = append(b, `"status":`...)
		b = strconv.AppendInt(b, int64(s.Status), 10)
	}
	for _, f := range [...]struct {
		name string
		v    float64
	}{{`"latency_ms":`, s.LatencyMS}, {`"memory_pct":`, s.MemoryPct}, {`"memory_mb":`, s.MemoryMB}, {`"cpu_pct":`, s.CPUPct}} {
		if f.v == 0 {
			continue
		}
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return b, keys, false
		}
		sep()
		b = append(b, f.name...)
		b = appendJSONFloat(b, f.v)
	}
	if s.OOM {
		sep()
		b = append(b, `"oom":true`...)
	}
	b = append(b, '}')
	if e.TimeGuessed {
		b = append(b, `,"time_guessed":true`...)
	}
	if e.Pattern != "" {
		b = append(b, `,"pattern":`...)
		b = appendJSONString(b, string(e.Pattern))
	}
	return append(b, '}'), keys, true
}

// appendJSONFloat formats f as encoding/json does.
func appendJSONFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 to e-9, as encoding/json writes it.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as encoding/json does without HTML escaping:
// invalid UTF-8 becomes U+FFFD, U+2028 and U+2029 are escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// eventPageJSON renders a page of GET /api/projects/:id/logs as
// writeJSON(map[string]any{"events": evs, "next_cursor": next}) would.
func eventPageJSON(evs []store.Event, next string) []byte {
	b := make([]byte, 0, 64+400*len(evs))
	b = append(b, `{"events":`...)
	b, ok := appendEventsJSON(b, evs)
	if !ok {
		var nc *string
		if next != "" {
			nc = &next
		}
		out, err := marshalNoEscape(map[string]any{"events": evs, "next_cursor": nc})
		if err != nil {
			return nil
		}
		return out
	}
	b = append(b, `,"next_cursor":`...)
	if next == "" {
		b = append(b, "null"...)
	} else {
		b = appendJSONString(b, next)
	}
	return append(b, "}\n"...)
}

// marshalNoEscape is json.Marshal without HTML escaping, with the
// Encoder's trailing newline (what writeJSON sends).
func marshalNoEscape(v any) ([]byte, error) {
	var buf jsonBuffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return buf, err
}

type jsonBuffer []byte

func (j *jsonBuffer) Write(p []byte) (int, error) {
	*j = append(*j, p...)
	return len(p), nil
}
