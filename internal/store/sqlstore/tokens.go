package sqlstore

import (
	"context"
	"database/sql"
	"slices"
	"sync"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/chunk"
	"github.com/cloudsage/cloudsage/internal/store"
)

// API tokens are looked up on every authenticated request. Two things keep
// that off the database's critical path:
//
//   - A token's last use and last address are recorded in memory and
//     written in the background, at most once per token per TokenUseFlush
//     (and on Close): a request never waits for SQLite's single writer,
//     which a compaction or a big batch can hold for a fifth of a second.
//     This process shows the uses at once (Tokens and TokenByHash lay them
//     over the stored row); other replicas see them after the flush.
//   - Found tokens are cached by hash for TokenCacheTTL. A revoke in this
//     process takes effect at once (the cache forgets the token); one made
//     through another replica within TokenCacheTTL.

// TokenUseFlush is how often recorded token uses are written.
var TokenUseFlush = 10 * time.Second

// TokenCacheTTL is how long a token looked up by hash is served from
// memory: the longest another replica's revoke can take to be seen here.
var TokenCacheTTL = 3 * time.Second

// tokenCacheMax bounds the cache (one entry a token in use; it is emptied
// when full).
const tokenCacheMax = 4096

// tokenUseEvery is the finest grain of a token's recorded last use from
// the same address: more uses within it are not recorded.
const tokenUseEvery = time.Minute

type tokenUse struct {
	at    time.Time
	ip    string
	dirty bool // not yet written
}

type cachedToken struct {
	t     store.Token
	until time.Time
}

// tokenState is a DB's memory of tokens: recent uses and the lookup cache.
type tokenState struct {
	mu    sync.Mutex
	uses  map[store.TokenID]tokenUse
	cache map[string]cachedToken // by hash
	// gen counts invalidations: a lookup caches the row it read only when
	// none happened meanwhile, so a revoke racing it is not undone.
	gen  uint64
	stop context.CancelFunc
	done chan struct{}
}

// startTokenFlusher starts the background writer of token uses; Close
// stops it after a last flush.
func (db *DB) startTokenFlusher() {
	ctx, cancel := context.WithCancel(context.Background())
	ts := &db.tokens
	ts.uses, ts.cache = map[store.TokenID]tokenUse{}, map[string]cachedToken{}
	ts.stop, ts.done = cancel, make(chan struct{})
	db.OnClose(func() error {
		cancel()
		<-ts.done
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return db.FlushTokenUses(ctx)
	})
	go func() {
		defer close(ts.done)
		tick := time.NewTicker(TokenUseFlush)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				_ = db.FlushTokenUses(ctx) // kept dirty on failure: the next tick retries
			}
		}
	}()
}

