package parse

import (
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
)

// Application logs: a timestamp, then a header of level, pid, thread,
// logger/component in one of many orders, then the message. The header is
// read token by token with a few generic rules (a level word, numbers,
// bracketed threads, a component ending in ':' or followed by " - "), so
// Log4j/Logback, Python logging, Go's log, Rails, glog, PostgreSQL and the
// Loghub systems need no per-format code.

// parseApp reads an application log line. It returns false when the line
// has no timestamp at its start or within its first few header tokens.
func (p *Parser) parseApp(s string, ev *cloudsage.Event, st *lineState) bool {
	if len(s) < 8 {
		return false
	}
	if ok := p.parseRails(s, ev, st); ok {
		return true
	}
	if ok := p.parseGlog(s, ev, st); ok {
		return true
	}
	ref := p.ref()
	t, n, ok := parseTime(s, ref)
	mid := false
	if !ok {
		t, n, ok = midTime(s, ref)
		mid = true
	}
	if !ok {
		return false
	}
	ev.Time, st.hasTime = t, true
	st.scanMessage = true
	if !mid && isLetter(s[0]) && !isWeekday(s, 0) && !levelNext(s, n) {
		// "Jan _2 15:04:05 host tag[pid]: msg": syslog without a priority
		p.syslogBody(s[n:], ev)
		ev.Format = FormatSyslog3164
		return true
	}
	h := parseHeader(s, n, mid)
	if !h.time.IsZero() {
		ev.Time = h.time
	}
	ev.Format = FormatApp
	ev.Level, st.hasLevel = h.level, h.hasLevel
	ev.Service = h.service
	ev.Message = s[h.msg:]
	return true
}

// midTime looks for a timestamp in the first tokens of s, after header
// fields such as a file name (OpenStack), a label (BGL) or node and
// component names (HPC). Words of plain letters end the search: the line is
// prose, and a time inside prose is not its timestamp.
func midTime(s string, ref refTime) (t time.Time, n int, ok bool) {
	i := 0
	for tok := 0; tok < 6; tok++ {
		e := tokenEnd(s, i)
		w := s[i:e]
		if w == "" || tok == 0 && isWord(w) && !noLower(w) || strings.IndexByte(w, '=') >= 0 || w[0] == '"' {
			return
		}
		i = e
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i >= len(s) {
			return
		}
		if c := s[i]; isDigit(c) || c >= 'A' && c <= 'Z' || c == '[' {
			if t, m, ok := parseTime(s[i:], ref); ok {
				return t, i + m, true
			}
		}
	}
	return
}

// isWord reports whether w is letters only (with trailing punctuation).
func isWord(w string) bool {
	n := len(w)
	for n > 0 && (w[n-1] == ',' || w[n-1] == ':' || w[n-1] == '.' || w[n-1] == ';') {
		n--
	}
	if n == 0 {
		return false
	}
	for i := 0; i < n; i++ {
		if !isLetter(w[i]) {
			return false
		}
	}
	return true
}

// levelNext reports whether the token at s[i:] (after spaces) is a level.
func levelNext(s string, i int) bool {
	i = skipSpaceSeps(s, i)
	if i >= len(s) {
		return false
	}
	if s[i] == '[' {
		e := bracketEnd(s, i)
		if e < 0 {
			return false
		}
		_, ok := levelWord(trimBlank(s[i+1 : e-1]))
		return ok
	}
	e := tokenEnd(s, i)
	_, ok := headerLevel(s[i:e])
	return ok
}

type header struct {
	level    cloudsage.Level
	hasLevel bool
	service  string
	time     time.Time // a later, more precise timestamp in the header (BGL)
	msg      int       // where the message starts
}

