package learn

import (
	"math"
	"testing"

	"github.com/cloudsage/cloudsage/internal/advisor"
)

func TestPriorOf(t *testing.T) {
	for _, c := range []struct{ sev, mean float64 }{{0, 0.25}, {0.5, 0.5}, {1, 0.75}, {2, 0.75}, {math.NaN(), 0.5}} {
		p := PriorOf(c.sev)
		if math.Abs(p.Mean()-c.mean) > 1e-9 || math.Abs(p.Alpha+p.Beta-PriorStrength) > 1e-9 {
			t.Errorf("PriorOf(%v) = %+v, want mean %v strength %v", c.sev, p, c.mean, PriorStrength)
		}
	}
}

func TestPriorsCoverKB(t *testing.T) {
	kb := advisor.DefaultKB()
	ps := Priors(kb)
	for _, e := range append(append([]*advisor.Entry{}, kb.Entries...), kb.Fallbacks...) {
		if _, ok := ps[e.Key]; !ok {
			t.Errorf("no prior for %q", e.Key)
		}
	}
}

func est(t *testing.T, key string, fb ...string) Estimate {
	t.Helper()
	var in []Feedback
	for _, s := range fb {
		in = append(in, Feedback{Key: key, Status: s})
	}
	in = append(in, Feedback{Key: "", Status: Dismissed}) // unknown type: ignored
	es := Estimates(in, map[string]Prior{"a": PriorOf(0.9)})
	if len(es) != 1 || es[0].Key != key {
		t.Fatalf("Estimates = %+v", es)
	}
	return es[0]
}

func TestEstimates(t *testing.T) {
	done := est(t, "a", Done)
	dismissed := est(t, "a", Dismissed)
	notRel := est(t, "a", NotRelevant)
	snoozed := est(t, "a", Snoozed)
	if !(done.Multiplier > 1 && dismissed.Multiplier < 1 && notRel.Multiplier < dismissed.Multiplier) {
		t.Errorf("done %v, dismissed %v, not relevant %v: want done > 1 > dismissed > not relevant", done.Multiplier, dismissed.Multiplier, notRel.Multiplier)
	}
	if snoozed.Multiplier != 1 || snoozed.Snoozed != 1 {
		t.Errorf("a snooze judges nothing: %+v", snoozed)
	}
	// Beta(1.4, 0.6) + 1 failure: mean 1.4/3.
	if math.Abs(dismissed.Mean-1.4/3) > 1e-9 || math.Abs(dismissed.Multiplier-(1.4/3)/0.7) > 1e-9 {
		t.Errorf("dismissed = %+v", dismissed)
	}
	// Completed 5 of 6 times: above the prior; dismissed 5 of 6: far below.
	up := est(t, "a", Done, Done, Done, Done, Done, Dismissed)
	down := est(t, "a", Dismissed, Dismissed, Dismissed, Dismissed, Dismissed, Done)
	if up.Multiplier <= 1 || down.Multiplier >= 0.5 || up.Events() != 6 {
		t.Errorf("5 of 6 done %v, 5 of 6 dismissed %v", up.Multiplier, down.Multiplier)
	}
	many := make([]string, 200)
	for i := range many {
		many[i] = NotRelevant
	}
	if m := est(t, "a", many...).Multiplier; m != MinMultiplier {
		t.Errorf("many not relevant: %v, want the floor %v", m, MinMultiplier)
	}
	// A type the knowledge base lacks gets the neutral prior.
	if e := est(t, "zz", Done); math.Abs(e.PriorMean-0.5) > 1e-9 {
		t.Errorf("unknown type prior mean %v", e.PriorMean)
	}
}

func TestPreferences(t *testing.T) {
	if Preferences(nil) != nil {
		t.Error("no feedback: nil preferences")
	}
	p := Preferences(Estimates([]Feedback{{"a", Dismissed}, {"b", Snoozed}, {"c", Done}}, nil))
	if _, ok := p["b"]; ok || p["a"] >= 1 || p["c"] <= 1 || len(p) != 2 {
		t.Errorf("Preferences = %v", p)
	}
}

func TestRollingAverage(t *testing.T) {
	var s []float64
	for i := range 40 {
		s = append(s, float64(i))
	}
	if avg, n := RollingAverage(s); n != 30 || avg != 24.5 {
		t.Errorf("RollingAverage(0..39) = %v, %d, want 24.5 over the last 30", avg, n)
	}
	if avg, n := RollingAverage(nil); avg != 0 || n != 0 {
		t.Errorf("RollingAverage(nil) = %v, %d", avg, n)
	}
	if avg, n := RollingAverage([]float64{10, math.NaN(), 20}); avg != 15 || n != 2 {
		t.Errorf("RollingAverage with NaN = %v, %d", avg, n)
	}
}
