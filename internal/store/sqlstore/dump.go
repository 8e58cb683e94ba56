package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/chunk"
	"github.com/cloudsage/cloudsage/internal/store"
)

// DumpProject hands fn a project's records in one read transaction; see
// store.DumpStore. Rows are read a table at a time and events a chunk at
// a time, so memory stays bounded whatever the project's size.
func (db *DB) DumpProject(ctx context.Context, id cloudsage.ProjectID, fn func(store.Record) error) error {
	var opts *sql.TxOptions
	if db.D.Name() != "sqlite" {
		// One snapshot for every statement; SQLite's read transaction in
		// WAL mode is one already.
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	tx, err := db.R.BeginTx(ctx, opts)
	if err != nil {
		return db.wrap(err, "dump project")
	}
	defer tx.Rollback()
	var st store.ProjectState
	var at, h, last sql.NullInt64
	err = tx.QueryRowContext(ctx, `SELECT snapshot, report, report_at, report_horizon, score, label, last_ingest_at FROM project_state WHERE project_id = $1`, id).
		Scan(&st.Snapshot, &st.Report, &at, &h, &st.Score, &st.Label, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return store.NotFoundf("project %d not found", id)
	}
	if err != nil {
		return db.wrap(err, "dump project state")
	}
	st.ReportAt, st.ReportHorizon, st.LastIngestAt = fromNullNS(at), int(h.Int64), fromNullNS(last)
	if err := fn(store.Record{State: &st}); err != nil {
		return err
	}
	each := func(what, query string, scan func(*sql.Rows) (store.Record, error)) error {
		rows, err := tx.QueryContext(ctx, query, id)
		if err != nil {
			return db.wrap(err, "dump "+what)
		}
		defer rows.Close()
		for rows.Next() {
			rec, err := scan(rows)
			if err != nil {
				return db.wrap(err, "dump "+what)
			}
			if err := fn(rec); err != nil {
				return err
			}
		}
		return db.wrap(rows.Err(), "dump "+what)
	}
	steps := []struct {
		what, query string
		scan        func(*sql.Rows) (store.Record, error)
	}{
		{"batches", `SELECT ` + batchCols + ` FROM ingest_batches WHERE project_id = $1 ORDER BY id`, func(rows *sql.Rows) (store.Record, error) {
			b, err := scanBatch(rows)
			return store.Record{Batch: &b}, err
		}},
		{"patterns", `SELECT id, template, count, first_seen, last_seen FROM patterns WHERE project_id = $1 ORDER BY id`, func(rows *sql.Rows) (store.Record, error) {
			var p store.Pattern
			var first, last int64
			err := rows.Scan(&p.ID, &p.Template, &p.Count, &first, &last)
			p.FirstSeen, p.LastSeen = chunk.FromNS(first), chunk.FromNS(last)
			return store.Record{Pattern: &p}, err
		}},
		{"forecasts", `SELECT at, horizon, score, label, body, created_at FROM forecasts WHERE project_id = $1 ORDER BY id`, func(rows *sql.Rows) (store.Record, error) {
			var f store.Forecast
			var at, created int64
			err := rows.Scan(&at, &f.Horizon, &f.Score, &f.Label, &f.Body, &created)
			f.At, f.CreatedAt = chunk.FromNS(at), chunk.FromNS(created)
			return store.Record{Forecast: &f}, err
		}},
		{"risk history", `SELECT at, score, label, batch_id FROM risk_history WHERE project_id = $1 ORDER BY at`, func(rows *sql.Rows) (store.Record, error) {
			var r store.RiskRow
			var at int64
			var batch sql.NullInt64
			err := rows.Scan(&at, &r.Score, &r.Label, &batch)
			r.At, r.Batch = chunk.FromNS(at), store.BatchID(batch.Int64)
			return store.Record{Risk: &r}, err
		}},
		{"actions", `SELECT action_id, action_key, status, until, updated_at FROM action_status WHERE project_id = $1 ORDER BY action_id`, func(rows *sql.Rows) (store.Record, error) {
			var a store.ActionStatus
			var until sql.NullInt64
			var upd int64
			err := rows.Scan(&a.ActionID, &a.Key, &a.Status, &until, &upd)
			a.Until, a.UpdatedAt = fromNullNS(until), chunk.FromNS(upd)
			return store.Record{Action: &a}, err
		}},
		{"searches", `SELECT name, query, created_at FROM saved_searches WHERE project_id = $1 ORDER BY id`, func(rows *sql.Rows) (store.Record, error) {
			var s store.SavedSearch
			var created int64
			err := rows.Scan(&s.Name, &s.Query, &created)
			s.CreatedAt = chunk.FromNS(created)
			return store.Record{Search: &s}, err
		}},
	}
	for _, s := range steps {
		if err := each(s.what, s.query, s.scan); err != nil {
			return err
		}
	}
	// Chunk ids first (a few thousand for millions of events), then one
	// chunk at a time: no cursor stays open while fn writes.
	chunks, err := QueryPairs(ctx, tx, `SELECT id, max_time FROM event_chunks WHERE project_id = $1 ORDER BY id`, id)
	if err != nil {
		return db.wrap(err, "dump event chunks")
	}
	for _, c := range chunks {
		evs, err := db.chunkEvents(ctx, tx, c[0], c[1], nil)
		if err != nil {
			return err
		}
		if len(evs) > 0 {
			if err := fn(store.Record{Events: evs}); err != nil {
				return err
			}
		}
	}
	return nil
}

// ImportProject creates a project from records in one transaction; see
// store.DumpStore.
func (db *DB) ImportProject(ctx context.Context, owner cloudsage.UserID, p store.Project, next func() (store.Record, error)) (store.Project, error) {
	if err := p.Settings.Validate(); err != nil {
		return p, err
	}
	set, err := json.Marshal(p.Settings)
	if err != nil {
		return p, err
	}
	now := db.Now().UTC()
	p.CreatedAt, p.Role = now, store.RoleAdmin
	err = db.tx(ctx, "import project", func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO projects (name, settings, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id`,
			p.Name, string(set), chunk.NS(now)).Scan(&p.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO members (project_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)`,
			p.ID, owner, store.RoleAdmin, chunk.NS(now)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO project_state (project_id) VALUES ($1)`, p.ID); err != nil {
			return err
		}
		im := importer{db: db, tx: tx, p: p.ID, batches: map[store.BatchID]store.BatchID{}}
		for {
			rec, err := next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
			if err := im.add(ctx, rec); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE project_state SET events = $2 WHERE project_id = $1`, p.ID, im.events); err != nil {
			return err
		}
		p.Events = im.events
		return nil
	})
	return p, err
}

