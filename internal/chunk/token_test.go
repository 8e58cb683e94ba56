package chunk

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/testenv"
)

func TestTokens(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"disk full on /var/lib/data.db", []string{"disk", "full", "on", "var", "lib", "data", "db"}},
		{"durability-marker-7", []string{"durability", "marker", "7"}},
		{"Café ÜBER_x", []string{"café", "über", "x"}},
		{`al"pha`, []string{"al", "pha"}},
		{"  --  ", nil},
		{"a😀b", []string{"a", "b"}},
	}
	for _, c := range cases {
		if diff := cmp.Diff(c.want, Tokens(c.in)); diff != "" {
			t.Errorf("Tokens(%q) (-want +got):\n%s", c.in, diff)
		}
	}
}

func TestIndexToken(t *testing.T) {
	long := strings.Repeat("a", maxIndexToken+1)
	cases := []struct {
		in     string
		hashed bool
	}{{"disk", false}, {"500", false}, {"café", true}, {long, true}, {strings.Repeat("b", maxIndexToken), false}}
	for _, c := range cases {
		got := IndexToken(c.in)
		if (got != c.in) != c.hashed || !isPlain(got) {
			t.Errorf("IndexToken(%q) = %q, hashed %v, want hashed %v and [a-z0-9]", c.in, got, got != c.in, c.hashed)
		}
	}
	if KeyToken(KeyService, "api") == KeyToken(KeyPattern, "api") || !isPlain(KeyToken(KeyService, "Ünïcode/service")) {
		t.Error("key tokens of a service and a pattern collide, or are not plain")
	}
}

// Every token an event's search finds is in its chunk's index: the index
// never hides a match from the exact filter.
func TestChunkTokensCoverMatches(t *testing.T) {
	evs := sampleEvents()
	c := Build(1, evs)[0]
	have := map[string]bool{}
	for _, tok := range c.Tokens {
		have[tok] = true
		if !isPlain(tok) {
			t.Errorf("index token %q is not [a-z0-9]+", tok)
		}
	}
	for _, q := range []string{"GET", "café", "CRÈME", "über", "path", "method", "nul", "boom", "utf"} {
		_, idx, ok := queryTokens(q)
		if !ok {
			t.Fatalf("queryTokens(%q) found no word", q)
		}
		for _, tok := range idx {
			if !have[tok] {
				t.Errorf("query %q needs index token %q, missing from the chunk", q, tok)
			}
		}
	}
	for _, k := range []string{KeyToken(KeyService, "api"), KeyToken(KeyService, "web"), KeyToken(KeyPattern, "p1"), KeyToken(KeyPattern, "p2")} {
		if !have[k] {
			t.Errorf("key token %q missing", k)
		}
	}
}

// referenceTokens is the index document of a chunk written the plain way
// (one map, every token lowercased and mapped by indexToken), which the
// hash set of tokenSet must reproduce exactly.
func referenceTokens(evs []cloudsage.Event) []string {
	seen := map[string]bool{}
	add := func(s string) {
		forEachToken(s, func(t string, ascii bool) { seen[IndexToken(lowerToken(t, ascii))] = true })
	}
	for i := range evs {
		ev := &evs[i]
		add(searchSource(ev))
		for k, v := range ev.Fields {
			add(k)
			add(v)
		}
		if ev.Service != "" {
			seen[KeyToken(KeyService, ev.Service)] = true
		}
		if ev.Pattern != "" {
			seen[KeyToken(KeyPattern, string(ev.Pattern))] = true
		}
		if ev.Host != "" {
			seen[KeyToken(KeyHost, ev.Host)] = true
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
		"bench":  benchEvents(MaxEvents),
		"empty":  {{Time: t0}},
	}
	for i := range 20 {
		cases[fmt.Sprint("random", i)] = randomEvents(r, 1+r.IntN(MaxEvents))
	}
	for name, evs := range cases {
		c := Build(1, evs)
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

// FuzzQueryTokens: a search for any text finds an event whose message is
// that text. The query's index tokens are all among the chunk's (so the
// index never rules the chunk out) and the exact matcher keeps the event;
// every index token is a plain [a-z0-9]+ FTS term.
func FuzzQueryTokens(f *testing.F) {
	for _, s := range []string{"disk full", "durability-marker-1", "ERROR  Timeout", "user=42 path=/v1/auth/token",
		"café naïve", "日本語 ログ", "a.b.c", "\xff\xfe bad", "", "   ", "!!!", "x_y-z:1", "GET /api?q=1&b=2 HTTP/1.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		phrases, index, ok := queryTokens(q)
		if ok != (len(phrases) > 0) {
			t.Fatalf("queryTokens(%q): ok %v with %d phrases", q, ok, len(phrases))
		}
		for _, it := range index {
			if it == "" || !isPlain(it) {
				t.Fatalf("queryTokens(%q): index token %q is not [a-z0-9]+", q, it)
			}
		}
		if !ok {
			return
		}
		msg := cloudsage.Event{Time: t0, Level: cloudsage.LevelInfo, Message: q, Raw: q}
		c := Build(1, []cloudsage.Event{msg})[0]
		for _, it := range index {
			if !slices.Contains(c.Tokens, it) {
				t.Fatalf("query %q: index token %q not among the chunk's %q", q, it, c.Tokens)
			}
		}
		m := &Matcher{Phrases: phrases}
		evs, err := Decode(1, 0, c.Data, m.Match)
		if err != nil || len(evs) != 1 {
			t.Fatalf("query %q does not find the event with that message: %d events, %v", q, len(evs), err)
		}
	})
}

func TestSearchWords(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"disk full", []string{"disk", "full"}},
		{"  durability-marker-7 ", []string{"durability-marker-7"}},
		{`"*" -- ok`, []string{"ok"}},
		{"", nil},
		{"café", []string{"café"}},
	}
	for _, c := range cases {
		if diff := cmp.Diff(c.want, SearchWords(c.in)); diff != "" {
			t.Errorf("SearchWords(%q) (-want +got):\n%s", c.in, diff)
		}
	}
}

// The index of a chunk per CPU second: what ingest pays to make a
// chunk's search tokens.
func BenchmarkTokens(b *testing.B) {
	evs := benchEvents(MaxEvents)
	var ts tokenSet
	b.ReportAllocs()
	cpu := testenv.StartCPU()
	for b.Loop() {
		ts.reset()
		for i := range evs {
			ts.addText(searchSource(&evs[i]))
			for k, v := range evs[i].Fields {
				ts.addText(k)
				ts.addText(v)
			}
		}
	}
	cpu.Report(b, b.N*len(evs), "events")
}
