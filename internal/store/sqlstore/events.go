package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/chunk"
	"github.com/cloudsage/cloudsage/internal/query"
	"github.com/cloudsage/cloudsage/internal/store"
)

// signals is cloudsage.Signals with its Has* flags, as schema 0001 stored them.
type signals struct {
	Status     int     `json:"s,omitempty"`
	LatencyMS  float64 `json:"l,omitempty"`
	MemoryPct  float64 `json:"mp,omitempty"`
	MemoryMB   float64 `json:"mm,omitempty"`
	CPUPct     float64 `json:"c,omitempty"`
	HasLatency bool    `json:"hl,omitempty"`
	HasMemPct  bool    `json:"hmp,omitempty"`
	HasMemMB   bool    `json:"hmm,omitempty"`
	HasCPU     bool    `json:"hc,omitempty"`
	OOM        bool    `json:"oom,omitempty"`
}

// Cursor encodes a position in newest-first order.
func cursor(t, id int64) string { return strconv.FormatInt(t, 36) + "." + strconv.FormatInt(id, 36) }

func parseCursor(s string) (t, id int64, err error) {
	a, b, ok := strings.Cut(s, ".")
	if ok {
		t, err = strconv.ParseInt(a, 36, 64)
		if err == nil {
			id, err = strconv.ParseInt(b, 36, 64)
		}
	}
	if !ok || err != nil {
		return 0, 0, cloudsage.Errorf(cloudsage.Invalid, "invalid cursor %q", s)
	}
	return t, id, nil
}

// plan is a compiled EventQuery: the condition that picks a project's
// candidate chunks (by time range, level bitmap and index tokens) and the
// exact filter of their events.
type plan struct {
	m      *chunk.Matcher
	where  string
	args   []any
	tokens bool // the condition asks the index
	none   bool // nothing can match
}

