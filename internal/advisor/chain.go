package advisor

import (
	"fmt"
	"time"
)

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

func advise(in Input, clock func() time.Time) Result {
	if in.HighThreshold <= 0 {
		in.HighThreshold = DefaultHighThreshold
	}
	if in.MediumThreshold <= 0 {
		in.MediumThreshold = DefaultMediumThreshold
	}
	name, look := branch(in)
	res := Result{Chain: Chain{Name: name, LookaheadHours: look}}
	for _, s := range []string{"context_analysis", "pattern_matching", "risk_assessment", "action_generation"} {
		res.Chain.Steps = append(res.Chain.Steps, Step{Name: s, Summary: fmt.Sprintf("score %.0f", in.Score)})
	}
	res.Actions = []Action{
		{ID: "a1", Key: "review_top_pattern", Title: "Review the most frequent log pattern", Priority: "low", Evidence: Evidence{Numbers: map[string]float64{"score": in.Score}}},
		{ID: "a2", Key: "watch_forecast", Title: fmt.Sprintf("Watch the forecast: peak %.0f within %d h", in.PeakScore, in.HorizonHours), Priority: "low", Evidence: Evidence{Numbers: map[string]float64{"peak": in.PeakScore}}},
		{ID: "a3", Key: "review_factors", Title: "Review the risk factors", Priority: "low", Evidence: Evidence{Numbers: map[string]float64{"score": in.Score}}},
	}
	return res
}
