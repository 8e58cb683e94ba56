package forecast

import (
	"math"
	"math/rand/v2"
)

// probPaths is the number of simulated paths ProbAbove draws.
const probPaths = 2000

// ProbAbove returns the probability that the series exceeds threshold at
// least once within the forecast's horizon.
//
// Each step is normal with the point's mean and sd (SD, or the sd implied by
// Low..High at the forecast's Level when SD is 0). Errors of an exponential
// smoothing forecast are strongly correlated across steps: the h-step error is
// a fresh shock plus the accumulated effect of earlier shocks on the level.
// ProbAbove simulates exactly that structure — a random walk whose variance
// grows like the points' variance, plus an independent shock of the one-step
// variance — which keeps each step's marginal right, with a fixed seed so the
// answer is deterministic. The result is never below the largest single-step
// probability.
func ProbAbove(f Forecast, threshold float64) float64 {
	if len(f.Points) == 0 || math.IsNaN(threshold) {
		return 0
	}
	level := f.Level
	if !(level > 0 && level < 1) {
		level = defaultLevel
	}
	z := zQuantile(level)
	n := len(f.Points)
	mean := make([]float64, n)
	sd := make([]float64, n)
	maxMarginal, sumMarginal := 0.0, 0.0
	for i, p := range f.Points {
		mean[i] = p.Mean
		sd[i] = p.SD
		if sd[i] <= 0 || !finite(sd[i]) {
			sd[i] = math.Max(0, (p.High-p.Low)/(2*z))
		}
		pm := marginalAbove(mean[i], sd[i], threshold)
		maxMarginal = math.Max(maxMarginal, pm)
		sumMarginal += pm
	}
	switch {
	case maxMarginal >= 1:
		return 1
	case sumMarginal < 1e-3:
		// The union bound is tight enough (and errs high) when every step is
		// this unlikely.
		return sumMarginal
	}
	// Split each step's variance into a transient part (the one-step variance)
	// and a persistent part that only grows: increments of a random walk.
	transient := sd[0]
	for _, s := range sd {
		transient = math.Min(transient, s)
	}
	inc := make([]float64, n)
	prev := 0.0
	for i, s := range sd {
		persistent := math.Max(prev, s*s-transient*transient)
		inc[i] = math.Sqrt(persistent - prev)
		prev = persistent
	}
	// A step whose path sits more than 6 transient sds below the threshold
	// cannot cross there (p < 1e-9): skip drawing its shock.
	margin := 6 * transient
	rng := rand.New(rand.NewPCG(0x5eed, 0xf04eca57))
	hits := 0
	for range probPaths {
		walk := 0.0
		for i := range n {
			if inc[i] > 0 {
				walk += inc[i] * rng.NormFloat64()
			}
			x := mean[i] + walk
			if x+margin <= threshold {
				continue
			}
			if x+transient*rng.NormFloat64() > threshold {
				hits++
				break
			}
		}
	}
	return math.Max(float64(hits)/probPaths, maxMarginal)
}

// marginalAbove is P(X > threshold) for X ~ N(mean, sd²).
func marginalAbove(mean, sd, threshold float64) float64 {
	if sd <= 0 {
		if mean > threshold {
			return 1
		}
		return 0
	}
	return 0.5 * math.Erfc((threshold-mean)/(sd*math.Sqrt2))
}
