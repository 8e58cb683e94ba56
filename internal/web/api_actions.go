package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/store"
)

// POST /api/projects/{id}/actions/{actionId} {"status": "done"|"dismissed"|"snoozed"|"not_relevant", "until"?}:
// records feedback on a recommended action. Snoozing without until lasts 24 h.
// The action's type is looked up in the latest report, so the feedback
// teaches the ranking of that type (see package learn).
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
	if err := s.saveAction(r, pr, p, a); err != nil {
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
	case store.ActionDone, store.ActionDismissed, store.ActionNotRelevant:
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
		return a, cloudsage.Errorf(cloudsage.Invalid, `status must be "done", "dismissed", "snoozed" or "not_relevant"`)
	}
	return a, nil
}

// reportAction is action id as the project's latest report lists it: its
// type (knowledge-base key) and title; zero when the report does not list
// it (feedback on it is kept but teaches nothing).
func (s *Server) reportAction(ctx context.Context, pr store.Project, id string) (reportedAction, error) {
	body, _, err := s.ingest.Report(ctx, pr, 24)
	if store.IsNotFound(err) {
		return reportedAction{}, nil
	}
	if err != nil {
		return reportedAction{}, err
	}
	var rep struct {
		Actions []reportedAction `json:"actions"`
	}
	if err := json.Unmarshal(body, &rep); err != nil {
		return reportedAction{}, err
	}
	for _, a := range rep.Actions {
		if a.ID == id {
			return a, nil
		}
	}
	return reportedAction{}, nil
}

// reportedAction is what the handlers read of a report's action.
type reportedAction struct {
	ID    string `json:"id"`
	Key   string `json:"key"`
	Title string `json:"title"`
}

// actionTitle is action id's title in the latest report ("" when unknown).
func (s *Server) actionTitle(ctx context.Context, pr store.Project, id string) string {
	a, _ := s.reportAction(ctx, pr, id)
	return a.Title
}

// DELETE /api/projects/{id}/actions/{actionId}: removes the feedback on an
// action: it shows again and stops counting for its type.
func (s *Server) actionDelete(w http.ResponseWriter, r *http.Request) error {
	pr, p, err := s.access(r, store.RoleMember)
	if err != nil {
		return err
	}
	id, err := actionID(r)
	if err != nil {
		return err
	}
	if err := s.store.DeleteActionStatus(r.Context(), pr.ID, id); err != nil {
		return err
	}
	s.record(r, pr.ID, p, "action.reset", map[string]any{"action_id": id})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// saveAction stores feedback on an action by p, with its type, records it
// in the activity and tells the open pages.
func (s *Server) saveAction(r *http.Request, pr store.Project, p auth.Principal, a store.ActionStatus) error {
	ctx := r.Context()
	ra, err := s.reportAction(ctx, pr, a.ActionID)
	if err != nil {
		return err
	}
	a.Key = ra.Key
	if err := s.store.SetActionStatus(ctx, a); err != nil {
		return err
	}
	s.publishAction(a.ProjectID, a.ActionID, a.Status)
	detail := map[string]any{"action_id": a.ActionID, "status": a.Status, "title": ra.Title}
	if a.Until != nil {
		detail["until"] = a.Until
	}
	s.record(r, pr.ID, p, "action.status", detail)
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