// parseHeader reads the header that follows a timestamp ending at s[i].
// mid says the timestamp was found after other header fields, so numbers
// right after it are header fields too (HPC's flag).
func parseHeader(s string, i int, mid bool) header {
	h := header{msg: skipSpaceSeps(s, i)}
	j := i
	svc := ""
	for tok := 0; tok < 12; tok++ {
		j = skipSpaceSeps(s, j)
		if j >= len(s) {
			break
		}
		if s[j] == '[' {
			e := bracketEnd(s, j)
			if e < 0 {
				break
			}
			if l, ok := levelWord(trimBlank(s[j+1 : e-1])); ok {
				h.level, h.hasLevel = l, true
				return afterLevel(s, e, svc, h)
			}
			j = e
			continue
		}
		end := tokenEnd(s, j)
		w := s[j:end]
		if l, ok := headerLevel(w); ok {
			h.level, h.hasLevel = l, true
			if k := strings.LastIndexByte(w, '.'); k > 0 && w[len(w)-1] == ':' {
				svc = w[:k] // Laravel "production.ERROR:"
			}
			return afterLevel(s, end, svc, h)
		}
		if isDigit(w[0]) && len(w) >= 14 && h.time.IsZero() {
			if t, n, ok := parseTime(w, refTime{}); ok && n == len(w) {
				h.time = t
				j = end
				continue
			}
		}
		switch {
		case noLower(w):
			j = end
		case strings.HasPrefix(s[end:], " - ") && identLike(w):
			svc = w // Python "%(asctime)s - %(name)s - %(levelname)s - ..."
			j = end
		default:
			tok = 99
		}
	}
	// No level: the message starts right after the timestamp, past numbers
	// when the timestamp sat among header fields, and past a component
	// that names a file or process ("main.go:12:", "sshd[12]:").
	h.time = time.Time{}
	j = h.msg
	if mid {
		for k := 0; k < 3 && j < len(s) && (isDigit(s[j]) || s[j] == '-'); k++ {
			e := tokenEnd(s, j)
			if !isAllDigits(strings.TrimPrefix(s[j:e], "-")) {
				break
			}
			j = skipSpaceSeps(s, e)
		}
	}
	if j < len(s) {
		e := tokenEnd(s, j)
		w := s[j:e]
		if len(w) > 2 && w[len(w)-1] == ':' && identLike(w[:len(w)-1]) && serviceMarks.in(w[:len(w)-1]) {
			h.service = w[:len(w)-1]
			j = skipSpaceSeps(s, e)
		}
	}
	h.msg = j
	return h
}

// afterLevel reads what may follow a level: threads in brackets, a
// component (logger, class, tag) and separators; the message follows.
func afterLevel(s string, j int, svc string, h header) header {
	h.service = svc
	j = skipSpaceSeps(s, j)
	// Spring Boot: "ERROR 4242 --- [app] [thread] c.e.Class   : msg" (the pid
	// and its "---" are header, the logger is padded before " : ")
	spring := false
	if e := tokenEnd(s, j); e > j && isAllDigits(s[j:e]) && strings.HasPrefix(s[e:], " --- ") {
		j = skipSpaceSeps(s, e+len(" --- "))
		spring = true
	}
	sep := false
	for k := 0; k < 2 && j < len(s) && s[j] == '['; k++ {
		e := bracketEnd(s, j)
		if e < 0 {
			break
		}
		n := skipSpaceSeps(s, e)
		if !spring && strings.IndexByte(s[j:e], ' ') >= 0 && n == e+1 {
			// words in brackets: a thread when a component follows
			// ("[IPC Server handler 0] o.a.h.ipc.Server: msg"), else the
			// start of the message ("[client 1.2.3.4] msg")
			ne := tokenEnd(s, n)
			if w := s[n:ne]; len(w) < 2 || w[len(w)-1] != ':' || !componentLike(w[:len(w)-1]) {
				break
			}
		}
		sep = n > e+1 // "] - msg": the separator says the message starts
		j = n
	}
	if j < len(s) && !sep {
		end := tokenEnd(s, j)
		w := s[j:end]
		switch {
		case spring && identLike(w) && paddedColon(s, end) > 0:
			h.service = w
			j = paddedColon(s, end)
		case len(w) > 2 && w[len(w)-1] == ':' && isPidTid(w[:len(w)-1]):
			j = end // nginx "1234#1234:"
		case len(w) > 1 && w[len(w)-1] == ':' && componentLike(w[:len(w)-1]):
			h.service = w[:len(w)-1]
			j = end
		case identLike(w) && (strings.HasPrefix(s[end:], " - ") || strings.HasPrefix(s[end:], " -- ")):
			h.service = w
			j = end
		case identLike(w) && packageMarks.in(w) && strings.HasPrefix(s[end:], " ["):
			h.service = w // OpenStack "nova.compute.manager [req-...] msg"
			j = end + 1
			if e := bracketEnd(s, j); e > 0 {
				j = e
			}
		case identLike(w) && strings.HasPrefix(s[end:], "  "):
			h.service = w // a padded column (Windows CBS)
			j = end
		}
		j = skipSpaceSeps(s, j)
	}
	h.msg = j
	return h
}

