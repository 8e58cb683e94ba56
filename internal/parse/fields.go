package parse

import (
	"strings"

	"github.com/cloudsage/cloudsage"
)

// Structured formats (JSON, logfmt) hand every key/value leaf to a
// structured collector, which picks out the time, level, message, service
// and host by their many conventional names, reads signals from the rest and
// keeps them as Fields.

type keyKind uint8

const (
	kOther keyKind = iota
	kTime
	kLevel
	kMsg
	kService
	kHost
)

type keyInfo struct {
	kind keyKind
	prio uint8 // lower wins when several keys name the same thing
}

// keyKinds is keyed by the lower-case (dotted) key.
var keyKinds = map[string]keyInfo{
	"time": {kTime, 1}, "timestamp": {kTime, 1}, "@timestamp": {kTime, 1}, "ts": {kTime, 1},
	"@t": {kTime, 1}, "datetime": {kTime, 2}, "date": {kTime, 3}, "eventtime": {kTime, 2},
	"timemillis": {kTime, 2}, "time_local": {kTime, 2}, "timestamp_ms": {kTime, 2},
	"asctime": {kTime, 2}, "logtime": {kTime, 2}, "log_time": {kTime, 2}, "t": {kTime, 4},

	"level": {kLevel, 1}, "lvl": {kLevel, 1}, "severity": {kLevel, 1}, "log.level": {kLevel, 1},
	"loglevel": {kLevel, 1}, "log_level": {kLevel, 1}, "levelname": {kLevel, 1}, "@l": {kLevel, 1},
	"level_name": {kLevel, 1}, "severity_text": {kLevel, 1}, "severitytext": {kLevel, 1},
	"priority": {kLevel, 3}, "@level": {kLevel, 1}, "loglevelname": {kLevel, 1},

	"msg": {kMsg, 1}, "message": {kMsg, 2}, "@message": {kMsg, 3}, "@m": {kMsg, 3},
	"@mt": {kMsg, 6}, "short_message": {kMsg, 4}, "textpayload": {kMsg, 4}, "log": {kMsg, 7},
	"event": {kMsg, 8}, "body": {kMsg, 9}, "full_message": {kMsg, 5}, "error.message": {kMsg, 10},

	"service": {kService, 1}, "service.name": {kService, 1}, "service_name": {kService, 1},
	"app": {kService, 2}, "application": {kService, 2}, "app_name": {kService, 2},
	"appname": {kService, 2}, "name": {kService, 4}, "logger": {kService, 3},
	"logger_name": {kService, 3}, "loggername": {kService, 3}, "log.logger": {kService, 3},
	"component": {kService, 3}, "source": {kService, 5}, "_systemd_unit": {kService, 3},
	"syslog_identifier": {kService, 2},

	"host": {kHost, 1}, "hostname": {kHost, 1}, "host.name": {kHost, 1},
	"host.hostname": {kHost, 1}, "_hostname": {kHost, 1}, "node": {kHost, 3},
}

// maxFields caps the fields kept per event, so a huge object cannot blow up
// memory.
const maxFields = 128

type structured struct {
	p        *Parser
	ev       *cloudsage.Event
	st       *lineState
	timePrio uint8
	lvlPrio  uint8
	msgPrio  uint8
	msgKey   string
	svcPrio  uint8
	hostPrio uint8
}

// newStructured resets the Parser's collector for a new line.
func newStructured(p *Parser, ev *cloudsage.Event, st *lineState) *structured {
	p.sx = structured{p: p, ev: ev, st: st, timePrio: 255, lvlPrio: 255, msgPrio: 255, svcPrio: 255, hostPrio: 255}
	return &p.sx
}

// keyMeta is what a structured key names (time, level, ...) and the signal
// it carries, as lookupKey and classify read it.
type keyMeta struct {
	key  string // the key itself, owned by the cache (not a slice of a line)
	info keyInfo
	sig  sigName
}

// Keys up to maxCachedKey bytes are cached per Parser, up to maxKeyCache of
// them (then the cache starts afresh): a stream repeats a few dozen keys,
// and one lookup of the key as written saves normalising it for two tables.
const (
	maxCachedKey = 64
	maxKeyCache  = 1024
)

// recentKeys is the size of the Parser's direct-mapped table of recent
// keys, in front of the keys map: a stream repeats a few dozen keys, and
// finding one there costs a few byte reads and one comparison where the
// map hashes the whole key.
const recentKeys = 256

// recentSlot returns the slot of key in the table of recent keys.
func recentSlot(key string) int {
	n := len(key)
	h := uint(n)*0x9e37 ^ uint(key[0])<<5 ^ uint(key[n-1])<<2 ^ uint(key[n/2])*7
	return int((h ^ h>>8) % recentKeys)
}

