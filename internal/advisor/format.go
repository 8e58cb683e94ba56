package advisor

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// template is a parsed action text: literals, placeholders and optional
// sections.
type template struct {
	parts []tmplPart
}

type tmplPart struct {
	lit      string
	names    []string // placeholder: parameter names tried in order
	def      string   // placeholder default
	hasDef   bool
	optional []tmplPart // an optional section
	isOpt    bool
}

func parseTemplate(s string) (template, error) {
	parts, rest, err := parseParts(s, false)
	if err != nil {
		return template{}, err
	}
	if rest != "" {
		return template{}, fmt.Errorf("template %q: unmatched ]", s)
	}
	return template{parts: parts}, nil
}

// parseParts parses until the end of s or, inside a section, its closing ].
func parseParts(s string, inSection bool) (parts []tmplPart, rest string, err error) {
	for s != "" {
		i := strings.IndexAny(s, "{}[]")
		if i < 0 {
			if inSection {
				return nil, "", errors.New("template: unclosed [")
			}
			parts = append(parts, tmplPart{lit: s})
			return parts, "", nil
		}
		if i > 0 {
			parts = append(parts, tmplPart{lit: s[:i]})
		}
		switch s[i] {
		case '}':
			return nil, "", errors.New("template: unmatched }")
		case ']':
			if !inSection {
				return parts, s[i:], nil
			}
			return parts, s[i+1:], nil
		case '[':
			if inSection {
				return nil, "", errors.New("template: nested [")
			}
			inner, r, err := parseParts(s[i+1:], true)
			if err != nil {
				return nil, "", err
			}
			parts = append(parts, tmplPart{optional: inner, isOpt: true})
			s = r
			continue
		case '{':
			j := strings.IndexByte(s[i:], '}')
			if j < 0 {
				return nil, "", errors.New("template: unclosed {")
			}
			body := s[i+1 : i+j]
			if strings.ContainsAny(body, "{[]") {
				return nil, "", fmt.Errorf("template: bad placeholder {%s}", body)
			}
			names, def, hasDef := strings.Cut(body, "|")
			p := tmplPart{def: def, hasDef: hasDef}
			for _, n := range strings.Split(names, ",") {
				n = strings.TrimSpace(n)
				if n == "" {
					return nil, "", fmt.Errorf("template: empty name in {%s}", body)
				}
				p.names = append(p.names, n)
			}
			parts = append(parts, p)
			s = s[i+j+1:]
			continue
		}
	}
	if inSection {
		return nil, "", errors.New("template: unclosed [")
	}
	return parts, "", nil
}

// names lists every parameter the template refers to.
func (t template) names() []string {
	var out []string
	var walk func([]tmplPart)
	walk = func(ps []tmplPart) {
		for _, p := range ps {
			out = append(out, p.names...)
			walk(p.optional)
		}
	}
	walk(t.parts)
	return out
}

// render fills t from params. ok is false when a placeholder outside an
// optional section has no value and no default.
func (t template) render(params map[string]string) (string, bool) {
	var b strings.Builder
	ok := renderParts(&b, t.parts, params)
	return tidy(b.String()), ok
}

func renderParts(b *strings.Builder, parts []tmplPart, params map[string]string) bool {
	ok := true
	for _, p := range parts {
		switch {
		case p.isOpt:
			var sb strings.Builder
			if renderParts(&sb, p.optional, params) {
				b.WriteString(sb.String())
			}
		case p.names != nil:
			v, found := lookup(params, p.names)
			if !found {
				if !p.hasDef {
					ok = false
				}
				v = p.def
			}
			b.WriteString(v)
		default:
			b.WriteString(p.lit)
		}
	}
	return ok
}

func lookup(params map[string]string, names []string) (string, bool) {
	for _, n := range names {
		if v := params[n]; v != "" {
			return v, true
		}
	}
	return "", false
}

// tidy collapses runs of spaces, trims, and removes spaces before
// punctuation (left behind by empty parameters).
func tidy(s string) string {
	b := make([]byte, 0, len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			space = len(b) > 0
			continue
		}
		if space && !(c == ':' || c == ',' || c == '.' || c == ')') {
			b = append(b, ' ')
		}
		space = false
		b = append(b, c)
	}
	return string(b)
}

// clean makes user data safe to embed in one line of text: valid UTF-8,
// no control characters, at most max runes (with an ellipsis).
func clean(s string, max int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var b strings.Builder
	n := 0
	space := false
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			r = ' '
		}
		if r == ' ' {
			if space || n == 0 {
				continue
			}
			space = true
		} else {
			space = false
		}
		if n == max {
			return strings.TrimRight(b.String(), " ") + "…"
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimRight(b.String(), " ")
}

// cleanSample keeps a sample line readable: valid UTF-8, at most max bytes.
func cleanSample(s string, max int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = strings.TrimRight(s, "\r\n\t ")
	if len(s) <= max {
		return s
	}
	return capBytes(s, max) + "…"
}

