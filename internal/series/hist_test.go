package series

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

func TestHistQuantile(t *testing.T) {
	tests := []struct {
		name string
		gen  func(r *rand.Rand) float64
	}{
		{"uniform 1..1000 ms", func(r *rand.Rand) float64 { return 1 + 999*r.Float64() }},
		{"lognormal around 30 ms", func(r *rand.Rand) float64 { return math.Exp(math.Log(30) + 0.8*r.NormFloat64()) }},
		{"bimodal 5 ms and 2 s", func(r *rand.Rand) float64 {
			if r.IntN(10) == 0 {
				return 2000 + 100*r.Float64()
			}
			return 5 + r.Float64()
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			var h Hist
			vals := make([]float64, 20000)
			for i := range vals {
				vals[i] = tc.gen(r)
				h.Add(vals[i])
			}
			sort.Float64s(vals)
			for _, q := range []float64{0.5, 0.9, 0.95, 0.99} {
				want := vals[int(q*float64(len(vals)-1))]
				got := h.Quantile(q)
				if math.Abs(got-want)/want > 0.08 {
					t.Errorf("Quantile(%v) = %.2f, want %.2f within 8%%", q, got, want)
				}
			}
			if h.N != uint64(len(vals)) {
				t.Errorf("N = %d, want %d", h.N, len(vals))
			}
		})
	}
}

func TestHistEdges(t *testing.T) {
	var h Hist
	if got := h.Quantile(0.95); got != 0 {
		t.Errorf("empty Quantile = %v, want 0", got)
	}
	for _, v := range []float64{math.NaN(), -1, math.Inf(1)} {
		h.Add(v)
	}
	if h.N != 0 {
		t.Errorf("N after bad values = %d, want 0", h.N)
	}
	h.Add(0)
	h.Add(1e12) // beyond the range: the last bin, never above Max
	if got := h.Quantile(1); got != 1e12 {
		t.Errorf("Quantile(1) = %v, want 1e12", got)
	}
	if got := h.Quantile(0); got != histMin {
		t.Errorf("Quantile(0) = %v, want %v", got, histMin)
	}
}

func TestHistMerge(t *testing.T) {
	var a, b, all Hist
	for i := 1; i <= 1000; i++ {
		v := float64(i)
		all.Add(v)
		if i%2 == 0 {
			a.Add(v)
		} else {
			b.Add(v)
		}
	}
	a.Merge(&b)
	if a != all {
		t.Errorf("merged histogram differs from the one built at once")
	}
}

func BenchmarkHistAdd(b *testing.B) {
	var h Hist
	for i := 0; b.Loop(); i++ {
		h.Add(float64(i%5000) * 0.7)
	}
}
