package storetest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx"

	"github.com/cloudsage/cloudsage/internal/testenv"
)

// PostgresSchema creates a fresh schema t_<random> in the test database
// and returns the test URL with it as search_path; the schema is dropped
// when tb ends. It skips (or fails, in CI) without PostgreSQL.
func PostgresSchema(tb testing.TB) string {
	tb.Helper()
	base := testenv.PostgresURL(tb)
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		admin.Close()
		testenv.Unavailable(tb, "PostgreSQL at "+base+" refused CREATE SCHEMA: "+err.Error())
		return ""
	}
	tb.Cleanup(func() {
		admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		admin.Close()
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}
