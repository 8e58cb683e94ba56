package risk

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/series"
)

// FromAgg turns a series aggregate into Metrics. minutes is the length of
// the range the aggregate covers (it may be shorter than the range asked
// for when history starts inside it).
func FromAgg(a *series.Agg, minutes float64) Metrics {
	return Metrics{
		Minutes:    minutes,
		Events:     float64(a.N),
		Errors:     float64(a.Errors()),
		LatencyP95: a.Lat.Quantile(0.95),
		LatencyN:   float64(a.Lat.N),
		MemPct:     a.MemPct.Mean(),
		MemPctN:    float64(a.MemPct.N),
		MemMB:      a.MemMB.Mean(),
		MemMBN:     float64(a.MemMB.N),
		CPU:        a.CPU.Mean(),
		CPUN:       float64(a.CPU.N),
		OOM:        float64(a.OOM),
	}
}

// Recent returns the metrics of the window that ends at at (inclusive). The
// series counts whole minutes, and the minute that holds at is only partly
// over: the rate is taken over the time actually covered, from the start of
// the first whole minute to at.
func Recent(s *series.Series, at time.Time, window time.Duration) Metrics {
	to := at.Add(time.Second).Truncate(time.Second)
	from := to.Add(-window)
	a := s.Window(from, to)
	start := from.Truncate(time.Minute)
	if start.Before(from) {
		start = start.Add(time.Minute)
	}
	return FromAgg(&a, to.Sub(start).Minutes())
}

// LearnBaseline returns what the window ending at at is compared with,
// learned from healthy history only: a baseline that took in the hours of
// a slow degradation would call the degradation normal. The whole hours of
// the last seven days before the window are compared with a better-than-
// usual hour (the lower quartile of each measurement, see healthyHours);
// an hour far worse than it is degraded and left out (see Degraded). From
// the healthy hours: the same hour on previous weeks when at least two are
// there, else the same hour on previous days when at least three are, else
// the latest 24 healthy hours pooled. With less than three healthy whole
// hours, the trailing history before the window (from the start of
// history, at least 30 minutes) is all there is.
func LearnBaseline(s *series.Series, at time.Time, cfg Config) Baseline {
	if s.Empty() {
		return Baseline{Source: "none"}
	}
	loc := cfg.Location
	if loc == nil {
		loc = time.UTC
	}
	first := s.First()
	winStart := at.Add(time.Second).Truncate(time.Second).Add(-cfg.Window)
	hs := healthyHours(s, winStart, first)

	sameHour := func(days []int) []Metrics {
		var out []Metrics
		local := at.In(loc)
		for _, d := range days {
			t := local.AddDate(0, 0, -d)
			h := t.Truncate(time.Hour)
			if !h.After(first.Truncate(time.Hour)) {
				continue // the hour is before history, or history starts inside it
			}
			a := s.Hour(t)
			m := FromAgg(&a, 60)
			if hs.ok && Degraded(m, hs.ref) {
				continue
			}
			out = append(out, m)
		}
		return out
	}
	note := ""
	if hs.degraded > 0 {
		note = fmt.Sprintf(" (%d degraded hour%s of the last %s left out)", hs.degraded, plural(hs.degraded), human(hs.span))
	}
	if ms := sameHour([]int{7, 14, 21, 28}); len(ms) >= 2 {
		return Baseline{Metrics: Median(ms), OK: true, Source: fmt.Sprintf("same hour of the week, %d previous weeks", len(ms)) + note}
	}
	if ms := sameHour([]int{1, 2, 3, 4, 5, 6, 7}); len(ms) >= 3 {
		return Baseline{Metrics: Median(ms), OK: true, Source: fmt.Sprintf("same hour of day, %d previous days", len(ms)) + note}
	}
	if hs.healthy >= 3 {
		src := fmt.Sprintf("the %s before", human(time.Duration(hs.pooled)*time.Hour))
		if hs.degraded > 0 {
			src = fmt.Sprintf("%d healthy hours before", hs.pooled) + note
		}
		return Baseline{Metrics: FromAgg(&hs.agg, float64(hs.pooled)*60), OK: true, Source: src}
	}
	to := winStart
	from := to.Add(-24 * time.Hour)
	if first.After(from) {
		from = first.Truncate(time.Minute)
	}
	span := to.Sub(from)
	if span < 30*time.Minute {
		return Baseline{Source: "none"}
	}
	a := s.Window(from, to)
	src := "the 24 h before"
	if span < 24*time.Hour-time.Minute {
		src = fmt.Sprintf("the %s before", human(span))
	}
	return Baseline{Metrics: FromAgg(&a, span.Minutes()), OK: true, Source: src}
}

