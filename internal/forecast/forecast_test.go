package forecast

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cloudsage/cloudsage"
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

// simETS simulates the additive ETS model with damped trend and season
// (beta 0 and trend0 0 give no trend, gamma 0 and amp 0 no season).
func simETS(seed uint64, n int, alpha, beta, gamma, phi float64, m int, sigma, trend0, amp float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	level, trend := 50.0, trend0
	season := make([]float64, max(m, 1))
	for i := range season {
		if m > 1 {
			season[i] = amp * math.Sin(2*math.Pi*float64(i)/float64(m))
		}
	}
	y := make([]float64, n)
	for t := range y {
		idx := t % len(season)
		e := sigma * rng.NormFloat64()
		y[t] = level + phi*trend + season[idx] + e
		level += phi*trend + alpha*e
		trend = phi*trend + beta*e
		season[idx] += gamma * e
	}
	return y
}

// checkPoints fails unless f has horizon points, all finite, with
// Low <= Mean <= High and steps 1..horizon.
// maxMeanDiff is the largest gap between the point means of f and ref.
func maxMeanDiff(f, ref Forecast) float64 {
	var diff float64
	for i := range f.Points {
		diff = math.Max(diff, math.Abs(f.Points[i].Mean-ref.Points[i].Mean))
	}
	return diff
}

func checkPoints(tb testing.TB, f Forecast, horizon int) {
	tb.Helper()
	if len(f.Points) != horizon {
		tb.Fatalf("len(Points) = %d, want %d", len(f.Points), horizon)
	}
	for i, p := range f.Points {
		if p.Step != i+1 {
			tb.Fatalf("Points[%d].Step = %d, want %d", i, p.Step, i+1)
		}
		if !finite(p.Mean) || !finite(p.Low) || !finite(p.High) || !finite(p.SD) {
			tb.Fatalf("Points[%d] = %+v, want finite values", i, p)
		}
		if !(p.Low <= p.Mean && p.Mean <= p.High) {
			tb.Fatalf("Points[%d] = %+v, want Low <= Mean <= High", i, p)
		}
	}
	if !(f.Confidence >= 0 && f.Confidence <= 1) {
		tb.Fatalf("Confidence = %v, want 0..1", f.Confidence)
	}
	if f.Why == "" || f.Model == "" {
		tb.Fatalf("Model %q, Why %q: want both set", f.Model, f.Why)
	}
}

// TestPredictRecoversPattern fits series with known structure and checks the
// forecast of the held-out continuation.
func TestPredictRecoversPattern(t *testing.T) {
	tests := []struct {
		name    string
		y       []float64 // history followed by the hold-out
		period  int
		horizon int
		models  []string // acceptable models
		maxMAE  float64  // bound on the hold-out MAE
	}{
		{"level+noise", synth(1, 168+24, 50, 0, 0, 0, 2), 0, 24,
			[]string{"mean", "ses"}, 2.5},
		{"linear trend", synth(2, 96+24, 10, 0.5, 0, 0, 1), 0, 24,
			[]string{"holt_damped"}, 3},
		{"daily season", synth(3, 168+72, 100, 0, 25, 24, 3), 24, 72,
			[]string{"seasonal_ses", "holt_winters_damped"}, 4},
		{"season and trend", synth(4, 168+48, 100, 0.3, 25, 24, 2), 24, 48,
			[]string{"holt_winters_damped"}, 5},
		{"weekly season", synth(5, 4*7*4+28, 20, 0, 8, 7, 1), 7, 28,
			[]string{"seasonal_ses", "holt_winters_damped"}, 1.6},
		{"damped trend", simETS(6, 120+24, 0.3, 0, 0, 0.9, 1, 0.2, 3, 0), 0, 24,
			[]string{"holt_damped"}, 3},
		{"random walk", simETS(7, 168+12, 0.9999, 0, 0, 1, 1, 1, 0, 0), 0, 12,
			[]string{"ses", "holt_damped"}, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := len(tc.y) - tc.horizon
			f, err := Predict(tc.y[:n], Options{Period: tc.period, Horizon: tc.horizon})
			if err != nil {
				t.Fatal(err)
			}
			checkPoints(t, f, tc.horizon)
			ok := false
			for _, m := range tc.models {
				ok = ok || f.Model == m
			}
			if !ok {
				t.Errorf("Model = %q, want one of %v (why: %s)", f.Model, tc.models, f.Why)
			}
			if acc := Score(f, tc.y[n:]); acc.MAE > tc.maxMAE {
				t.Errorf("hold-out MAE = %.3f, want <= %.3f (model %s, params %v)", acc.MAE, tc.maxMAE, f.Model, f.Params)
			}
		})
	}
}

