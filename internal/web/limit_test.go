package web

import (
	"context"
	"testing"
	"time"
)

func TestTokenBucket(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	tb := NewTokenBucket(3, time.Minute, clock)
	ctx := context.Background()
	for i := range 3 {
		if ok, _, _ := tb.Allow(ctx, "p1"); !ok {
			t.Fatalf("request %d of a burst of 3 refused", i+1)
		}
	}
	ok, wait, _ := tb.Allow(ctx, "p1")
	if ok || wait != 20*time.Second {
		t.Fatalf("4th request: ok=%v wait=%v, want refused for 20s", ok, wait)
	}
	if ok, _, _ := tb.Allow(ctx, "p2"); !ok {
		t.Error("another key shares the budget")
	}
	now = now.Add(20 * time.Second)
	if ok, _, _ := tb.Allow(ctx, "p1"); !ok {
		t.Error("no token after the refill time")
	}
	if ok, _, _ := tb.Allow(ctx, "p1"); ok {
		t.Error("two tokens after one refill period share")
	}
	now = now.Add(time.Hour)
	for i := range 4 {
		ok, _, _ := tb.Allow(ctx, "p1")
		if ok != (i < 3) {
			t.Errorf("after an hour, request %d: ok=%v (the bucket must cap at 3)", i+1, ok)
		}
	}
}
