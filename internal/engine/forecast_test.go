package engine

import (
	"math"
	"testing"
	"time"
)

func TestForecast(t *testing.T) {
	tests := []struct {
		name      string
		hours     int
		errs      func(m int) int
		pHighMin  float64
		pHighMax  float64
		seasonal  bool
		rising    bool // the forecast's later points above its first
		confident bool // confidence above 0.2
	}{
		{"calm, three days", 72, func(int) int { return 0 }, 0, 0.05, true, false, true},
		{"errors climbing for six hours", 24, func(m int) int { return max(0, (m-18*60)/30) }, 0.2, 1, false, false, false},
		{"short history", 2, func(int) int { return 0 }, 0, 0.05, false, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := New(DefaultConfig())
			feed(e, 0, tc.hours*60, func(m int) int { return 20 + 6*int(math.Round(math.Sin(float64(m)/229))) }, tc.errs, "request served")
			r := e.Report(e.LastEventTime(), 48)
			f := r.Forecast
			if f.PHigh < tc.pHighMin || f.PHigh > tc.pHighMax {
				t.Errorf("p_high = %v, want in [%v, %v]", f.PHigh, tc.pHighMin, tc.pHighMax)
			}
			if f.Seasonal != tc.seasonal || f.HistoryHours < tc.hours {
				t.Errorf("seasonal %v over %d h, want %v over >= %d", f.Seasonal, f.HistoryHours, tc.seasonal, tc.hours)
			}
			if tc.confident && f.Confidence < 0.2 {
				t.Errorf("confidence = %v, want > 0.2 (%s)", f.Confidence, f.Why)
			}
			// anchored on the current score
			if d := math.Abs(f.Points[0].Score - r.Risk.Score); d > 1 {
				t.Errorf("first point %v, current score %v: want the forecast anchored on now", f.Points[0].Score, r.Risk.Score)
			}
			if f.Why == "" || len(f.Factors) == 0 {
				t.Errorf("why %q, %d factor forecasts", f.Why, len(f.Factors))
			}
		})
	}
}

func TestForecastRisingAboveCalm(t *testing.T) {
	// a service degrading slowly over its last 18 hours (more 5xx, slower,
	// more memory) against the same service calm
	p := func(sc scenario) (float64, float64) {
		e := New(DefaultConfig())
		for _, l := range sc.generate() {
			e.AddLine(l)
		}
		e.Flush()
		r := e.Report(e.LastEventTime(), 24)
		return r.Forecast.PHigh, r.Risk.Score
	}
	calm, calmScore := p(scenario{name: "calm", stack: "nginx", hours: 48})
	rising, risingScore := p(scenario{name: "rising", stack: "nginx", hours: 48, incident: 18 * 60,
		minute: func(g *gen, t time.Time, _ float64, m *minute) {
			s := 1 - scenarioEnd.Sub(t).Hours()/18 // 0 -> 1 over the incident
			m.errProb, m.latMul, m.mem, m.cpu = 0.08*s, 1+4*s, 55+30*s, 25+40*s
		}})
	if !(rising > calm) || !(risingScore > calmScore) {
		t.Errorf("p_high rising %v (score %v), calm %v (score %v): want rising above calm", rising, risingScore, calm, calmScore)
	}
}
