package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/chunk"
	"github.com/cloudsage/cloudsage/internal/learn"
	"github.com/cloudsage/cloudsage/internal/store"
)

// Learning (issue 11): per-user feedback, overrides, incident memory.

// ActionFeedback lists every user's feedback on the project's actions.
func (db *DB) ActionFeedback(ctx context.Context, project cloudsage.ProjectID) ([]store.Feedback, error) {
	return queryAll(ctx, db, "action feedback", func(rows *sql.Rows) (store.Feedback, error) {
		var f store.Feedback
		var upd int64
		var email sql.NullString
		err := rows.Scan(&f.ActionID, &f.UserID, &email, &f.Key, &f.Status, &upd)
		f.UserEmail, f.UpdatedAt = email.String, chunk.FromNS(upd)
		return f, err
	}, `SELECT f.action_id, f.user_id, u.email, f.action_key, f.status, f.updated_at FROM action_feedback f
		LEFT JOIN users u ON u.id = f.user_id WHERE f.project_id = $1 ORDER BY f.action_id, f.user_id`, project)
}

// SetOverride stores o, replacing one of the same kind and target.
func (db *DB) SetOverride(ctx context.Context, project cloudsage.ProjectID, o store.Override) error {
	if err := learn.CheckOverride(o.Override); err != nil {
		return cloudsage.Errorf(cloudsage.Invalid, "invalid override: %s", err)
	}
	_, err := db.W.ExecContext(ctx, `INSERT INTO learning_overrides (project_id, kind, target, value, user_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (project_id, kind, target) DO UPDATE SET value = excluded.value, user_id = excluded.user_id, created_at = excluded.created_at`,
		project, o.Kind, o.Target, o.Value, o.UserID, chunk.NS(db.Now()))
	return db.wrap(err, "set override")
}

// Overrides lists a project's overrides by kind and target.
func (db *DB) Overrides(ctx context.Context, project cloudsage.ProjectID) ([]store.Override, error) {
	return queryAll(ctx, db, "overrides", func(rows *sql.Rows) (store.Override, error) {
		var o store.Override
		var created int64
		var email sql.NullString
		err := rows.Scan(&o.Kind, &o.Target, &o.Value, &o.UserID, &email, &created)
		o.UserEmail, o.CreatedAt = email.String, chunk.FromNS(created)
		return o, err
	}, `SELECT o.kind, o.target, o.value, o.user_id, u.email, o.created_at FROM learning_overrides o
		LEFT JOIN users u ON u.id = o.user_id WHERE o.project_id = $1 ORDER BY o.kind, o.target`, project)
}

// DeleteOverride removes one override.
func (db *DB) DeleteOverride(ctx context.Context, project cloudsage.ProjectID, kind, target string) error {
	res, err := db.W.ExecContext(ctx, `DELETE FROM learning_overrides WHERE project_id = $1 AND kind = $2 AND target = $3`, project, kind, target)
	if err != nil {
		return db.wrap(err, "delete override")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return cloudsage.Errorf(cloudsage.NotFound, "no %s override for %q", kind, target)
	}
	return nil
}

const incidentCols = `id, project_id, opened_at, closed_at, low_since, peak_score, title, root_cause, fix, signature, updated_at`

func scanIncident(row interface{ Scan(...any) error }) (store.Incident, error) {
	var inc store.Incident
	var opened, upd int64
	var closed, low sql.NullInt64
	var sig string
	if err := row.Scan(&inc.ID, &inc.ProjectID, &opened, &closed, &low, &inc.PeakScore, &inc.Title, &inc.RootCause, &inc.Fix, &sig, &upd); err != nil {
		return inc, err
	}
	inc.OpenedAt, inc.ClosedAt, inc.LowSince, inc.UpdatedAt = chunk.FromNS(opened), fromNullNS(closed), fromNullNS(low), chunk.FromNS(upd)
	if err := json.Unmarshal([]byte(sig), &inc.Signature); err != nil {
		return inc, err
	}
	return inc, nil
}

// SaveIncident inserts inc (ID 0) or updates what the tracker moves.
func (db *DB) SaveIncident(ctx context.Context, inc store.Incident) (store.Incident, error) {
	sig, err := json.Marshal(inc.Signature)
	if err != nil {
		return inc, err
	}
	now := chunk.NS(db.Now())
	var row *sql.Row
	if inc.ID == 0 {
		row = db.W.QueryRowContext(ctx, `INSERT INTO incidents (project_id, opened_at, closed_at, low_since, peak_score, signature, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+incidentCols,
			inc.ProjectID, chunk.NS(inc.OpenedAt), nullNS(inc.ClosedAt), nullNS(inc.LowSince), inc.PeakScore, string(sig), now)
	} else {
		row = db.W.QueryRowContext(ctx, `UPDATE incidents SET closed_at = $1, low_since = $2, peak_score = $3, signature = $4, updated_at = $5
			WHERE project_id = $6 AND id = $7 RETURNING `+incidentCols,
			nullNS(inc.ClosedAt), nullNS(inc.LowSince), inc.PeakScore, string(sig), now, inc.ProjectID, inc.ID)
	}
	out, err := scanIncident(row)
	return out, db.wrap(err, "save incident")
}

// AnnotateIncident sets an incident's notes.
func (db *DB) AnnotateIncident(ctx context.Context, project cloudsage.ProjectID, id store.IncidentID, n store.Notes) (store.Incident, error) {
	out, err := scanIncident(db.W.QueryRowContext(ctx, `UPDATE incidents SET title = $1, root_cause = $2, fix = $3, updated_at = $4
		WHERE project_id = $5 AND id = $6 RETURNING `+incidentCols, n.Title, n.RootCause, n.Fix, chunk.NS(db.Now()), project, id))
	return out, db.wrap(err, "incident")
}

// Incidents lists a project's incidents, newest first.
func (db *DB) Incidents(ctx context.Context, project cloudsage.ProjectID, limit int) ([]store.Incident, error) {
	return queryAll(ctx, db, "incidents", func(rows *sql.Rows) (store.Incident, error) { return scanIncident(rows) },
		`SELECT `+incidentCols+` FROM incidents WHERE project_id = $1 ORDER BY opened_at DESC, id DESC LIMIT $2`, project, limit)
}

// Incident returns one of a project's incidents.
func (db *DB) Incident(ctx context.Context, project cloudsage.ProjectID, id store.IncidentID) (store.Incident, error) {
	inc, err := scanIncident(db.R.QueryRowContext(ctx, `SELECT `+incidentCols+` FROM incidents WHERE project_id = $1 AND id = $2`, project, id))
	return inc, db.wrap(err, "incident")
}
