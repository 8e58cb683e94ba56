// Package sqlstore is the store.Store implementation shared by the SQLite
// and PostgreSQL adapters: the SQL both dialects understand (numbered $N
// parameters, ON CONFLICT, RETURNING, times as Unix nanoseconds), with a
// Dialect for the parts that differ (locking, event insertion, full-text
// search, error codes).
package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/chunk"
	"github.com/cloudsage/cloudsage/internal/store"
)

// Dialect is what differs between databases.
type Dialect interface {
	Name() string
	// LockState returns the project's state version, locking its row for
	// the transaction where the database needs it.
	LockState(ctx context.Context, tx *sql.Tx, p cloudsage.ProjectID) (int64, error)
	// InsertChunks stores event chunks (assigning their IDs) and indexes
	// their tokens.
	InsertChunks(ctx context.Context, tx *sql.Tx, cs []chunk.Chunk) error
	// ChunkMatch returns the WHERE condition on event_chunks that keeps the
	// chunks whose index holds every one of tokens, using $n for arg.
	ChunkMatch(tokens []string, n int) (cond string, arg any)
	// QueryChunks runs the candidate-chunk query of a search, which has a
	// token condition from ChunkMatch when indexed, in the search's read
	// transaction, and returns each row's two integer columns.
	QueryChunks(ctx context.Context, tx *sql.Tx, query string, args []any, indexed bool) ([][2]int64, error)
	// DeleteChunks removes chunks and their index entries; maxTimes are
	// their max_time (PostgreSQL looks in those days' partitions only).
	DeleteChunks(ctx context.Context, tx *sql.Tx, ids, maxTimes []int64) error
	// MoveChunks puts chunks (with their max_time, as for DeleteChunks)
	// into compaction run run, leaving their events and index as they are.
	MoveChunks(ctx context.Context, tx *sql.Tx, run int64, ids, maxTimes []int64) error
	// UpdateChunk rewrites a chunk's events and index tokens in place.
	UpdateChunk(ctx context.Context, tx *sql.Tx, c *chunk.Chunk) error
	// Translate turns a driver error into a store error where it can.
	Translate(err error) error
}

// DB implements store.Store. W is the writer pool (one connection for
// SQLite), R the reader pool (the same pool for PostgreSQL).
type DB struct {
	W, R    *sql.DB
	D       Dialect
	Now     func() time.Time
	closers []func() error

	upsertFull *sql.Stmt // patternUpsertSQL(patternChunk), when prepared
	cache      *chunk.Cache
	hostFrom   atomic.Int64 // hostKeysFrom, once read
	compact    *compactor   // the background compactor, once started
	vacuumedAt atomic.Int64 // when the compactor last vacuumed (Unix ns)
	holds      holdLog      // write transactions' hold times
	tokens     tokenState   // recent token uses and the token cache
}

var _ store.Store = (*DB)(nil)

// The search cache (see chunk.Cache): its size, and how long an entry
// lives (which bounds what another replica's retention can leave visible).
const (
	searchCacheBytes = 64 << 20
	searchCacheTTL   = time.Minute
)

// New returns a DB over w and r.
func New(w, r *sql.DB, d Dialect) *DB {
	db := &DB{W: w, R: r, D: d, Now: time.Now, cache: chunk.NewCache(searchCacheBytes, searchCacheTTL)}
	db.closers = append(db.closers, w.Close)
	if r != w {
		db.closers = append(db.closers, r.Close)
	}
	db.startTokenFlusher()
	return db
}

// OnClose runs f first when the store closes (before the pools close).
func (db *DB) OnClose(f func() error) { db.closers = append([]func() error{f}, db.closers...) }

// Close closes the pools.
func (db *DB) Close() error {
	var errs []error
	for _, c := range db.closers {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}

// Ping checks that both pools answer.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.W.PingContext(ctx); err != nil {
		return db.wrap(err, "ping")
	}
	if err := db.R.PingContext(ctx); err != nil {
		return db.wrap(err, "ping")
	}
	return nil
}

// Dialect names the database.
func (db *DB) Dialect() string { return db.D.Name() }

// wrap turns err into a store error: driver errors the dialect knows become
// Conflict/NotFound/Unavailable; the rest keep the context and cause.
func (db *DB) wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	var ce *cloudsage.Error
	if errors.As(err, &ce) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return store.NotFoundf("%s: not found", what)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", what, err)
	}
	if t := db.D.Translate(err); t != nil {
		var ce *cloudsage.Error
		if errors.As(t, &ce) && ce.Message == "" {
			ce.Message = what
		}
		return t
	}
	return fmt.Errorf("%s: %w", what, err)
}

// nullID is an id column's value: NULL for the zero id.
func nullID[T ~int64](id T) any {
	if id == 0 {
		return nil
	}
	return id
}

func nullNS(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixNano()
}

func fromNullNS(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := chunk.FromNS(n.Int64)
	return &t
}

