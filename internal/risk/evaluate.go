package risk

import (
	"fmt"
	"sort"
	"time"

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

// LearnBaseline returns what the window ending at at is compared with:
// the same hour on previous weeks when at least two weeks of history allow,
// else the same hour on previous days when at least three days do, else the
// trailing 24 h before the window (from the start of history when that is
// shorter, but at least 30 minutes).
func LearnBaseline(s *series.Series, at time.Time, cfg Config) Baseline {
	if s.Empty() {
		return Baseline{Source: "none"}
	}
	loc := cfg.Location
	if loc == nil {
		loc = time.UTC
	}
	first := s.First()
	firstHour := first.Truncate(time.Hour)
	sameHour := func(days []int) []Metrics {
		var out []Metrics
		local := at.In(loc)
		for _, d := range days {
			t := local.AddDate(0, 0, -d)
			if !t.Truncate(time.Hour).After(firstHour) {
				continue // the hour is before history, or history starts inside it
			}
			a := s.Hour(t)
			out = append(out, FromAgg(&a, 60))
		}
		return out
	}
	if ms := sameHour([]int{7, 14, 21, 28}); len(ms) >= 2 {
		return Baseline{Metrics: Median(ms), OK: true, Source: fmt.Sprintf("same hour of the week, %d previous weeks", len(ms))}
	}
	if ms := sameHour([]int{1, 2, 3, 4, 5, 6, 7}); len(ms) >= 3 {
		return Baseline{Metrics: Median(ms), OK: true, Source: fmt.Sprintf("same hour of day, %d previous days", len(ms))}
	}
	to := at.Add(time.Second).Truncate(time.Second).Add(-cfg.Window)
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

func human(d time.Duration) string {
	if d >= 2*time.Hour {
		return fmt.Sprintf("%.0f h", d.Hours())
	}
	return fmt.Sprintf("%.0f min", d.Minutes())
}

// Median returns the per-field median of ms; a measurement's median is
// taken only over the samples that had it, and the error rate is the median
// rate carried over the median event count.
func Median(ms []Metrics) Metrics {
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
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
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
	base := LearnBaseline(s, at, cfg)
	return Score(cfg, now, base, anomaly)
}
