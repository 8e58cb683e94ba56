package patterns

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"slices"

	"github.com/cloudsage/cloudsage"
)

// snapshotVersion is bumped when the encoding changes incompatibly.
const snapshotVersion = 1

type snapshot struct {
	Version  int
	Config   Config
	Clusters []clusterState
	Values   []string // known value words, sorted (older snapshots: none)
}

type clusterState struct {
	ID     cloudsage.PatternID
	Tokens []string
	Kinds  []byte
	Count  int64
	Alias  int // index of the cluster joined into, -1 for none
	Keys   []string
	Other  bool
	Keyed  bool // an AddKey template (older snapshots decode as false)
}

// MarshalBinary encodes the miner's patterns, so that a restored miner
// hands out the same ids and templates.
func (m *Miner) MarshalBinary() ([]byte, error) {
	s := snapshot{Version: snapshotVersion, Config: m.cfg, Clusters: make([]clusterState, len(m.all))}
	for i, c := range m.all {
		st := clusterState{ID: c.id, Tokens: c.tokens, Count: c.count, Alias: -1, Keys: c.keys, Other: c.other, Keyed: c.keyed}
		st.Kinds = make([]byte, len(c.kinds))
		for j, k := range c.kinds {
			st.Kinds[j] = byte(k)
		}
		if c.alias != nil {
			st.Alias = c.alias.seq
		}
		s.Clusters[i] = st
	}
	for w := range m.values {
		s.Values = append(s.Values, w)
	}
	slices.Sort(s.Values)
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(&s); err != nil {
		return nil, fmt.Errorf("encode patterns: %w", err)
	}
	return b.Bytes(), nil
}

// UnmarshalBinary replaces the miner's state with one written by
// MarshalBinary. The configuration stored with the patterns wins, so caps
// and thresholds do not change under existing ids.
func (m *Miner) UnmarshalBinary(data []byte) error {
	var s snapshot
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
		return fmt.Errorf("decode patterns: %w", err)
	}
	if s.Version != snapshotVersion {
		return fmt.Errorf("decode patterns: unknown version %d", s.Version)
	}
	n := New(s.Config)
	for i, st := range s.Clusters {
		if len(st.Tokens) > n.cfg.MaxTokens || len(st.Kinds) != len(st.Tokens) {
			return fmt.Errorf("decode patterns: cluster %d: bad token count", i)
		}
		if _, dup := n.byID[st.ID]; dup || st.ID == "" {
			return fmt.Errorf("decode patterns: cluster %d: bad or duplicate id %q", i, st.ID)
		}
		c := &cluster{id: st.ID, seq: i, tokens: st.Tokens, count: st.Count, keys: st.Keys, other: st.Other, keyed: st.Keyed}
		c.kinds = make([]tokenKind, len(st.Kinds))
		for j, k := range st.Kinds {
			c.kinds[j] = tokenKind(k)
		}
		n.add(c)
		if c.keyed {
			if len(c.tokens) != 1 || len(c.keys) != 0 {
				return fmt.Errorf("decode patterns: cluster %d: bad keyed pattern", i)
			}
			if c.other {
				n.keyOther = c
			} else {
				n.keyed[c.tokens[0]] = c
				n.live++
			}
			continue
		}
		if c.other {
			n.others[len(c.tokens)] = c
			continue
		}
		n.live++
		for _, k := range c.keys {
			n.file(c, k)
		}
	}
	for i, st := range s.Clusters {
		if st.Alias < 0 {
			continue
		}
		if st.Alias >= i {
			return fmt.Errorf("decode patterns: cluster %d: joined to a younger cluster", i)
		}
		if n.all[i].keyed || n.all[st.Alias].keyed {
			return fmt.Errorf("decode patterns: cluster %d: a keyed pattern is never joined", i)
		}
		n.all[i].alias = n.all[st.Alias]
	}
	for _, c := range n.all {
		if c.alias == nil {
			n.roots++
		}
		if !c.other && !c.keyed {
			c.ckey = collapsedKey(c.tokens)
			if _, ok := n.collapsed[c.ckey]; !ok {
				n.collapsed[c.ckey] = c
			}
		}
	}
	for _, c := range n.all {
		if !c.other && !c.keyed {
			n.fileWild(c)
		}
	}
	if len(s.Values) > maxValueWords {
		return fmt.Errorf("decode patterns: %d value words", len(s.Values))
	}
	for _, w := range s.Values {
		n.values[w] = struct{}{}
	}
	*m = *n
	return nil
}