// Secret returns the named instance secret, creating it on first use.
func (db *DB) Secret(ctx context.Context, name string, size int) ([]byte, error) {
	v := make([]byte, size)
	rand.Read(v)
	if _, err := db.W.ExecContext(ctx, `INSERT INTO kv (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, "secret:"+name, v); err != nil {
		return nil, db.wrap(err, "store secret")
	}
	var got []byte
	if err := db.W.QueryRowContext(ctx, `SELECT value FROM kv WHERE name = $1`, "secret:"+name).Scan(&got); err != nil {
		return nil, db.wrap(err, "read secret")
	}
	return got, nil
}

// CreateUser stores u; the email is kept lowercased and must be unique.
func (db *DB) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	u.CreatedAt = db.Now().UTC()
	err := db.W.QueryRowContext(ctx, `INSERT INTO users (email, name, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		u.Email, u.Name, u.PasswordHash, chunk.NS(u.CreatedAt)).Scan(&u.ID)
	if err != nil {
		err = db.wrap(err, "create user")
		if cloudsage.KindOf(err) == cloudsage.Conflict {
			return store.User{}, &cloudsage.Error{Kind: cloudsage.Conflict, Message: "an account with this email already exists", Err: err}
		}
		return store.User{}, err
	}
	return u, nil
}

const userCols = `id, email, name, password_hash, created_at, totp_secret, totp_pending, totp_last_step`

func scanUser(row interface{ Scan(...any) error }) (store.User, error) {
	var u store.User
	var created int64
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &created, &u.TOTPSecret, &u.TOTPPending, &u.TOTPLastStep)
	u.CreatedAt = chunk.FromNS(created)
	return u, err
}

// UserByEmail finds a user by email, case-insensitively.
func (db *DB) UserByEmail(ctx context.Context, email string) (store.User, error) {
	u, err := scanUser(db.R.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE email = $1`, strings.ToLower(strings.TrimSpace(email))))
	return u, db.wrap(err, "user")
}

// UserByID finds a user by id.
func (db *DB) UserByID(ctx context.Context, id cloudsage.UserID) (store.User, error) {
	u, err := scanUser(db.R.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id))
	return u, db.wrap(err, "user")
}

// CreateSession stores s.
func (db *DB) CreateSession(ctx context.Context, s store.Session) error {
	last := s.LastSeenAt
	if last.IsZero() {
		last = s.CreatedAt
	}
	_, err := db.W.ExecContext(ctx, `INSERT INTO sessions (hash, user_id, created_at, expires_at, last_seen_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		s.Hash, s.UserID, chunk.NS(s.CreatedAt), chunk.NS(s.ExpiresAt), chunk.NS(last), s.IP, s.UserAgent)
	return db.wrap(err, "create session")
}

const sessionCols = `s.hash, s.user_id, s.created_at, s.expires_at, s.last_seen_at, s.ip, s.user_agent, u.totp_secret <> ''`

func scanSession(row interface{ Scan(...any) error }) (store.Session, error) {
	var s store.Session
	var c, e, l int64
	err := row.Scan(&s.Hash, &s.UserID, &c, &e, &l, &s.IP, &s.UserAgent, &s.TwoFactor)
	s.CreatedAt, s.ExpiresAt, s.LastSeenAt = chunk.FromNS(c), chunk.FromNS(e), chunk.FromNS(l)
	return s, err
}

// SessionByHash returns the unexpired session with hash.
func (db *DB) SessionByHash(ctx context.Context, hash string, now time.Time) (store.Session, error) {
	s, err := scanSession(db.R.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.hash = $1 AND s.expires_at > $2`, hash, chunk.NS(now)))
	return s, db.wrap(err, "session")
}

// DeleteSession removes a session (logout); a missing one is not an error.
func (db *DB) DeleteSession(ctx context.Context, hash string) error {
	_, err := db.W.ExecContext(ctx, `DELETE FROM sessions WHERE hash = $1`, hash)
	return db.wrap(err, "delete session")
}

// DeleteExpiredSessions removes sessions expired at now.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := db.W.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, chunk.NS(now))
	if err != nil {
		return 0, db.wrap(err, "delete expired sessions")
	}
	return res.RowsAffected()
}

// tx runs fn in a transaction on the writer pool.
func (db *DB) tx(ctx context.Context, what string, fn func(*sql.Tx) error) error {
	tx, err := db.W.BeginTx(ctx, nil)
	if err != nil {
		return db.wrap(err, what)
	}
	t0 := time.Now()
	if err := fn(tx); err != nil {
		tx.Rollback()
		return db.wrap(err, what)
	}
	hitFailpoint(what + "-before-commit")
	hitFailpoint(what + "-during-commit")
	err = tx.Commit()
	db.holds.add(what, time.Since(t0))
	hitFailpoint(what + "-after-commit")
	return db.wrap(err, what)
}

// CreateProject creates p with owner as admin, and its empty state row.
func (db *DB) CreateProject(ctx context.Context, owner cloudsage.UserID, p store.Project) (store.Project, error) {
	if p.Settings.HighThreshold == 0 && p.Settings.RetentionDays == 0 {
		p.Settings = store.DefaultSettings()
	}
	set, err := json.Marshal(p.Settings)
	if err != nil {
		return p, err
	}
	now := db.Now().UTC()
	p.CreatedAt = now
	p.Role = store.RoleAdmin
	err = db.tx(ctx, "create project", func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO projects (name, settings, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id`,
			p.Name, string(set), chunk.NS(now)).Scan(&p.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO members (project_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)`,
			p.ID, owner, store.RoleAdmin, chunk.NS(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO project_state (project_id) VALUES ($1)`, p.ID)
		return err
	})
	return p, err
}

