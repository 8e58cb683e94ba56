package postgres

import (
	"context"
	"database/sql"
	"fmt"
)

// jobLockKey is the advisory-lock key of a job: advisory locks are
// database-wide, so the key names the schema too, keeping deployments (and
// test schemas) that share a database apart.
const jobLockKey = `hashtextextended('cloudsage job ' || $1 || ' in ' || current_schema(), 0)`

// TryLock implements sqlstore.Locker with a session advisory lock, which
// PostgreSQL releases when the session ends, however it ends.
func (dialect) TryLock(ctx context.Context, conn *sql.Conn, name string) (bool, error) {
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(`+jobLockKey+`)`, name).Scan(&got); err != nil {
		return false, fmt.Errorf("advisory lock %s: %w", name, err)
	}
	return got, nil
}

// Unlock implements sqlstore.Locker.
func (dialect) Unlock(ctx context.Context, conn *sql.Conn, name string) error {
	_, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock(`+jobLockKey+`)`, name)
	return err
}
