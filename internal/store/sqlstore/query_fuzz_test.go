package sqlstore

import (
	"slices"
	"testing"

	"github.com/cloudsage/cloudsage/internal/store"
)

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
