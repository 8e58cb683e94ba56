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
		{"five hours of history: the whole hours before", 5, day, rare, LabelLow, "", "the 4 h before"},
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

// A degradation that builds up over a day or two must not become the
// baseline: the hours it spans are left out, and an error rate held far
// above any objective reads at least medium on its own.
func TestSlowDegradation(t *testing.T) {
	const hours = 48
	climb := func(m int) float64 { // error share: 0.4% for 28 h, then up to ~13%
		start := 28 * 60
		if m < start {
			return 0.004
		}
		return 0.004 + 0.13*float64(m-start)/float64(hours*60-start)
	}
	s := series.New(series.DefaultConfig())
	start := end.Add(-hours * time.Hour)
	acc := 0.0
	for m := 0; m < hours*60; m++ {
		for i := 0; i < 25; i++ {
			e := cloudsage.Event{Time: start.Add(time.Duration(m)*time.Minute + time.Duration(i)*2*time.Second), Level: cloudsage.LevelInfo}
			if acc += climb(m); acc >= 1 {
				acc--
				e.Level = cloudsage.LevelError
			}
			s.Add(&e)
		}
	}
	a := Evaluate(s, s.Last(), DefaultConfig(), nil)
	f := a.Factor(ErrorRate)
	if a.Label == LabelLow || f.Baseline > 0.01 {
		t.Errorf("label %s (%v), error baseline %v; want medium or high over a healthy baseline below 1%%\n%s", a.Label, a.Score, f.Baseline, dump(a))
	}
	if !strings.Contains(a.Baseline, "degraded hours") {
		t.Errorf("baseline source %q does not say degraded hours were left out", a.Baseline)
	}

	// The same rate with no healthy history at all: the baseline cannot
	// help, the sustained-error rule holds on its own and says why.
	s = series.New(series.DefaultConfig())
	for m := 0; m < 90; m++ {
		for i := 0; i < 25; i++ {
			e := cloudsage.Event{Time: end.Add(time.Duration(m-90)*time.Minute + time.Duration(i)*2*time.Second), Level: cloudsage.LevelInfo}
			if i%8 == 0 {
				e.Level = cloudsage.LevelError // 12%
			}
			e.Signals.HasLatency, e.Signals.LatencyMS = true, 60
			e.Signals.HasCPU, e.Signals.CPUPct = true, 20
			s.Add(&e)
		}
	}
	a = Evaluate(s, s.Last(), DefaultConfig(), nil)
	f = a.Factor(ErrorRate)
	if a.Label == LabelLow || !strings.Contains(a.Floor, "objective") || !strings.Contains(f.Summary, "objective") {
		t.Errorf("always-failing service: label %s (%v), floor %q, factor %q; want medium with the reason\n%s", a.Label, a.Score, a.Floor, f.Summary, dump(a))
	}
	// 4% errors is bad but not "far above any objective": no floor
	s = build(6, func(int) int { return 25 }, func(int) int { return 25 })
	if a := Evaluate(s, s.Last(), DefaultConfig(), nil); a.Floor != "" {
		t.Errorf("4%% steady errors: floor %q, want none", a.Floor)
	}
}

func TestDegraded(t *testing.T) {
	ref := Metrics{Events: 1000, Errors: 5, LatencyP95: 80, LatencyN: 900, MemPct: 50, MemPctN: 60, CPU: 20, CPUN: 60}
	tests := []struct {
		name string
		m    Metrics
		want bool
	}{
		{"usual hour", ref, false},
		{"a few more errors", Metrics{Events: 1000, Errors: 9}, false},
		{"errors x6", Metrics{Events: 1000, Errors: 30}, true},
		{"errors x6 on 40 events: not significant", Metrics{Events: 40, Errors: 1}, false},
		{"latency x2", Metrics{Events: 1000, LatencyP95: 170, LatencyN: 900}, true},
		{"latency +20 ms", Metrics{Events: 1000, LatencyP95: 100, LatencyN: 900}, false},
		{"memory +15 points", Metrics{Events: 1000, MemPct: 65, MemPctN: 60}, true},
		{"cpu +30 points", Metrics{Events: 1000, CPU: 50, CPUN: 60}, true},
		{"an OOM kill", Metrics{Events: 1000, OOM: 1}, true},
	}
	for _, tt := range tests {
		if got := Degraded(tt.m, ref); got != tt.want {
			t.Errorf("Degraded(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
