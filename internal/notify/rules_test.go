package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/advisor"
	"github.com/cloudsage/cloudsage/internal/engine"
	"github.com/cloudsage/cloudsage/internal/risk"
	"github.com/cloudsage/cloudsage/internal/store"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func report(at time.Time, label string, score float64) *engine.Report {
	return &engine.Report{At: at, Risk: engine.Risk{Score: score, Label: label, Top: []string{"error_rate"},
		Factors: []risk.Factor{{Name: "error_rate", Value: 0.4, Baseline: 0.02, Unit: "ratio", Status: "high", Points: 40}}},
		Actions: []advisor.Action{{Title: "a1", Priority: "critical"}, {Title: "a2", Priority: "high"}, {Title: "a3"}, {Title: "a4"}}}
}

func kinds(fs []Fired) string {
	var ks []string
	for _, f := range fs {
		ks = append(ks, f.Event.Kind)
	}
	return strings.Join(ks, ",")
}

func TestEvaluateLabelAndIncident(t *testing.T) {
	rules := DefaultRules()
	var st State
	step := func(min int, label string, score float64, want string) {
		t.Helper()
		var fired []Fired
		st, fired = Evaluate(st, rules, report(t0.Add(time.Duration(min)*time.Minute), label, score), 70, Event{Project: "shop"})
		if got := kinds(fired); got != want {
			t.Errorf("minute %d, %s %.0f: fired %q, want %q", min, label, score, got, want)
		}
		for _, f := range fired {
			if len(f.Event.Factors) != 1 || len(f.Event.Actions) != 3 || f.Event.Project != "shop" || f.Event.Score != score {
				t.Errorf("event %+v lacks factors, top three actions or score", f.Event)
			}
		}
	}
	step(0, "low", 10, "")                       // first report: compared with a quiet low
	step(5, "high", 80, "label,incident_opened") // up: label rule and the incident opens
	step(6, "medium", 60, "")                    // down: the label rule only fires for high; incident stays open
	step(7, "high", 75, "label")                 // flap back up: label again, same incident
	step(8, "medium", 55, "")                    // below high since minute 8
	step(20, "low", 20, "")                      // 12 minutes below: not yet resolved
	step(23, "low", 15, "incident_resolved")     // 15 minutes below: resolved
	step(30, "low", 15, "")
}

func TestEvaluateFirstReportHigh(t *testing.T) {
	_, fired := Evaluate(State{}, DefaultRules(), report(t0, "high", 90), 70, Event{})
	if got := kinds(fired); got != "label,incident_opened" {
		t.Errorf("a first report that is high fired %q", got)
	}
}

func TestEvaluateScoreForecastPatterns(t *testing.T) {
	rules := []store.Rule{
		{ID: 1, Kind: KindScore, Name: "score 50", Params: store.RuleParams{Threshold: 50}},
		{ID: 2, Kind: KindForecast, Name: "forecast", Params: store.RuleParams{Hours: 6, Probability: 0.5}},
		{ID: 3, Kind: KindErrorPattern, Name: "errors"},
		{ID: 4, Kind: KindLabel, Name: "any change"},
	}
	r := report(t0, "medium", 55)
	r.Forecast = engine.Forecast{PHigh: 0.8, Points: []engine.ForecastPoint{
		{Time: t0.Add(time.Hour), Score: 60, High: 65}, {Time: t0.Add(4 * time.Hour), Score: 66, High: 72}}}
	r.Patterns = []engine.Pattern{{ID: "p1", Template: "db timeout <*>", New: true, Errors: 12}, {ID: "p2", Template: "ok", New: true}}
	st, fired := Evaluate(State{Label: "low", Score: 30}, rules, r, 70, Event{})
	if got := kinds(fired); got != "score,forecast,new_error_pattern,label" {
		t.Fatalf("fired %q", got)
	}
	if !strings.Contains(fired[2].Event.Title, "db timeout") {
		t.Errorf("pattern event title %q", fired[2].Event.Title)
	}
	// The same report again: every condition is edge-triggered, nothing fires.
	r2 := *r
	r2.At = t0.Add(time.Minute)
	st, fired = Evaluate(st, rules, &r2, 70, Event{})
	if len(fired) != 0 {
		t.Errorf("repeated report fired %q", kinds(fired))
	}
	// A forecast whose high comes after the rule's hours does not fire.
	r3 := r2
	r3.Forecast.Points = []engine.ForecastPoint{{Time: t0.Add(10 * time.Hour), Score: 71, High: 80}}
	if ok, _ := forecastHigh(&r3, 70, 6, 0.5); ok {
		t.Errorf("high at 10 h counted within 6 h")
	}
	// The score falls below and crosses again: fires again.
	st, _ = Evaluate(st, rules, report(t0.Add(2*time.Minute), "low", 30), 70, Event{})
	_, fired = Evaluate(st, rules[:1], report(t0.Add(3*time.Minute), "medium", 52), 70, Event{})
	if kinds(fired) != "score" {
		t.Errorf("second crossing fired %q", kinds(fired))
	}
}

func TestQuietUntil(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no tzdata")
	}
	at := func(h, m int) time.Time { return time.Date(2026, 3, 1, h, m, 0, 0, paris) }
	cases := []struct {
		start, end string
		now        time.Time
		quiet      bool
		until      time.Time
	}{
		{"22:00", "07:00", at(23, 30), true, time.Date(2026, 3, 2, 7, 0, 0, 0, paris)},
		{"22:00", "07:00", at(6, 59), true, at(7, 0)},
		{"22:00", "07:00", at(7, 0), false, time.Time{}},
		{"22:00", "07:00", at(12, 0), false, time.Time{}},
		{"12:00", "14:00", at(13, 0), true, at(14, 0)},
		{"12:00", "14:00", at(14, 0), false, time.Time{}},
		{"", "", at(13, 0), false, time.Time{}},
	}
	for _, c := range cases {
		until, quiet := quietUntil(c.start, c.end, c.now)
		if quiet != c.quiet || !until.Equal(c.until) {
			t.Errorf("quietUntil(%s, %s, %s) = %s, %v; want %s, %v", c.start, c.end, c.now.Format("15:04"), until, quiet, c.until, c.quiet)
		}
	}
}

func TestBackoff(t *testing.T) {
	s := &Service{opt: Options{RetryBase: time.Second, RetryMax: 10 * time.Second}}
	for _, j := range []float64{0, 1} {
		s.jitter = func() float64 { return j }
		for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 5: 10 * time.Second, 9: 10 * time.Second} {
			got := s.backoff(attempt)
			if got < want/2 || got > want {
				t.Errorf("backoff(%d) with jitter %g = %s, want within [%s, %s]", attempt, j, got, want/2, want)
			}
		}
	}
}