// FlushTokenUses writes the token uses recorded since the last flush (the
// background flusher calls it every TokenUseFlush, Close once more). A use
// never moves a stored last use back (another replica may have written a
// later one).
func (db *DB) FlushTokenUses(ctx context.Context) error {
	ts := &db.tokens
	ts.mu.Lock()
	var ids []store.TokenID
	var batch []tokenUse
	for id, u := range ts.uses {
		if u.dirty {
			ids, batch = append(ids, id), append(batch, u)
		} else if time.Since(u.at) > 2*tokenUseEvery {
			delete(ts.uses, id) // the stored row says the same by now
		}
	}
	ts.mu.Unlock()
	if len(ids) == 0 {
		return nil
	}
	err := db.tx(ctx, "record token use", func(tx *sql.Tx) error {
		for i, id := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $2, last_ip = $3
				WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $2)`, id, chunk.NS(batch[i].at), batch[i].ip); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	ts.mu.Lock()
	for i, id := range ids {
		if u, ok := ts.uses[id]; ok && u.at.Equal(batch[i].at) && u.ip == batch[i].ip {
			u.dirty = false
			ts.uses[id] = u
		}
	}
	ts.mu.Unlock()
	return nil
}

// overlay sets t's last use to the one recorded in memory when later.
// Called with ts.mu held.
func (ts *tokenState) overlay(t *store.Token) {
	if u, ok := ts.uses[t.ID]; ok && (t.LastUsedAt == nil || u.at.After(*t.LastUsedAt)) {
		at := u.at
		t.LastUsedAt, t.LastIP = &at, u.ip
	}
}

// forget drops token id (revoked) from memory; id 0 empties the cache (a
// project deleted with its tokens: their recorded uses update no row).
func (ts *tokenState) forget(id store.TokenID) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.gen++
	if id == 0 {
		clear(ts.cache)
		return
	}
	delete(ts.uses, id)
	for h, c := range ts.cache {
		if c.t.ID == id {
			delete(ts.cache, h)
		}
	}
}

// CreateToken stores t (whose Hash is already computed). No scopes is the
// default, ingest; t.Role is set from the scopes.
func (db *DB) CreateToken(ctx context.Context, t store.Token) (store.Token, error) {
	names := make([]string, len(t.Scopes))
	for i, sc := range t.Scopes {
		names[i] = string(sc)
	}
	scopes, err := store.ParseScopes(names)
	if err != nil {
		return t, err
	}
	t.Scopes, t.Role = scopes, store.RoleOfScopes(scopes)
	t.CreatedAt = db.Now().UTC()
	by, byToken := nullID(t.CreatedBy), nullID(t.CreatedByToken)
	err = db.W.QueryRowContext(ctx, `INSERT INTO api_tokens (project_id, name, prefix, hash, role, scopes, created_by, created_by_token, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`, t.ProjectID, t.Name, t.Prefix, t.Hash, t.Role,
		store.JoinScopes(t.Scopes), by, byToken, chunk.NS(t.CreatedAt), nullNS(t.ExpiresAt)).Scan(&t.ID)
	return t, db.wrap(err, "create token")
}

const tokenCols = `t.id, t.project_id, t.name, t.prefix, t.hash, t.scopes, t.created_by, COALESCE(u.email, ''),
	t.created_by_token, t.created_at, t.expires_at, t.last_used_at, t.last_ip`

const tokenFrom = ` FROM api_tokens t LEFT JOIN users u ON u.id = t.created_by`

func scanToken(row interface{ Scan(...any) error }) (store.Token, error) {
	var t store.Token
	var by, byToken, expires, last sql.NullInt64
	var created int64
	var scopes string
	err := row.Scan(&t.ID, &t.ProjectID, &t.Name, &t.Prefix, &t.Hash, &scopes, &by, &t.CreatedByEmail,
		&byToken, &created, &expires, &last, &t.LastIP)
	t.Scopes = store.SplitScopes(scopes)
	t.Role = store.RoleOfScopes(t.Scopes)
	t.CreatedBy = cloudsage.UserID(by.Int64)
	t.CreatedByToken = store.TokenID(byToken.Int64)
	t.CreatedAt = chunk.FromNS(created)
	t.ExpiresAt = fromNullNS(expires)
	t.LastUsedAt = fromNullNS(last)
	return t, err
}

// Tokens lists a project's tokens, with the uses this process has recorded
// but not yet written.
func (db *DB) Tokens(ctx context.Context, project cloudsage.ProjectID) ([]store.Token, error) {
	ts, err := queryAll(ctx, db, "tokens", func(rows *sql.Rows) (store.Token, error) { return scanToken(rows) },
		`SELECT `+tokenCols+tokenFrom+` WHERE t.project_id = $1 ORDER BY t.id`, project)
	db.tokens.mu.Lock()
	for i := range ts {
		db.tokens.overlay(&ts[i])
	}
	db.tokens.mu.Unlock()
	return ts, err
}

// DeleteToken revokes a token of project (at once in this process; see
// TokenCacheTTL for other replicas).
func (db *DB) DeleteToken(ctx context.Context, project cloudsage.ProjectID, id store.TokenID) error {
	err := db.execOne(ctx, "delete token", "token not found",
		`DELETE FROM api_tokens WHERE project_id = $1 AND id = $2`, project, id)
	if err == nil {
		db.tokens.forget(id)
	}
	return err
}

// TokenByHash finds a token by the hash of its secret and records its use
// in memory (at most once a minute from the same address; written in the
// background, see TokenUseFlush). An expired token is returned as it is,
// its use not recorded.
func (db *DB) TokenByHash(ctx context.Context, hash string, now time.Time, ip string) (store.Token, error) {
	ts := &db.tokens
	ts.mu.Lock()
	c, hit := ts.cache[hash]
	if hit && time.Now().After(c.until) {
		delete(ts.cache, hash)
		hit = false
	}
	gen := ts.gen
	ts.mu.Unlock()
	t := c.t
	if !hit {
		var err error
		t, err = scanToken(db.R.QueryRowContext(ctx, `SELECT `+tokenCols+tokenFrom+` WHERE t.hash = $1`, hash))
		if err != nil {
			return t, db.wrap(err, "token")
		}
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if !hit && ts.gen == gen {
		if len(ts.cache) >= tokenCacheMax {
			clear(ts.cache)
		}
		ts.cache[hash] = cachedToken{t: t, until: time.Now().Add(TokenCacheTTL)}
	}
	t.Scopes = slices.Clone(t.Scopes) // the cached row's stay the cache's
	ts.overlay(&t)
	if t.Expired(now) {
		return t, nil
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > tokenUseEvery || t.LastIP != ip {
		ts.uses[t.ID] = tokenUse{at: now, ip: ip, dirty: true}
		t.LastUsedAt, t.LastIP = &now, ip
	}
	return t, nil
}
