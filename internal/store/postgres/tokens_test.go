package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/store/sqlstore"
	"github.com/cloudsage/cloudsage/internal/store/storetest"
)

// tokenIndexes returns each event partition's token index with its
// options, and the partition's tokens storage and compression ("" before
// PostgreSQL 14).
func tokenIndexes(t *testing.T, db *sql.DB) map[string][3]string {
	t.Helper()
	var v14 bool
	noErr(t, db.QueryRow(`SELECT current_setting('server_version_num')::int >= 140000`).Scan(&v14))
	compression := `''`
	if v14 {
		compression = `a.attcompression::text`
	}
	rows := must(db.Query(`SELECT c.relname, COALESCE(array_to_string(ic.reloptions, ','), ''), a.attstorage::text, ` + compression + `
		FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tokens'
		JOIN pg_index x ON x.indrelid = c.oid JOIN pg_class ic ON ic.oid = x.indexrelid JOIN pg_am am ON am.oid = ic.relam AND am.amname = 'gin'
		WHERE i.inhparent = 'event_chunks'::regclass`))(t)
	defer rows.Close()
	out := map[string][3]string{}
	for rows.Next() {
		var name string
		var v [3]string
		noErr(t, rows.Scan(&name, &v[0], &v[1], &v[2]))
		out[name] = v
	}
	noErr(t, rows.Err())
	return out
}

// lz4 reports whether the server compresses with lz4.
func lz4(t *testing.T, db *sql.DB) bool {
	var ok bool
	noErr(t, db.QueryRow(`SELECT current_setting('server_version_num')::int >= 140000 AND EXISTS (
		SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals))`).Scan(&ok))
	return ok
}

// TestMigrateTokensCompact: a database filled at schema 0014 (events over
// several days, compacted, in day partitions and DEFAULT) reads back the
// same events after 0015 rebuilds the token index without a pending list
// and stores token arrays compressed; old and new chunks are found by
// their words, and a new day's partition gets the same settings.
func TestMigrateTokensCompact(t *testing.T) {
	ctx := context.Background()
	db, url := openMigrated(t, func(v int) bool { return v <= 14 })

	parts := &partitions{db: db, now: time.Now, known: map[int64]bool{}, failed: map[int64]time.Time{}}
	old := sqlstore.New(db, db, dialect{parts: parts})
	u := must(old.CreateUser(ctx, store.User{Email: "ann@example.com", PasswordHash: "h"}))(t)
	a := must(old.CreateProject(ctx, u.ID, store.Project{Name: "a"}))(t)
	start := time.Now().UTC().Add(-72 * time.Hour).Truncate(time.Second)
	for i := range 9 { // nine overlapping runs over three days: compaction merges eight
		ingest(t, old, a.ID, spread(700, start.Add(time.Duration(i)*time.Minute), 6*time.Minute, fmt.Sprint("alpha", i)))
	}
	ingest(t, old, a.ID, []cloudsage.Event{
		{Time: time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC), Level: cloudsage.LevelWarn, Message: "long ago", Raw: "long ago", Format: "plain"},
	})
	noErr(t, old.CompactEvents(ctx, a.ID))
	for _, v := range tokenIndexes(t, db) {
		if v[1] != "e" || strings.Contains(v[0], "fastupdate") {
			t.Fatalf("at 0014 a partition's tokens are %+v, want storage e (external) and a pending list", v)
		}
	}
	queries := []store.EventQuery{
		{Project: a.ID},
		{Project: a.ID, Q: "alpha3 served", Levels: []cloudsage.Level{cloudsage.LevelError}, Limit: 77},
		{Project: a.ID, Q: "alpha8"},
		{Project: a.ID, Q: "long"},
		{Project: a.ID, From: start.Add(30 * time.Hour), To: start.Add(50 * time.Hour), Limit: 300},
	}
	var want [][]store.Event
	for _, q := range queries {
		want = append(want, append(scanAll(t, old, q), searchAll(t, old, q)...))
	}
	n := must(old.CountEvents(ctx, a.ID))(t)

	s, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i, q := range queries {
		got := append(scanAll(t, s, q), searchAll(t, s, q)...)
		if len(got) == 0 {
			t.Errorf("query %+v: nothing found", q)
		}
		if d := cmp.Diff(want[i], got); d != "" {
			t.Errorf("query %+v after 0015 (-before +after):\n%s", q, d)
		}
	}
	if got := must(s.CountEvents(ctx, a.ID))(t); got != n {
		t.Errorf("%d events after 0015, want %d", got, n)
	}
	// A day without a partition yet: ingest makes one, with the settings.
	ahead := time.Now().UTC().Add(5 * 24 * time.Hour)
	ingest(t, s, a.ID, spread(10, ahead, time.Second, "gamma"))
	if got := len(searchAll(t, s, store.EventQuery{Project: a.ID, Q: "gamma served"})); got != 10 {
		t.Errorf("gamma served: %d events after a new batch, want 10", got)
	}
	idx := tokenIndexes(t, db)
	if _, ok := idx[partitionName(ahead.Unix()/86400)]; !ok || len(idx) < 4 {
		t.Errorf("token indexes %v: want one per partition, the new day's included", idx)
	}
	wantComp := ""
	if lz4(t, db) {
		wantComp = "l"
	}
	for name, v := range idx {
		if v != [3]string{"fastupdate=off", "m", wantComp} {
			t.Errorf("%s: token index options, storage, compression %q, want %q", name, v, [3]string{"fastupdate=off", "m", wantComp})
		}
	}
}

