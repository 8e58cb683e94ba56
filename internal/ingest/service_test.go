package ingest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/learn"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/store/sqlite"
)

func openStore(t *testing.T) (store.Store, store.Project) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "cloudsage.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	u, err := db.CreateUser(ctx, store.User{Email: "a@example.com", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := db.CreateProject(ctx, u.ID, store.Project{Name: "p"})
	if err != nil {
		t.Fatal(err)
	}
	return db, p
}

func lines(n int, word string, end time.Time) []string {
	out := make([]string, n)
	for i := range out {
		ts := end.Add(-time.Duration(n-i) * time.Second).UTC().Format(time.RFC3339Nano)
		if i%5 == 0 {
			out[i] = fmt.Sprintf("ts=%s level=error msg=\"%s db timeout\" attempt=%d", ts, word, i)
		} else {
			out[i] = fmt.Sprintf("ts=%s level=info msg=\"%s request served\" took=%dms", ts, word, i%100)
		}
	}
	return out
}

// flaky wraps the real engine and fails Analyze when fail is set.
type flaky struct {
	Analyzer
	fail *bool
}

func (f flaky) Analyze(at time.Time, h int) (Analysis, error) {
	if *f.fail {
		return Analysis{}, errors.New("injected failure")
	}
	return f.Analyzer.Analyze(at, h)
}

