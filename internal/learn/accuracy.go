package learn

import "math"

// Outcome is one forecast held against what happened after it.
type Outcome struct {
	PHigh       float64 // the forecast's probability of reaching high within its horizon
	ReachedHigh bool    // whether the realised value reached high within the horizon
	// Low..High is the forecast's band for the value at the horizon's end and
	// Realised the value observed then; Realised NaN: not scored for coverage.
	Low, High, Realised float64
}

// Scorecard is how a set of forecasts fared. "Predicted high" is PHigh >=
// Cut. HitRate is the share of forecasts whose call (high or not) came true;
// Precision is the share of "high" calls followed by high; Recall the share
// of highs that were called; Brier the mean squared error of PHigh against
// the outcome (0 perfect, 0.25 a coin); Coverage the share of realised
// values inside the band (it should match the band's level).
type Scorecard struct {
	N              int     `json:"n"`
	Cut            float64 `json:"cut"`
	TP             int     `json:"true_positives"`
	FP             int     `json:"false_positives"`
	FN             int     `json:"false_negatives"`
	TN             int     `json:"true_negatives"`
	BaseRate       float64 `json:"base_rate"` // share of forecasts followed by high
	HitRate        float64 `json:"hit_rate"`
	Precision      float64 `json:"precision"`
	Recall         float64 `json:"recall"`
	Brier          float64 `json:"brier"`
	BrierClimate   float64 `json:"brier_climatology"` // Brier of always forecasting the base rate
	Coverage       float64 `json:"band_coverage"`
	CoverageScored int     `json:"band_scored"`
}

// Score scores outcomes with "high" called at PHigh >= cut. A ratio with
// nothing to divide (no high calls for precision) is 0.
func Score(os []Outcome, cut float64) Scorecard {
	sc := Scorecard{N: len(os), Cut: cut}
	var brier float64
	covered := 0
	for _, o := range os {
		p := min(max(o.PHigh, 0), 1)
		y := 0.0
		if o.ReachedHigh {
			y = 1
		}
		brier += (p - y) * (p - y)
		switch called := p >= cut; {
		case called && o.ReachedHigh:
			sc.TP++
		case called:
			sc.FP++
		case o.ReachedHigh:
			sc.FN++
		default:
			sc.TN++
		}
		if !math.IsNaN(o.Realised) {
			sc.CoverageScored++
			if o.Realised >= o.Low && o.Realised <= o.High {
				covered++
			}
		}
	}
	if sc.N == 0 {
		return sc
	}
	n := float64(sc.N)
	sc.Brier = brier / n
	sc.BaseRate = float64(sc.TP+sc.FN) / n
	sc.BrierClimate = sc.BaseRate * (1 - sc.BaseRate)
	sc.HitRate = float64(sc.TP+sc.TN) / n
	sc.Precision = ratio(sc.TP, sc.TP+sc.FP)
	sc.Recall = ratio(sc.TP, sc.TP+sc.FN)
	sc.Coverage = ratio(covered, sc.CoverageScored)
	return sc
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// SeasonalNaiveMAE is the in-sample mean absolute error of the seasonal
// naive forecast (y[t] predicted by y[t-m]) on history: the scale of MASE.
// 0 when history is shorter than m+1 or perfectly periodic.
func SeasonalNaiveMAE(history []float64, m int) float64 {
	if m < 1 || len(history) <= m {
		return 0
	}
	var s float64
	for i := m; i < len(history); i++ {
		s += math.Abs(history[i] - history[i-m])
	}
	return s / float64(len(history)-m)
}

// MAE is the mean absolute error of pred against actual over their common length.
func MAE(pred, actual []float64) float64 {
	n := min(len(pred), len(actual))
	if n == 0 {
		return 0
	}
	var s float64
	for i := 0; i < n; i++ {
		s += math.Abs(pred[i] - actual[i])
	}
	return s / float64(n)
}

// SeasonalNaive forecasts h steps by repeating history's last season of m.
func SeasonalNaive(history []float64, m, h int) []float64 {
	out := make([]float64, h)
	if len(history) == 0 {
		return out
	}
	if m < 1 || len(history) < m {
		m = 1
	}
	for i := range out {
		out[i] = history[len(history)-m+i%m]
	}
	return out
}
