package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/chunk"
	"github.com/cloudsage/cloudsage/internal/store"
)

const accountCols = `user_id, plan, status, customer_id, subscription_id, period_end, updated_at`

func scanAccount(row interface{ Scan(...any) error }) (store.Account, error) {
	var a store.Account
	var end sql.NullInt64
	var upd int64
	err := row.Scan(&a.UserID, &a.Plan, &a.Status, &a.CustomerID, &a.SubscriptionID, &end, &upd)
	a.PeriodEnd, a.UpdatedAt = fromNullNS(end), chunk.FromNS(upd)
	return a, err
}

// Account is user's billing account.
func (db *DB) Account(ctx context.Context, user cloudsage.UserID) (store.Account, error) {
	a, err := scanAccount(db.R.QueryRowContext(ctx, `SELECT `+accountCols+` FROM billing_accounts WHERE user_id = $1`, user))
	return a, db.wrap(err, "account")
}

// AccountByCustomer finds the account of a Stripe customer.
func (db *DB) AccountByCustomer(ctx context.Context, customer string) (store.Account, error) {
	if customer == "" {
		return store.Account{}, store.NotFoundf("no account for an empty customer id")
	}
	a, err := scanAccount(db.R.QueryRowContext(ctx, `SELECT `+accountCols+` FROM billing_accounts WHERE customer_id = $1`, customer))
	return a, db.wrap(err, "account by customer")
}

// ApplyStripeEvent records event id and stores a the first time; see store.BillingStore.
func (db *DB) ApplyStripeEvent(ctx context.Context, id, typ string, a *store.Account) (bool, error) {
	applied := false
	err := db.tx(ctx, "apply stripe event", func(tx *sql.Tx) error {
		now := chunk.NS(db.Now())
		res, err := tx.ExecContext(ctx, `INSERT INTO stripe_events (id, type, received_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`, id, typ, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // seen before
		}
		applied = true
		if a == nil {
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO billing_accounts (`+accountCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (user_id) DO UPDATE SET plan = excluded.plan, status = excluded.status,
				customer_id = CASE WHEN excluded.customer_id = '' THEN billing_accounts.customer_id ELSE excluded.customer_id END,
				subscription_id = CASE WHEN excluded.subscription_id = '' THEN billing_accounts.subscription_id ELSE excluded.subscription_id END,
				period_end = excluded.period_end, updated_at = excluded.updated_at`,
			a.UserID, a.Plan, a.Status, a.CustomerID, a.SubscriptionID, nullNS(a.PeriodEnd), now)
		return err
	})
	return applied, err
}

// AdminProjects counts the projects user administers.
func (db *DB) AdminProjects(ctx context.Context, user cloudsage.UserID) (int, error) {
	var n int
	err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM members WHERE user_id = $1 AND role = $2`, user, store.RoleAdmin).Scan(&n)
	return n, db.wrap(err, "count projects")
}

// AcceptedSince sums the events accepted into project since.
func (db *DB) AcceptedSince(ctx context.Context, project cloudsage.ProjectID, since time.Time) (int64, error) {
	var n int64
	err := db.R.QueryRowContext(ctx, `SELECT COALESCE(SUM(accepted), 0) FROM ingest_batches WHERE project_id = $1 AND created_at >= $2`, project, chunk.NS(since)).Scan(&n)
	return n, db.wrap(err, "count accepted events")
}
