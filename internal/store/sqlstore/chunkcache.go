package sqlstore

import (
	"container/list"
	"fmt"
	"sync"
	"time"

	"github.com/cloudsage/cloudsage/internal/store"
)

// Paging through a search decodes, on every page, the chunks whose time
// range straddles the cursor as well as the page's own: where batches
// overlap in time (logs sent late, or replayed) that is most of them, page
// after page. The search cache keeps, per query (everything but the cursor)
// and chunk, the events of the chunk that match, so that a chunk is decoded
// once while a user pages on. Chunks change only when retention rewrites
// or deletes them, which drops their entries here; entries also expire
// after searchCacheTTL, which bounds what another replica's retention can
// leave visible.

const (
	searchCacheBytes = 64 << 20
	searchCacheTTL   = time.Minute
)

type cacheKey struct {
	query string // the matcher without its cursor
	chunk int64
}

type cacheEntry struct {
	key    cacheKey
	events []store.Event // in chunk order
	size   int
	at     time.Time
}

type chunkCache struct {
	mu      sync.Mutex
	max     int
	size    int
	lru     *list.List // front: most recently used
	entries map[cacheKey]*list.Element
	byChunk map[int64][]cacheKey
	now     func() time.Time
}

func newChunkCache(max int) *chunkCache {
	return &chunkCache{max: max, lru: list.New(), entries: map[cacheKey]*list.Element{}, byChunk: map[int64][]cacheKey{}, now: time.Now}
}

func (c *chunkCache) get(k cacheKey) ([]store.Event, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[k]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if c.now().Sub(e.at) > searchCacheTTL {
		c.remove(el)
		return nil, false
	}
	c.lru.MoveToFront(el)
	return e.events, true
}

func (c *chunkCache) put(k cacheKey, evs []store.Event) {
	size := 64
	for i := range evs {
		e := &evs[i]
		size += 160 + len(e.Message) + len(e.Raw) + len(e.Service) + len(e.Host) + len(e.Pattern)
		for k, v := range e.Fields {
			size += 32 + len(k) + len(v)
		}
	}
	if size > c.max/8 {
		return // one chunk must not push out everything else
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[k]; ok {
		c.remove(el)
	}
	c.entries[k] = c.lru.PushFront(&cacheEntry{key: k, events: evs, size: size, at: c.now()})
	c.byChunk[k.chunk] = append(c.byChunk[k.chunk], k)
	c.size += size
	for c.size > c.max {
		c.remove(c.lru.Back())
	}
}

// drop forgets every entry of the chunks ids (rewritten or deleted).
func (c *chunkCache) drop(ids []int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		for _, k := range c.byChunk[id] {
			if el, ok := c.entries[k]; ok {
				c.remove(el)
			}
		}
		delete(c.byChunk, id)
	}
}

func (c *chunkCache) remove(el *list.Element) {
	e := c.lru.Remove(el).(*cacheEntry)
	delete(c.entries, e.key)
	c.size -= e.size
	ks := c.byChunk[e.key.chunk]
	for i, k := range ks {
		if k == e.key {
			ks[i] = ks[len(ks)-1]
			ks = ks[:len(ks)-1]
			break
		}
	}
	if len(ks) == 0 {
		delete(c.byChunk, e.key.chunk)
	} else {
		c.byChunk[e.key.chunk] = ks
	}
}

// queryKey is what identifies m's query apart from its cursor: every field
// of the matcher (so a filter added to it later is part of the key too)
// except the cursor and the scratch buffer.
func queryKey(m *matcher) string {
	q := *m
	q.curT, q.curID, q.hasCur, q.toks = 0, 0, false, nil
	return fmt.Sprintf("%#v", q)
}
