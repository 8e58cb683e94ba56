package parse

import (
	"strings"

	"github.com/cloudsage/cloudsage"
)

// Syslog is read by hand: RFC 5424 ("<PRI>1 TIMESTAMP HOST APP PROCID MSGID
// [SD] MSG") and RFC 3164 ("<PRI>Mmm _2 15:04:05 HOST TAG[PID]: MSG", also
// without the <PRI>, as files under /var/log hold it). A hand parser keeps
// one code path for both and avoids the per-line allocations of a
// general-purpose machine.

// parseSyslog reads a line that starts with "<PRI>".
func (p *Parser) parseSyslog(s string, ev *cloudsage.Event, st *lineState) bool {
	e := strings.IndexByte(s, '>')
	if e < 2 || e > 4 || !isAllDigits(s[1:e]) {
		return false
	}
	pri := 0
	for i := 1; i < e; i++ {
		pri = pri*10 + int(s[i]-'0')
	}
	if pri > 191 {
		return false
	}
	rest := s[e+1:]
	ev.Level, st.hasLevel = syslogSeverity(pri&7), true
	st.scanMessage = true
	if len(rest) > 2 && isDigit(rest[0]) && (rest[1] == ' ' || isDigit(rest[1]) && len(rest) > 3 && rest[2] == ' ') {
		return p.syslog5424(rest[strings.IndexByte(rest, ' ')+1:], ev, st)
	}
	// RFC 3164: a timestamp (classic or RFC 3339), then host, tag, message
	if t, n, ok := parseTime(rest, p.ref()); ok {
		ev.Time, st.hasTime = t, true
		rest = rest[n:]
	}
	p.syslogBody(rest, ev)
	ev.Format = FormatSyslog3164
	return true
}

// syslogBody reads "HOST TAG[PID]: MSG" (the host may be missing).
func (p *Parser) syslogBody(s string, ev *cloudsage.Event) {
	i := skipSpaceSeps(s, 0)
	e := tokenEnd(s, i)
	tok := s[i:e]
	if !isTag(tok) {
		ev.Host = tok
		i = skipSpaceSeps(s, e)
		e = tokenEnd(s, i)
		tok = s[i:e]
		if !isTag(tok) && identLike(tok) {
			// "syslogd 1.4.1: restart.": a tag with a version
			v := skipSpaces(s, e)
			ve := tokenEnd(s, v)
			if ve-v > 1 && s[ve-1] == ':' && isDigit(s[v]) && isVersion(s[v:ve-1]) {
				ev.Service = tok
				ev.Message = s[skipSpaces(s, ve):]
				return
			}
		}
	}
	if isTag(tok) {
		name := tok[:len(tok)-1]
		if k := strings.IndexByte(name, '['); k > 0 {
			name = name[:k]
		}
		ev.Service = name
		i = e
		for i < len(s) && s[i] == ' ' {
			i++
		}
	}
	ev.Message = s[i:]
}

// isVersion reports whether w is digits and dots ("1.4.1").
func isVersion(w string) bool {
	for i := 0; i < len(w); i++ {
		if !isDigit(w[i]) && w[i] != '.' {
			return false
		}
	}
	return true
}

// isTag reports whether tok is a syslog tag: "name:", "name[pid]:".
func isTag(tok string) bool {
	if len(tok) < 2 || len(tok) > 64 || tok[len(tok)-1] != ':' {
		return false
	}
	return identLike(tok[:len(tok)-1])
}

// syslog5424 reads what follows "<PRI>1 ".
func (p *Parser) syslog5424(s string, ev *cloudsage.Event, st *lineState) bool {
	ev.Format = FormatSyslog5424
	field := func() string {
		var f string
		f, s, _ = strings.Cut(s, " ")
		if f == "-" {
			return ""
		}
		return f
	}
	if ts := field(); ts != "" {
		if t, ok := parseTimeValue(ts, p.ref()); ok {
			ev.Time, st.hasTime = t, true
		}
	}
	ev.Host = field()
	ev.Service = field()
	procid := field()
	msgid := field()
	if procid != "" || msgid != "" {
		ev.Fields = p.fieldsMap()
		if procid != "" {
			ev.Fields["procid"] = procid
		}
		if msgid != "" {
			ev.Fields["msgid"] = msgid
		}
	}
	// structured data: "-" or one or more [id name="value" ...]
	switch {
	case strings.HasPrefix(s, "-"):
		s = s[1:]
	case strings.HasPrefix(s, "["):
		s = p.structuredData(s, ev)
	}
	s = strings.TrimPrefix(trimBlankLeft(s), "\uFEFF")
	ev.Message = s
	return true
}

// structuredData reads RFC 5424 SD-ELEMENTs into Fields as "id.name" and
// returns the rest of s.
func (p *Parser) structuredData(s string, ev *cloudsage.Event) string {
	for strings.HasPrefix(s, "[") {
		i := 1
		e := i
		for e < len(s) && s[e] != ' ' && s[e] != ']' {
			e++
		}
		id := s[i:e]
		i = e
		for i < len(s) && s[i] != ']' {
			for i < len(s) && s[i] == ' ' {
				i++
			}
			k := i
			for i < len(s) && s[i] != '=' && s[i] != ']' && s[i] != ' ' {
				i++
			}
			name := s[k:i]
			if i+1 >= len(s) || s[i] != '=' || s[i+1] != '"' {
				break
			}
			i += 2
			var b []byte
			start := i
			for i < len(s) && s[i] != '"' {
				if s[i] == '\\' && i+1 < len(s) {
					if b == nil {
						b = append(b, s[start:i]...)
					}
					i++
				}
				if b != nil {
					b = append(b, s[i])
				}
				i++
			}
			val := s[start:min(i, len(s))]
			if b != nil {
				val = string(b)
			}
			if i < len(s) {
				i++ // closing quote
			}
			if ev.Fields == nil {
				ev.Fields = p.fieldsMap()
			}
			ev.Fields[id+"."+name] = val
		}
		if i >= len(s) {
			return ""
		}
		s = s[i+1:]
	}
	return s
}