const projectCols = `p.id, p.name, p.settings, p.created_at, s.score, s.label, s.events, s.last_ingest_at`

func scanProject(row interface{ Scan(...any) error }, extra ...any) (store.Project, error) {
	var p store.Project
	var set string
	var created int64
	var last sql.NullInt64
	dest := append([]any{&p.ID, &p.Name, &set, &created, &p.Score, &p.Label, &p.Events, &last}, extra...)
	if err := row.Scan(dest...); err != nil {
		return p, err
	}
	p.CreatedAt = chunk.FromNS(created)
	p.LastIngestAt = fromNullNS(last)
	p.Settings = store.DefaultSettings()
	if err := json.Unmarshal([]byte(set), &p.Settings); err != nil {
		return p, fmt.Errorf("project %d settings: %w", p.ID, err)
	}
	return p, nil
}

// Project returns project id as seen by user; NotFound unless a member.
func (db *DB) Project(ctx context.Context, id cloudsage.ProjectID, user cloudsage.UserID) (store.Project, error) {
	var role string
	p, err := scanProject(db.R.QueryRowContext(ctx, `SELECT `+projectCols+`, m.role FROM projects p
		JOIN members m ON m.project_id = p.id AND m.user_id = $2
		JOIN project_state s ON s.project_id = p.id WHERE p.id = $1`, id, user), &role)
	p.Role = store.Role(role)
	if err != nil {
		return p, db.wrap(err, "project")
	}
	return p, nil
}

// ProjectByID returns project id.
func (db *DB) ProjectByID(ctx context.Context, id cloudsage.ProjectID) (store.Project, error) {
	p, err := scanProject(db.R.QueryRowContext(ctx, `SELECT `+projectCols+` FROM projects p
		JOIN project_state s ON s.project_id = p.id WHERE p.id = $1`, id))
	return p, db.wrap(err, "project")
}

// Projects lists the projects user is a member of, by id.
func (db *DB) Projects(ctx context.Context, user cloudsage.UserID) ([]store.Project, error) {
	return queryAll(ctx, db, "projects", func(rows *sql.Rows) (store.Project, error) {
		var role string
		p, err := scanProject(rows, &role)
		p.Role = store.Role(role)
		return p, err
	}, `SELECT `+projectCols+`, m.role FROM projects p
		JOIN members m ON m.project_id = p.id AND m.user_id = $1
		JOIN project_state s ON s.project_id = p.id ORDER BY p.id`, user)
}

// queryAll runs a query on the reader pool and returns every row as scan
// reads it (an empty, non-nil slice when there is none); errors are wrapped
// as what.
func queryAll[T any](ctx context.Context, db *DB, what string, scan func(*sql.Rows) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.R.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, db.wrap(err, what)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, db.wrap(err, what)
		}
		out = append(out, v)
	}
	return out, db.wrap(rows.Err(), what)
}

// AllProjects lists every project (for background work).
func (db *DB) AllProjects(ctx context.Context) ([]store.Project, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT `+projectCols+` FROM projects p JOIN project_state s ON s.project_id = p.id ORDER BY p.id`)
	if err != nil {
		return nil, db.wrap(err, "projects")
	}
	defer rows.Close()
	var ps []store.Project
	for rows.Next() {
		p, err := scanProject(rows)
		if err != nil {
			return nil, db.wrap(err, "projects")
		}
		ps = append(ps, p)
	}
	return ps, db.wrap(rows.Err(), "projects")
}

// UpdateProject saves p's name and settings.
func (db *DB) UpdateProject(ctx context.Context, p store.Project) error {
	set, err := json.Marshal(p.Settings)
	if err != nil {
		return err
	}
	return db.execOne(ctx, "update project", "project not found",
		`UPDATE projects SET name = $2, settings = $3, updated_at = $4 WHERE id = $1`,
		p.ID, p.Name, string(set), chunk.NS(db.Now()))
}

// execOne runs a write on the writer pool that must touch a row: an error is
// wrapped as what, and no row affected is store.NotFound with message missing.
func (db *DB) execOne(ctx context.Context, what, missing, query string, args ...any) error {
	res, err := db.W.ExecContext(ctx, query, args...)
	if err != nil {
		return db.wrap(err, what)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.NotFoundf("%s", missing)
	}
	return nil
}

// DeleteProject removes a project and everything in it.
func (db *DB) DeleteProject(ctx context.Context, id cloudsage.ProjectID) error {
	err := db.tx(ctx, "delete project", func(tx *sql.Tx) error {
		if _, err := db.deleteChunks(ctx, tx, id, time.Time{}); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM projects WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.NotFoundf("project not found")
		}
		return nil
	})
	if err == nil {
		db.tokens.forget(0) // its tokens went with it
	}
	return err
}

// AddActivity appends an entry to a project's activity. A nil or empty
// Detail is stored as {}.
func (db *DB) AddActivity(ctx context.Context, a store.Activity) (store.Activity, error) {
	if a.Kind == "" || len(a.Kind) > 100 {
		return a, cloudsage.Errorf(cloudsage.Invalid, "activity kind must be 1 to 100 characters")
	}
	if len(a.Detail) == 0 {
		a.Detail = json.RawMessage(`{}`)
	}
	if !json.Valid(a.Detail) {
		return a, cloudsage.Errorf(cloudsage.Invalid, "activity detail must be JSON")
	}
	a.At = db.Now().UTC()
	user, token := nullID(a.ActorUser), nullID(a.ActorToken)
	err := db.W.QueryRowContext(ctx, `INSERT INTO activity (project_id, actor_user, actor_token, kind, detail, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, a.ProjectID, user, token, a.Kind, string(a.Detail), chunk.NS(a.At)).Scan(&a.ID)
	return a, db.wrap(err, "add activity")
}