// paddedColon returns the index after a " : " that follows s[i:] after
// padding spaces (Spring Boot's logger column), or 0.
func paddedColon(s string, i int) int {
	k := i
	for k < len(s) && s[k] == ' ' {
		k++
	}
	if k == i || k >= len(s) || s[k] != ':' || (k+1 < len(s) && s[k+1] != ' ') {
		return 0
	}
	return k + 1
}

// headerLevel reports whether a header token is a level: an upper-case or
// capitalised level word ("ERROR", "Warning"), one in any case followed by
// ':' ("error:"), a single upper-case letter of V D I W E F, or the last
// part of "env.LEVEL:".
func headerLevel(w string) (cloudsage.Level, bool) {
	colon := false
	if n := len(w); n > 1 && (w[n-1] == ':' || w[n-1] == ',') {
		colon = w[n-1] == ':'
		w = w[:n-1]
	}
	if len(w) == 1 {
		return levelLetter(w[0])
	}
	if colon {
		if k := strings.LastIndexByte(w, '.'); k > 0 {
			w = w[k+1:]
		}
	}
	l, ok := levelWord(w)
	if !ok {
		return l, false
	}
	if colon || w[0] >= 'A' && w[0] <= 'Z' {
		return l, true
	}
	return l, false
}

// levelFirst reads lines that start with a level and have no timestamp:
// "ERROR: x", "[WARN] x", "WARNING:root:x" (Python's default format),
// "INFO [main] c.e.Foo - x".
type levelStart struct {
	level   cloudsage.Level
	service string
	msg     int
}

func levelFirst(s string) (levelStart, bool) {
	if s[0] == '[' {
		e := bracketEnd(s, 0)
		if e < 0 {
			return levelStart{}, false
		}
		l, ok := levelWord(trimBlank(s[1 : e-1]))
		if !ok {
			return levelStart{}, false
		}
		h := afterLevel(s, e, "", header{})
		return levelStart{l, h.service, h.msg}, true
	}
	if !(s[0] >= 'A' && s[0] <= 'Z') {
		return levelStart{}, false
	}
	e := tokenEnd(s, 0)
	w := s[:e]
	if k := strings.IndexByte(w, ':'); k > 0 && k < len(w)-1 {
		// WARNING:root:message
		l, ok := levelWord(w[:k])
		if !ok || !noLower(w[:k]) {
			return levelStart{}, false
		}
		rest := s[k+1:]
		svc := ""
		if m := strings.IndexByte(rest, ':'); m > 0 && identLike(rest[:m]) {
			svc = rest[:m]
			return levelStart{l, svc, k + 1 + m + 1}, true
		}
		return levelStart{l, "", k + 1}, true
	}
	if len(w) < 4 {
		return levelStart{}, false
	}
	l, ok := headerLevel(w)
	if !ok || !noLower(w) || e >= len(s) {
		return levelStart{}, false
	}
	h := afterLevel(s, e, "", header{})
	return levelStart{l, h.service, h.msg}, true
}

// parseRails reads Ruby's Logger format:
// "I, [2024-01-15T10:00:00.123456 #1234]  INFO -- progname: message".
func (p *Parser) parseRails(s string, ev *cloudsage.Event, st *lineState) bool {
	if len(s) < 30 || s[1] != ',' || s[2] != ' ' || s[3] != '[' {
		return false
	}
	t, n, ok := parseTime(s[4:], p.ref())
	if !ok {
		return false
	}
	e := strings.IndexByte(s[4+n:], ']')
	if e < 0 {
		return false
	}
	j := skipSpaceSeps(s, 4+n+e+1)
	end := tokenEnd(s, j)
	l, ok := levelWord(s[j:end])
	if !ok {
		l, _ = levelLetter(s[0])
	}
	j = end
	for j < len(s) && s[j] == ' ' {
		j++
	}
	if strings.HasPrefix(s[j:], "-- ") {
		j += 3
		if c := strings.Index(s[j:], ": "); c >= 0 && !strings.Contains(s[j:j+c], " ") {
			ev.Service = s[j : j+c]
			j += c + 2
		} else if strings.HasPrefix(s[j:], ": ") {
			j += 2
		}
	}
	ev.Time, st.hasTime = t, true
	ev.Level, st.hasLevel = l, true
	ev.Format = FormatApp
	ev.Message = s[j:]
	st.scanMessage = true
	return true
}

