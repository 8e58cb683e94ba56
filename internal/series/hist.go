package series

import "math"

// Hist is a small mergeable log-bucketed histogram for latencies in
// milliseconds. Bin i > 0 holds values in [histMin*g^(i-1), histMin*g^i) with
// g = 1.14, so a quantile read back from it is within about 7% of the true
// value over 0.1 ms to 25 minutes; bin 0 holds everything at or below
// histMin, the last bin everything above the range. Adding a value is a
// logarithm and an increment; merging is adding bins.
type Hist struct {
	Bins [histBins]uint32
	N    uint64
	Sum  float64
	Max  float64
}

const (
	histBins = 128
	histMin  = 0.1 // ms
)

var (
	histLogGamma = math.Log(1.14)
	histMid      [histBins]float64 // representative value of each bin
)

func init() {
	histMid[0] = histMin
	for i := 1; i < histBins; i++ {
		// geometric middle of the bin
		histMid[i] = histMin * math.Exp((float64(i)-0.5)*histLogGamma)
	}
}

func histIndex(v float64) int {
	if !(v > histMin) { // also catches NaN
		return 0
	}
	i := 1 + int(math.Log(v/histMin)/histLogGamma)
	if i >= histBins {
		return histBins - 1
	}
	return i
}

// Add records one value. Negative, NaN and infinite values are ignored.
func (h *Hist) Add(v float64) {
	if i := histSlot(v); i >= 0 {
		h.addAt(v, i)
	}
}

// histSlot is the bin of v, or -1 for a value Add ignores.
func histSlot(v float64) int {
	if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return -1
	}
	return histIndex(v)
}

// addAt records v, whose bin is i (see histSlot): an event's value goes
// into an hour and a minute bucket with one bin computation.
func (h *Hist) addAt(v float64, i int) {
	h.Bins[i]++
	h.N++
	h.Sum += v
	if v > h.Max {
		h.Max = v
	}
}

// Merge adds o's counts into h.
func (h *Hist) Merge(o *Hist) {
	if o == nil || o.N == 0 {
		return
	}
	for i, c := range o.Bins {
		h.Bins[i] += c
	}
	h.N += o.N
	h.Sum += o.Sum
	if o.Max > h.Max {
		h.Max = o.Max
	}
}

// Quantile returns the q-quantile (0 <= q <= 1) of the recorded values, or 0
// when there are none. It never exceeds the largest value recorded.
func (h *Hist) Quantile(q float64) float64 {
	if h == nil || h.N == 0 {
		return 0
	}
	if q <= 0 {
		q = 0
	}
	if q >= 1 {
		return h.Max
	}
	rank := uint64(q*float64(h.N-1)) + 1 // 1-based rank
	var seen uint64
	for i, c := range h.Bins {
		seen += uint64(c)
		if seen >= rank {
			return math.Min(histMid[i], h.Max)
		}
	}
	return h.Max
}

// Mean returns the mean of the recorded values, or 0.
func (h *Hist) Mean() float64 {
	if h == nil || h.N == 0 {
		return 0
	}
	return h.Sum / float64(h.N)
}
