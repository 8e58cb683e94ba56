// Package postgres is the store on PostgreSQL (pgx through database/sql),
// for several replicas sharing one database: ingests of a project are
// serialised by a row lock on its state row; events are stored in
// compressed chunks (see chunk.Chunk) whose distinct tokens are a text[]
// column under a GIN index.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/chunk"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the embedded schema migrations.
func Migrations() ([]store.Migration, error) { return store.Migrations(migrations, "migrations") }

// migrateLock is the advisory lock key that keeps replicas from migrating at once.
const migrateLock = 0x636c6f7564 // "cloud"

// Option changes how Open connects.
type Option func(*pgx.ConnConfig)

// WithTracer has every connection report its queries to t (the tests
// count a request's database round trips with it).
func WithTracer(t pgx.QueryTracer) Option { return func(c *pgx.ConnConfig) { c.Tracer = t } }

// Open connects to the database at url (postgres://...) and migrates it.
// A search_path parameter in the URL selects a schema.
func Open(ctx context.Context, url string, opts ...Option) (*sqlstore.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	for _, o := range opts {
		o(cfg)
	}
	// Connections made once the schema is migrated are warmed before use;
	// before that event_chunks may not exist yet.
	var migrated atomic.Bool
	db := stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(func(ctx context.Context, c *pgx.Conn) error {
		if migrated.Load() {
			warm(ctx, c.PgConn())
		}
		return nil
	}))
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(8)
	// Idle connections stay an hour: a new one pays for loading the
	// partitions' catalog entries (see warm).
	db.SetConnMaxIdleTime(time.Hour)
	parts := &partitions{db: db, now: time.Now, known: map[int64]bool{}, failed: map[int64]time.Time{}}
	st := sqlstore.New(db, db, dialect{parts: parts})
	if err := migrate(ctx, db, st); err != nil {
		db.Close()
		return nil, err
	}
	migrated.Store(true)
	// Today's partitions, if this replica is the first up today; ingest
	// and the retention sweep make them too, so a failure here is no harm.
	_ = parts.Maintain(ctx)
	if err := st.Prepare(ctx); err != nil {
		db.Close()
		return nil, err
	}
	prewarm(ctx, db, warmConns)
	st.StartCompactor()
	return st, nil
}

// warmConns is how many warmed connections Open leaves idle in the pool.
const warmConns = 4

// warmSQL plans the shape of a search's candidate-chunk query (see
// QueryChunks) without running it. A backend's first query on event_chunks
// loads the catalog entries of every partition and its indexes, ~95 ms of
// planning on a month of day partitions; warming a connection with it
// spares the first search on that connection that cost.
const warmSQL = `EXPLAIN SELECT id, max_time FROM event_chunks WHERE project_id + 0 = 0 AND tokens @> '{}'::text[] ORDER BY max_time DESC, id DESC LIMIT 1`

// warm plans warmSQL on c. A failure is no harm: the connection works,
// only cold.
func warm(ctx context.Context, c *pgconn.PgConn) {
	_, _ = c.Exec(ctx, warmSQL).ReadAll()
}

// prewarm opens up to n connections at once, warms each (those the
// AfterConnect hook made are warm already, a second plan costs ~2 ms) and
// returns them to the pool idle, so the first searches after start-up do
// not pay for the catalog. Failures leave the pool as it is.
func prewarm(ctx context.Context, db *sql.DB, n int) {
	var wg sync.WaitGroup
	conns := make(chan *sql.Conn, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := db.Conn(ctx)
			if err != nil {
				return
			}
			_ = c.Raw(func(dc any) error {
				if sc, ok := dc.(*stdlib.Conn); ok {
					warm(ctx, sc.Conn().PgConn())
				}
				return nil
			})
			conns <- c
		}()
	}
	wg.Wait()
	close(conns)
	for c := range conns {
		c.Close()
	}
}

// migrate applies the migrations and converts schema-0001 events to
// chunks, holding an advisory lock so that replicas take turns.
func migrate(ctx context.Context, db *sql.DB, st *sqlstore.DB) error {
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
	return st.ConvertLegacy(ctx)
}

// dialect is PostgreSQL's; parts is nil where partitions are left alone.
type dialect struct{ parts *partitions }

