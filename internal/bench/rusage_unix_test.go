//go:build unix

package bench

import "testing"

func TestMaxRSS(t *testing.T) {
	if MaxRSSBytes() < 1<<20 {
		t.Errorf("MaxRSSBytes() = %d, implausibly small", MaxRSSBytes())
	}
}
