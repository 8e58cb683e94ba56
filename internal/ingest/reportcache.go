package ingest

import (
	"sync"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
)

// reportCache keeps projects' latest stored reports in memory, so that the
// dashboard's reads (the project page, GET /api/forecast) do not fetch the
// report from the store each time. An entry is dropped when a batch of its
// project is stored here or, through Service.Invalidate, on another
// replica; a fill that raced with such a drop is not kept (gen). Bounded
// by bytes: past the bound, entries are dropped at random (Go's map order)
// until it fits.
type reportCache struct {
	mu    sync.Mutex
	m     map[cloudsage.ProjectID]cachedReport
	gen   map[cloudsage.ProjectID]uint64 // bumped on every drop
	epoch uint64                         // bumped on every clear
	bytes int
	max   int
}

type cachedReport struct {
	rep    store.Report
	size   int
	filled time.Time
}

// cacheGen is what a miss hands back to put: the fill is kept only if
// nothing was dropped in between.
type cacheGen struct{ gen, epoch uint64 }

// reportCacheBytes bounds the cached bodies per replica.
const reportCacheBytes = 64 << 20

func newReportCache(max int) *reportCache {
	return &reportCache{m: map[cloudsage.ProjectID]cachedReport{}, gen: map[cloudsage.ProjectID]uint64{}, max: max}
}

// get returns the cached report of id if it was filled after since and
// within maxAge of now; else the generation to hand back to put.
func (c *reportCache) get(id cloudsage.ProjectID, since, now time.Time) (store.Report, bool, cacheGen) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	if ok && e.filled.After(since) && now.Sub(e.filled) < reportMaxAge {
		return e.rep, true, cacheGen{}
	}
	return store.Report{}, false, cacheGen{c.gen[id], c.epoch}
}

// reportMaxAge is how long a cached report is used at most: a safety net
// should a drop from another replica be lost on the way.
const reportMaxAge = time.Minute

// put keeps rep, filled at now, unless id was dropped since get returned gen.
func (c *reportCache) put(id cloudsage.ProjectID, gen cacheGen, rep store.Report, now time.Time) {
	size := len(rep.Body) + 256
	if size > c.max/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen[id] != gen.gen || c.epoch != gen.epoch {
		return
	}
	if old, ok := c.m[id]; ok {
		c.bytes -= old.size
	}
	for k, e := range c.m {
		if c.bytes+size <= c.max {
			break
		}
		if k != id {
			delete(c.m, k)
			c.bytes -= e.size
		}
	}
	c.m[id] = cachedReport{rep: rep, size: size, filled: now}
	c.bytes += size
}

// drop forgets id's report: a newer one is stored.
func (c *reportCache) drop(id cloudsage.ProjectID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen[id]++
	if e, ok := c.m[id]; ok {
		delete(c.m, id)
		c.bytes -= e.size
	}
}

// clear forgets every report (the replica may have missed drops).
func (c *reportCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	c.m = map[cloudsage.ProjectID]cachedReport{}
	c.bytes = 0
}
