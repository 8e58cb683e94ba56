package forecast

import (
	"math"
	"math/rand/v2"
	"testing"
)

// synth returns n points of level + slope*t + amp*sin(2πt/period) + N(0, noise²).
func synth(seed uint64, n int, level, slope, amp float64, period int, noise float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	y := make([]float64, n)
	for t := range y {
		v := level + slope*float64(t) + noise*rng.NormFloat64()
		if period > 0 {
			v += amp * math.Sin(2*math.Pi*float64(t)/float64(period))
		}
		y[t] = v
	}
	return y
}

func TestPredictSeasonalTrend(t *testing.T) {
	y := synth(1, 168+72, 100, 0.2, 20, 24, 3)
	f, err := Predict(y[:168], Options{Period: 24, Horizon: 72})
	if err != nil {
		t.Fatal(err)
	}
	if f.Model != "holt_winters_damped" && f.Model != "seasonal_ses" {
		t.Errorf("Model = %q, want a seasonal model", f.Model)
	}
	acc := Score(f, y[168:])
	if acc.MAE > 6 {
		t.Errorf("MAE over 72 steps = %.2f, want <= 6 (noise sd 3)", acc.MAE)
	}
	if f.Confidence < 0.6 {
		t.Errorf("Confidence = %.2f, want >= 0.6 for 7 clean seasons; why: %s", f.Confidence, f.Why)
	}
}

func TestPredictOptions(t *testing.T) {
	if _, err := Predict([]float64{1, 2}, Options{Horizon: 0}); err == nil {
		t.Error("Predict with Horizon 0: want an error")
	}
	f, err := Predict(nil, Options{Horizon: 3})
	if err != nil || len(f.Points) != 3 || f.Confidence != 0 {
		t.Errorf("Predict(nil) = %+v, %v; want 3 flat points with confidence 0", f, err)
	}
}