// TestSeasonPhase checks the forecast peaks and troughs at the right steps
// of the season, for several phases.
func TestSeasonPhase(t *testing.T) {
	for _, n := range []int{48, 100, 167, 168, 200} {
		y := synth(uint64(n), n, 50, 0, 20, 24, 2)
		f, err := Predict(y, Options{Period: 24, Horizon: 24})
		if err != nil {
			t.Fatal(err)
		}
		// The sine peaks where t%24 == 6 and bottoms where t%24 == 18.
		peak, trough := 0, 0
		for i, p := range f.Points {
			if p.Mean > f.Points[peak].Mean {
				peak = i
			}
			if p.Mean < f.Points[trough].Mean {
				trough = i
			}
		}
		peakT := (n + peak) % 24 // time index of Points[i] is n+i
		troughT := (n + trough) % 24
		if d := circDist(peakT, 6, 24); d > 1 {
			t.Errorf("n=%d: peak at season step %d, want 6±1 (model %s)", n, peakT, f.Model)
		}
		if d := circDist(troughT, 18, 24); d > 1 {
			t.Errorf("n=%d: trough at season step %d, want 18±1 (model %s)", n, troughT, f.Model)
		}
	}
}

func circDist(a, b, m int) int {
	d := (a - b + m) % m
	return min(d, m-d)
}

// TestCoverage checks that 80% intervals cover 75-85% of held-out points of
// series simulated from the model family with known noise.
func TestCoverage(t *testing.T) {
	tests := []struct {
		name                    string
		alpha, beta, gamma, phi float64
		m, period               int
		amp                     float64
	}{
		{"white noise", 0.0001, 0, 0, 1, 1, 0, 0},
		{"local level", 0.3, 0, 0, 1, 1, 0, 0},
		{"local damped trend", 0.3, 0.05, 0, 0.9, 1, 0, 0},
		{"season", 0.2, 0, 0.1, 1, 24, 24, 10},
		{"fixed season", 0.0001, 0, 0.0001, 1, 24, 24, 10},
	}
	seeds := uint64(40)
	if testing.Short() {
		seeds = 15
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in, total := 0, 0
			for seed := range seeds {
				y := simETS(seed, 168+24, tc.alpha, tc.beta, tc.gamma, tc.phi, tc.m, 2, 0, tc.amp)
				f, err := Predict(y[:168], Options{Period: tc.period, Horizon: 24, Level: 0.8})
				if err != nil {
					t.Fatal(err)
				}
				acc := Score(f, y[168:])
				in += int(math.Round(acc.Coverage * float64(acc.N)))
				total += acc.N
			}
			cov := float64(in) / float64(total)
			t.Logf("coverage of 80%% intervals %.3f over %d held-out points", cov, total)
			if cov < 0.75 || cov > 0.85 {
				t.Errorf("coverage of 80%% intervals = %.3f over %d points, want 0.75..0.85", cov, total)
			}
		})
	}
}

// TestOutliers checks that a single spike, anywhere, barely moves the
// forecast, while a sustained shift is followed.
func TestOutliers(t *testing.T) {
	base := synth(11, 168, 100, 0, 15, 24, 2)
	ref, err := Predict(base, Options{Period: 24, Horizon: 24})
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []int{5, 60, 120, 160, 166, 167} {
		y := append([]float64(nil), base...)
		y[at] += 500 // a 250-sd spike
		f, err := Predict(y, Options{Period: 24, Horizon: 24})
		if err != nil {
			t.Fatal(err)
		}
		checkPoints(t, f, 24)
		if diff := maxMeanDiff(f, ref); diff > 4 {
			t.Errorf("spike at %d moved the forecast by up to %.2f, want <= 4 (2 noise sds)", at, diff)
		}
		if w := f.Points[0].High - f.Points[0].Low; w > 3*(ref.Points[0].High-ref.Points[0].Low) {
			t.Errorf("spike at %d widened the interval to %.2f from %.2f", at, w, ref.Points[0].High-ref.Points[0].Low)
		}
	}

	// A level shift of +60 over the last 12 points is a change, not a spike.
	y := append([]float64(nil), base...)
	for i := 156; i < 168; i++ {
		y[i] += 60
	}
	f, err := Predict(y, Options{Period: 24, Horizon: 24})
	if err != nil {
		t.Fatal(err)
	}
	if d := f.Points[0].Mean - ref.Points[0].Mean; d < 40 {
		t.Errorf("after a +60 shift the forecast rose by %.1f, want >= 40", d)
	}
}

