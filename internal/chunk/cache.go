package chunk

import (
	"container/list"
	"sync"
	"time"
)

// Paging through a search decodes, on every page, the chunks whose time
// range straddles the cursor as well as the page's own: where batches
// overlap in time (logs sent late, or replayed) that is most of them, page
// after page. A Cache keeps, per query (Matcher.Key: everything but the
// cursor) and chunk, the events of the chunk that match, so that a chunk
// is decoded once while a user pages on. Chunks change only when
// retention or compaction rewrites or deletes them, and the store then
// drops their entries; entries also expire after the cache's time to live,
// which bounds what another replica's retention can leave visible.
type Cache struct {
	mu      sync.Mutex
	max     int
	ttl     time.Duration
	size    int
	lru     *list.List // front: most recently used
	entries map[cacheKey]*list.Element
	byChunk map[int64][]cacheKey
	now     func() time.Time
}

type cacheKey struct {
	query string // the matcher without its cursor
	chunk int64
}

type cacheEntry struct {
	key    cacheKey
	events []Event // in chunk order
	size   int
	at     time.Time
}

// NewCache returns a cache of about maxBytes whose entries live ttl.
func NewCache(maxBytes int, ttl time.Duration) *Cache {
	return &Cache{max: maxBytes, ttl: ttl, lru: list.New(), entries: map[cacheKey]*list.Element{}, byChunk: map[int64][]cacheKey{}, now: time.Now}
}

// Get returns the cached matches of query in chunk. The events are shared:
// the caller must not change them.
func (c *Cache) Get(query string, chunk int64) ([]Event, bool) {
	k := cacheKey{query, chunk}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[k]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if c.now().Sub(e.at) > c.ttl {
		c.remove(el)
		return nil, false
	}
	c.lru.MoveToFront(el)
	return e.events, true
}

// Put keeps evs as the matches of query in chunk.
func (c *Cache) Put(query string, chunk int64, evs []Event) {
	k := cacheKey{query, chunk}
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

// Drop forgets every entry of the chunks ids (rewritten or deleted).
func (c *Cache) Drop(ids []int64) {
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

func (c *Cache) remove(el *list.Element) {
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
