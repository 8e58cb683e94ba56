// Package forecast predicts a numeric series (an hourly risk factor) some
// steps ahead with prediction intervals, and says how far to trust it.
//
// Models: the additive exponential smoothing (ETS) family — simple
// exponential smoothing, Holt's damped trend, additive Holt-Winters with and
// without a damped trend — plus the mean, and the last value or the mean for
// histories too short to fit.
//
// Fitting: smoothing parameters minimise a robust loss (Huber) of the
// one-step errors plus the errors a third and two thirds of a season (or of
// the horizon) ahead, with Nelder-Mead over a logistic reparametrisation of
// the admissible region; initial states come from a classical decomposition
// of the first seasons after a Hampel filter. Errors beyond four robust sds
// are cut before they update the state, unless three in a row say the level
// has really moved. Missing values (NaN, ±Inf) are skipped by the filter.
//
// Choice: AICc within the seasonal and the non-seasonal family; between them
// a rolling-origin back-test on the last season (refitted on the history
// before it) decides. Intervals use the analytic ETS variances, widened when
// the back-test errors are larger than predicted. Confidence combines the
// amount of history with the back-test error.
//
// The package is pure: no I/O and no clock.
package forecast

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/cloudsage/cloudsage"
)

// Options says what to forecast.
type Options struct {
	Period      int     // season length in steps (24 for hourly data with a daily cycle); 0 = none
	Horizon     int     // steps ahead
	Level       float64 // prediction-interval coverage, e.g. 0.8 (default 0.8)
	NonNegative bool    // clamp means and bounds at 0 (counts, latencies)
	Max         float64 // optional upper clamp (e.g. 100 for percentages); 0 = none
}

// Point is the forecast for one step ahead (Step 1 is the step after the last
// observation). Low and High bound the prediction interval at the forecast's
// Level; SD is the forecast standard deviation before any clamping.
type Point struct {
	Step            int
	Mean, Low, High float64
	SD              float64
}

// Forecast is a fitted model's prediction with the evidence for trusting it.
type Forecast struct {
	Model         string             // "holt_winters_damped", "seasonal_ses", "holt_damped", "ses", "mean", "naive", "none"
	Params        map[string]float64 // fitted alpha, beta, gamma, phi; sigma (one-step sd), aicc
	Points        []Point
	Level         float64 // interval coverage of Low..High
	BacktestMAE   float64 // rolling-origin back-test mean absolute error of the chosen model
	BacktestSMAPE float64 // the same back-test's symmetric MAPE as a fraction (0.08 = 8%; 0..2)
	BacktestN     int     // number of (origin, step) pairs the back-test scored
	Confidence    float64 // 0..1 from data quantity and back-test error
	Why           string  // one sentence: why this model and this confidence
	// NoiseSD is the part of each point's SD that is a step's own noise,
	// independent between steps; the rest persists from step to step (a
	// level that has moved stays moved). 0 means unknown (ProbAbove then
	// takes the smallest point SD).
	NoiseSD float64
}

const (
	defaultLevel = 0.8
	maxHorizon   = 100_000
	minSeasonal  = 2   // full periods needed before a season is fitted
	minTrend     = 8   // observations needed before a trend is fitted
	minSES       = 4   // observations needed before smoothing is fitted
	fitSeasons   = 10  // at most this many seasons of history are fitted...
	minFit       = 240 // ...or this many points, whichever is more
)

func invalid(format string, args ...any) error {
	return cloudsage.Errorf(cloudsage.Invalid, format, args...)
}

