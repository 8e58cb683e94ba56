package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/store/sqlstore"
	"github.com/cloudsage/cloudsage/internal/store/storetest"
)

// must(v, err)(t) returns v, failing t on err.
func must[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// spread returns n events of service svc, the i-th at from + i*step.
func spread(n int, from time.Time, step time.Duration, word string) []cloudsage.Event {
	evs := make([]cloudsage.Event, n)
	for i := range evs {
		msg := fmt.Sprintf("%s request %d served", word, i)
		evs[i] = cloudsage.Event{Time: from.Add(time.Duration(i) * step), Level: []cloudsage.Level{cloudsage.LevelInfo, cloudsage.LevelError}[i%2],
			Service: "api", Host: fmt.Sprint("h", i%3), Pattern: "p1", Format: "plain", Message: msg, Raw: msg,
			Fields: map[string]string{"i": fmt.Sprint(i)}}
	}
	return evs
}

func ingest(t *testing.T, s store.Store, p cloudsage.ProjectID, evs []cloudsage.Event) {
	t.Helper()
	ctx := context.Background()
	must(s.Ingest(ctx, p, 0, func(st store.State) (store.Write, error) {
		return store.Write{Batch: store.Batch{Source: "text", Received: len(evs), Accepted: len(evs)}, Events: evs, Keep: true}, nil
	}))(t)
}

func scanAll(t *testing.T, s store.Store, q store.EventQuery) []store.Event {
	t.Helper()
	var out []store.Event
	if err := s.ScanEvents(context.Background(), q, func(e store.Event) error { out = append(out, e); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func searchAll(t *testing.T, s store.Store, q store.EventQuery) []store.Event {
	t.Helper()
	var out []store.Event
	for {
		page := must(s.SearchEvents(context.Background(), q))(t)
		out = append(out, page.Events...)
		if page.NextCursor == "" {
			return out
		}
		q.Cursor = page.NextCursor
	}
}

func partitionNames(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows := must(db.Query(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'event_chunks'::regclass ORDER BY 1`))(t)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	return out
}

// TestMigratePartitions: a database filled at schema 0011 (events over
// several days, compacted runs, times no partition takes) reads back the
// same events after 0012 partitions its chunks, and takes new ones.
func TestMigratePartitions(t *testing.T) {
	ctx := context.Background()
	db, url := openMigrated(t, func(v int) bool { return v != 12 })

	old := sqlstore.New(db, db, dialect{})
	u := must(old.CreateUser(ctx, store.User{Email: "ann@example.com", PasswordHash: "h"}))(t)
	a := must(old.CreateProject(ctx, u.ID, store.Project{Name: "a"}))(t)
	b := must(old.CreateProject(ctx, u.ID, store.Project{Name: "b"}))(t)
	start := time.Now().UTC().Add(-72 * time.Hour).Truncate(time.Second)
	for i := range 5 { // five overlapping runs over three days: compaction merges four
		ingest(t, old, a.ID, spread(700, start.Add(time.Duration(i)*time.Minute), 6*time.Minute, fmt.Sprint("alpha", i)))
	}
	ingest(t, old, b.ID, spread(500, start, 9*time.Minute, "beta"))
	// No partition takes these (nor a chunk ending with the second): DEFAULT does.
	ingest(t, old, a.ID, []cloudsage.Event{
		{Time: time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC), Level: cloudsage.LevelWarn, Message: "long ago", Raw: "long ago", Format: "plain"},
		{Time: time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), Level: cloudsage.LevelWarn, Message: "far ahead", Raw: "far ahead", Format: "plain"},
	})
	if err := old.CompactEvents(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	queries := []store.EventQuery{
		{Project: a.ID}, {Project: b.ID},
		{Project: a.ID, Q: "alpha3 served", Levels: []cloudsage.Level{cloudsage.LevelError}, Limit: 77},
		{Project: a.ID, From: start.Add(30 * time.Hour), To: start.Add(50 * time.Hour), Limit: 300},
	}
	var want [][]store.Event
	for _, q := range queries {
		want = append(want, append(scanAll(t, old, q), searchAll(t, old, q)...))
	}
	var maxID int64
	noErr(t, db.QueryRow(`SELECT MAX(id) FROM event_chunks`).Scan(&maxID))

	s, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var kind string
	noErr(t, db.QueryRow(`SELECT relkind FROM pg_class WHERE oid = 'event_chunks'::regclass`).Scan(&kind))
	if kind != "p" {
		t.Fatalf("event_chunks relkind %q after 0012, want p (partitioned)", kind)
	}
	for i, q := range queries {
		got := append(scanAll(t, s, q), searchAll(t, s, q)...)
		if len(got) == 0 {
			t.Errorf("query %+v: nothing found", q)
		}
		if d := cmp.Diff(want[i], got); d != "" {
			t.Errorf("query %+v after 0012 (-before +after):\n%s", q, d)
		}
	}
	parts := partitionNames(t, db)
	if len(parts) < 5 || !slices.Contains(parts, "event_chunks_default") || !slices.Contains(parts, partitionName(time.Now().Unix()/86400)) {
		t.Errorf("partitions %v: want DEFAULT and one per day of the chunks and today", parts)
	}
	var inDefault int
	noErr(t, db.QueryRow(`SELECT COUNT(*) FROM event_chunks_default`).Scan(&inDefault))
	if inDefault < 1 {
		t.Errorf("DEFAULT holds %d chunks, want the one ending in 2200", inDefault)
	}
	n := must(s.CountEvents(ctx, a.ID))(t)
	ingest(t, s, a.ID, spread(10, time.Now().Add(-time.Hour), time.Second, "gamma"))
	if got := must(s.CountEvents(ctx, a.ID))(t); got != n+10 {
		t.Errorf("after a new batch: %d events, want %d", got, n+10)
	}
	var newMin int64
	noErr(t, db.QueryRow(`SELECT MIN(id) FROM event_chunks WHERE id > $1`, maxID).Scan(&newMin))
	if newMin != maxID+1 {
		t.Errorf("new chunk id %d, want %d: the sequence must continue after the old ids", newMin, maxID+1)
	}
}

func projectEvents(t *testing.T, db *sql.DB, p cloudsage.ProjectID) int64 {
	t.Helper()
	var n int64
	noErr(t, db.QueryRow(`SELECT events FROM project_state WHERE project_id = $1`, p).Scan(&n))
	return n
}

// TestRetireDropsPartitions: retention drops a day's partition once every
// project with chunks in it has retired the day, deletes row by row a
// project's chunks in a day another project keeps, and rewrites a chunk
// straddling the (midnight-rounded) cut-off.
func TestRetireDropsPartitions(t *testing.T) {
	ctx := context.Background()
	url := storetest.PostgresSchema(t)
	s := must(Open(ctx, url))(t)
	defer s.Close()
	db := must(sql.Open("pgx", url))(t)
	defer db.Close()
	u := must(s.CreateUser(ctx, store.User{Email: "ann@example.com", PasswordHash: "h"}))(t)
	a := must(s.CreateProject(ctx, u.ID, store.Project{Name: "short"}))(t)
	b := must(s.CreateProject(ctx, u.ID, store.Project{Name: "long"}))(t)
	now := time.Now().UTC()
	today := now.Truncate(24 * time.Hour)
	day := func(k int) time.Time { return today.AddDate(0, 0, -k) }
	var aEvents []cloudsage.Event
	for _, evs := range [][]cloudsage.Event{
		spread(100, day(10).Add(time.Hour), time.Minute, "old"),
		spread(100, day(9).Add(time.Hour), time.Minute, "old"),
		spread(200, day(6).Add(12*time.Hour), 10*time.Minute, "straddle"), // day 6, noon, to day 5, 21:10
		spread(100, day(2).Add(time.Hour), time.Minute, "new"),
	} {
		ingest(t, s, a.ID, evs)
		aEvents = append(aEvents, evs...)
	}
	ingest(t, s, b.ID, spread(100, day(10).Add(2*time.Hour), time.Minute, "kept"))
	parts := partitionNames(t, db)
	for _, k := range []int{10, 9, 5, 2} {
		if !slices.Contains(parts, partitionName(day(k).Unix()/86400)) {
			t.Fatalf("no partition for day -%d after ingest: %v", k, parts)
		}
	}

	counts, err := s.RetireEvents(ctx, map[cloudsage.ProjectID]time.Time{a.ID: now.Add(-5 * 24 * time.Hour), b.ID: now.Add(-30 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	cut := day(5) // a's cut-off, rounded down to midnight
	var keep int
	for _, e := range aEvents {
		if !e.Time.Before(cut) {
			keep++
		}
	}
	if counts[a.ID] != int64(len(aEvents)-keep) || counts[b.ID] != 0 {
		t.Errorf("RetireEvents = %v, want %d events of project %d and none of %d", counts, len(aEvents)-keep, a.ID, b.ID)
	}
	parts = partitionNames(t, db)
	if slices.Contains(parts, partitionName(day(9).Unix()/86400)) {
		t.Errorf("day -9 (project %d's only) was not dropped: %v", a.ID, parts)
	}
	if !slices.Contains(parts, partitionName(day(10).Unix()/86400)) {
		t.Errorf("day -10 was dropped, though project %d keeps 30 days: %v", b.ID, parts)
	}
	got := scanAll(t, s, store.EventQuery{Project: a.ID})
	if len(got) != keep {
		t.Errorf("project %d keeps %d events, want %d", a.ID, len(got), keep)
	}
	for _, e := range got {
		if e.Time.Before(cut) {
			t.Errorf("event at %v kept, before the cut-off %v", e.Time, cut)
			break
		}
	}
	if n := len(scanAll(t, s, store.EventQuery{Project: b.ID})); n != 100 {
		t.Errorf("project %d keeps %d events, want 100", b.ID, n)
	}
	if n := projectEvents(t, db, a.ID); n != int64(keep) {
		t.Errorf("project %d's state counts %d events, want %d", a.ID, n, keep)
	}

	// Now project b retires day -10 too: the partition goes whole.
	counts, err = s.RetireEvents(ctx, map[cloudsage.ProjectID]time.Time{a.ID: now.Add(-5 * 24 * time.Hour), b.ID: now.Add(-5 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if counts[a.ID] != 0 || counts[b.ID] != 100 {
		t.Errorf("second RetireEvents = %v, want 100 events of project %d", counts, b.ID)
	}
	if slices.Contains(partitionNames(t, db), partitionName(day(10).Unix()/86400)) {
		t.Error("day -10 was not dropped once both projects retired it")
	}
	if n := projectEvents(t, db, b.ID); n != 0 {
		t.Errorf("project %d's state counts %d events, want 0", b.ID, n)
	}
}

// TestSearchPrunesPartitions: a search from a time reads only the
// partitions of that day on (and DEFAULT), as PostgreSQL's plan shows.
func TestSearchPrunesPartitions(t *testing.T) {
	ctx := context.Background()
	s := must(Open(ctx, storetest.PostgresSchema(t)))(t)
	defer s.Close()
	u := must(s.CreateUser(ctx, store.User{Email: "ann@example.com", PasswordHash: "h"}))(t)
	p := must(s.CreateProject(ctx, u.ID, store.Project{Name: "a"}))(t)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	for k := range 8 {
		ingest(t, s, p.ID, spread(50, today.AddDate(0, 0, -k).Add(time.Hour), time.Minute, "alpha"))
	}
	name := func(k int) string { return partitionName(today.AddDate(0, 0, -k).Unix() / 86400) }
	for _, q := range []store.EventQuery{
		{Project: p.ID, From: today.AddDate(0, 0, -2)},
		{Project: p.ID, From: today.AddDate(0, 0, -2).Add(time.Hour), Q: "alpha served", Levels: []cloudsage.Level{cloudsage.LevelError}},
	} {
		plan := must(s.ExplainEvents(ctx, q))(t)
		t.Logf("EXPLAIN of a search from %v (q=%q):\n%s", q.From, q.Q, plan)
		for k := range 8 {
			if read := strings.Contains(plan, name(k)); read != (k <= 2) {
				t.Errorf("search from day -2: partition of day -%d read=%v", k, read)
			}
		}
		// The results are those of the days read.
		if n := len(scanAll(t, s, q)); n == 0 {
			t.Errorf("search %+v found nothing", q)
		}
	}
	if plan := must(s.ExplainEvents(ctx, store.EventQuery{Project: p.ID}))(t); !strings.Contains(plan, name(7)) {
		t.Errorf("a search without a time range does not read day -7:\n%s", plan)
	}
}

// openMigrated opens a fresh schema migrated with the migrations keep
// selects (by version), closed when the test ends, and its URL: a
// database as an older release left it, for the upgrade tests.
func openMigrated(t *testing.T, keep func(version int) bool) (*sql.DB, string) {
	t.Helper()
	url := storetest.PostgresSchema(t)
	db := must(sql.Open("pgx", url))(t)
	t.Cleanup(func() { db.Close() })
	var ms []store.Migration
	for _, m := range must(Migrations())(t) {
		if keep(m.Version) {
			ms = append(ms, m)
		}
	}
	conn := must(db.Conn(context.Background()))(t)
	defer conn.Close()
	must(store.Migrate(context.Background(), conn, ms, time.Now))(t)
	return db, url
}
