// Package parse turns log lines into cloudsage.Events. It detects the format
// of every line on its own (JSON, logfmt, RFC 5424/3164 syslog, access logs,
// "timestamp level message" application logs, plain text), joins multi-line
// stack traces to the line that starts them, and reads the signals that feed
// risk scoring: HTTP status, latency, memory and CPU.
//
// It is pure: no I/O, no clock. Detection dispatches on the first bytes of a
// line and every format is read by a small hand-written scanner, so a line
// costs about a microsecond and few allocations.
package parse

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cloudsage/cloudsage"
)

// Limits that keep memory bounded whatever the input.
const (
	MaxRaw        = 64 << 10 // bytes of Raw kept per event (a longer line is cut)
	MaxMessage    = 8 << 10  // bytes of Message kept per event
	MaxTraceLines = 200      // lines joined into one multi-line event
)

// Format names put in Event.Format.
const (
	FormatJSON       = "json"
	FormatLogfmt     = "logfmt"
	FormatSyslog5424 = "syslog5424"
	FormatSyslog3164 = "syslog3164"
	FormatAccess     = "access"
	FormatApp        = "app"
	FormatPlain      = "plain"
)

// Parser parses a stream of lines. It remembers the last timestamp (for lines
// that have none) and holds back the latest event until the next line shows
// whether it continues it (a stack trace). It is not safe for concurrent use.
type Parser struct {
	def     time.Time
	last    time.Time
	hasLast bool

	pend    cloudsage.Event
	hasPend bool
	lines   []string // raw lines of the pending event after the first
	bytes   int      // bytes of the pending event's raw lines
	dropped int      // continuation lines dropped over the limits
	trace   traceKind
	first   string // the pending event's message before any trace was added

	buf []byte // scratch for cleaning lines

	spare  []map[string]string // emptied Fields maps to fill next (see Reuse)
	keys   map[string]keyMeta  // structured keys seen (see meta)
	recent [recentKeys]keyMeta // the latest of them, direct-mapped (see meta)
	kbuf   []byte              // scratch for dotted keys
	msgs   map[string]string   // access messages seen (see accessMessage)
	mbuf   []byte              // scratch for access messages

	// scratch for parseLine, kept here so that it is not allocated per line
	st lineState
	sx structured
	js jsonScan
}

// New returns a Parser.
func New() *Parser { return &Parser{} }

// SetDefaultTime sets the time given to lines before any timestamp was seen
// (e.g. the time the batch was received). It is also the reference for the
// year of dates written without one ("Jan _2 15:04:05"); without it and
// without an earlier dated line such dates get the year 1970.
func (p *Parser) SetDefaultTime(t time.Time) { p.def = t.UTC() }

// Push parses one line and appends to dst the events it completes: usually
// the previous line's event, since the latest one is held back until the
// next line shows whether it continues it. Empty and whitespace-only lines
// produce nothing. A trailing "\n" or "\r\n" is ignored.
func (p *Parser) Push(dst []cloudsage.Event, line string) []cloudsage.Event {
	s, raw := p.clean(line)
	if isBlank(s) {
		return dst
	}
	if p.hasPend && p.continues(s) {
		p.addLine(s, raw)
		return dst
	}
	dst = p.Flush(dst)
	p.parseLine(&p.pend, s, raw)
	p.hasPend = true
	p.startTrace(s)
	return dst
}

// Flush appends the event held back, if any.
func (p *Parser) Flush(dst []cloudsage.Event) []cloudsage.Event {
	if !p.hasPend {
		return dst
	}
	dst = append(dst, p.pend)
	p.pend = cloudsage.Event{}
	ev := &dst[len(dst)-1]
	if len(p.lines) > 0 {
		var b strings.Builder
		b.Grow(len(ev.Raw) + p.bytes) // p.bytes counts each line and its "\n"
		b.WriteString(ev.Raw)
		for _, l := range p.lines {
			b.WriteByte('\n')
			b.WriteString(l)
		}
		ev.Raw = b.String()
		if p.dropped > 0 {
			if ev.Fields == nil {
				ev.Fields = make(map[string]string, 1)
			}
			ev.Fields["dropped_lines"] = strconv.Itoa(p.dropped)
		}
	}
	p.hasPend = false
	clear(p.lines)
	p.lines = p.lines[:0]
	p.bytes, p.dropped = 0, 0
	p.trace = traceNone
	return dst
}

