package advisor

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/risk"
)

// Step names, in the order they run.
const (
	StepContext  = "context_analysis"
	StepMatching = "pattern_matching"
	StepRisk     = "risk_assessment"
	StepActions  = "action_generation"
)

const defaultHorizonHours = 24

// branch picks the chain for in (thresholds already defaulted).
func branch(in Input) (name string, lookahead int) {
	switch {
	case in.Score >= in.HighThreshold:
		return ChainCritical, in.HorizonHours
	case in.Trend > 0 && in.Score > preventiveFloor:
		return ChainPreventive, preventiveLookahead
	default:
		return ChainStandard, in.HorizonHours
	}
}

// normalise fills defaults and replaces values no step can use.
func normalise(in Input) Input {
	if !(in.HighThreshold > 0) || math.IsInf(in.HighThreshold, 0) {
		in.HighThreshold = DefaultHighThreshold
	}
	if !(in.MediumThreshold > 0) || math.IsInf(in.MediumThreshold, 0) {
		in.MediumThreshold = DefaultMediumThreshold
	}
	in.Score = finiteOr0(in.Score)
	in.Trend = finiteOr0(in.Trend)
	in.PeakScore = finiteOr0(in.PeakScore)
	in.PHigh = clamp01(in.PHigh)
	if in.HorizonHours <= 0 {
		in.HorizonHours = defaultHorizonHours
	}
	if in.Label == "" {
		in.Label = risk.Config{High: in.HighThreshold, Medium: in.MediumThreshold}.Label(in.Score)
	}
	return in
}