// compile turns q into a plan. Index tokens are asked for only where every
// matching chunk must hold them: the words of positive free-text terms,
// the key of a single service, pattern or host (host keys only in chunks
// from hostFrom on), and the name and value tokens of a single value of
// another field.
func (db *DB) compile(ctx context.Context, q store.EventQuery) (*plan, error) {
	pl := &plan{m: &chunk.Matcher{Levels: chunk.LevelBits(q.Levels)}}
	m := pl.m
	var where strings.Builder
	args := []any{q.Project}
	where.WriteString(`project_id = $1`)
	add := func(cond string, arg any) {
		args = append(args, arg)
		where.WriteString(" AND ")
		where.WriteString(strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(args))))
	}
	if !q.From.IsZero() {
		m.From, m.HasFrom = chunk.NS(q.From), true
		add(`max_time >= $?`, m.From)
	}
	if !q.To.IsZero() {
		m.To, m.HasTo = chunk.NS(q.To), true
		add(`min_time < $?`, m.To)
	}
	if q.Cursor != "" {
		t, id, err := parseCursor(q.Cursor)
		if err != nil {
			return nil, err
		}
		m.CursorTime, m.CursorID, m.HasCursor = t, id, true
		add(`min_time <= $?`, t)
	}
	parsed, err := query.Parse(q.Q)
	if err != nil {
		return nil, err
	}
	if len(parsed.Terms) == 0 && parsed.Dropped > 0 {
		pl.none = true // only punctuation: no word can match
	}
	// Field terms grouped by field and sign: positive values of one field
	// are alternatives; each excluded value is its own condition.
	pos := map[string][]string{}
	var fields []string
	for _, t := range parsed.Terms {
		switch {
		case t.Field == "":
			ph := chunk.Tokens(t.Value)
			if len(ph) == 0 {
				continue
			}
			if t.Not {
				m.NotPhrases = append(m.NotPhrases, ph)
			} else {
				m.Phrases = append(m.Phrases, ph)
			}
		case t.Not:
			if t.Field == query.FieldLevel {
				m.Levels = levelMask(m.Levels) &^ chunk.LevelBit(cloudsage.ParseLevel(t.Value))
				if m.Levels == 0 {
					pl.none = true
				}
				continue
			}
			m.Conds = append(m.Conds, chunk.Cond{Field: t.Field, Values: []string{t.Value}, Not: true})
		default:
			if _, ok := pos[t.Field]; !ok {
				fields = append(fields, t.Field)
			}
			pos[t.Field] = append(pos[t.Field], t.Value)
		}
	}
	// The service, host and pattern parameters are field terms too.
	for _, kv := range [][2]string{{query.FieldService, q.Service}, {query.FieldHost, q.Host}, {query.FieldPattern, string(q.Pattern)}} {
		if kv[1] != "" {
			m.Conds = append(m.Conds, chunk.Cond{Field: kv[0], Values: []string{kv[1]}})
		}
	}
	var tokens, hostTokens []string
	seen := map[string]bool{}
	need := func(list *[]string, t string) {
		if !seen[t] {
			seen[t] = true
			*list = append(*list, t)
		}
	}
	for _, ph := range m.Phrases {
		for _, t := range ph {
			need(&tokens, chunk.IndexToken(t))
		}
	}
	for _, f := range fields {
		vals := pos[f]
		if f == query.FieldLevel {
			var bits int64
			for _, v := range vals {
				bits |= chunk.LevelBit(cloudsage.ParseLevel(v))
			}
			if m.Levels != 0 {
				bits &= m.Levels
			}
			if bits == 0 {
				pl.none = true
			}
			m.Levels = bits
			continue
		}
		m.Conds = append(m.Conds, chunk.Cond{Field: f, Values: vals})
	}
	// Index keys: a field with one required value.
	for _, c := range m.Conds {
		if c.Not || len(c.Values) != 1 {
			continue
		}
		v := c.Values[0]
		switch c.Field {
		case query.FieldService:
			need(&tokens, chunk.KeyToken(chunk.KeyService, v))
		case query.FieldPattern:
			need(&tokens, chunk.KeyToken(chunk.KeyPattern, v))
		case query.FieldHost:
			need(&hostTokens, chunk.KeyToken(chunk.KeyHost, v))
		case query.FieldFormat, query.FieldStatus:
			// Not indexed: the exact filter decides.
		default:
			for _, t := range chunk.Tokens(c.Field) {
				need(&tokens, chunk.IndexToken(t))
			}
			for _, t := range chunk.Tokens(v) {
				need(&tokens, chunk.IndexToken(t))
			}
		}
	}
	if m.Levels != 0 {
		add(`(levels & $?) <> 0`, m.Levels)
	}
	if len(tokens) > 0 {
		cond, arg := db.D.ChunkMatch(tokens, len(args)+1)
		args = append(args, arg)
		where.WriteString(" AND " + cond)
		pl.tokens = true
	}
	if len(hostTokens) > 0 {
		from, err := db.hostKeysFrom(ctx)
		if err != nil {
			return nil, err
		}
		cond, arg := db.D.ChunkMatch(hostTokens, len(args)+2)
		args = append(args, from, arg)
		fmt.Fprintf(&where, " AND (id < $%d OR %s)", len(args)-1, cond)
		pl.tokens = true
	}
	pl.where, pl.args = where.String(), args
	return pl, nil
}

// levelMask is the bitmap of levels m allows (every level for 0).
func levelMask(m int64) int64 {
	if m != 0 {
		return m
	}
	for l := cloudsage.LevelUnknown; l <= cloudsage.LevelFatal; l++ {
		m |= chunk.LevelBit(l)
	}
	return m
}

// hostKeysFrom is the first chunk id that holds host key tokens (schema
// 0003 records it); older chunks are filtered on host without the index.
func (db *DB) hostKeysFrom(ctx context.Context) (int64, error) {
	if v := db.hostFrom.Load(); v > 0 {
		return v, nil
	}
	var raw []byte
	err := db.R.QueryRowContext(ctx, `SELECT value FROM kv WHERE name = 'index:host-keys-from'`).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return 1, nil
	}
	if err != nil {
		return 0, db.wrap(err, "read index version")
	}
	v, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil || v < 1 {
		return 0, fmt.Errorf("index:host-keys-from = %q: not a chunk id", raw)
	}
	db.hostFrom.Store(v)
	return v, nil
}

