package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"maps"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/chunk"
	"github.com/cloudsage/cloudsage/internal/store"
)

// Compaction. Each batch's chunks form a sorted run (chunk.Build orders a
// batch by time), but batches overlap in time: logs sent late, replayed,
// or from many sources at once. A newest-first page must then read, for
// every run, the chunk that straddles the cursor: with a hundred batches
// over the same hours, a hundred chunks a page. Compaction merges runs
// into larger sorted runs in the background (size-tiered, like an LSM
// tree), so a project keeps a few runs per size tier and a page reads a
// few chunks per tier.
//
// A merge job takes fanIn(tier) runs of one tier and moves their chunks,
// the earliest first, compactStepChunks at a time into one output run: one
// transaction per step deletes the input chunks and inserts the output
// ones, so an event is never visible twice or not at all, and a crash
// loses at most the step in flight (the next plan merges what is left).
// Events keep their ids and batch ids (version-2 chunks store them), so a
// cursor handed out before a step is still exact after it; searches read
// one snapshot (SearchEvents), so a step never lands half-way through a
// page.

const (
	// compactFanIn is how many runs of the smallest tier (under
	// compactFanIn chunks: small batches) a job merges. With 8 instead of
	// 4 an event is rewritten half as often (log8 instead of log4 of the
	// runs), for up to 7 runs of the tier that a page may read a chunk of.
	compactFanIn = 8
	// compactFanInBig is how many runs of a higher tier a job merges, and
	// the factor by which those tiers grow. Every merge rewrites each of
	// its events (decoded, re-encoded, re-indexed), and a run of batches
	// of ten chunks went through one merge per factor of 8: at 4 M bench
	// lines (400 batches) every event was rewritten twice, half of the
	// server's CPU. With 32 it is log32 instead of log8 of the runs (once
	// at 4 M lines), for up to 31 runs a tier that a page may read one
	// straddling chunk of: a chunk decode each, where a rewrite costs
	// every event's encoding and indexing again.
	compactFanInBig = 32
	// compactStepChunks is how many input chunks one step's transaction
	// moves: bounded work (about 30 k events) whatever the runs' sizes.
	compactStepChunks = 32
)

// runKey is the SQL of a chunk's run: its compaction run, else its batch.
const runKey = `CASE WHEN run <> 0 THEN run ELSE batch_id END`

type runInfo struct {
	key    int64
	events int64
}

// runTier is the size tier of a run of n events: tier 0 under
// compactFanIn chunks, then tiers growing by a factor of compactFanInBig
// (tier 1 from compactFanIn chunks, tier 2 from compactFanIn *
// compactFanInBig, ...).
func runTier(n int64) int {
	c := n / chunk.MaxEvents
	if c < compactFanIn {
		return 0
	}
	return 1 + (bits.Len64(uint64(c/compactFanIn))-1)/tierBits
}

// tierBits is log2(compactFanInBig).
var tierBits = bits.Len(compactFanInBig) - 1

// fanIn is how many runs of tier t a job merges.
func fanIn(t int) int {
	if t == 0 {
		return compactFanIn
	}
	return compactFanInBig
}

// compactJob is a planned merge: the input runs and the output run's key.
type compactJob struct {
	project cloudsage.ProjectID
	inputs  []int64
	output  int64
	// touched are the max_time of the chunks its steps rewrote or moved
	// (their old versions are dead rows until a vacuum, see Vacuumer).
	touched []int64
}

// Vacuumer is a Dialect whose database keeps a rewritten or deleted row's
// old version until it is vacuumed (PostgreSQL): compaction rewrites most
// events a few times, and every batch rewrites its project's state row
// and engine snapshot. Unvacuumed, that space is not used again and the
// files grow by the size of every rewrite (at 200k bench lines, relations
// of 33.5 MB for 10 MB of live rows, with autovacuum off or not yet come
// round). So the compactor vacuums as it goes, and later steps, merges
// and batches reuse the space; autovacuum, where it runs, finds little
// left to do.
type Vacuumer interface {
	// Vacuum reclaims the dead rows of the event chunks whose max_time
	// are given (PostgreSQL: of their partitions) and of the tables every
	// batch updates; their indexes' dead entries too when indexes (which
	// reads every index of those tables whole), else only the rows' space.
	// A failure does no harm: the next vacuum does the work.
	Vacuum(ctx context.Context, db *sql.DB, maxTimes []int64, indexes bool) error
}

