package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/settings"
	"github.com/cloudsage/cloudsage/internal/store"
)

// GET /api/projects: the caller's projects (a token sees its own project).
func (s *Server) projectList(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.visibleProjects(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"projects": ps})
	return nil
}

// visibleProjects are the caller's projects, each with the caller's role:
// a user's memberships, or a token's own project.
func (s *Server) visibleProjects(r *http.Request) ([]store.Project, error) {
	p, err := s.principal(r)
	if err != nil {
		return nil, err
	}
	if p.Token == nil {
		return s.store.Projects(r.Context(), p.UserID)
	}
	pr, err := s.store.ProjectByID(r.Context(), p.Token.ProjectID)
	if err != nil {
		return nil, err
	}
	pr.Role = p.Token.Role
	return []store.Project{pr}, nil
}

func validName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return name, cloudsage.Errorf(cloudsage.Invalid, "name must be 1 to 100 characters")
	}
	return name, nil
}

// projectInput is the body of POST and PUT: settings fields given replace
// the current ones, the rest stay.
type projectInput struct {
	Name     *string         `json:"name"`
	Settings json.RawMessage `json:"settings"`
}

// POST /api/projects {"name", "settings"?}: creates a project; the caller is its admin.
func (s *Server) projectCreate(w http.ResponseWriter, r *http.Request) error {
	p, err := s.user(r)
	if err != nil {
		return err
	}
	var in projectInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if in.Name == nil {
		return cloudsage.Errorf(cloudsage.Invalid, "name is required")
	}
	name, err := validName(*in.Name)
	if err != nil {
		return err
	}
	set, err := settings.Patch(settings.Default(), in.Settings)
	if err != nil {
		return err
	}
	if err := s.checkProjectLimit(r.Context(), p.UserID); err != nil {
		return err
	}
	if err := s.checkRetentionDays(r.Context(), p.UserID, set.RetentionDays); err != nil {
		return err
	}
	pr, err := s.store.CreateProject(r.Context(), p.UserID, store.Project{Name: name, Settings: set})
	if err != nil {
		return err
	}
	pr.Label = "low"
	w.Header().Set("Location", "/api/projects/"+strconv.FormatInt(int64(pr.ID), 10))
	writeJSON(w, http.StatusCreated, pr)
	return nil
}

// GET /api/projects/{id}
func (s *Server) projectShow(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleViewer)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pr)
	return nil
}

// PUT /api/projects/{id} {"name"?, "settings"?}: admins change the name
// and settings (thresholds, factor thresholds, retention, time zone).
func (s *Server) projectUpdate(w http.ResponseWriter, r *http.Request) error {
	pr, p, err := s.access(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	before := pr
	var in projectInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if in.Name != nil {
		if pr.Name, err = validName(*in.Name); err != nil {
			return err
		}
	}
	if pr.Settings, err = settings.Patch(pr.Settings, in.Settings); err != nil {
		return err
	}
	if err := s.checkRetentionLimit(r.Context(), pr.ID, pr.Settings.RetentionDays); err != nil {
		return err
	}
	if err := s.store.UpdateProject(r.Context(), pr); err != nil {
		return err
	}
	s.recordSettings(r, p, before, pr)
	writeJSON(w, http.StatusOK, pr)
	return nil
}

// DELETE /api/projects/{id}: admins delete a project and all its data.
func (s *Server) projectDelete(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	if err := s.deleteProject(r.Context(), pr.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deleteProject deletes a project with all its data and drops what ingest
// keeps of it in memory.
func (s *Server) deleteProject(ctx context.Context, id cloudsage.ProjectID) error {
	if err := s.store.DeleteProject(ctx, id); err != nil {
		return err
	}
	s.ingest.Forget(id)
	return nil
}

// recordSettings adds a change of a project's name or settings by p to its
// activity, with each changed field's old and new value.
func (s *Server) recordSettings(r *http.Request, p auth.Principal, before, after store.Project) {
	changes := settings.Changes(before.Settings, after.Settings)
	if before.Name != after.Name {
		changes["name"] = map[string]any{"from": before.Name, "to": after.Name}
	}
	if len(changes) > 0 {
		s.record(r, after.ID, p, "project.settings", map[string]any{"changes": changes})
	}
}