// scan visits the candidate chunks of pl newest first (by their newest
// event), handing visit each chunk's id and newest time (which names its
// partition on PostgreSQL); it stops when visit returns false or
// stop(maxTime) is true for the next chunk. tx is the search's snapshot.
func (db *DB) scan(ctx context.Context, tx *sql.Tx, pl *plan, stop func(maxTime int64) bool, visit func(id, maxTime int64) (bool, error)) error {
	type meta struct{ id, maxTime int64 }
	var last *meta
	for {
		var query string
		var qargs []any
		if last == nil {
			query, qargs = scanSQL(pl, false, 0, 0)
		} else {
			query, qargs = scanSQL(pl, true, last.maxTime, last.id)
		}
		rows, err := db.D.QueryChunks(ctx, tx, query, qargs, pl.tokens)
		if err != nil {
			return db.wrap(err, "search events")
		}
		ms := make([]meta, len(rows))
		for i, r := range rows {
			ms[i] = meta{r[0], r[1]}
		}
		for i := range ms {
			if stop != nil && stop(ms[i].maxTime) {
				return nil
			}
			more, err := visit(ms[i].id, ms[i].maxTime)
			if err != nil || !more {
				return err
			}
		}
		if len(ms) < metaPage {
			return nil
		}
		last = &ms[len(ms)-1]
	}
}

// metaPage is how many candidate chunks one query of scan lists.
const metaPage = 256

// scanSQL is the query of scan's page of candidate chunks, after the
// chunk (maxTime, id) when after. Every time condition is on max_time,
// the key PostgreSQL partitions chunks by (schema 0012), so the partitions
// before a search's from, and after the page's last chunk, are pruned.
func scanSQL(pl *plan, after bool, maxTime, id int64) (string, []any) {
	query, args := `SELECT id, max_time FROM event_chunks WHERE `+pl.where, pl.args
	if after {
		n := len(pl.args)
		query += fmt.Sprintf(` AND max_time <= $%d AND (max_time < $%d OR id < $%d)`, n+1, n+1, n+2)
		args = append(slices.Clip(pl.args), maxTime, id)
	}
	return query + ` ORDER BY max_time DESC, id DESC LIMIT ` + strconv.Itoa(metaPage), args
}