// planCompaction returns the next merge of p's runs, or nil when no tier
// holds fanIn(tier) runs.
func (db *DB) planCompaction(ctx context.Context, p cloudsage.ProjectID) (*compactJob, error) {
	// On SQLite the writer reads it: a reader's page cache is dropped
	// whenever a commit came in since its last read, and the writer's
	// keeps the pages. The read stays on the index event_chunks_runs
	// (SQLite schema 0014): run sits after data in the row (0008 added
	// it), and reading it from the table walked every chunk's overflow
	// pages (14% of the server's CPU during ingest).
	q := db.R
	if db.D.Name() == "sqlite" {
		q = db.W
	}
	rows, err := q.QueryContext(ctx, `SELECT `+runKey+`, SUM(n), MAX(id) FROM event_chunks WHERE project_id = $1 GROUP BY 1`, p)
	if err != nil {
		return nil, db.wrap(err, "plan compaction")
	}
	defer rows.Close()
	tiers := map[int][]runInfo{}
	var maxID int64
	for rows.Next() {
		var r runInfo
		var top int64
		if err := rows.Scan(&r.key, &r.events, &top); err != nil {
			return nil, db.wrap(err, "plan compaction")
		}
		maxID = max(maxID, top)
		tiers[runTier(r.events)] = append(tiers[runTier(r.events)], r)
	}
	if err := rows.Err(); err != nil {
		return nil, db.wrap(err, "plan compaction")
	}
	for _, t := range slices.Sorted(maps.Keys(tiers)) {
		rs := tiers[t]
		if len(rs) < fanIn(t) {
			continue
		}
		slices.SortFunc(rs, func(a, b runInfo) int { return cmp.Or(cmp.Compare(a.events, b.events), cmp.Compare(a.key, b.key)) })
		job := &compactJob{project: p, output: -(maxID + 1)}
		for _, r := range rs[:fanIn(t)] {
			job.inputs = append(job.inputs, r.key)
		}
		return job, nil
	}
	return nil, nil
}

// compactStep moves the earliest compactStepChunks chunks of the job's
// input runs into its output run, in one transaction. It reports false
// when the inputs are used up (or the project is gone).
//
// A chunk whose time range overlaps no other chunk of the step, and that
// is at least half full, already is a sorted piece of the output run: it
// only changes run (no decoding, encoding, tokenizing nor re-indexing).
// Logs that arrive in time order merge this way at the cost of an UPDATE.
// The other chunks are decoded, merged by time and re-encoded, each
// stretch of them between two moved chunks on its own, so that the output
// chunks do not straddle a moved one.
func (db *DB) compactStep(ctx context.Context, job *compactJob) (bool, error) {
	var done []int64 // input chunks moved or rebuilt
	var rebuilt, touched []int64
	err := db.tx(ctx, "compact events", func(tx *sql.Tx) error {
		done, rebuilt, touched = done[:0], rebuilt[:0], touched[:0]
		// Serialises with ingest and with another replica's compactor on
		// PostgreSQL (SQLite has one writer anyway).
		if _, err := db.D.LockState(ctx, tx, job.project); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			return err
		}
		pick := `SELECT id, min_time, max_time, n FROM event_chunks WHERE project_id = $1 AND ` + inRuns(job.inputs) +
			` ORDER BY min_time, id LIMIT ` + strconv.Itoa(compactStepChunks)
		if db.D.Name() == "postgres" {
			pick += ` FOR UPDATE`
		}
		cs, err := pickChunks(ctx, tx, pick, job.project)
		if err != nil || len(cs) == 0 {
			return err
		}
		var moveIDs, moveTimes, dropIDs, dropTimes []int64
		var out []chunk.Chunk
		var stretch []pickedChunk
		flush := func() error {
			if len(stretch) == 0 {
				return nil
			}
			n := 0
			for _, c := range stretch {
				n += int(c.n)
			}
			evs := make([]store.Event, 0, n)
			for _, c := range stretch {
				part, err := db.chunkEvents(ctx, tx, c.id, c.maxTime, nil)
				if err != nil {
					return err
				}
				evs = append(evs, part...)
				dropIDs, dropTimes = append(dropIDs, c.id), append(dropTimes, c.maxTime)
			}
			out = append(out, chunk.RebuildPtrs(job.project, byTimeID(evs))...)
			stretch = stretch[:0]
			return nil
		}
		for i := 0; i < len(cs); {
			// cs[i:j] is a group of chunks whose time ranges overlap.
			j, hi := i+1, cs[i].maxTime
			for j < len(cs) && cs[j].minTime <= hi {
				hi = max(hi, cs[j].maxTime)
				j++
			}
			if j == i+1 && cs[i].n >= chunk.MaxEvents/2 {
				if err := flush(); err != nil {
					return err
				}
				moveIDs, moveTimes = append(moveIDs, cs[i].id), append(moveTimes, cs[i].maxTime)
			} else {
				stretch = append(stretch, cs[i:j]...)
			}
			i = j
		}
		if err := flush(); err != nil {
			return err
		}
		for i := range out {
			out[i].Run = job.output
		}
		if len(moveIDs) > 0 {
			if err := db.D.MoveChunks(ctx, tx, job.output, moveIDs, moveTimes); err != nil {
				return err
			}
		}
		if len(dropIDs) > 0 {
			if err := db.D.DeleteChunks(ctx, tx, dropIDs, dropTimes); err != nil {
				return err
			}
			if err := db.D.InsertChunks(ctx, tx, out); err != nil {
				return err
			}
		}
		done = append(append(done, moveIDs...), dropIDs...)
		rebuilt = dropIDs
		touched = append(append(touched[:0], moveTimes...), dropTimes...)
		return nil
	})
	if err != nil {
		return false, err
	}
	job.touched = append(job.touched, touched...)
	db.cache.Drop(rebuilt) // a moved chunk's events and ids are unchanged
	return len(done) > 0, nil
}

