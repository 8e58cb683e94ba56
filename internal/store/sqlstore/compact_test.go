package sqlstore

import (
	"testing"

	"github.com/cloudsage/cloudsage/internal/chunk"
)

// The tiers: under compactFanIn chunks, then from compactFanIn chunks up
// by factors of compactFanInBig; a merge of fanIn(t) full runs of tier t
// lands in a higher tier, so an event moves up at every merge.
func TestRunTiers(t *testing.T) {
	const c = chunk.MaxEvents
	for _, tc := range []struct {
		chunks int64
		tier   int
	}{
		{0, 0}, {1, 0}, {compactFanIn - 1, 0},
		{compactFanIn, 1}, {10, 1}, {compactFanIn*compactFanInBig - 1, 1},
		{compactFanIn * compactFanInBig, 2}, {compactFanIn*compactFanInBig*compactFanInBig - 1, 2},
		{compactFanIn * compactFanInBig * compactFanInBig, 3},
	} {
		if got := runTier(tc.chunks * c); got != tc.tier {
			t.Errorf("runTier(%d chunks) = %d, want %d", tc.chunks, got, tc.tier)
		}
	}
	for tier := range 4 {
		// The smallest run of the tier, merged fanIn times over.
		low := int64(0)
		if tier > 0 {
			low = compactFanIn
			for range tier - 1 {
				low *= compactFanInBig
			}
		}
		merged := max(low, 1) * int64(fanIn(tier))
		if got := runTier(merged * c); got <= tier {
			t.Errorf("%d runs of %d chunks (tier %d) merge into tier %d, want a higher tier", fanIn(tier), max(low, 1), tier, got)
		}
	}
}
