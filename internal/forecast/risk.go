package forecast

import (
	"fmt"
	"math"
	"time"

	"github.com/cloudsage/cloudsage/internal/risk"
)

// This file composes the factor forecasts into a forecast of the risk
// score: each factor's hourly history is forecast (Predict), the forecast
// hours are scored against the baseline of their hour of day, and the
// result is anchored on the score now, with an ongoing episode's excess
// fading slowly and two scenarios when one is under way.

// Risk is the risk score forecast of a report.
type Risk struct {
	HorizonHours int         `json:"horizon_hours"`
	Points       []RiskPoint `json:"points"` // one per hour
	PHigh        float64     `json:"p_high"` // probability of reaching high within the horizon
	Confidence   float64     `json:"confidence"`
	Why          string      `json:"why"`
	PeakScore    float64     `json:"peak_score"`
	PeakTime     time.Time   `json:"peak_time"`
	HistoryHours int         `json:"history_hours"` // hourly history the models were fitted on
	Seasonal     bool        `json:"seasonal"`      // a daily season was allowed (>= 48 h of history)
	Factors      []Factor    `json:"factors"`
	// Scenarios split an ongoing episode's forecast in two, each with a band
	// of its own: "resolved" (it ends now and the score returns to what the
	// hourly models expect) and "persists" (it stays as it is). Points and
	// their band mix both, weighted by how likely the episode is to still
	// be going at each hour. Empty when no episode is under way.
	Scenarios []Scenario `json:"scenarios,omitempty"`
}

// Scenario is one way an ongoing episode can go.
type Scenario struct {
	Name        string      `json:"name"`        // "resolved", "persists"
	Title       string      `json:"title"`       // for people: "If it is resolved now"
	Probability float64     `json:"probability"` // chance this is how the next scenarioHours go
	Points      []RiskPoint `json:"points"`
}

// scenarioHours is the look-ahead the scenarios' probabilities are stated
// for: whether the episode is still going in 6 h.
const scenarioHours = 6

// RiskPoint is the forecast score of one hour, with its band.
type RiskPoint struct {
	Time  time.Time `json:"time"` // start of the hour
	Score float64   `json:"score"`
	Low   float64   `json:"low"`
	High  float64   `json:"high"`
}

// Factor is one risk factor's forecast, summarised.
type Factor struct {
	Name       string  `json:"name"`
	Unit       string  `json:"unit"`
	Model      string  `json:"model"`
	Confidence float64 `json:"confidence"`
	Why        string  `json:"why"`
	Last       float64 `json:"last"` // the latest hourly value
	Next       float64 `json:"next"` // the next hour's mean
	Peak       float64 `json:"peak"` // the highest mean within the horizon
	Low        float64 `json:"low"`  // the band at the peak
	High       float64 `json:"high"`
}

// RiskInput is what PredictRisk forecasts from.
type RiskInput struct {
	At      time.Time       // the report's time
	Horizon int             // hours ahead
	Now     risk.Assessment // the score now, with its factors
	// Hours are the hourly metrics up to At, oldest first: whole hours,
	// then the hour in progress (its Minutes say how much of it there is).
	// None: no events yet.
	Hours []risk.Metrics
	// Baseline is the current baseline (risk.LearnBaseline at At), the
	// forecast hours' baseline when there is too little history for one of
	// their hour of day.
	Baseline risk.Baseline
	Config   risk.Config // thresholds and weights the forecast hours are scored with
	Level    float64     // the bands' coverage, e.g. 0.8
}

