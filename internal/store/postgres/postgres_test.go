package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/store/postgres"
	"github.com/cloudsage/cloudsage/internal/store/storetest"
	"github.com/cloudsage/cloudsage/internal/testenv"
)

// open returns a store in a fresh schema of the test database, dropped when t ends.
func open(t *testing.T) store.Store {
	t.Helper()
	url := FreshSchema(t)
	db, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// FreshSchema creates a schema t_<random> and returns the test URL with it as search_path.
func FreshSchema(t *testing.T) string {
	t.Helper()
	base := testenv.PostgresURL(t)
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		admin.Close()
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

func TestStore(t *testing.T) { storetest.Run(t, open) }
