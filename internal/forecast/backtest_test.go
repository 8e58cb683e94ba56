package forecast

import (
	"math"
	"testing"
)

func TestHoldout(t *testing.T) {
	tests := []struct{ n, period, want int }{
		{168, 24, 24},
		{48, 24, 12},
		{48, 0, 12},
		{20, 0, 5},
		{7, 0, 1},
		{1000, 168, 168},
	}
	for _, tc := range tests {
		if got := holdout(tc.n, tc.period); got != tc.want {
			t.Errorf("holdout(%d, %d) = %d, want %d", tc.n, tc.period, got, tc.want)
		}
	}
}

func TestBacktest(t *testing.T) {
	// A noiseless season is forecast perfectly from every origin.
	y := synth(1, 120, 50, 0, 10, 24, 0)
	y[3] += 1e-9 // not constant in any window
	s := clean(y)
	fit, ok := fitETS(kindSeasonal, s.y, s.yi, 24, clipK*s.scale, nil, nil)
	if !ok {
		t.Fatal("fit refused")
	}
	bt := backtest(fit, s, Options{Period: 24, Horizon: 48})
	// Hold-out 24 points, steps up to 24: pairs = 24+23+...+1.
	if bt.n != 300 {
		t.Errorf("back-test pairs = %d, want 300", bt.n)
	}
	if bt.mae > 0.01 || bt.inSample {
		t.Errorf("back-test on a noiseless season: MAE %v (in sample %v), want ~0 out of sample", bt.mae, bt.inSample)
	}

	// A random walk: the back-test error is real and the predicted sd explains it.
	y = simETS(2, 200, 0.9999, 0, 0, 1, 1, 1, 0, 0)
	s = clean(y)
	fit, _ = fitETS(kindSES, s.y, s.yi, 1, clipK*s.scale, nil, nil)
	bt = backtest(fit, s, Options{Horizon: 12})
	if bt.mae <= 0.5 {
		t.Errorf("random-walk back-test MAE %v, want a real error (> 0.5)", bt.mae)
	}
	if bt.ratio < 0.5 || bt.ratio > 2 {
		t.Errorf("random-walk error ratio %v, want near 1", bt.ratio)
	}

	// Missing actual values are skipped, not scored as zero.
	y = synth(3, 100, 50, 0, 0, 0, 1)
	for i := 80; i < 100; i += 2 {
		y[i] = math.NaN()
	}
	s = clean(y)
	bt = backtestMean(s, Options{Horizon: 5})
	if bt.n == 0 || bt.mae > 3 {
		t.Errorf("mean back-test with gaps: %d pairs, MAE %v; want pairs and MAE ~0.8", bt.n, bt.mae)
	}
}

func TestBacktestSpikeRobust(t *testing.T) {
	y := synth(4, 168, 100, 0, 10, 24, 2)
	s := clean(y)
	fit, _ := fitETS(kindSeasonal, s.y, s.yi, 24, clipK*s.scale, nil, nil)
	ref := backtest(fit, s, Options{Period: 24, Horizon: 24})
	y[165] += 1000
	s = clean(y)
	fit, _ = fitETS(kindSeasonal, s.y, s.yi, 24, clipK*s.scale, nil, nil)
	bt := backtest(fit, s, Options{Period: 24, Horizon: 24})
	if bt.mae > 2*ref.mae || bt.ratio > 1.5*ref.ratio {
		t.Errorf("one spike in the hold-out: MAE %.2f (was %.2f), ratio %.2f (was %.2f)", bt.mae, ref.mae, bt.ratio, ref.ratio)
	}
}
