package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/store/sqlstore"
)

// TokenReplicas checks how the SQL stores authenticate tokens: a use is
// recorded in memory, shown at once by the store that saw it and by the
// others after a flush (or the first store's Close); authentication does
// not wait for a held writer; a revoke is refused at once by the store
// that made it and by the others within sqlstore.TokenCacheTTL. Each
// call of open returns another store (a replica) over the same database.
func TokenReplicas(t *testing.T, open func(t *testing.T) *sqlstore.DB) {
	ttl := sqlstore.TokenCacheTTL
	sqlstore.TokenCacheTTL = time.Second
	t.Cleanup(func() { sqlstore.TokenCacheTTL = ttl })
	ctx := context.Background()
	a, b := open(t), open(t)
	ann := user(t, a, "ann@example.com")
	p := must(a.CreateProject(ctx, ann.ID, store.Project{Name: "a"}))(t)
	tok := must(a.CreateToken(ctx, store.Token{ProjectID: p.ID, Name: "ci", Hash: "h1", Scopes: []store.Scope{store.ScopeRead}}))(t)

	// Authentication does not write: it answers while another
	// transaction holds the token's row (and SQLite's one writer).
	hold, err := a.W.BeginTx(ctx, nil)
	noErr(t, err)
	if _, err := hold.ExecContext(ctx, `UPDATE api_tokens SET name = name WHERE id = $1`, tok.ID); err != nil {
		hold.Rollback()
		t.Fatal(err)
	}
	quick, cancel := context.WithTimeout(ctx, 5*time.Second)
	got, err := a.TokenByHash(quick, "h1", t0, "192.0.2.1")
	cancel()
	hold.Rollback()
	if err != nil {
		t.Fatalf("TokenByHash while the writer is held: %v", err)
	}
	if got.ID != tok.ID || got.LastUsedAt == nil || !got.LastUsedAt.Equal(t0) || got.LastIP != "192.0.2.1" {
		t.Errorf("TokenByHash = %+v, want its use at %s from 192.0.2.1", got, t0)
	}
	lastUse := func(s *sqlstore.DB) string {
		t.Helper()
		ts := must(s.Tokens(ctx, p.ID))(t)
		if len(ts) != 1 || ts[0].LastUsedAt == nil {
			return "never"
		}
		return fmt.Sprintf("%s from %s", ts[0].LastUsedAt.UTC().Format(time.RFC3339), ts[0].LastIP)
	}
	use0 := t0.Format(time.RFC3339) + " from 192.0.2.1"
	if got := lastUse(a); got != use0 {
		t.Errorf("the store that saw the use lists it as %s, want %s", got, use0)
	}
	noErr(t, a.FlushTokenUses(ctx))
	if got := lastUse(b); got != use0 {
		t.Errorf("after the flush another replica lists the use as %s, want %s", got, use0)
	}
	// Within the minute from the same address: not recorded again; from
	// another address: recorded.
	must(a.TokenByHash(ctx, "h1", t0.Add(time.Second), "192.0.2.1"))(t)
	must(a.TokenByHash(ctx, "h1", t0.Add(2*time.Second), "192.0.2.2"))(t)
	use2 := t0.Add(2*time.Second).Format(time.RFC3339) + " from 192.0.2.2"
	if got := lastUse(a); got != use2 {
		t.Errorf("after a use from another address: %s, want %s", got, use2)
	}
	// A replica's older use does not move the stored one back.
	must(b.TokenByHash(ctx, "h1", t0.Add(-time.Hour), "192.0.2.3"))(t)
	noErr(t, a.FlushTokenUses(ctx))
	noErr(t, b.FlushTokenUses(ctx))
	c := open(t)
	if got := lastUse(c); got != use2 {
		t.Errorf("after both replicas flushed: %s, want %s", got, use2)
	}
	// Close writes what is left.
	must(c.TokenByHash(ctx, "h1", t0.Add(time.Hour), "192.0.2.4"))(t)
	noErr(t, c.Close())
	use3 := t0.Add(time.Hour).Format(time.RFC3339) + " from 192.0.2.4"
	if got := lastUse(open(t)); got != use3 {
		t.Errorf("after the replica that saw it closed: %s, want %s", got, use3)
	}

	// Revoked through the store that authenticated it (and cached it):
	// refused at once.
	noErr(t, a.DeleteToken(ctx, p.ID, tok.ID))
	_, err = a.TokenByHash(ctx, "h1", t0, "")
	wantKind(t, "revoked token, same store", err, cloudsage.NotFound)

	// Revoked through another replica: refused within the cache's life.
	tok2 := must(a.CreateToken(ctx, store.Token{ProjectID: p.ID, Name: "ci2", Hash: "h2"}))(t)
	must(b.TokenByHash(ctx, "h2", t0, "::1"))(t)
	noErr(t, a.DeleteToken(ctx, p.ID, tok2.ID))
	revoked := time.Now()
	for {
		_, err := b.TokenByHash(ctx, "h2", t0, "::1")
		if store.IsNotFound(err) {
			break
		}
		noErr(t, err)
		if time.Since(revoked) > sqlstore.TokenCacheTTL+time.Second {
			t.Fatalf("a token revoked by another replica still works %s later (cache TTL %s)", time.Since(revoked), sqlstore.TokenCacheTTL)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// A deleted project's tokens are refused at once.
	q := must(a.CreateProject(ctx, ann.ID, store.Project{Name: "q"}))(t)
	must(a.CreateToken(ctx, store.Token{ProjectID: q.ID, Name: "q", Hash: "h3"}))(t)
	must(a.TokenByHash(ctx, "h3", t0, "::1"))(t)
	noErr(t, a.DeleteProject(ctx, q.ID))
	_, err = a.TokenByHash(ctx, "h3", t0, "")
	wantKind(t, "token of a deleted project", err, cloudsage.NotFound)

	// Concurrent uses, flushes and a revoke (for the race detector): once
	// the revoke returned, no lookup succeeds.
	tok4 := must(a.CreateToken(ctx, store.Token{ProjectID: p.ID, Name: "busy", Hash: "h4"}))(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var revokedAt time.Time
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 40 {
				mu.Lock()
				done := !revokedAt.IsZero()
				mu.Unlock()
				_, err := a.TokenByHash(ctx, "h4", t0.Add(time.Duration(j)*time.Minute), fmt.Sprintf("192.0.2.%d", i))
				if done && err == nil {
					errs <- errors.New("a lookup after the revoke returned succeeded")
					return
				}
				if err != nil && !store.IsNotFound(err) {
					errs <- err
					return
				}
				if j%10 == 0 {
					if err := a.FlushTokenUses(ctx); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	time.Sleep(5 * time.Millisecond)
	noErr(t, a.DeleteToken(ctx, p.ID, tok4.ID))
	mu.Lock()
	revokedAt = time.Now()
	mu.Unlock()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