func TestServiceIngest(t *testing.T) {
	ctx := context.Background()
	db, p := openStore(t)
	fail := false
	newA := func(s store.Settings) (Analyzer, error) {
		a, err := NewEngine(s)
		return flaky{a, &fail}, err
	}
	now := time.Now().UTC()
	svc := NewService(db, newA, func() time.Time { return now }, nil)
	res, err := svc.Ingest(ctx, p, Body{Lines: lines(100, "alpha", now), Received: 100, Source: "text"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Events != 100 || res.Batch.Accepted != 100 || res.Batch.NewPatterns != 2 || res.Batch.Formats["logfmt"] != 100 || res.Batch.Label == "" {
		t.Errorf("first batch = %+v", res)
	}
	fail = true
	if _, err := svc.Ingest(ctx, p, Body{Lines: lines(50, "beta", now), Received: 50}); err == nil {
		t.Fatal("ingest with a failing engine succeeded")
	}
	fail = false
	if n, _ := db.CountEvents(ctx, p.ID); n != 100 {
		t.Errorf("after a failed batch the store holds %d events, want 100", n)
	}
	res, err = svc.Ingest(ctx, p, Body{Lines: lines(10, "alpha", now), Received: 10})
	if err != nil {
		t.Fatal(err)
	}
	if res.Batch.NewPatterns != 0 {
		t.Errorf("known patterns counted new after reload: %d", res.Batch.NewPatterns)
	}
	// The reloaded engine saw exactly the committed events: 110, not 160.
	rep, err := db.LatestReport(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var r struct{ Events int64 }
	if err := jsonUnmarshal(rep.Body, &r); err != nil || r.Events != 110 {
		t.Errorf("report events = %d (%v), want 110", r.Events, err)
	}
	// A second service (another replica, or a restart) resumes from the snapshot.
	svc2 := NewService(db, NewEngine, func() time.Time { return now }, nil)
	body, _, err := svc2.Report(ctx, p, 72)
	if err != nil {
		t.Fatal(err)
	}
	var r72 struct {
		Events   int64
		Forecast struct {
			HorizonHours int `json:"horizon_hours"`
		}
	}
	if err := jsonUnmarshal(body, &r72); err != nil || r72.Events != 110 || r72.Forecast.HorizonHours != 72 {
		t.Errorf("72 h report from a fresh service: %+v %v", r72, err)
	}
	res, err = svc2.Ingest(ctx, p, Body{Lines: lines(5, "gamma", now), Received: 5})
	if err != nil || res.Batch.NewPatterns != 2 {
		t.Errorf("ingest on the second service: %+v %v", res.Batch, err)
	}
	// The first service notices the other's ingest and reloads.
	if _, err := svc.Ingest(ctx, p, Body{Lines: lines(5, "delta", now), Received: 5}); err != nil {
		t.Fatal(err)
	}
	rep, _ = db.LatestReport(ctx, p.ID)
	jsonUnmarshal(rep.Body, &r)
	if r.Events != 120 {
		t.Errorf("after ingests on two services the report counts %d events, want 120", r.Events)
	}
}

func TestEvalTime(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name       string
		last, want time.Time
	}{
		{"no events", time.Time{}, now},
		{"live", now.Add(-time.Minute), now},
		{"backfill", now.Add(-48 * time.Hour), now.Add(-48 * time.Hour)},
		{"future", now.Add(time.Hour), now.Add(time.Hour)},
	}
	for _, c := range cases {
		if got := evalTime(now, c.last); !got.Equal(c.want) {
			t.Errorf("%s: evalTime = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestBatchPatterns(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	evs := []cloudsage.Event{
		{Time: t0.Add(time.Second), Pattern: "a", Message: "a 1"},
		{Time: t0, Pattern: "a", Message: "a 2"},
		{Time: t0, Pattern: "b", Message: "b 1"},
		{Time: t0, Message: "no pattern"},
	}
	known := map[cloudsage.PatternID]string{"b": "b <*>", "z": "z <old>", "y": "y <*>"}
	ps, fresh := batchPatterns(evs, map[cloudsage.PatternID]string{"a": "a <*>", "z": "z <*>", "y": "y <*>"}, known)
	if len(ps) != 3 || ps[0].Count != 2 || ps[0].Template != "a <*>" || !ps[0].FirstSeen.Equal(t0) || !ps[0].LastSeen.Equal(t0.Add(time.Second)) {
		t.Fatalf("patterns = %+v", ps)
	}
	// b is stored and unchanged: counted, template kept; z's template was
	// generalised: refreshed; y's is unchanged and not in the batch: left out.
	if ps[1].ID != "b" || ps[1].Template != "" || ps[1].Count != 1 || ps[2].ID != "z" || ps[2].Template != "z <*>" || ps[2].Count != 0 {
		t.Errorf("patterns b, z = %+v %+v", ps[1], ps[2])
	}
	if len(fresh) != 1 || fresh[0] != "a" || known["a"] != "a <*>" || known["z"] != "z <*>" {
		t.Errorf("fresh = %v, known = %v", fresh, known)
	}
	// A new pattern the report does not name takes its first message.
	ps, fresh = batchPatterns([]cloudsage.Event{{Time: t0, Pattern: "c", Message: "c 1"}}, nil, known)
	if len(ps) != 1 || ps[0].Template != "c 1" || len(fresh) != 1 || known["c"] != "c 1" {
		t.Errorf("unnamed new pattern: %+v, fresh %v", ps, fresh)
	}
}

// TestServiceKeepsHistoryEvery checks that a report is kept in the history
// whenever HistoryEvery has passed since the last kept one, measured at the
// clock reading the batch was analysed at (a second, later reading after the
// commit must not move the mark without keeping a report).
func TestServiceKeepsHistoryEvery(t *testing.T) {
	ctx := context.Background()
	db, p := openStore(t)
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	clock := t0
	tick := func() time.Time { // every reading advances 3/5 of HistoryEvery
		now := clock
		clock = clock.Add(HistoryEvery * 3 / 5)
		return now
	}
	svc := NewService(db, NewEngine, tick, nil)
	const ingests = 3
	for i := range ingests {
		at := t0.Add(time.Duration(i) * HistoryEvery * 6 / 5)
		if _, err := svc.Ingest(ctx, p, Body{Lines: lines(20, "alpha", at), Received: 20}); err != nil {
			t.Fatal(err)
		}
		clock = t0.Add(time.Duration(i+1) * HistoryEvery * 6 / 5) // next ingest's analysis time
	}
	rs, err := db.Reports(ctx, p.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != ingests {
		t.Fatalf("kept %d reports for %d ingests %v apart, want %d", len(rs), ingests, HistoryEvery*6/5, ingests)
	}
}

// A retried body is answered with the first batch and changes nothing: not
// the events, not the engine's counts, not after a restart; an
// Idempotency-Key decides on its own.
func TestServiceIngestRetry(t *testing.T) {
	ctx := context.Background()
	db, p := openStore(t)
	now := time.Now().UTC()
	svc := NewService(db, NewEngine, func() time.Time { return now }, nil)
	body := Body{Lines: lines(40, "alpha", now), Received: 41, Rejected: 1, Reasons: []string{"line 41: too long"}, Source: "text"}
	first, err := svc.Ingest(ctx, p, body)
	if err != nil || first.Duplicate {
		t.Fatalf("first ingest = %+v, %v", first, err)
	}
	reportEvents := func() int64 {
		t.Helper()
		rep, err := db.LatestReport(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		var r struct{ Events int64 }
		jsonUnmarshal(rep.Body, &r)
		return r.Events
	}
	for i, s := range []*Service{svc, NewService(db, NewEngine, func() time.Time { return now.Add(time.Hour) }, nil)} {
		again, err := s.Ingest(ctx, p, body)
		if err != nil || !again.Duplicate || again.Batch.ID != first.Batch.ID || again.Events != first.Events ||
			again.Batch.Score != first.Batch.Score || len(again.Batch.Reasons) != 1 {
			t.Errorf("retry %d = %+v, %v; want the first batch %+v as a duplicate", i, again, err, first)
		}
	}
	if n, _ := db.CountEvents(ctx, p.ID); n != 40 || reportEvents() != 40 {
		t.Errorf("after retries: %d events stored, report counts %d; want 40 and 40", n, reportEvents())
	}
	// A day later the same body is new.
	later := NewService(db, NewEngine, func() time.Time { return now.Add(25 * time.Hour) }, nil)
	if res, err := later.Ingest(ctx, p, body); err != nil || res.Duplicate {
		t.Errorf("the same body 25 h later = %+v, %v; want a new batch", res, err)
	}
	// With an Idempotency-Key the key decides: the same lines under a new
	// key are stored, the same key again is the first, another body under
	// it is refused.
	keyed := Body{Lines: lines(3, "beta", now), Received: 3, Key: "retry-1"}
	a, err := svc.Ingest(ctx, p, keyed)
	if err != nil || a.Duplicate {
		t.Fatalf("keyed ingest = %+v, %v", a, err)
	}
	keyed2 := keyed
	keyed2.Key = "retry-2"
	if b, err := svc.Ingest(ctx, p, keyed2); err != nil || b.Duplicate {
		t.Errorf("same lines under another key = %+v, %v; want a new batch", b, err)
	}
	if b, err := svc.Ingest(ctx, p, keyed); err != nil || !b.Duplicate || b.Batch.ID != a.Batch.ID {
		t.Errorf("same key again = %+v, %v; want batch %d", b, err, a.Batch.ID)
	}
	other := Body{Lines: lines(3, "gamma", now), Received: 3, Key: "retry-1"}
	if _, err := svc.Ingest(ctx, p, other); cloudsage.KindOf(err) != cloudsage.Conflict {
		t.Errorf("another body under a used key: %v, want a Conflict", err)
	}
	// The failed (conflicting) call left the engine usable.
	if res, err := svc.Ingest(ctx, p, Body{Lines: lines(2, "delta", now), Received: 2}); err != nil || res.Duplicate {
		t.Errorf("ingest after a conflict = %+v, %v", res, err)
	}
}

func TestBodyHash(t *testing.T) {
	a := Body{Lines: []string{"ab", "c"}}
	b := Body{Lines: []string{"a", "bc"}}
	c := Body{Lines: []string{"ab", "c"}, Source: "ndjson"}
	if a.Hash() == b.Hash() || a.Hash() != c.Hash() || len(a.Hash()) != 64 {
		t.Errorf("Hash: %s %s %s; want lines split differently to differ and the source not to matter", a.Hash(), b.Hash(), c.Hash())
	}
}

// Lines without times of their own are stamped on arrival: the same body
// posted again is new occurrences, not a retry, unless an Idempotency-Key
// says so. Timed lines are recognised by content.
func TestServiceIngestUntimedRepeats(t *testing.T) {
	ctx := context.Background()
	db, p := openStore(t)
	now := time.Now().UTC()
	svc := NewService(db, NewEngine, func() time.Time { return now }, nil)
	untimed := Body{Lines: []string{`level=info msg="heartbeat ok"`}, Received: 1, Source: "text"}
	for i := range 2 {
		if res, err := svc.Ingest(ctx, p, untimed); err != nil || res.Duplicate {
			t.Fatalf("untimed body, post %d = %+v, %v; want a new batch", i+1, res, err)
		}
	}
	keyed := untimed
	keyed.Key = "hb-1"
	if _, err := svc.Ingest(ctx, p, keyed); err != nil {
		t.Fatal(err)
	}
	if res, err := svc.Ingest(ctx, p, keyed); err != nil || !res.Duplicate {
		t.Errorf("untimed body retried under its Idempotency-Key = %+v, %v; want the duplicate", res, err)
	}
	if n, _ := db.CountEvents(ctx, p.ID); n != 3 {
		t.Errorf("%d events stored, want 3", n)
	}
	timed := Body{Lines: []string{now.Format(time.RFC3339) + ` level=info msg="heartbeat ok"`}, Received: 1, Source: "text"}
	if _, err := svc.Ingest(ctx, p, timed); err != nil {
		t.Fatal(err)
	}
	if res, err := svc.Ingest(ctx, p, timed); err != nil || !res.Duplicate {
		t.Errorf("timed body posted again = %+v, %v; want the duplicate", res, err)
	}
}

func TestSelfTimed(t *testing.T) {
	for _, c := range []struct {
		lines []string
		want  bool
	}{
		{nil, false},
		{[]string{"plain words"}, false},
		{[]string{"2026-12-07T10:00:00Z ERROR boom", "\tat x.y(Z.java:1)"}, true},
		{[]string{"2026-12-07T10:00:00Z ERROR boom", "no time here"}, false},
		{[]string{`{"time":"2026-12-07T10:00:00Z","msg":"a"}`}, true},
	} {
		if got := selfTimed(c.lines); got != c.want {
			t.Errorf("selfTimed(%q) = %v, want %v", c.lines, got, c.want)
		}
	}
}

// inputCountingStore counts the reads of the analysis' inputs on a real store.
type inputCountingStore struct {
	store.Store
	overrideReads int
}

func (c *inputCountingStore) Overrides(ctx context.Context, id cloudsage.ProjectID) ([]store.Override, error) {
	c.overrideReads++
	return c.Store.Overrides(ctx, id)
}

// The analysis' inputs are read once and again only after they changed:
// not at every batch.
func TestServiceInputsReadWhenChanged(t *testing.T) {
	ctx := context.Background()
	db, p := openStore(t)
	cs := &inputCountingStore{Store: db}
	now := time.Now().UTC()
	svc := NewService(cs, NewEngine, func() time.Time { return now }, nil)
	ingest := func(word string) {
		t.Helper()
		if _, err := svc.Ingest(ctx, p, Body{Lines: lines(5, word, now), Received: 5}); err != nil {
			t.Fatal(err)
		}
	}
	// The first batch's report is kept (recent scores change): the second
	// reads the inputs again, the next ones do not.
	for _, w := range []string{"alpha", "beta", "gamma", "delta"} {
		ingest(w)
	}
	if cs.overrideReads != 2 {
		t.Errorf("four batches read the overrides %d times, want twice", cs.overrideReads)
	}
	if err := db.SetOverride(ctx, p.ID, store.Override{Override: learn.Override{Kind: learn.Mute, Target: "scale_out"}}); err != nil {
		t.Fatal(err)
	}
	ingest("epsilon")
	ingest("zeta")
	if cs.overrideReads != 3 {
		t.Errorf("after an override two more batches read the overrides %d times in all, want 3", cs.overrideReads)
	}
}
