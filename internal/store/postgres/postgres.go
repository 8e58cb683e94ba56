// Package postgres is the store on PostgreSQL (pgx through database/sql),
// for several replicas sharing one database: ingests of a project are
// serialised by a row lock on its state row, full-text search is a
// generated tsvector column with a GIN index.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the embedded schema migrations.
func Migrations() ([]store.Migration, error) { return store.Migrations(migrations, "migrations") }

// migrateLock is the advisory lock key that keeps replicas from migrating at once.
const migrateLock = 0x636c6f7564 // "cloud"

// Open connects to the database at url (postgres://...) and migrates it.
// A search_path parameter in the URL selects a schema.
func Open(ctx context.Context, url string) (*sqlstore.DB, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return sqlstore.New(db, db, dialect{}), nil
}

func migrate(ctx context.Context, db *sql.DB) error {
	ms, err := Migrations()
	if err != nil {
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect postgres: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrateLock); err != nil {
		return fmt.Errorf("lock for migration: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLock)
	if _, err := store.Migrate(ctx, conn, ms, time.Now); err != nil {
		return fmt.Errorf("migrate postgres: %w", err)
	}
	return nil
}

type dialect struct{}

func (dialect) Name() string { return "postgres" }

func (dialect) LockState(ctx context.Context, tx *sql.Tx, p cloudsage.ProjectID) (int64, error) {
	var v int64
	err := tx.QueryRowContext(ctx, `SELECT version FROM project_state WHERE project_id = $1 FOR UPDATE`, p).Scan(&v)
	return v, err
}

const eventChunk = 1000 // 13 values a row, under PostgreSQL's 65535 parameters

func (dialect) InsertEvents(ctx context.Context, tx *sql.Tx, p cloudsage.ProjectID, b store.BatchID, evs []cloudsage.Event) error {
	args := make([]any, 0, eventChunk*sqlstore.NumEventCols)
	for off := 0; off < len(evs); off += eventChunk {
		part := evs[off:min(off+eventChunk, len(evs))]
		args = args[:0]
		for i := range part {
			args = sqlstore.EventArgs(args, p, b, &part[i])
		}
		for i, a := range args {
			if s, ok := a.(string); ok {
				args[i] = clean(s)
			}
		}
		if _, err := tx.ExecContext(ctx, insertSQL(len(part)), args...); err != nil {
			return fmt.Errorf("insert events: %w", err)
		}
	}
	return nil
}

// clean makes s acceptable to a PostgreSQL text column: valid UTF-8, no NUL.
func clean(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

var fullInsert = buildInsert(eventChunk)

func insertSQL(rows int) string {
	if rows == eventChunk {
		return fullInsert
	}
	return buildInsert(rows)
}

func buildInsert(rows int) string {
	var sb strings.Builder
	sb.WriteString("INSERT INTO events (" + sqlstore.EventCols + ") VALUES ")
	n := 1
	for r := range rows {
		if r > 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte('(')
		for c := range sqlstore.NumEventCols {
			if c > 0 {
				sb.WriteByte(',')
			}
			sb.WriteByte('$')
			sb.WriteString(strconv.Itoa(n))
			n++
		}
		sb.WriteByte(')')
	}
	return sb.String()
}

// punct is turned into spaces before indexing (see the migration), and in queries.
const punct = `/.:=_@,;()[]{}<>|\"?&#!*+$%~^` + "`"

var punctReplacer = func() *strings.Replacer {
	var pairs []string
	for _, c := range punct {
		pairs = append(pairs, string(c), " ")
	}
	return strings.NewReplacer(pairs...)
}()

func (dialect) TextMatch(q string, n int) (string, any, bool) {
	var conds []string
	var words []string
	for _, w := range sqlstore.SearchWords(q) {
		w = strings.TrimSpace(punctReplacer.Replace(clean(w)))
		if w == "" {
			continue
		}
		words = append(words, w)
		conds = append(conds, fmt.Sprintf("phraseto_tsquery('simple', split_part($%d, E'\\n', %d))", n, len(words)))
	}
	if len(words) == 0 {
		return "", nil, false
	}
	return "search @@ (" + strings.Join(conds, " && ") + ")", strings.Join(words, "\n"), true
}

func (dialect) DeleteEvents(ctx context.Context, tx *sql.Tx, p cloudsage.ProjectID, before time.Time) (int64, error) {
	cond, args := `project_id = $1`, []any{p}
	if !before.IsZero() {
		cond, args = cond+` AND time < $2`, append(args, before.UnixNano())
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM events WHERE `+cond, args...)
	if err != nil {
		return 0, fmt.Errorf("delete events: %w", err)
	}
	return res.RowsAffected()
}

func (dialect) Translate(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return nil
	}
	switch pe.Code {
	case "23505":
		return &cloudsage.Error{Kind: cloudsage.Conflict, Err: err}
	case "23503":
		return &cloudsage.Error{Kind: cloudsage.NotFound, Message: "referenced row not found", Err: err}
	case "40001", "40P01", "55P03", "57014":
		return &cloudsage.Error{Kind: cloudsage.Unavailable, Message: "database busy, retry", Err: err}
	case "53100":
		return &cloudsage.Error{Kind: cloudsage.Unavailable, Message: "disk full", Err: err}
	}
	return nil
}
