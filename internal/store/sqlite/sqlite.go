// Package sqlite is the store on embedded SQLite (modernc.org/sqlite, no
// cgo): one file in the data folder, WAL journal with synchronous=NORMAL
// (a committed transaction survives a killed process; surviving power loss
// would need synchronous=FULL), one writer connection and a reader pool.
// Events are stored in compressed chunks (see chunk.Chunk) with a
// contentless FTS5 document per chunk, written in the same transaction.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/chunk"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the embedded schema migrations.
func Migrations() ([]store.Migration, error) { return store.Migrations(migrations, "migrations") }

func dsn(path string, writer bool) string {
	q := url.Values{}
	if writer {
		// Incremental auto-vacuum lets the checkpointer hand the pages that
		// compaction frees back to the file system. It only takes effect on
		// a new, empty file (the writer opens first and creates it), so it
		// comes before journal_mode, which writes the header; an existing
		// database keeps its mode (changing it would need a full VACUUM).
		q.Add("_pragma", "auto_vacuum(INCREMENTAL)")
	}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	// A reader's page cache is thrown away whenever another connection
	// has committed since its last read, page by page: with 64 MiB per
	// reader, the first search after a fill (or after any batch) spent
	// 80 ms of CPU per connection freeing pages it would not reuse (a
	// server CPU profile of cloudsage bench --stages search-sqlite).
	// Readers keep 8 MiB; the OS page cache holds the rest.
	if writer {
		q.Add("_pragma", "cache_size(-65536)")
	} else {
		q.Add("_pragma", "cache_size(-8192)")
	}
	q.Add("_pragma", "journal_size_limit(67108864)")
	if writer {
		q.Add("_txlock", "immediate")
		// Commits never checkpoint (a checkpoint fsyncs the database file,
		// seconds on a slow disk); the background checkpointer does it.
		q.Add("_pragma", "wal_autocheckpoint(0)")
	}
	return "file:" + path + "?" + q.Encode()
}

// Open opens (creating if needed) the database file at path and migrates it.
func Open(ctx context.Context, path string) (*sqlstore.DB, error) {
	w, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	ms, err := Migrations()
	if err != nil {
		w.Close()
		return nil, err
	}
	conn, err := w.Conn(ctx)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	_, err = store.Migrate(ctx, conn, ms, time.Now)
	conn.Close()
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("migrate sqlite %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	n := max(4, runtime.NumCPU())
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	d := &dialect{}
	db := sqlstore.New(w, r, d)
	if err := db.ConvertLegacy(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if err := db.Prepare(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	var autoVacuum int
	if err := r.QueryRowContext(ctx, `PRAGMA auto_vacuum`).Scan(&autoVacuum); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	vacuum := w
	if autoVacuum != 2 { // 2: incremental
		vacuum = nil
	}
	db.StartCompactor()
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go checkpoint(ctx, r, vacuum, path+"-wal", done)
	db.OnClose(func() error {
		cancel()
		<-done
		// No last checkpoint: with a large WAL (a busy server, a big batch
		// just committed) it would hold the exit for seconds, and the WAL is
		// as durable as the database file: the next Open carries on from it.
		return nil
	})
	return db, nil
}

// CheckpointEvery is how often the WAL is copied into the database file.
const CheckpointEvery = 2 * time.Second

// WALTruncateAbove is the WAL file size above which a checkpoint that has
// copied every frame also truncates the file. SQLite only rewinds a WAL
// (to journal_size_limit) when a writer starts after a complete
// checkpoint, so after a burst of ingest the file kept its high-water size
// (145 MB after 4 M lines) though nothing in it was needed any more.
const WALTruncateAbove = 4 << 20

// VacuumAbove is the number of free pages above which the checkpointer
// gives free pages back to the file system (incremental auto-vacuum), and
// VacuumStep how many pages one vacuum transaction moves at most, so that
// it never holds the writer connection for long.
const (
	VacuumAbove = 64
	VacuumStep  = 256
)

// checkpoint runs passive WAL checkpoints off the write path: they copy
// committed pages into the database file without blocking the writer.
// When one has copied everything and the WAL file is large, or nothing
// was written since the last tick, it is truncated, without waiting: a
// reader or writer in the way makes the truncation give up until the
// next tick.
//
// With w (the writer pool, nil for a database without incremental
// auto-vacuum), once nothing has been written for a tick and the file has
// more than VacuumAbove free pages (compaction's deleted chunks), it
// vacuums them away in steps of VacuumStep pages, each its own short
// transaction, and truncates the WAL those steps wrote once it is copied.
// Under steady ingest the free pages are reused instead.
func checkpoint(ctx context.Context, r, w *sql.DB, walPath string, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(CheckpointEvery)
	defer t.Stop()
	lastLog := int64(-1)
	vacuumed := false // WAL written by a vacuum, not truncated yet
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			var busy, log, copied int64
			err := r.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &log, &copied)
			if err != nil || busy != 0 || log != copied {
				lastLog = -1
				continue
			}
			idle := log == lastLog
			lastLog = log
			// Truncated when large, and once writes have stopped for a
			// tick whatever its size: a WAL whose frames are all copied
			// holds nothing the database file does not, and would
			// otherwise stay on disk beside it until the next burst.
			if st, err := os.Stat(walPath); err == nil && (st.Size() > WALTruncateAbove || (vacuumed || idle) && st.Size() > 0) {
				if truncateWAL(ctx, r) {
					vacuumed = false
					lastLog = -1
				}
				continue
			}
			if w != nil && idle && vacuumFree(ctx, r, w) {
				vacuumed = true
				lastLog = -1
			}
		}
	}
}

