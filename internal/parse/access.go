package parse

import (
	"strconv"
	"strings"

	"github.com/cloudsage/cloudsage"
)

// Access logs: NCSA common and combined formats as nginx and Apache write
// them, optionally preceded by a virtual host and followed by extra fields
// (nginx $request_time / $upstream_response_time, Apache %D, key=value
// pairs):
//
//	host ident user [02/Jan/2006:15:04:05 -0700] "GET /path?q HTTP/1.1" 200 512 "referer" "agent" 0.123
//
// The message is "METHOD /path STATUS" so that one route with one status
// forms one pattern; the rest goes to Fields.

// parseAccess reads an access log line.
func (p *Parser) parseAccess(s string, ev *cloudsage.Event, st *lineState) bool {
	b := spaceBracket(s[:min(len(s), 320)])
	if b < 3 || b+30 > len(s) || !isDigit(s[b+2]) || s[b+4] != '/' {
		return false
	}
	// host ident user: at least three tokens before the bracket
	head := s[:b]
	toks := 0
	var tok [4]string
	for i := 0; i < len(head); {
		for i < len(head) && head[i] == ' ' {
			i++
		}
		if i >= len(head) {
			break
		}
		e := tokenEnd(head, i)
		if toks == 4 {
			return false
		}
		tok[toks] = head[i:e]
		toks++
		i = e
	}
	if toks < 3 {
		return false
	}
	t, n, ok := apacheTime(s[b+2:])
	if !ok {
		return false
	}
	i := b + 2 + n
	if !strings.HasPrefix(s[i:], "] \"") {
		return false
	}
	i += 3
	req, m, ok := quotedRaw(s[i-1:])
	if !ok {
		return false
	}
	i += m - 1
	i = skipSpaces(s, i)
	e := tokenEnd(s, i)
	if e-i != 3 || !isAllDigits(s[i:e]) {
		return false
	}
	status, _ := digitsAt(s, i, 3)
	statusTok := s[i:e]
	i = skipSpaces(s, e)
	e = tokenEnd(s, i)
	bytesTok := s[i:e]
	i = skipSpaces(s, e)

	x := newStructured(p, ev, st)
	off := toks - 3 // a leading virtual host
	if off == 1 {
		x.field("vhost", tok[0])
	}
	x.field("remote_addr", tok[off])
	if u := tok[off+2]; u != "-" {
		x.field("user", u)
	}
	if bytesTok != "-" && isAllDigits(bytesTok) {
		x.field("bytes", bytesTok)
	}
	method, target, proto := splitRequest(req)
	path := target
	if q := strings.IndexByte(target, '?'); q >= 0 {
		path = target[:q]
		x.field("query", target[q+1:])
	}
	if method != "" {
		x.field("method", method)
		x.field("path", path)
		if proto != "" {
			x.field("protocol", proto)
		}
	}
	// "referer" "agent", then extra fields
	for q := 0; i < len(s) && s[i] == '"'; q++ {
		v, m, ok := quotedRaw(s[i:])
		if !ok {
			break
		}
		switch {
		case q == 0 && v != "-":
			x.field("referer", v)
		case q == 1 && v != "-":
			x.field("user_agent", v)
		case q >= 2 && v != "-":
			x.field("extra_"+strconv.Itoa(q-1), v)
		}
		i = skipSpaces(s, i+m)
	}
	for i < len(s) {
		e := tokenEnd(s, i)
		w := s[i:e]
		if k := strings.IndexByte(w, '='); k > 0 {
			x.leaf(w[:k], strings.Trim(w[k+1:], "\""), true)
		} else if isNumber(w) && !ev.Signals.HasLatency {
			// nginx $request_time is seconds with a fraction; Apache %D
			// is whole microseconds
			x.field("request_time", w)
			v := parseFloat(w)
			if strings.IndexByte(w, '.') >= 0 {
				setLatency(&ev.Signals, v*1000)
			} else {
				setLatency(&ev.Signals, v/1000)
			}
		}
		i = skipSpaces(s, e)
	}
	ev.Time, st.hasTime = t, true
	ev.Format = FormatAccess
	ev.Signals.Status = status
	if method != "" {
		ev.Message = p.accessMessage(method, " ", path, " ", statusTok)
	} else {
		ev.Message = p.accessMessage("\"", req, "\" ", statusTok)
	}
	return true
}

// Access messages ("GET /path 200") up to maxCachedMessage bytes are kept
// per Parser, up to maxMessageCache of them (then the cache starts afresh):
// a stream repeats a few hundred routes and statuses, and a line whose
// message came before then allocates nothing for it.
const (
	maxCachedMessage = 256
	maxMessageCache  = 1024
)

// accessMessage returns the concatenation of its parts: the cached copy
// when there is one.
func (p *Parser) accessMessage(parts ...string) string {
	buf := p.mbuf[:0]
	for _, s := range parts {
		buf = append(buf, s...)
	}
	p.mbuf = buf
	if len(buf) > maxCachedMessage {
		return string(buf)
	}
	if m, ok := p.msgs[string(buf)]; ok {
		return m
	}
	if p.msgs == nil {
		p.msgs = make(map[string]string)
	} else if len(p.msgs) >= maxMessageCache {
		clear(p.msgs)
	}
	m := string(buf)
	p.msgs[m] = m
	return m
}

// spaceBracket returns the index of the first " [" in s, or -1. It looks
// for the rare '[' and checks the byte before it: strings.Index would stop at
// every space, the first byte of the needle.
func spaceBracket(s string) int {
	for i := 1; i < len(s); {
		k := strings.IndexByte(s[i:], '[')
		if k < 0 {
			return -1
		}
		i += k
		if s[i-1] == ' ' {
			return i - 1
		}
		i++
	}
	return -1
}

// splitRequest splits "GET /path HTTP/1.1".
func splitRequest(r string) (method, target, proto string) {
	a := strings.IndexByte(r, ' ')
	if a <= 0 || a > 16 || !noLower(r[:a]) {
		return "", "", ""
	}
	rest := r[a+1:]
	if c := strings.LastIndexByte(rest, ' '); c >= 0 && strings.HasPrefix(rest[c+1:], "HTTP/") {
		return r[:a], rest[:c], rest[c+1:]
	}
	if strings.IndexByte(rest, ' ') >= 0 {
		return "", "", ""
	}
	return r[:a], rest, ""
}

// quotedRaw reads a double-quoted field of an access log (escapes kept as
// written, \" skipped) and returns its inside and the bytes used.
func quotedRaw(s string) (string, int, bool) {
	if s == "" || s[0] != '"' {
		return "", 0, false
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return s[1:i], i + 1, true
		}
	}
	return "", 0, false
}

func skipSpaces(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}
