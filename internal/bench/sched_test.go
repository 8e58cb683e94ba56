package bench

import (
	"runtime/metrics"
	"testing"
)

// TestSchedQuantile: the quantiles of the waits counted between two
// readings, as their buckets' upper bounds.
func TestSchedQuantile(t *testing.T) {
	b := []float64{0, 0.001, 0.01, 0.1, 1}
	before := &metrics.Float64Histogram{Counts: []uint64{5, 5, 5, 5}, Buckets: b}
	after := &metrics.Float64Histogram{Counts: []uint64{5 + 90, 5 + 9, 5, 5 + 1}, Buckets: b}
	for _, c := range []struct{ q, want float64 }{{0.5, 0.001}, {0.95, 0.01}, {0.999, 1}} {
		if got := schedQuantile(before, after, c.q); got != c.want {
			t.Errorf("q%v = %v, want %v", c.q, got, c.want)
		}
	}
	if got := schedQuantile(after, after, 0.5); got != 0 {
		t.Errorf("no waits: %v, want 0", got)
	}
	if h := schedLatencies(); h == nil || len(h.Buckets) != len(h.Counts)+1 {
		t.Errorf("the runtime's %s histogram is missing or malformed", schedMetric)
	}
}
