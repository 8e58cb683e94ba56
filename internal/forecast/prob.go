package forecast

import "math"

// ProbAbove returns the probability that the series exceeds threshold at
// least once within the forecast's horizon.
//
// Each step is normal with the point's mean and sd (SD, or the sd implied by
// Low..High at the forecast's Level when SD is 0 — by High-Mean when the
// upper half of the band is the wider), of which NoiseSD (or, when
// it is 0, the smallest step sd) is independent between steps and the rest
// persists. Errors of an exponential
// smoothing forecast are strongly correlated across steps: the h-step error is
// a fresh shock plus the accumulated effect of earlier shocks on the level.
// ProbAbove models exactly that structure — a random walk whose variance
// grows like the points' variance, plus an independent shock of the one-step
// variance — which keeps each step's marginal right, and computes the chance
// of a crossing numerically (see crossing), deterministically. The result is never below the largest single-step
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
			// From the band; for a skewed band (a risk score built from factor
			// bounds) the upper half when it is the wider, as that is the side
			// that crosses.
			sd[i] = math.Max(0, math.Max(p.High-p.Low, 2*(p.High-p.Mean))/(2*z))
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
	if f.NoiseSD > 0 {
		transient = math.Min(transient, f.NoiseSD)
	}
	inc := make([]float64, n)
	prev := 0.0
	for i, s := range sd {
		persistent := math.Max(prev, s*s-transient*transient)
		inc[i] = math.Sqrt(persistent - prev)
		prev = persistent
	}
	if prev <= 1e-12*transient*transient {
		// No persistent part: independent steps.
		survive := 1.0
		for i := range n {
			survive *= 1 - marginalAbove(mean[i], transient, threshold)
		}
		return math.Min(1, math.Max(1-survive, maxMarginal))
	}
	return math.Min(1, math.Max(crossing(mean, inc, transient, math.Sqrt(prev), threshold), maxMarginal))
}

// gridPoints is the resolution of the walk's distribution in crossing.
const gridPoints = 161

// crossing computes the chance that mean[i] + W[i] + e[i] exceeds threshold
// for some i, where W is a random walk with increments N(0, inc[i]²) and the
// e[i] are independent N(0, transient²). Given the walk, the shocks are
// independent, so it propagates the density of W on a grid, together with
// the chance of no crossing so far: each step convolves it with the
// increment (pending increments smaller than the grid are pooled, keeping
// the variance right) and multiplies in the chance of staying below.
// Deterministic, and accurate to well under a percent.
func crossing(mean, inc []float64, transient, total, threshold float64) float64 {
	half := gridPoints / 2
	dx := 6 * total / float64(half)
	dens := make([]float64, gridPoints)
	next := make([]float64, gridPoints)
	dens[half] = 1
	var pending float64
	var kernel []float64
	for i := range mean {
		pending += inc[i] * inc[i]
		if pending >= dx*dx/4 || (i == len(mean)-1 && pending > 0) {
			sd := math.Sqrt(pending)
			pending = 0
			w := int(math.Ceil(5 * sd / dx))
			kernel = kernel[:0]
			var ksum float64
			for j := -w; j <= w; j++ {
				k := upperTail((float64(j)-0.5)*dx/sd) - upperTail((float64(j)+0.5)*dx/sd)
				kernel = append(kernel, k)
				ksum += k
			}
			for j := range kernel {
				kernel[j] /= ksum
			}
			// Convolve only where the density lives.
			lo, hi := gridPoints, -1
			for g, d := range dens {
				if d > 1e-15 {
					lo, hi = min(lo, g), max(hi, g)
				}
			}
			clear(next)
			for g := lo; g <= hi; g++ {
				d := dens[g]
				if d <= 1e-15 {
					continue
				}
				t0, j0, j1 := g-w, 0, len(kernel)
				if t0 < 0 {
					j0 = -t0
				}
				if t0+j1 > gridPoints {
					j1 = gridPoints - t0
				}
				dst := next[t0+j0 : t0+j1]
				for j, k := range kernel[j0:j1] {
					dst[j] += d * k
				}
			}
			dens, next = next, dens
		}
		// Chance of staying below at this step, given the walk's value.
		base := threshold - mean[i]
		for g := range dens {
			gap := base - float64(g-half)*dx
			if gap >= 6*transient || dens[g] == 0 {
				continue
			}
			dens[g] *= 1 - upperTail(gap/transient)
		}
	}
	var survive float64
	for _, d := range dens {
		survive += d
	}
	return 1 - survive
}

// tailTable holds the standard normal upper tail at steps of 1/tailRes from 0
// to 8, for upperTail.
var tailTable = func() []float64 {
	t := make([]float64, 8*tailRes+2)
	for i := range t {
		t[i] = 0.5 * math.Erfc(float64(i)/tailRes/math.Sqrt2)
	}
	return t
}()

const tailRes = 200

// upperTail is P(Z > z) for a standard normal Z, by linear interpolation in
// tailTable (absolute error below 1e-5), which is several times faster than
// Erfc in crossing's inner loop.
func upperTail(z float64) float64 {
	neg := z < 0
	if neg {
		z = -z
	}
	var p float64
	if x := z * tailRes; x >= float64(len(tailTable)-1) {
		p = 0
	} else {
		i := int(x)
		f := x - float64(i)
		p = tailTable[i] + f*(tailTable[i+1]-tailTable[i])
	}
	if neg {
		return 1 - p
	}
	return p
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
