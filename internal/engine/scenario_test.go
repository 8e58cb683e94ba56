package engine

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cloudsage/cloudsage/internal/advisor"
)

var (
	update       = flag.Bool("update", false, "rewrite the scenario golden files")
	scenarioLogs = flag.String("scenario-logs", "", "write the generated scenario logs into this directory")
)

// golden is what a scenario's report is held to between changes. The
// scenario's own expectations (label, chain, action key) are checked
// separately and never come from the golden.
type golden struct {
	Label      string   `json:"label"`
	Score      float64  `json:"score"`
	Chain      string   `json:"chain"`
	Top        []string `json:"top"`
	Actions    []string `json:"actions"` // keys of the top three
	TopPattern string   `json:"top_pattern"`
	PHigh      float64  `json:"p_high"`
}

func TestScenarios(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			lines := sc.generate()
			if *scenarioLogs != "" {
				if err := os.MkdirAll(*scenarioLogs, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(*scenarioLogs, sc.name+".log"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			e := New(DefaultConfig())
			for _, l := range lines {
				e.AddLine(l)
			}
			e.Flush()
			r := e.Report(e.LastEventTime(), 24)
			got := golden{Label: r.Risk.Label, Score: r.Risk.Score, Chain: r.Chain.Name, Top: r.Risk.Top, PHigh: r.Forecast.PHigh}
			for _, a := range r.Actions[:min(3, len(r.Actions))] {
				got.Actions = append(got.Actions, a.Key)
			}
			if len(r.Patterns) > 0 {
				got.TopPattern = r.Patterns[0].Template
			}
			explain := func() string {
				var b strings.Builder
				fmt.Fprintf(&b, "score %v %s, chain %s, trend %v\n", r.Risk.Score, r.Risk.Label, r.Chain.Name, r.Risk.Trend)
				for _, f := range r.Risk.Factors {
					fmt.Fprintf(&b, "  %s\n", f.Summary)
				}
				for _, p := range r.Patterns[:min(5, len(r.Patterns))] {
					fmt.Fprintf(&b, "  pattern %s %s recent %d before %d errors %d: %s\n", p.ID, p.Trend, p.Recent, p.Before, p.Errors, p.Template)
				}
				for _, a := range r.Actions {
					fmt.Fprintf(&b, "  action %s [%s] %s %v\n", a.Key, a.Priority, a.Title, a.Evidence.Patterns)
				}
				return b.String()
			}

			// The scenario's expectations.
			if !slices.Contains(sc.labels, got.Label) {
				t.Errorf("label = %s, want one of %v\n%s", got.Label, sc.labels, explain())
			}
			if sc.chains != nil && !slices.Contains(sc.chains, got.Chain) {
				t.Errorf("chain = %s, want one of %v\n%s", got.Chain, sc.chains, explain())
			}
			if sc.keys != nil && !slices.ContainsFunc(got.Actions, func(k string) bool { return slices.Contains(sc.keys, k) }) {
				t.Errorf("top three actions = %v, want one of %v among them\n%s", got.Actions, sc.keys, explain())
			}
			if (got.Chain == "preventive") != (r.Lookahead != nil) || (r.Lookahead != nil && r.Lookahead.Hours != 168) {
				t.Errorf("chain %s with lookahead %+v; want a 168 h lookahead exactly for the preventive chain", got.Chain, r.Lookahead)
			}
			if len(r.Actions) < 3 {
				t.Errorf("%d actions, want at least 3", len(r.Actions))
			}
			if len(r.Forecast.Points) != 24 || len(r.Chain.Steps) != 4 {
				t.Errorf("%d forecast points, %d chain steps; want 24, 4", len(r.Forecast.Points), len(r.Chain.Steps))
			}
			if sc.check != nil {
				if msg := sc.check(r); msg != "" {
					t.Errorf("%s\n%s", msg, explain())
				}
			}
			// What every report must get right, whatever the scenario.
			for _, msg := range judgement(r) {
				t.Errorf("%s\n%s", msg, explain())
			}

			// The golden: the same answer as last time, within a tolerance
			// for the score.
			path := filepath.Join("testdata", "scenarios", sc.name+".golden.json")
			if *update {
				b, _ := json.MarshalIndent(got, "", "  ")
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden (run with -update to create it): %v", err)
			}
			var want golden
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatalf("parse %s: %v", path, err)
			}
			if got.Label != want.Label || got.Chain != want.Chain || math.Abs(got.Score-want.Score) > 8 {
				t.Errorf("got %s %v chain %s; golden %s %v chain %s (run with -update if the change is intended)\n%s",
					got.Label, got.Score, got.Chain, want.Label, want.Score, want.Chain, explain())
			}
		})
	}
}

// bigPercent is a percentage of 1,000% or more: a multiple written as a
// share ("Surge ratio 1946%" for ×19.5).
var bigPercent = regexp.MustCompile(`\b\d{1,3}(,\d{3})+%|\b\d{4,}%`)

// judgement lists what a senior SRE would not sign in r: two of the top
// three actions about one problem (sharing evidence patterns), an
// incident forecast whose band spans everything in the next hours with no
// scenarios, and multiples written as percentages.
func judgement(r Report) []string {
	var bad []string
	top := r.Actions[:min(3, len(r.Actions))]
	for i := range top {
		for j := i + 1; j < len(top); j++ {
			for _, id := range top[i].Evidence.Patterns {
				if slices.Contains(top[j].Evidence.Patterns, id) {
					bad = append(bad, fmt.Sprintf("actions %d (%s) and %d (%s) share pattern %s: one problem", i+1, top[i].Key, j+1, top[j].Key, id))
				}
			}
		}
	}
	wide := 0.0
	for _, p := range r.Forecast.Points[:min(6, len(r.Forecast.Points))] {
		wide = math.Max(wide, p.High-p.Low)
	}
	if wide > 40 && len(r.Forecast.Scenarios) < 2 {
		bad = append(bad, fmt.Sprintf("the band spans %.0f points over the next 6 h with no scenarios", wide))
	}
	for _, sc := range r.Forecast.Scenarios {
		if len(sc.Points) != len(r.Forecast.Points) {
			bad = append(bad, fmt.Sprintf("scenario %s has %d points, the forecast %d", sc.Name, len(sc.Points), len(r.Forecast.Points)))
		}
	}
	for _, a := range r.Actions {
		if m := bigPercent.FindString(a.Title + " " + a.Why); m != "" {
			bad = append(bad, fmt.Sprintf("action %s writes %s: a multiple as a percentage", a.Key, m))
		}
		if u := advisor.NumberUnit("surge_ratio", a.Evidence.Units); u != advisor.UnitMultiple {
			bad = append(bad, fmt.Sprintf("action %s: surge_ratio in unit %q, want a multiple", a.Key, u))
		}
	}
	return bad
}
