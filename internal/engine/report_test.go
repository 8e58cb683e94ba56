package engine

import (
	"fmt"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
)

var t0 = time.Date(2026, 4, 14, 0, 0, 0, 0, time.UTC)

// feed adds per-minute events over minutes [from, to) of t0: n(m) events of
// which errs(m) are errors (slow ones: the errors are timeouts), all of one
// message per kind.
func feed(e *Engine, from, to int, n, errs func(m int) int, msg string) {
	for m := from; m < to; m++ {
		k, ke := n(m), errs(m)
		evs := make([]cloudsage.Event, 0, k)
		for i := 0; i < k; i++ {
			ev := cloudsage.Event{Time: t0.Add(time.Duration(m)*time.Minute + time.Duration(i)*time.Minute/time.Duration(k+1)),
				Level: cloudsage.LevelInfo, Message: fmt.Sprintf("%s %d", msg, i), Format: "json"}
			ev.Signals.HasLatency, ev.Signals.LatencyMS = true, float64(40+i%20)
			if i < ke {
				ev.Level = cloudsage.LevelError
				ev.Message = fmt.Sprintf("upstream billing timed out %d", i)
				ev.Signals.LatencyMS = 3000
			}
			evs = append(evs, ev)
		}
		e.AddEvents(evs)
	}
}

func TestTrend(t *testing.T) {
	tests := []struct {
		name     string
		errs     func(m int) int
		min, max float64
	}{
		{"flat", func(int) int { return 0 }, -0.5, 0.5},
		{"errors growing over the last hours", func(m int) int { return max(0, (m-360)/12) }, 1, 100},
		{"errors fading", func(m int) int { return max(0, (480-m)/12) }, -100, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := New(DefaultConfig())
			feed(e, 0, 600, func(int) int { return 20 }, tc.errs, "request served")
			r := e.Report(e.LastEventTime(), 24)
			if r.Risk.Trend < tc.min || r.Risk.Trend > tc.max {
				t.Errorf("trend = %v, want in [%v, %v]; history %v", r.Risk.Trend, tc.min, tc.max, r.Risk.History)
			}
			if n := len(r.Risk.History); n != 7 {
				t.Errorf("%d history points, want 7 (six hours and now)", n)
			}
		})
	}
}

func TestPatternTrendsAndOrder(t *testing.T) {
	e := New(DefaultConfig())
	// steady info lines all along; a warning that surges at the end; an
	// error that appears in the last 10 minutes; a line that stopped.
	feed(e, 0, 300, func(int) int { return 10 }, func(int) int { return 0 }, "cache refreshed")
	for m := 0; m < 300; m++ {
		n := 1
		if m >= 285 {
			n = 8
		}
		evs := make([]cloudsage.Event, n)
		for i := range evs {
			evs[i] = cloudsage.Event{Time: t0.Add(time.Duration(m)*time.Minute + time.Duration(i)*time.Second), Level: cloudsage.LevelWarn, Message: "queue slow consumer"}
		}
		if m < 200 {
			evs = append(evs, cloudsage.Event{Time: t0.Add(time.Duration(m) * time.Minute), Level: cloudsage.LevelInfo, Message: "legacy job tick"})
		}
		if m >= 290 {
			evs = append(evs, cloudsage.Event{Time: t0.Add(time.Duration(m)*time.Minute + 30*time.Second), Level: cloudsage.LevelError, Message: "panic in handler"})
		}
		e.AddEvents(evs)
	}
	r := e.Report(e.LastEventTime(), 24)
	trend := map[string]string{}
	for _, p := range r.Patterns {
		trend[p.Template] = p.Trend
	}
	want := map[string]string{"panic in handler": "new", "queue slow consumer": "surging", "legacy job tick": "stopped"}
	for tpl, w := range want {
		if trend[tpl] != w {
			t.Errorf("trend of %q = %q, want %q (all: %v)", tpl, trend[tpl], w, trend)
		}
	}
	if r.Patterns[0].Template != "panic in handler" {
		t.Errorf("first pattern = %q, want the new error", r.Patterns[0].Template)
	}
	if r.NewPatterns != 1 {
		t.Errorf("NewPatterns = %d, want 1", r.NewPatterns)
	}
}
