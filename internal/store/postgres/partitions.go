package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store/sqlstore"
)

// Event chunks on PostgreSQL are partitioned by RANGE on max_time, one
// partition a UTC day (schema 0012): a search from a time prunes the days
// before it, and retention drops a day whole once it is older than the
// cut-off of every project with chunks in it, instead of deleting its rows.
// Days because retention is set in days: a partition of a week would be
// emptied row by row, a day at a time, before it could be dropped.
// Partitions are shared by projects, whose retentions differ; a day that
// still holds a project's unexpired chunks stays, and the other projects'
// chunks in it are deleted row by row as before (sqlstore.RetireEvents).
//
// Partitions are made ahead of need: by ingest, for the days of the chunks
// it writes that have none yet, in a transaction of their own; and by the
// retention sweep (one replica at a time, under its advisory lock) for
// today and the next days, moving to their day what the DEFAULT partition
// caught meanwhile. DEFAULT takes any time without a partition, so an
// insert never fails, whatever its time and however partitioning fares.

// dayNS is a partition's width in Unix nanoseconds.
const dayNS = int64(24 * time.Hour)

// Days further than these from today get no partition of their own
// (DEFAULT keeps them): a mis-read year should not make a partition.
const (
	partitionsBack  = 3650 // the longest retention
	partitionsAhead = 7
)

// partitionName names the partition of day (days since the Unix epoch).
func partitionName(day int64) string {
	return "event_chunks_p" + time.Unix(day*86400, 0).UTC().Format("20060102")
}

// partitionDay is the day a partition name stands for.
func partitionDay(name string) (int64, bool) {
	s, ok := strings.CutPrefix(name, "event_chunks_p")
	if !ok {
		return 0, false
	}
	t, err := time.Parse("20060102", s)
	if err != nil {
		return 0, false
	}
	return t.Unix() / 86400, true
}

// partitions tracks which days have a partition, so that ingest asks the
// database only for a day it has not seen.
type partitions struct {
	db  *sql.DB
	now func() time.Time

	mu     sync.Mutex
	known  map[int64]bool
	failed map[int64]time.Time // a day whose creation failed, and when
}

// retryAfter is how long ingest leaves a day whose partition could not be
// made (its chunks go to DEFAULT) before trying again.
const retryAfter = time.Minute

// need makes the partitions of the chunks' days (max_time) that ingest
// has not seen yet. It runs in its own transaction, so a failure (a lock
// not had within a second) costs the ingest nothing: its chunks go to
// DEFAULT, and the sweep moves them later.
func (ps *partitions) need(ctx context.Context, maxTimes func(yield func(int64) bool)) {
	if ps == nil {
		return
	}
	today := ps.now().Unix() / 86400
	var days []int64
	ps.mu.Lock()
	for t := range maxTimes {
		d := floorDiv(t, dayNS)
		if ps.known[d] || d < today-partitionsBack || d > today+partitionsAhead {
			continue
		}
		if at, ok := ps.failed[d]; ok && ps.now().Sub(at) < retryAfter {
			continue
		}
		ps.known[d] = true // once per day, however many chunks
		days = append(days, d)
	}
	ps.mu.Unlock()
	if len(days) == 0 {
		return
	}
	if err := ps.make(ctx, days); err != nil {
		ps.mu.Lock()
		for _, d := range days {
			delete(ps.known, d)
			ps.failed[d] = ps.now()
		}
		ps.mu.Unlock()
	}
}

// lockKey is the transaction advisory lock that serialises making
// partitions across replicas (and keeps test schemas apart).
const lockKey = `hashtextextended('cloudsage partitions in ' || current_schema(), 0)`