// PredictRisk forecasts the risk score Horizon hours past At, hour by hour
// with a band, with each factor's forecast summarised, the probability of
// reaching high, and why.
func PredictRisk(in RiskInput) Risk {
	at, horizon, now, cfg := in.At, in.Horizon, in.Now, in.Config
	out := Risk{HorizonHours: horizon}
	if len(in.Hours) == 0 {
		out.Points = flatPoints(at.Truncate(time.Hour), horizon, now.Score)
		out.Why = "no events yet: the forecast repeats the current score"
		return out
	}
	rowM := in.Hours
	out.HistoryHours = len(rowM)
	out.Seasonal = len(rowM) >= 48
	period := 0
	if out.Seasonal {
		period = 24
	}
	last := rowM[len(rowM)-1]
	lastStart := at.Truncate(time.Hour)
	if len(rowM) == 1 && last.Minutes < 10 {
		// too little to forecast from
		out.Points = flatPoints(lastStart, horizon, now.Score)
		out.Why = "less than 10 minutes of history: the forecast repeats the current score"
		return out
	}

	// Per-factor hourly series.
	memUnit := now.Factor(risk.Memory).Unit
	hist := map[string][]float64{}
	for _, m := range rowM {
		add := func(name string, v float64, ok bool) {
			if !ok {
				v = math.NaN()
			}
			hist[name] = append(hist[name], v)
		}
		add(risk.ErrorRate, m.ErrorRate(), m.Events >= 5)
		add(risk.LogVolume, m.PerMinute(), true)
		add(risk.Latency, m.LatencyP95, m.LatencyN >= 5)
		if memUnit == "MB" {
			add(risk.Memory, m.MemMB, m.MemMBN > 0)
		} else {
			add(risk.Memory, m.MemPct, m.MemPctN > 0)
		}
		add(risk.CPU, m.CPU, m.CPUN > 0)
	}
	opts := map[string]Options{
		risk.ErrorRate: {Max: 1},
		risk.LogVolume: {},
		risk.Latency:   {},
		risk.Memory:    {},
		risk.CPU:       {Max: 100},
	}
	if memUnit == "%" {
		opts[risk.Memory] = Options{Max: 100}
	}
	fcs := map[string]Forecast{}
	for _, name := range risk.Names {
		h := hist[name]
		if !anyFinite(h) {
			continue
		}
		o := opts[name]
		o.Period, o.Horizon, o.Level, o.NonNegative = period, horizon, in.Level, true
		f, err := Predict(h, o)
		if err != nil || len(f.Points) < horizon {
			continue
		}
		fcs[name] = f
		fc := Factor{Name: name, Unit: now.Factor(name).Unit, Model: f.Model,
			Confidence: round(f.Confidence, 2), Why: f.Why, Last: round(lastFinite(h), 4), Next: round(f.Points[0].Mean, 4)}
		for _, p := range f.Points {
			if p.Mean > fc.Peak || fc.Peak == 0 {
				fc.Peak, fc.Low, fc.High = round(p.Mean, 4), round(p.Low, 4), round(p.High, 4)
			}
		}
		out.Factors = append(out.Factors, fc)
	}

	// Baselines per forecast hour: the median of the same hour of day in
	// history when there are three healthy days of it, else the current
	// baseline. Degraded hours are left out, as for the current baseline
	// (see risk.LearnBaseline). They depend on the hour of day only: each is
	// worked out once.
	base0 := in.Baseline
	ref := risk.Quantile(rowM[max(0, len(rowM)-1-7*24):len(rowM)-1], 0.25)
	var byHour [24]*risk.Baseline
	baseAt := func(step int) risk.Baseline {
		if len(rowM) < 72 {
			return base0
		}
		if b := byHour[step%24]; b != nil {
			return *b
		}
		var ms []risk.Metrics
		// row i covers lastStart - (len-1-i) hours; the forecast hour is lastStart + step hours
		for i := len(rowM) - 1 - (24 - step%24); i >= 0; i -= 24 {
			if i >= len(rowM)-1 || risk.Degraded(rowM[i], ref) {
				continue
			}
			ms = append(ms, rowM[i])
		}
		b := base0
		if len(ms) >= 3 {
			b = risk.Baseline{Metrics: risk.Median(ms), OK: true, Source: "same hour of day"}
		}
		byHour[step%24] = &b
		return b
	}

	// The latest hour's metrics fill in what no model forecasts.
	lastM := rowM[len(rowM)-1]
	metricsAt := func(step int, pick func(Point) float64) risk.Metrics {
		m := risk.Metrics{Minutes: 60}
		val := func(name string, fallback float64) (float64, bool) {
			f, ok := fcs[name]
			if !ok {
				return fallback, false
			}
			return pick(f.Points[step-1]), true
		}
		vol, _ := val(risk.LogVolume, lastM.PerMinute())
		m.Events = math.Max(vol, 0) * 60
		rate, _ := val(risk.ErrorRate, lastM.ErrorRate())
		m.Errors = clamp(rate, 0, 1) * m.Events
		m.HourEvents, m.HourErrors = m.Events, m.Errors // an hourly forecast: the hour is the range
		if v, ok := val(risk.Latency, 0); ok {
			m.LatencyP95, m.LatencyN = v, math.Max(lastM.LatencyN, 30)
		}
		if v, ok := val(risk.Memory, 0); ok {
			if memUnit == "MB" {
				m.MemMB, m.MemMBN = v, 1
			} else {
				m.MemPct, m.MemPctN = v, 1
			}
		}
		if v, ok := val(risk.CPU, 0); ok {
			m.CPU, m.CPUN = v, 1
		}
		return m
	}
	// Confidence: the factor models' confidences weighted by factor weight.
	var wsum, csum float64
	var driver Factor
	bestPts := -1.0
	for _, fc := range out.Factors {
		w := now.Factor(fc.Name).Weight
		wsum += w
		csum += w * fc.Confidence
		if pts := now.Factor(fc.Name).Points + w/100; pts > bestPts {
			bestPts, driver = pts, fc
		}
	}
	if wsum > 0 {
		out.Confidence = round(csum/wsum, 2)
	}
	// The models forecast hourly values, which score differently from the
	// recent window: anchor the first hour on the current score and let the
	// difference fade (15% an hour) into the models' forecast.
	mean := func(p Point) float64 { return p.Mean }
	low := func(p Point) float64 { return p.Low }
	high := func(p Point) float64 { return p.High }
	type triple struct{ m, lo, hi float64 }
	raw := make([]triple, horizon)
	for step := 1; step <= horizon; step++ {
		b := baseAt(step)
		sm := risk.ScoreValue(cfg, metricsAt(step, mean), b)
		sl := risk.ScoreValue(cfg, metricsAt(step, low), b)
		sh := risk.ScoreValue(cfg, metricsAt(step, high), b)
		raw[step-1] = triple{sm, math.Min(sm, math.Min(sl, sh)), math.Max(sm, math.Max(sl, sh))}
	}
	// An ongoing episode persists. When the score now is above what the
	// models expect, the models are behind: fitted on hourly history, they
	// take an episode's latest hours for outliers (until three in a row
	// confirm a shift) and forecast a return to the usual level within a few
	// hours. Problems rarely fix themselves that fast: without a sign of
	// recovery in the logs, the best guess for the next hours is that it
	// continues. So the forecast keeps the excess over the models, fading
	// with a half-life of episodeHalfLife hours (24: a long incident, a
	// degraded dependency or a full disk usually lasts the day until someone
	// acts, and one day is also when the daily season has come round). The
	// band shows both views: its low end is the models' "it ends now", its
	// high end "it stays as it is". Below the models' expectation (they see
	// a rise coming, or an episode that is ending), the score now anchors
	// the first hour and the difference fades quickly (15% an hour).
	excess := now.Score - raw[0].m
	episode := excess > 1
	sim := Forecast{Level: in.Level}
	var resolved, persists []RiskPoint
	for i, t := range raw {
		at := lastStart.Add(time.Duration(i+1) * time.Hour).UTC()
		if episode {
			resolved = append(resolved, bandPoint(at, t.m, t.lo, t.hi))
			// it stays as it is: the current score, moved by the models'
			// view of the hours ahead (the daily shape) as they see it
			// move the usual level
			d := t.m - raw[0].m
			persists = append(persists, bandPoint(at, now.Score+d, now.Score+d-(t.m-t.lo), now.Score+d+(t.hi-t.m)))
		}
		var m, lo, hi float64
		if episode {
			w := math.Pow(0.5, float64(i+1)/episodeHalfLife)
			m = t.m + w*math.Max(0, now.Score-t.m)
			lo, hi = math.Min(t.lo, m), math.Max(math.Max(t.hi, m), now.Score)
		} else {
			adj := excess * math.Pow(0.85, float64(i))
			m, lo, hi = t.m+adj, t.lo+adj, t.hi+adj
		}
		// The less the models are trusted, the more the band also covers
		// "it stays as it is now".
		persist := m + (1-out.Confidence)*(now.Score-m)
		lo, hi = math.Min(lo, persist), math.Max(hi, persist)
		p := RiskPoint{
			Time:  lastStart.Add(time.Duration(i+1) * time.Hour).UTC(),
			Score: round(clamp(m, 0, 100), 1),
			Low:   round(clamp(lo, 0, 100), 1),
			High:  round(clamp(hi, 0, 100), 1),
		}
		out.Points = append(out.Points, p)
		sim.Points = append(sim.Points, Point{Step: i + 1, Mean: p.Score, Low: p.Low, High: p.High})
		if p.Score > out.PeakScore || out.PeakTime.IsZero() {
			out.PeakScore, out.PeakTime = p.Score, p.Time
		}
	}
	out.PHigh = round(ProbAbove(sim, cfg.High), 3)
	if episode {
		p := round(math.Pow(0.5, scenarioHours/episodeHalfLife), 2)
		out.Scenarios = []Scenario{
			{Name: "persists", Title: fmt.Sprintf("If it persists (%.0f%% likely still going in %d h)", 100*p, scenarioHours), Probability: p, Points: persists},
			{Name: "resolved", Title: fmt.Sprintf("If it is resolved now (%.0f%%)", 100*(1-p)), Probability: round(1-p, 2), Points: resolved},
		}
	}

	season := "no daily season yet (it needs 48 h)"
	if out.Seasonal {
		season = "daily season allowed"
	}
	out.Why = fmt.Sprintf("%d h of hourly history, %s; confidence is the factor models' back-tested confidence weighted by factor weight", len(rowM), season)
	if episode {
		out.Why += fmt.Sprintf("; the score now (%.0f) is above what the hourly models expect (%.0f): an ongoing episode is taken to persist, fading with a %.0f h half-life, since problems rarely fix themselves (the band's low end is the models' view that it ends now, its high end that it stays; the scenarios show each view with its own band)",
			now.Score, raw[0].m, episodeHalfLife)
	}
	if driver.Name != "" {
		out.Why += fmt.Sprintf("; %s (the main factor now): %s", driver.Name, driver.Why)
	}
	return out
}

