package parse

import (
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
)

// Log shippers often forward file lines as they are: a syslog message, an
// OTLP body, a Loki entry or an Elasticsearch document whose message is a
// whole log line with a header of its own ("2015-10-18 18:01:47,978 INFO
// [main] ..."). Such a message is read as that line, the way /api/ingest
// reads it: the event gets the line's message, time, level, service,
// fields and signals, so it is stored, searched and mined into the same
// pattern as the line sent alone (and costs what that line costs: the
// header's timestamp is not mined, indexed or stored twice). What the
// shipper's envelope says besides fills what the line lacks; its fields
// are kept.

// envelope is what a shipper said of a record besides its message.
type envelope struct {
	time     time.Time // zero: none
	level    cloudsage.Level
	hasLevel bool
	service  string
	host     string
	fields   map[string]string
	signals  cloudsage.Signals // already read from fields (a document's)
	sigs     bool              // read the fields' signals (a record's)
}

// headedCandidate reports whether msg may be one log line with a header:
// one line (a multi-line message stays a structured record), not blank.
func headedCandidate(msg string) bool {
	msg = strings.TrimRight(msg, "\r\n")
	return len(msg) > 0 && len(msg) <= MaxRaw && strings.IndexByte(msg, '\n') < 0 && !isBlank(msg)
}

// readHeaded reads msg as one log line into ev when the line has a header
// of its own: a timestamp or a level its format reads, or it is a JSON
// object (whose keys /api/ingest would read). Then env fills what the line
// lacks and readHeaded returns true; otherwise ev and the parser's time
// memory are as they were and it returns false.
func (p *Parser) readHeaded(ev *cloudsage.Event, msg string, env *envelope) bool {
	s, raw := p.clean(msg)
	if isBlank(s) {
		return false
	}
	st := &p.st
	p.detect(ev, s, raw)
	if !st.hasTime && !st.hasLevel && ev.Format != FormatJSON {
		p.Reuse(ev.Fields)
		*ev = cloudsage.Event{}
		return false
	}
	if !st.hasTime && !env.time.IsZero() {
		ev.Time, st.hasTime = env.time, true
	}
	if !st.hasLevel && env.hasLevel {
		ev.Level, st.hasLevel = env.level, true
	}
	if ev.Service == "" {
		ev.Service = env.service
	}
	if ev.Host == "" {
		ev.Host = env.host
	}
	for k, v := range env.fields {
		if k == "" {
			continue
		}
		if env.sigs {
			namedSignal(&ev.Signals, p.meta(k).sig, v, &st.mem)
		}
		if _, ok := ev.Fields[k]; ok {
			continue // the line's own field wins
		}
		if ev.Fields == nil {
			ev.Fields = p.fieldsMap()
		} else if len(ev.Fields) >= maxFields {
			continue
		}
		if !plain(k) || !plain(v) {
			k, v = repair(k), repair(v)
		}
		ev.Fields[k] = truncUTF8(v, MaxMessage)
	}
	mergeSignals(&ev.Signals, &env.signals)
	p.finish(ev, st)
	// what startTrace makes of a line that starts a Go panic
	if (strings.HasPrefix(ev.Message, "panic: ") || strings.HasPrefix(ev.Message, "fatal error: ")) && ev.Level < cloudsage.LevelFatal {
		ev.Level = cloudsage.LevelFatal
	}
	return true
}

// repair makes s valid UTF-8 without NUL or DEL bytes, as a line's text is.
func repair(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexByte(s, 0) >= 0 || strings.IndexByte(s, 0x7f) >= 0 {
		s = strings.NewReplacer("\x00", "", "\x7f", "").Replace(s)
	}
	return s
}

// mergeSignals sets the signals of dst that it has none of from src.
func mergeSignals(dst, src *cloudsage.Signals) {
	if dst.Status == 0 {
		dst.Status = src.Status
	}
	if !dst.HasLatency && src.HasLatency {
		dst.LatencyMS, dst.HasLatency = src.LatencyMS, true
	}
	if !dst.HasMemPct && src.HasMemPct {
		dst.MemoryPct, dst.HasMemPct = src.MemoryPct, true
	}
	if !dst.HasMemMB && src.HasMemMB {
		dst.MemoryMB, dst.HasMemMB = src.MemoryMB, true
	}
	if !dst.HasCPU && src.HasCPU {
		dst.CPUPct, dst.HasCPU = src.CPUPct, true
	}
	dst.OOM = dst.OOM || src.OOM
}

// PushDocument appends the event of one JSON document a shipper wrapped
// around a log line (an Elasticsearch _bulk document), after the event
// held back, if any: a document is never continued by the next. It is
// the event of the document as a JSON line (Push), except that a message
// that is itself a log line with a header of its own is read as that
// line, the document's other keys filling what the line lacks (see
// readHeaded). Raw stays the document.
func (p *Parser) PushDocument(dst []cloudsage.Event, doc string) []cloudsage.Event {
	dst = p.Flush(dst)
	s, raw := p.clean(doc)
	if isBlank(s) {
		return dst
	}
	dst = append(dst, cloudsage.Event{})
	ev := &dst[len(dst)-1]
	p.detect(ev, s, raw)
	st := p.st
	if ev.Format == FormatJSON && p.sx.msgPrio != 255 && headedCandidate(ev.Message) {
		env := envelope{service: ev.Service, host: ev.Host, fields: ev.Fields, signals: ev.Signals,
			level: ev.Level, hasLevel: st.hasLevel}
		if st.hasTime {
			env.time = ev.Time
		}
		var hd cloudsage.Event
		if p.readHeaded(&hd, ev.Message, &env) {
			p.Reuse(ev.Fields) // readHeaded copied what it keeps
			hd.Raw = ev.Raw
			*ev = hd
			return dst
		}
	}
	p.st = st
	p.finish(ev, &p.st)
	return dst
}

// HasHeader reports whether a shipped message is one log line with a
// header of its own, which PushStructured and PushDocument read as that
// line: one line, and read alone it has a timestamp or a level its format
// reads, or it is a JSON object.
func HasHeader(msg string) bool {
	if !headedCandidate(msg) {
		return false
	}
	p := New()
	s, raw := p.clean(msg)
	if isBlank(s) {
		return false
	}
	var ev cloudsage.Event
	p.detect(&ev, s, raw)
	return p.st.hasTime || p.st.hasLevel || ev.Format == FormatJSON
}