// Activities lists a project's activity, newest first.
func (db *DB) Activities(ctx context.Context, q store.ActivityQuery) ([]store.Activity, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	q.Limit = min(q.Limit, 1000)
	where, args := `a.project_id = $1`, []any{q.Project}
	if q.Before > 0 {
		args = append(args, q.Before)
		where += fmt.Sprintf(` AND a.id < $%d`, len(args))
	}
	if prefix, ok := strings.CutSuffix(q.Kind, "."); ok {
		// A prefix match without LIKE, so "_" and "%" in kinds mean themselves.
		args = append(args, prefix+".", prefix+"/")
		where += fmt.Sprintf(` AND a.kind >= $%d AND a.kind < $%d`, len(args)-1, len(args))
	} else if q.Kind != "" {
		args = append(args, q.Kind)
		where += fmt.Sprintf(` AND a.kind = $%d`, len(args))
	}
	args = append(args, q.Limit)
	return queryAll(ctx, db, "activity", func(rows *sql.Rows) (store.Activity, error) {
		var a store.Activity
		var user, token sql.NullInt64
		var detail string
		var at int64
		err := rows.Scan(&a.ID, &a.ProjectID, &user, &token, &a.ActorEmail, &a.Kind, &detail, &at)
		a.ActorUser, a.ActorToken = cloudsage.UserID(user.Int64), store.TokenID(token.Int64)
		a.Detail, a.At = json.RawMessage(detail), chunk.FromNS(at)
		return a, err
	}, `SELECT a.id, a.project_id, a.actor_user, a.actor_token, COALESCE(u.email, ''), a.kind, a.detail, a.created_at
		FROM activity a LEFT JOIN users u ON u.id = a.actor_user WHERE `+where+
		fmt.Sprintf(` ORDER BY a.id DESC LIMIT $%d`, len(args)), args...)
}

// LoadState returns a project's state; see store.Store. One statement
// reads the version, the notification memory and the learning version, so
// they agree.
func (db *DB) LoadState(ctx context.Context, project cloudsage.ProjectID, known int64) (store.State, error) {
	var st store.State
	var snap []byte
	err := db.R.QueryRowContext(ctx, `SELECT s.version, CASE WHEN s.version <> $2 THEN s.snapshot END, n.state, s.learning_version
		FROM project_state s LEFT JOIN notify_state n ON n.project_id = s.project_id WHERE s.project_id = $1`, project, known).Scan(&st.Version, &snap, &st.Notify, &st.Learning)
	if err != nil {
		return st, db.wrap(err, "load state")
	}
	if st.Version != known {
		st.Changed, st.Snapshot = true, snap
	}
	return st, nil
}

// Ingest stores one batch atomically; see store.Store.
func (db *DB) Ingest(ctx context.Context, project cloudsage.ProjectID, known int64, fn func(store.State) (store.Write, error)) (store.Ingested, error) {
	var out store.Ingested
	err := db.tx(ctx, "ingest", func(tx *sql.Tx) error {
		ver, err := db.lockState(ctx, tx, project)
		if err != nil {
			return err
		}
		st := store.State{Version: ver}
		if st.Notify, err = readNotifyState(ctx, tx, project); err != nil {
			return err
		}
		if ver != known {
			st.Changed = true
			if err := tx.QueryRowContext(ctx, `SELECT snapshot FROM project_state WHERE project_id = $1`, project).Scan(&st.Snapshot); err != nil {
				return err
			}
		}
		w, err := fn(st)
		if err != nil {
			return err
		}
		out, err = db.writeBatch(ctx, tx, project, ver, nil, store.Dedup{}, w)
		return err
	})
	if err == nil && out.Batch.Events > 0 {
		db.noteIngest(project) // a new run to merge
	}
	return out, err
}

// lockState takes the project's state lock in tx and returns its version;
// NotFound when the project does not exist.
func (db *DB) lockState(ctx context.Context, tx *sql.Tx, project cloudsage.ProjectID) (int64, error) {
	ver, err := db.D.LockState(ctx, tx, project)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, store.NotFoundf("project not found")
	}
	return ver, err
}

// Append stores one analysed batch unless d names a batch already stored
// or the project's state moved past expected; see store.Store. The
// transaction only writes: the analysis ran before it, outside any lock.
// The project's state lock serialises the key check, the version check and
// the insert of the batch's keys, so concurrent retries store once and
// concurrent batches from replicas at the same version store one.
func (db *DB) Append(ctx context.Context, project cloudsage.ProjectID, expected int64, d store.Dedup, w store.Write) (store.Ingested, error) {
	var out store.Ingested
	err := db.tx(ctx, "ingest", func(tx *sql.Tx) error {
		ver, err := db.lockState(ctx, tx, project)
		if err != nil {
			return err
		}
		keys, dup, err := db.checkDedup(ctx, tx, project, d, true)
		if err != nil {
			return err
		}
		if dup != nil {
			out = store.Ingested{Batch: *dup, Version: ver, Duplicate: true}
			return nil
		}
		if ver != expected {
			return &cloudsage.Error{Kind: cloudsage.Unavailable, Err: store.ErrStale,
				Message: fmt.Sprintf("project %d moved on to state version %d while the batch was analysed at %d: retry", project, ver, expected)}
		}
		out, err = db.writeBatch(ctx, tx, project, ver, keys, d, w)
		return err
	})
	if err == nil && out.Batch.Events > 0 && !out.Duplicate {
		db.noteIngest(project) // a new run to merge
	}
	return out, err
}

