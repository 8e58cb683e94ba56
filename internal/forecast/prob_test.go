package forecast

import (
	"math"
	"math/rand/v2"
	"testing"
)

// pointsWith builds a forecast with the given means and sds at level 0.8.
func pointsWith(mean func(h int) float64, sd func(h int) float64, n int) Forecast {
	f := Forecast{Level: 0.8, Points: make([]Point, n)}
	z := zQuantile(0.8)
	for h := 1; h <= n; h++ {
		m, s := mean(h), sd(h)
		f.Points[h-1] = Point{Step: h, Mean: m, Low: m - z*s, High: m + z*s, SD: s}
	}
	return f
}

func TestProbAboveBasics(t *testing.T) {
	flat := pointsWith(func(int) float64 { return 50 }, func(int) float64 { return 5 }, 24)
	tests := []struct {
		name   string
		f      Forecast
		thr    float64
		lo, hi float64
	}{
		{"far above the band", flat, 10, 1, 1},
		{"far below the band", flat, 200, 0, 1e-9},
		{"no points", Forecast{}, 0, 0, 0},
		{"NaN threshold", flat, math.NaN(), 0, 0},
		{"zero sd, mean above", pointsWith(func(int) float64 { return 80 }, func(int) float64 { return 0 }, 3), 70, 1, 1},
		{"zero sd, mean below", pointsWith(func(int) float64 { return 60 }, func(int) float64 { return 0 }, 3), 70, 0, 0},
		// A skewed band (sd 0): the wide upper half decides. High-Mean = 20 at
		// level 0.8 is an sd of 15.6; P(X > 70) with mean 50 is about 0.1.
		{"skewed band", Forecast{Level: 0.8, Points: []Point{{Step: 1, Mean: 50, Low: 48, High: 70}}}, 70, 0.09, 0.11},
		// A single step with P = 0.5 at the mean.
		{"one step at the mean", pointsWith(func(int) float64 { return 70 }, func(int) float64 { return 5 }, 1), 70, 0.47, 0.53},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if p := ProbAbove(tc.f, tc.thr); p < tc.lo || p > tc.hi {
				t.Errorf("ProbAbove(%v) = %v, want %v..%v", tc.thr, p, tc.lo, tc.hi)
			}
		})
	}
}

// TestProbAboveIndependentSteps: with equal sds the persistent part is zero,
// steps are independent and the answer is 1 - prod(1 - p_h).
func TestProbAboveIndependentSteps(t *testing.T) {
	f := pointsWith(func(h int) float64 { return 40 + float64(h) }, func(int) float64 { return 4 }, 24)
	for _, thr := range []float64{60, 66, 70} {
		q := 1.0
		for _, p := range f.Points {
			q *= 1 - marginalAbove(p.Mean, p.SD, thr)
		}
		if got, want := ProbAbove(f, thr), 1-q; math.Abs(got-want) > 0.03 {
			t.Errorf("ProbAbove(%v) = %.3f, want %.3f (independent steps)", thr, got, want)
		}
	}
}

// TestProbAboveRandomWalk compares with a brute-force simulation of a random
// walk, whose steps are strongly correlated: ProbAbove may err high (it adds
// step noise) but not low, and it must be far below the union bound.
func TestProbAboveRandomWalk(t *testing.T) {
	const n = 48
	f := pointsWith(func(int) float64 { return 50 }, func(h int) float64 { return 2 * math.Sqrt(float64(h)) }, n)
	rng := rand.New(rand.NewPCG(9, 9))
	for _, thr := range []float64{55, 60, 70} {
		hits := 0
		const runs = 20000
		for range runs {
			x := 50.0
			for range n {
				x += 2 * rng.NormFloat64()
				if x > thr {
					hits++
					break
				}
			}
		}
		truth := float64(hits) / runs
		union := 0.0
		maxMarg := 0.0
		for _, p := range f.Points {
			m := marginalAbove(p.Mean, p.SD, thr)
			union += m
			maxMarg = math.Max(maxMarg, m)
		}
		got := ProbAbove(f, thr)
		if got < truth-0.03 || got > truth+0.15 {
			t.Errorf("ProbAbove(%v) = %.3f, random-walk truth %.3f: want truth-0.03..truth+0.15", thr, got, truth)
		}
		if got < maxMarg {
			t.Errorf("ProbAbove(%v) = %.3f below the largest single-step probability %.3f", thr, got, maxMarg)
		}
		if union > 1.5 && got > 0.9*math.Min(1, union) && truth < 0.8 {
			t.Errorf("ProbAbove(%v) = %.3f close to the union bound %.3f (truth %.3f)", thr, got, union, truth)
		}
	}
}

func TestProbAboveMonotone(t *testing.T) {
	y := synth(5, 168, 50, 0.05, 10, 24, 3)
	f, err := Predict(y, Options{Period: 24, Horizon: 72})
	if err != nil {
		t.Fatal(err)
	}
	prev := 1.0
	for thr := 30.0; thr <= 110; thr += 5 {
		p := ProbAbove(f, thr)
		if p > prev+1e-12 {
			t.Errorf("ProbAbove(%v) = %v > ProbAbove(%v) = %v: want non-increasing in threshold", thr, p, thr-5, prev)
		}
		prev = p
	}
	// Without SD the interval gives the same answer.
	g := f
	g.Points = append([]Point(nil), f.Points...)
	for i := range g.Points {
		g.Points[i].SD = 0
	}
	if a, b := ProbAbove(f, 75), ProbAbove(g, 75); math.Abs(a-b) > 0.02 {
		t.Errorf("ProbAbove from SD %v, from the interval %v: want equal", a, b)
	}
}

func BenchmarkProbAbove(b *testing.B) {
	y := synth(5, 168, 50, 0.05, 10, 24, 3)
	f, _ := Predict(y, Options{Period: 24, Horizon: 72})
	for _, thr := range []float64{65, 75, 200} {
		b.Run(fmtThr(thr), func(b *testing.B) {
			for b.Loop() {
				ProbAbove(f, thr)
			}
		})
	}
}

func fmtThr(v float64) string {
	return "threshold_" + string(rune('0'+int(v)/100)) + string(rune('0'+int(v)/10%10)) + string(rune('0'+int(v)%10))
}