func (o Options) validate() (Options, error) {
	if o.Horizon < 1 || o.Horizon > maxHorizon {
		return o, invalid("forecast horizon %d out of range 1..%d", o.Horizon, maxHorizon)
	}
	if o.Period < 0 {
		return o, invalid("forecast period %d is negative", o.Period)
	}
	if o.Level == 0 {
		o.Level = defaultLevel
	}
	if !(o.Level > 0 && o.Level < 1) {
		return o, invalid("forecast interval level %v not in (0, 1)", o.Level)
	}
	if math.IsNaN(o.Max) || math.IsInf(o.Max, 0) || o.Max < 0 {
		return o, invalid("forecast upper clamp %v must be a finite number >= 0", o.Max)
	}
	if o.Period == 1 {
		o.Period = 0
	}
	return o, nil
}

// series is a history cleaned for fitting.
type series struct {
	y      []float64 // observations, NaN where missing; leading missing values dropped
	yi     []float64 // y with gaps filled linearly (trailing ones by the last value)
	nObs   int       // non-missing observations
	mean   float64   // mean of the observations
	scale  float64   // robust scale of one-step changes, for outlier clipping
	spread float64   // typical size of the values, for relative errors and floors
}

func clean(history []float64) series {
	start := 0
	for start < len(history) && !finite(history[start]) {
		start++
	}
	s := series{y: make([]float64, len(history)-start)}
	for i, v := range history[start:] {
		if finite(v) {
			s.y[i] = v
			s.nObs++
		} else {
			s.y[i] = math.NaN()
		}
	}
	if s.nObs == 0 {
		s.y = nil
		return s
	}
	// Gap-filled copy.
	s.yi = slices.Clone(s.y)
	last := -1
	for i, v := range s.y {
		if math.IsNaN(v) {
			continue
		}
		if last >= 0 && i-last > 1 {
			a, b := s.y[last], v
			for j := last + 1; j < i; j++ {
				s.yi[j] = a + (b-a)*float64(j-last)/float64(i-last)
			}
		}
		last = i
	}
	for j := last + 1; j < len(s.yi); j++ {
		s.yi[j] = s.y[last]
	}
	var sum, sumAbs float64
	for _, v := range s.y {
		if !math.IsNaN(v) {
			sum += v
			sumAbs += math.Abs(v)
		}
	}
	s.mean = sum / float64(s.nObs)
	meanAbs := sumAbs / float64(s.nObs)

	// Robust scale of the one-step changes: the larger of the MAD-based sd and
	// the 95th percentile of |change| read as a normal's 1.96 sd, so that a
	// zero-heavy count series (MAD 0) does not make every count an outlier.
	d := make([]float64, 0, len(s.yi))
	for i := 1; i < len(s.yi); i++ {
		d = append(d, math.Abs(s.yi[i]-s.yi[i-1]))
	}
	floor := sdFloor(meanAbs)
	if len(d) > 0 {
		slices.Sort(d)
		mad := d[len(d)/2] * 1.4826
		q95 := d[min(len(d)-1, int(0.95*float64(len(d))))] / 1.96
		s.scale = math.Max(mad, q95) / math.Sqrt2
	}
	s.scale = math.Max(s.scale, floor)
	sd := 0.0
	for _, v := range s.y {
		if !math.IsNaN(v) {
			sd += (v - s.mean) * (v - s.mean)
		}
	}
	sd = math.Sqrt(sd / float64(s.nObs))
	s.spread = math.Max(math.Max(meanAbs, sd), floor)
	s.yi = hampel(s.yi, clipK*s.scale)
	return s
}

