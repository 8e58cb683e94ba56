package forecast

import (
	"math"
	"slices"
)

// kind names one member of the additive exponential smoothing (ETS) family.
type kind int

const (
	kindSES         kind = iota // ETS(A,N,N): level only
	kindHoltDamped              // ETS(A,Ad,N): level + damped trend
	kindSeasonal                // ETS(A,N,A): level + additive season
	kindHoltWinters             // ETS(A,Ad,A): level + damped trend + additive season
	numKinds
)

func (k kind) name() string {
	switch k {
	case kindSES:
		return "ses"
	case kindHoltDamped:
		return "holt_damped"
	case kindSeasonal:
		return "seasonal_ses"
	case kindHoltWinters:
		return "holt_winters_damped"
	}
	return "unknown"
}

func (k kind) trend() bool    { return k == kindHoltDamped || k == kindHoltWinters }
func (k kind) seasonal() bool { return k == kindSeasonal || k == kindHoltWinters }

// Parameter bounds, as in Hyndman et al., "Forecasting with Exponential
// Smoothing" (2008) and the R forecast package: 0 < beta < alpha,
// 0 < gamma < 1-alpha, phi in [0.8, 0.98].
const (
	alphaLo = 1e-4
	alphaHi = 0.9999
	phiLo   = 0.8
	phiHi   = 0.98
	clipK   = 4 // errors beyond clipK robust sds are outliers (see filter)
)

// params are the smoothing parameters of one ETS model.
type params struct {
	alpha, beta, gamma, phi float64
}

// state is the model state after the last observation: level, trend and the
// seasonal ring (season[t%m] is the seasonal term for time t).
type state struct {
	level, trend float64
	season       []float64
	shiftAt      int     // time of the last level shift (see filter), -1 for none
	shift        float64 // its size
	pending      int     // signed count of outlying errors at the end, short of a shift
}

