// Package learn turns people's feedback on recommended actions into
// ranking preferences: a Beta-Bernoulli estimate per action type (the
// knowledge-base key) of how often a team finds that type useful, with a
// prior from the knowledge base. It is pure: the caller loads the feedback
// and hands the preferences to the advisor.
package learn

import (
	"math"
	"sort"

	"github.com/cloudsage/cloudsage/internal/advisor"
)

// Feedback statuses, as stored (see store.ActionStatus).
const (
	Done        = "done"
	Dismissed   = "dismissed"
	Snoozed     = "snoozed"
	NotRelevant = "not_relevant"
)

// Weights of each status as Bernoulli evidence that the type is useful:
// done is one success; dismissed one failure; "not relevant for this
// project" is a statement about the type itself, worth NotRelevantWeight
// failures; a snooze defers without judging and counts for nothing.
const NotRelevantWeight = 3

// PriorStrength is the prior's pseudo-count: two observations' worth, so
// the first piece of feedback moves the estimate visibly and a handful
// dominates it.
const PriorStrength = 2

// Multiplier bounds: a type is never ranked to zero by feedback alone (a
// mute does that) nor boosted past three times its severity.
const (
	MinMultiplier = 0.05
	MaxMultiplier = 3
)

// Prior is a Beta(Alpha, Beta) belief that an action type is useful.
type Prior struct{ Alpha, Beta float64 }

// Mean is the prior's expected usefulness.
func (p Prior) Mean() float64 { return p.Alpha / (p.Alpha + p.Beta) }

// PriorOf derives an action type's prior from its knowledge-base severity
// (0..1): a severe signature is more often acted on, so its prior mean is
// 0.25 + 0.5*severity (0.25..0.75) with PriorStrength pseudo-observations.
func PriorOf(severity float64) Prior {
	if math.IsNaN(severity) {
		severity = 0.5
	}
	m := 0.25 + 0.5*min(max(severity, 0), 1)
	return Prior{Alpha: PriorStrength * m, Beta: PriorStrength * (1 - m)}
}

// Priors maps every key of the knowledge base (entries and fallbacks) to its prior.
func Priors(kb *advisor.KnowledgeBase) map[string]Prior {
	out := map[string]Prior{}
	for _, es := range [][]*advisor.Entry{kb.Entries, kb.Fallbacks} {
		for _, e := range es {
			out[e.Key] = PriorOf(e.Severity)
		}
	}
	return out
}

// Feedback is one action's current status and its type.
type Feedback struct {
	Key    string `json:"key"` // action type (knowledge-base key); "" unknown: ignored
	Status string `json:"status"`
}

// Estimate is what the feedback on one action type says.
type Estimate struct {
	Key         string  `json:"key"`
	Done        int     `json:"done"`
	Dismissed   int     `json:"dismissed"`
	NotRelevant int     `json:"not_relevant"`
	Snoozed     int     `json:"snoozed"`
	Alpha       float64 `json:"alpha"` // posterior Beta parameters
	Beta        float64 `json:"beta"`
	PriorMean   float64 `json:"prior_mean"`
	Mean        float64 `json:"mean"`       // posterior expected usefulness
	Multiplier  float64 `json:"multiplier"` // Mean / PriorMean, clamped: what the ranking applies
}

// Events is how many pieces of feedback the estimate rests on.
func (e Estimate) Events() int { return e.Done + e.Dismissed + e.NotRelevant + e.Snoozed }

// Estimates combines feedback per action type with the priors (a type the
// knowledge base lacks gets PriorOf(0.5)), sorted by key.
func Estimates(fb []Feedback, priors map[string]Prior) []Estimate {
	by := map[string]*Estimate{}
	for _, f := range fb {
		if f.Key == "" {
			continue
		}
		e := by[f.Key]
		if e == nil {
			e = &Estimate{Key: f.Key}
			by[f.Key] = e
		}
		switch f.Status {
		case Done:
			e.Done++
		case Dismissed:
			e.Dismissed++
		case NotRelevant:
			e.NotRelevant++
		case Snoozed:
			e.Snoozed++
		}
	}
	out := make([]Estimate, 0, len(by))
	for k, e := range by {
		p, ok := priors[k]
		if !ok {
			p = PriorOf(0.5)
		}
		e.PriorMean = p.Mean()
		e.Alpha = p.Alpha + float64(e.Done)
		e.Beta = p.Beta + float64(e.Dismissed) + NotRelevantWeight*float64(e.NotRelevant)
		e.Mean = e.Alpha / (e.Alpha + e.Beta)
		e.Multiplier = min(max(e.Mean/e.PriorMean, MinMultiplier), MaxMultiplier)
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Preferences is the advisor's input: action key -> ranking multiplier,
// only for types with feedback (1 is neutral and left out).
func Preferences(es []Estimate) map[string]float64 {
	if len(es) == 0 {
		return nil
	}
	out := make(map[string]float64, len(es))
	for _, e := range es {
		if e.Multiplier != 1 {
			out[e.Key] = e.Multiplier
		}
	}
	return out
}

// Names maps every key of the knowledge base to its entry's name
// ("database connections / pool exhaustion"), for people.
func Names(kb *advisor.KnowledgeBase) map[string]string {
	out := map[string]string{}
	for _, es := range [][]*advisor.Entry{kb.Entries, kb.Fallbacks} {
		for _, e := range es {
			out[e.Key] = e.Name
		}
	}
	return out
}

// RollingScores is how many recent scores the project's rolling baseline
// averages (the PRD's 30-score rolling average).
const RollingScores = 30

// RollingAverage is the mean of the last RollingScores of scores (oldest
// first), and how many it averaged; 0, 0 for none.
func RollingAverage(scores []float64) (float64, int) {
	scores = scores[max(0, len(scores)-RollingScores):]
	var sum float64
	n := 0
	for _, s := range scores {
		if !math.IsNaN(s) {
			sum += s
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return math.Round(sum/float64(n)*10) / 10, n
}
