package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
)

// compacter is what a store with background compaction of event chunks
// offers its tests: wait until it is done, and count a project's runs.
type compacter interface {
	CompactEvents(ctx context.Context, p cloudsage.ProjectID) error
	EventRuns(ctx context.Context, p cloudsage.ProjectID) (runs, chunks int, err error)
}

// compactionQueries are the searches the compaction tests page through.
var compactionQueries = []store.EventQuery{
	{},
	{Q: "alpha"},
	{Q: "needle"},
	{Q: "disk-full"},
	{Levels: []cloudsage.Level{cloudsage.LevelError}, Q: "retry"},
	{Service: "worker"},
	{From: t0.Add(1000 * time.Second), To: t0.Add(1500 * time.Second), Q: "gamma"},
}

// refIDs are the "n" fields of the reference events q matches, newest first.
func refIDs(ref []chunkEvent, q store.EventQuery) []string {
	var want []string
	for _, c := range ref {
		if refMatch(c.ev, q) {
			want = append(want, c.ev.Fields["n"])
		}
	}
	return want
}

// testCompaction pages through a project of many batches that overlap in
// time (every batch spans the whole range), while the background compactor
// merges them and after it is done: every page sequence is the reference
// (a full scan in Go), with the same ids and batch ids as before
// compaction, and compaction leaves far fewer runs than batches.
func testCompaction(t *testing.T, s store.Store) {
	c, ok := s.(compacter)
	if !ok {
		t.Skip("the store does not compact")
	}
	ctx := context.Background()
	ann := user(t, s, "ann@example.com")
	p := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "a"}))(t)
	sizes := make([]int, 24)
	for i := range sizes {
		sizes[i] = 60 + 37*(i%7) // one chunk each
	}
	sizes[5], sizes[17] = 2100, 1100 // and two of several chunks
	ref := ingestBatches(t, s, p.ID, chunkBatches(sizes...))

	// While the compactor works: pages of 97 (many pages, many steps).
	during := map[int]map[string][]store.Event{}
	for i, q := range compactionQueries {
		q.Project, q.Limit = p.ID, 97
		during[i] = map[string][]store.Event{"97": pages(t, s, q, 1000)}
	}
	compactToFewRuns(ctx, t, c, p.ID, len(sizes))
	for i, q := range compactionQueries {
		want := refIDs(ref, q)
		q.Project = p.ID
		for _, limit := range []int{1000, 97} {
			q.Limit = limit
			got := pages(t, s, q, 10000)
			checkPages(t, fmt.Sprintf("after compaction, %+v", q), want, got)
			if limit == 97 {
				// Same events, ids and batch ids as while compacting.
				if diff := cmp.Diff(during[i]["97"], got); diff != "" {
					t.Errorf("%+v: pages during and after compaction differ (-during +after):\n%.2000s", q, diff)
				}
			}
		}
		checkPages(t, fmt.Sprintf("during compaction, %+v", q), want, during[i]["97"])
	}
	// Retention still cuts exactly through compacted chunks.
	cut := t0.Add(1234 * time.Second)
	before := pages(t, s, store.EventQuery{Project: p.ID, Limit: 1000}, 1000)
	var kept []store.Event
	for _, e := range before {
		if !e.Time.Before(cut) {
			kept = append(kept, e)
		}
	}
	if n := must(s.DeleteEventsBefore(ctx, p.ID, cut))(t); n != int64(len(before)-len(kept)) {
		t.Errorf("DeleteEventsBefore after compaction = %d, want %d", n, len(before)-len(kept))
	}
	if diff := cmp.Diff(kept, pages(t, s, store.EventQuery{Project: p.ID, Limit: 1000}, 1000)); diff != "" {
		t.Errorf("retention after compaction (-want +got):\n%.2000s", diff)
	}
}

