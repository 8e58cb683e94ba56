package web

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
)

func TestIngestGateBoundsAndQueues(t *testing.T) {
	g := newIngestGate(2, 1)
	ctx := context.Background()
	r1, err := g.enter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := g.enter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The third waits for a slot; the fourth finds the queue full.
	got := make(chan error, 1)
	go func() {
		r, err := g.enter(ctx)
		if err == nil {
			r()
		}
		got <- err
	}()
	for g.waiting.Load() != 1 {
		time.Sleep(time.Millisecond)
	}
	if _, err := g.enter(ctx); cloudsage.KindOf(err) != cloudsage.RateLimited {
		t.Fatalf("with the queue full: %v, want a rate-limited error", err)
	}
	select {
	case err := <-got:
		t.Fatalf("the queued batch went through while both slots were held: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	r1()
	if err := <-got; err != nil {
		t.Fatalf("queued batch: %v", err)
	}
	r2()
	// A waiter whose request ends leaves the queue.
	r1, _ = g.enter(ctx)
	r2, _ = g.enter(ctx)
	cctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if _, err := g.enter(cctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cancelled waiter: %v", err)
	}
	if n := g.waiting.Load(); n != 0 {
		t.Fatalf("%d still counted as waiting", n)
	}
	r1()
	r2()
}
