package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/advisor"
	"github.com/cloudsage/cloudsage/internal/learn"
)

// deployEngine is the deploy_error_spike scenario fed to a new engine, and
// the id of the deploy's error pattern.
func deployEngine(t *testing.T) (*Engine, Report, string) {
	t.Helper()
	e := New(DefaultConfig())
	for _, l := range scenarioByName(t, "deploy_error_spike").generate() {
		e.AddLine(l)
	}
	e.Flush()
	r := e.Report(e.LastEventTime(), 24)
	for _, p := range r.Patterns {
		if strings.Contains(p.Template, "customer_tier") {
			return e, r, string(p.ID)
		}
	}
	t.Fatal("no pattern for the deploy's KeyError")
	return nil, r, ""
}

// A pattern marked expected stops counting as an error signal: the error
// rate drops, the pattern says so, no action rests on it; unmarking it
// restores the report.
func TestExpectedPattern(t *testing.T) {
	e, before, id := deployEngine(t)
	if err := e.SetOverrides(learn.Overrides{Expected: []string{id}}); err != nil {
		t.Fatal(err)
	}
	after := e.Report(e.LastEventTime(), 24)
	eb, ea := before.Risk.Factor("error_rate").Value, after.Risk.Factor("error_rate").Value
	if !(ea < eb) || !(after.Risk.Score < before.Risk.Score) {
		t.Errorf("error rate %v -> %v, score %v -> %v: want both lower once the pattern is expected", eb, ea, before.Risk.Score, after.Risk.Score)
	}
	for _, p := range after.Patterns {
		if string(p.ID) == id && !p.Expected {
			t.Errorf("pattern %s not marked expected", id)
		}
	}
	for _, a := range after.Actions {
		for _, pid := range a.Evidence.Patterns {
			if string(pid) == id {
				t.Errorf("action %q rests on the expected pattern", a.Title)
			}
		}
	}
	if err := e.SetOverrides(learn.Overrides{}); err != nil {
		t.Fatal(err)
	}
	if again := e.Report(e.LastEventTime(), 24); again.Risk.Score != before.Risk.Score {
		t.Errorf("score %v after removing the override, want %v again", again.Risk.Score, before.Risk.Score)
	}
}

// A threshold override scales the factor's levels; a bad one is refused.
func TestThresholdOverride(t *testing.T) {
	e := New(DefaultConfig())
	if err := e.SetOverrides(learn.Overrides{Thresholds: map[string]float64{"latency": 800}}); err != nil {
		t.Fatal(err)
	}
	if got := e.Config().Risk.LatencyMS.High; got != 800 {
		t.Errorf("latency high level %v, want 800", got)
	}
	if err := e.SetOverrides(learn.Overrides{Thresholds: map[string]float64{"speed": 1}}); err == nil {
		t.Error("unknown factor accepted")
	}
	if got := e.Config().Risk.LatencyMS.High; got != 800 {
		t.Errorf("a refused override changed the latency high level to %v", got)
	}
	if err := e.SetOverrides(learn.Overrides{}); err != nil || e.Config().Risk.LatencyMS.High != DefaultConfig().Risk.LatencyMS.High {
		t.Errorf("removing the override: %v, high %v", err, e.Config().Risk.LatencyMS.High)
	}
}

// An incident being matched: a past incident with the same signature and a
// fix is shown by the pattern-matching step when trouble starts again; an
// unrelated one is not.
func TestIncidentMatched(t *testing.T) {
	e, r, _ := deployEngine(t)
	if r.Risk.Label == "low" || r.Signature.Empty() {
		t.Fatalf("the deploy's spike should be trouble with a signature: label %s, signature %+v", r.Risk.Label, r.Signature)
	}
	opened := time.Date(2026, 10, 3, 9, 0, 0, 0, time.UTC)
	e.SetIncidents([]learn.Memory{
		{ID: 7, OpenedAt: opened, Title: "checkout KeyError after deploy", Fix: "rolled back the release", Signature: r.Signature},
		{ID: 8, OpenedAt: opened, Title: "disk full", Fix: "rotated logs", Signature: learn.Signature{Patterns: []string{"nospace"}, Factors: []string{"memory"}}},
	})
	again := e.Report(e.LastEventTime(), 24)
	if len(again.Similar) != 1 || again.Similar[0].ID != 7 || again.Similar[0].Similarity != 1 {
		t.Fatalf("Similar = %+v, want incident 7 alone at 1", again.Similar)
	}
	var step advisor.Step
	for _, s := range again.Chain.Steps {
		if s.Name == advisor.StepMatching {
			step = s
		}
	}
	want := "Looks like 'checkout KeyError after deploy' on 3 Oct 2026 (similarity 1.00): fixed by rolled back the release"
	if !strings.Contains(step.Summary, want) {
		t.Errorf("pattern matching step = %q, want it to contain %q", step.Summary, want)
	}
	// Evaluated before the trouble, nothing is matched.
	if early := e.Report(e.LastEventTime().Add(-2*time.Hour), 24); len(early.Similar) != 0 {
		t.Errorf("two hours earlier (low) Similar = %+v", early.Similar)
	}
}