// TestShiftAtEnd: three points at a new level are followed, with a band that
// allows a move back and a lower confidence; one or two are outliers, and
// Why says so.
func TestShiftAtEnd(t *testing.T) {
	base := synth(12, 168, 10, 0, 3, 24, 0.5)
	ref, err := Predict(base, Options{Period: 24, Horizon: 24, NonNegative: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{1, 2, 3} {
		y := append([]float64(nil), base...)
		for i := 168 - k; i < 168; i++ {
			y[i] += 40
		}
		f, err := Predict(y, Options{Period: 24, Horizon: 24, NonNegative: true})
		if err != nil {
			t.Fatal(err)
		}
		checkPoints(t, f, 24)
		p := ProbAbove(f, ref.Points[0].Mean+30)
		d := f.Points[0].Mean - ref.Points[0].Mean
		switch k {
		case 1, 2:
			if d > 3 || p > 0.05 {
				t.Errorf("%d outlying points: forecast moved by %.1f, P(above +30) = %.2f; want outliers ignored", k, d, p)
			}
			if !strings.Contains(f.Why, "outliers") {
				t.Errorf("%d outlying points: Why = %q, want it to mention the outliers", k, f.Why)
			}
		case 3:
			if d < 35 {
				t.Errorf("a shift of +40 over 3 points: forecast moved by %.1f, want >= 35", d)
			}
			if p < 0.3 || p > 0.97 {
				t.Errorf("after a shift to +40, P(above +30) = %.2f, want 0.3..0.97 (it may move back)", p)
			}
			if f.Confidence >= ref.Confidence {
				t.Errorf("confidence after a shift %.2f, before %.2f: want lower", f.Confidence, ref.Confidence)
			}
			if !strings.Contains(f.Why, "level moved") {
				t.Errorf("Why = %q, want it to mention the shift", f.Why)
			}
		}
	}
}

func TestMissingValues(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	full := synth(21, 120, 30, 0, 10, 24, 1)
	withGaps := func(idx ...int) []float64 {
		y := append([]float64(nil), full...)
		for _, i := range idx {
			y[i] = nan
		}
		return y
	}
	tests := []struct {
		name string
		y    []float64
	}{
		{"leading", withGaps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)},
		{"interior", withGaps(30, 31, 32, 70, 90)},
		{"trailing", withGaps(117, 118, 119)},
		{"half missing", withGaps(func() []int {
			var idx []int
			for i := 0; i < 120; i += 2 {
				idx = append(idx, i)
			}
			return idx
		}()...)},
		{"infinities", func() []float64 { y := withGaps(); y[50], y[51] = inf, -inf; return y }()},
	}
	ref, err := Predict(full, Options{Period: 24, Horizon: 24})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Predict(tc.y, Options{Period: 24, Horizon: 24})
			if err != nil {
				t.Fatal(err)
			}
			checkPoints(t, f, 24)
			if diff := maxMeanDiff(f, ref); diff > 4 {
				t.Errorf("missing values moved the forecast by up to %.2f, want <= 4 (model %s vs %s)", diff, f.Model, ref.Model)
			}
		})
	}
}

func TestEdgeCases(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name     string
		y        []float64
		opt      Options
		model    string
		mean     float64 // expected Points[0].Mean
		maxConf  float64
		minWidth float64 // Points[0].High-Low must be at least this
	}{
		{"empty", nil, Options{Horizon: 5}, "none", 0, 0, 0},
		{"all NaN", []float64{nan, nan}, Options{Horizon: 5}, "none", 0, 0, 0},
		{"one point", []float64{7}, Options{Horizon: 5}, "naive", 7, 0.1, 0.1},
		{"two points", []float64{4, 6}, Options{Horizon: 5}, "mean", 5, 0.2, 0.5},
		{"three points", []float64{4, 6, 5}, Options{Horizon: 3, Period: 24}, "mean", 5, 0.2, 0.5},
		{"all equal", []float64{3, 3, 3, 3, 3, 3, 3, 3, 3, 3}, Options{Horizon: 4}, "mean", 3, 0.5, 1e-9},
		{"all zero, long", make([]float64, 200), Options{Horizon: 4, Period: 24}, "mean", 0, 1, 1e-9},
		{"zero width floor", []float64{0, 0, 0}, Options{Horizon: 2, NonNegative: true}, "mean", 0, 0.5, 1e-9},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Predict(tc.y, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			checkPoints(t, f, tc.opt.Horizon)
			if f.Model != tc.model {
				t.Errorf("Model = %q, want %q", f.Model, tc.model)
			}
			if got := f.Points[0].Mean; math.Abs(got-tc.mean) > 1e-9 {
				t.Errorf("Points[0].Mean = %v, want %v", got, tc.mean)
			}
			if f.Confidence > tc.maxConf {
				t.Errorf("Confidence = %v, want <= %v (why: %s)", f.Confidence, tc.maxConf, f.Why)
			}
			if w := f.Points[0].High - f.Points[0].Low; w < tc.minWidth {
				t.Errorf("interval width %v, want >= %v", w, tc.minWidth)
			}
		})
	}
}

