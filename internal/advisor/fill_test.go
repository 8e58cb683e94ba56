package advisor

import (
	"strings"
	"testing"

	"github.com/cloudsage/cloudsage"
)

func TestFallbacks(t *testing.T) {
	tests := []struct {
		name     string
		in       Input
		wantKeys []string
		titleHas map[string]string
	}{
		{
			name:     "empty input",
			in:       Input{},
			wantKeys: []string{"watch_forecast", "learn_baseline", "log_coverage"},
		},
		{
			name: "an unknown error and a hot factor",
			in: input(45, factors(FactorState{Name: "error_rate", Weight: 40, Points: 20, Value: 0.08, Baseline: 0.01, Unit: "ratio", Status: "elevated"}),
				pat("e", "ValueError: bad widget <*>", 80, 10, 90, "ValueError: bad widget 7")),
			wantKeys: []string{"top_error_pattern", "top_factor"},
			titleHas: map[string]string{
				"top_error_pattern": "ValueError in 'ValueError: bad widget <*>': 80 errors in 15 min",
				"top_factor":        "the error rate back toward 1%: 8% now",
			},
		},
		{
			name: "forecast with its time",
			in: func() Input {
				in := input(35, factors())
				in.PeakScore, in.PHigh = 64, 0.22
				return in
			}(),
			wantKeys: []string{"watch_forecast"},
			titleHas: map[string]string{"watch_forecast": "peak 64 within 24 h (by 2025-03-05 14:30 UTC), P(high) 22%"},
		},
		{
			name:     "surging info pattern",
			in:       input(20, factors(), pat("s", "cache refresh for tenant <*>", 500, 20, 0, "cache refresh for tenant 9")),
			wantKeys: []string{"surging_pattern"},
			titleHas: map[string]string{"surging_pattern": "500 lines in 15 min"},
		},
		{
			name: "new info pattern",
			in: input(20, factors(), func() PatternStat {
				p := newPat("n", "feature <*> enabled", 3, 0)
				return p
			}()),
			wantKeys: []string{"new_patterns"},
			titleHas: map[string]string{"new_patterns": "Review 1 new log pattern first seen"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Advise(tt.in, nil)
			got := map[string]Action{}
			for _, a := range res.Actions {
				got[a.Key] = a
			}
			for _, k := range tt.wantKeys {
				if _, ok := got[k]; !ok {
					t.Errorf("no %s action: %s", k, describe(res.Actions))
				}
			}
			for k, s := range tt.titleHas {
				if !strings.Contains(got[k].Title, s) {
					t.Errorf("%s title %q does not contain %q", k, got[k].Title, s)
				}
			}
		})
	}
}

func TestFallbackSkipsCoveredSubjects(t *testing.T) {
	// The only error pattern already has its own action: the top-error
	// fallback must not repeat it.
	res := Advise(input(50, factors(), pat("db", "too many clients", 100, 0, 100)), nil)
	for _, a := range res.Actions {
		if a.Key == "top_error_pattern" {
			t.Errorf("top_error_pattern repeats the db pattern: %s", describe(res.Actions))
		}
	}
}

func TestHoursToHigh(t *testing.T) {
	tests := []struct {
		score, trend, want float64
	}{
		{58, 2, 6},
		{58, 0, 0},
		{58, -1, 0},
		{75, 3, 0},
		{10, 1e-9, 0}, // beyond a year: not a forecast
	}
	for _, tt := range tests {
		in := normalise(Input{Score: tt.score, Trend: tt.trend})
		if got := hoursToHigh(in); got != tt.want {
			t.Errorf("hoursToHigh(score %v, trend %v) = %v, want %v", tt.score, tt.trend, got, tt.want)
		}
	}
}

// TestBestView pins the choice: the first by less, equal ones by id, and
// nil when none passes.
func TestBestView(t *testing.T) {
	mk := func(id string, errs int64) *view {
		return &view{id: cloudsage.PatternID(id), p: &PatternStat{ID: cloudsage.PatternID(id), Errors: errs}}
	}
	vs := []*view{mk("c", 5), mk("b", 9), mk("d", 0), mk("a", 9)}
	more := func(a, b *view) bool { return a.p.Errors > b.p.Errors }
	if got := bestView(vs, func(v *view) bool { return v.p.Errors > 0 }, more); got == nil || got.id != "a" {
		t.Errorf("bestView = %v, want a", got)
	}
	if got := bestView(vs, func(v *view) bool { return v.p.Errors < 9 }, more); got == nil || got.id != "c" {
		t.Errorf("bestView below 9 = %v, want c", got)
	}
	if got := bestView(vs, func(v *view) bool { return false }, more); got != nil {
		t.Errorf("bestView of none = %v, want nil", got.id)
	}
}
