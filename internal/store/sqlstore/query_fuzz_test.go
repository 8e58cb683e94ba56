package sqlstore

import (
	"slices"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
)

// FuzzQueryTokens: a search for any text finds an event whose message is
// that text. The query's index tokens are all among the chunk's (so the
// index never rules the chunk out) and the exact matcher keeps the event;
// every index token is a plain [a-z0-9]+ FTS term.
func FuzzQueryTokens(f *testing.F) {
	for _, s := range []string{"disk full", "durability-marker-1", "ERROR  Timeout", "user=42 path=/v1/auth/token",
		"café naïve", "日本語 ログ", "a.b.c", "\xff\xfe bad", "", "   ", "!!!", "x_y-z:1", "GET /api?q=1&b=2 HTTP/1.1"} {
		f.Add(s)
	}
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
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
		c := BuildChunks(1, []cloudsage.Event{msg})[0]
		for _, it := range index {
			if !slices.Contains(c.Tokens, it) {
				t.Fatalf("query %q: index token %q not among the chunk's %q", q, it, c.Tokens)
			}
		}
		m := &matcher{phrases: phrases}
		evs, err := decodeChunk(1, 0, c.Data, m.match)
		if err != nil || len(evs) != 1 {
			t.Fatalf("query %q does not find the event with that message: %d events, %v", q, len(evs), err)
		}
	})
}

// FuzzParseScopes: any list of names either fails as Invalid or gives
// scopes without repeats in the canonical order, which survive the stored
// form and parse again to themselves.
func FuzzParseScopes(f *testing.F) {
	for _, s := range [][]string{{"ingest"}, {"read", "admin"}, {"ADMIN", " read ", "read"}, {"root"}, {""}, {}} {
		var b []byte
		for _, n := range s {
			b = append(b, n...)
			b = append(b, 0)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		names := splitZero(b)
		got, err := store.ParseScopes(names)
		if err != nil {
			if store.IsNotFound(err) {
				t.Fatalf("ParseScopes(%q): %v", names, err)
			}
			return
		}
		if len(got) == 0 {
			t.Fatalf("ParseScopes(%q) gave no scope", names)
		}
		if back := store.SplitScopes(store.JoinScopes(got)); !slices.Equal(back, got) {
			t.Fatalf("stored form of %v reads back as %v", got, back)
		}
		again, err := store.ParseScopes(scopeNames(got))
		if err != nil || !slices.Equal(again, got) {
			t.Fatalf("ParseScopes(%v) = %v, %v; not idempotent", got, again, err)
		}
		if r := store.RoleOfScopes(got); !r.Valid() {
			t.Fatalf("RoleOfScopes(%v) = %q", got, r)
		}
	})
}

func splitZero(b []byte) []string {
	var out []string
	start := 0
	for i, c := range b {
		if c == 0 {
			out = append(out, string(b[start:i]))
			start = i + 1
		}
	}
	if start < len(b) {
		out = append(out, string(b[start:]))
	}
	return out
}

func scopeNames(ss []store.Scope) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}