// vacuumFree runs incremental vacuum steps on the writer while the file
// has more than VacuumAbove free pages; it reports whether it wrote any.
func vacuumFree(ctx context.Context, r, w *sql.DB) bool {
	wrote := false
	for ctx.Err() == nil {
		var free int64
		if err := r.QueryRowContext(ctx, `PRAGMA freelist_count`).Scan(&free); err != nil || free <= VacuumAbove {
			break
		}
		if _, err := w.ExecContext(ctx, fmt.Sprintf(`PRAGMA incremental_vacuum(%d)`, VacuumStep)); err != nil {
			break
		}
		wrote = true
	}
	return wrote
}

// truncateWAL checkpoints in TRUNCATE mode on a connection that does not
// wait on locks: a pending TRUNCATE checkpoint holds new writers back
// while it waits for readers, so it must not wait. It reports whether the
// checkpoint completed.
func truncateWAL(ctx context.Context, r *sql.DB) bool {
	conn, err := r.Conn(ctx)
	if err != nil {
		return false
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA busy_timeout = 0`); err != nil {
		return false
	}
	var busy, log, copied int64
	err = conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &log, &copied)
	conn.ExecContext(ctx, `PRAGMA busy_timeout = 10000`)
	return err == nil && busy == 0
}

type dialect struct{}

func (*dialect) Name() string { return "sqlite" }

func (*dialect) LockState(ctx context.Context, tx *sql.Tx, p cloudsage.ProjectID) (int64, error) {
	// The writer connection and BEGIN IMMEDIATE already serialise writers.
	var v int64
	err := tx.QueryRowContext(ctx, `SELECT version FROM project_state WHERE project_id = $1`, p).Scan(&v)
	return v, err
}

// InsertChunks gives the chunks the ids after the highest ever used and
// writes their rows and index documents, each in one statement.
func (*dialect) InsertChunks(ctx context.Context, tx *sql.Tx, cs []chunk.Chunk) error {
	var base int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'event_chunks'), 0)`).Scan(&base); err != nil {
		return fmt.Errorf("next chunk id: %w", err)
	}
	const rowsPer = 64 // 9 values a row
	for off := 0; off < len(cs); off += rowsPer {
		part := cs[off:min(off+rowsPer, len(cs))]
		rows := make([]any, 0, len(part)*9)
		docs := make([]any, 0, len(part)*2)
		for i := range part {
			c := &part[i]
			c.ID = base + int64(off+i) + 1
			rows = append(rows, c.ID, c.Project, c.Batch, c.Run, c.MinTime, c.MaxTime, c.N, c.Levels, c.Data)
			docs = append(docs, c.ID, strings.Join(c.Tokens, " "))
		}
		if _, err := tx.ExecContext(ctx, insertSQL("event_chunks (id, project_id, batch_id, run, min_time, max_time, n, levels, data)", 9, len(part)), rows...); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, insertSQL("event_chunks_fts (rowid, tokens)", 2, len(part)), docs...); err != nil {
			return fmt.Errorf("index: %w", err)
		}
	}
	return nil
}