func TestZeroHeavyCounts(t *testing.T) {
	// Mostly-zero counts: an error that fires about once in five hours.
	rng := rand.New(rand.NewPCG(31, 1))
	y := make([]float64, 168+72)
	for i := range y {
		if rng.Float64() < 0.2 {
			y[i] = float64(1 + rng.IntN(3))
		}
	}
	f, err := Predict(y[:168], Options{Period: 24, Horizon: 72, NonNegative: true})
	if err != nil {
		t.Fatal(err)
	}
	checkPoints(t, f, 72)
	var mean float64
	for _, p := range f.Points {
		if p.Low < 0 {
			t.Fatalf("Low = %v with NonNegative", p.Low)
		}
		mean += p.Mean / 72
	}
	// The true mean is 0.2*2 = 0.4.
	if mean < 0.2 || mean > 0.6 {
		t.Errorf("mean forecast %.3f, want 0.2..0.6 (true rate 0.4; model %s)", mean, f.Model)
	}
	if acc := Score(f, y[168:]); acc.Coverage < 0.7 {
		t.Errorf("coverage %.2f, want >= 0.7 on counts", acc.Coverage)
	}
}

func TestClamps(t *testing.T) {
	// A series falling fast towards zero and a percentage rising towards 100.
	down := synth(41, 48, 40, -0.8, 0, 0, 0.5)
	f, err := Predict(down, Options{Horizon: 72, NonNegative: true})
	if err != nil {
		t.Fatal(err)
	}
	checkPoints(t, f, 72)
	for _, p := range f.Points {
		if p.Mean < 0 || p.Low < 0 {
			t.Fatalf("Point %+v below 0 with NonNegative", p)
		}
	}
	up := synth(42, 48, 60, 0.8, 0, 0, 0.5)
	f, err = Predict(up, Options{Horizon: 72, Max: 100, NonNegative: true})
	if err != nil {
		t.Fatal(err)
	}
	checkPoints(t, f, 72)
	for _, p := range f.Points {
		if p.Mean > 100 || p.High > 100 {
			t.Fatalf("Point %+v above Max 100", p)
		}
	}
}

func TestOptionsInvalid(t *testing.T) {
	tests := []struct {
		name string
		opt  Options
	}{
		{"zero horizon", Options{Horizon: 0}},
		{"negative horizon", Options{Horizon: -1}},
		{"huge horizon", Options{Horizon: maxHorizon + 1}},
		{"negative period", Options{Horizon: 1, Period: -24}},
		{"level 1", Options{Horizon: 1, Level: 1}},
		{"level above 1", Options{Horizon: 1, Level: 80}},
		{"negative level", Options{Horizon: 1, Level: -0.5}},
		{"NaN level", Options{Horizon: 1, Level: math.NaN()}},
		{"negative max", Options{Horizon: 1, Max: -1}},
		{"NaN max", Options{Horizon: 1, Max: math.NaN()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Predict([]float64{1, 2, 3}, tc.opt)
			if err == nil {
				t.Fatalf("Predict(%+v) = nil error, want one", tc.opt)
			}
			if k := cloudsage.KindOf(err); k != cloudsage.Invalid {
				t.Errorf("KindOf(err) = %q, want %q", k, cloudsage.Invalid)
			}
		})
	}
	f, err := Predict([]float64{1, 2, 3}, Options{Horizon: 2, Period: 1})
	if err != nil || f.Level != defaultLevel {
		t.Errorf("Predict with Period 1, Level 0 = (Level %v, %v), want default level and no error", f.Level, err)
	}
}

