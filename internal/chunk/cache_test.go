package chunk

import (
	"testing"
	"time"
)

func TestCache(t *testing.T) {
	const ttl = time.Minute
	now := time.Unix(1000, 0)
	c := NewCache(1<<20, ttl)
	c.now = func() time.Time { return now }
	evs := []Event{{ID: 1}, {ID: 2}}
	c.Put("q1", 7, evs)
	c.Put("q2", 7, evs[:1])
	if got, ok := c.Get("q1", 7); !ok || len(got) != 2 {
		t.Fatalf("Get after Put = %v, %v", got, ok)
	}
	if _, ok := c.Get("q1", 8); ok {
		t.Error("an entry of another chunk is served")
	}
	c.Drop([]int64{7})
	if _, ok := c.Get("q1", 7); ok {
		t.Error("an entry of a dropped chunk is still there")
	}
	if _, ok := c.Get("q2", 7); ok || c.size != 0 || len(c.byChunk) != 0 {
		t.Errorf("after Drop: size %d, byChunk %v", c.size, c.byChunk)
	}
	c.Put("q1", 7, evs)
	now = now.Add(ttl + time.Second)
	if _, ok := c.Get("q1", 7); ok {
		t.Error("an expired entry is still served")
	}
	// Past the byte budget the least recently used entries go.
	small := NewCache(8*1000, ttl)
	for i := range 100 {
		small.Put("q", int64(i), evs)
	}
	if small.size > small.max || small.lru.Len() == 100 {
		t.Errorf("size %d of %d with %d entries", small.size, small.max, small.lru.Len())
	}
	if _, ok := small.Get("q", 99); !ok {
		t.Error("the newest entry was evicted")
	}
}
