package bench

import (
	"math"
	"runtime/metrics"
)

// schedMetric is the Go runtime's histogram of how long goroutines waited
// to run once ready.
const schedMetric = "/sched/latencies:seconds"

// schedLatencies reads the histogram (nil where the runtime lacks it).
func schedLatencies() *metrics.Float64Histogram {
	s := []metrics.Sample{{Name: schedMetric}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64Histogram {
		return nil
	}
	return s[0].Value.Float64Histogram()
}

// schedQuantile returns quantile q (0..1) in seconds of the waits counted
// between two readings of the histogram (the upper bound of its bucket).
func schedQuantile(before, after *metrics.Float64Histogram, q float64) float64 {
	if before == nil || after == nil || len(before.Counts) != len(after.Counts) {
		return 0
	}
	var total uint64
	for i := range after.Counts {
		total += after.Counts[i] - before.Counts[i]
	}
	if total == 0 {
		return 0
	}
	want := uint64(q * float64(total))
	var n uint64
	for i := range after.Counts {
		n += after.Counts[i] - before.Counts[i]
		if n > want {
			return bound(after.Buckets, i)
		}
	}
	return bound(after.Buckets, len(after.Counts)-1)
}

// bound is bucket i's upper bound (Buckets has one more bound than
// Counts), or its lower one where the upper is infinite (JSON has no Inf).
func bound(b []float64, i int) float64 {
	if math.IsInf(b[i+1], 1) {
		return b[i]
	}
	return b[i+1]
}