func finiteOr0(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// Advise runs the chain with the knowledge base kb.
func (kb *KnowledgeBase) Advise(in Input, clock func() time.Time) Result {
	in = normalise(in)
	name, look := branch(in)
	res := Result{Chain: Chain{Name: name, LookaheadHours: look, Steps: make([]Step, 0, 4)}}
	run := func(step string, f func(*Step)) {
		var t0 time.Time
		if clock != nil {
			t0 = clock()
		}
		s := Step{Name: step}
		f(&s)
		if clock != nil {
			s.DurationMS = round3(float64(clock().Sub(t0)) / float64(time.Millisecond))
		}
		res.Chain.Steps = append(res.Chain.Steps, s)
	}
	var e *env
	run(StepContext, func(s *Step) {
		e = newEnv(in)
		contextAnalysis(e, name, s)
	})
	var cands []*candidate
	run(StepMatching, func(s *Step) {
		cands = slices.DeleteFunc(buildCandidates(kb, e, name), func(c *candidate) bool { return in.Muted[c.key] })
		patternMatching(kb, e, cands, s)
	})
	run(StepRisk, func(s *Step) {
		riskAssessment(e, name, cands, s)
	})
	run(StepActions, func(s *Step) {
		res.Actions = actionGeneration(kb, e, name, cands, s)
	})
	return res
}

// --- context analysis ----------------------------------------------------

func contextAnalysis(e *env, chain string, s *Step) {
	in := e.in
	s.Inputs = map[string]any{
		"score": round3(in.Score), "label": clean(in.Label, 16), "trend_per_hour": round3(in.Trend),
		"factors": len(in.Factors), "patterns": len(in.Patterns),
		"recent_window_minutes": round3(e.window.Minutes()), "history_before_minutes": round3(e.beforeSpan.Minutes()),
		"horizon_hours": in.HorizonHours,
	}
	var sentences []string
	head := "Score " + fmtNum(in.Score) + " (" + clean(in.Label, 16) + ")"
	switch tr := in.Trend; {
	case tr >= 0.05:
		head += ", rising +" + fmtNum(tr) + "/h"
	case tr <= -0.05:
		head += ", falling " + fmtNum(tr) + "/h"
	default:
		head += ", steady"
	}
	sentences = append(sentences, head)

	// Factors off their baseline.
	var up []*FactorState
	for i := range in.Factors {
		f := &in.Factors[i]
		if f.Status != "" && f.Status != "normal" {
			up = append(up, f)
		}
	}
	sort.SliceStable(up, func(i, j int) bool {
		if up[i].Points != up[j].Points {
			return up[i].Points > up[j].Points
		}
		return up[i].Name < up[j].Name
	})
	var fparts []string
	var fout []map[string]any
	for _, f := range up {
		label := factorLabels[f.Name]
		if label == "" {
			label = clean(f.Name, 20)
		}
		fparts = append(fparts, strings.TrimPrefix(label, "the ")+" "+fmtValue(f.Value, f.Unit)+" vs "+fmtValue(f.Baseline, f.Unit)+" usual ("+clean(f.Status, 16)+")")
		fout = append(fout, map[string]any{"name": clean(f.Name, 20), "value": round3(f.Value), "baseline": round3(f.Baseline),
			"status": clean(f.Status, 16), "points": round3(f.Points), "weight": round3(f.Weight)})
	}
	switch {
	case len(in.Factors) == 0:
		sentences = append(sentences, "no factor measurements")
	case len(fparts) == 0:
		sentences = append(sentences, "all "+strconv.Itoa(len(in.Factors))+" factors at baseline")
	default:
		sentences = append(sentences, strings.Join(fparts, ", "))
	}

	// Surging and new error patterns.
	surging := e.surging
	var newErr []*view
	for _, v := range e.views {
		if v.p.New && v.p.Errors > 0 {
			newErr = append(newErr, v)
		}
	}
	sort.SliceStable(newErr, func(i, j int) bool {
		if newErr[i].p.Errors != newErr[j].p.Errors {
			return newErr[i].p.Errors > newErr[j].p.Errors
		}
		return newErr[i].id < newErr[j].id
	})
	var pparts []string
	if n := len(surging); n > 0 {
		v := surging[0]
		how := "new"
		if !v.fresh {
			how = fmtRatio(v.surge)
		}
		pparts = append(pparts, fmt.Sprintf("%d pattern%s surging, led by '%s' (%s lines in %s, %s)",
			n, plural(n), clean(v.tmpl(), 60), fmtInt(v.p.Recent), fmtDur(e.window), how))
	}
	if n := len(newErr); n > 0 {
		pparts = append(pparts, fmt.Sprintf("%d new error pattern%s, led by '%s' (%s errors)", n, plural(n), clean(newErr[0].tmpl(), 60), fmtInt(newErr[0].p.Errors)))
	}
	if len(pparts) == 0 {
		pparts = append(pparts, fmt.Sprintf("no surging or new error patterns among %d", len(e.views)))
	}
	sentences = append(sentences, strings.Join(pparts, "; "))

	fc := "forecast peak " + fmtNum(in.PeakScore) + " within " + strconv.Itoa(in.HorizonHours) + " h, P(high) " + fmtPct(in.PHigh)
	if chain == ChainPreventive {
		fc += "; 7-day look-ahead"
		if h := hoursToHigh(in); h > 0 {
			fc += ": at this rate the score reaches " + fmtNum(in.HighThreshold) + " in about " + fmtDur(time.Duration(h*float64(time.Hour)).Round(time.Minute))
		}
	}
	sentences = append(sentences, fc)
	s.Summary = sentences[0] + ". " + capitalize(sentences[1]) + "; " + sentences[2] + ". " + capitalize(sentences[3]) + "."

	s.Outputs = map[string]any{
		"factors_above_baseline": orEmpty(fout),
		"surging_patterns":       viewList(surging, e, 5),
		"new_error_patterns":     viewList(newErr, e, 5),
		"peak_score":             round3(in.PeakScore),
		"p_high":                 round3(in.PHigh),
	}
	if h := hoursToHigh(in); h > 0 {
		s.Outputs["hours_to_high"] = round3(h)
	}
}

func viewList(vs []*view, e *env, n int) []map[string]any {
	out := []map[string]any{}
	for i, v := range vs {
		if i == n {
			break
		}
		m := map[string]any{"id": string(v.id), "template": v.tmpl(), "recent": v.p.Recent, "before": v.p.Before, "errors": v.p.Errors}
		if v.surge > 0 {
			m["surge_ratio"] = round3(v.surge)
		}
		if v.fresh {
			m["fresh"] = true
		}
		out = append(out, m)
	}
	return out
}

func orEmpty(m []map[string]any) []map[string]any {
	if m == nil {
		return []map[string]any{}
	}
	return m
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// --- pattern matching ----------------------------------------------------

func patternMatching(kb *KnowledgeBase, e *env, cands []*candidate, s *Step) {
	s.Inputs = map[string]any{"signatures": len(kb.Entries), "patterns": len(e.views), "factors": len(e.in.Factors)}
	var parts []string
	var out []map[string]any
	keys := map[string]bool{}
	pats := map[string]bool{}
	for _, c := range cands {
		keys[c.key] = true
		name := c.key
		if c.group != "" {
			name += " " + c.group
		}
		var what []string
		if len(c.ms) > 0 {
			what = append(what, fmt.Sprintf("%d pattern%s, %s recent", len(c.ms), plural(len(c.ms)), fmtInt(c.agg.recent)))
		}
		if c.factor != nil {
			what = append(what, c.factor.Name+" factor")
		}
		parts = append(parts, name+" ("+strings.Join(what, ", ")+")")
		ids := []string{}
		for _, m := range c.ms {
			pats[string(m.v.id)] = true
			if len(ids) < maxEvidencePats {
				ids = append(ids, string(m.v.id))
			}
		}
		o := map[string]any{"key": c.key, "patterns": ids, "recent": c.agg.recent, "count": c.agg.count}
		if c.group != "" {
			o["group"] = c.group
		}
		if len(c.phrases) > 0 {
			o["phrases"] = c.phrases
		}
		if c.factor != nil {
			o["factor"] = c.factor.Name
		}
		out = append(out, o)
	}
	if len(cands) == 0 {
		s.Summary = fmt.Sprintf("No signature of %d matched the %d patterns or the factors; actions come from the top patterns, factors and forecast.", len(kb.Entries), len(e.views))
	} else {
		s.Summary = fmt.Sprintf("%d of %d signatures matched on %d of %d patterns: %s.", len(keys), len(kb.Entries), len(pats), len(e.views), strings.Join(parts, "; "))
	}
	s.Outputs = map[string]any{"matches": orEmpty(out)}
	if len(e.in.Similar) > 0 {
		var texts []string
		for _, p := range e.in.Similar {
			texts = append(texts, p.Text())
		}
		s.Summary += " Past incidents: " + strings.Join(texts, "; ") + "."
		s.Outputs["similar_incidents"] = e.in.Similar
	}
}

// --- risk assessment -----------------------------------------------------

func riskAssessment(e *env, chain string, cands []*candidate, s *Step) {
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i].score(), cands[j].score()
		if a != b {
			return a > b
		}
		if cands[i].key != cands[j].key {
			return cands[i].key < cands[j].key
		}
		return cands[i].group < cands[j].group
	})
	s.Inputs = map[string]any{"chain": chain, "candidates": len(cands), "high_threshold": round3(e.in.HighThreshold), "score": round3(e.in.Score)}
	var lead string
	switch chain {
	case ChainCritical:
		lead = fmt.Sprintf("Critical chain (score %s at or above %s): what hurts users now ranks first", fmtNum(e.in.Score), fmtNum(e.in.HighThreshold))
	case ChainPreventive:
		lead = fmt.Sprintf("Preventive chain (score %s and rising +%s/h): 7-day look-ahead, what builds up over days ranks first", fmtNum(e.in.Score), fmtNum(e.in.Trend))
		if h := hoursToHigh(e.in); h > 0 {
			lead += fmt.Sprintf("; at this rate the score reaches %s in about %s", fmtNum(e.in.HighThreshold), fmtDur(time.Duration(h*float64(time.Hour)).Round(time.Minute)))
		}
	default:
		lead = fmt.Sprintf("Standard chain (score %s): ranked by severity, evidence and preference", fmtNum(e.in.Score))
	}
	var out []map[string]any
	var parts []string
	for i, c := range cands {
		pr := c.priority(e)
		o := map[string]any{"key": c.key, "severity": round3(c.severity), "evidence": round3(c.strength),
			"boost": round3(c.boost), "preference": round3(c.pref), "score": round3(c.score()), "priority": pr,
			"user_facing_now": c.userNow}
		if c.group != "" {
			o["group"] = c.group
		}
		out = append(out, o)
		if i < 3 {
			p := fmt.Sprintf("%s %s (severity %.2f × evidence %.2f", c.key, pr, c.severity, c.strength)
			if c.boost != 1 {
				p += fmt.Sprintf(" ×%.1f", c.boost)
			}
			if c.pref != 1 {
				p += fmt.Sprintf(" × preference %.2f", c.pref)
			}
			parts = append(parts, p+fmt.Sprintf(" = %.2f)", c.score()))
		}
	}
	if len(parts) == 0 {
		s.Summary = lead + "; no matched signature to weigh."
	} else {
		s.Summary = lead + ". Top: " + strings.Join(parts, ", ") + "."
	}
	s.Outputs = map[string]any{"assessments": orEmpty(out)}
}

