package anomaly

import (
	"math"
	"slices"
)

// window keeps the last n values of a stream in arrival order and in sorted
// order, so quantiles and ranks of the recent past cost O(log n) to read and
// O(n) (a memmove) to update.
type window struct {
	ring   []float64 // arrival order, oldest at head once full
	head   int
	sorted []float64
}

func newWindow(n int) *window {
	return &window{ring: make([]float64, 0, n), sorted: make([]float64, 0, n)}
}

func (w *window) full() bool { return len(w.ring) == cap(w.ring) }

// push adds v, dropping the oldest value when the window is full.
func (w *window) push(v float64) {
	if w.full() {
		old := w.ring[w.head]
		w.ring[w.head] = v
		w.head = (w.head + 1) % len(w.ring)
		i, _ := slices.BinarySearch(w.sorted, old)
		w.sorted = slices.Delete(w.sorted, i, i+1)
	} else {
		w.ring = append(w.ring, v)
	}
	i, _ := slices.BinarySearch(w.sorted, v)
	w.sorted = slices.Insert(w.sorted, i, v)
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