// ets is one model of a kind fitted to one (cleaned) series.
type ets struct {
	kind   kind
	m      int // season length, 1 when not seasonal
	p      params
	init   state // initial state before the first observation
	last   state // state after the last observation
	n      int   // number of observations filtered (including missing ones)
	nObs   int   // number of non-missing observations
	sse    float64
	aicc   float64
	sigma  float64 // residual sd (robust, from clipped one-step errors)
	clip   float64 // outlier threshold on one-step errors
	nSmoot int     // number of smoothing parameters
	steps  []int   // steps ahead scored by the fit besides one
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func logit(p float64) float64 {
	p = math.Min(math.Max(p, 1e-9), 1-1e-9)
	return math.Log(p / (1 - p))
}

// nParams is the number of free smoothing parameters of k.
func (k kind) nParams() int {
	switch k {
	case kindSES:
		return 1
	case kindHoltDamped:
		return 3
	case kindSeasonal:
		return 2
	case kindHoltWinters:
		return 4
	}
	return 0
}

// decode maps an unconstrained vector to parameters inside the admissible
// region through logistic transforms. The layout is alpha, [beta*, phi],
// [gamma*], where beta = alpha*beta* and gamma = (1-alpha)*gamma*.
func (k kind) decode(x []float64) params {
	p := params{phi: 1}
	p.alpha = alphaLo + (alphaHi-alphaLo)*sigmoid(x[0])
	i := 1
	if k.trend() {
		p.beta = p.alpha * (1e-4 + (1-2e-4)*sigmoid(x[i]))
		p.phi = phiLo + (phiHi-phiLo)*sigmoid(x[i+1])
		i += 2
	}
	if k.seasonal() {
		p.gamma = (1 - p.alpha) * (1e-4 + (1-2e-4)*sigmoid(x[i]))
	}
	return p
}

// encode is the inverse of decode.
func (k kind) encode(p params) []float64 {
	x := []float64{logit((p.alpha - alphaLo) / (alphaHi - alphaLo))}
	if k.trend() {
		x = append(x, logit((p.beta/p.alpha-1e-4)/(1-2e-4)), logit((p.phi-phiLo)/(phiHi-phiLo)))
	}
	if k.seasonal() {
		x = append(x, logit((p.gamma/(1-p.alpha)-1e-4)/(1-2e-4)))
	}
	return x
}

// initState estimates the state before the first observation from the first
// periods of the gap-filled series y (classical decomposition: period means
// give level and trend, detrended deviations from them give the season).
func initState(k kind, y []float64, m int) state {
	n := len(y)
	s := state{}
	if k.seasonal() {
		s.season = make([]float64, m)
		periods := min(n/m, 3)
		means := make([]float64, periods)
		for j := range periods {
			var sum float64
			for _, v := range y[j*m : (j+1)*m] {
				sum += v
			}
			means[j] = sum / float64(m)
		}
		if k.trend() && periods >= 2 {
			s.trend = (means[periods-1] - means[0]) / float64((periods-1)*m)
		}
		// Within each period the trend moves the values too: remove it so it
		// does not leak into the season.
		slope := (means[periods-1] - means[0]) / float64(max(1, (periods-1)*m))
		mid := float64(m-1) / 2
		var total float64
		for i := range m {
			var sum float64
			for j := range periods {
				sum += y[j*m+i] - means[j] - slope*(float64(i)-mid)
			}
			s.season[i] = sum / float64(periods)
			total += s.season[i]
		}
		for i := range s.season {
			s.season[i] -= total / float64(m)
		}
		// means[0] is the level at the middle of the first period; step back to
		// the time before the first observation.
		s.level = means[0] - s.trend*(mid+1)
		return s
	}
	if k.trend() {
		// Least-squares line through the first points.
		w := min(n, 10)
		var st, sy, stt, sty float64
		for t := range w {
			ft := float64(t)
			st += ft
			sy += y[t]
			stt += ft * ft
			sty += ft * y[t]
		}
		fw := float64(w)
		den := fw*stt - st*st
		if den != 0 {
			s.trend = (fw*sty - st*sy) / den
		}
		a := (sy - s.trend*st) / fw
		s.level = a - s.trend
		return s
	}
	w := min(n, 4)
	var sum float64
	for _, v := range y[:w] {
		sum += v
	}
	s.level = sum / float64(w)
	return s
}

// filter runs the model with parameters p from initial state s0 over y (NaN
// marks a missing observation: the state is carried forward by its own
// prediction) and returns the sum of squared (clipped) one-step errors; the
// final state is written into out (its season slice is reused).
//
// Robustness: an error beyond clip is cut to clip before it updates the state
// and enters the sum, so a spike (or a burst of up to shiftRun-1 steps)
// neither drags the level nor dominates the fit. The shiftRun-th consecutive
// error beyond clip on the same side is a change of level, not an outlier:
// the level jumps to the new value, and further errors are taken in full.
//
// When resid is not nil, resid[t] receives the (clipped) one-step error.
func filter(k kind, p params, s0 state, y []float64, m int, clip float64, out *state, resid []float64) float64 {
	sse, _, _ := run(k, p, s0, y, m, clip, nil, out, resid)
	return sse
}

// shiftRun is the number of consecutive same-side outlying errors that make
// a shift (see filter).
const shiftRun = 3

// kstep holds what run needs to score forecasts several steps ahead as well:
// the steps, and ring buffers of the last levels and trends.
type kstep struct {
	ks             []int
	levels, trends []float64 // ring of the last max(ks) states
	phiK           []float64 // phi + ... + phi^k for each k
}

func newKstep(ks []int) *kstep {
	n := slices.Max(ks)
	return &kstep{ks: ks, levels: make([]float64, n), trends: make([]float64, n), phiK: make([]float64, len(ks))}
}

// run is filter's loop. Besides the clipped SSE it returns robust losses for
// fitting: loss1, the Huber loss (quadratic within clip, linear beyond) of the
// one-step errors, and with ks not nil lossK, that of the ks.k-step-ahead
// errors. The one-step criterion
// alone rewards a trend that chases the daily curve one hour at a time and
// then extrapolates it for a day (NAB's nyc_taxi: three times worse than
// repeating yesterday); scoring k steps ahead as well rules that out, and the
// Huber loss keeps a spike's influence bounded.
func run(k kind, p params, s0 state, y []float64, m int, clip float64, ks *kstep, out *state, resid []float64) (sse, loss1, lossK float64) {
	return runTap(k, p, s0, y, m, clip, ks, out, resid, nil)
}

// tap asks runTap to show the state after t observations, for every t from
// from on, to fn (which must not keep st).
type tap struct {
	from int
	fn   func(t int, st *state)
}

// runTap is run with an optional tap.
func runTap(k kind, p params, s0 state, y []float64, m int, clip float64, ks *kstep, out *state, resid []float64, tp *tap) (sse, loss1, lossK float64) {
	level, trend := s0.level, s0.trend
	alpha, beta, gamma, phi := p.alpha, p.beta, p.gamma, p.phi
	if !k.trend() {
		trend, beta, phi = 0, 0, 1
	}
	var season []float64
	if k.seasonal() {
		season = out.season[:m]
		copy(season, s0.season)
	} else {
		gamma = 0
		m = 1
	}
	// phiK[j] = phi + phi^2 + ... + phi^k multiplies the trend k = ks[j]
	// steps ahead.
	ring, r := 0, 0 // ring size and the slot of time t
	if ks != nil {
		ring = len(ks.levels)
		for j, k := range ks.ks {
			pw, sum := 1.0, 0.0
			for range k {
				pw *= phi
				sum += pw
			}
			ks.phiK[j] = sum
		}
	}
	var sp float64 // seasonal term of the current step (0 without a season)
	run := 0       // signed count of consecutive errors beyond clip
	shiftAt, shift := -1, 0.0
	idx := 0
	var view *state
	if tp != nil {
		view = new(state)
	}
	for t, v := range y {
		if tp != nil && t >= tp.from {
			view.level, view.trend, view.season = level, trend, season
			tp.fn(t, view)
		}
		if season != nil {
			sp = season[idx]
		}
		if ring > 0 {
			if v == v {
				for j, k := range ks.ks {
					if t < k {
						continue
					}
					// The k-step forecast made at t-k (its season term is the
					// current one, not yet updated, as k <= m).
					b := r - k
					if b < 0 {
						b += ring
					}
					lossK += huber(v-(ks.levels[b]+ks.phiK[j]*ks.trends[b]+sp), clip)
				}
			}
			ks.levels[r], ks.trends[r] = level, trend
			if r++; r == ring {
				r = 0
			}
		}
		damped := phi * trend
		e := v - (level + damped + sp)
		if e != e { // missing observation
			level += damped
			trend = damped
			run = 0
			if resid != nil {
				resid[t] = math.NaN()
			}
		} else {
			loss1 += huber(e, clip)
			if e > clip {
				run = max(run, 0) + 1
				if run < shiftRun {
					e = clip
				}
			} else if e < -clip {
				run = min(run, 0) - 1
				if run > -shiftRun {
					e = -clip
				}
			} else {
				run = 0
			}
			ae := math.Min(math.Abs(e), clip)
			sse += ae * ae
			if resid != nil {
				resid[t] = e
			}
			if run == shiftRun || run == -shiftRun {
				// The level has moved: take the new one as it is, without
				// reading the jump as trend or season.
				level += damped + e
				trend = damped
				shiftAt, shift = t, e
			} else {
				level += damped + alpha*e
				trend = damped + beta*e
				if season != nil {
					season[idx] = sp + gamma*e
				}
			}
		}
		if idx++; idx == m {
			idx = 0
		}
	}
	out.level, out.trend = level, trend
	out.shiftAt, out.shift = shiftAt, shift
	out.pending = 0
	if run > -shiftRun && run < shiftRun {
		out.pending = run
	}
	return sse, loss1, lossK
}

// huber is the Huber loss of e with threshold c.
func huber(e, c float64) float64 {
	a := math.Abs(e) // no branch on the sign: it is a coin toss
	if a <= c {
		return a * a
	}
	return c * (2*a - c)
}

// mean returns the h-step-ahead point forecast (h >= 1) from the final state
// after n observations.
func (f *ets) mean(h int) float64 { return predict(f.kind, f.p, &f.last, f.n, f.m, h) }

// predict is the h-step-ahead point forecast from state st reached after n
// observations.
func predict(k kind, p params, st *state, n, m, h int) float64 {
	v := st.level
	if k.trend() {
		// phi + phi^2 + ... + phi^h
		sum, pw := 0.0, 1.0
		for range h {
			pw *= p.phi
			sum += pw
		}
		v += sum * st.trend
	}
	if k.seasonal() {
		v += st.season[(n-1+h)%m]
	}
	return v
}

// varianceFactors returns v[h-1] = 1 + sum_{j=1}^{h-1} c_j^2, the ratio of the
// h-step forecast variance to the one-step variance for additive ETS models
// (Hyndman et al. 2008, table 6.1, class 1):
// c_j = alpha + beta*(phi+...+phi^j) + gamma*[j mod m == 0].
func (f *ets) varianceFactors(horizon int) []float64 {
	v := make([]float64, horizon)
	acc := 1.0
	phiSum := 0.0
	pw := 1.0
	for h := 1; h <= horizon; h++ {
		v[h-1] = acc
		j := h // c_j for the next step
		c := f.p.alpha
		if f.kind.trend() {
			pw *= f.p.phi
			phiSum += pw
			c += f.p.beta * phiSum
		}
		if f.kind.seasonal() && j%f.m == 0 {
			c += f.p.gamma
		}
		acc += c * c
	}
	return v
}

// fitETS fits model k to y (missing values as NaN, gaps filled in yi for the
// initial state) by minimising, over the logistic reparametrisation with
// Nelder-Mead, the robust loss of one-step and steps-ahead errors (see run;
// no steps means the one-step loss alone), starting from start when
// it is not nil
// and from the best of a small grid otherwise. It returns ok=false when the
// series is too short for the model.
func fitETS(k kind, y, yi []float64, m int, clip float64, steps []int, start *params, hints ...params) (*ets, bool) {
	if !k.seasonal() {
		m = 1
	}
	n := len(y)
	nObs := 0
	for _, v := range y {
		if !math.IsNaN(v) {
			nObs++
		}
	}
	nStates := 1
	if k.trend() {
		nStates++
	}
	if k.seasonal() {
		if m < 2 || n < 2*m {
			return nil, false
		}
		nStates += m - 1
	}
	nPar := k.nParams() + nStates
	if nObs-nPar-1 <= 0 {
		return nil, false
	}
	s0 := initState(k, yi, m)
	work := state{season: make([]float64, m)}
	var ks *kstep
	if len(steps) > 0 {
		ks = newKstep(steps)
	}
	obj := func(x []float64) float64 {
		_, loss1, lossK := run(k, k.decode(x), s0, y, m, clip, ks, &work, nil)
		loss := loss1 + lossK
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return math.MaxFloat64
		}
		return loss
	}
	var x0 []float64
	if start != nil {
		x0 = k.encode(*start)
	} else {
		x0 = bestStart(k, obj, hints)
	}
	x, _ := minimize(obj, x0)

	f := &ets{kind: k, m: m, p: k.decode(x), init: s0, n: n, nObs: nObs, clip: clip, nSmoot: k.nParams(), steps: steps}
	f.last.season = make([]float64, m)
	var loss1 float64
	f.sse, loss1, _ = run(k, f.p, s0, y, m, clip, nil, &f.last, nil)
	fn := float64(nObs)
	fk := float64(nPar)
	// AICc with the robust one-step loss in place of the SSE.
	f.aicc = fn*math.Log(math.Max(loss1, 1e-300)/fn) + 2*fk + 2*fk*(fk+1)/(fn-fk-1)
	f.sigma = math.Sqrt(f.sse / float64(max(1, nObs-f.nSmoot)))
	return f, true
}

// bestStart evaluates a small grid of plausible parameter sets, plus hints
// (parameters of simpler models fitted to the same series), and returns the
// best as the Nelder-Mead starting point, which avoids the poorest local
// minima at little cost.
func bestStart(k kind, obj func([]float64) float64, hints []params) []float64 {
	var best []float64
	bestF := math.Inf(1)
	cands := hints
	for _, a := range []float64{0.05, 0.2, 0.5, 0.9} {
		cands = append(cands, params{alpha: a, beta: 0.1 * a, gamma: 0.2 * (1 - a), phi: 0.9})
	}
	for _, p := range cands {
		x := k.encode(p)
		if v := obj(x); v < bestF {
			bestF, best = v, x
		}
	}
	return best
}