// BatchFor returns the batch d names when one was stored since d.Since;
// see store.Store. A read: Append checks again under the lock.
func (db *DB) BatchFor(ctx context.Context, project cloudsage.ProjectID, d store.Dedup) (store.Batch, bool, error) {
	_, dup, err := db.checkDedup(ctx, db.R, project, d, false)
	if err != nil || dup == nil {
		return store.Batch{}, false, db.wrap(err, "look up batch")
	}
	return *dup, true, nil
}

// writeBatch stores w as the batch after state version ver, recorded under
// keys (d's), in tx, which holds the project's state lock.
func (db *DB) writeBatch(ctx context.Context, tx *sql.Tx, project cloudsage.ProjectID, ver int64, keys []string, d store.Dedup, w store.Write) (store.Ingested, error) {
	now := db.Now().UTC()
	b := w.Batch
	b.ProjectID, b.CreatedAt, b.Status = project, now, "committed"
	if b.Formats == nil {
		b.Formats = map[string]int{}
	}
	if b.Reasons == nil {
		b.Reasons = []string{}
	}
	b.Events = len(w.Events)
	formats, _ := json.Marshal(b.Formats)
	reasons, _ := json.Marshal(b.Reasons)
	if err := tx.QueryRowContext(ctx, `INSERT INTO ingest_batches (project_id, created_at, status, source, bytes, received, accepted, rejected, formats, new_patterns, score, label, events, reasons)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
		project, chunk.NS(now), b.Status, b.Source, b.Bytes, b.Received, b.Accepted, b.Rejected, string(formats), b.NewPatterns, b.Score, b.Label, b.Events, string(reasons)).Scan(&b.ID); err != nil {
		return store.Ingested{}, err
	}
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, `INSERT INTO ingest_keys (project_id, key, body_hash, batch_id, created_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (project_id, key) DO UPDATE SET body_hash = excluded.body_hash, batch_id = excluded.batch_id, created_at = excluded.created_at`,
			project, k, d.BodyHash, b.ID, chunk.NS(now)); err != nil {
			return store.Ingested{}, fmt.Errorf("record batch key: %w", err)
		}
	}
	if len(w.Events) > 0 {
		cs := chunk.Build(project, w.Events)
		for i := range cs {
			cs[i].Batch = b.ID
		}
		if err := db.D.InsertChunks(ctx, tx, cs); err != nil {
			return store.Ingested{}, fmt.Errorf("insert events: %w", err)
		}
	}
	if err := db.upsertPatterns(ctx, tx, project, w.Patterns); err != nil {
		return store.Ingested{}, err
	}
	if err := db.writeNotify(ctx, tx, project, w); err != nil {
		return store.Ingested{}, err
	}
	var rep, repAt, repH any
	var last any = chunk.NS(now)
	set := `version = version + 1, snapshot = $2, events = events + $3, last_ingest_at = $4`
	args := []any{project, w.Snapshot, len(w.Events), last}
	if r := w.Report; r != nil {
		rep, repAt, repH = r.Body, chunk.NS(r.At), r.Horizon
		set += `, report = $5, report_at = $6, report_horizon = $7, score = $8, label = $9`
		args = append(args, rep, repAt, repH, r.Score, r.Label)
		if w.Keep {
			set += `, kept_at = $4`
			if _, err := tx.ExecContext(ctx, `INSERT INTO forecasts (project_id, at, horizon, score, label, body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				project, chunk.NS(r.At), r.Horizon, r.Score, r.Label, r.Body, chunk.NS(now)); err != nil {
				return store.Ingested{}, err
			}
		}
		// At the report's time (the logs' time for old logs), like the
		// forecast that starts there: one time basis for both.
		at := chunk.NS(r.At)
		if r.At.IsZero() {
			at = chunk.NS(now)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO risk_history (project_id, at, score, label, batch_id) VALUES ($1, $2, $3, $4, $5)`,
			project, at, r.Score, r.Label, b.ID); err != nil {
			return store.Ingested{}, err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE project_state SET `+set+` WHERE project_id = $1`, args...); err != nil {
		return store.Ingested{}, err
	}
	return store.Ingested{Batch: b, Version: ver + 1}, nil
}

// queryer is a *sql.Tx or a *sql.DB.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// patternChunk is how many patterns one upsert statement writes. SQLite
// looks $N parameter names up linearly: statements stay small.
const patternChunk = 50

// patternUpsertSQL is the upsert of n patterns, with anonymous "?"
// placeholders when anon (SQLite binds those without looking a name up)
// and "$N" otherwise.
func patternUpsertSQL(n int, anon bool) string {
	const cols = 6
	var sb strings.Builder
	sb.WriteString(`INSERT INTO patterns (project_id, id, template, count, first_seen, last_seen) VALUES `)
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		writePlaceholders(&sb, i*cols, cols, anon)
	}
	sb.WriteString(` ON CONFLICT (project_id, id) DO UPDATE SET count = patterns.count + excluded.count,
		template = CASE WHEN excluded.template <> '' THEN excluded.template ELSE patterns.template END,
		first_seen = CASE WHEN patterns.first_seen = 0 OR (excluded.first_seen <> 0 AND excluded.first_seen < patterns.first_seen) THEN excluded.first_seen ELSE patterns.first_seen END,
		last_seen = CASE WHEN excluded.last_seen > patterns.last_seen THEN excluded.last_seen ELSE patterns.last_seen END`)
	return sb.String()
}