// meta returns what key names, from the caches when it is there.
func (p *Parser) meta(key string) keyMeta {
	if key == "" {
		return keyMeta{key: key, info: lookupKey(key), sig: classify(key)}
	}
	slot := recentSlot(key)
	if r := &p.recent[slot]; r.key == key {
		return *r
	}
	if m, ok := p.keys[key]; ok {
		p.recent[slot] = m
		return m
	}
	m := keyMeta{key: key, info: lookupKey(key), sig: classify(key)}
	if len(key) > maxCachedKey {
		return m
	}
	if p.keys == nil {
		p.keys = make(map[string]keyMeta)
	} else if len(p.keys) >= maxKeyCache {
		clear(p.keys)
	}
	m.key = strings.Clone(key)
	p.keys[m.key] = m
	p.recent[slot] = m // only owned keys: the table pins no line
	return m
}

// dotted returns prefix + "." + key, the cached copy when there is one (no
// allocation).
func (p *Parser) dotted(prefix, key string) string {
	b := append(append(append(p.kbuf[:0], prefix...), '.'), key...)
	p.kbuf = b
	if r := &p.recent[recentSlot(string(b))]; r.key == string(b) {
		return r.key
	}
	if m, ok := p.keys[string(b)]; ok {
		return m.key
	}
	return string(b)
}

func lookupKey(key string) keyInfo {
	if len(key) > 24 {
		return keyInfo{}
	}
	var buf [24]byte
	return keyKinds[string(lowerASCII(buf[:], key))]
}

// leaf takes one key (dotted for nested objects) and its value; str says
// the value was a string (so "null" is text, not JSON null).
func (x *structured) leaf(key, val string, str bool) {
	m := x.p.meta(key)
	key, ki := m.key, m.info
	switch ki.kind {
	case kTime:
		if ki.prio < x.timePrio {
			if t, ok := parseTimeValue(val, x.p.ref()); ok {
				x.ev.Time, x.st.hasTime = t, true
				x.timePrio = ki.prio
				return
			}
		}
	case kLevel:
		if ki.prio < x.lvlPrio {
			if l, ok := levelValue(val); ok {
				x.ev.Level, x.st.hasLevel = l, true
				x.lvlPrio = ki.prio
				return
			}
		}
	case kMsg:
		if str && ki.prio < x.msgPrio {
			if x.msgPrio != 255 {
				x.field(x.msgKey, x.ev.Message)
			}
			x.ev.Message, x.msgKey, x.msgPrio = val, key, ki.prio
			return
		}
	case kService:
		if ki.prio < x.svcPrio && val != "" && len(val) <= 128 && !isDigit(val[0]) {
			x.ev.Service, x.svcPrio = val, ki.prio
		}
	case kHost:
		if ki.prio < x.hostPrio && val != "" && len(val) <= 256 {
			x.ev.Host, x.hostPrio = val, ki.prio
		}
	}
	namedSignal(&x.ev.Signals, m.sig, val, &x.st.mem)
	x.field(key, val)
}

func (x *structured) field(key, val string) {
	if x.ev.Fields == nil {
		x.ev.Fields = x.p.fieldsMap()
	} else if len(x.ev.Fields) >= maxFields {
		return
	}
	if len(val) > MaxMessage {
		val = truncUTF8(val, MaxMessage)
	}
	x.ev.Fields[key] = val
}

// fieldsMap returns an empty map for an event's Fields: the one handed back
// by Reuse, if any.
func (p *Parser) fieldsMap() map[string]string {
	if n := len(p.spare); n > 0 {
		m := p.spare[n-1]
		p.spare[n-1] = nil
		p.spare = p.spare[:n-1]
		return m
	}
	return make(map[string]string, 8)
}

// maxSpare bounds the maps kept by Reuse: a few, as a line that takes none
// (plain text) can come between an event that gives one back and the next
// that takes one.
const maxSpare = 4

// Reuse hands back the Fields map of an event the caller is done with —
// nothing may refer to the map any more — so that the next structured event
// fills it instead of allocating one: a stream of JSON or logfmt lines then
// allocates no map per line. The map is emptied here.
func (p *Parser) Reuse(fields map[string]string) {
	if fields == nil || len(p.spare) >= maxSpare {
		return
	}
	clear(fields)
	p.spare = append(p.spare, fields)
}

// reject undoes a structured parse that failed part way (the line is not
// that format after all), keeping its Fields map for the next one.
func (p *Parser) reject(ev *cloudsage.Event, st *lineState) {
	p.Reuse(ev.Fields)
	*ev = cloudsage.Event{Raw: ev.Raw}
	*st = lineState{}
}

// done finishes a structured event: a message that is missing is built
// from the fields, so pattern mining still sees something stable.
func (x *structured) done(line string) {
	x.st.scanMessage = true
	if x.msgPrio == 255 {
		x.ev.Message = line
		return
	}
	x.ev.Message = strings.TrimRight(x.ev.Message, "\r\n")
	if i := strings.IndexByte(x.ev.Message, '\n'); i >= 0 {
		// a message with a stack trace inside: the first line is the message
		if x.ev.Fields == nil {
			x.ev.Fields = make(map[string]string, 1)
		}
		if _, ok := x.ev.Fields["stack"]; !ok && len(x.ev.Fields) < maxFields {
			x.ev.Fields["stack"] = truncUTF8(x.ev.Message[i+1:], MaxMessage)
		}
		x.ev.Message = x.ev.Message[:i]
	}
}
