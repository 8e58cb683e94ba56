package postgres

import (
	"context"
	"database/sql"
	"fmt"
)

// TryLock implements sqlstore.Locker with a session advisory lock.
func (dialect) TryLock(ctx context.Context, conn *sql.Conn, key int64) (bool, error) {
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&got); err != nil {
		return false, fmt.Errorf("advisory lock: %w", err)
	}
	return got, nil
}

// Unlock implements sqlstore.Locker.
func (dialect) Unlock(ctx context.Context, conn *sql.Conn, key int64) error {
	_, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, key)
	return err
}
