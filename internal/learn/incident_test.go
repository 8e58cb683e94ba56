package learn

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 10, 3, 9, 0, 0, 0, time.UTC)

func TestSimilarity(t *testing.T) {
	a := Signature{Patterns: []string{"p1", "p2"}, Factors: []string{"error_rate", "latency"}}
	f := func(b Signature, want float64) {
		t.Helper()
		if got := Similarity(a, b); got < want-1e-9 || got > want+1e-9 {
			t.Errorf("Similarity(%v, %v) = %v, want %v", a, b, got, want)
		}
	}
	f(a, 1)
	f(Signature{}, 0)
	// patterns 1/3, factors 1/2, no services on either side: (0.5/3 + 0.3/2) / 0.8
	f(Signature{Patterns: []string{"p1", "p3"}, Factors: []string{"error_rate"}}, (0.5/3+0.15)/0.8)
	f(Signature{Patterns: []string{"p9"}, Factors: []string{"cpu"}, Services: []string{"web"}}, 0)
}

func TestSimilarFindsTheDescribedIncident(t *testing.T) {
	past := []Memory{
		{ID: 1, OpenedAt: t0, Title: "orders DB pool exhausted", Fix: "raised max_connections",
			Signature: Signature{Patterns: []string{"pool", "timeout"}, Factors: []string{"error_rate", "latency"}, Services: []string{"orders"}}},
		{ID: 2, OpenedAt: t0.Add(24 * time.Hour), Title: "disk full", Fix: "rotated logs",
			Signature: Signature{Patterns: []string{"nospace"}, Factors: []string{"error_rate"}}},
		{ID: 3, OpenedAt: t0, // nobody described it: teaches nothing
			Signature: Signature{Patterns: []string{"pool", "timeout"}, Factors: []string{"error_rate", "latency"}, Services: []string{"orders"}}},
	}
	now := Signature{Patterns: []string{"pool", "timeout", "retry"}, Factors: []string{"error_rate", "latency"}, Services: []string{"orders"}}
	got := Similar(now, past, 3)
	if len(got) != 1 || got[0].ID != 1 || got[0].Similarity < 0.8 {
		t.Fatalf("Similar = %+v, want incident 1 alone, similarity >= 0.8", got)
	}
	if got := Similar(Signature{}, past, 3); got != nil {
		t.Errorf("Similar(empty) = %+v", got)
	}
}

func TestTrackOpensAndCloses(t *testing.T) {
	sig := Signature{Patterns: []string{"p1"}, Templates: []string{"pool exhausted"}, Factors: []string{"error_rate"}}
	if inc, _ := Track(nil, t0, "medium", 50, sig); inc != nil {
		t.Fatalf("medium opened an incident: %+v", inc)
	}
	inc, changed := Track(nil, t0, "high", 80, sig)
	if inc == nil || !changed || !inc.OpenedAt.Equal(t0) || inc.Peak != 80 {
		t.Fatalf("high: %+v, %v", inc, changed)
	}
	inc, _ = Track(inc, t0.Add(10*time.Minute), "high", 90, Signature{Patterns: []string{"p2"}, Templates: []string{"retry"}})
	if inc.Peak != 90 || len(inc.Signature.Patterns) != 2 || inc.Signature.Templates[1] != "retry" {
		t.Fatalf("peak and union: %+v", inc)
	}
	inc, _ = Track(inc, t0.Add(20*time.Minute), "low", 20, Signature{})
	if inc.LowSince == nil || inc.ClosedAt != nil {
		t.Fatalf("low: %+v", inc)
	}
	inc, _ = Track(inc, t0.Add(30*time.Minute), "medium", 45, Signature{})
	if inc.LowSince != nil {
		t.Fatalf("medium again resets low_since: %+v", inc)
	}
	inc, _ = Track(inc, t0.Add(40*time.Minute), "low", 20, Signature{})
	inc, _ = Track(inc, t0.Add(40*time.Minute+CloseAfter-time.Second), "low", 20, Signature{})
	if inc.ClosedAt != nil {
		t.Fatalf("closed before CloseAfter: %+v", inc)
	}
	inc, changed = Track(inc, t0.Add(40*time.Minute+CloseAfter), "low", 20, Signature{})
	if inc.ClosedAt == nil || !changed {
		t.Fatalf("not closed after CloseAfter low: %+v", inc)
	}
}
