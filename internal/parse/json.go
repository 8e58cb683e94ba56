package parse

import (
	"strings"
	"unicode/utf8"

	"github.com/cloudsage/cloudsage"
)

// JSON lines are read by a small scanner that walks the object once and
// hands each leaf to the structured collector: nested objects become dotted
// keys, arrays are kept as their JSON text. It accepts exactly valid JSON; a
// line that is not a JSON object is left to the other formats (and ends up
// plain), never an error.

const maxJSONDepth = 16

type jsonScan struct {
	s string
	i int
	x *structured
	b []byte // scratch for unescaping
}

// parseJSON reads a line that starts with '{'.
func (p *Parser) parseJSON(s string, ev *cloudsage.Event, st *lineState) bool {
	x := newStructured(p, ev, st)
	p.js = jsonScan{s: s, x: x, b: p.js.b[:0]}
	j := &p.js
	if !j.object("", 0) {
		p.reject(ev, st)
		return false
	}
	j.ws()
	if j.i != len(s) {
		p.reject(ev, st)
		return false
	}
	ev.Format = FormatJSON
	x.done(s)
	return true
}

func (j *jsonScan) ws() {
	for j.i < len(j.s) {
		switch j.s[j.i] {
		case ' ', '\t', '\r', '\n':
			j.i++
		default:
			return
		}
	}
}

// object reads {...} at j.i, reporting leaves under prefix.
func (j *jsonScan) object(prefix string, depth int) bool {
	j.i++ // '{'
	j.ws()
	if j.i < len(j.s) && j.s[j.i] == '}' {
		j.i++
		return true
	}
	for {
		j.ws()
		if j.i >= len(j.s) || j.s[j.i] != '"' {
			return false
		}
		key, ok := j.str()
		if !ok {
			return false
		}
		j.ws()
		if j.i >= len(j.s) || j.s[j.i] != ':' {
			return false
		}
		j.i++
		j.ws()
		if prefix != "" {
			key = j.x.p.dotted(prefix, key)
		}
		if !j.value(key, depth) {
			return false
		}
		j.ws()
		if j.i >= len(j.s) {
			return false
		}
		switch j.s[j.i] {
		case ',':
			j.i++
		case '}':
			j.i++
			return true
		default:
			return false
		}
	}
}

func (j *jsonScan) value(key string, depth int) bool {
	if j.i >= len(j.s) {
		return false
	}
	switch c := j.s[j.i]; {
	case c == '"':
		v, ok := j.str()
		if !ok {
			return false
		}
		j.x.leaf(key, v, true)
	case c == '{':
		if depth+1 >= maxJSONDepth {
			start := j.i
			if !j.skip() {
				return false
			}
			j.x.leaf(key, j.s[start:j.i], false)
			return true
		}
		return j.object(key, depth+1)
	case c == '[':
		start := j.i
		if !j.skip() {
			return false
		}
		j.x.leaf(key, j.s[start:j.i], false)
	case c == '-' || isDigit(c):
		start := j.i
		if !j.number() {
			return false
		}
		j.x.leaf(key, j.s[start:j.i], false)
	case c == 't':
		return j.lit(key, "true")
	case c == 'f':
		return j.lit(key, "false")
	case c == 'n':
		if !strings.HasPrefix(j.s[j.i:], "null") {
			return false
		}
		j.i += 4
	default:
		return false
	}
	return true
}

func (j *jsonScan) lit(key, w string) bool {
	if !strings.HasPrefix(j.s[j.i:], w) {
		return false
	}
	j.i += len(w)
	j.x.leaf(key, w, false)
	return true
}

func (j *jsonScan) number() bool {
	start := j.i
	if j.s[j.i] == '-' {
		j.i++
	}
	d := j.i
	for j.i < len(j.s) {
		c := j.s[j.i]
		if isDigit(c) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-' {
			j.i++
			continue
		}
		break
	}
	return j.i > d && isDigit(j.s[d]) && j.i > start
}

// str reads a string at j.i (on the opening quote) and returns its value,
// unescaped. Unescaped values share the line's memory. Most keys and many
// values are short: a byte loop over the first bytes saves the two library
// scans (each a call and a setup) that a longer string takes.
func (j *jsonScan) str() (string, bool) {
	j.i++
	start := j.i
	s := j.s
	i := start
	for end := min(len(s), start+16); i < end; i++ {
		switch s[i] {
		case '"':
			j.i = i + 1
			return s[start:i], true
		case '\\':
			j.i = i
			return j.strSlow(start)
		}
	}
	v := s[i:]
	q := strings.IndexByte(v, '"')
	if q >= 0 {
		v = v[:q]
	}
	if b := strings.IndexByte(v, '\\'); b >= 0 {
		j.i = i + b
		return j.strSlow(start)
	}
	if q < 0 {
		j.i = len(s)
		return "", false
	}
	j.i = i + q + 1
	return s[start : i+q], true
}

func (j *jsonScan) strSlow(start int) (string, bool) {
	b := append(j.b[:0], j.s[start:j.i]...)
	for j.i < len(j.s) {
		c := j.s[j.i]
		switch {
		case c == '"':
			j.i++
			j.b = b
			return string(b), true
		case c == '\\':
			if j.i+1 >= len(j.s) {
				return "", false
			}
			e := j.s[j.i+1]
			j.i += 2
			switch e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, ok := j.hex4()
				if !ok {
					return "", false
				}
				if r >= 0xD800 && r < 0xDC00 && strings.HasPrefix(j.s[j.i:], "\\u") {
					j.i += 2
					r2, ok := j.hex4()
					if !ok {
						return "", false
					}
					if r2 >= 0xDC00 && r2 < 0xE000 {
						r = (r-0xD800)<<10 + (r2 - 0xDC00) + 0x10000
					} else {
						b = utf8.AppendRune(b, utf8.RuneError)
						r = r2
					}
				}
				if r == 0 {
					continue // NUL is dropped, as in raw lines
				}
				b = utf8.AppendRune(b, r)
			default:
				return "", false
			}
		default:
			b = append(b, c)
			j.i++
		}
	}
	return "", false
}

func (j *jsonScan) hex4() (rune, bool) {
	if j.i+4 > len(j.s) {
		return 0, false
	}
	var r rune
	for k := 0; k < 4; k++ {
		c := j.s[j.i+k]
		switch {
		case isDigit(c):
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	j.i += 4
	return r, true
}

// skip moves past one value (used for arrays and too-deep objects).
func (j *jsonScan) skip() bool {
	depth := 0
	for j.i < len(j.s) {
		switch j.s[j.i] {
		case '"':
			if _, ok := j.str(); !ok {
				return false
			}
			continue
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				j.i++
				return true
			}
			if depth < 0 {
				return false
			}
		}
		j.i++
	}
	return false
}
