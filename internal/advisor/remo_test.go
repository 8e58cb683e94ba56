package advisor

import (
	"fmt"
	"regexp"
	"slices"
	"sync"
	"testing"
)

// Remembered results are the expressions' own, however often asked, from
// several goroutines, and across the memory's reset.
func TestRemembered(t *testing.T) {
	res := []*regexp.Regexp{requestRE, pathKVRE, ipRE, regexp.MustCompile(`(?i)timed? ?out`)}
	texts := []string{"GET /api/v1/orders/123 500", "path=/health ok", "from 10.0.0.7 refused", "upstream timed out", "nothing here", ""}
	check := func() {
		for _, re := range res {
			for _, s := range texts {
				if got, want := findIndex(re, s), re.FindStringIndex(s); !slices.Equal(got, want) {
					t.Errorf("findIndex(%s, %q) = %v, want %v", re, s, got, want)
				}
				if got, want := findSubmatch(re, s), re.FindStringSubmatch(s); !slices.Equal(got, want) {
					t.Errorf("findSubmatch(%s, %q) = %q, want %q", re, s, got, want)
				}
				if got, want := matches(re, s), re.MatchString(s); got != want {
					t.Errorf("matches(%s, %q) = %v, want %v", re, s, got, want)
				}
			}
		}
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { check(); check() })
	}
	wg.Wait()
	// Past its bound the memory starts afresh and stays bounded.
	long := string(make([]byte, 1<<20))
	for i := range remoBytes>>20 + 4 {
		findIndex(requestRE, fmt.Sprint(i)+long)
	}
	remo.Lock()
	n := remo.bytes
	remo.Unlock()
	if n > remoBytes {
		t.Errorf("remembered %d bytes of texts, bound %d", n, remoBytes)
	}
	check()
}
