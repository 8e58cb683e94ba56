package anomaly

import (
	"math"
	"slices"
	"time"
)

// The seasonal model's resolution and memory: the mean of each 15-minute
// time-of-day bucket of each of the last 28 days.
const (
	seasonBucket  = 15 * time.Minute
	seasonBuckets = int(24 * time.Hour / seasonBucket)
	seasonDays    = 28
)

// seasonModels are the seasonal models compared: the same bucket on the
// previous back days (need of them with data), then on the same weekday of
// the previous back weeks.
var seasonModels = [2]struct{ step, back, need int }{{1, 7, 3}, {7, 4, 2}}

// seasonal is a robust seasonal model of the series. It keeps, for each of
// the last seasonDays days, the sum and count of the values in each
// time-of-day bucket; the value expected at t by a model is the median of
// the bucket means it looks at. For each model it keeps the history of its
// short-term mean residual, to score the current one as a robust z, and to
// measure how well the model explains the series. Memory is fixed:
// seasonDays*seasonBuckets sums and counts and two residual histories.
type seasonal struct {
	day   [seasonDays]int64 // day number held by each slot; slots start empty (0 sums)
	used  [seasonDays]bool
	sum   [seasonDays * seasonBuckets]float64
	count [seasonDays * seasonBuckets]int32
	res   [2]*window // per model: history of the short-term mean residual
	rec   [2]*window // per model: the last Short residuals
	means []float64  // scratch for the median
}

func newSeasonal(history, short int) *seasonal {
	s := &seasonal{means: make([]float64, 0, seasonDays)}
	for m := range s.res {
		s.res[m], s.rec[m] = newWindow(history), newWindow(short)
	}
	return s
}

// dayBucket returns t's day number since the Unix epoch (UTC) and its
// time-of-day bucket.
func dayBucket(t time.Time) (int64, int) {
	u := t.Unix()
	day := u / 86400
	if u%86400 < 0 {
		day--
	}
	return day, int((u - day*86400) / int64(seasonBucket/time.Second))
}

func daySlot(day int64) int { return int(((day % seasonDays) + seasonDays) % seasonDays) }

// push scores v observed at t and learns it. It returns the robust z of the
// short-term mean residual of the model that explains the series best, and
// false when no model has enough history or none explains the series: its
// residual spread is not below maxSpread.
func (s *seasonal) push(t time.Time, v, maxSpread float64) (float64, bool) {
	day, b := dayBucket(t)
	best, bestSpread, ok := 0.0, 0.0, false
	for m, model := range seasonModels {
		e, have := s.expect(day, b, model.step, model.back, model.need)
		if !have {
			continue
		}
		s.rec[m].push(v - e)
		r := s.rec[m].mean()
		if res := s.res[m]; len(res.sorted) >= 100 {
			spread := scale(res)
			if z := math.Abs(r-res.quantile(0.5)) / spread; spread < maxSpread && !math.IsNaN(z) && (!ok || spread < bestSpread) {
				best, bestSpread, ok = z, spread, true
			}
		}
		s.res[m].push(r)
	}
	s.learn(day, b, v)
	return best, ok
}

func (s *seasonal) learn(day int64, b int, v float64) {
	slot := daySlot(day)
	if !s.used[slot] || s.day[slot] != day {
		if s.used[slot] && s.day[slot] > day {
			return // a point more than seasonDays late: too old to keep
		}
		s.day[slot], s.used[slot] = day, true
		clear(s.sum[slot*seasonBuckets : (slot+1)*seasonBuckets])
		clear(s.count[slot*seasonBuckets : (slot+1)*seasonBuckets])
	}
	s.sum[slot*seasonBuckets+b] += v
	s.count[slot*seasonBuckets+b]++
}

// expect returns the median of bucket b's means on the back days day-step,
// day-2*step, ..., and false when fewer than need of them have data.
func (s *seasonal) expect(day int64, b, step, back, need int) (float64, bool) {
	s.means = s.means[:0]
	for k := 1; k <= back; k++ {
		d := day - int64(k*step)
		slot := daySlot(d)
		if !s.used[slot] || s.day[slot] != d {
			continue
		}
		if n := s.count[slot*seasonBuckets+b]; n > 0 {
			s.means = append(s.means, s.sum[slot*seasonBuckets+b]/float64(n))
		}
	}
	n := len(s.means)
	if n < need {
		return 0, false
	}
	slices.Sort(s.means)
	if n%2 == 1 {
		return s.means[n/2], true
	}
	return (s.means[n/2-1] + s.means[n/2]) / 2, true
}

// seasonalState is the seasonal model's persistent form: the days held,
// oldest first, each with its bucket sums and counts, and the residual
// histories.
type seasonalState struct {
	Days   []int64
	Sums   []float64 // seasonBuckets per day
	Counts []int32
	Res    [2][]float64
	Rec    [2][]float64
}

func (s *seasonal) state() *seasonalState {
	st := &seasonalState{}
	var slots []int
	for i := range s.day {
		if s.used[i] {
			slots = append(slots, i)
		}
	}
	slices.SortFunc(slots, func(a, b int) int { return int(s.day[a] - s.day[b]) })
	for _, i := range slots {
		st.Days = append(st.Days, s.day[i])
		st.Sums = append(st.Sums, s.sum[i*seasonBuckets:(i+1)*seasonBuckets]...)
		st.Counts = append(st.Counts, s.count[i*seasonBuckets:(i+1)*seasonBuckets]...)
	}
	for m := range s.res {
		st.Res[m], st.Rec[m] = s.res[m].values(), s.rec[m].values()
	}
	return st
}

// restore sets the state written by state; it reports false when it does
// not fit.
func (s *seasonal) restore(st *seasonalState) bool {
	n := len(st.Days)
	if n > seasonDays || len(st.Sums) != n*seasonBuckets || len(st.Counts) != n*seasonBuckets {
		return false
	}
	for k, day := range st.Days {
		slot := daySlot(day)
		if s.used[slot] {
			return false // two days in one slot: not written by state
		}
		s.day[slot], s.used[slot] = day, true
		copy(s.sum[slot*seasonBuckets:], st.Sums[k*seasonBuckets:(k+1)*seasonBuckets])
		copy(s.count[slot*seasonBuckets:], st.Counts[k*seasonBuckets:(k+1)*seasonBuckets])
	}
	for m := range s.res {
		if !s.res[m].restore(st.Res[m]) || !s.rec[m].restore(st.Rec[m]) {
			return false
		}
	}
	return true
}
