package advisor

import (
	"math"
	"slices"
	"time"

	"github.com/cloudsage/cloudsage"
)

// fallbackSelectors name what a fallback action is about; alwaysSelectors
// apply to any input, even an empty one, so every report has three actions.
var (
	fallbackSelectors = map[string]bool{
		"top_error": true, "top_factor": true, "surging": true, "new": true,
		"forecast": true, "noisy": true, "baseline": true, "coverage": true,
	}
	alwaysSelectors = map[string]bool{"forecast": true, "baseline": true, "coverage": true}
)

// fill adds fallback actions until there are minActions, skipping any
// whose subject an action already covers. A fallback fills: it ranks below
// every action a signature backs (a generic "bring the error rate down"
// never goes above "back off the rate-limited API" that explains it).
// A fallback about a pattern already behind an action (used: every pattern
// of every problem acted on) would be a second action for one problem.
// Nor does a fallback about a factor an action's problem already accounts
// for (covered): "bring the error rate down" beside "check the cache" that
// the errors come from.
func fill(kb *KnowledgeBase, e *env, chain string, acts []Action, used map[cloudsage.PatternID]bool, covered map[string]bool) (out []Action, added int) {
	ceiling := math.Inf(1)
	mainPats := map[string]bool{}
	for id := range used {
		mainPats[string(id)] = true
	}
	for _, a := range acts {
		ceiling = math.Min(ceiling, a.Score)
		for _, id := range a.Evidence.Patterns {
			mainPats[string(id)] = true
		}
	}
	for _, fb := range kb.Fallbacks {
		if len(acts) >= minActions {
			break
		}
		c := fallbackCandidate(fb, e, chain)
		if c == nil || e.in.Muted[fb.Key] {
			continue
		}
		if slices.ContainsFunc(c.ms, func(m match) bool { return mainPats[string(m.v.id)] }) {
			continue
		}
		if c.factor != nil && (covered[c.factor.Name] || coversFactor(acts, c.factor.Name)) {
			continue
		}
		c.params = c.buildParams(e)
		r := c.render(e, 1)
		if len(r) == 0 {
			continue
		}
		if r[0].Score >= ceiling {
			r[0].Score = round3(0.95 * ceiling)
		}
		acts = append(acts, r[0])
		for _, m := range c.ms {
			mainPats[string(m.v.id)] = true
		}
		added++
	}
	return acts, added
}

func coversFactor(acts []Action, name string) bool {
	for _, a := range acts {
		if _, ok := a.Evidence.Numbers[name+"_value"]; ok {
			return true
		}
	}
	return false
}

// fallbackCandidate selects the subject of a fallback, or nil when the
// input has none.
func fallbackCandidate(fb *Entry, e *env, chain string) *candidate {
	c := &candidate{entry: fb, key: fb.Key, severity: fb.Severity}
	switch fb.Select {
	case "top_error":
		v := bestView(e.views, func(v *view) bool { return v.p.Errors > 0 || (v.p.Warns > 0 && v.errLike) },
			func(a, b *view) bool {
				if (a.p.Recent > 0) != (b.p.Recent > 0) {
					return a.p.Recent > 0
				}
				if a.p.Errors != b.p.Errors {
					return a.p.Errors > b.p.Errors
				}
				return a.p.Recent > b.p.Recent
			})
		if v == nil {
			return nil
		}
		c.ms = []match{{v: v}}
	case "surging":
		if len(e.surging) == 0 {
			return nil
		}
		c.ms = []match{{v: e.surging[0]}}
	case "new":
		for _, v := range e.views {
			if v.p.New {
				c.ms = append(c.ms, match{v: v})
			}
		}
		if len(c.ms) == 0 {
			return nil
		}
		sortMatches(c.ms)
	case "noisy":
		v := bestView(e.views, func(v *view) bool { return v.p.Count > 0 }, func(a, b *view) bool { return a.p.Count > b.p.Count })
		if v == nil {
			return nil
		}
		c.ms = []match{{v: v}}
	case "top_factor":
		var best *FactorState
		for i := range e.in.Factors {
			f := &e.in.Factors[i]
			if f.Status == "" || f.Status == "normal" || f.Weight <= 0 || !(f.Points > 0) {
				continue
			}
			if best == nil || f.Points/f.Weight > best.Points/best.Weight ||
				(f.Points/f.Weight == best.Points/best.Weight && f.Name < best.Name) {
				best = f
			}
		}
		if best == nil {
			return nil
		}
		c.factor, c.ratio = best, factorRatio(best)
	case "forecast", "baseline", "coverage":
	default:
		return nil
	}
	c.assess(e, chain)
	switch fb.Select {
	case "forecast":
		c.strength = clamp01(max(e.in.PHigh, e.in.PeakScore/100))
		c.extra = map[string]float64{
			"score": e.in.Score, "peak_score": e.in.PeakScore, "p_high": e.in.PHigh,
			"horizon_hours": float64(e.in.HorizonHours), "trend_per_hour": e.in.Trend, "high_threshold": e.in.HighThreshold,
		}
		if h := hoursToHigh(e.in); h > 0 {
			c.extra["hours_to_high"] = h
		}
	case "baseline", "coverage":
		c.strength = 0.2
		if e.beforeSpan >= 24*time.Hour {
			c.strength = 0.1
		}
		c.extra = map[string]float64{
			"events": float64(e.totalCount), "patterns": float64(len(e.views)),
			"history_hours": e.beforeSpan.Hours(), "score": e.in.Score,
		}
	}
	return c
}

// bestView returns the view that passes ok and sorts first by less, ties
// broken by pattern id.
func bestView(vs []*view, ok func(*view) bool, less func(a, b *view) bool) *view {
	var best *view
	for _, v := range vs {
		if !ok(v) {
			continue
		}
		if best == nil || less(v, best) || !less(best, v) && v.id < best.id {
			best = v
		}
	}
	return best
}

// hoursToHigh is how long the current trend takes to reach the high
// threshold; 0 when it is already there or not rising.
func hoursToHigh(in Input) float64 {
	tr, sc := finite(in.Trend), finite(in.Score)
	if tr <= 0 || sc >= in.HighThreshold {
		return 0
	}
	h := (in.HighThreshold - sc) / tr
	if math.IsInf(h, 0) || math.IsNaN(h) || h > 24*365 {
		return 0
	}
	return h
}