// byTimeID returns pointers to evs ordered by time, then id. It sorts
// keys and pointers, not the events: sorting a step's 30 k events
// themselves moved each a few hundred bytes at a time, 5% of the server's
// CPU during ingest at 4 M bench lines.
func byTimeID(evs []store.Event) []*store.Event {
	// Seconds and nanoseconds order every time.Time as Compare does (Unix
	// nanoseconds would not, outside the years 1678 to 2262).
	type key struct {
		sec, id int64
		nsec    int
		e       *store.Event
	}
	keys := make([]key, len(evs))
	for i := range evs {
		t := evs[i].Time
		keys[i] = key{t.Unix(), evs[i].ID, t.Nanosecond(), &evs[i]}
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.sec, b.sec), cmp.Compare(a.nsec, b.nsec), cmp.Compare(a.id, b.id))
	})
	out := make([]*store.Event, len(keys))
	for i := range keys {
		out[i] = keys[i].e
	}
	return out
}

// inRuns is the SQL condition that a chunk belongs to one of the runs
// keys: batch runs (keys not below 0) on batch_id with run = 0, merged
// runs on run. On SQLite a step's pick reads only the index
// event_chunks_runs (schema 0014), not the rows, whose run sits after
// the chunk's data.
func inRuns(keys []int64) string {
	var batches, runs []string
	for _, k := range keys {
		if k >= 0 { // a batch's own run (run = 0)
			batches = append(batches, strconv.FormatInt(k, 10))
		} else {
			runs = append(runs, strconv.FormatInt(k, 10))
		}
	}
	var conds []string
	if len(batches) > 0 {
		conds = append(conds, `batch_id IN (`+strings.Join(batches, ",")+`) AND run = 0`)
	}
	if len(runs) > 0 {
		conds = append(conds, `run IN (`+strings.Join(runs, ",")+`)`)
	}
	return `(` + strings.Join(conds, ` OR `) + `)`
}

// pickedChunk is a chunk a compaction step takes, without its data.
type pickedChunk struct{ id, minTime, maxTime, n int64 }

