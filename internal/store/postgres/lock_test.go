package postgres_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/store/postgres"
	"github.com/cloudsage/cloudsage/internal/store/sqlstore"
	"github.com/cloudsage/cloudsage/internal/store/storetest"
)

// TestExclusive: a job runs on one replica at a time, and a replica that
// dies holding it (its session ends) leaves it to another.
func TestExclusive(t *testing.T) {
	url := storetest.PostgresSchema(t)
	replica := func(url string) *sqlstore.DB {
		st, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	a, b := replica(url), replica(url)
	ctx := context.Background()
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan bool, 1)
	go func() {
		ran, err := a.Exclusive(ctx, "retention", func(context.Context) error {
			close(started)
			<-release
			return nil
		})
		if err != nil {
			t.Error(err)
		}
		done <- ran
	}()
	<-started
	noop := func(context.Context) error { return nil }
	if ran, err := b.Exclusive(ctx, "retention", noop); ran || err != nil {
		t.Errorf("B ran the job A holds: ran=%v err=%v", ran, err)
	}
	if ran, err := b.Exclusive(ctx, "another job", noop); !ran || err != nil {
		t.Errorf("B could not run another job: ran=%v err=%v", ran, err)
	}
	// Another deployment (schema) in the same database has its own lock.
	if ran, err := replica(storetest.PostgresSchema(t)).Exclusive(ctx, "retention", noop); !ran || err != nil {
		t.Errorf("a deployment in another schema was locked out: ran=%v err=%v", ran, err)
	}

	// A dies mid-job: its session is terminated, the lock goes with it.
	admin, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	schema := url[strings.LastIndex(url, "search_path=")+len("search_path="):]
	var pid int
	err = admin.QueryRowContext(ctx, `SELECT l.pid FROM pg_locks l, (SELECT hashtextextended('cloudsage job retention in ' || $1, 0) AS k) key
		WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
		AND l.classid::bigint = (key.k >> 32) & 4294967295 AND l.objid::bigint = key.k & 4294967295`, schema).Scan(&pid)
	if err != nil {
		t.Fatalf("find the session holding the lock: %v", err)
	}
	if _, err := admin.ExecContext(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	ran := false
	for !ran && time.Now().Before(deadline) {
		if ran, err = b.Exclusive(ctx, "retention", noop); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !ran {
		t.Error("B never got the job after A's session died")
	}
	close(release)
	if !<-done {
		t.Error("A's job did not report it ran")
	}
}