// hampel returns y with every value further than limit from the median of
// its 7-point neighbourhood replaced by that median. Initial states are
// estimated from the result, so that a spike in the first periods does not
// become part of the season or trend.
func hampel(y []float64, limit float64) []float64 {
	const half = 3
	if len(y) < 2*half+1 {
		return y
	}
	out := slices.Clone(y)
	var win [2*half + 1]float64
	for i := range y {
		lo := min(max(0, i-half), len(y)-(2*half+1))
		w := win[:0]
		w = append(w, y[lo:lo+2*half+1]...)
		slices.Sort(w)
		if med := w[half]; math.Abs(y[i]-med) > limit {
			out[i] = med
		}
	}
	return out
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// sdFloor is the smallest forecast sd used for a series of typical absolute
// size meanAbs, so that a constant history still gets a (narrow) interval.
func sdFloor(meanAbs float64) float64 { return 1e-3 * math.Max(1, meanAbs) }

// Predict fits the best model to history (oldest first; NaN and ±Inf mark
// missing values) and forecasts opt.Horizon steps ahead. It returns an error
// only for invalid options: an empty or short history still gets a flat,
// low-confidence forecast.
func Predict(history []float64, opt Options) (Forecast, error) {
	opt, err := opt.validate()
	if err != nil {
		return Forecast{}, err
	}
	// Old history adds little to an adaptive model and costs time: fit on the
	// most recent points.
	if limit := max(fitSeasons*opt.Period, minFit); len(history) > limit {
		history = history[len(history)-limit:]
	}
	s := clean(history)
	switch {
	case s.nObs == 0:
		f := flat(opt, "none", 0, 0, nil)
		f.Why = "no history, so a flat forecast at 0 with no confidence"
		return f, nil
	case s.nObs == 1:
		return short(s, opt), nil
	case isConstant(s):
		sd := sdFloor(math.Abs(s.mean))
		f := flat(opt, "mean", s.mean, sd, nil)
		f.Params = map[string]float64{"mean": s.mean, "sigma": sd}
		f.Confidence = round2(0.9 * quantity(s.nObs, opt.Period))
		f.Why = fmt.Sprintf("%s, all equal to %.4g, so a flat forecast; confidence %.2f from the amount of history",
			describeHistory(s.nObs, opt.Period), s.mean, f.Confidence)
		return f, nil
	case s.nObs < minSES:
		return short(s, opt), nil
	}

	m := opt.Period
	var cands []*ets
	fitted := make([]*ets, numKinds)
	tried := []string{}
	for k := range numKinds {
		if k.trend() && s.nObs < minTrend {
			continue
		}
		if k.seasonal() && (m < 2 || len(s.y) < minSeasonal*m) {
			continue
		}
		if fit, ok := fitETS(k, s.y, s.yi, m, clipK*s.scale, fitSteps(k, m, opt.Horizon), nil, hints(k, fitted)...); ok {
			cands = append(cands, fit)
			fitted[k] = fit
			tried = append(tried, k.name())
		}
	}
	if len(cands) == 0 {
		return meanForecast(s, opt, 1, backtestMean(s, opt)), nil
	}
	// Within the seasonal and the non-seasonal family the model is chosen by
	// AICc (the mean, with one parameter, belongs to the non-seasonal one).
	// Between the families the rolling-origin back-test decides: one-step
	// errors flatter a trend model that chases a short season, and the
	// forecast is used many steps ahead.
	var bestNS, bestS *ets
	for _, c := range cands {
		b := &bestNS
		if c.kind.seasonal() {
			b = &bestS
		}
		if *b == nil || c.aicc < (*b).aicc {
			*b = c
		}
	}
	models := len(tried) + 1
	meanAICc := meanModelAICc(s)
	useMean := bestNS == nil || meanAICc < bestNS.aicc
	var btNS btResult
	if useMean {
		btNS = backtestMean(s, opt)
	} else {
		btNS = backtest(bestNS, s, opt)
	}
	best, bt := bestNS, btNS
	how := fmt.Sprintf("best AICc of %d models", models)
	if bestS != nil {
		btS := backtest(bestS, s, opt)
		nsAICc := meanAICc
		if !useMean {
			nsAICc = bestNS.aicc
		}
		switch {
		case btS.n > 0 && btNS.n > 0 && btS.mae < btNS.mae:
			best, bt, useMean = bestS, btS, false
			how = fmt.Sprintf("best AICc of the seasonal models, and a smaller back-test error than the best without a season (%.3g vs %.3g)", btS.mae, btNS.mae)
		case (btS.n == 0 || btNS.n == 0) && bestS.aicc < nsAICc:
			best, bt, useMean = bestS, btS, false
		default:
			how = fmt.Sprintf("best AICc of %d models; a season did not lower the back-test error (%.3g vs %.3g)", models, btS.mae, btNS.mae)
		}
	}
	if useMean {
		return meanForecast(s, opt, models, btNS), nil
	}

	f := Forecast{Model: best.kind.name(), Level: opt.Level}
	f.Params = map[string]float64{"alpha": best.p.alpha, "sigma": best.sigma, "aicc": best.aicc}
	if best.kind.trend() {
		f.Params["beta"] = best.p.beta
		f.Params["phi"] = best.p.phi
	}
	if best.kind.seasonal() {
		f.Params["gamma"] = best.p.gamma
	}

	f.BacktestMAE, f.BacktestSMAPE, f.BacktestN = bt.mae, bt.smape, bt.n

	// Analytic ETS intervals, widened (never narrowed) when the out-of-sample
	// back-test errors are larger than the model's own variance predicts.
	widen := 1.0
	if bt.n >= 10 && bt.ratio > 1 {
		widen = math.Min(bt.ratio, 3)
	}
	sigma := math.Max(best.sigma*widen, sdFloor(s.spread))
	f.NoiseSD = sigma
	if widen > 1 {
		f.Params["interval_widen"] = widen
	}
	f.Confidence = confidence(s, opt, bt)
	var notes []string

	// A level shift in the last season is a new regime the history has not
	// tested: the forecast follows it, but the band also allows a move back
	// (half the jump, as one persistent uncertainty), and confidence drops.
	var shiftSD float64
	if at := best.last.shiftAt; at >= 0 && at >= best.n-max(m, 12) {
		shiftSD = math.Abs(best.last.shift) / 2
		f.Params["shift"] = best.last.shift
		f.Confidence = round2(f.Confidence * 0.6)
		notes = append(notes, fmt.Sprintf("the level moved by %+.3g over the last %d points, and the band allows a move back", best.last.shift, best.n-1-at+shiftRun))
	}
	if p := best.last.pending; p != 0 {
		side := "above"
		if p < 0 {
			side, p = "below", -p
		}
		notes = append(notes, fmt.Sprintf("the last %d point(s) lie far %s the model and count as outliers unless %d in a row confirm a shift", p, side, shiftRun))
	}
	vf := best.varianceFactors(opt.Horizon)
	f.Points = make([]Point, opt.Horizon)
	for h := 1; h <= opt.Horizon; h++ {
		sd := math.Sqrt(sigma*sigma*vf[h-1] + shiftSD*shiftSD)
		f.Points[h-1] = makePoint(opt, h, best.mean(h), sd)
	}
	f.Why = explain(s, opt, f, best, how, bt, notes)
	return f, nil
}

// fitSteps says how many steps ahead the fit scores besides one (see run):
// a third and two thirds of the season, or of the horizon up to 12 steps
// without one. (A whole season ahead would not do: from there, a level that
// jumps to every new value and a frozen season forecast exactly like
// repeating the last season, so it cannot tell a good season from a bad
// one.)
func fitSteps(k kind, m, horizon int) []int {
	span := min(horizon, 12)
	if k.seasonal() {
		span = min(horizon, m)
	}
	var out []int
	for _, s := range []int{span / 3, 2 * span / 3} {
		if s > 1 && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// hints proposes starting parameters for k from the simpler models already
// fitted: the richest model combines their level, trend and season rates.
func hints(k kind, fitted []*ets) []params {
	var out []params
	base := params{alpha: 0.2, beta: 0.02, gamma: 0.1, phi: 0.9}
	if f := fitted[kindSES]; f != nil {
		base.alpha = f.p.alpha
	}
	if f := fitted[kindHoltDamped]; f != nil && k.trend() {
		base.alpha, base.beta, base.phi = f.p.alpha, f.p.beta, f.p.phi
	}
	if f := fitted[kindSeasonal]; f != nil && k.seasonal() {
		base.alpha, base.gamma = f.p.alpha, f.p.gamma
		if t := fitted[kindHoltDamped]; t != nil && k.trend() {
			base.beta = math.Min(t.p.beta/t.p.alpha, 0.99) * base.alpha
			base.phi = t.p.phi
		}
	}
	base.beta = math.Min(base.beta, 0.99*base.alpha)
	base.gamma = math.Min(base.gamma, 0.99*(1-base.alpha))
	if fitted[kindSES] != nil {
		out = append(out, base)
	}
	return out
}

func isConstant(s series) bool {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range s.y {
		if !math.IsNaN(v) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	return hi-lo <= 1e-12*math.Max(1, math.Abs(s.mean))
}

// zQuantile is the standard normal quantile for two-sided coverage level.
func zQuantile(level float64) float64 { return math.Sqrt2 * math.Erfinv(level) }

func makePoint(opt Options, h int, mean, sd float64) Point {
	z := zQuantile(opt.Level)
	p := Point{Step: h, Mean: mean, Low: mean - z*sd, High: mean + z*sd, SD: sd}
	if opt.NonNegative {
		p.Mean, p.Low, p.High = math.Max(p.Mean, 0), math.Max(p.Low, 0), math.Max(p.High, 0)
	}
	if opt.Max > 0 {
		p.Mean, p.Low, p.High = math.Min(p.Mean, opt.Max), math.Min(p.Low, opt.Max), math.Min(p.High, opt.Max)
	}
	return p
}

// flat returns a forecast constant at mean whose sd at step h is
// sd*sqrt(growth(h)) (growth nil means constant).
func flat(opt Options, model string, mean, sd float64, growth func(h int) float64) Forecast {
	f := Forecast{Model: model, Level: opt.Level, Points: make([]Point, opt.Horizon)}
	for h := 1; h <= opt.Horizon; h++ {
		g := 1.0
		if growth != nil {
			g = growth(h)
		}
		f.Points[h-1] = makePoint(opt, h, mean, sd*math.Sqrt(g))
	}
	return f
}

// short forecasts a history too short to fit smoothing: the last value for a
// single point, the mean otherwise.
func short(s series, opt Options) Forecast {
	var obs []float64
	for _, v := range s.y {
		if !math.IsNaN(v) {
			obs = append(obs, v)
		}
	}
	if len(obs) == 1 {
		// One observation says nothing about the noise: assume 10% of the value
		// per step, growing like a random walk.
		sd := math.Max(0.1*math.Abs(obs[0]), sdFloor(math.Abs(obs[0])))
		f := flat(opt, "naive", obs[0], sd, func(h int) float64 { return float64(h) })
		f.Params = map[string]float64{"last": obs[0], "sigma": sd}
		f.Confidence = round2(0.25 * math.Sqrt(quantity(1, opt.Period)))
		f.Why = fmt.Sprintf("only one point, so the forecast repeats it (%.4g) with an assumed 10%% error; confidence %.2f", obs[0], f.Confidence)
		return f
	}
	f := meanForecast(s, opt, 1, btResult{})
	f.Why = fmt.Sprintf("only %d points, too few to fit smoothing, so the forecast is their mean (%.4g); confidence %.2f",
		len(obs), f.Params["mean"], f.Confidence)
	return f
}

// meanModelAICc is the AICc of the iid model: one parameter, the mean.
func meanModelAICc(s series) float64 {
	var sse float64
	for _, v := range s.y {
		if !math.IsNaN(v) {
			sse += (v - s.mean) * (v - s.mean)
		}
	}
	n := float64(s.nObs)
	if n <= 2 {
		return math.Inf(1)
	}
	const k = 1.0
	return n*math.Log(math.Max(sse, 1e-300)/n) + 2*k + 2*k*(k+1)/(n-k-1)
}

// meanForecast forecasts the mean of the history; bt is its back-test (see
// backtestMean).
func meanForecast(s series, opt Options, models int, bt btResult) Forecast {
	var ss float64
	for _, v := range s.y {
		if !math.IsNaN(v) {
			ss += (v - s.mean) * (v - s.mean)
		}
	}
	n := float64(s.nObs)
	sd := math.Sqrt(ss / math.Max(1, n-1))
	sd = math.Max(sd*math.Sqrt(1+1/n), sdFloor(s.spread))
	f := flat(opt, "mean", s.mean, sd, nil)
	f.Params = map[string]float64{"mean": s.mean, "sigma": sd}
	f.NoiseSD = sd
	if s.nObs < minSES {
		f.Confidence = round2(0.5 * math.Sqrt(quantity(s.nObs, opt.Period)))
		return f
	}
	f.BacktestMAE, f.BacktestSMAPE, f.BacktestN = bt.mae, bt.smape, bt.n
	f.Confidence = confidence(s, opt, bt)
	f.Why = fmt.Sprintf("%s: no trend or season pays for itself (the mean had the best AICc of %d models), so a flat forecast at %.4g; %s",
		describeHistory(s.nObs, opt.Period), models, s.mean, describeBacktest(bt, f.Confidence))
	return f
}

// quantity scores the amount of history 0..1: four seasons (or 48 points
// without a season) count as enough.
func quantity(n, period int) float64 {
	need := 48.0
	if period >= 2 {
		need = math.Max(need, 4*float64(period))
	}
	return math.Min(1, float64(n)/need)
}

// confidence combines the amount of history with the back-test error
// relative to the series' typical size.
func confidence(s series, opt Options, bt btResult) float64 {
	errScore := 0.5 // unknown when there was nothing to back-test
	if bt.n > 0 {
		rel := bt.mae / s.spread
		errScore = 1 / ((1 + 2*rel) * (1 + 2*rel))
	}
	return round2(math.Sqrt(quantity(s.nObs, opt.Period)) * errScore)
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func describeHistory(n, period int) string {
	switch {
	case period >= 2 && n < minSeasonal*period:
		return fmt.Sprintf("%d points (%.1f seasons of %d, too few to fit the season)", n, float64(n)/float64(period), period)
	case period >= 2:
		return fmt.Sprintf("%d points (%.1f seasons of %d)", n, float64(n)/float64(period), period)
	}
	return fmt.Sprintf("%d points", n)
}

func describeBacktest(bt btResult, conf float64) string {
	if bt.n == 0 {
		return fmt.Sprintf("too short to back-test; confidence %.2f", conf)
	}
	how := ""
	if bt.inSample {
		how = ", with parameters fitted on all of it"
	}
	return fmt.Sprintf("back-test error %.0f%% (MAE %.3g over %d checks%s); confidence %.2f", 100*bt.rel, bt.mae, bt.n, how, conf)
}

func explain(s series, opt Options, f Forecast, best *ets, how string, bt btResult, notes []string) string {
	var what string
	switch best.kind {
	case kindHoltWinters:
		what = fmt.Sprintf("season of %d and damped trend (phi %.2f) fitted", best.m, best.p.phi)
	case kindSeasonal:
		what = fmt.Sprintf("season of %d fitted, no trend", best.m)
	case kindHoltDamped:
		what = fmt.Sprintf("damped trend fitted (phi %.2f)", best.p.phi)
	default:
		what = "level tracked by simple exponential smoothing"
	}
	if w := f.Params["interval_widen"]; w >= 1.1 {
		notes = append(notes, fmt.Sprintf("intervals widened ×%.1f by the back-test", w))
	}
	extra := ""
	if len(notes) > 0 {
		extra = " (" + strings.Join(notes, "; ") + ")"
	}
	return fmt.Sprintf("%s: %s, %s%s; %s",
		describeHistory(s.nObs, opt.Period), what, how, extra, describeBacktest(bt, f.Confidence))
}
