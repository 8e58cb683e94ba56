package web

import (
	"context"
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
	id, err := actionID(r)
	if err != nil {
		return err
	}
	var in struct {
		Status string `json:"status"`
		Until  string `json:"until"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	a, err := s.actionStatus(pr.ID, id, p.UserID, in.Status, in.Until)
	if err != nil {
		return err
	}
	if err := s.saveAction(r.Context(), a); err != nil {
		return err
	}
	a.UpdatedAt = s.now().UTC()
	writeJSON(w, http.StatusOK, a)
	return nil
}

// actionID is the {actionId} of the path; a malformed one is not found.
func actionID(r *http.Request) (string, error) {
	id := r.PathValue("actionId")
	if id == "" || len(id) > 128 || strings.ContainsAny(id, " \t\r\n/") {
		return "", cloudsage.Errorf(cloudsage.NotFound, "action not found")
	}
	return id, nil
}

// actionStatus checks feedback on an action: status done, dismissed or
// snoozed; until (RFC 3339, in the future) only when snoozed, where ""
// means 24 h from now.
func (s *Server) actionStatus(pr cloudsage.ProjectID, id string, uid cloudsage.UserID, status, until string) (store.ActionStatus, error) {
	a := store.ActionStatus{ProjectID: pr, ActionID: id, Status: status, UserID: uid}
	switch status {
	case store.ActionDone, store.ActionDismissed:
		if until != "" {
			return a, cloudsage.Errorf(cloudsage.Invalid, "until applies to snoozed actions only")
		}
	case store.ActionSnoozed:
		t := s.now().Add(24 * time.Hour)
		if until != "" {
			u, err := parseTime("until", until)
			if err != nil {
				return a, err
			}
			if !u.After(s.now()) {
				return a, cloudsage.Errorf(cloudsage.Invalid, "until must be in the future")
			}
			t = u
		}
		t = t.UTC()
		a.Until = &t
	default:
		return a, cloudsage.Errorf(cloudsage.Invalid, `status must be "done", "dismissed" or "snoozed"`)
	}
	return a, nil
}

// saveAction stores feedback on an action and tells the open pages.
func (s *Server) saveAction(ctx context.Context, a store.ActionStatus) error {
	if err := s.store.SetActionStatus(ctx, a); err != nil {
		return err
	}
	s.publishAction(a.ProjectID, a.ActionID, a.Status)
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
