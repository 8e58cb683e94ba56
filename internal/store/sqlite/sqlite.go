// Package sqlite is the store on embedded SQLite (modernc.org/sqlite, no
// cgo): one file in the data folder, WAL journal with synchronous=NORMAL
// (a committed transaction survives a killed process; surviving power loss
// would need synchronous=FULL), one writer connection and a reader pool.
// Events are rows with a contentless FTS5 index written in the same
// transaction.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the embedded schema migrations.
func Migrations() ([]store.Migration, error) { return store.Migrations(migrations, "migrations") }

func dsn(path string, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "cache_size(-65536)")
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
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go checkpoint(ctx, r, done)
	db.OnClose(func() error {
		cancel()
		<-done
		// A last full checkpoint leaves a small WAL behind.
		_, err := w.ExecContext(context.Background(), `PRAGMA wal_checkpoint(TRUNCATE)`)
		return err
	})
	return db, nil
}

// CheckpointEvery is how often the WAL is copied into the database file.
const CheckpointEvery = 2 * time.Second

// checkpoint runs passive WAL checkpoints off the write path: they copy
// committed pages into the database file without blocking the writer.
func checkpoint(ctx context.Context, r *sql.DB, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(CheckpointEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
		}
	}
}

type dialect struct{}

func (*dialect) Name() string { return "sqlite" }

func (*dialect) LockState(ctx context.Context, tx *sql.Tx, p cloudsage.ProjectID) (int64, error) {
	// The writer connection and BEGIN IMMEDIATE already serialise writers.
	var v int64
	err := tx.QueryRowContext(ctx, `SELECT version FROM project_state WHERE project_id = $1`, p).Scan(&v)
	return v, err
}

const (
	eventChunk = 256 // rows per INSERT: 14 values each, under SQLite's 32766 variables
	ftsChunk   = 1024
)

func (*dialect) InsertEvents(ctx context.Context, tx *sql.Tx, p cloudsage.ProjectID, b store.BatchID, evs []cloudsage.Event) error {
	var base int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM events`).Scan(&base); err != nil {
		return fmt.Errorf("next event id: %w", err)
	}
	const evCols = sqlstore.NumEventCols + 1
	args := make([]any, 0, eventChunk*evCols)
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	for off := 0; off < len(evs); off += eventChunk {
		part := evs[off:min(off+eventChunk, len(evs))]
		args = args[:0]
		for i := range part {
			args = append(args, base+int64(off+i)+1)
			args = sqlstore.EventArgs(args, p, b, &part[i])
		}
		if err := execChunk(ctx, tx, &full, "events (id, "+sqlstore.EventCols+")", evCols, len(part), eventChunk, args); err != nil {
			return fmt.Errorf("insert events: %w", err)
		}
	}
	var fullFTS *sql.Stmt
	defer func() {
		if fullFTS != nil {
			fullFTS.Close()
		}
	}()
	for off := 0; off < len(evs); off += ftsChunk {
		part := evs[off:min(off+ftsChunk, len(evs))]
		args = args[:0]
		for i := range part {
			args = append(args, base+int64(off+i)+1, sqlstore.SearchText(&part[i]))
		}
		if err := execChunk(ctx, tx, &fullFTS, "events_fts (rowid, text)", 2, len(part), ftsChunk, args); err != nil {
			return fmt.Errorf("index events: %w", err)
		}
	}
	return nil
}

// execChunk runs a multi-row INSERT of rows rows; a full chunk reuses the
// statement prepared once per transaction in *full.
func execChunk(ctx context.Context, tx *sql.Tx, full **sql.Stmt, table string, cols, rows, chunk int, args []any) error {
	if rows != chunk {
		_, err := tx.ExecContext(ctx, insertSQL(table, cols, rows), args...)
		return err
	}
	if *full == nil {
		st, err := tx.PrepareContext(ctx, insertSQL(table, cols, rows))
		if err != nil {
			return err
		}
		*full = st
	}
	_, err := (*full).ExecContext(ctx, args...)
	return err
}

// insertSQL returns "INSERT INTO table VALUES (?,..),(..)" for rows rows of
// cols values. Positional ? parameters: SQLite resolves numbered $N ones
// by name, in time quadratic in their number.
func insertSQL(table string, cols, rows int) string {
	key := fmt.Sprint(table, cols, rows)
	if s, ok := insertCache.Load(key); ok {
		return s.(string)
	}
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
	if rows == eventChunk || rows == ftsChunk {
		insertCache.Store(key, sb.String())
	}
	return sb.String()
}

var insertCache sync.Map

func (*dialect) TextMatch(q string, n int) (string, any, bool) {
	ws := sqlstore.SearchWords(q)
	if len(ws) == 0 {
		return "", nil, false
	}
	for i, w := range ws {
		ws[i] = `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
	}
	return fmt.Sprintf(`id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH $%d)`, n), strings.Join(ws, " "), true
}

func (*dialect) DeleteEvents(ctx context.Context, tx *sql.Tx, p cloudsage.ProjectID, before time.Time) (int64, error) {
	cond, args := `project_id = $1`, []any{p}
	if !before.IsZero() {
		cond, args = cond+` AND time < $2`, append(args, before.UnixNano())
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM events_fts WHERE rowid IN (SELECT id FROM events WHERE `+cond+`)`, args...); err != nil {
		return 0, fmt.Errorf("delete event index: %w", err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM events WHERE `+cond, args...)
	if err != nil {
		return 0, fmt.Errorf("delete events: %w", err)
	}
	return res.RowsAffected()
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
