package web

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/store"
)

// record appends kind to project pr's activity, with p as the actor (a
// token acting is recorded with its creator too). A failure to record is
// logged, not returned: the action it describes has already happened.
func (s *Server) record(r *http.Request, pr cloudsage.ProjectID, p auth.Principal, kind string, detail map[string]any) {
	a := store.Activity{ProjectID: pr, ActorUser: p.UserID, Kind: kind}
	if p.Token != nil {
		a.ActorToken, a.ActorUser = p.Token.ID, p.Token.CreatedBy
	}
	if detail == nil {
		detail = map[string]any{}
	}
	detail["ip"] = s.clientIP(r)
	b, err := json.Marshal(detail)
	if err == nil {
		a.Detail = b
		_, err = s.store.AddActivity(r.Context(), a)
	}
	if err != nil {
		s.log.Error("record activity", "project_id", pr, "kind", kind, "error", err)
	}
}

// GET /api/projects/{id}/activity?before=&kind=&limit=: the project's
// activity, newest first; next_before pages on.
func (s *Server) activityList(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleViewer)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	aq := store.ActivityQuery{Project: pr.ID, Kind: q.Get("kind"), Limit: 100}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return cloudsage.Errorf(cloudsage.Invalid, "before=%q: want an activity id", v)
		}
		aq.Before = store.ActivityID(n)
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return cloudsage.Errorf(cloudsage.Invalid, "limit must be 1 to 1000")
		}
		aq.Limit = n
	}
	as, err := s.store.Activities(r.Context(), aq)
	if err != nil {
		return err
	}
	var next store.ActivityID
	if len(as) == aq.Limit {
		next = as[len(as)-1].ID
	}
	writeJSON(w, http.StatusOK, map[string]any{"activity": as, "next_before": next})
	return nil
}
