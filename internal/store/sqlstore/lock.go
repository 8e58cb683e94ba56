package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
)

// Locker is a Dialect whose database can hold a named lock for as long as
// one connection lives (PostgreSQL's session advisory locks), so that one
// replica at a time runs a background job, and a replica that dies mid-job
// releases the lock with its connection.
type Locker interface {
	// TryLock takes the lock name on conn without waiting, reporting
	// whether it got it; Unlock gives it back.
	TryLock(ctx context.Context, conn *sql.Conn, name string) (bool, error)
	Unlock(ctx context.Context, conn *sql.Conn, name string) error
}

// Exclusive runs fn unless another replica is running the job name, and
// reports whether fn ran. On a database without cross-process locks
// (SQLite, whose file one process owns) fn always runs.
func (db *DB) Exclusive(ctx context.Context, name string, fn func(context.Context) error) (bool, error) {
	l, ok := db.D.(Locker)
	if !ok {
		return true, fn(ctx)
	}
	conn, err := db.W.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("lock %s: %w", name, db.wrap(err, "connect"))
	}
	defer conn.Close()
	got, err := l.TryLock(ctx, conn, name)
	if err != nil || !got {
		return false, err
	}
	defer l.Unlock(context.WithoutCancel(ctx), conn, name)
	return true, fn(ctx)
}