// make creates the partitions of days that do not exist yet, moving into
// each what DEFAULT holds of its day.
func (ps *partitions) make(ctx context.Context, days []int64) error {
	tx, err := ps.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// Attaching locks DEFAULT exclusively: wait for readers a moment only.
	if _, err := tx.ExecContext(ctx, `SET LOCAL lock_timeout = '1s'`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(`+lockKey+`)`); err != nil {
		return err
	}
	// A new partition copies the columns' storage and (PostgreSQL 14 on)
	// compression, the token array's lz4 (schema 0015).
	like := `INCLUDING DEFAULTS INCLUDING STORAGE`
	var v14 bool
	if err := tx.QueryRowContext(ctx, `SELECT current_setting('server_version_num')::int >= 140000`).Scan(&v14); err != nil {
		return err
	}
	if v14 {
		like += ` INCLUDING COMPRESSION`
	}
	for _, d := range days {
		name := partitionName(d)
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&exists); err != nil {
			return err
		}
		if exists {
			continue
		}
		lo, hi := d*dayNS, (d+1)*dayNS
		// A table of its own attached as a partition needs only a SHARE
		// UPDATE EXCLUSIVE lock of event_chunks (CREATE TABLE ... PARTITION
		// OF would block every search); its CHECK spares the attach a scan.
		// The fillfactor leaves room for compaction's HOT updates of run
		// (migration 0014).
		for _, q := range []string{
			fmt.Sprintf(`CREATE TABLE %s (LIKE event_chunks %s) WITH (fillfactor = 80)`, name, like),
			fmt.Sprintf(`ALTER TABLE %s ADD CONSTRAINT %s_range CHECK (max_time >= %d AND max_time < %d)`, name, name, lo, hi),
			fmt.Sprintf(`WITH moved AS (DELETE FROM event_chunks_default WHERE max_time >= %d AND max_time < %d RETURNING *) INSERT INTO %s SELECT * FROM moved`, lo, hi, name),
			fmt.Sprintf(`ALTER TABLE event_chunks ATTACH PARTITION %s FOR VALUES FROM (%d) TO (%d)`, name, lo, hi),
			fmt.Sprintf(`ALTER TABLE %s DROP CONSTRAINT %s_range`, name, name),
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("partition %s: %w", name, err)
			}
		}
	}
	return tx.Commit()
}

// Maintain makes the partitions of yesterday to a few days ahead, and of
// every day the DEFAULT partition holds chunks of (moving them there).
func (ps *partitions) Maintain(ctx context.Context) error {
	if ps == nil {
		return nil
	}
	today := ps.now().Unix() / 86400
	days := []int64{today - 1, today, today + 1, today + 2}
	rows, err := queryColumn[int64](ctx, ps.db, `SELECT DISTINCT max_time / $1 FROM event_chunks_default WHERE max_time >= $2 AND max_time < $3`,
		dayNS, (today-partitionsBack)*dayNS, (today+partitionsAhead+1)*dayNS)
	if err != nil {
		return fmt.Errorf("days in the default partition: %w", err)
	}
	days = append(days, rows...)
	if err := ps.make(ctx, days); err != nil {
		return fmt.Errorf("make event partitions: %w", err)
	}
	ps.mu.Lock()
	for _, d := range days {
		ps.known[d] = true
	}
	ps.mu.Unlock()
	return nil
}

// DropExpired implements sqlstore.Partitioned: it drops every day
// partition whose end is at or before the cut-off of each project with
// chunks in it (a project missing from cuts keeps its chunks), in tx, and
// returns the events dropped per project. Writers of event_chunks wait
// while it recounts the days that looked expired without a lock, so no
// chunk lands in a partition as it is dropped;
// searches go on until the drop itself, which waits for them at most a
// few seconds (lock_timeout; the next sweep tries again).
func (d dialect) DropExpired(ctx context.Context, tx *sql.Tx, cuts map[cloudsage.ProjectID]int64) (map[cloudsage.ProjectID]int64, error) {
	if len(cuts) == 0 {
		return nil, nil
	}
	latest := int64(0)
	for _, c := range cuts {
		latest = max(latest, c)
	}
	rows, err := tx.QueryContext(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'event_chunks'::regclass ORDER BY c.relname`)
	if err != nil {
		return nil, err
	}
	var old []int64
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return nil, err
		}
		if day, ok := partitionDay(name); ok && (day+1)*dayNS <= latest {
			old = append(old, day)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(old) == 0 {
		return nil, err
	}
	// expired reports whether every project with chunks in day's
	// partition has retired the day (a project missing from cuts has not).
	expired := func(day int64, projects []int64) bool {
		for _, p := range projects {
			if cut, ok := cuts[cloudsage.ProjectID(p)]; !ok || cut < (day+1)*dayNS {
				return false
			}
		}
		return true
	}
	// A first look without locking: when a project keeps longer than the
	// others no old day may go, and ingest should not wait for the look.
	var candidates []int64
	for _, day := range old {
		ps, err := queryColumn[int64](ctx, tx, `SELECT DISTINCT project_id FROM `+partitionName(day))
		if err != nil {
			return nil, err
		}
		if expired(day, ps) {
			candidates = append(candidates, day)
		}
	}
	if len(candidates) == 0 {
		return nil, nil
	}
	if _, err := tx.ExecContext(ctx, `SET LOCAL lock_timeout = '5s'`); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `LOCK TABLE event_chunks IN SHARE ROW EXCLUSIVE MODE`); err != nil {
		return nil, err
	}
	out := map[cloudsage.ProjectID]int64{}
	var drop []string
	for _, day := range candidates {
		name := partitionName(day)
		counts, err := sqlstore.QueryPairs(ctx, tx, `SELECT project_id, SUM(n) FROM `+name+` GROUP BY project_id`)
		if err != nil {
			return nil, err
		}
		ps := make([]int64, len(counts))
		for i, c := range counts {
			ps[i] = c[0]
		}
		if !expired(day, ps) {
			continue // a chunk landed since the first look
		}
		for _, c := range counts {
			out[cloudsage.ProjectID(c[0])] += c[1]
		}
		drop = append(drop, name)
	}
	if len(drop) > 0 {
		if _, err := tx.ExecContext(ctx, `DROP TABLE `+strings.Join(drop, ", ")); err != nil {
			return nil, err
		}
	}
	if d.parts != nil {
		d.parts.mu.Lock()
		for _, name := range drop {
			day, _ := partitionDay(name)
			delete(d.parts.known, day)
		}
		d.parts.mu.Unlock()
	}
	return out, nil
}

