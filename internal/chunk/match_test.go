package chunk

import (
	"testing"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/testenv"
)

func TestMatcher(t *testing.T) {
	ev := Event{ID: 5, Event: cloudsage.Event{Time: t0, Level: cloudsage.LevelError, Service: "api", Pattern: "p1",
		Message: "disk full on /var/lib/data.db durability-marker-7", Fields: map[string]string{"user": "Quokka"}}}
	m := func(q string, f func(*Matcher)) *Matcher {
		mt := &Matcher{}
		if q != "" {
			mt.Phrases, _, _ = queryTokens(q)
		}
		if f != nil {
			f(mt)
		}
		return mt
	}
	cases := []struct {
		name string
		q    string
		f    func(*Matcher)
		want bool
	}{
		{"word", "disk", nil, true},
		{"case", "DISK", nil, true},
		{"two words", "full disk", nil, true},
		{"phrase", "durability-marker-7", nil, true},
		{"phrase out of order", "marker-durability", nil, false},
		{"part of a path", "data", nil, true},
		{"prefix is not a word", "dur", nil, false},
		{"field value", "quokka", nil, true},
		{"field name", "user", nil, true},
		{"absent", "zebra", nil, false},
		{"level", "", func(m *Matcher) { m.Levels = LevelBit(cloudsage.LevelError) }, true},
		{"other level", "", func(m *Matcher) { m.Levels = LevelBit(cloudsage.LevelInfo) }, false},
		{"service", "", func(m *Matcher) { m.Conds = []Cond{{Field: "service", Values: []string{"web"}}} }, false},
		{"pattern", "", func(m *Matcher) { m.Conds = []Cond{{Field: "pattern", Values: []string{"p1"}}} }, true},
		{"any of two services", "", func(m *Matcher) { m.Conds = []Cond{{Field: "service", Values: []string{"web", "api"}}} }, true},
		{"service is exact", "", func(m *Matcher) { m.Conds = []Cond{{Field: "service", Values: []string{"API"}}} }, false},
		{"not service", "", func(m *Matcher) { m.Conds = []Cond{{Field: "service", Values: []string{"api"}, Not: true}} }, false},
		{"field ignores case", "", func(m *Matcher) { m.Conds = []Cond{{Field: "user", Values: []string{"quokka"}}} }, true},
		{"field name ignores case", "", func(m *Matcher) { m.Conds = []Cond{{Field: "USER", Values: []string{"Quokka"}}} }, true},
		{"absent field", "", func(m *Matcher) { m.Conds = []Cond{{Field: "team", Values: []string{"x"}}} }, false},
		{"not absent field", "", func(m *Matcher) { m.Conds = []Cond{{Field: "team", Values: []string{"x"}, Not: true}} }, true},
		{"level field", "", func(m *Matcher) { m.Conds = []Cond{{Field: "level", Values: []string{"error"}}} }, true},
		{"excluded word", "", func(m *Matcher) { m.NotPhrases = [][]string{{"disk"}} }, false},
		{"excluded absent word", "", func(m *Matcher) { m.NotPhrases = [][]string{{"zebra"}} }, true},
		{"from", "", func(m *Matcher) { m.From, m.HasFrom = NS(t0), true }, true},
		{"to", "", func(m *Matcher) { m.To, m.HasTo = NS(t0), true }, false},
		{"cursor same time lower id", "", func(m *Matcher) { m.CursorTime, m.CursorID, m.HasCursor = NS(t0), 6, true }, true},
		{"cursor same time same id", "", func(m *Matcher) { m.CursorTime, m.CursorID, m.HasCursor = NS(t0), 5, true }, false},
	}
	for _, c := range cases {
		mt := m(c.q, c.f)
		if got := mt.Match(&ev); got != c.want {
			t.Errorf("%s: Match(%q) = %v, want %v", c.name, c.q, got, c.want)
		}
		// MatchQuery is Match without the cursor.
		all := *mt
		all.HasCursor = false
		if got, want := mt.MatchQuery(&ev), all.Match(&ev); got != want {
			t.Errorf("%s: MatchQuery = %v, Match without the cursor %v", c.name, got, want)
		}
		if got, want := mt.Match(&ev), mt.MatchQuery(&ev) && mt.Before(&ev); got != want {
			t.Errorf("%s: Match = %v, MatchQuery and Before %v", c.name, got, want)
		}
	}
}

func TestMatcherKey(t *testing.T) {
	// The key is the query without its cursor.
	m1 := &Matcher{Phrases: [][]string{{"disk"}}, CursorTime: 5, HasCursor: true}
	m2 := &Matcher{Phrases: [][]string{{"disk"}}, CursorTime: 9, HasCursor: true, toks: []string{"x"}}
	m3 := &Matcher{Phrases: [][]string{{"disk"}}, Conds: []Cond{{Field: "service", Values: []string{"api"}}}}
	if m1.Key() != m2.Key() || m1.Key() == m3.Key() {
		t.Errorf("Key: %q %q %q", m1.Key(), m2.Key(), m3.Key())
	}
}

func TestMayContainFold(t *testing.T) {
	cases := []struct {
		s, t string
		want bool
	}{
		{"Disk FULL", "full", true},
		{"Disk FULL", "disk", true},
		{"dis", "disk", false},
		{"", "a", false},
		{"x500y", "500", true},
		{"ÜBER disk", "disk", true},
		{"DISC", "disk", false},
		// Letters that lower to ASCII: the text may hold the token without
		// its bytes (found by FuzzQueryTokens: "00İ" is the token "00i").
		{"00İ", "00i", true},
		{"\u212aB", "kb", true},
		{"disk İ", "full", true},
		{"ÜBER", "uber", false},
		{"x\xc4", "full", false},
		{"x\xe2\x84", "full", false},
	}
	for _, c := range cases {
		if got := mayContainFold(c.s, c.t); got != c.want {
			t.Errorf("mayContainFold(%q, %q) = %v, want %v", c.s, c.t, got, c.want)
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	evs, _ := Decode(1, 0, Build(1, benchEvents(MaxEvents))[0].Data, nil)
	m := &Matcher{}
	m.Phrases, _, _ = queryTokens("orders 4242")
	b.ReportAllocs()
	cpu := testenv.StartCPU()
	for b.Loop() {
		for i := range evs {
			m.Match(&evs[i])
		}
	}
	cpu.Report(b, b.N*len(evs), "events")
}