// hourStats is what healthyHours learned.
type hourStats struct {
	ref      Metrics    // the lower-quartile hour of the last seven days
	ok       bool       // ref is known (at least three whole hours)
	agg      series.Agg // the latest healthy hours, at most 24, pooled
	pooled   int        // hours in agg
	healthy  int        // healthy whole hours in the seven days
	degraded int        // degraded whole hours in the seven days
	span     time.Duration
}

// baselineDays is how far back the healthy hours are looked for.
const baselineDays = 7

// healthyHours reads the whole hours of the last baselineDays days that end
// before winStart and after history began, and pools the latest 24 healthy
// ones.
func healthyHours(s *series.Series, winStart, first time.Time) hourStats {
	var hs hourStats
	end := winStart.Truncate(time.Hour) // hours [h, h+1h) with h+1h <= winStart
	from := end.Add(-baselineDays * 24 * time.Hour)
	if f := first.Truncate(time.Hour); !f.Before(from) {
		from = f
		if first.After(f) {
			from = f.Add(time.Hour) // history starts inside that hour: not whole
		}
	}
	aggs := s.Hourly(from, end)
	if len(aggs) < 3 {
		return hs
	}
	ms := make([]Metrics, len(aggs))
	for i := range aggs {
		ms[i] = FromAgg(&aggs[i], 60)
	}
	// The reference is the better-than-usual hour (the lower quartile of
	// each measurement): when a degradation already fills most of the
	// week, the median hour is part of it.
	hs.ref, hs.ok = Quantile(ms, 0.25), true
	hs.span = time.Duration(len(aggs)) * time.Hour
	for i := len(aggs) - 1; i >= 0; i-- {
		if Degraded(ms[i], hs.ref) {
			hs.degraded++
			continue
		}
		hs.healthy++
		if hs.pooled < 24 {
			mergeAgg(&hs.agg, &aggs[i])
			hs.pooled++
		}
	}
	return hs
}

func mergeAgg(dst, src *series.Agg) {
	if src.N == 0 {
		return
	}
	b := src.Bucket
	b.Lat = nil
	dst.Bucket.Merge(&b)
	dst.Lat.Merge(&src.Lat)
	dst.Buckets += src.Buckets
}

