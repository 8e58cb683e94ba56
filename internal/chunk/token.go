package chunk

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cloudsage/cloudsage"
)

// the message, or the raw line when the message is empty.
func searchSource(ev *cloudsage.Event) string {
	if ev.Message == "" {
		return ev.Raw
	}
	return ev.Message
}

// Tokens: search splits text into runs of letters and digits, lowercased
// (the words SQLite's unicode61 tokenizer made, without its diacritic
// folding). The index holds each distinct token of a chunk in the form
// IndexToken gives it: plain [a-z0-9] tokens as they are, others (non-ASCII,
// or longer than maxIndexToken) as a hash, so both databases index the same
// simple words. A hash collision only makes a chunk a candidate; the exact
// filter decides.

const maxIndexToken = 64

func isTokenRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z'
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r)
}

// forEachToken calls fn with each token of s, as a slice of s (not
// lowercased) and whether it is plain ASCII.
func forEachToken(s string, fn func(tok string, ascii bool)) {
	start, ascii := -1, true
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' {
				if start < 0 {
					start, ascii = i, true
				}
			} else if start >= 0 {
				fn(s[start:i], ascii)
				start = -1
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if isTokenRune(r) {
			if start < 0 {
				start = i
			}
			ascii = false
		} else if start >= 0 {
			fn(s[start:i], ascii)
			start = -1
		}
		i += n
	}
	if start >= 0 {
		fn(s[start:], ascii)
	}
}

// Tokens returns the lowercased tokens of s in order.
func Tokens(s string) []string {
	var out []string
	forEachToken(s, func(t string, ascii bool) { out = append(out, lowerToken(t, ascii)) })
	return out
}

func lowerToken(t string, ascii bool) string {
	if !ascii {
		return strings.ToLower(t)
	}
	for i := 0; i < len(t); i++ {
		if c := t[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(t)
		}
	}
	return t
}

// IndexToken is the form a lowercased token takes in the index.
func IndexToken(t string) string {
	if len(t) <= maxIndexToken && isPlain(t) {
		return t
	}
	return "h" + hashText(t)
}

func isPlain(t string) bool {
	for i := 0; i < len(t); i++ {
		if c := t[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func hashText(s string) string {
	h := fnv64(s)
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	var b [13]byte
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = digits[h%36]
		h /= 36
	}
	return string(b[:])
}

func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// Kinds of key token: a chunk's index holds one for each distinct
// service, host and pattern of its events.
const (
	KeyService byte = 's'
	KeyHost    byte = 'h'
	KeyPattern byte = 'p'
)

// KeyToken is the index token of a service, host or pattern value (kind
// KeyService, KeyHost or KeyPattern).
func KeyToken(kind byte, v string) string { return "k" + string(kind) + hashText(v) }

// tokenSet collects a chunk's distinct index tokens in an open-addressing
// hash set over one byte arena: a token is lowercased and hashed in one
// pass, and only a token not seen before in the chunk is copied.
type tokenSet struct {
	slots []uint32 // 0: empty; else 1 + index into ents
	ents  []tokenEnt
	arena []byte
}

type tokenEnt struct {
	hash     uint64
	off, len uint32
}

func (ts *tokenSet) reset() {
	if ts.slots == nil {
		ts.slots = make([]uint32, 4096)
	}
	clear(ts.slots)
	ts.ents = ts.ents[:0]
	ts.arena = ts.arena[:0]
}

const (
	tokenHashInit  = 14695981039346656037
	tokenHashPrime = 1099511628211
)

func (ts *tokenSet) addText(s string) {
	forEachToken(s, func(t string, ascii bool) {
		if ascii && len(t) <= maxIndexToken {
			// Lowercase into the arena's free tail while hashing; the
			// bytes stay only when the token is new.
			off := len(ts.arena)
			b := ts.arena
			h := uint64(tokenHashInit)
			for i := 0; i < len(t); i++ {
				c := t[i]
				if c >= 'A' && c <= 'Z' {
					c += 'a' - 'A'
				}
				b = append(b, c)
				h = (h ^ uint64(c)) * tokenHashPrime
			}
			ts.arena = b
			if !ts.insert(h, off) {
				ts.arena = ts.arena[:off]
			}
			return
		}
		ts.addString(IndexToken(lowerToken(t, ascii)))
	})
}

// addString adds one index token as it is.
func (ts *tokenSet) addString(t string) {
	off := len(ts.arena)
	ts.arena = append(ts.arena, t...)
	h := uint64(tokenHashInit)
	for i := 0; i < len(t); i++ {
		h = (h ^ uint64(t[i])) * tokenHashPrime
	}
	if !ts.insert(h, off) {
		ts.arena = ts.arena[:off]
	}
}

// insert adds the token arena[off:] with hash h, reporting whether it was
// new.
func (ts *tokenSet) insert(h uint64, off int) bool {
	if 2*(len(ts.ents)+1) > len(ts.slots) {
		ts.grow()
	}
	tok := ts.arena[off:]
	mask := uint64(len(ts.slots) - 1)
	for i := (h * 0x9e3779b97f4a7c15) >> 32 & mask; ; i = (i + 1) & mask {
		s := ts.slots[i]
		if s == 0 {
			ts.ents = append(ts.ents, tokenEnt{hash: h, off: uint32(off), len: uint32(len(tok))})
			ts.slots[i] = uint32(len(ts.ents))
			return true
		}
		e := &ts.ents[s-1]
		if e.hash == h && string(ts.arena[e.off:e.off+e.len]) == string(tok) {
			return false
		}
	}
}

func (ts *tokenSet) grow() {
	ts.slots = make([]uint32, 2*len(ts.slots))
	mask := uint64(len(ts.slots) - 1)
	for j := range ts.ents {
		i := (ts.ents[j].hash * 0x9e3779b97f4a7c15) >> 32 & mask
		for ts.slots[i] != 0 {
			i = (i + 1) & mask
		}
		ts.slots[i] = uint32(j + 1)
	}
}

// addKey adds the key token of a service ('s'), host ('h') or pattern ('p')
// value.
func (ts *tokenSet) addKey(kind byte, v string) {
	if v != "" {
		ts.addString(KeyToken(kind, v))
	}
}

// list returns the distinct tokens, slices of one string, in the order
// they were first added.
func (ts *tokenSet) list() []string {
	all := string(ts.arena)
	out := make([]string, len(ts.ents))
	for i, e := range ts.ents {
		out[i] = all[e.off : e.off+e.len]
	}
	return out
}

// SearchWords splits q into the words a full-text query must all match:
// runs of letters and digits joined by punctuation stay one word (a phrase
// to the index), so "durability-marker-1" matches that exact sequence.
func SearchWords(q string) []string {
	var ws []string
	for _, f := range strings.Fields(q) {
		if strings.IndexFunc(f, isWordRune) >= 0 {
			ws = append(ws, f)
		}
	}
	return ws
}

func isWordRune(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 127
}
