package web

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
)

func horizonParam(r *http.Request) (int, error) {
	switch v := strings.TrimSuffix(r.URL.Query().Get("horizon"), "h"); v {
	case "", "24":
		return 24, nil
	case "48":
		return 48, nil
	case "72":
		return 72, nil
	}
	return 0, cloudsage.Errorf(cloudsage.Invalid, "horizon=%q: want 24h, 48h or 72h", r.URL.Query().Get("horizon"))
}

// GET /api/forecast/{id}?horizon=24h|48h|72h: the report computed at the
// last ingest (risk, factors, forecast, chain, actions), with the actions
// the project marked done or dismissed — or snoozed until later — left out.
// On a warm replica it reads nothing from the database: the session, the
// membership and the action statuses come from the read cache, the report
// from the ingest service's, and its decoded form from forecastDocs.
func (s *Server) forecastShow(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.accessCached(r, store.RoleViewer)
	if err != nil {
		return err
	}
	h, err := horizonParam(r)
	if err != nil {
		return err
	}
	// The report and the actions' statuses are read at once (when either
	// has to come from the database).
	var serr error
	statuses, cachedStatuses := lookup(s.reads, s.reads.statuses, pr.ID)
	var done chan struct{}
	if !cachedStatuses {
		done = make(chan struct{})
		go func() { defer close(done); statuses, serr = s.actionStatuses(r.Context(), pr.ID) }()
	}
	body, rep, err := s.ingest.Report(r.Context(), pr, h)
	if done != nil {
		<-done
	}
	if store.IsNotFound(err) {
		writeJSON(w, http.StatusOK, map[string]any{
			"project_id": pr.ID, "events": 0, "message": "no logs yet: send some to POST /api/ingest/{id}",
			"risk": map[string]any{"score": 0, "label": "low", "factors": []any{}}, "forecast": map[string]any{"horizon_hours": h, "points": []any{}},
			"actions": []any{}, "patterns": []any{},
		})
		return nil
	}
	if err != nil {
		return err
	}
	if serr != nil {
		return serr
	}
	doc, err := s.docs.get(newDocKey(pr.ID, rep.CreatedAt, rep.At, h), body)
	if err != nil {
		return err
	}
	now := s.now()
	var hidden map[string]bool
	for _, a := range statuses {
		if a.Hidden(now) {
			if hidden == nil {
				hidden = map[string]bool{}
			}
			hidden[a.ActionID] = true
		}
	}
	// The answer is the stored report's own (valid, compact) JSON put
	// together with the per-request fields, keys in order as
	// encoding/json writes a map, without re-encoding the report.
	var kept []json.RawMessage
	for i, a := range doc.actions {
		if !hidden[doc.ids[i]] {
			kept = append(kept, a)
		}
	}
	narrative := doc.narrative
	if s.narrator.On() {
		key := fmt.Sprintf("%d/%d/%d", pr.ID, rep.CreatedAt.UnixNano(), h)
		narrative, _ = json.Marshal(s.narrator.Narrate(r.Context(), key, doc.findings))
	}
	extra := map[string][]byte{"actions": joinJSON(kept), "hidden_actions": strconv.AppendInt(nil, int64(len(doc.actions)-len(kept)), 10),
		"project_id": strconv.AppendInt(nil, int64(pr.ID), 10), "narrative": narrative}
	extra["computed_at"], _ = json.Marshal(rep.CreatedAt)
	b := make([]byte, 0, doc.size+256+len(narrative))
	b = append(b, '{')
	first := true
	field := func(k string, v []byte) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = strconv.AppendQuote(b, k)
		b = append(b, ':')
		b = append(b, v...)
	}
	i := 0
	for _, k := range doc.keys {
		for ; i < len(extraKeys) && extraKeys[i] < k; i++ {
			field(extraKeys[i], extra[extraKeys[i]])
		}
		if i < len(extraKeys) && extraKeys[i] == k { // the request's value replaces the report's
			field(k, extra[k])
			i++
			continue
		}
		field(k, doc.fields[k])
	}
	for ; i < len(extraKeys); i++ {
		field(extraKeys[i], extra[extraKeys[i]])
	}
	b = append(b, '}', '\n')
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	return nil
}

// extraKeys are the fields forecastShow adds to a report, sorted.
var extraKeys = []string{"actions", "computed_at", "hidden_actions", "narrative", "project_id"}

// joinJSON is the JSON array of vs.
func joinJSON(vs []json.RawMessage) []byte {
	b := []byte{'['}
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, v...)
	}
	return append(b, ']')
}