// Prepare prepares the statements every ingest runs (Open calls it once).
func (db *DB) Prepare(ctx context.Context) error {
	st, err := db.W.PrepareContext(ctx, patternUpsertSQL(patternChunk, db.anonParams()))
	if err != nil {
		return db.wrap(err, "prepare")
	}
	db.upsertFull = st
	db.closers = append([]func() error{st.Close}, db.closers...)
	return nil
}

func (db *DB) upsertPatterns(ctx context.Context, tx *sql.Tx, project cloudsage.ProjectID, ps []store.Pattern) error {
	const cols = 6
	args := make([]any, 0, min(len(ps), patternChunk)*cols)
	for len(ps) > 0 {
		n := min(len(ps), patternChunk)
		args = args[:0]
		for _, p := range ps[:n] {
			args = append(args, project, string(p.ID), p.Template, p.Count, chunk.NS(p.FirstSeen), chunk.NS(p.LastSeen))
		}
		var err error
		if n == patternChunk && db.upsertFull != nil {
			_, err = tx.StmtContext(ctx, db.upsertFull).ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, patternUpsertSQL(n, db.anonParams()), args...)
		}
		if err != nil {
			return fmt.Errorf("upsert patterns: %w", err)
		}
		ps = ps[n:]
	}
	return nil
}

// anonParams reports whether the dialect takes anonymous "?" placeholders
// (SQLite; PostgreSQL needs "$N").
func (db *DB) anonParams() bool { return db.D.Name() == "sqlite" }

// writePlaceholders writes "($off+1, ..., $off+n)", or "(?, ..., ?)" when
// anon.
func writePlaceholders(sb *strings.Builder, off, n int, anon bool) {
	sb.WriteByte('(')
	for j := range n {
		if j > 0 {
			sb.WriteByte(',')
		}
		if anon {
			sb.WriteByte('?')
			continue
		}
		sb.WriteByte('$')
		sb.WriteString(strconv.Itoa(off + j + 1))
	}
	sb.WriteByte(')')
}

// checkDedup returns the keys a new batch named by d is recorded under, or
// the batch d names when one was stored since d.Since. Keys older than that
// are dropped on the way when forget (q is then the write transaction).
func (db *DB) checkDedup(ctx context.Context, tx queryer, project cloudsage.ProjectID, d store.Dedup, forget bool) ([]string, *store.Batch, error) {
	var key string
	switch {
	case d.Key != "":
		key = "key:" + d.Key
	case d.BodyHash != "":
		key = "body:" + d.BodyHash
	default:
		return nil, nil, nil
	}
	if forget {
		if _, err := tx.ExecContext(ctx, `DELETE FROM ingest_keys WHERE project_id = $1 AND created_at < $2`, project, chunk.NS(d.Since)); err != nil {
			return nil, nil, fmt.Errorf("forget old batch keys: %w", err)
		}
	}
	var hash string
	var id store.BatchID
	err := tx.QueryRowContext(ctx, `SELECT body_hash, batch_id FROM ingest_keys WHERE project_id = $1 AND key = $2 AND created_at >= $3`, project, key, chunk.NS(d.Since)).Scan(&hash, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return []string{key}, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("look up batch key: %w", err)
	}
	if d.Key != "" && d.BodyHash != "" && hash != d.BodyHash {
		return nil, nil, cloudsage.Errorf(cloudsage.Conflict, "Idempotency-Key %q was used in the last 24 hours for a different body (batch %d)", d.Key, id)
	}
	b, err := scanBatch(tx.QueryRowContext(ctx, `SELECT `+batchCols+` FROM ingest_batches WHERE id = $1`, id))
	if err != nil {
		return nil, nil, fmt.Errorf("batch %d of a batch key: %w", id, err)
	}
	return nil, &b, nil
}

const batchCols = `id, project_id, created_at, status, source, bytes, received, accepted, rejected, formats, new_patterns, score, label, events, reasons`

func scanBatch(row interface{ Scan(...any) error }) (store.Batch, error) {
	var b store.Batch
	var created int64
	var formats, reasons string
	if err := row.Scan(&b.ID, &b.ProjectID, &created, &b.Status, &b.Source, &b.Bytes, &b.Received, &b.Accepted, &b.Rejected, &formats, &b.NewPatterns, &b.Score, &b.Label, &b.Events, &reasons); err != nil {
		return b, err
	}
	b.CreatedAt = chunk.FromNS(created)
	json.Unmarshal([]byte(formats), &b.Formats)
	json.Unmarshal([]byte(reasons), &b.Reasons)
	if b.Reasons == nil {
		b.Reasons = []string{}
	}
	return b, nil
}

