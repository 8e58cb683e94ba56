package anomaly

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWindow(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	w := newWindow(5)
	var all []float64
	for i := range 23 {
		v := float64(r.IntN(10))
		w.push(v)
		all = append(all, v)
		want := all[max(0, len(all)-5):]
		if diff := cmp.Diff(want, w.values()); diff != "" {
			t.Fatalf("after %d pushes values mismatch (-want +got):\n%s", i+1, diff)
		}
		sorted := slices.Sorted(slices.Values(want))
		if diff := cmp.Diff(sorted, w.sorted); diff != "" {
			t.Fatalf("after %d pushes sorted mismatch (-want +got):\n%s", i+1, diff)
		}
		sum := 0.0
		for _, x := range want {
			sum += x
		}
		if got := w.mean(); got != sum/float64(len(want)) {
			t.Fatalf("after %d pushes mean = %v, want %v", i+1, got, sum/float64(len(want)))
		}
	}
}

func TestWindowQuantile(t *testing.T) {
	w := newWindow(10)
	for _, v := range []float64{4, 1, 3, 2, 5} {
		w.push(v)
	}
	tests := []struct{ q, want float64 }{{0, 1}, {0.25, 2}, {0.5, 3}, {0.875, 4.5}, {1, 5}}
	for _, tt := range tests {
		if got := w.quantile(tt.q); got != tt.want {
			t.Errorf("quantile(%v) = %v, want %v", tt.q, got, tt.want)
		}
	}
}
