package anomaly

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// wave returns n points of a sine of the given period and amplitude 10
// around 50, plus noise of sd 0.3.
func wave(r *rand.Rand, n int, period float64, phase int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = 50 + 10*math.Sin(2*math.Pi*float64(i+phase)/period) + 0.3*r.NormFloat64()
	}
	return xs
}

func TestShapeNonconformity(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	tests := []struct {
		name     string
		tail     []float64 // fed after 600 points of a period-40 wave
		wantHigh bool
	}{
		{"same wave", wave(r, 8, 40, 600), false},
		{"flat line in range", []float64{50, 50, 50, 50, 50, 50, 50, 50}, false},
		{"fast wave in range", wave(r, 8, 6, 0), true},
		{"jagged in range", []float64{40, 60, 40, 60, 40, 60, 40, 60}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newShape(8, 5, 250)
			var base []float64
			for _, x := range wave(rand.New(rand.NewPCG(1, 2)), 600, 40, 0) {
				if a, ok := s.push(x); ok {
					base = append(base, a)
				}
			}
			typical := base[len(base)-1]
			for _, a := range base[len(base)-100:] {
				typical = max(typical, a)
			}
			var got float64
			for _, x := range tc.tail {
				got, _ = s.push(x)
			}
			if high := got > 3*typical; high != tc.wantHigh {
				t.Errorf("nonconformity %.3f vs the largest of the last 100 normal ones %.3f: high = %v, want %v", got, typical, high, tc.wantHigh)
			}
		})
	}
}

func TestShapeWarmsUp(t *testing.T) {
	s := newShape(4, 3, 20)
	for i := range 4 + 4 + 3 - 1 {
		if _, ok := s.push(float64(i)); ok {
			t.Fatalf("push %d measured with too few embeddings", i)
		}
	}
	if _, ok := s.push(1); !ok {
		t.Fatal("no measure once dim+k embeddings are stored")
	}
}

func TestShapeValuesRestore(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{3, 30, 500} {
		a, b := newShape(6, 4, 50), newShape(6, 4, 50)
		xs := noise(r, n+100, 0, 1)
		for _, x := range xs[:n] {
			a.push(x)
		}
		if !b.restore(a.values()) {
			t.Fatalf("n=%d: restore refused values", n)
		}
		for i, x := range xs[n:] {
			ga, oka := a.push(x)
			gb, okb := b.push(x)
			if ga != gb || oka != okb {
				t.Fatalf("n=%d point %d: restored %v,%v, original %v,%v", n, i, gb, okb, ga, oka)
			}
		}
	}
	if newShape(6, 4, 50).restore(make([]float64, 7), nil) {
		t.Error("restore accepted 7 last values for dim 6")
	}
	if newShape(6, 4, 50).restore(nil, make([]float64, 6*51)) {
		t.Error("restore accepted 51 embeddings for ref 50")
	}
}

// A change of rhythm inside the usual range is what the shape score adds:
// the baseline detector does not report it, the default (with the shape
// score) does, and neither alerts on the unchanged wave.
func TestDetectorShapeFindsRhythmChange(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	xs := append(wave(r, 3000, 40, 0), wave(r, 200, 7, 0)...)
	xs = append(xs, wave(r, 800, 40, 0)...)
	for _, tc := range []struct {
		name string
		cfg  Config
		want bool
	}{
		{"baseline", Baseline(), false},
		{"default", DefaultConfig(), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := New(tc.cfg)
			scores := make([]float64, len(xs))
			for i, x := range xs {
				scores[i] = d.Update(t0.Add(time.Duration(i)*time.Minute), x)
			}
			if n := count(scores[1000:3000], detectThreshold); n != 0 {
				t.Errorf("%d alerts on the unchanged wave", n)
			}
			if got := maxIn(scores, 3000, 3020) >= detectThreshold; got != tc.want {
				t.Errorf("rhythm change detected = %v (max score %.3f), want %v", got, maxIn(scores, 3000, 3020), tc.want)
			}
		})
	}
}

func TestShapeConfig(t *testing.T) {
	tests := []struct {
		name string
		in   Config
		want [4]float64 // Embed, Neighbours, Ref, ZK after New
	}{
		{"off", Baseline(), [4]float64{0, 0, 0, 0}},
		{"off clears the rest", Config{Neighbours: 3, Ref: 9, ZK: 2}, [4]float64{0, 0, 0, 0}},
		{"defaults", Config{Embed: 8}, [4]float64{8, 5, 250, 40}},
		{"DefaultConfig", DefaultConfig(), [4]float64{8, 5, 250, 40}},
		{"clamped", Config{Embed: 1000, Neighbours: -2, Ref: 3, ZK: math.Inf(1)}, [4]float64{64, 5, 250, 40}},
		{"kept", Config{Embed: 4, Neighbours: 2, Ref: 100, ZK: 10}, [4]float64{4, 2, 100, 10}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := New(tc.in).Config()
			got := [4]float64{float64(c.Embed), float64(c.Neighbours), float64(c.Ref), c.ZK}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("shape fields (-want +got):\n%s", diff)
			}
		})
	}
}
