package postgres_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/store/postgres"
	"github.com/cloudsage/cloudsage/internal/store/sqlstore"
	"github.com/cloudsage/cloudsage/internal/store/storetest"
)

// open returns a store in a fresh schema of the test database, dropped when t ends.
func open(t *testing.T) store.Store {
	t.Helper()
	url := storetest.PostgresSchema(t)
	db, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestStore(t *testing.T) { storetest.Run(t, open) }

func TestConvertsSchema1Events(t *testing.T) {
	url := storetest.PostgresSchema(t)
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ms, err := postgres.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	storetest.Legacy(t, db, ms, func(t *testing.T) store.Store {
		s, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestTokenReplicas(t *testing.T) {
	url := storetest.PostgresSchema(t)
	storetest.TokenReplicas(t, func(t *testing.T) *sqlstore.DB {
		db, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}

// Open leaves warmed connections idle, so the first searches after
// start-up do not open (and warm) their own.
func TestOpenLeavesWarmConnections(t *testing.T) {
	s := open(t).(*sqlstore.DB)
	// Open, not idle: the compactor may hold one already.
	if n := s.R.Stats().OpenConnections; n < 4 {
		t.Fatalf("%d connections after Open, want at least 4", n)
	}
}