// actionStatuses returns the project's action statuses (shared: read
// only), from the read cache when it holds them.
func (s *Server) actionStatuses(ctx context.Context, id cloudsage.ProjectID) ([]store.ActionStatus, error) {
	return read(s.reads, s.reads.statuses, id, func() ([]store.ActionStatus, error) { return s.store.ActionStatuses(ctx, id) })
}

// filterActions drops hidden actions from a report's JSON.
func filterActions(body []byte, statuses []store.ActionStatus, now time.Time) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	hidden := map[string]bool{}
	for _, a := range statuses {
		if a.Hidden(now) {
			hidden[a.ActionID] = true
		}
	}
	var acts []json.RawMessage
	if raw, ok := m["actions"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &acts); err != nil {
			return nil, err
		}
	}
	kept := []json.RawMessage{}
	for _, a := range acts {
		var id struct {
			ID string `json:"id"`
		}
		json.Unmarshal(a, &id)
		if !hidden[id.ID] {
			kept = append(kept, a)
		}
	}
	m["actions"], _ = json.Marshal(kept)
	m["hidden_actions"], _ = json.Marshal(len(acts) - len(kept))
	return m, nil
}

// GET /api/forecast/{id}/history?limit=: the kept forecasts, newest first.
func (s *Server) forecastHistory(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleViewer)
	if err != nil {
		return err
	}
	limit, err := intParam(r, "limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	rs, err := s.store.Reports(r.Context(), pr.ID, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"forecasts": rs})
	return nil
}

// GET /api/forecast/{id}/risk-history?from=&to=: the score after each ingest.
func (s *Server) riskHistory(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleViewer)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	from, err := parseTime("from", q.Get("from"))
	if err != nil {
		return err
	}
	to, err := parseTime("to", q.Get("to"))
	if err != nil {
		return err
	}
	if from.IsZero() {
		from = s.now().Add(-30 * 24 * time.Hour)
	}
	if !to.IsZero() && !to.After(from) {
		return cloudsage.Errorf(cloudsage.Invalid, "to must be after from")
	}
	ps, err := s.store.RiskHistory(r.Context(), pr.ID, from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"points": ps})
	return nil
}

// trend summarises risk points over a window.
type trend struct {
	Points  int     `json:"points"`
	Average float64 `json:"average"`
	Change  float64 `json:"change"`        // last score - first score in the window
	PerDay  float64 `json:"slope_per_day"` // least-squares slope
}

func trendOf(ps []store.RiskPoint, from time.Time) trend {
	var t trend
	var xs, ys []float64
	for _, p := range ps {
		if p.At.Before(from) {
			continue
		}
		xs = append(xs, p.At.Sub(from).Hours()/24)
		ys = append(ys, p.Score)
	}
	t.Points = len(ys)
	if len(ys) == 0 {
		return t
	}
	var sx, sy float64
	for i := range ys {
		sx += xs[i]
		sy += ys[i]
	}
	n := float64(len(ys))
	t.Average = round1(sy / n)
	t.Change = round1(ys[len(ys)-1] - ys[0])
	var num, den float64
	for i := range ys {
		num += (xs[i] - sx/n) * (ys[i] - sy/n)
		den += (xs[i] - sx/n) * (xs[i] - sx/n)
	}
	if den > 0 {
		t.PerDay = round1(num / den)
	}
	return t
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// GET /api/analytics/trends: every project of the caller with its score,
// label and 7- and 30-day trends.
func (s *Server) analyticsTrends(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.visibleProjects(r)
	if err != nil {
		return err
	}
	now := s.now()
	type row struct {
		ID           cloudsage.ProjectID `json:"id"`
		Name         string              `json:"name"`
		Score        float64             `json:"score"`
		Label        string              `json:"label"`
		Events       int64               `json:"events"`
		LastIngestAt *time.Time          `json:"last_ingest_at"`
		Trend7       trend               `json:"trend_7d"`
		Trend30      trend               `json:"trend_30d"`
	}
	out := []row{}
	for _, pr := range ps {
		hist, err := s.store.RiskHistory(r.Context(), pr.ID, now.Add(-30*24*time.Hour), time.Time{})
		if err != nil {
			return err
		}
		label := pr.Label
		if label == "" {
			label = "low"
		}
		out = append(out, row{ID: pr.ID, Name: pr.Name, Score: pr.Score, Label: label, Events: pr.Events, LastIngestAt: pr.LastIngestAt,
			Trend7: trendOf(hist, now.Add(-7*24*time.Hour)), Trend30: trendOf(hist, now.Add(-30*24*time.Hour))})
	}
	writeJSON(w, http.StatusOK, map[string]any{"projects": out, "at": now.UTC()})
	return nil
}
