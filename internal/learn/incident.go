package learn

import (
	"cmp"
	"slices"
	"time"
)

// Signature is what moved during an incident: the patterns (ids, with
// their templates for people), the risk factors above normal and the
// services or hosts the moving patterns came from. Past incidents are
// matched on it.
type Signature struct {
	Patterns  []string `json:"patterns"`            // pattern ids, sorted
	Templates []string `json:"templates,omitempty"` // their templates, for people (same order)
	Factors   []string `json:"factors"`             // sorted
	Services  []string `json:"services"`            // sorted
}

// Empty reports whether nothing moved.
func (s Signature) Empty() bool {
	return len(s.Patterns) == 0 && len(s.Factors) == 0 && len(s.Services) == 0
}

// maxSignature caps each part of a signature: an incident's union over
// hours of reports must not grow without bound.
const maxSignature = 30

// Union is s with what o adds (each part capped at maxSignature).
func (s Signature) Union(o Signature) Signature {
	tpl := map[string]string{}
	for _, x := range []Signature{s, o} {
		for i, id := range x.Patterns {
			if i < len(x.Templates) {
				tpl[id] = x.Templates[i]
			}
		}
	}
	out := Signature{
		Patterns: union(s.Patterns, o.Patterns),
		Factors:  union(s.Factors, o.Factors),
		Services: union(s.Services, o.Services),
	}
	for _, id := range out.Patterns {
		out.Templates = append(out.Templates, tpl[id])
	}
	return out
}

func union(a, b []string) []string {
	out := slices.Concat(a, b)
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > maxSignature {
		out = out[:maxSignature]
	}
	return out
}

// Parts of the similarity: the patterns say most about what went wrong,
// the factors how it showed, the services where.
const (
	patternWeight = 0.5
	factorWeight  = 0.3
	serviceWeight = 0.2
)

// Similarity of two signatures, 0..1: the weighted Jaccard index of their
// patterns, factors and services. A part empty in both leaves the
// weighting, so two incidents with no service names compare on the rest.
func Similarity(a, b Signature) float64 {
	var sum, w float64
	for _, p := range []struct {
		x, y []string
		w    float64
	}{{a.Patterns, b.Patterns, patternWeight}, {a.Factors, b.Factors, factorWeight}, {a.Services, b.Services, serviceWeight}} {
		if len(p.x) == 0 && len(p.y) == 0 {
			continue
		}
		sum += p.w * jaccard(p.x, p.y)
		w += p.w
	}
	if w == 0 {
		return 0
	}
	return sum / w
}

func jaccard(a, b []string) float64 {
	in := 0
	set := make(map[string]bool, len(a))
	for _, x := range a {
		set[x] = true
	}
	seen := map[string]bool{}
	for _, y := range b {
		if set[y] && !seen[y] {
			in++
		}
		seen[y] = true
	}
	un := len(set) + len(seen) - in
	if un == 0 {
		return 0
	}
	return float64(in) / float64(un)
}

// Memory is a past incident as matching sees it.
type Memory struct {
	ID        int64     `json:"id"`
	OpenedAt  time.Time `json:"opened_at"`
	Title     string    `json:"title"`
	RootCause string    `json:"root_cause"`
	Fix       string    `json:"fix"`
	Signature Signature `json:"signature"`
}

// Match is a past incident like the present, with its similarity.
type Match struct {
	Memory
	Similarity float64 `json:"similarity"`
}

// MinSimilarity is the least similarity worth showing.
const MinSimilarity = 0.3

// Similar returns the past incidents most similar to now (at least
// MinSimilarity, best first, at most n). Incidents nobody described (no
// title and no fix) teach nothing and are skipped.
func Similar(now Signature, past []Memory, n int) []Match {
	if now.Empty() {
		return nil
	}
	var out []Match
	for _, m := range past {
		if m.Title == "" && m.Fix == "" {
			continue
		}
		if s := Similarity(now, m.Signature); s >= MinSimilarity {
			out = append(out, Match{Memory: m, Similarity: float64(int(s*100+0.5)) / 100})
		}
	}
	slices.SortStableFunc(out, func(a, b Match) int {
		if c := cmp.Compare(b.Similarity, a.Similarity); c != 0 {
			return c
		}
		return b.OpenedAt.Compare(a.OpenedAt)
	})
	return out[:min(len(out), n)]
}

// CloseAfter is how long a project stays low before its incident closes.
const CloseAfter = 30 * time.Minute

// Tracked is the part of an incident the tracker moves.
type Tracked struct {
	OpenedAt  time.Time
	LowSince  *time.Time
	ClosedAt  *time.Time
	Peak      float64
	Signature Signature
}

// Track moves a project's incident on with a report at at: with none open
// (cur nil), a high label opens one; an open one takes the peak and the
// union of the signatures, notes when the label went low, and closes once
// it has stayed low CloseAfter. It returns the incident to store (nil: none
// open and none opened) and whether it changed.
func Track(cur *Tracked, at time.Time, label string, score float64, sig Signature) (*Tracked, bool) {
	if cur == nil {
		if label != "high" {
			return nil, false
		}
		return &Tracked{OpenedAt: at, Peak: score, Signature: sig.Union(Signature{})}, true
	}
	next := *cur
	next.Signature = cur.Signature.Union(sig)
	next.Peak = max(cur.Peak, score)
	switch {
	case label != "low":
		next.LowSince = nil
	case cur.LowSince == nil:
		t := at
		next.LowSince = &t
	case at.Sub(*cur.LowSince) >= CloseAfter:
		t := at
		next.ClosedAt = &t
	}
	changed := next.Peak != cur.Peak || (next.LowSince == nil) != (cur.LowSince == nil) || next.ClosedAt != nil ||
		!slices.Equal(next.Signature.Patterns, cur.Signature.Patterns) || !slices.Equal(next.Signature.Factors, cur.Signature.Factors) ||
		!slices.Equal(next.Signature.Services, cur.Signature.Services)
	return &next, changed
}
