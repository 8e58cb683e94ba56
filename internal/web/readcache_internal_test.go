package web

import (
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/store"
)

// TestReadCache: what may be cached and for how long — nothing without a
// way to hear of other replicas' writes, nothing read before Redis last
// came back, nothing a flush raced, nothing past the TTL.
func TestReadCache(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	up, since := true, clock.Add(-time.Hour)
	c := newReadCache(func() (bool, time.Time) { return up, since })
	c.now = func() time.Time { return clock }
	sess := store.Session{Hash: "h", UserID: 7}
	get := func() bool { _, ok := lookup(c, c.sessions, "h"); return ok }

	keep(c, c.begin(), c.sessions, "h", sess)
	if v, ok := lookup(c, c.sessions, "h"); !ok || v.UserID != 7 {
		t.Fatalf("lookup after keep = %v, %v", v, ok)
	}
	// A flush empties it, and a read begun before the flush is not kept.
	tk := c.begin()
	c.flush()
	if get() {
		t.Fatal("entry survived a flush")
	}
	keep(c, tk, c.sessions, "h", sess)
	if get() {
		t.Fatal("a read begun before a flush was kept")
	}
	// Past the TTL it is gone.
	keep(c, c.begin(), c.sessions, "h", sess)
	clock = clock.Add(readCacheTTL)
	if get() {
		t.Fatal("entry used past the TTL")
	}
	// While Redis is down nothing is kept or used; entries read before it
	// came back are not used after.
	keep(c, c.begin(), c.sessions, "h", sess)
	up = false
	if get() {
		t.Fatal("entry used while Redis is down")
	}
	keep(c, c.begin(), c.sessions, "h", sess)
	up, since = true, clock.Add(time.Second)
	if get() {
		t.Fatal("an entry read before Redis came back was used")
	}
	clock = clock.Add(2 * time.Second)
	keep(c, c.begin(), c.sessions, "h", sess)
	if !get() {
		t.Fatal("an entry read after Redis came back was not used")
	}
	// No way to hear of writes (PostgreSQL without Redis): no caching.
	off := newReadCache(nil)
	keep(off, off.begin(), off.sessions, "h", sess)
	if _, ok := lookup(off, off.sessions, "h"); ok {
		t.Fatal("cached without invalidation")
	}
}
