package forecast

import (
	"math"
	"slices"
)

// btResult summarises a rolling-origin back-test.
type btResult struct {
	mae, smape float64
	n          int     // scored (origin, step) pairs
	rel        float64 // mae relative to the series' typical size
	ratio      float64 // rms of errors divided by the model's predicted sd
	inSample   bool    // parameters were fitted on the whole history
}

// holdout is the number of final points a back-test forecasts from: one
// season (at least 12 points), but never more than a quarter of the history.
func holdout(n, period int) int {
	return min(max(period, 12), n/4)
}

// backtest refits f's model on the history before the hold-out, then from
// every origin in the hold-out forecasts up to min(horizon, hold-out) steps
// and scores the forecasts against what followed. When the shortened history
// is too short for the model, the full-history parameters are used (states
// are still filtered only up to each origin).
func backtest(f *ets, s series, opt Options) btResult {
	n := len(s.y)
	l := holdout(n, opt.Period)
	if l < 2 {
		return btResult{}
	}
	train := n - l
	p, init := f.p, f.init
	inSample := true
	if g, ok := fitETS(f.kind, s.y[:train], s.yi[:train], f.m, f.clip, f.steps, &f.p); ok {
		p, init, inSample = g.p, g.init, false
	}
	sigma := f.sigma
	fitted := ets{kind: f.kind, m: f.m, p: p}
	vf := fitted.varianceFactors(min(opt.Horizon, l))
	hb := len(vf)

	var acc accum
	// One pass of the filter; at each origin o in the hold-out, forecast from
	// the state after o observations.
	forecastFrom := func(o int, st *state) {
		for h := 1; h <= hb && o-1+h < n; h++ {
			a := s.y[o-1+h]
			if math.IsNaN(a) {
				continue
			}
			acc.add(a, predict(f.kind, p, st, o, f.m, h), sigma*math.Sqrt(vf[h-1]))
		}
	}
	out := state{season: make([]float64, f.m)}
	runTap(f.kind, p, init, s.y, f.m, f.clip, nil, &out, nil, &tap{from: train, fn: forecastFrom})
	r := acc.result(s)
	r.inSample = inSample
	return r
}

// backtestMean back-tests the mean model the same way: at each origin, the
// mean of everything before it.
func backtestMean(s series, opt Options) btResult {
	n := len(s.y)
	l := holdout(n, opt.Period)
	if l < 2 {
		return btResult{}
	}
	train := n - l
	var sum, sum2 float64
	var cnt int
	for _, v := range s.y[:train] {
		if !math.IsNaN(v) {
			sum += v
			sum2 += v * v
			cnt++
		}
	}
	var acc accum
	hb := min(opt.Horizon, l)
	for o := train; o < n; o++ {
		if cnt > 1 {
			mean := sum / float64(cnt)
			sd := math.Sqrt(math.Max(0, sum2/float64(cnt)-mean*mean))
			for h := 1; h <= hb && o-1+h < n; h++ {
				if a := s.y[o-1+h]; !math.IsNaN(a) {
					acc.add(a, mean, sd)
				}
			}
		}
		if v := s.y[o]; !math.IsNaN(v) {
			sum += v
			sum2 += v * v
			cnt++
		}
	}
	return acc.result(s)
}

// accum collects forecast errors. An error beyond clipK forecast sds is
// capped there, as the fit caps one-step errors: one spike in the hold-out
// must not decide the model's error (and so its confidence).
type accum struct {
	abs, smape float64
	n          int
	z          []float64 // |error| / forecast sd
}

func (a *accum) add(actual, pred, sd float64) {
	e := actual - pred
	if sd > 0 {
		z := math.Abs(e) / sd
		a.z = append(a.z, z)
		if z > clipK {
			e *= clipK / z
			actual = pred + e
		}
	}
	a.abs += math.Abs(e)
	if den := math.Abs(actual) + math.Abs(pred); den > 0 {
		a.smape += 2 * math.Abs(e) / den
	}
	a.n++
}

func (a *accum) result(s series) btResult {
	if a.n == 0 {
		return btResult{}
	}
	r := btResult{mae: a.abs / float64(a.n), smape: a.smape / float64(a.n), n: a.n}
	r.rel = r.mae / s.spread
	if len(a.z) > 0 {
		// Robust ratio of actual to predicted error size: the median |z| of a
		// normal is 0.6745.
		slices.Sort(a.z)
		r.ratio = a.z[len(a.z)/2] / 0.6745
	}
	return r
}