// --- action generation ---------------------------------------------------

func actionGeneration(kb *KnowledgeBase, e *env, chain string, cands []*candidate, s *Step) []Action {
	prefs := 0
	for _, c := range cands {
		if _, ok := e.in.Preferences[c.key]; ok {
			prefs++
		}
	}
	s.Inputs = map[string]any{"candidates": len(cands), "preferences_applied": prefs}
	if len(e.in.Pinned)+len(e.in.Muted) > 0 {
		s.Inputs["pinned"], s.Inputs["muted"] = len(e.in.Pinned), len(e.in.Muted)
	}
	used, covered := map[cloudsage.PatternID]bool{}, map[string]bool{}
	acts := rankActions(e, cands, used, covered)
	if len(acts) > maxActions {
		acts = acts[:maxActions]
	}
	acts, added := fill(kb, e, chain, acts, used, covered)
	acts = dedupSort(acts)
	acts = slices.DeleteFunc(acts, func(a Action) bool { return e.in.Muted[a.Key] })
	// pinned types first, in their ranked order
	slices.SortStableFunc(acts, func(a, b Action) int { return cmp.Compare(pinRank(e.in.Pinned, a), pinRank(e.in.Pinned, b)) })
	capCritical(acts)
	counts := map[string]int{}
	for _, a := range acts {
		counts[a.Priority]++
	}
	var pc []string
	for _, p := range []string{"critical", "high", "medium", "low"} {
		if counts[p] > 0 {
			pc = append(pc, fmt.Sprintf("%d %s", counts[p], p))
		}
	}
	s.Summary = fmt.Sprintf("%d actions (%s)", len(acts), strings.Join(pc, ", "))
	if added > 0 {
		s.Summary += fmt.Sprintf(", %d from fallbacks", added)
	}
	if len(acts) > 0 {
		s.Summary += ". First: " + acts[0].Title
	}
	s.Summary += "."
	out := []map[string]any{}
	for _, a := range acts {
		out = append(out, map[string]any{"id": a.ID, "key": a.Key, "priority": a.Priority, "score": a.Score})
	}
	s.Outputs = map[string]any{"actions": out, "fallbacks": added}
	return acts
}

func pinRank(pinned map[string]bool, a Action) int {
	if pinned[a.Key] {
		return 0
	}
	return 1
}