func pickChunks(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]pickedChunk, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []pickedChunk
	for rows.Next() {
		var c pickedChunk
		if err := rows.Scan(&c.id, &c.minTime, &c.maxTime, &c.n); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// compactProject runs merge jobs on p until its runs need none. (The
// PostgreSQL GIN index has no pending list to tidy after them since schema
// 0015: entries go into the index directly.) Where the database needs it
// (Vacuumer), each step's old chunks are vacuumed after it, without their
// index entries, so that the next step reuses their space, and a job's
// partitions are vacuumed whole, indexes included, when it ends.
func (db *DB) compactProject(ctx context.Context, p cloudsage.ProjectID) error {
	v, _ := db.D.(Vacuumer)
	vacuum := func(maxTimes []int64, indexes bool) {
		// Not fatal: the next vacuum does the work.
		_ = v.Vacuum(ctx, db.W, maxTimes, indexes)
		db.vacuumedAt.Store(time.Now().UnixNano())
	}
	for {
		job, err := db.planCompaction(ctx, p)
		if err != nil {
			return err
		}
		if job == nil {
			// The batches' state rows, at most every stateVacuumEvery:
			// every VACUUM command ends by reading all of pg_class.
			if v != nil && time.Since(time.Unix(0, db.vacuumedAt.Load())) >= stateVacuumEvery {
				vacuum(nil, false)
			}
			return nil
		}
		var all []int64
		for {
			more, err := db.compactStep(ctx, job)
			if err != nil {
				return err
			}
			if v != nil && len(job.touched) > 0 {
				// The step's old chunks' space (TOAST above all), for
				// the next step to write its chunks in.
				vacuum(job.touched, false)
				all = append(all, job.touched...)
				job.touched = job.touched[:0]
			}
			if !more {
				break
			}
		}
		if v != nil && len(all) > 0 {
			vacuum(all, true) // and the indexes' entries
		}
	}
}

// stateVacuumEvery is the least time between two vacuums of the state
// tables alone (a few old snapshots wait at most that long).
const stateVacuumEvery = 2 * time.Second

// compactor runs compaction in the background, one project at a time:
// the projects that ingest touched, and every project once at start (to
// finish what a crash or a stop interrupted).
type compactor struct {
	mu      sync.Mutex
	pending map[cloudsage.ProjectID]bool
	running cloudsage.ProjectID // 0: none
	wake    chan struct{}
	stop    context.CancelFunc
	done    chan struct{}
}

// StartCompactor starts db's background compactor (Open calls it once,
// after migrating); Close stops it, rolling back a step in flight.
func (db *DB) StartCompactor() {
	ctx, cancel := context.WithCancel(context.Background())
	c := &compactor{pending: map[cloudsage.ProjectID]bool{}, wake: make(chan struct{}, 1), stop: cancel, done: make(chan struct{})}
	db.compact = c
	db.OnClose(func() error {
		cancel()
		<-c.done
		return nil
	})
	go db.compactLoop(ctx)
}

// noteIngest tells the compactor that p has a new batch (a new run).
func (db *DB) noteIngest(p cloudsage.ProjectID) {
	c := db.compact
	if c == nil {
		return
	}
	c.mu.Lock()
	c.pending[p] = true
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// CompactionRetry is how long the compactor waits after a failed step
// (the database busy or unreachable) before trying again.
var CompactionRetry = 5 * time.Second

func (db *DB) compactLoop(ctx context.Context) {
	c := db.compact
	defer close(c.done)
	if ps, err := QueryPairs(ctx, db.R, `SELECT DISTINCT project_id, 0 FROM event_chunks`); err == nil {
		c.mu.Lock()
		for _, p := range ps {
			c.pending[cloudsage.ProjectID(p[0])] = true
		}
		c.mu.Unlock()
	}
	for {
		c.mu.Lock()
		var p cloudsage.ProjectID
		for q := range c.pending {
			p = q
			break
		}
		delete(c.pending, p)
		c.running = p
		c.mu.Unlock()
		if p == 0 {
			select {
			case <-ctx.Done():
				return
			case <-c.wake:
				continue
			}
		}
		err := db.compactProject(ctx, p)
		c.mu.Lock()
		c.running = 0
		if err != nil && ctx.Err() == nil {
			c.pending[p] = true // try again after a pause
		}
		c.mu.Unlock()
		if err != nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(CompactionRetry):
			}
		}
	}
}

// CompactEvents waits until the background compactor has nothing left to
// do for p (merging now what no ingest has asked for yet).
func (db *DB) CompactEvents(ctx context.Context, p cloudsage.ProjectID) error {
	c := db.compact
	if c == nil {
		return db.compactProject(ctx, p)
	}
	db.noteIngest(p)
	for {
		c.mu.Lock()
		busy := c.pending[p] || c.running == p
		c.mu.Unlock()
		if !busy {
			job, err := db.planCompaction(ctx, p)
			if err != nil || job == nil {
				return err
			}
			db.noteIngest(p)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// EventRuns counts p's sorted runs and chunks (what compaction reduces).
func (db *DB) EventRuns(ctx context.Context, p cloudsage.ProjectID) (runs, chunks int, err error) {
	err = db.R.QueryRowContext(ctx, `SELECT COUNT(DISTINCT `+runKey+`), COUNT(*) FROM event_chunks WHERE project_id = $1`, p).Scan(&runs, &chunks)
	return runs, chunks, db.wrap(err, "count event runs")
}
