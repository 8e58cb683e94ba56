package notify

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/engine"
	"github.com/cloudsage/cloudsage/internal/store"
)

// IncidentResolveAfter is how long (in report time) the label must stay
// below high before an open incident resolves: a score dipping under the
// line for one batch does not close it.
const IncidentResolveAfter = 15 * time.Minute

// State is a project's notification memory between reports: what the last
// report said and which edge-triggered conditions already fired.
type State struct {
	Label    string    `json:"label"`
	Score    float64   `json:"score"`
	At       time.Time `json:"at"`
	Incident *Incident `json:"incident,omitempty"`
	// Forecast: per forecast rule, whether its condition held last time.
	Forecast map[store.RuleID]bool `json:"forecast,omitempty"`
	// Patterns: error patterns already announced, with when (pruned after a week).
	Patterns map[cloudsage.PatternID]time.Time `json:"patterns,omitempty"`
}

// Incident is an open incident.
type Incident struct {
	Opened     time.Time `json:"opened"`
	BelowSince time.Time `json:"below_since,omitzero"` // when the label left high (zero: it is high)
}

// Fired is one rule's event.
type Fired struct {
	Rule  store.Rule
	Event Event
}

func labelRank(l string) int {
	switch l {
	case "low":
		return 0
	case "medium":
		return 1
	case "high":
		return 2
	}
	return -1
}

