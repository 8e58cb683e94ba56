package web

import (
	"encoding/json"
	"math"
	"net/http"
	"sort"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/learn"
	"github.com/cloudsage/cloudsage/internal/store"
)

// accuracyCut is the P(high) at which a stored forecast counts as calling high.
const accuracyCut = 0.5

// GET /api/forecast/{id}/accuracy: the kept forecasts whose horizon has
// passed, scored against the risk history that followed: hit rate,
// precision and recall of "high within the horizon" (called at P(high) >=
// 0.5), Brier score of P(high), and coverage of the band at the horizon's
// last hour by the score realised then; overall and per day.
func (s *Server) forecastAccuracy(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleViewer)
	if err != nil {
		return err
	}
	ctx := r.Context()
	now := s.now()
	rs, err := s.store.Reports(ctx, pr.ID, 1000)
	if err != nil {
		return err
	}
	type day struct {
		Day       string          `json:"day"`
		Scorecard learn.Scorecard `json:"scorecard"`
	}
	out := map[string]any{"project_id": pr.ID, "definition": "a kept forecast is scored once its horizon has passed: high = the project's risk label reached high " +
		"within the horizon (risk history); a forecast calls high at P(high) >= 0.5; band coverage = the realised score in the forecast's band for the horizon's last hour"}
	var all []learn.Outcome
	days := map[string][]learn.Outcome{}
	pending := 0
	if len(rs) > 0 {
		oldest := rs[len(rs)-1].At
		hist, err := s.store.RiskHistory(ctx, pr.ID, oldest, time.Time{})
		if err != nil {
			return err
		}
		for _, rep := range rs {
			h := time.Duration(max(rep.Horizon, 1)) * time.Hour
			if rep.At.Add(h).After(now) {
				pending++
				continue
			}
			o, ok, err := s.outcome(r, pr.ID, rep, h, hist)
			if err != nil {
				return err
			}
			if ok {
				all = append(all, o)
				d := rep.At.UTC().Format("2006-01-02")
				days[d] = append(days[d], o)
			}
		}
	}
	byDay := []day{}
	for d, os := range days {
		byDay = append(byDay, day{d, learn.Score(os, accuracyCut)})
	}
	sort.Slice(byDay, func(i, j int) bool { return byDay[i].Day < byDay[j].Day })
	out["pending"] = pending
	out["scored"] = len(all)
	out["scorecard"] = learn.Score(all, accuracyCut)
	out["by_day"] = byDay
	writeJSON(w, http.StatusOK, out)
	return nil
}

// outcome holds one kept forecast against the risk points after it; ok is
// false when no score was recorded within its horizon.
func (s *Server) outcome(r *http.Request, pr cloudsage.ProjectID, rep store.Report, h time.Duration, hist []store.RiskPoint) (learn.Outcome, bool, error) {
	o := learn.Outcome{Realised: math.NaN()}
	end := rep.At.Add(h)
	seen := false
	for _, p := range hist {
		if !p.At.After(rep.At) || p.At.After(end) {
			continue
		}
		seen = true
		o.ReachedHigh = o.ReachedHigh || p.Label == "high"
		if !p.At.Before(end.Add(-time.Hour)) {
			o.Realised = p.Score
		}
	}
	if !seen {
		return o, false, nil
	}
	body, err := s.store.ReportBody(r.Context(), pr, rep.ID)
	if err != nil {
		return o, false, err
	}
	var b struct {
		Forecast struct {
			PHigh  float64 `json:"p_high"`
			Points []struct {
				Low  float64 `json:"low"`
				High float64 `json:"high"`
			} `json:"points"`
		} `json:"forecast"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return o, false, err
	}
	o.PHigh = b.Forecast.PHigh
	if n := len(b.Forecast.Points); n > 0 {
		o.Low, o.High = b.Forecast.Points[n-1].Low, b.Forecast.Points[n-1].High
	} else {
		o.Realised = math.NaN()
	}
	return o, true, nil
}
