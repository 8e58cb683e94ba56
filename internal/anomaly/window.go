package anomaly

import (
	"math"
	"slices"
)

// window keeps the last n values of a stream in arrival order and in sorted
// order, so quantiles and ranks of the recent past cost O(log n) to read and
// O(n) (a memmove) to update.
type window struct {
	n      int       // the values kept at most
	ring   []float64 // arrival order, oldest at head once full
	head   int
	sorted []float64
}

// newWindow keeps the last n values. Its slices grow as values come, up to
// n: a server holds an engine per project, each with dozens of windows of
// thousands of values, and most projects' windows never fill (allocating
// them whole took 400 MB of a replica's heap for 1,000 young projects).
func newWindow(n int) *window { return &window{n: n} }

func (w *window) full() bool { return len(w.ring) == w.n }

// push adds v, dropping the oldest value when the window is full.
func (w *window) push(v float64) {
	if w.full() {
		old := w.ring[w.head]
		w.ring[w.head] = v
		w.head = (w.head + 1) % len(w.ring)
		i, _ := slices.BinarySearch(w.sorted, old)
		w.sorted = slices.Delete(w.sorted, i, i+1)
	} else {
		w.ring = w.room(w.ring)
		w.ring = append(w.ring, v)
		w.sorted = w.room(w.sorted)
	}
	i, _ := slices.BinarySearch(w.sorted, v)
	w.sorted = slices.Insert(w.sorted, i, v)
}

// room returns s with space for one more value, growing it by doubling but
// never past the window's size (append's own growth would overshoot it).
func (w *window) room(s []float64) []float64 {
	if len(s) < cap(s) {
		return s
	}
	grown := make([]float64, len(s), min(max(2*cap(s), 8), w.n))
	copy(grown, s)
	return grown
}

// restore fills an empty window with vs, oldest first, as pushing them one
// by one would (without its quadratic insertion); false when vs do not fit.
func (w *window) restore(vs []float64) bool {
	if len(vs) > w.n || len(w.ring) > 0 {
		return false
	}
	if len(vs) == 0 {
		return true
	}
	w.ring = slices.Clone(vs)
	w.sorted = slices.Clone(vs)
	slices.Sort(w.sorted)
	w.head = 0
	return true
}

// values returns the window's values, oldest first.
func (w *window) values() []float64 {
	if !w.full() {
		return slices.Clone(w.ring)
	}
	return append(slices.Clone(w.ring[w.head:]), w.ring[:w.head]...)
}

// quantile returns the q-quantile (0..1) by linear interpolation.
func (w *window) quantile(q float64) float64 {
	n := len(w.sorted)
	if n == 0 {
		return math.NaN()
	}
	pos := q * float64(n-1)
	i := int(pos)
	if i >= n-1 {
		return w.sorted[n-1]
	}
	f := pos - float64(i)
	return w.sorted[i]*(1-f) + w.sorted[i+1]*f
}

// mean returns the mean of the values, summed in arrival order so a
// restored window gives bit-identical results. It is O(n): use it on short
// windows.
func (w *window) mean() float64 {
	sum, n := 0.0, len(w.ring)
	for i := range n {
		sum += w.ring[(w.head+i)%n]
	}
	return sum / float64(n)
}