// Evaluate compares a report with the memory of the previous one and
// returns the rules that fire and the memory to keep. high is the
// project's high threshold (for the forecast rule). It is pure: no clock,
// no I/O. A project's first report compares with a quiet "low" at 0.
func Evaluate(prev State, rules []store.Rule, rep *engine.Report, high float64, base Event) (State, []Fired) {
	next := State{Label: rep.Risk.Label, Score: rep.Risk.Score, At: rep.At, Incident: prev.Incident,
		Forecast: map[store.RuleID]bool{}, Patterns: maps.Clone(prev.Patterns)}
	if next.Patterns == nil {
		next.Patterns = map[cloudsage.PatternID]time.Time{}
	}
	prevLabel, prevScore := prev.Label, prev.Score
	if prevLabel == "" {
		prevLabel, prevScore = "low", 0
	}
	ev := base
	ev.At, ev.Score, ev.Label, ev.Previous = rep.At, rep.Risk.Score, rep.Risk.Label, prevLabel
	ev.Factors, ev.Actions = topFactors(rep), topActions(rep)
	var fired []Fired
	fire := func(r store.Rule, kind, title, text string) {
		e := ev
		e.Kind, e.Rule, e.Title, e.Text = kind, r.Name, title, text
		fired = append(fired, Fired{Rule: r, Event: e})
	}

	// Incidents: open when the label reaches high; resolve after it has
	// stayed below high for IncidentResolveAfter.
	var opened, resolved bool
	isHigh := rep.Risk.Label == "high"
	switch inc := next.Incident; {
	case inc == nil && isHigh:
		next.Incident = &Incident{Opened: rep.At}
		opened = true
	case inc != nil && isHigh:
		next.Incident = &Incident{Opened: inc.Opened}
	case inc != nil && !isHigh:
		since := inc.BelowSince
		if since.IsZero() {
			since = rep.At
		}
		if rep.At.Sub(since) >= IncidentResolveAfter {
			next.Incident = nil
			resolved = true
		} else {
			next.Incident = &Incident{Opened: inc.Opened, BelowSince: since}
		}
	}

	// New error patterns in this report not announced before.
	var fresh []engine.Pattern
	for _, p := range rep.Patterns {
		if p.New && p.Errors > 0 {
			if _, seen := prev.Patterns[p.ID]; !seen {
				fresh = append(fresh, p)
			}
		}
	}
	for _, p := range fresh {
		next.Patterns[p.ID] = rep.At
	}
	for id, at := range next.Patterns {
		if rep.At.Sub(at) > 7*24*time.Hour {
			delete(next.Patterns, id)
		}
	}

	for _, r := range rules {
		switch r.Kind {
		case KindLabel:
			if rep.Risk.Label != prevLabel && (len(r.Params.Labels) == 0 || slices.Contains(r.Params.Labels, rep.Risk.Label)) {
				fire(r, KindLabel, fmt.Sprintf("%s: risk is now %s (was %s), score %.0f", base.Project, strings.ToUpper(rep.Risk.Label), prevLabel, rep.Risk.Score), "")
			}
		case KindScore:
			if t := r.Params.Threshold; prevScore < t && rep.Risk.Score >= t {
				fire(r, KindScore, fmt.Sprintf("%s: score %.0f reached %g (was %.0f)", base.Project, rep.Risk.Score, t, prevScore), "")
			}
		case KindForecast:
			ok, when := forecastHigh(rep, high, r.Params.Hours, r.Params.Probability)
			next.Forecast[r.ID] = ok
			if ok && !prev.Forecast[r.ID] {
				fire(r, KindForecast, fmt.Sprintf("%s: high risk forecast within %d h (P %.0f%%)", base.Project, r.Params.Hours, 100*rep.Forecast.PHigh),
					fmt.Sprintf("The forecast reaches the high line (%g) around %s; peak %.0f. %s", high, when.Format("2006-01-02 15:04 MST"), rep.Forecast.PeakScore, rep.Forecast.Why))
			}
		case KindErrorPattern:
			if len(fresh) > 0 {
				var lines []string
				for _, p := range fresh[:min(len(fresh), 5)] {
					lines = append(lines, fmt.Sprintf("%q (%d errors)", p.Template, p.Errors))
				}
				title := fmt.Sprintf("%s: new error pattern %q", base.Project, fresh[0].Template)
				if len(fresh) > 1 {
					title = fmt.Sprintf("%s: %d new error patterns", base.Project, len(fresh))
				}
				fire(r, KindErrorPattern, cut(title, 200), "New: "+strings.Join(lines, "; "))
			}
		case KindIncident:
			if opened {
				fire(r, KindIncidentOpened, fmt.Sprintf("%s: incident opened, risk HIGH at %.0f", base.Project, rep.Risk.Score), "")
			}
			if resolved {
				fire(r, KindIncidentResolved, fmt.Sprintf("%s: incident resolved, risk %s at %.0f", base.Project, rep.Risk.Label, rep.Risk.Score),
					fmt.Sprintf("Open from %s; below high since %s.", prev.Incident.Opened.Format(time.RFC3339), prev.Incident.BelowSince.Format(time.RFC3339)))
			}
		}
	}
	return next, fired
}

// forecastHigh reports whether the forecast reaches high within hours of
// the report with probability at least p: P(high) over the horizon is at
// least p and the band's upper edge first touches the high line within
// hours (that hour is returned).
func forecastHigh(rep *engine.Report, high float64, hours int, p float64) (bool, time.Time) {
	if rep.Forecast.PHigh < p {
		return false, time.Time{}
	}
	limit := rep.At.Add(time.Duration(hours) * time.Hour)
	for _, pt := range rep.Forecast.Points {
		if pt.Time.After(limit) {
			break
		}
		if pt.High >= high || pt.Score >= high {
			return true, pt.Time
		}
	}
	return false, time.Time{}
}

func topFactors(rep *engine.Report) []Factor {
	var out []Factor
	for _, name := range rep.Risk.Top {
		for _, f := range rep.Risk.Factors {
			if f.Name == name {
				out = append(out, Factor{Name: f.Name, Value: f.Value, Baseline: f.Baseline, Unit: f.Unit, Status: f.Status, Points: f.Points})
			}
		}
	}
	return out
}

func topActions(rep *engine.Report) []Action {
	var out []Action
	for _, a := range rep.Actions[:min(len(rep.Actions), 3)] {
		out = append(out, Action{Title: a.Title, Priority: a.Priority})
	}
	return out
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8Start(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
