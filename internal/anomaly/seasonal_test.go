package anomaly

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// flatDay returns 14 days of five-minute points of a daily cycle, except
// that on day 10 the cycle stops: the value stays at the daily mean. Every
// value of that day lies inside the usual range and moves smoothly.
func flatDay(r *rand.Rand) []float64 {
	xs := daily5(r, 14*288)
	for i := 10 * 288; i < 11*288; i++ {
		xs[i] = 100 + 3*r.NormFloat64()
	}
	return xs
}

// A cycle that stops inside its usual range is what the seasonal score
// adds: the baseline detector does not see it, the default does within a
// few hours, and neither alerts on the normal days.
func TestDetectorSeasonalFindsBrokenCycle(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want bool
	}{
		{"baseline", Baseline(), false},
		{"default", DefaultConfig(), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			xs := flatDay(rand.New(rand.NewPCG(21, 22)))
			d := New(tc.cfg)
			scores := make([]float64, len(xs))
			for i, x := range xs {
				scores[i] = d.Update(t0.Add(time.Duration(i)*5*time.Minute), x)
			}
			if n := count(scores[4*288:10*288], detectThreshold); n != 0 {
				t.Errorf("%d alerts on the normal days 4-9", n)
			}
			// Within four hours of the stop (the cycle has moved 35 away
			// from the mean by then).
			if got := maxIn(scores, 10*288, 10*288+48) >= detectThreshold; got != tc.want {
				t.Errorf("stopped cycle detected = %v (max score %.3f), want %v", got, maxIn(scores, 10*288, 10*288+48), tc.want)
			}
		})
	}
}

// On a series without a daily cycle the seasonal model explains nothing
// better than the series' own spread, so it stays silent: the default
// scores white noise exactly as it would without it.
func TestDetectorSeasonalOffWithoutSeason(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	xs := noise(r, 10*288, 50, 2)
	with, without := New(DefaultConfig()), New(DefaultConfig())
	without.season = nil
	for i, x := range xs {
		ts := t0.Add(time.Duration(i) * 5 * time.Minute)
		if a, b := with.Update(ts, x), without.Update(ts, x); a != b {
			t.Fatalf("point %d: score %v with the seasonal model, %v without", i, a, b)
		}
	}
}

func TestDayBucket(t *testing.T) {
	tests := []struct {
		t      time.Time
		day    int64
		bucket int
	}{
		{time.Unix(0, 0), 0, 0},
		{time.Unix(86400+15*60, 0), 1, 1},
		{time.Unix(86400-1, 0), 0, seasonBuckets - 1},
		{time.Unix(-1, 0), -1, seasonBuckets - 1},
		{time.Unix(-86400, 0), -1, 0},
		{time.Time{}, -719162, 0},
	}
	for _, tc := range tests {
		if day, b := dayBucket(tc.t); day != tc.day || b != tc.bucket {
			t.Errorf("dayBucket(%v) = %d, %d, want %d, %d", tc.t, day, b, tc.day, tc.bucket)
		}
	}
}

// The model's memory does not grow with the series: after a year of points
// it holds at most seasonDays days.
func TestSeasonalBounded(t *testing.T) {
	s := newSeasonal(100, 6)
	for i := range 365 * 96 {
		s.push(t0.Add(time.Duration(i)*15*time.Minute), math.Sin(float64(i)), math.Inf(1))
	}
	st := s.state()
	if len(st.Days) != seasonDays || len(st.Sums) != seasonDays*seasonBuckets || len(st.Res[0]) != 100 || len(st.Rec[1]) != 6 {
		t.Errorf("state after a year: %d days, %d sums, %d+%d residuals", len(st.Days), len(st.Sums), len(st.Res[0]), len(st.Rec[1]))
	}
	for _, bad := range []*seasonalState{
		{Days: make([]int64, seasonDays+1)},
		{Days: []int64{5}, Sums: make([]float64, 3), Counts: make([]int32, seasonBuckets)},
		{Days: []int64{5, 5 + seasonDays}, Sums: make([]float64, 2*seasonBuckets), Counts: make([]int32, 2*seasonBuckets)},
		{Res: [2][]float64{make([]float64, 101)}},
	} {
		if newSeasonal(100, 6).restore(bad) {
			t.Errorf("restore accepted %d days, %d sums, %d residuals", len(bad.Days), len(bad.Sums), len(bad.Res[0]))
		}
	}
}

// The default is one of the candidates it was chosen among, and so is the
// baseline; every candidate is a valid configuration.
func TestCandidates(t *testing.T) {
	var def, base bool
	for _, c := range Candidates() {
		if New(c.Config).Config() != c.Config {
			t.Errorf("candidate %s is changed by New", c.Name)
		}
		def = def || c.Config == DefaultConfig()
		base = base || c.Config == Baseline()
	}
	if !def || !base {
		t.Errorf("DefaultConfig among the candidates: %v, Baseline: %v", def, base)
	}
}
