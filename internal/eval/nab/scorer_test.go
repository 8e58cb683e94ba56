package nab

import (
	"math"
	"testing"
	"time"
)

var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func ts(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Minute) }

// file returns an n-row file with windows given as [left,right] row
// indexes and the scores given as row -> score (0 elsewhere).
func file(name string, n int, windows [][2]int, scores map[int]float64) Scored {
	f := Scored{Name: name}
	for i := range n {
		f.Times = append(f.Times, ts(i))
		f.Scores = append(f.Scores, scores[i])
	}
	for _, w := range windows {
		f.Windows = append(f.Windows, Window{ts(w[0]), ts(w[1])})
	}
	return f
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestScaledSigmoid(t *testing.T) {
	tests := []struct{ y, want float64 }{
		{-1, 0.9866142981514305},
		{0, 0},
		{1, -0.9866142981514305},
		{3, 2/(1+math.Exp(15)) - 1},
		{3.0001, -1},
	}
	for _, tt := range tests {
		if got := ScaledSigmoid(tt.y); !near(got, tt.want) {
			t.Errorf("ScaledSigmoid(%v) = %v, want %v", tt.y, got, tt.want)
		}
	}
}

func TestProbationLength(t *testing.T) {
	tests := []struct{ n, want int }{{0, 0}, {6, 0}, {7, 1}, {20, 3}, {4032, 604}, {5000, 750}, {22695, 750}}
	for _, tt := range tests {
		if got := ProbationLength(tt.n); got != tt.want {
			t.Errorf("ProbationLength(%d) = %d, want %d", tt.n, got, tt.want)
		}
	}
}

func TestEvaluate(t *testing.T) {
	// Rows 0-2 are probationary (20 rows); the window is rows 10-13 (width 4).
	rightEdge := ScaledSigmoid(-0.25) / ScaledSigmoid(-1)
	after1 := ScaledSigmoid(1) * 0.11 // 3 rows after the window's end: y = 3/(4-1)
	tests := []struct {
		name      string
		files     []Scored
		profile   Profile
		threshold float64
		raw       float64
		counts    Counts
	}{
		{
			name:      "left edge detection earns A_TP",
			files:     []Scored{file("a", 20, [][2]int{{10, 13}}, map[int]float64{10: 0.9})},
			profile:   Standard,
			threshold: 0.9, raw: 1,
			counts: Counts{TP: 1, FP: 0, FN: 3, TN: 13},
		},
		{
			name:      "right edge detection earns little",
			files:     []Scored{file("a", 20, [][2]int{{10, 13}}, map[int]float64{13: 0.7})},
			profile:   Standard,
			threshold: 0.7, raw: rightEdge,
			counts: Counts{TP: 1, FN: 3, TN: 13},
		},
		{
			name:      "only the best detection in a window counts; ties keep the highest threshold",
			files:     []Scored{file("a", 20, [][2]int{{10, 13}}, map[int]float64{10: 0.9, 11: 0.8, 12: 0.8})},
			profile:   Standard,
			threshold: 0.9, raw: 1,
			counts: Counts{TP: 1, FN: 3, TN: 13},
		},
		{
			name:      "a detection before any window costs A_FP but is worth the window",
			files:     []Scored{file("a", 20, [][2]int{{10, 13}}, map[int]float64{5: 0.95, 10: 0.9})},
			profile:   Standard,
			threshold: 0.9, raw: 1 - 0.11,
			counts: Counts{TP: 1, FP: 1, FN: 3, TN: 12},
		},
		{
			name:      "low FP profile: a costly early FP is not worth it",
			files:     []Scored{file("a", 20, [][2]int{{10, 13}}, map[int]float64{3: 0.95, 4: 0.95, 5: 0.95, 6: 0.95, 7: 0.95, 8: 0.95, 9: 0.95, 19: 0.95, 13: 0.9})},
			profile:   RewardLowFP,
			threshold: 1.1, raw: -1,
			counts: Counts{FN: 4, TN: 13},
		},
		{
			name:      "a detection after a window costs the sigmoid of its distance",
			files:     []Scored{file("a", 20, [][2]int{{10, 13}}, map[int]float64{10: 0.9, 16: 0.95})},
			profile:   Standard,
			threshold: 0.9, raw: 1 + after1,
			counts: Counts{TP: 1, FP: 1, FN: 3, TN: 12},
		},
		{
			name:      "detections in the probationary period never count",
			files:     []Scored{file("a", 20, [][2]int{{10, 13}}, map[int]float64{0: 1, 1: 1, 2: 1, 10: 0.5})},
			profile:   Standard,
			threshold: 0.5, raw: 1,
			counts: Counts{TP: 1, FN: 3, TN: 13},
		},
		{
			name: "one threshold for the corpus",
			files: []Scored{
				file("a", 20, [][2]int{{10, 13}}, map[int]float64{10: 0.9}),
				file("b", 20, [][2]int{{10, 13}}, map[int]float64{10: 0.6, 4: 0.7}),
			},
			profile:   Standard,
			threshold: 0.6, raw: 1 + 1 - 0.11,
			counts: Counts{TP: 2, FP: 1, FN: 6, TN: 25},
		},
		{
			name: "missed window costs A_FN twice in the low FN profile",
			files: []Scored{
				file("a", 20, [][2]int{{10, 13}}, map[int]float64{10: 0.9}),
				file("b", 40, [][2]int{{30, 33}}, nil),
			},
			profile:   RewardLowFN,
			threshold: 0.9, raw: 1 - 2,
			counts: Counts{TP: 1, FN: 7, TN: 43},
		},
		{
			name:      "file without windows only pays for false positives",
			files:     []Scored{file("a", 20, [][2]int{{10, 13}}, map[int]float64{10: 1}), file("b", 20, nil, map[int]float64{8: 1})},
			profile:   Standard,
			threshold: 1, raw: 1 - 0.11,
			counts: Counts{TP: 1, FP: 1, FN: 3, TN: 29},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Evaluate(tt.files, tt.profile)
			if err != nil {
				t.Fatal(err)
			}
			if got.Threshold != tt.threshold || !near(got.Raw, tt.raw) || got.Counts != tt.counts {
				t.Errorf("Evaluate() = threshold %v raw %v counts %+v, want %v, %v, %+v",
					got.Threshold, got.Raw, got.Counts, tt.threshold, tt.raw, tt.counts)
			}
			sum := 0.0
			for _, f := range got.Files {
				sum += f.Raw
			}
			if !near(sum, got.Raw) {
				t.Errorf("per-file scores sum to %v, corpus raw %v", sum, got.Raw)
			}
			nullScore := -tt.profile.FN * float64(got.Windows)
			if !near(got.Null, nullScore) {
				t.Errorf("null = %v, want %v", got.Null, nullScore)
			}
			wantNorm := 100 * (tt.raw - nullScore) / (float64(got.Windows)*tt.profile.TP - nullScore)
			if !near(got.Normalized, wantNorm) {
				t.Errorf("normalized = %v, want %v", got.Normalized, wantNorm)
			}
			// At the threshold Evaluate chose, EvaluateAt agrees with it.
			at, err := EvaluateAt(tt.files, tt.profile, got.Threshold)
			if err != nil {
				t.Fatal(err)
			}
			if !near(at.Raw, got.Raw) || at.Counts != got.Counts || !near(at.Null, got.Null) || !near(at.Normalized, got.Normalized) {
				t.Errorf("EvaluateAt(%v) = raw %v counts %+v null %v, Evaluate gave %v, %+v, %v", got.Threshold, at.Raw, at.Counts, at.Null, got.Raw, got.Counts, got.Null)
			}
		})
	}
}