// TestConfidence checks confidence rises with history and falls with noise.
func TestConfidence(t *testing.T) {
	conf := func(n int, noise float64) float64 {
		t.Helper()
		f, err := Predict(synth(51, n, 100, 0, 20, 24, noise), Options{Period: 24, Horizon: 24})
		if err != nil {
			t.Fatal(err)
		}
		return f.Confidence
	}
	short, long := conf(30, 2), conf(168, 2)
	if !(short < long) {
		t.Errorf("confidence with 30 points %.2f, with 168 points %.2f: want more history more confident", short, long)
	}
	clean, noisy := conf(168, 1), conf(168, 40)
	if !(noisy < clean) {
		t.Errorf("confidence with noise sd 1: %.2f, sd 40: %.2f: want noisier less confident", clean, noisy)
	}
	if clean < 0.7 {
		t.Errorf("confidence on 7 clean seasons = %.2f, want >= 0.7", clean)
	}
}

func TestWhy(t *testing.T) {
	tests := []struct {
		name string
		y    []float64
		opt  Options
		want []string
	}{
		{"seasonal", synth(61, 168, 100, 0, 25, 24, 2), Options{Period: 24, Horizon: 24},
			[]string{"168 points", "7.0 seasons of 24", "season of 24", "back-test error", "confidence"}},
		{"short for season", synth(62, 30, 100, 0, 0, 0, 2), Options{Period: 24, Horizon: 24},
			[]string{"30 points", "too few to fit the season"}},
		{"single", []float64{5}, Options{Horizon: 3}, []string{"only one point"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Predict(tc.y, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(f.Why, w) {
					t.Errorf("Why = %q, want it to mention %q", f.Why, w)
				}
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	y := synth(71, 168, 100, 0.1, 20, 24, 5)
	a, _ := Predict(y, Options{Period: 24, Horizon: 72})
	b, _ := Predict(y, Options{Period: 24, Horizon: 72})
	for i := range a.Points {
		if a.Points[i] != b.Points[i] {
			t.Fatalf("Points[%d] differ between calls: %+v vs %+v", i, a.Points[i], b.Points[i])
		}
	}
	if pa, pb := ProbAbove(a, 130), ProbAbove(b, 130); pa != pb {
		t.Errorf("ProbAbove differs between calls: %v vs %v", pa, pb)
	}
}

func FuzzPredict(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, uint8(0), uint8(5), false, 0.0)
	f.Add([]byte{0, 0, 0, 0, 0, 0, 200, 0, 0, 0, 0, 0, 0, 0}, uint8(3), uint8(12), true, 0.0)
	f.Add([]byte{}, uint8(24), uint8(72), true, 100.0)
	f.Add([]byte{255, 0, 255, 0, 255, 0, 255, 0, 255, 0, 255, 0}, uint8(2), uint8(30), false, 50.0)
	f.Fuzz(func(t *testing.T, data []byte, period, horizon uint8, nonNeg bool, maxClamp float64) {
		// Bytes become values with occasional NaN, Inf and huge magnitudes.
		y := make([]float64, len(data))
		for i, b := range data {
			switch {
			case b == 251:
				y[i] = math.NaN()
			case b == 252:
				y[i] = math.Inf(1)
			case b == 253:
				y[i] = 1e12
			case b == 254:
				y[i] = -1e9
			default:
				y[i] = float64(b) - 64
			}
		}
		opt := Options{Period: int(period % 50), Horizon: int(horizon%100) + 1, NonNegative: nonNeg, Max: maxClamp}
		fc, err := Predict(y, opt)
		if err != nil {
			if opt.Max >= 0 && !math.IsNaN(opt.Max) && !math.IsInf(opt.Max, 0) {
				t.Fatalf("Predict(%v, %+v) error %v for valid options", y, opt, err)
			}
			return
		}
		checkPoints(t, fc, opt.Horizon)
		for _, thr := range []float64{-100, 0, 50, 1e6} {
			if p := ProbAbove(fc, thr); !(p >= 0 && p <= 1) {
				t.Fatalf("ProbAbove(%v) = %v", thr, p)
			}
		}
	})
}

func BenchmarkPredict(b *testing.B) {
	cases := []struct {
		name            string
		n, period, hrzn int
	}{
		{"168h_period24_h72", 168, 24, 72},
		{"48h_period24_h24", 48, 24, 24},
		{"720h_period24_h72", 720, 24, 72},
		{"24h_noseason_h24", 24, 0, 24},
	}
	for _, c := range cases {
		y := synth(81, c.n, 100, 0.1, 20, 24, 5)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Predict(y, Options{Period: c.period, Horizon: c.hrzn}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
