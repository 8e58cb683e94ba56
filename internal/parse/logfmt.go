package parse

import (
	"strings"

	"github.com/cloudsage/cloudsage"
)

// logfmt: key=value pairs separated by spaces, values optionally quoted
// with Go-style escapes (Heroku, Go's slog TextHandler, logrus text, Grafana
// stacks). A line is logfmt when its first token is a key=value pair and it
// has at least two of them.

// looksLogfmt is the cheap test: the first token is key=... with a plain key.
func looksLogfmt(s string) bool {
	for i := 0; i < len(s) && i < 64; i++ {
		c := s[i]
		switch {
		case c == '=':
			return i > 0
		case isAlnum(c) || c == '_' || c == '.' || c == '-' || c == '@' || c == '/':
		default:
			return false
		}
	}
	return false
}

// parseLogfmt reads a logfmt line.
func (p *Parser) parseLogfmt(s string, ev *cloudsage.Event, st *lineState) bool {
	if strings.Count(s[:min(len(s), 4096)], "=") < 2 {
		return false
	}
	x := newStructured(p, ev, st)
	pairs := 0
	i := 0
	for i < len(s) {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			break
		}
		k := i
		for i < len(s) && s[i] != '=' && s[i] != ' ' && s[i] != '\t' && s[i] != '"' {
			i++
		}
		key := s[k:i]
		if i >= len(s) || s[i] != '=' {
			// a bare word: a flag in logfmt, or text that is not logfmt
			if i < len(s) && s[i] == '"' {
				return p.logfmtFail(ev, st, pairs)
			}
			if key != "" {
				x.field(key, "true")
			}
			continue
		}
		i++ // '='
		var val string
		if i < len(s) && s[i] == '"' {
			v, n, ok := quoted(s[i:])
			if !ok {
				return p.logfmtFail(ev, st, pairs)
			}
			val = v
			i += n
		} else {
			v := i
			for i < len(s) && s[i] != ' ' && s[i] != '\t' {
				i++
			}
			val = s[v:i]
		}
		if key == "" {
			return p.logfmtFail(ev, st, pairs)
		}
		x.leaf(key, val, true)
		pairs++
	}
	if pairs < 2 {
		return p.logfmtFail(ev, st, pairs)
	}
	ev.Format = FormatLogfmt
	x.done(s)
	return true
}

func (p *Parser) logfmtFail(ev *cloudsage.Event, st *lineState, _ int) bool {
	p.reject(ev, st)
	return false
}

// quoted reads a double-quoted string with backslash escapes at s[0] and
// returns its value and the bytes used.
func quoted(s string) (string, int, bool) {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '"':
			return s[1:i], i + 1, true
		case '\\':
			b := append([]byte(nil), s[1:i]...)
			for i < len(s) {
				c := s[i]
				if c == '"' {
					return string(b), i + 1, true
				}
				if c == '\\' && i+1 < len(s) {
					i++
					switch s[i] {
					case 'n':
						b = append(b, '\n')
					case 't':
						b = append(b, '\t')
					case 'r':
						b = append(b, '\r')
					default:
						b = append(b, s[i])
					}
					i++
					continue
				}
				b = append(b, c)
				i++
			}
			return "", 0, false
		}
	}
	return "", 0, false
}
