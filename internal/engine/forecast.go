package engine

import (
	"math"
	"time"

	"github.com/cloudsage/cloudsage/internal/forecast"
	"github.com/cloudsage/cloudsage/internal/risk"
)

// The report's forecast types are the forecast package's (forecast.PredictRisk
// composes the risk forecast); the names here keep the report's vocabulary.
type (
	// Forecast is the risk forecast of a report.
	Forecast = forecast.Risk
	// ForecastPoint is the forecast score of one hour, with its band.
	ForecastPoint = forecast.RiskPoint
	// FactorForecast is one factor's forecast, summarised.
	FactorForecast = forecast.Factor
	// Scenario is one way an ongoing episode can go.
	Scenario = forecast.Scenario
)

// forecast runs the forecast stage: the hourly history the series holds up
// to at, and the current baseline, handed to forecast.PredictRisk.
func (e *Engine) forecast(at time.Time, horizon int, now risk.Assessment) Forecast {
	in := forecast.RiskInput{At: at, Horizon: horizon, Now: now, Config: e.cfg.Risk, Level: e.cfg.ForecastLevel}
	if !e.series.Empty() {
		in.Hours = e.hourMetrics(at)
		in.Baseline = risk.LearnBaseline(e.series, at, e.cfg.Risk)
	}
	return forecast.PredictRisk(in)
}

// hourMetrics returns the hourly history up to at: whole hours from the
// start of history (at most HistoryHours back), then the hour in progress,
// each as the metrics risk scores.
func (e *Engine) hourMetrics(at time.Time) []risk.Metrics {
	cur := at.Truncate(time.Hour)
	from := e.series.First().Truncate(time.Hour)
	if lim := cur.Add(-time.Duration(e.cfg.HistoryHours) * time.Hour); from.Before(lim) {
		from = lim
	}
	var rows []risk.Metrics
	aggs := e.series.Hourly(from, cur)
	first := e.series.First()
	for i, a := range aggs {
		mins := 60.0
		if i == 0 && first.After(from) {
			mins = math.Max(1, 60-first.Sub(from).Minutes())
		}
		rows = append(rows, risk.FromAgg(&a, mins))
	}
	to := at.Add(time.Second).Truncate(time.Second)
	if el := to.Sub(cur); el >= 10*time.Minute || len(rows) == 0 {
		a := e.series.Window(cur, to)
		mins := math.Max(1, el.Minutes())
		if first.After(cur) {
			mins = math.Max(1, to.Sub(first).Minutes())
		}
		rows = append(rows, risk.FromAgg(&a, mins))
	}
	return rows
}
