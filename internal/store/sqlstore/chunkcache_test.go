package sqlstore

import (
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/store"
)

func TestChunkCache(t *testing.T) {
	now := time.Unix(1000, 0)
	c := newChunkCache(1 << 20)
	c.now = func() time.Time { return now }
	evs := []store.Event{{ID: 1}, {ID: 2}}
	a, b := cacheKey{"q1", 7}, cacheKey{"q2", 7}
	c.put(a, evs)
	c.put(b, evs[:1])
	if got, ok := c.get(a); !ok || len(got) != 2 {
		t.Fatalf("get after put = %v, %v", got, ok)
	}
	c.drop([]int64{7})
	if _, ok := c.get(a); ok {
		t.Error("an entry of a dropped chunk is still there")
	}
	if _, ok := c.get(b); ok || c.size != 0 || len(c.byChunk) != 0 {
		t.Errorf("after drop: size %d, byChunk %v", c.size, c.byChunk)
	}
	c.put(a, evs)
	now = now.Add(searchCacheTTL + time.Second)
	if _, ok := c.get(a); ok {
		t.Error("an expired entry is still served")
	}
	// Past the byte budget the least recently used entries go.
	small := newChunkCache(8 * 1000)
	for i := range 100 {
		small.put(cacheKey{"q", int64(i)}, evs)
	}
	if small.size > small.max || small.lru.Len() == 100 {
		t.Errorf("size %d of %d with %d entries", small.size, small.max, small.lru.Len())
	}
	if _, ok := small.get(cacheKey{"q", 99}); !ok {
		t.Error("the newest entry was evicted")
	}
	// The key is the query without its cursor.
	m1 := &matcher{phrases: [][]string{{"disk"}}, curT: 5, hasCur: true}
	m2 := &matcher{phrases: [][]string{{"disk"}}, curT: 9, hasCur: true, toks: []string{"x"}}
	m3 := &matcher{phrases: [][]string{{"disk"}}, conds: []cond{{field: "service", values: []string{"api"}}}}
	if queryKey(m1) != queryKey(m2) || queryKey(m1) == queryKey(m3) {
		t.Errorf("queryKey: %q %q %q", queryKey(m1), queryKey(m2), queryKey(m3))
	}
}
