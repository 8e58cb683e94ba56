package sqlstore

import (
	"cmp"
	"slices"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/chunk"
	"github.com/cloudsage/cloudsage/internal/store"
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

// byTimeID orders as time.Time.Compare, then id, does: times outside
// Unix nanoseconds' range and the zero time included.
func TestByTimeID(t *testing.T) {
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	times := []time.Time{base, base.Add(time.Nanosecond), base.Add(-time.Second), {}, time.Date(1500, 1, 1, 0, 0, 0, 5, time.UTC),
		time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC), base}
	var evs []store.Event
	for i, tm := range times {
		evs = append(evs, store.Event{ID: int64(100 - i%3)})
		evs[len(evs)-1].Time = tm
	}
	want := slices.Clone(evs)
	slices.SortFunc(want, func(a, b store.Event) int { return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.ID, b.ID)) })
	got := byTimeID(evs)
	for i := range want {
		if !got[i].Time.Equal(want[i].Time) || got[i].ID != want[i].ID {
			t.Fatalf("event %d: %v id %d, want %v id %d", i, got[i].Time, got[i].ID, want[i].Time, want[i].ID)
		}
	}
}