// TestCompactionVacuums: the partitions whose chunks a compaction job
// rewrote are vacuumed after it, with the state tables, so that the
// space of the old versions is reused.
func TestCompactionVacuums(t *testing.T) {
	ctx := context.Background()
	url := storetest.PostgresSchema(t)
	s := must(Open(ctx, url))(t)
	defer s.Close()
	db := must(sql.Open("pgx", url))(t)
	defer db.Close()
	u := must(s.CreateUser(ctx, store.User{Email: "ann@example.com", PasswordHash: "h"}))(t)
	a := must(s.CreateProject(ctx, u.ID, store.Project{Name: "a"}))(t)
	// Yesterday 06:00: every chunk ends in yesterday's partition.
	start := time.Now().UTC().Truncate(24 * time.Hour).Add(-18 * time.Hour)
	vacuums := func(table string) int64 {
		var n int64
		noErr(t, db.QueryRow(`SELECT vacuum_count FROM pg_stat_user_tables WHERE relid = $1::regclass`, table).Scan(&n))
		return n
	}
	day := partitionName(start.Unix() / 86400)
	ingest(t, s, a.ID, spread(1500, start, time.Second, "first"))
	noErr(t, s.CompactEvents(ctx, a.ID))
	before := map[string]int64{}
	for _, tb := range []string{day, "project_state", "patterns"} {
		before[tb] = vacuums(tb)
	}
	for i := range 8 { // eight runs of overlapping times: one job merges them
		ingest(t, s, a.ID, spread(1500, start.Add(time.Duration(i)*time.Millisecond), time.Second, fmt.Sprint("w", i)))
	}
	noErr(t, s.CompactEvents(ctx, a.ID))
	if runs, _ := must2(s.EventRuns(ctx, a.ID))(t); runs > 2 {
		t.Fatalf("%d runs after compaction, want the merged one and at most one more", runs)
	}
	for tb, n := range before {
		// The statistics reach other sessions within a second or so.
		deadline := time.Now().Add(5 * time.Second)
		for vacuums(tb) <= n && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if got := vacuums(tb); got <= n {
			t.Errorf("%s vacuumed %d times after a compaction job, %d before: want more", tb, got, n)
		}
	}
	if got := len(searchAll(t, s, store.EventQuery{Project: a.ID, Q: "w7"})); got != 1500 {
		t.Errorf("w7 after compaction: %d events, want 1500", got)
	}
}

func must2[A, B any](a A, b B, err error) func(t *testing.T) (A, B) {
	return func(t *testing.T) (A, B) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return a, b
	}
}
