package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
)

// Locker is a Dialect whose database can hold a lock named by a number for
// as long as one connection lives (PostgreSQL's session advisory locks),
// so that one replica at a time runs a background job, and a replica that
// dies mid-job releases the lock with its connection.
type Locker interface {
	// TryLock takes the lock key on conn without waiting, reporting whether
	// it got it; unlock gives it back.
	TryLock(ctx context.Context, conn *sql.Conn, key int64) (bool, error)
	Unlock(ctx context.Context, conn *sql.Conn, key int64) error
}

// lockSpace keeps job locks apart from other advisory locks (migrations).
const lockSpace = "cloudsage job: "

// Exclusive runs fn unless another replica runs the job name: it reports
// whether fn ran. On a database without cross-process locks (SQLite, where
// one process owns the file) fn always runs.
func (db *DB) Exclusive(ctx context.Context, name string, fn func(context.Context) error) (bool, error) {
	l, ok := db.D.(Locker)
	if !ok {
		return true, fn(ctx)
	}
	h := fnv.New64a()
	h.Write([]byte(lockSpace + name))
	key := int64(h.Sum64())
	conn, err := db.W.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("lock %s: %w", name, db.wrap(err, "connect"))
	}
	defer conn.Close()
	got, err := l.TryLock(ctx, conn, key)
	if err != nil || !got {
		return false, err
	}
	defer l.Unlock(context.WithoutCancel(ctx), conn, key)
	return true, fn(ctx)
}