// Degraded reports whether the hour m is far worse than the reference hour
// ref (a better-than-usual hour of recent history): a significant multiple of its
// error rate, a much slower p95 latency, or much more memory or CPU in use.
// Volume is left alone: busy and quiet hours are both normal. Such an hour
// is left out of baselines, so a degradation that builds up over hours or
// days is never learned as the usual state.
func Degraded(m, ref Metrics) bool {
	if m.Events >= 20 {
		r, br := m.ErrorRate(), ref.ErrorRate()
		exp := br * m.Events
		if r > math.Max(2*br, br+0.01) && (m.Errors-exp)/math.Sqrt(exp+1) >= 3 {
			return true
		}
	}
	if m.LatencyN >= 20 && ref.LatencyP95 > 0 && m.LatencyP95 > math.Max(1.5*ref.LatencyP95, ref.LatencyP95+50) {
		return true
	}
	if m.MemPctN > 0 && ref.MemPct > 0 && m.MemPct > ref.MemPct+10 {
		return true
	}
	if m.MemMBN > 0 && ref.MemMB > 0 && m.MemMB > 1.3*ref.MemMB {
		return true
	}
	if m.CPUN > 0 && ref.CPUN > 0 && m.CPU > ref.CPU+25 {
		return true
	}
	return m.OOM > 0
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func human(d time.Duration) string {
	if d >= 2*time.Hour {
		return fmt.Sprintf("%.0f h", d.Hours())
	}
	return fmt.Sprintf("%.0f min", d.Minutes())
}

// Median returns the per-field median of ms; a measurement's median is
// taken only over the samples that had it, and the error rate is the median
// rate carried over the median event count.
func Median(ms []Metrics) Metrics { return Quantile(ms, 0.5) }

// Quantile is Median at another quantile q (0..1) of each measurement,
// interpolated between samples.
func Quantile(ms []Metrics, q float64) Metrics {
	pick := func(get func(Metrics) float64, has func(Metrics) bool) float64 {
		var v []float64
		for _, m := range ms {
			if has == nil || has(m) {
				v = append(v, get(m))
			}
		}
		if len(v) == 0 {
			return 0
		}
		sort.Float64s(v)
		x := q * float64(len(v)-1)
		i := int(x)
		if i+1 >= len(v) {
			return v[len(v)-1]
		}
		return v[i] + (x-float64(i))*(v[i+1]-v[i])
	}
	out := Metrics{Minutes: 60}
	out.Events = pick(func(m Metrics) float64 { return m.Events }, nil)
	// the median error rate, carried as errors over the median event count
	rate := pick(func(m Metrics) float64 { return m.ErrorRate() }, func(m Metrics) bool { return m.Events > 0 })
	out.Errors = rate * out.Events
	out.LatencyP95 = pick(func(m Metrics) float64 { return m.LatencyP95 }, func(m Metrics) bool { return m.LatencyN > 0 })
	out.LatencyN = pick(func(m Metrics) float64 { return m.LatencyN }, nil)
	out.MemPct = pick(func(m Metrics) float64 { return m.MemPct }, func(m Metrics) bool { return m.MemPctN > 0 })
	out.MemPctN = pick(func(m Metrics) float64 { return m.MemPctN }, nil)
	out.MemMB = pick(func(m Metrics) float64 { return m.MemMB }, func(m Metrics) bool { return m.MemMBN > 0 })
	out.MemMBN = pick(func(m Metrics) float64 { return m.MemMBN }, nil)
	out.CPU = pick(func(m Metrics) float64 { return m.CPU }, func(m Metrics) bool { return m.CPUN > 0 })
	out.CPUN = pick(func(m Metrics) float64 { return m.CPUN }, nil)
	out.OOM = pick(func(m Metrics) float64 { return m.OOM }, nil)
	return out
}

// Evaluate scores the window of s that ends at at against the baseline
// learned from s. anomaly is as for Score (nil: none).
func Evaluate(s *series.Series, at time.Time, cfg Config, anomaly map[string]float64) Assessment {
	now := Recent(s, at, cfg.Window)
	now.Errors = max(0, now.Errors-expectedErrors(s, cfg.Expected, at, cfg.Window))
	if cfg.Window < time.Hour {
		h := Recent(s, at, time.Hour)
		now.HourEvents, now.HourErrors = h.Events, max(0, h.Errors-expectedErrors(s, cfg.Expected, at, time.Hour))
	}
	base := LearnBaseline(s, at, cfg)
	return Score(cfg, now, base, anomaly)
}

// expectedErrors counts the errors of the expected patterns in the window
// that ends at at (as Recent reads it).
func expectedErrors(s *series.Series, ids []cloudsage.PatternID, at time.Time, window time.Duration) float64 {
	to := at.Add(time.Second).Truncate(time.Second)
	var n float64
	for _, id := range ids {
		if p := s.Pattern(id); p != nil {
			_, errs := p.CountIn(to.Add(-window), to)
			n += float64(errs)
		}
	}
	return n
}
