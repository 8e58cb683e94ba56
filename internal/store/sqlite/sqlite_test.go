package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/store/sqlite"
	"github.com/cloudsage/cloudsage/internal/store/sqlstore"
	"github.com/cloudsage/cloudsage/internal/store/storetest"
)

func open(t *testing.T) store.Store {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "cloudsage.db"))
}

// openAt opens the SQLite store at path, closed when the test ends.
func openAt(t *testing.T, path string) *sqlstore.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestStore(t *testing.T) { storetest.Run(t, open) }

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cloudsage.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateUser(ctx, store.User{Email: "a@example.com", PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	if _, err := db.UserByEmail(ctx, "a@example.com"); err != nil {
		t.Errorf("after reopen: %v", err)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cloudsage.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.W.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err := sqlite.Open(ctx, path); err == nil {
		db.Close()
		t.Fatal("Open of a database migrated by a newer binary succeeded, want an error")
	}
}

func TestConvertsSchema1Events(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cloudsage.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ms, err := sqlite.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	storetest.Legacy(t, db, ms, func(t *testing.T) store.Store {
		s, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// Chunks written before schema 0003 have no host key tokens: a host
// filter still finds their events (the exact filter reads them).
func TestHostFilterOnChunksWithoutHostKeys(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cloudsage.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	u, err := db.CreateUser(ctx, store.User{Email: "a@example.com", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := db.CreateProject(ctx, u.ID, store.Project{Name: "p"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	evs := []cloudsage.Event{
		{Time: now, Host: "web-1", Message: "old chunk line one"},
		{Time: now.Add(time.Second), Host: "web-2", Message: "old chunk line two"},
	}
	if _, err := db.Ingest(ctx, p.ID, 0, func(store.State) (store.Write, error) { return store.Write{Events: evs}, nil }); err != nil {
		t.Fatal(err)
	}
	// As a pre-0003 store left it: the chunk's index document lacks the
	// host keys (here: has no tokens at all) and 0003 marked later chunks.
	for _, q := range []string{
		`DELETE FROM event_chunks_fts`,
		`INSERT INTO event_chunks_fts (rowid, tokens) SELECT id, 'old chunk line one two' FROM event_chunks`,
		`UPDATE kv SET value = CAST('1000000' AS BLOB) WHERE name = 'index:host-keys-from'`,
	} {
		if _, err := db.W.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	db, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []store.EventQuery{{Host: "web-2"}, {Q: "host:web-2"}, {Q: "host:web-2 chunk"}} {
		q.Project = p.ID
		page, err := db.SearchEvents(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Events) != 1 || page.Events[0].Host != "web-2" {
			t.Errorf("SearchEvents(%+v) = %+v, want the web-2 line", q, page.Events)
		}
	}
}

// TestWALTruncatedWhenCheckpointed writes more than WALTruncateAbove and
// waits for the background checkpointer to copy it and truncate the WAL
// file, which SQLite alone leaves at its high-water size.
func TestWALTruncatedWhenCheckpointed(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cloudsage.db")
	db := openAt(t, path)
	if _, err := db.W.ExecContext(ctx, `CREATE TABLE walfill (b BLOB)`); err != nil {
		t.Fatal(err)
	}
	for range 3 * sqlite.WALTruncateAbove / (1 << 20) {
		if _, err := db.W.ExecContext(ctx, `INSERT INTO walfill VALUES (randomblob(1048576))`); err != nil {
			t.Fatal(err)
		}
	}
	size := func() int64 { return walSize(path) }
	if s := size(); s <= sqlite.WALTruncateAbove {
		t.Fatalf("WAL %d bytes after the writes, want more than %d", s, sqlite.WALTruncateAbove)
	}
	for deadline := time.Now().Add(time.Minute); size() > sqlite.WALTruncateAbove; {
		if time.Now().After(deadline) {
			t.Fatalf("WAL still %d bytes a minute later", size())
		}
		time.Sleep(100 * time.Millisecond)
	}
	var n int
	if err := db.R.QueryRowContext(ctx, `SELECT count(*) FROM walfill`).Scan(&n); err != nil || n != 3*sqlite.WALTruncateAbove/(1<<20) {
		t.Errorf("after truncation: %d rows, %v", n, err)
	}
}

// TestWALTruncatedWhenIdle writes less than WALTruncateAbove and waits
// for the checkpointer to truncate the WAL once writes have stopped.
func TestWALTruncatedWhenIdle(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cloudsage.db")
	db := openAt(t, path)
	if _, err := db.W.ExecContext(ctx, `CREATE TABLE walfill (b BLOB)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.W.ExecContext(ctx, `INSERT INTO walfill VALUES (randomblob(1048576))`); err != nil {
		t.Fatal(err)
	}
	size := func() int64 { return walSize(path) }
	if s := size(); s == 0 || s > sqlite.WALTruncateAbove {
		t.Fatalf("WAL %d bytes after the write, want some, under %d", s, sqlite.WALTruncateAbove)
	}
	for deadline := time.Now().Add(time.Minute); size() > 0; {
		if time.Now().After(deadline) {
			t.Fatalf("WAL still %d bytes a minute after the last write", size())
		}
		time.Sleep(100 * time.Millisecond)
	}
	var n int
	if err := db.R.QueryRowContext(ctx, `SELECT count(*) FROM walfill`).Scan(&n); err != nil || n != 1 {
		t.Errorf("after truncation: %d rows, %v", n, err)
	}
}

// TestCompactionMovesDisjointChunks ingests batches in time order: their
// full chunks overlap no other, so compaction moves them into its runs as
// they are (a batch's chunk, with its batch id, in a compaction run)
// instead of decoding and re-encoding them; their events read the same.
func TestCompactionMovesDisjointChunks(t *testing.T) {
	ctx := context.Background()
	db := openAt(t, filepath.Join(t.TempDir(), "cloudsage.db"))
	u, err := db.CreateUser(ctx, store.User{Email: "a@example.com", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := db.CreateProject(ctx, u.ID, store.Project{Name: "p"})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	const batches, per = 8, 1024
	for b := range batches {
		evs := make([]cloudsage.Event, per)
		for i := range evs {
			evs[i] = cloudsage.Event{Time: t0.Add(time.Duration(b*per+i) * time.Second), Message: fmt.Sprintf("line %d of batch %d", i, b)}
		}
		if _, err := db.Ingest(ctx, p.ID, -1, func(store.State) (store.Write, error) { return store.Write{Events: evs}, nil }); err != nil {
			t.Fatal(err)
		}
	}
	before, err := db.SearchEvents(ctx, store.EventQuery{Project: p.ID, Limit: batches * per})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CompactEvents(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	var moved, all int
	if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FILTER (WHERE batch_id <> 0 AND run <> 0), COUNT(*) FROM event_chunks`).Scan(&moved, &all); err != nil {
		t.Fatal(err)
	}
	if runs, _, err := db.EventRuns(ctx, p.ID); err != nil || runs >= batches {
		t.Errorf("EventRuns = %d, %v: want fewer runs than %d batches", runs, err, batches)
	}
	if moved != all || all != batches {
		t.Errorf("%d of %d chunks moved as they are, want all %d", moved, all, batches)
	}
	after, err := db.SearchEvents(ctx, store.EventQuery{Project: p.ID, Limit: batches * per})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, after) {
		t.Errorf("events differ after compaction")
	}
}

func TestTokenReplicas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cloudsage.db")
	storetest.TokenReplicas(t, func(t *testing.T) *sqlstore.DB {
		return openAt(t, path)
	})
}

func pragma(t *testing.T, db *sql.DB, name string) int64 {
	t.Helper()
	var v int64
	if err := db.QueryRow(`PRAGMA ` + name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

// TestIncrementalVacuumShrinksFile: a new database has incremental
// auto-vacuum, and once writes stop, the checkpointer gives the pages a
// delete freed back to the file system, WAL included.
func TestIncrementalVacuumShrinksFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cloudsage.db")
	db := openAt(t, path)
	if v := pragma(t, db.R, "auto_vacuum"); v != 2 {
		t.Fatalf("auto_vacuum = %d on a new database, want 2 (incremental)", v)
	}
	if _, err := db.W.ExecContext(ctx, `CREATE TABLE fill (b BLOB)`); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := db.W.ExecContext(ctx, `INSERT INTO fill VALUES (randomblob(1048576))`); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.W.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	full := st.Size()
	if _, err := db.W.ExecContext(ctx, `DELETE FROM fill`); err != nil {
		t.Fatal(err)
	}
	if free := pragma(t, db.R, "freelist_count"); free <= sqlite.VacuumAbove {
		t.Fatalf("freelist_count %d after the delete, want more than %d", free, sqlite.VacuumAbove)
	}
	size := func(p string) int64 {
		st, err := os.Stat(p)
		if err != nil {
			return 0
		}
		return st.Size()
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		free := pragma(t, db.R, "freelist_count")
		if free <= sqlite.VacuumAbove && size(path) < full-2<<20 && size(path+"-wal") == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a minute later: freelist_count %d, file %d bytes (%d full), WAL %d bytes", free, size(path), full, size(path+"-wal"))
		}
	}
	if _, err := db.W.ExecContext(ctx, `INSERT INTO fill VALUES (randomblob(100000))`); err != nil {
		t.Fatalf("write after the vacuum: %v", err)
	}
	var ok string
	if err := db.R.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Errorf("integrity_check = %q, %v", ok, err)
	}
}

// TestExistingDatabaseKeepsAutoVacuumMode: a database created without
// auto-vacuum opens, works and is not converted (that would need a full
// VACUUM).
func TestExistingDatabaseKeepsAutoVacuumMode(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cloudsage.db")
	old, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`CREATE TABLE before (x)`); err != nil {
		t.Fatal(err)
	}
	old.Close()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v := pragma(t, db.R, "auto_vacuum"); v != 0 {
		t.Errorf("auto_vacuum = %d on an existing database, want 0 (kept)", v)
	}
	if _, err := db.CreateUser(ctx, store.User{Email: "a@example.com", PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UserByEmail(ctx, "a@example.com"); err != nil {
		t.Error(err)
	}
}

// walSize is the size of the database at path's WAL file (0 when there is none).
func walSize(path string) int64 {
	st, err := os.Stat(path + "-wal")
	if err != nil {
		return 0
	}
	return st.Size()
}
