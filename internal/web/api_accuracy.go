package web

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"sort"
	"sync"
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
	acc, err := s.accuracy(r.Context(), pr.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"project_id": pr.ID, "definition": accuracyDefinition,
		"pending": acc.Pending, "scored": acc.Scored, "scorecard": acc.Scorecard, "by_day": acc.ByDay})
	return nil
}

const accuracyDefinition = "a kept forecast is scored once its horizon has passed: high = the project's risk label reached high " +
	"within the horizon (risk history); a forecast calls high at P(high) >= 0.5; band coverage = the realised score in the forecast's band for the horizon's last hour"

// accuracy is how the project's kept forecasts fared: overall and per day.
type accuracy struct {
	Pending   int             `json:"pending"` // horizon not passed yet
	Scored    int             `json:"scored"`
	Scorecard learn.Scorecard `json:"scorecard"`
	ByDay     []accuracyDay   `json:"by_day"`
}

type accuracyDay struct {
	Day       string          `json:"day"`
	Scorecard learn.Scorecard `json:"scorecard"`
}

// accuracy scores the project's kept forecasts whose horizon has passed.
func (s *Server) accuracy(ctx context.Context, pr cloudsage.ProjectID) (accuracy, error) {
	var acc accuracy
	now := s.now()
	rs, err := s.store.Reports(ctx, pr, 1000)
	if err != nil {
		return acc, err
	}
	var all []learn.Outcome
	days := map[string][]learn.Outcome{}
	if len(rs) > 0 {
		oldest := rs[len(rs)-1].At
		hist, err := s.store.RiskHistory(ctx, pr, oldest, time.Time{})
		if err != nil {
			return acc, err
		}
		for _, rep := range rs {
			h := time.Duration(max(rep.Horizon, 1)) * time.Hour
			if rep.At.Add(h).After(now) {
				acc.Pending++
				continue
			}
			o, ok, err := s.outcome(ctx, pr, rep, h, hist)
			if err != nil {
				return acc, err
			}
			if ok {
				all = append(all, o)
				d := rep.At.UTC().Format("2006-01-02")
				days[d] = append(days[d], o)
			}
		}
	}
	acc.ByDay = []accuracyDay{}
	for d, os := range days {
		acc.ByDay = append(acc.ByDay, accuracyDay{d, learn.Score(os, accuracyCut)})
	}
	sort.Slice(acc.ByDay, func(i, j int) bool { return acc.ByDay[i].Day < acc.ByDay[j].Day })
	acc.Scored = len(all)
	acc.Scorecard = learn.Score(all, accuracyCut)
	return acc, nil
}

// outcome holds one kept forecast against the risk points after it; ok is
// false when no score was recorded within its horizon.
func (s *Server) outcome(ctx context.Context, pr cloudsage.ProjectID, rep store.Report, h time.Duration, hist []store.RiskPoint) (learn.Outcome, bool, error) {
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
	c, err := s.calls.get(ctx, s.store, pr, rep)
	if err != nil {
		return o, false, err
	}
	o.PHigh = c.pHigh
	if c.banded {
		o.Low, o.High = c.low, c.high
	} else {
		o.Realised = math.NaN()
	}
	return o, true, nil
}

// call is what a kept forecast said: P(high) and the band of its last hour.
type call struct {
	pHigh, low, high float64
	banded           bool // the forecast had points, so a band
}

// forecastCalls remembers what kept forecasts said. A kept forecast's body
// never changes, so the accuracy shown on every project page reads and
// decodes each body once, not once per page view. Bounded: it starts
// afresh when full.
type forecastCalls struct {
	mu sync.Mutex
	m  map[callKey]call
}

// callKey names a kept forecast by id and time: SQLite may give a deleted
// forecast's id to a new one.
type callKey struct {
	id int64
	at int64
}

const maxForecastCalls = 50_000

// reportBodies is what forecastCalls needs of the store.
type reportBodies interface {
	ReportBody(ctx context.Context, project cloudsage.ProjectID, id int64) ([]byte, error)
}

func (fc *forecastCalls) get(ctx context.Context, st reportBodies, pr cloudsage.ProjectID, rep store.Report) (call, error) {
	k := callKey{rep.ID, rep.At.UnixNano()}
	fc.mu.Lock()
	c, ok := fc.m[k]
	fc.mu.Unlock()
	if ok {
		return c, nil
	}
	body, err := st.ReportBody(ctx, pr, rep.ID)
	if err != nil {
		return c, err
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
		return c, err
	}
	c.pHigh = b.Forecast.PHigh
	if n := len(b.Forecast.Points); n > 0 {
		c.low, c.high, c.banded = b.Forecast.Points[n-1].Low, b.Forecast.Points[n-1].High, true
	}
	fc.mu.Lock()
	if fc.m == nil || len(fc.m) >= maxForecastCalls {
		fc.m = make(map[callKey]call)
	}
	fc.m[k] = c
	fc.mu.Unlock()
	return c, nil
}
