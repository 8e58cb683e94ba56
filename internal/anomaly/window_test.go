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

// TestWindowGrowth: a window's slices grow with its values and never past
// its size, and behave as before once full.
func TestWindowGrowth(t *testing.T) {
	w := newWindow(100)
	if cap(w.ring) != 0 || cap(w.sorted) != 0 {
		t.Fatalf("an empty window holds %d+%d slots", cap(w.ring), cap(w.sorted))
	}
	for i := range 250 {
		w.push(float64(i % 37))
		if cap(w.ring) > 100 || cap(w.sorted) > 100 {
			t.Fatalf("after %d pushes: capacity %d/%d past the window's 100", i+1, cap(w.ring), cap(w.sorted))
		}
		if want := min(i+1, 100); len(w.ring) != want || len(w.sorted) != want {
			t.Fatalf("after %d pushes: %d/%d values, want %d", i+1, len(w.ring), len(w.sorted), want)
		}
	}
}

// TestWindowRestore: restoring values gives the window pushing them one by
// one gives, and refuses more values than fit.
func TestWindowRestore(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	for _, n := range []int{0, 1, 7, 50} {
		vs := make([]float64, n)
		for i := range vs {
			vs[i] = float64(r.IntN(20)) - 5
		}
		pushed, restored := newWindow(50), newWindow(50)
		for _, v := range vs {
			pushed.push(v)
		}
		if !restored.restore(vs) {
			t.Fatalf("restore of %d values into a window of 50 refused", n)
		}
		if diff := cmp.Diff(pushed.values(), restored.values()); diff != "" {
			t.Fatalf("n=%d values (-pushed +restored):\n%s", n, diff)
		}
		if diff := cmp.Diff(pushed.sorted, restored.sorted); diff != "" {
			t.Fatalf("n=%d sorted (-pushed +restored):\n%s", n, diff)
		}
		// Both go on alike.
		for i := range 60 {
			v := float64(i % 9)
			pushed.push(v)
			restored.push(v)
		}
		if diff := cmp.Diff(pushed.values(), restored.values()); diff != "" {
			t.Fatalf("n=%d after more pushes (-pushed +restored):\n%s", n, diff)
		}
	}
	if newWindow(3).restore([]float64{1, 2, 3, 4}) {
		t.Error("4 values restored into a window of 3")
	}
}