// Text parses every line of s and returns the events, flushed.
func Text(s string) []cloudsage.Event {
	p := New()
	var out []cloudsage.Event
	for line := range strings.Lines(s) {
		out = p.Push(out, line)
	}
	return p.Flush(out)
}

// ref is the reference for dates without a year.
func (p *Parser) ref() refTime {
	if p.hasLast {
		return refTime{t: p.last, logged: true}
	}
	return refTime{t: p.def}
}

// parseLine detects the format of one clean, non-blank line and parses it
// into ev (the pending event: parsing in place saves copying an Event).
func (p *Parser) parseLine(ev *cloudsage.Event, s, raw string) {
	p.detect(ev, s, raw)
	p.finish(ev, &p.st)
}

// detect reads one clean, non-blank line into ev and p.st by its format,
// without what finish adds.
func (p *Parser) detect(ev *cloudsage.Event, s, raw string) {
	// ev and st live in the Parser so that handing their addresses to the
	// format parsers does not move them to the heap.
	st := &p.st
	*ev = cloudsage.Event{Raw: raw}
	*st = lineState{}
	t := trimBlankLeft(s)
	ok := false
	switch t[0] {
	case '{':
		ok = p.parseJSON(t, ev, st)
	case '<':
		ok = p.parseSyslog(t, ev, st)
	}
	if !ok && looksLogfmt(t) {
		ok = p.parseLogfmt(t, ev, st)
	}
	if !ok {
		ok = p.parseAccess(t, ev, st)
	}
	if !ok {
		ok = p.parseApp(t, ev, st)
	}
	if !ok {
		ev.Format = FormatPlain
		ev.Message = t
		st.scanMessage = true
		if lvl, ok := levelFirst(t); ok { // "ERROR: x", "[WARN] x"
			ev.Level, st.hasLevel = lvl.level, true
			ev.Message = t[lvl.msg:]
			ev.Service = lvl.service
			ev.Format = FormatApp
		}
	}
}

// lineState carries what a format parser learnt besides the Event fields.
type lineState struct {
	hasTime     bool
	hasLevel    bool
	scanMessage bool // look for signals (k=v, "took 5ms") in the message text
	mem         memParts
}

// finish fills what every format shares: the time (own or guessed), the
// signals found in the message, a level from the HTTP status or keywords,
// and the caps on Message.
func (p *Parser) finish(ev *cloudsage.Event, st *lineState) {
	if st.hasTime {
		p.last, p.hasLast = ev.Time, true
	} else {
		ev.TimeGuessed = true
		if p.hasLast {
			ev.Time = p.last
		} else {
			ev.Time = p.def
		}
	}
	ev.Message = trimBlankRight(ev.Message)
	if len(ev.Message) > MaxMessage {
		ev.Message = truncUTF8(ev.Message, MaxMessage)
	}
	if st.scanMessage {
		messageSignals(&ev.Signals, ev.Message, &st.mem)
	}
	oomSignal(&ev.Signals, ev.Message)
	st.mem.apply(&ev.Signals)
	if !st.hasLevel {
		switch s := ev.Signals.Status; {
		case s >= 500:
			ev.Level = cloudsage.LevelError
		case s >= 400:
			ev.Level = cloudsage.LevelWarn
		case s >= 100:
			ev.Level = cloudsage.LevelInfo
		default:
			ev.Level = keywordLevel(ev.Message)
		}
		if ev.Signals.OOM && ev.Level < cloudsage.LevelError {
			ev.Level = cloudsage.LevelError
		}
	}
}