// PartitionStart implements sqlstore.Partitioned: the start of t's day.
func (dialect) PartitionStart(t int64) int64 { return floorDiv(t, dayNS) * dayNS }

// Maintain implements sqlstore.Partitioned.
func (d dialect) Maintain(ctx context.Context) error { return d.parts.Maintain(ctx) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// queryColumn runs q and returns its one column.
func queryColumn[T any](ctx context.Context, db interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}, q string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Vacuum implements sqlstore.Vacuumer: it vacuums the partitions of the
// days of maxTimes (DEFAULT for a day without one) and the tables every
// batch updates, skipping any that another session has locked (a
// partition being dropped, say): the next vacuum takes them. Without
// indexes, dead rows' space is freed (INDEX_CLEANUP OFF) but their index
// entries and line pointers stay until a vacuum with indexes.
func (dialect) Vacuum(ctx context.Context, db *sql.DB, maxTimes []int64, indexes bool) error {
	tables := []string{"project_state", "notify_state", "patterns"}
	if len(maxTimes) > 0 {
		days := map[int64]bool{}
		for _, t := range maxTimes {
			days[floorDiv(t, dayNS)] = true
		}
		names, err := queryColumn[string](ctx, db, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
			WHERE i.inhparent = 'event_chunks'::regclass`)
		if err != nil {
			return err
		}
		have := 0
		for _, name := range names {
			if day, ok := partitionDay(name); ok && days[day] {
				have++
				tables = append(tables, name)
			}
		}
		if have < len(days) {
			tables = append(tables, "event_chunks_default")
		}
	}
	opts := `SKIP_LOCKED`
	if !indexes {
		opts += `, INDEX_CLEANUP OFF`
	}
	_, err := db.ExecContext(ctx, `VACUUM (`+opts+`) `+strings.Join(tables, ", "))
	return err
}
