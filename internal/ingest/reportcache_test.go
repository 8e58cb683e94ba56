package ingest

import (
	"context"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
)

// countingStore counts LatestReport calls.
type countingStore struct {
	Store
	latest int
}

func (c *countingStore) LatestReport(ctx context.Context, p cloudsage.ProjectID) (store.Report, error) {
	c.latest++
	return c.Store.LatestReport(ctx, p)
}

func eventsOf(t *testing.T, body []byte) int64 {
	t.Helper()
	var r struct{ Events int64 }
	if err := jsonUnmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	return r.Events
}

func TestServiceReportCache(t *testing.T) {
	ctx := context.Background()
	db, p := openStore(t)
	now := time.Now().UTC()
	cs := &countingStore{Store: db}
	svc := NewService(cs, NewEngine, func() time.Time { return now }, nil)
	trusted, since := true, time.Time{}
	svc.CacheReports(func() (bool, time.Time) { return trusted, since })
	if _, _, err := svc.Report(ctx, p, 24); !store.IsNotFound(err) {
		t.Fatalf("report before any batch: %v, want not found", err)
	}
	if _, err := svc.Ingest(ctx, p, Body{Lines: lines(20, "alpha", now), Received: 20}); err != nil {
		t.Fatal(err)
	}
	read := func(want int64, what string) {
		t.Helper()
		body, _, err := svc.Report(ctx, p, 24)
		if err != nil {
			t.Fatal(err)
		}
		if got := eventsOf(t, body); got != want {
			t.Errorf("%s: report counts %d events, want %d", what, got, want)
		}
	}
	read(20, "first read")
	n := cs.latest
	read(20, "second read")
	read(20, "third read")
	if cs.latest != n {
		t.Errorf("cached report read from the store again (%d reads, want %d)", cs.latest, n)
	}

	// A batch stored here drops it.
	if _, err := svc.Ingest(ctx, p, Body{Lines: lines(5, "beta", now), Received: 5}); err != nil {
		t.Fatal(err)
	}
	read(25, "after a batch here")

	// A batch stored by another replica drops it once Invalidate says so.
	other := NewService(db, NewEngine, func() time.Time { return now }, nil)
	if _, err := other.Ingest(ctx, p, Body{Lines: lines(7, "gamma", now), Received: 7}); err != nil {
		t.Fatal(err)
	}
	read(25, "before the other replica's batch is announced (cached)")
	svc.Invalidate(p.ID)
	if pj := svc.project(p.ID); pj.a != nil || pj.stale.Load() {
		t.Error("Invalidate kept the stale engine in memory")
	}
	read(32, "after Invalidate")

	// Untrusted (the invalidation feed is down): the store is read each time.
	trusted = false
	if _, err := other.Ingest(ctx, p, Body{Lines: lines(3, "delta", now), Received: 3}); err != nil {
		t.Fatal(err)
	}
	read(35, "untrusted")
	// Trusted again, but entries filled before it came back are not used.
	if _, err := other.Ingest(ctx, p, Body{Lines: lines(1, "eps", now), Received: 1}); err != nil {
		t.Fatal(err)
	}
	trusted, since = true, time.Now()
	read(36, "after the feed came back")
}

func TestReportCacheRaceAndBound(t *testing.T) {
	c := newReportCache(4096)
	now := time.Now()
	// A fill that raced with a drop is not kept.
	_, hit, gen := c.get(1, time.Time{}, now)
	if hit {
		t.Fatal("hit in an empty cache")
	}
	c.drop(1)
	c.put(1, gen, store.Report{Body: []byte("old")}, now)
	if _, hit, _ := c.get(1, time.Time{}, now); hit {
		t.Error("a fill that raced with a drop was kept")
	}
	_, _, gen = c.get(1, time.Time{}, now)
	c.clear()
	c.put(1, gen, store.Report{Body: []byte("old")}, now)
	if _, hit, _ := c.get(1, time.Time{}, now); hit {
		t.Error("a fill that raced with a clear was kept")
	}
	// Old entries expire.
	_, _, gen = c.get(1, time.Time{}, now)
	c.put(1, gen, store.Report{Body: []byte("x")}, now)
	if _, hit, _ := c.get(1, time.Time{}, now.Add(reportMaxAge)); hit {
		t.Error("an entry older than reportMaxAge was used")
	}
	// The byte bound holds.
	for id := cloudsage.ProjectID(1); id <= 100; id++ {
		_, _, g := c.get(id, time.Time{}, now)
		c.put(id, g, store.Report{Body: make([]byte, 300)}, now)
	}
	if c.bytes > c.max || len(c.m) == 0 {
		t.Errorf("cache holds %d bytes in %d entries, bound %d", c.bytes, len(c.m), c.max)
	}
	total := 0
	for _, e := range c.m {
		total += e.size
	}
	if total != c.bytes {
		t.Errorf("byte count %d, entries sum to %d", c.bytes, total)
	}
}
