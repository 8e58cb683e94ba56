package ingest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
)

// racing is a replica's view of the real store in which, before each of
// its Appends, another replica (other) stores a batch first: the window
// between analysing a batch and appending it, made certain.
type racing struct {
	store.Store
	other func()
	times int // how many Appends to race (-1: all)
}

func (r *racing) Append(ctx context.Context, p cloudsage.ProjectID, expected int64, d store.Dedup, w store.Write) (store.Ingested, error) {
	if r.times != 0 {
		r.times--
		r.other()
	}
	return r.Store.Append(ctx, p, expected, d, w)
}

func TestIngestAnalysesAgainWhenAnotherReplicaStoresFirst(t *testing.T) {
	ctx := context.Background()
	db, p := openStore(t)
	now := time.Now().UTC()
	clock := func() time.Time { return now }
	b := NewService(db, NewEngine, clock, nil)
	word := []string{"beta", "gamma", "delta", "eps", "zeta", "eta", "theta"}
	n := 0
	r := &racing{Store: db, times: 1, other: func() {
		if _, err := b.Ingest(ctx, p, Body{Lines: lines(20, word[n%len(word)], now)}); err != nil {
			t.Error(err)
		}
		n++
	}}
	a := NewService(r, NewEngine, clock, nil)
	// Replica a holds the engine at the stored version, then loses the race once.
	if _, err := a.Ingest(ctx, p, Body{Lines: lines(10, "alpha", now)}); err != nil {
		t.Fatal(err)
	}
	r.times = 1
	res, err := a.Ingest(ctx, p, Body{Lines: lines(30, "omega", now)})
	if err != nil || res.Duplicate || res.Events != 30 {
		t.Fatalf("ingest that lost a race once = %+v, %v; want 30 events stored", res, err)
	}
	// Every batch is stored once, and the engine state after the last one
	// counts them all: the retry analysed on top of the other replica's batch.
	if c, _ := db.CountEvents(ctx, p.ID); c != 10+20+20+30 {
		t.Errorf("events stored = %d, want 80", c)
	}
	var rep struct{ Events int64 }
	latest, _ := db.LatestReport(ctx, p.ID)
	if err := jsonUnmarshal(latest.Body, &rep); err != nil || rep.Events != 80 {
		t.Errorf("latest report counts %d events (%v), want 80", rep.Events, err)
	}
	st, _ := db.LoadState(ctx, p.ID, -1)
	if st.Version != 4 {
		t.Errorf("state version = %d after 4 batches", st.Version)
	}
	// A replica that loses every race gives up after MaxAttempts, storing nothing.
	r.times = -1
	_, err = a.Ingest(ctx, p, Body{Lines: lines(7, "lost", now)})
	if !errors.Is(err, store.ErrStale) || cloudsage.KindOf(err) != cloudsage.Unavailable {
		t.Fatalf("ingest that always loses = %v, want ErrStale (Unavailable)", err)
	}
	if c, _ := db.CountEvents(ctx, p.ID); c != 80+20*MaxAttempts {
		t.Errorf("events stored = %d, want %d (only the other replica's)", c, 80+20*MaxAttempts)
	}
}
