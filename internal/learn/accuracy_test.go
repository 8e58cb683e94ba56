package learn

import (
	"math"
	"testing"
)

func TestScore(t *testing.T) {
	nan := math.NaN()
	os := []Outcome{
		{PHigh: 0.9, ReachedHigh: true, Low: 0, High: 10, Realised: 5},    // TP, covered
		{PHigh: 0.6, ReachedHigh: false, Low: 0, High: 10, Realised: 11},  // FP, not covered
		{PHigh: 0.2, ReachedHigh: true, Low: 0, High: 10, Realised: nan},  // FN, not scored for coverage
		{PHigh: 0.1, ReachedHigh: false, Low: 0, High: 10, Realised: 10},  // TN, covered (inclusive)
		{PHigh: 1.5, ReachedHigh: true, Low: 0, High: 10, Realised: -0.1}, // TP (p clamped to 1), not covered
	}
	sc := Score(os, 0.5)
	if sc.N != 5 || sc.TP != 2 || sc.FP != 1 || sc.FN != 1 || sc.TN != 1 {
		t.Fatalf("counts %+v", sc)
	}
	near := func(what string, got, want float64) {
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	near("hit rate", sc.HitRate, 3.0/5)
	near("precision", sc.Precision, 2.0/3)
	near("recall", sc.Recall, 2.0/3)
	near("brier", sc.Brier, (0.01+0.36+0.64+0.01+0)/5)
	near("base rate", sc.BaseRate, 3.0/5)
	near("climatology", sc.BrierClimate, 0.6*0.4)
	near("coverage", sc.Coverage, 2.0/4)
	if sc.CoverageScored != 4 {
		t.Errorf("coverage scored %d", sc.CoverageScored)
	}
	if e := Score(nil, 0.5); e.N != 0 || e.Brier != 0 || e.Precision != 0 {
		t.Errorf("empty = %+v", e)
	}
	if none := Score([]Outcome{{PHigh: 0.1, Realised: nan}}, 0.5); none.Precision != 0 || none.Recall != 0 || none.HitRate != 1 {
		t.Errorf("no calls, no highs = %+v", none)
	}
}

func TestSeasonalNaive(t *testing.T) {
	h := []float64{1, 2, 3, 1, 2, 5}
	if got := SeasonalNaiveMAE(h, 3); math.Abs(got-2.0/3) > 1e-9 {
		t.Errorf("SeasonalNaiveMAE = %v, want 2/3", got)
	}
	if SeasonalNaiveMAE(h, 6) != 0 || SeasonalNaiveMAE(h, 0) != 0 {
		t.Error("too short a history has no scale")
	}
	f := SeasonalNaive(h, 3, 4)
	if f[0] != 1 || f[1] != 2 || f[2] != 5 || f[3] != 1 {
		t.Errorf("SeasonalNaive = %v", f)
	}
	if g := SeasonalNaive([]float64{4}, 3, 2); g[0] != 4 || g[1] != 4 {
		t.Errorf("short history repeats the last value: %v", g)
	}
	if m := MAE([]float64{1, 2, 9}, []float64{2, 2}); m != 0.5 {
		t.Errorf("MAE = %v", m)
	}
}
