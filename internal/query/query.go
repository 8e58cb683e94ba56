// Package query parses the log search syntax of the q parameter:
//
//	host:api-3 level:error "too many clients" -healthcheck
//
// Terms are separated by spaces and must all match. A term is a word, a
// "quoted phrase", or field:value (the value may be quoted); a leading "-"
// excludes what the term matches. Several values of one field match any of
// them (level:error level:fatal). The package only parses; the store
// decides how a term matches an event.
package query

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cloudsage/cloudsage"
)

// Term is one search term.
type Term struct {
	Field  string // lowercased field name; "" for free text
	Value  string // the word, the phrase or the field's value
	Phrase bool   // the value was quoted
	Not    bool   // exclude what matches
}

// Query is a parsed search: every term must hold.
type Query struct {
	Terms   []Term
	Dropped int // free-text terms without a word (punctuation), left out
}

// Known fields with a meaning beyond the event's parsed fields.
const (
	FieldLevel   = "level"
	FieldService = "service"
	FieldHost    = "host"
	FieldPattern = "pattern"
	FieldFormat  = "format"
	FieldStatus  = "status"
)

// MaxTerms is the most terms a query may have.
const MaxTerms = 32

// Parse reads q. Errors are cloudsage.Invalid and say what is wrong and
// where (an unclosed quote, an unknown level, too many terms).
func Parse(q string) (Query, error) {
	var out Query
	i := 0
	for {
		for i < len(q) && isSpace(q[i]) {
			i++
		}
		if i >= len(q) {
			break
		}
		start := i
		var t Term
		if q[i] == '-' && i+1 < len(q) && !isSpace(q[i+1]) {
			t.Not = true
			i++
		}
		if q[i] != '"' {
			// field:value, or a plain word up to the next space.
			j := i
			for j < len(q) && isFieldByte(q[j]) {
				j++
			}
			if j > i && j < len(q) && q[j] == ':' && j+1 < len(q) && !isSpace(q[j+1]) && isFieldStart(q[i]) {
				t.Field = strings.ToLower(q[i:j])
				i = j + 1
			}
		}
		if i < len(q) && q[i] == '"' {
			v, n, err := quoted(q[i:])
			if err != nil {
				return Query{}, cloudsage.Errorf(cloudsage.Invalid, "query: %v (at character %d)", err, i+1)
			}
			t.Value, t.Phrase = v, true
			i += n
			if i < len(q) && !isSpace(q[i]) {
				return Query{}, cloudsage.Errorf(cloudsage.Invalid, "query: a closing quote must be followed by a space (at character %d)", i+1)
			}
		} else {
			j := i
			for j < len(q) && !isSpace(q[j]) {
				j++
			}
			t.Value = q[i:j]
			i = j
		}
		if t.Field == "" && !hasWord(t.Value) {
			out.Dropped++
			continue // punctuation alone: text search matches words
		}
		if t.Field == FieldLevel {
			lv := strings.ToLower(t.Value)
			if cloudsage.ParseLevel(lv) == cloudsage.LevelUnknown && lv != "unknown" {
				return Query{}, cloudsage.Errorf(cloudsage.Invalid, "query: level:%s: want trace, debug, info, warn, error, fatal or unknown", t.Value)
			}
			t.Value = lv
		}
		if !utf8.ValidString(t.Value) {
			return Query{}, cloudsage.Errorf(cloudsage.Invalid, "query: not valid UTF-8 (at character %d)", start+1)
		}
		out.Terms = append(out.Terms, t)
		if len(out.Terms) > MaxTerms {
			return Query{}, cloudsage.Errorf(cloudsage.Invalid, "query: more than %d terms", MaxTerms)
		}
	}
	return out, nil
}

// quoted reads a "..." string at the start of s (\" and \\ escape) and
// returns its value and length.
func quoted(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
				b.WriteByte(s[i+1])
				i++
				continue
			}
			b.WriteByte(c)
		case '"':
			return b.String(), i + 1, nil
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, fmt.Errorf("unclosed quote")
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isFieldStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '@'
}

func isFieldByte(c byte) bool {
	return isFieldStart(c) || c >= '0' && c <= '9' || c == '.' || c == '-'
}

// hasWord reports whether s has a letter or digit: text search matches
// words, not punctuation.
func hasWord(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) >= 0
}

// String writes q back in the syntax Parse reads.
func (q Query) String() string {
	parts := make([]string, len(q.Terms))
	for i, t := range q.Terms {
		var b strings.Builder
		if t.Not {
			b.WriteByte('-')
		}
		if t.Field != "" {
			b.WriteString(t.Field)
			b.WriteByte(':')
		}
		if t.Phrase || t.Value == "" || strings.ContainsAny(t.Value, " \t\r\n\"") || (t.Field == "" && strings.HasPrefix(t.Value, "-")) || (t.Field == "" && looksLikeField(t.Value)) {
			b.WriteByte('"')
			b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(t.Value))
			b.WriteByte('"')
		} else {
			b.WriteString(t.Value)
		}
		parts[i] = b.String()
	}
	return strings.Join(parts, " ")
}

// looksLikeField reports whether a bare word would read as field:value.
func looksLikeField(s string) bool {
	j := 0
	for j < len(s) && isFieldByte(s[j]) {
		j++
	}
	return j > 0 && isFieldStart(s[0]) && j+1 < len(s) && s[j] == ':'
}

// Text returns the free-text words and phrases of q that must match (not
// the excluded ones): what a page highlights.
func (q Query) Text() []string {
	var out []string
	for _, t := range q.Terms {
		if t.Field == "" && !t.Not {
			out = append(out, t.Value)
		}
	}
	return out
}
