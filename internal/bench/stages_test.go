package bench

import (
	"context"
	"testing"
	"time"
)

func TestDrainRawBudget(t *testing.T) {
	old := DrainRawBudget
	DrainRawBudget = time.Nanosecond
	defer func() { DrainRawBudget = old }()
	c := Generate(5000, 2)
	r, err := drainStage(true)(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if r.Lines >= c.Len() || r.Note == "" {
		t.Errorf("drain-raw with a spent budget: %d of %d lines, note %q", r.Lines, c.Len(), r.Note)
	}
}

func TestMineStagesBounded(t *testing.T) {
	// Raw lines carry timestamps, pids and hosts: the masks must keep them
	// to a few patterns per message template, not one per line.
	c := Generate(5000, 5)
	for _, raw := range []bool{false, true} {
		r, _ := mineStage(raw)(context.Background(), c)
		if r.Patterns == 0 || r.Patterns > c.Len()/10 {
			t.Errorf("mine (raw %v): %d patterns for %d lines, want 1..%d", raw, r.Patterns, c.Len(), c.Len()/10)
		}
	}
}
