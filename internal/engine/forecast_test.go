package engine

import (
	"math"
	"strings"
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

// An ongoing episode persists in the forecast: a few hours on, the score is
// still near the current one (a slow, stated decay), and the band spans the
// models' "it ends now" and "it stays".
func TestForecastEpisodePersists(t *testing.T) {
	e := New(DefaultConfig())
	for _, l := range scenarioByName(t, "db_pool_exhaustion").generate() {
		e.AddLine(l)
	}
	e.Flush()
	r := e.Report(e.LastEventTime(), 24)
	now := r.Risk.Score
	if now < 70 {
		t.Fatalf("score now %v, want a high episode to forecast from", now)
	}
	p3, p24 := r.Forecast.Points[2], r.Forecast.Points[23]
	if p3.Score < 0.85*now {
		t.Errorf("3 h on the forecast is %v, want at least %v (the episode persists)", p3.Score, 0.85*now)
	}
	if p24.Score >= p3.Score || p24.Score < 0.4*now {
		t.Errorf("24 h on the forecast is %v (3 h: %v), want a slow decay to about half", p24.Score, p3.Score)
	}
	if p3.High < now-0.5 || p3.Low > p3.Score-10 {
		t.Errorf("band at 3 h %v-%v, want it to reach the current %v and the models' lower view", p3.Low, p3.High, now)
	}
	if !strings.Contains(r.Forecast.Why, "half-life") {
		t.Errorf("Why does not state the decay: %s", r.Forecast.Why)
	}
	// a calm service has no episode to persist
	c := New(DefaultConfig())
	for _, l := range scenarioByName(t, "calm").generate() {
		c.AddLine(l)
	}
	c.Flush()
	if cr := c.Report(c.LastEventTime(), 24); strings.Contains(cr.Forecast.Why, "half-life") {
		t.Errorf("calm forecast claims an episode: %s", cr.Forecast.Why)
	}
}
