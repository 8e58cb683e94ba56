package bench

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestRunStages(t *testing.T) {
	c := Generate(3000, 7)
	res, err := Run(context.Background(), c, []string{"mine", "mine-raw", "drain", "parse", "parse+mine"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 5 {
		t.Fatalf("Run returned %d results, want 5", len(res))
	}
	for _, r := range res {
		if r.Lines != c.Len() {
			t.Errorf("%s: Lines = %d, want %d", r.Stage, r.Lines, c.Len())
		}
		if r.Seconds <= 0 || r.LinesPerSec <= 0 {
			t.Errorf("%s: Seconds %v, LinesPerSec %v, want > 0", r.Stage, r.Seconds, r.LinesPerSec)
		}
		if r.PeakHeapBytes == 0 {
			t.Errorf("%s: PeakHeapBytes = 0", r.Stage)
		}
		if strings.HasPrefix(r.Stage, "mine") || r.Stage == "drain" || r.Stage == "parse+mine" {
			if r.Patterns == 0 || r.Patterns > c.Len() {
				t.Errorf("%s: Patterns = %d", r.Stage, r.Patterns)
			}
		}
	}
	if _, err := Run(context.Background(), c, []string{"nope"}); err == nil {
		t.Error("Run with an unknown stage: no error")
	}
}

func TestRegisterDuplicatePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("registering a duplicate stage did not panic")
		}
	}()
	Register(Stage{Name: "mine"})
}

func TestTimedStops(t *testing.T) {
	lines := make([]string, 1<<20)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n, _ := Timed(ctx, lines, 0, func(string) {})
	if n >= len(lines) {
		t.Errorf("Timed with a cancelled context handled all %d lines", n)
	}
	n, _ = Timed(context.Background(), lines, time.Nanosecond, func(string) { time.Sleep(time.Microsecond) })
	if n >= len(lines) {
		t.Errorf("Timed with a spent budget handled all %d lines", n)
	}
}

func BenchmarkMine(b *testing.B) {
	c := Generate(10000, 1)
	b.ResetTimer()
	var r Result
	for i := 0; i < b.N; i++ {
		r, _ = mineStage(false)(context.Background(), c)
	}
	b.ReportMetric(float64(r.Lines)/r.Seconds, "lines/s")
}
