package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/chunk"
	"github.com/cloudsage/cloudsage/internal/store"
)

// Notifications (issue 9): channels, rules, the outbox written by Ingest,
// and the leases of the delivery worker.

const channelCols = `id, project_id, type, name, target, secret, quiet_start, quiet_end, max_per_hour, enabled, created_at, window_start, window_count`

func scanChannel(row interface{ Scan(...any) error }) (store.Channel, error) {
	var c store.Channel
	var created, ws int64
	err := row.Scan(&c.ID, &c.ProjectID, &c.Type, &c.Name, &c.Target, &c.Secret, &c.QuietStart, &c.QuietEnd,
		&c.MaxPerHour, &c.Enabled, &created, &ws, &c.WindowCount)
	c.CreatedAt, c.WindowStart = chunk.FromNS(created), chunk.FromNS(ws)
	return c, err
}

// CreateChannel stores c, and defaults when the project has no rule yet.
func (db *DB) CreateChannel(ctx context.Context, c store.Channel, defaults []store.Rule) (store.Channel, error) {
	c.CreatedAt = db.Now().UTC()
	err := db.tx(ctx, "create channel", func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO notify_channels (project_id, type, name, target, secret, quiet_start, quiet_end, max_per_hour, enabled, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			c.ProjectID, c.Type, c.Name, c.Target, c.Secret, c.QuietStart, c.QuietEnd, c.MaxPerHour, c.Enabled, chunk.NS(c.CreatedAt)).Scan(&c.ID); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM notify_rules WHERE project_id = $1`, c.ProjectID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		for _, r := range defaults {
			r.ProjectID = c.ProjectID
			if _, err := db.insertRule(ctx, tx, r); err != nil {
				return err
			}
		}
		return nil
	})
	return c, err
}

// Channels lists a project's channels.
func (db *DB) Channels(ctx context.Context, project cloudsage.ProjectID) ([]store.Channel, error) {
	return queryAll(ctx, db, "channels", func(rows *sql.Rows) (store.Channel, error) { return scanChannel(rows) },
		`SELECT `+channelCols+` FROM notify_channels WHERE project_id = $1 ORDER BY id`, project)
}

// Channel returns one channel of project.
func (db *DB) Channel(ctx context.Context, project cloudsage.ProjectID, id store.ChannelID) (store.Channel, error) {
	c, err := scanChannel(db.R.QueryRowContext(ctx, `SELECT `+channelCols+` FROM notify_channels WHERE project_id = $1 AND id = $2`, project, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, store.NotFoundf("channel not found")
	}
	return c, db.wrap(err, "channel")
}

// UpdateChannel saves c's settings (not its rate window).
func (db *DB) UpdateChannel(ctx context.Context, c store.Channel) error {
	return db.execOne(ctx, "update channel", "channel not found",
		`UPDATE notify_channels SET name = $3, target = $4, secret = $5, quiet_start = $6, quiet_end = $7, max_per_hour = $8, enabled = $9
		WHERE project_id = $1 AND id = $2`, c.ProjectID, c.ID, c.Name, c.Target, c.Secret, c.QuietStart, c.QuietEnd, c.MaxPerHour, c.Enabled)
}

// DeleteChannel removes a channel and its notifications.
func (db *DB) DeleteChannel(ctx context.Context, project cloudsage.ProjectID, id store.ChannelID) error {
	return db.execOne(ctx, "delete channel", "channel not found",
		`DELETE FROM notify_channels WHERE project_id = $1 AND id = $2`, project, id)
}

func (db *DB) insertRule(ctx context.Context, tx *sql.Tx, r store.Rule) (store.Rule, error) {
	if r.Channels == nil {
		r.Channels = []store.ChannelID{}
	}
	params, _ := json.Marshal(r.Params)
	chans, _ := json.Marshal(r.Channels)
	r.CreatedAt = db.Now().UTC()
	err := tx.QueryRowContext(ctx, `INSERT INTO notify_rules (project_id, kind, name, params, channels, critical, enabled, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		r.ProjectID, r.Kind, r.Name, string(params), string(chans), r.Critical, r.Enabled, chunk.NS(r.CreatedAt)).Scan(&r.ID)
	return r, err
}

// CreateRule stores r.
func (db *DB) CreateRule(ctx context.Context, r store.Rule) (store.Rule, error) {
	var out store.Rule
	err := db.tx(ctx, "create rule", func(tx *sql.Tx) error {
		var err error
		out, err = db.insertRule(ctx, tx, r)
		return err
	})
	return out, err
}

// Rules lists a project's rules.
func (db *DB) Rules(ctx context.Context, project cloudsage.ProjectID) ([]store.Rule, error) {
	return queryAll(ctx, db, "rules", func(rows *sql.Rows) (store.Rule, error) {
		var r store.Rule
		var params, chans string
		var created int64
		if err := rows.Scan(&r.ID, &r.ProjectID, &r.Kind, &r.Name, &params, &chans, &r.Critical, &r.Enabled, &created); err != nil {
			return r, err
		}
		r.CreatedAt = chunk.FromNS(created)
		if err := json.Unmarshal([]byte(params), &r.Params); err != nil {
			return r, fmt.Errorf("rule %d params: %w", r.ID, err)
		}
		if err := json.Unmarshal([]byte(chans), &r.Channels); err != nil {
			return r, fmt.Errorf("rule %d channels: %w", r.ID, err)
		}
		return r, nil
	}, `SELECT id, project_id, kind, name, params, channels, critical, enabled, created_at FROM notify_rules WHERE project_id = $1 ORDER BY id`, project)
}

// UpdateRule saves r.
func (db *DB) UpdateRule(ctx context.Context, r store.Rule) error {
	if r.Channels == nil {
		r.Channels = []store.ChannelID{}
	}
	params, _ := json.Marshal(r.Params)
	chans, _ := json.Marshal(r.Channels)
	return db.execOne(ctx, "update rule", "rule not found",
		`UPDATE notify_rules SET kind = $3, name = $4, params = $5, channels = $6, critical = $7, enabled = $8 WHERE project_id = $1 AND id = $2`,
		r.ProjectID, r.ID, r.Kind, r.Name, string(params), string(chans), r.Critical, r.Enabled)
}

// DeleteRule removes a rule.
func (db *DB) DeleteRule(ctx context.Context, project cloudsage.ProjectID, id store.RuleID) error {
	return db.execOne(ctx, "delete rule", "rule not found", `DELETE FROM notify_rules WHERE project_id = $1 AND id = $2`, project, id)
}

// insertNotifications writes outbox rows in tx (Ingest's, or its own).
func (db *DB) insertNotifications(ctx context.Context, tx *sql.Tx, ns_ []store.Notification) ([]store.Notification, error) {
	now := db.Now().UTC()
	for i := range ns_ {
		n := &ns_[i]
		n.CreatedAt = now
		if n.NextAt.IsZero() {
			n.NextAt = now
		}
		if n.Status == "" {
			n.Status = store.NotifyPending
		}
		if n.Payload == nil {
			n.Payload = []byte("{}")
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO notifications (project_id, channel_id, rule_id, kind, title, critical, payload, status, held, attempts, last_error, grouped, digest, next_at, created_at, sent_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
			n.ProjectID, n.ChannelID, n.RuleID, n.Kind, n.Title, n.Critical, n.Payload, n.Status, n.Held, n.Attempts, n.LastError,
			n.Grouped, n.Digest, chunk.NS(n.NextAt), chunk.NS(now), nullNS(n.SentAt)).Scan(&n.ID); err != nil {
			return nil, fmt.Errorf("insert notification: %w", err)
		}
	}
	return ns_, nil
}

// readNotifyState returns the project's notification memory in Ingest's tx.
func readNotifyState(ctx context.Context, tx *sql.Tx, project cloudsage.ProjectID) ([]byte, error) {
	var b []byte
	err := tx.QueryRowContext(ctx, `SELECT state FROM notify_state WHERE project_id = $1`, project).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return b, err
}

// writeNotify stores an ingest's outbox rows and notification memory in its tx.
func (db *DB) writeNotify(ctx context.Context, tx *sql.Tx, project cloudsage.ProjectID, w store.Write) error {
	for i := range w.Notifications {
		w.Notifications[i].ProjectID = project
	}
	if _, err := db.insertNotifications(ctx, tx, w.Notifications); err != nil {
		return err
	}
	if w.NotifyState == nil {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO notify_state (project_id, state) VALUES ($1, $2)
		ON CONFLICT (project_id) DO UPDATE SET state = excluded.state`, project, w.NotifyState)
	return err
}

// AddNotifications stores outbox rows (test messages).
func (db *DB) AddNotifications(ctx context.Context, ns_ []store.Notification) ([]store.Notification, error) {
	var out []store.Notification
	err := db.tx(ctx, "add notifications", func(tx *sql.Tx) error {
		var err error
		out, err = db.insertNotifications(ctx, tx, ns_)
		return err
	})
	return out, err
}

const notificationCols = `id, project_id, channel_id, rule_id, kind, title, critical, payload, status, held, attempts, last_error, grouped, digest, next_at, created_at, sent_at`

func scanNotification(row interface{ Scan(...any) error }) (store.Notification, error) {
	var n store.Notification
	var next, created int64
	var sent sql.NullInt64
	err := row.Scan(&n.ID, &n.ProjectID, &n.ChannelID, &n.RuleID, &n.Kind, &n.Title, &n.Critical, &n.Payload, &n.Status, &n.Held,
		&n.Attempts, &n.LastError, &n.Grouped, &n.Digest, &next, &created, &sent)
	n.NextAt, n.CreatedAt, n.SentAt = chunk.FromNS(next), chunk.FromNS(created), fromNullNS(sent)
	return n, err
}

// Notifications lists a project's notifications, newest first.
func (db *DB) Notifications(ctx context.Context, project cloudsage.ProjectID, limit int) ([]store.Notification, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	return queryAll(ctx, db, "notifications", func(rows *sql.Rows) (store.Notification, error) { return scanNotification(rows) },
		`SELECT `+notificationCols+` FROM notifications WHERE project_id = $1 ORDER BY id DESC LIMIT $2`, project, limit)
}

// skipLocked is the row-lock clause of a claim: PostgreSQL locks the
// channel row and skips rows other replicas hold; SQLite's single writer
// already serialises claims.
func (db *DB) skipLocked() string {
	if db.D.Name() == "postgres" {
		return ` FOR UPDATE SKIP LOCKED`
	}
	return ``
}

// ClaimNotifications leases one channel with due notifications; see store.NotifyStore.
func (db *DB) ClaimNotifications(ctx context.Context, owner string, now time.Time, lease time.Duration) (store.Claim, error) {
	c := store.Claim{Owner: owner, Until: now.Add(lease)}
	err := db.tx(ctx, "claim notifications", func(tx *sql.Tx) error {
		var id store.ChannelID
		err := tx.QueryRowContext(ctx, `UPDATE notify_channels SET lease_owner = $1, lease_until = $2
			WHERE id = (SELECT c.id FROM notify_channels c WHERE c.lease_until < $3
				AND EXISTS (SELECT 1 FROM notifications n WHERE n.channel_id = c.id AND n.status = 'pending' AND n.next_at <= $3)
				ORDER BY c.id LIMIT 1`+db.skipLocked()+`)
			RETURNING id`, owner, chunk.NS(c.Until), chunk.NS(now)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return store.NotFoundf("nothing to send")
		}
		if err != nil {
			return err
		}
		if c.Channel, err = scanChannel(tx.QueryRowContext(ctx, `SELECT `+channelCols+` FROM notify_channels WHERE id = $1`, id)); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+notificationCols+` FROM notifications
			WHERE channel_id = $1 AND status = 'pending' AND next_at <= $2 ORDER BY id LIMIT 100`, id, chunk.NS(now))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			n, err := scanNotification(rows)
			if err != nil {
				return err
			}
			c.Notifications = append(c.Notifications, n)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		c.Project, err = scanProject(tx.QueryRowContext(ctx, `SELECT `+projectCols+` FROM projects p
			JOIN project_state s ON s.project_id = p.id WHERE p.id = $1`, c.Channel.ProjectID))
		return err
	})
	return c, err
}

// FinishClaim stores a claim's outcome and releases its lease.
func (db *DB) FinishClaim(ctx context.Context, c store.Claim) error {
	return db.tx(ctx, "finish notifications", func(tx *sql.Tx) error {
		for _, n := range c.Notifications {
			if _, err := tx.ExecContext(ctx, `UPDATE notifications SET status = $2, held = $3, attempts = $4, last_error = $5, grouped = $6, digest = $7, next_at = $8, sent_at = $9
				WHERE id = $1 AND status = 'pending'`, n.ID, n.Status, n.Held, n.Attempts, n.LastError, n.Grouped, n.Digest, chunk.NS(n.NextAt), nullNS(n.SentAt)); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE notify_channels SET window_start = $3, window_count = $4, lease_owner = '', lease_until = 0
			WHERE id = $1 AND lease_owner = $2`, c.Channel.ID, c.Owner, chunk.NS(c.Channel.WindowStart), c.Channel.WindowCount)
		return err
	})
}