func (dialect) Name() string { return "postgres" }

func (dialect) LockState(ctx context.Context, tx *sql.Tx, p cloudsage.ProjectID) (int64, error) {
	var v int64
	err := tx.QueryRowContext(ctx, `SELECT version FROM project_state WHERE project_id = $1 FOR UPDATE`, p).Scan(&v)
	return v, err
}

// InsertChunks writes the chunks, their tokens included, in one statement
// per 500 chunks; PostgreSQL assigns the ids.
func (d dialect) InsertChunks(ctx context.Context, tx *sql.Tx, cs []chunk.Chunk) error {
	d.parts.need(ctx, func(yield func(int64) bool) {
		for i := range cs {
			if !yield(cs[i].MaxTime) {
				return
			}
		}
	})
	const cols, rowsPer = 9, 500
	for off := 0; off < len(cs); off += rowsPer {
		part := cs[off:min(off+rowsPer, len(cs))]
		var sb strings.Builder
		sb.WriteString(`INSERT INTO event_chunks (project_id, batch_id, run, min_time, max_time, n, levels, data, tokens) VALUES `)
		args := make([]any, 0, len(part)*cols)
		for i := range part {
			c := &part[i]
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteByte('(')
			for j := range cols {
				if j > 0 {
					sb.WriteByte(',')
				}
				sb.WriteByte('$')
				sb.WriteString(strconv.Itoa(i*cols + j + 1))
			}
			sb.WriteByte(')')
			args = append(args, c.Project, c.Batch, c.Run, c.MinTime, c.MaxTime, c.N, c.Levels, c.Data, c.Tokens)
		}
		sb.WriteString(` RETURNING id`)
		rows, err := tx.QueryContext(ctx, sb.String(), args...)
		if err != nil {
			return err
		}
		i := 0
		for rows.Next() {
			if i < len(part) {
				rows.Scan(&part[i].ID)
			}
			i++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

func (dialect) ChunkMatch(tokens []string, n int) (string, any) {
	return fmt.Sprintf(`tokens @> $%d::text[]`, n), tokens
}

// QueryChunks makes PostgreSQL answer an indexed search from the GIN index.
// Left alone, the planner walks the (project, time) index or the table and
// tests every chunk's token array, which it prices as cheap but which
// means reading each array out of TOAST: 40 ms instead of 2 ms on a
// million events. So project_id is hidden from its index (+ 0) and
// sequential scans are off for the rest of the search's read-only
// transaction, whose only other query reads a chunk by its primary key.
func (dialect) QueryChunks(ctx context.Context, tx *sql.Tx, query string, args []any, indexed bool) ([][2]int64, error) {
	if !indexed {
		return sqlstore.QueryPairs(ctx, tx, query, args...)
	}
	const from = `WHERE project_id = $1`
	if !strings.Contains(query, from) {
		return nil, fmt.Errorf("chunk query without %q", from)
	}
	query = strings.Replace(query, from, `WHERE project_id + 0 = $1`, 1)
	if _, err := tx.ExecContext(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
		return nil, err
	}
	return sqlstore.QueryPairs(ctx, tx, query, args...)
}

func (dialect) DeleteChunks(ctx context.Context, tx *sql.Tx, ids, maxTimes []int64) error {
	// ids are unique: the max_time condition only prunes partitions.
	_, err := tx.ExecContext(ctx, `DELETE FROM event_chunks WHERE id = ANY($1) AND max_time = ANY($2)`, ids, maxTimes)
	return err
}

func (dialect) MoveChunks(ctx context.Context, tx *sql.Tx, run int64, ids, maxTimes []int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE event_chunks SET run = $1 WHERE id = ANY($2) AND max_time = ANY($3)`, run, ids, maxTimes)
	return err
}

func (dialect) UpdateChunk(ctx context.Context, tx *sql.Tx, c *chunk.Chunk) error {
	_, err := tx.ExecContext(ctx, `UPDATE event_chunks SET min_time = $2, max_time = $3, n = $4, levels = $5, data = $6, tokens = $7 WHERE id = $1`,
		c.ID, c.MinTime, c.MaxTime, c.N, c.Levels, c.Data, c.Tokens)
	return err
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
