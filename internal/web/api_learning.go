package web

import (
	"context"
	"maps"
	"net/http"
	"sync"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/advisor"
	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/ingest"
	"github.com/cloudsage/cloudsage/internal/learn"
	"github.com/cloudsage/cloudsage/internal/risk"
	"github.com/cloudsage/cloudsage/internal/store"
)

// kbNames maps the knowledge base's action types to their names.
var kbNames = sync.OnceValue(func() map[string]string { return learn.Names(advisor.DefaultKB()) })

// learning is what a project learned, as the API and the project page show it.
type learning struct {
	FeedbackEvents int              `json:"feedback_events"`
	Types          []learn.Estimate `json:"types"`
	Feedback       []store.Feedback `json:"feedback"` // one opinion per user and action
	Overrides      []store.Override `json:"overrides"`
	Changes        []learn.Change   `json:"changes"` // what feedback and overrides changed, for people
}

func (s *Server) learned(ctx context.Context, pr store.Project) (learning, error) {
	var l learning
	var err error
	// Feedback and overrides change only through the API: read through
	// the read cache (shared slices, read only).
	if l.Feedback, err = read(s.reads, s.reads.feedback, pr.ID, func() ([]store.Feedback, error) { return s.store.ActionFeedback(ctx, pr.ID) }); err != nil {
		return l, err
	}
	l.Types = ingest.Estimates(l.Feedback)
	if l.Overrides, err = read(s.reads, s.reads.override, pr.ID, func() ([]store.Override, error) { return s.store.Overrides(ctx, pr.ID) }); err != nil {
		return l, err
	}
	for _, e := range l.Types {
		l.FeedbackEvents += e.Events()
	}
	names := kbNames()
	if hasExpected(l.Overrides) { // their targets are patterns: name them
		if ps, err := s.store.Patterns(ctx, pr.ID, 10000); err == nil {
			names = maps.Clone(names)
			for _, p := range ps {
				names[string(p.ID)] = p.Template
			}
		}
	}
	list := make([]learn.Override, len(l.Overrides))
	for i, o := range l.Overrides {
		list[i] = o.Override
	}
	l.Changes = learn.Changes(l.Types, learn.Collect(list), names)
	if l.Changes == nil {
		l.Changes = []learn.Change{}
	}
	return l, nil
}

func hasExpected(os []store.Override) bool {
	for _, o := range os {
		if o.Kind == learn.Expected {
			return true
		}
	}
	return false
}

// GET /api/projects/{id}/learning: what the feedback taught — the estimate
// per action type (counts, posterior, the ranking multiplier applied from
// the next ingest on), each user's feedback, the overrides and what all of
// it changed.
func (s *Server) learningShow(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleViewer)
	if err != nil {
		return err
	}
	l, err := s.learned(r.Context(), pr)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

// GET /api/projects/{id}/overrides: the project's manual overrides.
func (s *Server) overrideList(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleViewer)
	if err != nil {
		return err
	}
	os, err := s.store.Overrides(r.Context(), pr.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"overrides": os})
	return nil
}

// POST /api/projects/{id}/overrides {"kind": "pin"|"mute"|"threshold"|"expected", "target", "value"?}:
// admins pin or mute an action type, set a factor's high level or mark a
// pattern as expected. It applies from the next ingest on.
func (s *Server) overrideSet(w http.ResponseWriter, r *http.Request) error {
	pr, p, err := s.access(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	var in learn.Override
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if err := s.setOverride(r, pr, p, in); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, in)
	return nil
}

// setOverride checks o against what it names and stores it.
func (s *Server) setOverride(r *http.Request, pr store.Project, p auth.Principal, o learn.Override) error {
	if err := learn.CheckOverride(o); err != nil {
		return cloudsage.Errorf(cloudsage.Invalid, "invalid override: %s", err)
	}
	switch o.Kind {
	case learn.Pin, learn.Mute:
		if _, ok := kbNames()[o.Target]; !ok {
			return cloudsage.Errorf(cloudsage.Invalid, "invalid override: %q is not an action type of the knowledge base", o.Target)
		}
	case learn.Threshold:
		cfg := risk.DefaultConfig()
		if err := cfg.SetHighLevels(map[string]float64{o.Target: o.Value}); err != nil {
			return cloudsage.Errorf(cloudsage.Invalid, "invalid override: %s", err)
		}
	}
	if err := s.store.SetOverride(r.Context(), pr.ID, store.Override{Override: o, UserID: p.UserID}); err != nil {
		return err
	}
	s.record(r, pr.ID, p, "override.set", map[string]any{"kind": o.Kind, "target": o.Target, "value": o.Value})
	return nil
}

// DELETE /api/projects/{id}/overrides/{kind}/{target}: removes an override.
func (s *Server) overrideDelete(w http.ResponseWriter, r *http.Request) error {
	pr, p, err := s.access(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	if err := s.deleteOverride(r, pr, p, r.PathValue("kind"), r.PathValue("target")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) deleteOverride(r *http.Request, pr store.Project, p auth.Principal, kind, target string) error {
	if err := s.store.DeleteOverride(r.Context(), pr.ID, kind, target); err != nil {
		return err
	}
	s.record(r, pr.ID, p, "override.removed", map[string]any{"kind": kind, "target": target})
	return nil
}

// GET /api/projects/{id}/learning/state: the learned state as a file for
// `cloudsage analyze --state` (see learn.State).
func (s *Server) learningState(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleViewer)
	if err != nil {
		return err
	}
	st, err := s.learnedState(r.Context(), pr.ID)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", `attachment; filename="cloudsage-state.json"`)
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) learnedState(ctx context.Context, id cloudsage.ProjectID) (learn.State, error) {
	st := learn.State{Version: learn.StateVersion, Feedback: []learn.Feedback{}}
	fb, err := s.store.ActionFeedback(ctx, id)
	if err != nil {
		return st, err
	}
	for _, f := range fb {
		st.Feedback = append(st.Feedback, learn.Feedback{Key: f.Key, Status: f.Status})
	}
	if st.Overrides, err = s.ingest.Overrides(ctx, id); err != nil {
		return st, err
	}
	incs, err := s.store.Incidents(ctx, id, 200)
	if err != nil {
		return st, err
	}
	for _, inc := range incs {
		if inc.ClosedAt != nil && (inc.Title != "" || inc.Fix != "") {
			st.Incidents = append(st.Incidents, learn.Memory{ID: int64(inc.ID), OpenedAt: inc.OpenedAt, Title: inc.Title,
				RootCause: inc.RootCause, Fix: inc.Fix, Signature: inc.Signature})
		}
	}
	return st, nil
}
