package risk

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/series"
)

var end = time.Date(2026, 5, 6, 15, 0, 0, 0, time.UTC)

// build fills a series with perMin(minuteIndex) events a minute over hours of
// history ending at end; errEvery(m) > 0 makes every n-th event an error.
func build(hours int, perMin func(m int) int, errEvery func(m int) int) *series.Series {
	s := series.New(series.DefaultConfig())
	start := end.Add(-time.Duration(hours) * time.Hour)
	k := 0
	for m := 0; m < hours*60; m++ {
		n := perMin(m)
		for i := 0; i < n; i++ {
			e := cloudsage.Event{Time: start.Add(time.Duration(m)*time.Minute + time.Duration(i)*time.Minute/time.Duration(n+1)), Level: cloudsage.LevelInfo}
			k++
			if every := errEvery(m); every > 0 && k%every == 0 {
				e.Level = cloudsage.LevelError
			}
			e.Signals.HasLatency, e.Signals.LatencyMS = true, float64(50+i%20)
			s.Add(&e)
		}
	}
	return s
}

func TestEvaluate(t *testing.T) {
	day := func(m int) int {
		if h := (m / 60) % 24; h >= 8 && h < 20 {
			return 30
		}
		return 10
	}
	rare := func(int) int { return 200 }
	tests := []struct {
		name     string
		hours    int
		perMin   func(int) int
		errEvery func(int) int
		label    string
		top      string
		source   string
	}{
		{"calm, five days", 120, day, rare, LabelLow, "", "same hour of day, 4 previous days"},
		{"error burst in the last 15 min", 120, day, func(m int) int {
			if m >= 120*60-15 {
				return 2
			}
			return 200
		}, LabelHigh, ErrorRate, "same hour of day"}, // half the events are errors: the outage rule
		{"silence in the last 15 min", 120, func(m int) int {
			if m >= 120*60-15 {
				return 0
			}
			return day(m)
		}, rare, LabelLow, LogVolume, "same hour of day"},
		{"five hours of history: trailing baseline", 5, day, rare, LabelLow, "", "the 5 h before"},
		{"twenty minutes of history: no baseline", 0, nil, nil, LabelLow, "", "none"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s *series.Series
			if tc.hours == 0 {
				s = series.New(series.DefaultConfig())
				for i := 0; i < 400; i++ {
					e := cloudsage.Event{Time: end.Add(-20*time.Minute + time.Duration(i)*3*time.Second)}
					s.Add(&e)
				}
			} else {
				s = build(tc.hours, tc.perMin, tc.errEvery)
			}
			at := s.Last()
			if tc.top == LogVolume {
				at = end.Add(-time.Second) // silence: evaluated at "now", not at the last event
			}
			a := Evaluate(s, at, DefaultConfig(), nil)
			if a.Label != tc.label {
				t.Errorf("label = %s (%v), want %s\n%s", a.Label, a.Score, tc.label, dump(a))
			}
			if !strings.HasPrefix(a.Baseline, tc.source) {
				t.Errorf("baseline source = %q, want %q...", a.Baseline, tc.source)
			}
			if tc.top != "" {
				if f := a.Factor(tc.top); a.Top[0] != tc.top || f.Status != StatusHigh {
					t.Errorf("top = %v, %s %s; want %s high\n%s", a.Top, tc.top, f.Status, tc.top, dump(a))
				}
			} else if a.Score > 10 {
				t.Errorf("score = %v, want <= 10\n%s", a.Score, dump(a))
			}
		})
	}
}

func TestRecentWindowBounds(t *testing.T) {
	s := series.New(series.DefaultConfig())
	// one event a minute on the minute; the window ending at an event on a
	// minute boundary includes it: 15 minutes of buckets, of which the last
	// has only just begun (rates are over the time covered)
	for m := 0; m < 60; m++ {
		e := cloudsage.Event{Time: end.Add(time.Duration(m-59) * time.Minute)}
		s.Add(&e)
	}
	m := Recent(s, end, 15*time.Minute)
	if want := 14 + 1.0/60; m.Events != 15 || math.Abs(m.Minutes-want) > 1e-9 {
		t.Errorf("Recent = %v events over %v min, want 15 over %v", m.Events, m.Minutes, want)
	}
	// half a minute later nothing new has arrived, and the rate drops
	if m2 := Recent(s, end.Add(30*time.Second), 15*time.Minute); m2.Events != 15 || m2.PerMinute() >= m.PerMinute() {
		t.Errorf("30 s later: %v events at %v/min, want 15 at a lower rate than %v", m2.Events, m2.PerMinute(), m.PerMinute())
	}
}

func BenchmarkEvaluate(b *testing.B) {
	s := build(7*24, func(int) int { return 20 }, func(int) int { return 50 })
	at := s.Last()
	cfg := DefaultConfig()
	for b.Loop() {
		Evaluate(s, at, cfg, nil)
	}
}
