package postgres_test

import (
	"context"
	"testing"

	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/store/postgres"
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