// episodeHalfLife is how many hours it takes an ongoing episode's excess
// over the models' forecast to halve (see PredictRisk).
const episodeHalfLife = 24.0

// bandPoint is a forecast point with its band, clamped to 0..100 and
// ordered (low <= score <= high).
func bandPoint(at time.Time, m, lo, hi float64) RiskPoint {
	m = clamp(m, 0, 100)
	return RiskPoint{Time: at, Score: round(m, 1), Low: round(clamp(math.Min(lo, m), 0, 100), 1), High: round(clamp(math.Max(hi, m), 0, 100), 1)}
}

func flatPoints(start time.Time, horizon int, score float64) []RiskPoint {
	pts := make([]RiskPoint, horizon)
	for i := range pts {
		pts[i] = RiskPoint{Time: start.Add(time.Duration(i+1) * time.Hour).UTC(), Score: score, Low: 0, High: 100}
	}
	return pts
}

func anyFinite(v []float64) bool {
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			return true
		}
	}
	return false
}

func lastFinite(v []float64) float64 {
	for i := len(v) - 1; i >= 0; i-- {
		if !math.IsNaN(v[i]) && !math.IsInf(v[i], 0) {
			return v[i]
		}
	}
	return 0
}

func clamp(v, lo, hi float64) float64 {
	if math.IsNaN(v) {
		return lo
	}
	return math.Min(hi, math.Max(lo, v))
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}
