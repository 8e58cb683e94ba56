package sqlstore

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
)

// referenceTokens is the index document of a chunk written the plain way
// (one map, every token lowercased and mapped by indexToken), which the
// hash set of tokenSet must reproduce exactly.
func referenceTokens(evs []cloudsage.Event) []string {
	seen := map[string]bool{}
	add := func(s string) {
		forEachToken(s, func(t string, ascii bool) { seen[indexToken(lowerToken(t, ascii))] = true })
	}
	for i := range evs {
		ev := &evs[i]
		add(searchSource(ev))
		for k, v := range ev.Fields {
			add(k)
			add(v)
		}
		if ev.Service != "" {
			seen[keyToken('s', ev.Service)] = true
		}
		if ev.Pattern != "" {
			seen[keyToken('p', string(ev.Pattern))] = true
		}
		if ev.Host != "" {
			seen[keyToken('h', ev.Host)] = true
		}
	}
	out := make([]string, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// randomEvents mixes repeated and fresh words, case, non-ASCII, long
// tokens, fields whose names are also services or patterns, and enough
// distinct tokens to grow the set several times.
func randomEvents(r *rand.Rand, n int) []cloudsage.Event {
	words := []string{"GET", "get", "Get", "error", "ERROR", "café", "CAFÉ", "Über", "x", "42", "a1b2",
		strings.Repeat("long", 20), strings.Repeat("L", 65), "😀", "api", "ks", "p1", "timeout", "\xff\xfe"}
	word := func() string {
		if r.IntN(3) == 0 {
			return fmt.Sprintf("w%d", r.IntN(5000))
		}
		return words[r.IntN(len(words))]
	}
	evs := make([]cloudsage.Event, n)
	for i := range evs {
		var sb strings.Builder
		for j := range r.IntN(12) {
			if j > 0 {
				sb.WriteString([]string{" ", "/", "=", ", ", "-", "é"}[r.IntN(6)])
			}
			sb.WriteString(word())
		}
		ev := cloudsage.Event{Time: t0.Add(time.Duration(r.IntN(1000)) * time.Second), Message: sb.String(), Raw: "raw " + word() + " " + sb.String()}
		if r.IntN(4) == 0 {
			ev.Message = ""
		}
		if r.IntN(2) == 0 {
			ev.Service = []string{"api", "web", "Api", "api"}[r.IntN(4)]
		}
		if r.IntN(2) == 0 {
			ev.Pattern = cloudsage.PatternID([]string{"p1", "p2", "api", "x"}[r.IntN(4)])
		}
		if r.IntN(2) == 0 {
			ev.Fields = map[string]string{}
			for range r.IntN(4) {
				ev.Fields[[]string{"api", "user", "User-Agent", "p1", word()}[r.IntN(5)]] = word() + " " + word()
			}
		}
		evs[i] = ev
	}
	return evs
}

func TestChunkTokensMatchReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cases := map[string][]cloudsage.Event{
		"sample": sampleEvents(),
		"bench":  benchEvents(ChunkEvents),
		"empty":  {{Time: t0}},
	}
	for i := range 20 {
		cases[fmt.Sprint("random", i)] = randomEvents(r, 1+r.IntN(ChunkEvents))
	}
	for name, evs := range cases {
		c := BuildChunks(1, evs)
		if len(c) != 1 {
			t.Fatalf("%s: %d chunks", name, len(c))
		}
		got := slices.Clone(c[0].Tokens)
		slices.Sort(got)
		if want := referenceTokens(evs); !slices.Equal(got, want) {
			t.Errorf("%s: %d tokens, reference %d", name, len(got), len(want))
		}
		if len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Errorf("%s: duplicate tokens", name)
		}
	}
}
