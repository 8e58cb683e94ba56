package patterns

import (
	"strings"
	"unicode/utf8"
)

// maxKeyLen caps a caller-supplied template, in bytes.
const maxKeyLen = 512

// overflowKey is the template of the one pattern that takes keyed events
// once MaxClusters is reached.
const overflowKey = "<other keyed events>"

// AddKey files one event under a template its caller already knows: a
// structured event that names its own shape (an HTTP request's method,
// normalised route and status class) needs no mining, and mining would mask
// the very parts that tell two such events apart. The key is used as
// written (not masked, not generalised) and mined lines never join it.
// Keyed patterns share the miner's id space, its MaxClusters cap (past it,
// new keys go to one overflow pattern) and its snapshots. Keys longer than
// 512 bytes are cut; invalid UTF-8 is replaced.
func (m *Miner) AddKey(key string) Match {
	if !utf8.ValidString(key) {
		key = strings.ToValidUTF8(key, "\uFFFD")
	}
	if len(key) > maxKeyLen {
		n := maxKeyLen
		for n > 0 && !utf8.RuneStart(key[n]) {
			n--
		}
		key = key[:n]
	}
	if key == "" {
		key = wildcard
	}
	if c, ok := m.keyed[key]; ok {
		c.count++
		return Match{ID: c.id}
	}
	if m.live >= m.cfg.MaxClusters {
		o := m.keyOverflow()
		o.count++
		return Match{ID: o.id}
	}
	c := &cluster{
		seq:    len(m.all),
		tokens: []string{key},
		kinds:  []tokenKind{kindWord},
		keyed:  true,
	}
	c.id = m.newID(key)
	m.add(c)
	m.keyed[key] = c
	m.live++
	m.roots++
	c.count++
	return Match{ID: c.id, New: true}
}

// keyOverflow returns the pattern that takes new keys past the cap.
func (m *Miner) keyOverflow() *cluster {
	if m.keyOther != nil {
		return m.keyOther
	}
	o := &cluster{seq: len(m.all), tokens: []string{overflowKey}, kinds: []tokenKind{kindWord}, keyed: true, other: true}
	o.id = m.newID(overflowKey)
	m.add(o)
	m.keyOther = o
	m.roots++
	return o
}

// Keys returns the templates given to AddKey, oldest first (not the
// overflow pattern).
func (m *Miner) Keys() []string {
	var out []string
	for _, c := range m.all {
		if c.keyed && !c.other {
			out = append(out, c.tokens[0])
		}
	}
	return out
}
