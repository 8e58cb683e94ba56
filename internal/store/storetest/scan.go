package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
)

// testScanEvents: ScanEvents visits exactly the events a search pages
// through (batches larger than a chunk, times out of order), each once,
// with the same filters, and stops at fn's error.
func testScanEvents(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann := user(t, s, "ann@example.com")
	p := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "a"}))(t)
	all := ingestBatches(t, s, p.ID, chunkBatches(2500, 10, 1200))
	queries := []store.EventQuery{
		{Project: p.ID},
		{Project: p.ID, Levels: []cloudsage.Level{cloudsage.LevelError}},
		{Project: p.ID, Q: "disk", Service: "api"},
		{Project: p.ID, From: t0.Add(10 * time.Minute), To: t0.Add(20 * time.Minute)},
		{Project: p.ID, Q: "nothing-matches-this"},
	}
	for _, q := range queries {
		var want []int64
		for _, ce := range all {
			if refMatch(ce.ev, q) {
				want = append(want, 0)
			}
		}
		q.Limit = store.MaxEventLimit
		paged := pages(t, s, q, 100)
		var got []int64
		q.Cursor = "ignored" // a cursor has no meaning for a scan
		err := s.ScanEvents(ctx, q, func(e store.Event) error {
			if e.BatchID == 0 {
				t.Fatalf("ScanEvents(%+v) handed an event without its batch id", q)
			}
			got = append(got, e.ID)
			return nil
		})
		noErr(t, err)
		if len(got) != len(want) {
			t.Errorf("ScanEvents(%+v) = %d events, want %d", q, len(got), len(want))
		}
		ids := make([]int64, len(paged))
		for i, e := range paged {
			ids[i] = e.ID
		}
		slices.Sort(ids)
		slices.Sort(got)
		if !slices.Equal(got, ids) {
			t.Errorf("ScanEvents(%+v) ids differ from the paged search's", q)
		}
	}
	stop := errors.New("stop")
	n := 0
	err := s.ScanEvents(ctx, store.EventQuery{Project: p.ID}, func(store.Event) error {
		if n++; n == 10 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 10 {
		t.Errorf("ScanEvents with fn failing at the 10th event = %v after %d events, want stop after 10", err, n)
	}
}
