package web

import (
	"net/http"
	"sync"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
)

// readCache keeps what nearly every request looks up and what only this
// API's writes change: sessions, users, project memberships (with the
// project's name and settings) and the projects' action statuses, action
// feedback, overrides and comments. A cache hit answers a forecast read
// without a database round trip.
//
// Staying correct across replicas:
//   - Any state-changing request (not GET, HEAD or OPTIONS) other than
//     ingest empties the cache when it ends, here at once and on the other
//     replicas through the Redis live-update channel (cluster.Hub.Flush):
//     a sign-out, a revoked session, a removed member or a changed role
//     stops working everywhere within a message's time.
//   - A stored batch changes none of it: a membership entry keeps the
//     project's identity, role and settings, not its ingest counters (score,
//     events, last ingest), which it leaves zero (see accessCached).
//   - Entries are used only while invalidations can reach this replica: on
//     SQLite (one process) always; on PostgreSQL only with Redis up, and
//     only entries read after Redis last came back. Without Redis on
//     PostgreSQL nothing is cached.
//   - An entry lives readCacheTTL at most, which bounds what a change made
//     outside the API (the admin CLI resetting a user's 2FA) can leave.
//   - A lookup stores what it read only when no invalidation happened
//     since it began (gen), so a write racing a read is not undone.
type readCache struct {
	trust func() (bool, time.Time) // nil: caching off
	now   func() time.Time         // the cache's own clock (entries' ages)

	mu       sync.Mutex
	gen      uint64                                  // bumped by every flush
	sessions map[string]cached[store.Session]        // by hash
	users    map[cloudsage.UserID]cached[store.User] // by id
	members  map[memberKey]cached[store.Project]     // project as its member sees it
	statuses map[cloudsage.ProjectID]cached[[]store.ActionStatus]
	feedback map[cloudsage.ProjectID]cached[[]store.Feedback]
	override map[cloudsage.ProjectID]cached[[]store.Override]
	comments map[cloudsage.ProjectID]cached[[]store.Comment]
}

type memberKey struct {
	project cloudsage.ProjectID
	user    cloudsage.UserID
}

type cached[V any] struct {
	v  V
	at time.Time
}

// readCacheTTL is the longest an entry is used.
const readCacheTTL = 5 * time.Minute

// readCacheMax bounds each of the cache's maps; a full map is emptied.
const readCacheMax = 100_000

func newReadCache(trust func() (bool, time.Time)) *readCache {
	return &readCache{trust: trust, now: time.Now, sessions: map[string]cached[store.Session]{},
		users: map[cloudsage.UserID]cached[store.User]{}, members: map[memberKey]cached[store.Project]{},
		statuses: map[cloudsage.ProjectID]cached[[]store.ActionStatus]{}, feedback: map[cloudsage.ProjectID]cached[[]store.Feedback]{},
		override: map[cloudsage.ProjectID]cached[[]store.Override]{}, comments: map[cloudsage.ProjectID]cached[[]store.Comment]{}}
}

// ticket is taken before a database read and handed to put: it says
// whether the read may be cached, and which invalidations it must not
// have missed.
type ticket struct {
	ok  bool
	gen uint64
}

// begin returns the ticket of a read.
func (c *readCache) begin() ticket {
	if c == nil || c.trust == nil {
		return ticket{}
	}
	if ok, _ := c.trust(); !ok {
		return ticket{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return ticket{ok: true, gen: c.gen}
}

// valid reports whether an entry read at at may be used. Called with c.mu held.
func (c *readCache) valid(at time.Time) bool {
	if c.trust == nil {
		return false
	}
	ok, since := c.trust()
	return ok && at.After(since) && c.now().Sub(at) < readCacheTTL
}

// current reports whether t is still good for a put. Called with c.mu held.
func (c *readCache) current(t ticket) bool {
	return t.ok && t.gen == c.gen
}

func lookup[K comparable, V any](c *readCache, m map[K]cached[V], k K) (V, bool) {
	var zero V
	if c == nil || c.trust == nil {
		return zero, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := m[k]
	if !ok {
		return zero, false
	}
	if !c.valid(e.at) {
		delete(m, k)
		return zero, false
	}
	return e.v, true
}

func keep[K comparable, V any](c *readCache, t ticket, m map[K]cached[V], k K, v V) {
	if c == nil || !t.ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.current(t) {
		return
	}
	if len(m) >= readCacheMax {
		clear(m)
	}
	m[k] = cached[V]{v: v, at: c.now()}
}

// flush forgets everything (a write through the API, here or on another
// replica).
func (c *readCache) flush() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.sessions)
	clear(c.users)
	clear(c.members)
	clear(c.statuses)
	clear(c.feedback)
	clear(c.override)
	clear(c.comments)
}

// read returns m's entry for k, or what read returns (kept in m when no
// invalidation happened meanwhile). What it returns is shared: read only.
func read[K comparable, V any](c *readCache, m map[K]cached[V], k K, read func() (V, error)) (V, error) {
	if v, ok := lookup(c, m, k); ok {
		return v, nil
	}
	t := c.begin()
	v, err := read()
	if err == nil {
		keep(c, t, m, k, v)
	}
	return v, err
}

// touchedAt records that a cached session's last use was written at t.
func (c *readCache) touchedAt(hash string, t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.sessions[hash]; ok {
		e.v.LastSeenAt = t
		c.sessions[hash] = e
	}
}

// safeMethod reports whether a request's method changes nothing.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// flushAfterWrites empties the read cache, here and on the other
// replicas, after every state-changing request but ingest (whose batches
// change nothing the cache holds).
func (s *Server) flushAfterWrites(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if safeMethod(r.Method) {
			next.ServeHTTP(w, r)
			return
		}
		ri, _ := r.Context().Value(reqInfoKey).(*reqInfo)
		defer func() {
			if ri == nil || !ri.ingest {
				s.flushReads()
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// flushReads empties the read cache here and, through Redis, on the other
// replicas. A write that tells pages to refresh (a live event) calls it
// before publishing, so that the refresh, here or there, reads anew.
func (s *Server) flushReads() {
	s.reads.flush()
	if s.hub != nil {
		s.hub.Flush()
	}
}
