package chunk

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cloudsage/cloudsage/internal/query"
)

// Matcher is the exact filter of a query over decoded events. The zero
// Matcher accepts every event. A Matcher keeps a scratch buffer: one
// Matcher serves one goroutine.
type Matcher struct {
	Phrases    [][]string // each word's lowercased tokens, consecutive in the event
	NotPhrases [][]string // phrases the event must not hold
	Levels     int64      // LevelBits of the levels allowed; 0: any
	Conds      []Cond     // field conditions, all must hold
	From       int64      // Unix ns, inclusive, when HasFrom
	To         int64      // Unix ns, exclusive, when HasTo
	HasFrom    bool
	HasTo      bool
	// The cursor, when HasCursor: only events before (CursorTime,
	// CursorID) in newest-first order.
	CursorTime int64
	CursorID   int64
	HasCursor  bool
	toks       []string
}

// Cond is a condition on one field: its value is one of Values (none of
// them when Not).
type Cond struct {
	Field  string
	Values []string
	Not    bool
}

// Match reports whether e meets every condition of m.
func (m *Matcher) Match(e *Event) bool {
	return m.match(e, true)
}

// MatchQuery reports whether e meets every condition of m but its cursor:
// what a chunk's matches for any page of the query are.
func (m *Matcher) MatchQuery(e *Event) bool {
	return m.match(e, false)
}

// Before reports whether e comes after m's cursor in newest-first order
// (true when m has no cursor).
func (m *Matcher) Before(e *Event) bool {
	if !m.HasCursor {
		return true
	}
	t := NS(e.Time)
	return t < m.CursorTime || t == m.CursorTime && e.ID < m.CursorID
}

func (m *Matcher) match(e *Event, cursor bool) bool {
	if m.Levels != 0 && m.Levels&LevelBit(e.Level) == 0 {
		return false
	}
	t := NS(e.Time)
	if m.HasFrom && t < m.From || m.HasTo && t >= m.To {
		return false
	}
	if cursor && !m.Before(e) {
		return false
	}
	for i := range m.Conds {
		if !m.Conds[i].holds(e) {
			return false
		}
	}
	if len(m.Phrases) == 0 && len(m.NotPhrases) == 0 {
		return true
	}
	// Quick reject: a phrase's first token must occur somewhere in the text
	// (ASCII case folded) before the text is split into tokens.
	for _, ph := range m.Phrases {
		if t := ph[0]; isPlain(t) && !mayContainFold(searchSource(&e.Event), t) && !fieldsMayContainFold(e.Fields, t) {
			return false
		}
	}
	toks := m.toks[:0]
	add := func(t string, ascii bool) { toks = append(toks, lowerToken(t, ascii)) }
	forEachToken(searchSource(&e.Event), add)
	for k, v := range e.Fields {
		forEachToken(k, add)
		forEachToken(v, add)
	}
	m.toks = toks
	for _, ph := range m.Phrases {
		if !containsPhrase(toks, ph) {
			return false
		}
	}
	for _, ph := range m.NotPhrases {
		if containsPhrase(toks, ph) {
			return false
		}
	}
	return true
}

// Key is what identifies m's query apart from its cursor: every field of
// the Matcher (so a filter added to it later is part of the key too)
// except the cursor and the scratch buffer.
func (m *Matcher) Key() string {
	q := *m
	q.CursorTime, q.CursorID, q.HasCursor, q.toks = 0, 0, false, nil
	return fmt.Sprintf("%#v", q)
}

// holds reports whether e meets c. Service, host, pattern and format
// compare exactly (as the index keys them); level and other fields ignore
// case.
func (c *Cond) holds(e *Event) bool {
	v, ok := fieldValue(e, c.Field)
	in := false
	if ok {
		for _, w := range c.Values {
			if v == w || c.folds() && strings.EqualFold(v, w) {
				in = true
				break
			}
		}
	}
	return in != c.Not
}

func (c *Cond) folds() bool {
	switch c.Field {
	case query.FieldService, query.FieldHost, query.FieldPattern, query.FieldFormat:
		return false
	}
	return true
}

// fieldValue returns the value of a named field of e: an attribute every
// event has, the HTTP status, or one of its parsed fields.
func fieldValue(e *Event, f string) (string, bool) {
	switch f {
	case query.FieldLevel:
		return e.Level.String(), true
	case query.FieldService:
		return e.Service, e.Service != ""
	case query.FieldHost:
		return e.Host, e.Host != ""
	case query.FieldPattern:
		return string(e.Pattern), e.Pattern != ""
	case query.FieldFormat:
		return e.Format, e.Format != ""
	case query.FieldStatus:
		if e.Signals.Status != 0 {
			return strconv.Itoa(e.Signals.Status), true
		}
	}
	if v, ok := e.Fields[f]; ok {
		return v, true
	}
	// Field names as written in the log may differ in case.
	for k, v := range e.Fields {
		if strings.EqualFold(k, f) {
			return v, true
		}
	}
	return "", false
}

func fieldsMayContainFold(fields map[string]string, t string) bool {
	for k, v := range fields {
		if mayContainFold(k, t) || mayContainFold(v, t) {
			return true
		}
	}
	return false
}

// mayContainFold reports whether s may hold the token t, a lowercase
// [a-z0-9]+ word: false only when it cannot. It is true when s contains t
// ignoring ASCII case, and also when s holds one of the two non-ASCII
// letters whose lowercase is ASCII (U+0130 'İ' lowers to "i" and U+212A,
// the Kelvin sign, to "k"), since a token of s may then lower to t without
// t's bytes being in s. Both letters are tested in the same pass.
func mayContainFold(s, t string) bool {
	first := t[0]
	upper := first
	if first >= 'a' && first <= 'z' {
		upper = first - ('a' - 'A')
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != first && c != upper {
			if c >= 0xc4 && lowersToASCII(s, i) {
				return true
			}
			continue
		}
		if i+len(t) > len(s) {
			continue
		}
		j := 1
		for ; j < len(t); j++ {
			c := s[i+j]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != t[j] {
				break
			}
		}
		if j == len(t) {
			return true
		}
	}
	return false
}

// lowersToASCII reports whether s[i:] starts with U+0130 or U+212A.
func lowersToASCII(s string, i int) bool {
	switch s[i] {
	case 0xc4: // U+0130 is C4 B0
		return i+1 < len(s) && s[i+1] == 0xb0
	case 0xe2: // U+212A is E2 84 AA
		return i+2 < len(s) && s[i+1] == 0x84 && s[i+2] == 0xaa
	}
	return false
}

func containsPhrase(toks, ph []string) bool {
	for i := 0; i+len(ph) <= len(toks); i++ {
		if toks[i] != ph[0] {
			continue
		}
		ok := true
		for j := 1; j < len(ph); j++ {
			if toks[i+j] != ph[j] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// queryTokens returns the phrases of q (one per search word) and the
// distinct index tokens every matching chunk must hold; ok is false when q
// has no searchable word.
func queryTokens(q string) (phrases [][]string, index []string, ok bool) {
	seen := map[string]bool{}
	for _, w := range SearchWords(q) {
		ph := Tokens(w)
		if len(ph) == 0 {
			continue
		}
		phrases = append(phrases, ph)
		for _, t := range ph {
			it := IndexToken(t)
			if !seen[it] {
				seen[it] = true
				index = append(index, it)
			}
		}
	}
	return phrases, index, len(phrases) > 0
}
