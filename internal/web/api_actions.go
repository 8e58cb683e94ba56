package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
)

// POST /api/projects/{id}/actions/{actionId} {"status": "done"|"dismissed"|"snoozed", "until"?}:
// records feedback on a recommended action. Snoozing without until lasts 24 h.
func (s *Server) actionSet(w http.ResponseWriter, r *http.Request) error {
	pr, p, err := s.access(r, store.RoleMember)
	if err != nil {
		return err
	}
	id := r.PathValue("actionId")
	if id == "" || len(id) > 128 || strings.ContainsAny(id, " \t\r\n/") {
		return cloudsage.Errorf(cloudsage.NotFound, "action not found")
	}
	var in struct {
		Status string `json:"status"`
		Until  string `json:"until"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	a := store.ActionStatus{ProjectID: pr.ID, ActionID: id, Status: in.Status, UserID: p.UserID}
	switch in.Status {
	case store.ActionDone, store.ActionDismissed:
		if in.Until != "" {
			return cloudsage.Errorf(cloudsage.Invalid, "until applies to snoozed actions only")
		}
	case store.ActionSnoozed:
		until := s.now().Add(24 * time.Hour)
		if in.Until != "" {
			t, err := time.Parse(time.RFC3339, in.Until)
			if err != nil {
				return cloudsage.Errorf(cloudsage.Invalid, "until=%q: want an RFC 3339 time", in.Until)
			}
			if !t.After(s.now()) {
				return cloudsage.Errorf(cloudsage.Invalid, "until must be in the future")
			}
			until = t
		}
		until = until.UTC()
		a.Until = &until
	default:
		return cloudsage.Errorf(cloudsage.Invalid, `status must be "done", "dismissed" or "snoozed"`)
	}
	if err := s.store.SetActionStatus(r.Context(), a); err != nil {
		return err
	}
	a.UpdatedAt = s.now().UTC()
	s.publishAction(pr.ID, id, a.Status)
	writeJSON(w, http.StatusOK, a)
	return nil
}

// GET /api/projects/{id}/actions: the recorded feedback.
func (s *Server) actionList(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleViewer)
	if err != nil {
		return err
	}
	as, err := s.store.ActionStatuses(r.Context(), pr.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"actions": as})
	return nil
}