// parseGlog reads glog/klog lines:
// "I0102 15:04:05.000000 12345 file.go:123] message".
func (p *Parser) parseGlog(s string, ev *cloudsage.Event, st *lineState) bool {
	if len(s) < 22 || s[5] != ' ' || countDigits(s, 1) != 4 {
		return false
	}
	l, ok := levelLetter(s[0])
	if !ok {
		return false
	}
	ref := p.ref()
	mo, _ := digitsAt(s, 1, 2)
	d, _ := digitsAt(s, 3, 2)
	h, m, sec, ns, n, ok := clock(s, 6, ':')
	if !ok {
		return false
	}
	t, ok := mkTime(inferYear(mo, d, h, ref), mo, d, h, m, sec, ns, 0)
	if !ok {
		return false
	}
	rest := s[6+n:]
	e := strings.Index(rest, "] ")
	if e < 0 || e > 80 {
		return false
	}
	hdr := trimBlank(rest[:e])
	if k := strings.LastIndexByte(hdr, ' '); k >= 0 {
		hdr = hdr[k+1:]
	}
	ev.Service = hdr
	ev.Time, st.hasTime = t, true
	ev.Level, st.hasLevel = l, true
	ev.Format = FormatApp
	ev.Message = rest[e+2:]
	st.scanMessage = true
	return true
}

// Marks that make a header word a service or component name (see
// parseHeader, afterLevel, componentLike).
var (
	serviceMarks   = newByteSet(".[_$/(#0123456789")
	packageMarks   = newByteSet("._$")
	componentMarks = newByteSet("ABCDEFGHIJKLMNOPQRSTUVWXYZ._$/[(")
)

// skipSpaceSeps skips spaces and lone separators ("-", "--", "|", ":", ",").
func skipSpaceSeps(s string, i int) int {
	for i < len(s) {
		c := s[i]
		if c == ' ' || c == '\t' {
			i++
			continue
		}
		if c == '-' || c == '|' || c == ':' || c == ',' {
			j := i + 1
			if c == '-' && j < len(s) && s[j] == '-' {
				j++
			}
			if j == len(s) || s[j] == ' ' || s[j] == '\t' {
				i = j
				continue
			}
		}
		break
	}
	return i
}

// tokenEnd returns the index of the first space or tab at or after i.
func tokenEnd(s string, i int) int {
	for i < len(s) && s[i] != ' ' && s[i] != '\t' {
		i++
	}
	return i
}

// bracketEnd returns the index after the ']' that closes the '[' at s[i],
// allowing nesting, or -1 when none closes within 512 bytes.
func bracketEnd(s string, i int) int {
	depth := 0
	for j := i; j < len(s) && j-i < 512; j++ {
		switch s[j] {
		case '[':
			depth++
		case ']':
			depth--
			if depth == 0 {
				return j + 1
			}
		}
	}
	return -1
}

func noLower(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] >= 'a' && w[i] <= 'z' || w[i] == '"' || w[i] >= 0x80 {
			return false
		}
	}
	return true
}

func isAllDigits(w string) bool {
	if w == "" {
		return false
	}
	for i := 0; i < len(w); i++ {
		if !isDigit(w[i]) {
			return false
		}
	}
	return true
}

// isPidTid reports whether w is "pid#tid" or a bare pid.
func isPidTid(w string) bool {
	a, b, _ := strings.Cut(w, "#")
	return isAllDigits(a) && (b == "" || isAllDigits(b))
}

// componentLike reports whether w names a logger or class rather than
// being the first word of a message ("ciod:"): identLike with an upper-case
// letter or one of . _ $ / [ (.
func componentLike(w string) bool {
	return identLike(w) && componentMarks.in(w)
}

// identLike reports whether w can name a logger, class, tag or process:
// one token of letters, digits and . _ $ - / # @ : ( ) [ ] < >, with a letter.
func identLike(w string) bool {
	if w == "" || len(w) > 160 {
		return false
	}
	letter := false
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case isLetter(c):
			letter = true
		case isDigit(c):
		case c == '.' || c == '_' || c == '$' || c == '-' || c == '/' || c == '#' || c == '@' || c == ':' ||
			c == '(' || c == ')' || c == '[' || c == ']' || c == '<' || c == '>' || c == '\\':
		default:
			return false
		}
	}
	return letter
}