// importer stores the records of one import.
type importer struct {
	db      *DB
	tx      *sql.Tx
	p       cloudsage.ProjectID
	batches map[store.BatchID]store.BatchID // exported id -> new id
	events  int64
}

func (im *importer) batch(old store.BatchID) (store.BatchID, error) {
	b, ok := im.batches[old]
	if !ok {
		return 0, cloudsage.Errorf(cloudsage.Invalid, "a record names batch %d, which the file did not list before it", old)
	}
	return b, nil
}

func (im *importer) add(ctx context.Context, rec store.Record) error {
	tx, p := im.tx, im.p
	var err error
	switch {
	case rec.State != nil:
		st := rec.State
		var rep, repAt, repH any
		if st.Report != nil {
			rep, repAt, repH = st.Report, nullNS(st.ReportAt), st.ReportHorizon
		}
		_, err = tx.ExecContext(ctx, `UPDATE project_state SET version = 1, snapshot = $2, report = $3, report_at = $4, report_horizon = $5, score = $6, label = $7, last_ingest_at = $8 WHERE project_id = $1`,
			p, st.Snapshot, rep, repAt, repH, st.Score, st.Label, nullNS(st.LastIngestAt))
	case rec.Batch != nil:
		b := *rec.Batch
		if b.Formats == nil {
			b.Formats = map[string]int{}
		}
		if b.Reasons == nil {
			b.Reasons = []string{}
		}
		formats, _ := json.Marshal(b.Formats)
		reasons, _ := json.Marshal(b.Reasons)
		var id store.BatchID
		err = tx.QueryRowContext(ctx, `INSERT INTO ingest_batches (project_id, created_at, status, source, bytes, received, accepted, rejected, formats, new_patterns, score, label, events, reasons)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
			p, chunk.NS(b.CreatedAt), b.Status, b.Source, b.Bytes, b.Received, b.Accepted, b.Rejected, string(formats), b.NewPatterns, b.Score, b.Label, b.Events, string(reasons)).Scan(&id)
		im.batches[b.ID] = id
	case rec.Pattern != nil:
		err = im.db.upsertPatterns(ctx, tx, p, []store.Pattern{*rec.Pattern})
	case rec.Forecast != nil:
		f := rec.Forecast
		_, err = tx.ExecContext(ctx, `INSERT INTO forecasts (project_id, at, horizon, score, label, body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			p, chunk.NS(f.At), f.Horizon, f.Score, f.Label, f.Body, chunk.NS(f.CreatedAt))
	case rec.Risk != nil:
		r := rec.Risk
		var batch any
		if r.Batch != 0 {
			if batch, err = im.batch(r.Batch); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO risk_history (project_id, at, score, label, batch_id) VALUES ($1, $2, $3, $4, $5)`, p, chunk.NS(r.At), r.Score, r.Label, batch)
	case rec.Action != nil:
		a := rec.Action
		switch a.Status {
		case store.ActionDone, store.ActionDismissed, store.ActionSnoozed, store.ActionNotRelevant:
		default:
			return cloudsage.Errorf(cloudsage.Invalid, "action %q has status %q: want done, dismissed, snoozed or not_relevant", a.ActionID, a.Status)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO action_status (project_id, action_id, action_key, status, until, user_id, updated_at) VALUES ($1, $2, $3, $4, $5, NULL, $6)`,
			p, a.ActionID, a.Key, a.Status, nullNS(a.Until), chunk.NS(a.UpdatedAt))
	case rec.Search != nil:
		s := rec.Search
		_, err = tx.ExecContext(ctx, `INSERT INTO saved_searches (project_id, name, query, created_by, created_at) VALUES ($1, $2, $3, NULL, $4)`,
			p, s.Name, s.Query, chunk.NS(s.CreatedAt))
	case len(rec.Events) > 0:
		return im.addEvents(ctx, rec.Events)
	default:
		return cloudsage.Errorf(cloudsage.Invalid, "an empty record")
	}
	return err
}

// addEvents stores events of one or more batches as chunks of their batch.
func (im *importer) addEvents(ctx context.Context, evs []store.Event) error {
	for len(evs) > 0 {
		n := 1
		for n < len(evs) && evs[n].BatchID == evs[0].BatchID {
			n++
		}
		b, err := im.batch(evs[0].BatchID)
		if err != nil {
			return err
		}
		plain := make([]cloudsage.Event, n)
		for i := range plain {
			plain[i] = evs[i].Event
		}
		cs := chunk.Build(im.p, plain)
		for i := range cs {
			cs[i].Batch = b
		}
		if err := im.db.D.InsertChunks(ctx, im.tx, cs); err != nil {
			return fmt.Errorf("insert events: %w", err)
		}
		im.events += int64(n)
		evs = evs[n:]
	}
	return nil
}