// ExplainEvents returns the database's plan (EXPLAIN, without costs) of
// the first query listing q's candidate chunks: on PostgreSQL it shows
// which time partitions a search reads.
func (db *DB) ExplainEvents(ctx context.Context, q store.EventQuery) (string, error) {
	pl, err := db.compile(ctx, q)
	if err != nil {
		return "", err
	}
	query, args := scanSQL(pl, false, 0, 0)
	explain := `EXPLAIN (COSTS OFF) `
	if db.D.Name() != "postgres" {
		explain = `EXPLAIN QUERY PLAN `
	}
	rows, err := db.R.QueryContext(ctx, explain+query, args...)
	if err != nil {
		return "", db.wrap(err, "explain search")
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	vals := make([]any, len(cols))
	for rows.Next() {
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		fmt.Fprintln(&sb, vals[len(vals)-1])
	}
	return sb.String(), db.wrap(rows.Err(), "explain search")
}

// SearchEvents returns one page of a project's events, newest first: it
// lists the candidate chunks newest first, decodes them and filters their
// events exactly, and stops once no further chunk can hold an event newer
// than the page's last. It reads one snapshot: compaction moves events
// into new chunks and deletes the old ones while pages are read, and a
// listing and reads from different moments could see an event twice or
// not at all.
func (db *DB) SearchEvents(ctx context.Context, q store.EventQuery) (store.EventPage, error) {
	page := store.EventPage{Events: []store.Event{}}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	if limit > store.MaxEventLimit {
		limit = store.MaxEventLimit
	}
	pl, err := db.compile(ctx, q)
	if err != nil || pl.none {
		return page, err
	}
	tx, err := db.snapshot(ctx)
	if err != nil {
		return page, err
	}
	defer tx.Rollback()
	key := pl.m.Key()
	var found []store.Event
	// full reports whether found holds limit+1 events all newer than any
	// event of a chunk whose newest event is at maxTime.
	full := func(maxTime int64) bool {
		return len(found) > limit && maxTime < chunk.NS(found[limit].Time)
	}
	err = db.scan(ctx, tx, pl, full, func(id, maxTime int64) (bool, error) {
		evs, err := db.searchChunk(ctx, tx, id, maxTime, pl.m, key)
		if err != nil {
			return false, err
		}
		found = append(found, evs...)
		if len(found) > limit {
			slices.SortFunc(found, newestFirst)
			found = slices.Clip(found[:limit+1])
		}
		return true, nil
	})
	if err != nil {
		return page, err
	}
	slices.SortFunc(found, newestFirst)
	if len(found) > limit {
		found = found[:limit]
		e := found[limit-1]
		page.NextCursor = cursor(chunk.NS(e.Time), e.ID)
	}
	page.Events = append(page.Events, found...)
	return page, nil
}

// EventFacets counts the events q matches by level, service and host,
// newest chunks first, up to store.MaxFacetEvents. Events are only
// counted, never kept: the filter rejects every one after counting it.
func (db *DB) EventFacets(ctx context.Context, q store.EventQuery) (store.Facets, error) {
	f := store.Facets{Levels: map[string]int64{}, Services: map[string]int64{}, Hosts: map[string]int64{}, Complete: true}
	q.Cursor = ""
	pl, err := db.compile(ctx, q)
	if err != nil || pl.none {
		return f, err
	}
	tx, err := db.snapshot(ctx)
	if err != nil {
		return f, err
	}
	defer tx.Rollback()
	count := func(e *store.Event) bool {
		if !pl.m.Match(e) {
			return false
		}
		f.Counted++
		f.Levels[e.Level.String()]++
		if e.Service != "" {
			f.Services[e.Service]++
		}
		if e.Host != "" {
			f.Hosts[e.Host]++
		}
		return false
	}
	err = db.scan(ctx, tx, pl, nil, func(id, maxTime int64) (bool, error) {
		if f.Counted >= store.MaxFacetEvents {
			f.Complete = false
			return false, nil
		}
		_, err := db.chunkEvents(ctx, tx, id, maxTime, count)
		return err == nil, err
	})
	return f, err
}

// ScanEvents hands fn every event q matches, chunk by chunk; see
// store.Store. Chunks are read through chunkEvents, never the search
// cache, so an export of a large project does not fill the cache. It reads
// one snapshot, like SearchEvents: compaction moving events meanwhile
// neither repeats nor drops one.
func (db *DB) ScanEvents(ctx context.Context, q store.EventQuery, fn func(store.Event) error) error {
	q.Cursor = ""
	pl, err := db.compile(ctx, q)
	if err != nil || pl.none {
		return err
	}
	tx, err := db.snapshot(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return db.scan(ctx, tx, pl, nil, func(id, maxTime int64) (bool, error) {
		evs, err := db.chunkEvents(ctx, tx, id, maxTime, pl.m.Match)
		if err != nil {
			return false, err
		}
		for i := range evs {
			if err := fn(evs[i]); err != nil {
				return false, err
			}
		}
		return true, nil
	})
}

// snapshot begins a read-only transaction that sees one state of the
// database throughout: SQLite's WAL read transaction, PostgreSQL's
// REPEATABLE READ.
func (db *DB) snapshot(ctx context.Context) (*sql.Tx, error) {
	var opts *sql.TxOptions
	if db.D.Name() == "postgres" {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	tx, err := db.R.BeginTx(ctx, opts)
	return tx, db.wrap(err, "search events")
}

func newestFirst(a, b store.Event) int {
	if c := b.Time.Compare(a.Time); c != 0 {
		return c
	}
	return cmpInt(b.ID, a.ID)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// QueryPairs runs query and returns its rows of two integers.
func QueryPairs(ctx context.Context, q interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}, query string, args ...any) ([][2]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]int64
	for rows.Next() {
		var r [2]int64
		if err := rows.Scan(&r[0], &r[1]); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// searchChunk returns the events of chunk id that m matches, through the
// search cache: the chunk's matches for m's query whatever the cursor are
// cached, and the cursor applied to them.
func (db *DB) searchChunk(ctx context.Context, tx *sql.Tx, id, maxTime int64, m *chunk.Matcher, query string) ([]store.Event, error) {
	evs, ok := db.cache.Get(query, id)
	if !ok {
		var err error
		if evs, err = db.chunkEvents(ctx, tx, id, maxTime, m.MatchQuery); err != nil {
			return nil, err
		}
		db.cache.Put(query, id, evs)
	}
	if !m.HasCursor {
		return evs, nil // the caller copies them into its page
	}
	var out []store.Event
	for i := range evs {
		if m.Before(&evs[i]) {
			out = append(out, evs[i])
		}
	}
	return out, nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// chunkEvents reads and decodes one chunk, keeping the events keep
// accepts (all when nil); each carries its batch id.
func (db *DB) chunkEvents(ctx context.Context, q querier, id, maxTime int64, keep func(*store.Event) bool) ([]store.Event, error) {
	var data []byte
	var batch store.BatchID
	// maxTime names the chunk's partition on PostgreSQL (schema 0012),
	// which then reads one partition's index instead of every day's.
	if err := q.QueryRowContext(ctx, `SELECT data, batch_id FROM event_chunks WHERE id = $1 AND max_time = $2`, id, maxTime).Scan(&data, &batch); err != nil {
		return nil, db.wrap(err, "read event chunk")
	}
	evs, err := chunk.Decode(id, batch, data, keep)
	if err != nil {
		return nil, fmt.Errorf("event chunk %d: %w", id, err)
	}
	return evs, nil
}

// deleteChunks removes p's events older than before (all when before is
// zero): whole chunks when all their events are older, and rewrites the
// chunks that straddle the cut-off, keeping their newer events, ids and
// batch ids (as a version-2 chunk).
func (db *DB) deleteChunks(ctx context.Context, tx *sql.Tx, p cloudsage.ProjectID, before time.Time) (int64, error) {
	// Holding the project's state row keeps the compactor (which takes it
	// too) from moving events into chunks this listing would not see.
	if _, err := db.D.LockState(ctx, tx, p); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("lock project: %w", err)
	}
	cond, args := `project_id = $1`, []any{p}
	if !before.IsZero() {
		cond, args = cond+` AND min_time < $2`, append(args, chunk.NS(before))
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, max_time, n FROM event_chunks WHERE `+cond+` ORDER BY id`, args...)
	if err != nil {
		return 0, fmt.Errorf("old event chunks: %w", err)
	}
	var drop, dropTimes []int64
	var straddle [][2]int64 // id, max_time
	var n int64
	for rows.Next() {
		var id, maxTime, cn int64
		if err := rows.Scan(&id, &maxTime, &cn); err != nil {
			rows.Close()
			return 0, err
		}
		if before.IsZero() || maxTime < chunk.NS(before) {
			drop, dropTimes = append(drop, id), append(dropTimes, maxTime)
			n += cn
		} else {
			straddle = append(straddle, [2]int64{id, maxTime})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for len(drop) > 0 {
		k := min(len(drop), 500)
		db.cache.Drop(drop[:k])
		if err := db.D.DeleteChunks(ctx, tx, drop[:k], dropTimes[:k]); err != nil {
			return 0, fmt.Errorf("delete event chunks: %w", err)
		}
		drop, dropTimes = drop[k:], dropTimes[k:]
	}
	cut := chunk.NS(before)
	for _, s := range straddle {
		id := s[0]
		evs, err := db.chunkEvents(ctx, tx, id, s[1], nil)
		if err != nil {
			return 0, err
		}
		keep := make([]store.Event, 0, len(evs))
		for i := range evs {
			if chunk.NS(evs[i].Time) >= cut {
				keep = append(keep, evs[i])
			}
		}
		n += int64(len(evs) - len(keep))
		if len(keep) == len(evs) {
			continue
		}
		db.cache.Drop([]int64{id})
		if len(keep) == 0 {
			// Not reached (the chunk's newest event is not older than the
			// cut), but an empty chunk is no chunk.
			if err := db.D.DeleteChunks(ctx, tx, []int64{id}, []int64{s[1]}); err != nil {
				return 0, fmt.Errorf("delete event chunk: %w", err)
			}
			continue
		}
		c := chunk.Rebuild(p, keep)[0]
		c.ID = id
		if err := db.D.UpdateChunk(ctx, tx, &c); err != nil {
			return 0, fmt.Errorf("rewrite event chunk: %w", err)
		}
	}
	return n, nil
}

// ConvertLegacy moves the per-event rows of schema 0001 (table events)
// into chunks, a few thousand per transaction (an interrupted conversion
// resumes on the next start). Open calls it after migrating; once done it
// costs one empty query.
func (db *DB) ConvertLegacy(ctx context.Context) error {
	for {
		n, err := db.convertSome(ctx, 4*chunk.MaxEvents)
		if err != nil {
			return fmt.Errorf("convert events to chunks: %w", err)
		}
		if n == 0 {
			return nil
		}
	}
}

func (db *DB) convertSome(ctx context.Context, limit int) (int, error) {
	var n int
	err := db.tx(ctx, "convert events", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, `+legacyCols+` FROM events ORDER BY id LIMIT $1`, limit)
		if err != nil {
			return err
		}
		type key struct {
			p cloudsage.ProjectID
			b store.BatchID
		}
		var groups []key
		byKey := map[key][]cloudsage.Event{}
		var maxID int64
		for rows.Next() {
			e, p, err := scanLegacy(rows)
			if err != nil {
				rows.Close()
				return err
			}
			k := key{p, e.BatchID}
			if _, ok := byKey[k]; !ok {
				groups = append(groups, k)
			}
			byKey[k] = append(byKey[k], e.Event)
			maxID = max(maxID, e.ID)
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil || n == 0 {
			return err
		}
		for _, k := range groups {
			cs := chunk.Build(k.p, byKey[k])
			for i := range cs {
				cs[i].Batch = k.b
			}
			if err := db.D.InsertChunks(ctx, tx, cs); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM events WHERE id <= $1`, maxID)
		return err
	})
	return n, err
}

// legacyCols are the columns of a schema-0001 event row after its id.
const legacyCols = `project_id, batch_id, time, level, service, host, pattern, format, message, raw, fields, signals, time_guessed`

func scanLegacy(rows *sql.Rows) (store.Event, cloudsage.ProjectID, error) {
	var e store.Event
	var p cloudsage.ProjectID
	var t int64
	var level, tg int
	var raw, fields, sig *string
	if err := rows.Scan(&e.ID, &p, &e.BatchID, &t, &level, &e.Service, &e.Host, &e.Pattern, &e.Format, &e.Message, &raw, &fields, &sig, &tg); err != nil {
		return e, p, err
	}
	e.Time, e.Level, e.TimeGuessed = chunk.FromNS(t), cloudsage.Level(level), tg != 0
	if raw != nil {
		e.Raw = *raw
	} else {
		e.Raw = e.Message
	}
	if fields != nil {
		json.Unmarshal([]byte(*fields), &e.Fields)
	}
	if sig != nil {
		var s signals
		json.Unmarshal([]byte(*sig), &s)
		e.Signals = cloudsage.Signals(s)
	}
	return e, p, nil
}
