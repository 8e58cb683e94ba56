package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/parse"
)

func TestDemoLines(t *testing.T) {
	end := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	lines := demoLines(end, time.Hour, 1)
	if len(lines) < 2000 {
		t.Fatalf("demoLines gave %d lines for an hour, want a realistic volume", len(lines))
	}
	errs := 0
	p := parse.New()
	for _, l := range lines {
		if strings.Contains(l, "%!") {
			t.Fatalf("formatting error in %q", l)
		}
		for _, ev := range p.Push(nil, l) {
			if ev.Time.After(end) || ev.Time.Before(end.Add(-time.Hour-time.Minute)) {
				t.Fatalf("event at %v outside the hour: %q", ev.Time, l)
			}
			if ev.Level.String() == "error" {
				errs++
			}
		}
	}
	if errs == 0 {
		t.Error("the demo has no errors to find")
	}
	if again := demoLines(end, time.Hour, 1); strings.Join(again, "\n") != strings.Join(lines, "\n") {
		t.Error("demoLines is not deterministic")
	}
}
