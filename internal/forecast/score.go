package forecast

import "math"

// Accuracy scores a stored forecast against what happened.
type Accuracy struct {
	N        int     // steps scored (actual values present and finite)
	MAE      float64 // mean absolute error
	RMSE     float64 // root mean squared error
	SMAPE    float64 // symmetric MAPE as a fraction (0.08 = 8%; 0..2)
	Bias     float64 // mean of forecast minus actual (positive: forecast too high)
	Coverage float64 // fraction of actual values inside Low..High
}

// Score compares f's points with actual, where actual[i] is the value observed
// at f.Points[i]'s step. Missing (NaN) actual values and steps beyond either
// slice are skipped; with nothing to score, Accuracy is zero with N 0.
func Score(f Forecast, actual []float64) Accuracy {
	var a Accuracy
	var abs, sq, smape, bias float64
	covered := 0
	for i, p := range f.Points {
		if i >= len(actual) || !finite(actual[i]) {
			continue
		}
		v := actual[i]
		e := p.Mean - v
		abs += math.Abs(e)
		sq += e * e
		bias += e
		if den := math.Abs(v) + math.Abs(p.Mean); den > 0 {
			smape += 2 * math.Abs(e) / den
		}
		if v >= p.Low && v <= p.High {
			covered++
		}
		a.N++
	}
	if a.N == 0 {
		return a
	}
	n := float64(a.N)
	a.MAE, a.RMSE, a.SMAPE, a.Bias = abs/n, math.Sqrt(sq/n), smape/n, bias/n
	a.Coverage = float64(covered) / n
	return a
}