// clean strips the line ending, caps the length, removes ANSI escape
// sequences and control characters, and makes the text valid UTF-8. It
// returns the text to parse and the Raw to keep: the original line unless it
// held invalid UTF-8 or NUL bytes (which no store can keep as text).
func (p *Parser) clean(line string) (s, raw string) {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) > MaxRaw {
		line = truncUTF8(line, MaxRaw)
	}
	needs, ascii := scanLine(line)
	if !needs && (ascii || utf8.ValidString(line)) {
		return line, line
	}
	b := p.buf[:0]
	hadBad := false
	for i := 0; i < len(line); {
		c := line[i]
		switch {
		case c == 0x1b: // ESC: skip a CSI/OSC sequence or a two-byte escape
			i = skipEscape(line, i)
			continue
		case c == 0:
			hadBad = true
			i++
			continue
		case c < 0x20 && c != '\t' || c == 0x7f:
			if c == '\r' {
				b = append(b, ' ')
			}
			i++
			continue
		case c < 0x80:
			b = append(b, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(line[i:])
		if r == utf8.RuneError && size == 1 {
			hadBad = true
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, line[i:i+size]...)
		}
		i += size
	}
	p.buf = b
	s = string(b)
	if hadBad {
		return s, s
	}
	return s, line
}

// scanLine reports whether line holds control characters other than tab
// (needs cleaning) and whether it is all ASCII. It reads eight bytes at a
// time and looks at single bytes only in words that may hold one.
func scanLine(line string) (needs, ascii bool) {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	ascii = true
	i := 0
	for ; i+8 <= len(line); i += 8 {
		b := line[i : i+8] // one bounds check; the loads below combine into one
		w := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		// Every byte is in 0x20..0x7e when no byte has its high bit set (w),
		// none borrows when 0x20 is taken from it (a byte < 0x20 does), and
		// none reaches 0x80 when 1 is added (0x7f does). A borrow or carry
		// only comes from a byte that is flagged itself.
		if (w|(w-0x20*lo)|(w+lo))&hi == 0 {
			continue
		}
		for k := i; k < i+8; k++ {
			c := line[k]
			if c < 0x20 && c != '\t' || c == 0x7f {
				return true, ascii
			}
			if c >= 0x80 {
				ascii = false
			}
		}
	}
	for ; i < len(line); i++ {
		c := line[i]
		if c < 0x20 && c != '\t' || c == 0x7f {
			return true, ascii
		}
		if c >= 0x80 {
			ascii = false
		}
	}
	return false, ascii
}

// skipEscape returns the index after the escape sequence starting at s[i].
func skipEscape(s string, i int) int {
	i++
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[': // CSI: parameters and intermediates, then a final byte 0x40..0x7e
		i++
		for i < len(s) && (s[i] < 0x40 || s[i] > 0x7e) {
			if s[i] < 0x20 && s[i] != 0x1b {
				return i
			}
			i++
		}
		return min(i+1, len(s))
	case ']': // OSC: up to BEL or ST
		i++
		for i < len(s) {
			if s[i] == 0x07 {
				return i + 1
			}
			if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			i++
		}
		return i
	}
	return i + 1
}

// trimBlankLeft, trimBlankRight and trimBlank drop spaces and tabs: what
// strings.TrimLeft(s, " \t") does without building a set of the cut
// characters on every call (a measurable share of the per-line time).
func trimBlankLeft(s string) string {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return s[i:]
}

func trimBlankRight(s string) string {
	n := len(s)
	for n > 0 && (s[n-1] == ' ' || s[n-1] == '\t') {
		n--
	}
	return s[:n]
}

func trimBlank(s string) string { return trimBlankRight(trimBlankLeft(s)) }

// byteSet is a set of bytes, for strings.ContainsAny on a fixed set without
// building the set on every call.
type byteSet [256]bool

func newByteSet(chars string) *byteSet {
	var t byteSet
	for i := 0; i < len(chars); i++ {
		t[chars[i]] = true
	}
	return &t
}

// in reports whether s holds a byte of t.
func (t *byteSet) in(s string) bool {
	for i := 0; i < len(s); i++ {
		if t[s[i]] {
			return true
		}
	}
	return false
}

func isBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' && s[i] != '\t' {
			return false
		}
	}
	return true
}

// truncUTF8 cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
