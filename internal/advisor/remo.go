package advisor

import (
	"regexp"
	"sync"
)

// A server advises at every batch of a project, on patterns whose texts
// (samples and template) change only every few minutes, and most of the
// advice's time is its regular expressions over those texts. remo
// remembers what an expression found in a text, for any later call:
// results are read-only and depend only on the two. It holds at most
// remoBytes of texts, then starts afresh.
var remo = struct {
	sync.Mutex
	m     map[remoKey]remoVal
	bytes int
}{m: map[remoKey]remoVal{}}

const remoBytes = 16 << 20

type remoKey struct {
	re  *regexp.Regexp
	s   string
	sub bool // submatches (FindStringSubmatch), not the first match's span
}

type remoVal struct {
	loc []int
	sub []string
}

func remoGet(k remoKey) (remoVal, bool) {
	remo.Lock()
	v, ok := remo.m[k]
	remo.Unlock()
	return v, ok
}

func remoPut(k remoKey, v remoVal) {
	remo.Lock()
	defer remo.Unlock()
	if remo.bytes+len(k.s) > remoBytes {
		clear(remo.m)
		remo.bytes = 0
	}
	if _, ok := remo.m[k]; !ok {
		remo.m[k] = v
		remo.bytes += len(k.s) + 64
	}
}

// findIndex is re.FindStringIndex(s), remembered.
func findIndex(re *regexp.Regexp, s string) []int {
	k := remoKey{re: re, s: s}
	if v, ok := remoGet(k); ok {
		return v.loc
	}
	loc := re.FindStringIndex(s)
	remoPut(k, remoVal{loc: loc})
	return loc
}

// matches is re.MatchString(s), remembered.
func matches(re *regexp.Regexp, s string) bool { return findIndex(re, s) != nil }

// findSubmatch is re.FindStringSubmatch(s), remembered: the slice is shared,
// never to be changed.
func findSubmatch(re *regexp.Regexp, s string) []string {
	k := remoKey{re: re, s: s, sub: true}
	if v, ok := remoGet(k); ok {
		return v.sub
	}
	m := re.FindStringSubmatch(s)
	remoPut(k, remoVal{sub: m})
	return m
}
