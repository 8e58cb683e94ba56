package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
)

// Legacy checks the move of schema-0001 events (one row each) into chunks:
// db is an empty database, ms its dialect's migrations, open opens the
// same database as a store (migrating it to the newest schema).
func Legacy(t *testing.T, db *sql.DB, ms []store.Migration, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := store.Migrate(ctx, conn, ms[:1], time.Now); err != nil || v != 1 {
		t.Fatalf("migrate to schema 1: version %d, %v", v, err)
	}
	conn.Close()
	var uid, pid int64
	noErr(t, db.QueryRowContext(ctx, `INSERT INTO users (email, name, password_hash, created_at) VALUES ('ann@example.com', '', 'h', 1) RETURNING id`).Scan(&uid))
	noErr(t, db.QueryRowContext(ctx, `INSERT INTO projects (name, settings, created_at, updated_at) VALUES ('old', '{}', 1, 1) RETURNING id`).Scan(&pid))
	_, err = db.ExecContext(ctx, `INSERT INTO members (project_id, user_id, role, created_at) VALUES ($1, $2, 'admin', 1)`, pid, uid)
	noErr(t, err)
	const n = 2100 // three chunks' worth in two batches
	_, err = db.ExecContext(ctx, `INSERT INTO project_state (project_id, events) VALUES ($1, $2)`, pid, n)
	noErr(t, err)
	tx, err := db.BeginTx(ctx, nil)
	noErr(t, err)
	var want []cloudsage.Event
	for i := range n {
		e := cloudsage.Event{Time: t0.Add(time.Duration(i) * time.Second), Level: cloudsage.LevelInfo, Service: "api", Host: "h",
			Pattern: "p1", Format: "plain", Message: fmt.Sprintf("old request %d served", i)}
		var raw, fields, sig any
		e.Raw = e.Message
		if i%2 == 0 {
			e.Raw = "2026 " + e.Message
			raw = e.Raw
		}
		if i%3 == 0 {
			e.Level = cloudsage.LevelError
			e.Fields = map[string]string{"route": fmt.Sprint("/r", i%7)}
			fields = fmt.Sprintf(`{"route":"/r%d"}`, i%7)
			e.Signals = cloudsage.Signals{Status: 503, LatencyMS: 12.5, HasLatency: true}
			sig = `{"s":503,"l":12.5,"hl":true}`
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO events (id, project_id, batch_id, time, level, service, host, pattern, format, message, raw, fields, signals, time_guessed)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 0)`,
			i+1, pid, 1+i/1500, e.Time.UnixNano(), int(e.Level), e.Service, e.Host, string(e.Pattern), e.Format, e.Message, raw, fields, sig)
		noErr(t, err)
		want = append(want, e)
	}
	noErr(t, tx.Commit())
	// Tokens from before scopes keep what their role allowed.
	for i, role := range []string{"viewer", "member", "admin"} {
		_, err = db.ExecContext(ctx, `INSERT INTO api_tokens (project_id, name, prefix, hash, role, created_by, created_at) VALUES ($1, $2, 'cs_', $3, $2, $4, 1)`,
			pid, role, fmt.Sprint("legacy-hash-", i), uid)
		noErr(t, err)
	}
	s := open(t)
	p := cloudsage.ProjectID(pid)
	wantScopes := map[string][]store.Scope{"viewer": {store.ScopeRead}, "member": {store.ScopeIngest, store.ScopeRead},
		"admin": {store.ScopeIngest, store.ScopeRead, store.ScopeAdmin}}
	for _, tok := range must(s.Tokens(ctx, p))(t) {
		if !slices.Equal(tok.Scopes, wantScopes[tok.Name]) || tok.CreatedByEmail != "ann@example.com" || tok.ExpiresAt != nil {
			t.Errorf("legacy %s token after migration: %+v, want scopes %v", tok.Name, tok, wantScopes[tok.Name])
		}
	}
	if c := must(s.CountEvents(ctx, p))(t); c != n {
		t.Errorf("CountEvents after conversion = %d, want %d", c, n)
	}
	var left int
	noErr(t, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM events`).Scan(&left))
	if left != 0 {
		t.Errorf("%d legacy event rows left after conversion", left)
	}
	var got []cloudsage.Event
	q := store.EventQuery{Project: p, Limit: 1000}
	for range 5 {
		page := must(s.SearchEvents(ctx, q))(t)
		for _, e := range page.Events {
			got = append(got, e.Event)
		}
		if q.Cursor = page.NextCursor; q.Cursor == "" {
			break
		}
	}
	slices.Reverse(got) // oldest first, as inserted
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("converted events differ (-want +got):\n%.3000s", diff)
	}
	for q, count := range map[string]int{"served": n, "r3": n / 21, "old-request-42": 1} {
		page := must(s.SearchEvents(ctx, store.EventQuery{Project: p, Q: q, Limit: 1000}))(t)
		if k := len(page.Events); k != min(count, 1000) {
			t.Errorf("search %q after conversion = %d events, want %d", q, k, min(count, 1000))
		}
	}
}
