package forecast

import (
	"math"
	"testing"
)

func TestMinimize(t *testing.T) {
	tests := []struct {
		name string
		f    func([]float64) float64
		x0   []float64
		want []float64
		tol  float64
	}{
		{"quadratic 1d", func(x []float64) float64 { return (x[0] - 3) * (x[0] - 3) }, []float64{0}, []float64{3}, 1e-2},
		{"shifted bowl 4d", func(x []float64) float64 {
			var s float64
			for i, v := range x {
				d := v - float64(i)
				s += float64(i+1) * d * d
			}
			return s + 5
		}, []float64{2, 2, 2, 2}, []float64{0, 1, 2, 3}, 5e-2},
		{"rosenbrock", func(x []float64) float64 {
			a, b := 1-x[0], x[1]-x[0]*x[0]
			return a*a + 100*b*b
		}, []float64{-1.2, 1}, []float64{1, 1}, 5e-2},
		{"flat tail", func(x []float64) float64 {
			// A logistic-bounded parameter whose optimum is at the bound: the
			// minimiser must stop, somewhere on the tail.
			return 1 - sigmoid(x[0])
		}, []float64{0}, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			evals := 0
			f := func(x []float64) float64 { evals++; return tc.f(x) }
			x, v := minimize(f, tc.x0)
			if evals > maxEvals+4*len(tc.x0)+len(tc.x0)+1 {
				t.Errorf("%d evaluations, want at most about %d", evals, maxEvals)
			}
			if math.Abs(v-tc.f(x)) > 1e-12 {
				t.Errorf("returned value %v, but f(x) = %v", v, tc.f(x))
			}
			if tc.want == nil {
				if v > 1e-2 {
					t.Errorf("minimum %v, want < 1e-2", v)
				}
				return
			}
			for i := range tc.want {
				if math.Abs(x[i]-tc.want[i]) > tc.tol {
					t.Errorf("minimize = %v, want %v ± %v (value %v, %d evals)", x, tc.want, tc.tol, v, evals)
					break
				}
			}
		})
	}
}