// testCompactionInOrder is testCompaction with batches that arrive mostly
// in time order, as a live shipper sends them: each batch spans its own
// stretch of time, one pair arrives swapped and one late batch spans them
// all. Compaction moves the chunks that overlap no other (keeping them as
// they are) and merges the rest; every search reads the reference.
func testCompactionInOrder(t *testing.T, s store.Store) {
	c, ok := s.(compacter)
	if !ok {
		t.Skip("the store does not compact")
	}
	ctx := context.Background()
	ann := user(t, s, "ann@example.com")
	p := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "a"}))(t)
	sizes := make([]int, 20)
	for i := range sizes {
		sizes[i] = []int{2100, 80, 1100, 300, 1500, 40}[i%6]
	}
	batches := chunkBatches(sizes...)
	for b := range batches {
		slot := b
		switch b {
		case 9, 10:
			slot = 19 - b // 9 and 10 arrive swapped
		}
		for i := range batches[b] {
			e := &batches[b][i].ev
			off := e.Time.Sub(t0)
			if b == 13 {
				e.Time = t0.Add(off * 20 / 12) // late: over the whole range
			} else {
				e.Time = t0.Add(time.Duration(slot)*250*time.Second + off/12)
			}
		}
	}
	ref := ingestBatches(t, s, p.ID, batches)
	compactToFewRuns(ctx, t, c, p.ID, len(sizes))
	for _, q := range compactionQueries {
		want := refIDs(ref, q)
		q.Project = p.ID
		for _, limit := range []int{1000, 97} {
			q.Limit = limit
			checkPages(t, fmt.Sprintf("after compaction, %+v", q), want, pages(t, s, q, 10000))
		}
	}
}

// compactToFewRuns compacts the project's events and checks that a few
// runs are left of its batches.
func compactToFewRuns(ctx context.Context, t *testing.T, c compacter, project cloudsage.ProjectID, batches int) {
	t.Helper()
	noErr(t, c.CompactEvents(ctx, project))
	runs, chunks, err := c.EventRuns(ctx, project)
	noErr(t, err)
	if runs > 12 || runs >= batches/2 {
		t.Errorf("after compaction: %d runs (%d chunks) of %d batches, want a few", runs, chunks, batches)
	}
}

// checkPages compares the "n" fields of got with want and checks that
// got is strictly newest first with no id twice.
func checkPages(t *testing.T, what string, want []string, got []store.Event) {
	t.Helper()
	var gotN []string
	for _, e := range got {
		gotN = append(gotN, e.Fields["n"])
	}
	if diff := cmp.Diff(want, gotN); diff != "" {
		t.Errorf("%s: %d events, want %d (-want +got):\n%.2000s", what, len(gotN), len(want), diff)
	}
	for i := 1; i < len(got); i++ {
		a, b := got[i-1], got[i]
		if !(b.Time.Before(a.Time) || b.Time.Equal(a.Time) && b.ID < a.ID) {
			t.Fatalf("%s: event %d (%v, id %d) does not come after event %d (%v, id %d)", what, i, b.Time, b.ID, i-1, a.Time, a.ID)
		}
	}
}

// testPagingWhileIngesting pages through a search while batches over the
// same time range arrive (and the compactor merges them): every event
// there before the first page is seen exactly once, in order.
func testPagingWhileIngesting(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann := user(t, s, "ann@example.com")
	p := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "a"}))(t)
	ref := ingestBatches(t, s, p.ID, chunkBatches(slices.Repeat([]int{300}, 12)...))
	more := chunkBatches(slices.Repeat([]int{200}, 20)...)
	for b := range more {
		for i := range more[b] {
			more[b][i].ev.Fields = map[string]string{"n": fmt.Sprint("late", b, "-", i)}
		}
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 1)
	wg.Go(func() {
		for b := range more {
			select {
			case <-stop:
				return
			default:
			}
			evs := make([]cloudsage.Event, len(more[b]))
			for i := range more[b] {
				evs[i] = more[b][i].ev
			}
			if _, err := s.Ingest(ctx, p.ID, -1, func(store.State) (store.Write, error) {
				return store.Write{Batch: store.Batch{Source: "text", Received: len(evs), Accepted: len(evs)}, Events: evs}, nil
			}); err != nil {
				errs <- err
				return
			}
		}
	})
	for _, q := range []store.EventQuery{{Q: "alpha"}, {}} {
		want := map[string]bool{}
		for _, n := range refIDs(ref, q) {
			want[n] = true
		}
		q.Project, q.Limit = p.ID, 251
		got := pages(t, s, q, 10000)
		seen := map[int64]bool{}
		for i, e := range got {
			if seen[e.ID] {
				t.Fatalf("%+v: id %d twice", q, e.ID)
			}
			seen[e.ID] = true
			delete(want, e.Fields["n"])
			if i > 0 && !(e.Time.Before(got[i-1].Time) || e.Time.Equal(got[i-1].Time) && e.ID < got[i-1].ID) {
				t.Fatalf("%+v: event %d out of order", q, i)
			}
		}
		if len(want) > 0 {
			t.Errorf("%+v: %d events there before paging began were never seen", q, len(want))
		}
	}
	close(stop)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatalf("ingest while paging: %v", err)
	default:
	}
}