// fmtInt writes n with thousands separators: 1,204.
func fmtInt(n int64) string {
	neg := n < 0
	u := uint64(n)
	if neg {
		u = uint64(-n)
	}
	s := strconv.FormatUint(u, 10)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	pre := len(s) % 3
	if pre == 0 {
		pre = 3
	}
	b.WriteString(s[:pre])
	for i := pre; i < len(s); i += 3 {
		b.WriteByte(',')
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// fmtNum writes a measurement compactly: 1,234 / 56.7 / 0.42.
func fmtNum(v float64) string {
	v = finite(v)
	a := math.Abs(v)
	switch {
	case a >= 100:
		return fmtInt(int64(math.Round(v)))
	case a >= 10:
		return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0")
	case a == 0:
		return "0"
	case a >= 0.1:
		return strings.TrimSuffix(strings.TrimRight(strconv.FormatFloat(v, 'f', 2, 64), "0"), ".")
	default:
		return strconv.FormatFloat(v, 'g', 2, 64)
	}
}

// fmtPct writes a ratio (0.042) as a percentage (4.2%).
func fmtPct(ratio float64) string {
	p := finite(ratio) * 100
	a := math.Abs(p)
	switch {
	case a == 0:
		return "0%"
	case a >= 10:
		return strconv.FormatFloat(p, 'f', 0, 64) + "%"
	case a >= 1:
		return strings.TrimSuffix(strconv.FormatFloat(p, 'f', 1, 64), ".0") + "%"
	default:
		return strconv.FormatFloat(p, 'g', 2, 64) + "%"
	}
}

// fmtValue writes a factor measurement in its unit.
func fmtValue(v float64, unit string) string {
	switch unit {
	case "ratio":
		return fmtPct(v)
	case "%":
		return fmtNum(v) + "%"
	case "":
		return fmtNum(v)
	default:
		return fmtNum(v) + " " + clean(unit, 16)
	}
}

// fmtRatio writes a multiple: ×40, ×2.5, ×0.05.
func fmtRatio(r float64) string {
	r = finite(r)
	switch {
	case r >= 10:
		return "×" + fmtInt(int64(math.Round(r)))
	case r >= 0.1:
		return "×" + strings.TrimSuffix(strconv.FormatFloat(r, 'f', 1, 64), ".0")
	default:
		return "×" + strconv.FormatFloat(r, 'g', 1, 64)
	}
}

// Units of evidence numbers (Evidence.Units). A multiple is written ×N, a
// share (0..1) as a percentage, everywhere: titles, why-texts, evidence
// labels, the CLI and the pages all go through FormatNumber.
const (
	UnitMultiple = "x"     // value / reference: ×19.5
	UnitShare    = "share" // 0..1 of a whole: 34%
	UnitPercent  = "%"     // already a percentage (CPU, memory): 85%
	UnitCount    = ""      // a count or a plain number: 1,204
)

// FormatNumber writes an evidence number in its unit: ×19.5, 34%, 840 ms,
// 1,204. Units other than those above are written after the number.
func FormatNumber(v float64, unit string) string {
	switch unit {
	case UnitMultiple:
		return fmtRatio(v)
	case UnitShare, "ratio": // "ratio" is the risk factors' name for a share
		return fmtPct(v)
	case UnitCount:
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return fmtInt(int64(v))
		}
		return fmtNum(v)
	}
	return fmtValue(v, unit)
}

// NumberUnit is the unit of the evidence number named key: from units
// when it names one, else from the name (for reports stored before units
// were recorded): "_ratio" a multiple, "_share" and "p_high" shares, a
// factor's value and baseline its unit.
func NumberUnit(key string, units map[string]string) string {
	if u, ok := units[key]; ok {
		return u
	}
	base := strings.TrimSuffix(strings.TrimSuffix(key, "_value"), "_baseline")
	switch {
	case strings.HasSuffix(key, "_ratio"):
		return UnitMultiple
	case strings.HasSuffix(key, "_share"), key == "p_high":
		return UnitShare
	case base != key && base == "error_rate":
		return UnitShare
	case base != key && base == "latency", strings.HasSuffix(key, "_ms"):
		return "ms"
	case base != key && base == "cpu", strings.HasSuffix(key, "_pct"):
		return UnitPercent
	case base != key && base == "log_volume":
		return "lines/min"
	case strings.HasSuffix(key, "_minutes"):
		return "min"
	case strings.HasSuffix(key, "_hours"):
		return "h"
	case strings.HasSuffix(key, "_mb"):
		return "MB"
	}
	return UnitCount
}

// fmtDur writes a window: 15 min, 2 h, 1 h 30 min, 7 days.
func fmtDur(d time.Duration) string {
	if d < time.Minute {
		return strconv.Itoa(int(d/time.Second)) + " s"
	}
	m := int64(d / time.Minute)
	switch {
	case m < 60:
		return strconv.FormatInt(m, 10) + " min"
	case m%(24*60) == 0 && m >= 48*60:
		return strconv.FormatInt(m/(24*60), 10) + " days"
	case m%60 == 0:
		return strconv.FormatInt(m/60, 10) + " h"
	case m < 24*60:
		return strconv.FormatInt(m/60, 10) + " h " + strconv.FormatInt(m%60, 10) + " min"
	default:
		return strconv.FormatInt((m+30)/60, 10) + " h"
	}
}

// fmtTime writes t in UTC, with the date unless it is at's day.
func fmtTime(t, at time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	if y, m, d := t.Date(); !at.IsZero() {
		if ay, am, ad := at.UTC().Date(); ay == y && am == m && ad == d {
			return t.Format("15:04 UTC")
		}
	}
	return t.Format("2006-01-02 15:04 UTC")
}

// finite replaces NaN and infinities (which JSON cannot carry) with 0 and
// the largest finite values.
func finite(v float64) float64 {
	switch {
	case math.IsNaN(v):
		return 0
	case math.IsInf(v, 1):
		return math.MaxFloat64
	case math.IsInf(v, -1):
		return -math.MaxFloat64
	}
	return v
}

// round3 keeps recorded numbers short and stable.
func round3(v float64) float64 {
	v = finite(v)
	if math.Abs(v) >= 1e12 {
		return v
	}
	return math.Round(v*1000) / 1000
}

func clamp01(v float64) float64 {
	switch {
	case math.IsNaN(v) || v < 0:
		return 0
	case v > 1:
		return 1
	}
	return v
}