// Batches lists a project's recent batches, newest first.
func (db *DB) Batches(ctx context.Context, project cloudsage.ProjectID, limit int) ([]store.Batch, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	return queryAll(ctx, db, "batches", func(rows *sql.Rows) (store.Batch, error) { return scanBatch(rows) },
		`SELECT `+batchCols+` FROM ingest_batches WHERE project_id = $1 ORDER BY id DESC LIMIT $2`, project, limit)
}

// SaveSearch stores a named search of a project.
func (db *DB) SaveSearch(ctx context.Context, s store.SavedSearch) (store.SavedSearch, error) {
	s.Name = strings.TrimSpace(s.Name)
	if s.Name == "" || len(s.Name) > 100 {
		return s, cloudsage.Errorf(cloudsage.Invalid, "a saved search needs a name of 1 to 100 characters")
	}
	if len(s.Query) > 2000 {
		return s, cloudsage.Errorf(cloudsage.Invalid, "a saved search's query is longer than 2000 characters")
	}
	s.CreatedAt = db.Now().UTC()
	var by any
	if s.CreatedBy != 0 {
		by = s.CreatedBy
	}
	err := db.W.QueryRowContext(ctx, `INSERT INTO saved_searches (project_id, name, query, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		s.ProjectID, s.Name, s.Query, by, chunk.NS(s.CreatedAt)).Scan(&s.ID)
	if err != nil {
		err = db.wrap(err, "save search")
		if cloudsage.KindOf(err) == cloudsage.Conflict {
			return s, &cloudsage.Error{Kind: cloudsage.Conflict, Message: fmt.Sprintf("a saved search named %q already exists", s.Name), Err: err}
		}
	}
	return s, err
}

// SavedSearches lists a project's saved searches by name.
func (db *DB) SavedSearches(ctx context.Context, project cloudsage.ProjectID) ([]store.SavedSearch, error) {
	return queryAll(ctx, db, "saved searches", func(rows *sql.Rows) (store.SavedSearch, error) {
		var s store.SavedSearch
		var by sql.NullInt64
		var created int64
		err := rows.Scan(&s.ID, &s.ProjectID, &s.Name, &s.Query, &by, &created)
		s.CreatedBy, s.CreatedAt = cloudsage.UserID(by.Int64), chunk.FromNS(created)
		return s, err
	}, `SELECT id, project_id, name, query, created_by, created_at FROM saved_searches WHERE project_id = $1 ORDER BY name, id`, project)
}

// DeleteSearch removes a saved search of project.
func (db *DB) DeleteSearch(ctx context.Context, project cloudsage.ProjectID, id store.SearchID) error {
	return db.execOne(ctx, "delete saved search", "saved search not found",
		`DELETE FROM saved_searches WHERE project_id = $1 AND id = $2`, project, id)
}

// Patterns lists a project's patterns, most frequent first.
func (db *DB) Patterns(ctx context.Context, project cloudsage.ProjectID, limit int) ([]store.Pattern, error) {
	if limit <= 0 || limit > 10000 {
		limit = 1000
	}
	return queryAll(ctx, db, "patterns", func(rows *sql.Rows) (store.Pattern, error) {
		var p store.Pattern
		var f, l int64
		err := rows.Scan(&p.ID, &p.Template, &p.Count, &f, &l)
		p.FirstSeen, p.LastSeen = chunk.FromNS(f), chunk.FromNS(l)
		return p, err
	}, `SELECT id, template, count, first_seen, last_seen FROM patterns
		WHERE project_id = $1 ORDER BY count DESC, id LIMIT $2`, project, limit)
}

// LatestReport returns the report stored by the last ingest.
func (db *DB) LatestReport(ctx context.Context, project cloudsage.ProjectID) (store.Report, error) {
	r := store.Report{ProjectID: project}
	var at, h sql.NullInt64
	var last sql.NullInt64
	err := db.R.QueryRowContext(ctx, `SELECT report, report_at, report_horizon, score, label, last_ingest_at FROM project_state WHERE project_id = $1`, project).
		Scan(&r.Body, &at, &h, &r.Score, &r.Label, &last)
	if err != nil {
		return r, db.wrap(err, "report")
	}
	if r.Body == nil {
		return r, store.NotFoundf("no report yet: ingest some logs first")
	}
	r.At, r.Horizon, r.CreatedAt = chunk.FromNS(at.Int64), int(h.Int64), chunk.FromNS(last.Int64)
	return r, nil
}

// ReportBody is the JSON of a kept forecast.
func (db *DB) ReportBody(ctx context.Context, project cloudsage.ProjectID, id int64) ([]byte, error) {
	var b []byte
	err := db.R.QueryRowContext(ctx, `SELECT body FROM forecasts WHERE project_id = $1 AND id = $2`, project, id).Scan(&b)
	return b, db.wrap(err, "forecast")
}

// Reports returns kept reports, newest first, without bodies.
func (db *DB) Reports(ctx context.Context, project cloudsage.ProjectID, limit int) ([]store.Report, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	return queryAll(ctx, db, "reports", func(rows *sql.Rows) (store.Report, error) {
		r := store.Report{ProjectID: project}
		var at, created int64
		err := rows.Scan(&r.ID, &at, &r.Horizon, &r.Score, &r.Label, &created)
		r.At, r.CreatedAt = chunk.FromNS(at), chunk.FromNS(created)
		return r, err
	}, `SELECT id, at, horizon, score, label, created_at FROM forecasts
		WHERE project_id = $1 ORDER BY id DESC LIMIT $2`, project, limit)
}

// RiskHistory returns risk points in [from, to), oldest first (at most 10,000).
func (db *DB) RiskHistory(ctx context.Context, project cloudsage.ProjectID, from, to time.Time) ([]store.RiskPoint, error) {
	hi := int64(1<<63 - 1)
	if !to.IsZero() {
		hi = chunk.NS(to)
	}
	return queryAll(ctx, db, "risk history", func(rows *sql.Rows) (store.RiskPoint, error) {
		var p store.RiskPoint
		var at int64
		err := rows.Scan(&at, &p.Score, &p.Label)
		p.At = chunk.FromNS(at)
		return p, err
	}, `SELECT at, score, label FROM (SELECT at, score, label FROM risk_history
		WHERE project_id = $1 AND at >= $2 AND at < $3 ORDER BY at DESC LIMIT 10000) r ORDER BY at`, project, chunk.NS(from), hi)
}

// SetActionStatus records feedback on an action.
func (db *DB) SetActionStatus(ctx context.Context, a store.ActionStatus) error {
	switch a.Status {
	case store.ActionDone, store.ActionDismissed, store.ActionSnoozed, store.ActionNotRelevant:
	default:
		return cloudsage.Errorf(cloudsage.Invalid, "status must be done, dismissed, snoozed or not_relevant")
	}
	var user any
	if a.UserID != 0 {
		user = a.UserID
	}
	return db.tx(ctx, "set action status", func(tx *sql.Tx) error {
		now := chunk.NS(db.Now())
		if _, err := tx.ExecContext(ctx, `INSERT INTO action_status (project_id, action_id, action_key, status, until, user_id, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (project_id, action_id) DO UPDATE SET action_key = CASE WHEN excluded.action_key = '' THEN action_status.action_key ELSE excluded.action_key END,
			status = excluded.status, until = excluded.until, user_id = excluded.user_id, updated_at = excluded.updated_at`,
			a.ProjectID, a.ActionID, a.Key, a.Status, nullNS(a.Until), user, now); err != nil {
			return err
		}
		// each user's own opinion, for the ranking (see learn)
		_, err := tx.ExecContext(ctx, `INSERT INTO action_feedback (project_id, action_id, user_id, action_key, status, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (project_id, action_id, user_id) DO UPDATE SET action_key = CASE WHEN excluded.action_key = '' THEN action_feedback.action_key ELSE excluded.action_key END,
			status = excluded.status, updated_at = excluded.updated_at`,
			a.ProjectID, a.ActionID, a.UserID, a.Key, a.Status, now)
		return err
	})
}

// ActionStatuses lists a project's action feedback.
func (db *DB) ActionStatuses(ctx context.Context, project cloudsage.ProjectID) ([]store.ActionStatus, error) {
	return queryAll(ctx, db, "action statuses", func(rows *sql.Rows) (store.ActionStatus, error) {
		a := store.ActionStatus{ProjectID: project}
		var until, user sql.NullInt64
		var upd int64
		err := rows.Scan(&a.ActionID, &a.Key, &a.Status, &until, &user, &upd)
		a.Until, a.UserID, a.UpdatedAt = fromNullNS(until), cloudsage.UserID(user.Int64), chunk.FromNS(upd)
		return a, err
	}, `SELECT action_id, action_key, status, until, user_id, updated_at FROM action_status WHERE project_id = $1 ORDER BY action_id`, project)
}

// DeleteActionStatus removes the feedback on an action, every user's.
func (db *DB) DeleteActionStatus(ctx context.Context, project cloudsage.ProjectID, actionID string) error {
	return db.tx(ctx, "delete action status", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM action_status WHERE project_id = $1 AND action_id = $2`, project, actionID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return cloudsage.Errorf(cloudsage.NotFound, "no feedback on action %q", actionID)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM action_feedback WHERE project_id = $1 AND action_id = $2`, project, actionID)
		return err
	})
}

// DeleteEventsBefore removes a project's events older than before.
func (db *DB) DeleteEventsBefore(ctx context.Context, project cloudsage.ProjectID, before time.Time) (int64, error) {
	if before.IsZero() {
		return 0, cloudsage.Errorf(cloudsage.Invalid, "retention cut-off must be set")
	}
	var n int64
	err := db.tx(ctx, "delete old events", func(tx *sql.Tx) error {
		var err error
		if n, err = db.deleteChunks(ctx, tx, project, before); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE project_state SET events = CASE WHEN events > $2 THEN events - $2 ELSE 0 END WHERE project_id = $1`, project, n)
		return err
	})
	return n, err
}

// CountEvents counts a project's stored events.
func (db *DB) CountEvents(ctx context.Context, project cloudsage.ProjectID) (int64, error) {
	var n int64
	err := db.R.QueryRowContext(ctx, `SELECT COALESCE(SUM(n), 0) FROM event_chunks WHERE project_id = $1`, project).Scan(&n)
	return n, db.wrap(err, "count events")
}