// EvaluateAt scores at the threshold it is given, not the best one.
func TestEvaluateAt(t *testing.T) {
	files := []Scored{file("a", 20, [][2]int{{10, 13}}, map[int]float64{5: 0.95, 10: 0.9})}
	tests := []struct {
		threshold, raw float64
		counts         Counts
	}{
		{0.95, -0.11 - 1, Counts{FP: 1, FN: 4, TN: 12}},
		{0.9, 1 - 0.11, Counts{TP: 1, FP: 1, FN: 3, TN: 12}},
		{NoDetection, -1, Counts{FN: 4, TN: 13}},
	}
	for _, tt := range tests {
		got, err := EvaluateAt(files, Standard, tt.threshold)
		if err != nil {
			t.Fatal(err)
		}
		if !near(got.Raw, tt.raw) || got.Counts != tt.counts || got.Threshold != tt.threshold {
			t.Errorf("EvaluateAt(%v) = raw %v counts %+v, want %v, %+v", tt.threshold, got.Raw, got.Counts, tt.raw, tt.counts)
		}
	}
	if _, err := EvaluateAt([]Scored{{Name: "x", Times: []time.Time{t0}}}, Standard, 0.5); err == nil {
		t.Error("EvaluateAt accepted a file with fewer scores than rows")
	}
}

func TestEvaluateErrors(t *testing.T) {
	bad := file("a", 20, [][2]int{{10, 13}}, nil)
	bad.Windows[0].End = ts(99)
	short := file("b", 20, nil, nil)
	short.Scores = short.Scores[:5]
	overlap := file("c", 20, [][2]int{{5, 10}, {8, 12}}, nil)
	for _, f := range []Scored{bad, short, overlap} {
		if _, err := Evaluate([]Scored{f}, Standard); err == nil {
			t.Errorf("Evaluate(%s) = nil error, want one", f.Name)
		}
	}
}

func BenchmarkEvaluate(b *testing.B) {
	files := make([]Scored, 10)
	for k := range files {
		scores := map[int]float64{}
		for i := range 5000 {
			scores[i] = math.Abs(math.Sin(float64(i*(k+1)) * 0.37))
		}
		files[k] = file("f", 5000, [][2]int{{1000, 1200}, {3000, 3200}}, scores)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Evaluate(files, Standard); err != nil {
			b.Fatal(err)
		}
	}
}
