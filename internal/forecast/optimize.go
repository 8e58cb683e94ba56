package forecast

import (
	"math"
	"slices"
)

const (
	maxEvals = 500  // bound on the objective evaluations of one fit
	tol      = 1e-6 // relative spread of the simplex values at convergence
)

// minimize finds a local minimum of obj near x0 by the Nelder-Mead simplex
// method (standard coefficients: reflection 1, expansion 2, contraction 1/2,
// shrink 1/2) and returns it with its value.
//
// gonum/optimize has the same method, but its Minimize passes every
// evaluation through goroutines and channels: about 1.2 µs of overhead per
// evaluation (300 evaluations of a 0.22 µs objective took 420 µs there, 358
// took 95 µs here), as much as an evaluation on a 168-point series costs.
// It also imports stat/distmv, which needs golang.org/x/tools in go.sum.
func minimize(obj func([]float64) float64, x0 []float64) ([]float64, float64) {
	// (A restart from the answer, the usual guard against a collapsed
	// simplex, changed no forecast on the NAB series or the tests and cost
	// a third of the time, so there is none.)
	x, f, _ := nelderMead(obj, x0, maxEvals)
	return x, f
}

// nelderMead runs the simplex method from x0 for at most maxEvals
// evaluations and returns the best point, its value and the evaluations used.
func nelderMead(obj func([]float64) float64, x0 []float64, maxEvals int) ([]float64, float64, int) {
	d := len(x0)
	// Simplex of d+1 vertices around x0, one unit along each axis (the
	// parameters live on a logistic scale, where 1 is a sensible step).
	verts := make([][]float64, d+1)
	vals := make([]float64, d+1)
	for i := range verts {
		verts[i] = slices.Clone(x0)
		if i > 0 {
			verts[i][i-1] += 1
		}
		vals[i] = obj(verts[i])
	}
	evals := d + 1
	order := make([]int, d+1)
	centroid := make([]float64, d)
	xr := make([]float64, d)
	xe := make([]float64, d)
	xc := make([]float64, d)
	sortSimplex := func() {
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int {
			switch {
			case vals[a] < vals[b]:
				return -1
			case vals[a] > vals[b]:
				return 1
			}
			return 0
		})
	}
	point := func(dst []float64, t float64, worst []float64) {
		// dst = centroid + t*(centroid - worst)
		for j := range dst {
			dst[j] = centroid[j] + t*(centroid[j]-worst[j])
		}
	}
	for evals < maxEvals {
		sortSimplex()
		best, worst, second := order[0], order[d], order[d-1]
		// Converged when the vertices' values agree. (Not on the simplex size:
		// a parameter pressed against its bound sits on a flat logistic tail
		// along which the simplex can wander for ever.)
		if vals[worst]-vals[best] <= tol*math.Abs(vals[best])+1e-300 {
			break
		}
		clear(centroid)
		for _, i := range order[:d] {
			for j, v := range verts[i] {
				centroid[j] += v
			}
		}
		for j := range centroid {
			centroid[j] /= float64(d)
		}
		point(xr, 1, verts[worst])
		fr := obj(xr)
		evals++
		switch {
		case fr < vals[best]:
			point(xe, 2, verts[worst])
			fe := obj(xe)
			evals++
			if fe < fr {
				copy(verts[worst], xe)
				vals[worst] = fe
			} else {
				copy(verts[worst], xr)
				vals[worst] = fr
			}
		case fr < vals[second]:
			copy(verts[worst], xr)
			vals[worst] = fr
		default:
			// Contract: outside if the reflection helped a little, inside otherwise.
			t := -0.5
			ref := vals[worst]
			if fr < vals[worst] {
				t, ref = 0.5, fr
			}
			point(xc, t, verts[worst])
			fc := obj(xc)
			evals++
			if fc < ref {
				copy(verts[worst], xc)
				vals[worst] = fc
				continue
			}
			// Shrink towards the best vertex.
			for _, i := range order[1:] {
				for j := range verts[i] {
					verts[i][j] = verts[best][j] + 0.5*(verts[i][j]-verts[best][j])
				}
				vals[i] = obj(verts[i])
				evals++
			}
		}
	}
	sortSimplex()
	return verts[order[0]], vals[order[0]], evals
}