// insertSQL returns "INSERT INTO table VALUES (?,..),(..)" for rows rows of
// cols values.
func insertSQL(table string, cols, rows int) string {
	row := "(" + strings.Repeat("?,", cols-1) + "?)"
	var sb strings.Builder
	sb.Grow(rows*(len(row)+1) + 64)
	sb.WriteString("INSERT INTO ")
	sb.WriteString(table)
	sb.WriteString(" VALUES ")
	for r := range rows {
		if r > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(row)
	}
	return sb.String()
}

func (*dialect) ChunkMatch(tokens []string, n int) (string, any) {
	q := make([]string, len(tokens))
	for i, t := range tokens {
		q[i] = `"` + t + `"` // [a-z0-9]+: nothing to escape
	}
	return fmt.Sprintf(`id IN (SELECT rowid FROM event_chunks_fts WHERE event_chunks_fts MATCH $%d)`, n), strings.Join(q, " ")
}

func (*dialect) QueryChunks(ctx context.Context, tx *sql.Tx, query string, args []any, indexed bool) ([][2]int64, error) {
	return sqlstore.QueryPairs(ctx, tx, query, args...)
}

func (*dialect) DeleteChunks(ctx context.Context, tx *sql.Tx, ids, _ []int64) error {
	in := idList(ids)
	if _, err := tx.ExecContext(ctx, `DELETE FROM event_chunks_fts WHERE rowid IN (`+in+`)`); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM event_chunks WHERE id IN (`+in+`)`)
	return err
}

func (*dialect) MoveChunks(ctx context.Context, tx *sql.Tx, run int64, ids, _ []int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE event_chunks SET run = $1 WHERE id IN (`+idList(ids)+`)`, run)
	return err
}

func idList(ids []int64) string {
	b := make([]byte, 0, len(ids)*8)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(b)
}

func (*dialect) UpdateChunk(ctx context.Context, tx *sql.Tx, c *chunk.Chunk) error {
	if _, err := tx.ExecContext(ctx, `UPDATE event_chunks SET min_time = $2, max_time = $3, n = $4, levels = $5, data = $6 WHERE id = $1`,
		c.ID, c.MinTime, c.MaxTime, c.N, c.Levels, c.Data); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM event_chunks_fts WHERE rowid = $1`, c.ID); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO event_chunks_fts (rowid, tokens) VALUES ($1, $2)`, c.ID, strings.Join(c.Tokens, " "))
	return err
}

func (*dialect) Translate(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return nil
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return &cloudsage.Error{Kind: cloudsage.Conflict, Err: err}
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return &cloudsage.Error{Kind: cloudsage.NotFound, Message: "referenced row not found", Err: err}
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return &cloudsage.Error{Kind: cloudsage.Unavailable, Message: "database busy, retry", Err: err}
	case sqlite3.SQLITE_FULL:
		return &cloudsage.Error{Kind: cloudsage.Unavailable, Message: "disk full", Err: err}
	}
	if se.Code()&0xff == sqlite3.SQLITE_ERROR && strings.Contains(err.Error(), "fts5") {
		return &cloudsage.Error{Kind: cloudsage.Invalid, Message: "invalid search query", Err: err}
	}
	return nil
}
