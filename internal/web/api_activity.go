package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/store"
)

// record appends kind to project pr's activity, with p as the actor (a
// token acting is recorded with its creator too) and the client's address.
// A failure to record is logged, not returned: the action it describes has
// already happened.
func (s *Server) record(r *http.Request, pr cloudsage.ProjectID, p auth.Principal, kind string, detail map[string]any) {
	if detail == nil {
		detail = map[string]any{}
	}
	detail["ip"] = s.clientIP(r)
	s.recordCtx(r.Context(), pr, p, kind, detail)
}

// recordCtx is record without a request (ingests from shippers).
func (s *Server) recordCtx(ctx context.Context, pr cloudsage.ProjectID, p auth.Principal, kind string, detail map[string]any) {
	a := store.Activity{ProjectID: pr, ActorUser: p.UserID, Kind: kind}
	if p.Token != nil {
		a.ActorToken, a.ActorUser = p.Token.ID, p.Token.CreatedBy
	}
	b, err := json.Marshal(detail)
	if err == nil {
		a.Detail = b
		_, err = s.store.AddActivity(ctx, a)
	}
	if err != nil {
		s.log.Error("record activity", "project_id", pr, "kind", kind, "error", err)
	}
}

// ingestActivityEvery is how often at most an ingest of one project through
// one protocol is written to the activity: shippers send a batch a second,
// and every batch is listed by GET /api/ingest/{id} anyway.
const ingestActivityEvery = time.Minute

// recordIngest adds a stored batch to the project's activity (at most once
// a minute per protocol), and a change of the risk label always. The actor
// is the principal in ctx, when the caller put one there.
func (s *Server) recordIngest(ctx context.Context, pr store.Project, proto string, b store.Batch) {
	p, _ := auth.PrincipalFrom(ctx)
	if b.Label != "" && pr.Label != "" && b.Label != pr.Label {
		s.recordCtx(ctx, pr.ID, p, "risk.label", map[string]any{"from": pr.Label, "to": b.Label, "score": b.Score, "batch_id": b.ID})
	}
	key := strconv.FormatInt(int64(pr.ID), 10) + "/" + proto
	now := s.now()
	s.ingestSeenMu.Lock()
	last, seen := s.ingestSeen[key]
	fresh := !seen || now.Sub(last) >= ingestActivityEvery
	if fresh {
		if s.ingestSeen == nil || len(s.ingestSeen) > 10000 {
			s.ingestSeen = map[string]time.Time{}
		}
		s.ingestSeen[key] = now
	}
	s.ingestSeenMu.Unlock()
	if fresh {
		s.recordCtx(ctx, pr.ID, p, "ingest", map[string]any{"batch_id": b.ID, "protocol": proto, "accepted": b.Accepted,
			"rejected": b.Rejected, "score": b.Score, "label": b.Label})
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
