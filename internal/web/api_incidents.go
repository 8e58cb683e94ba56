package web

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/web/ui"
)

// GET /api/projects/{id}/incidents: the project's incidents, newest first
// (opened at high, closed after a while at low), with their signatures.
func (s *Server) incidentList(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleViewer)
	if err != nil {
		return err
	}
	is, err := s.store.Incidents(r.Context(), pr.ID, 200)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"incidents": is})
	return nil
}

// incidentID is the {incidentId} of the path; a malformed one is not found.
func incidentID(r *http.Request) (store.IncidentID, error) {
	id, err := strconv.ParseInt(r.PathValue("incidentId"), 10, 64)
	if err != nil || id <= 0 {
		return 0, cloudsage.Errorf(cloudsage.NotFound, "incident not found")
	}
	return store.IncidentID(id), nil
}

// GET /api/projects/{id}/incidents/{incidentId}
func (s *Server) incidentShow(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleViewer)
	if err != nil {
		return err
	}
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	inc, err := s.store.Incident(r.Context(), pr.ID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, inc)
	return nil
}

// PUT /api/projects/{id}/incidents/{incidentId} {"title", "root_cause", "fix"}:
// members describe an incident, so that it is matched when trouble starts
// again ("Looks like 'orders DB pool exhausted' on 3 Oct: fixed by ...").
func (s *Server) incidentUpdate(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleMember)
	if err != nil {
		return err
	}
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	var n store.Notes
	if err := readJSON(r, &n); err != nil {
		return err
	}
	inc, err := s.annotateIncident(r, pr, id, n)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, inc)
	return nil
}

// annotateIncident checks and stores an incident's notes.
func (s *Server) annotateIncident(r *http.Request, pr store.Project, id store.IncidentID, n store.Notes) (store.Incident, error) {
	n.Title, n.RootCause, n.Fix = strings.TrimSpace(n.Title), strings.TrimSpace(n.RootCause), strings.TrimSpace(n.Fix)
	var probs []string
	if n.Title == "" || len(n.Title) > 200 {
		probs = append(probs, "title must be 1 to 200 characters")
	}
	if len(n.RootCause) > 2000 || len(n.Fix) > 2000 {
		probs = append(probs, "root_cause and fix must be at most 2000 characters")
	}
	if !utf8.ValidString(n.Title + n.RootCause + n.Fix) {
		probs = append(probs, "notes must be UTF-8 text")
	}
	if len(probs) > 0 {
		return store.Incident{}, cloudsage.Errorf(cloudsage.Invalid, "%s", strings.Join(probs, "; "))
	}
	return s.store.AnnotateIncident(r.Context(), pr.ID, id, n)
}

// POST /projects/{id}/incidents/{incidentId} (form: title, root_cause,
// fix): the project page's incident notes.
func (s *Server) pageIncidentUpdate(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.pageProject(r, store.RoleMember)
	if err != nil {
		return err
	}
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := r.PostForm
	if _, err := s.annotateIncident(r, pr, id, store.Notes{Title: f.Get("title"), RootCause: f.Get("root_cause"), Fix: f.Get("fix")}); err != nil {
		return err
	}
	http.Redirect(w, r, ui.ProjectURL(pr.ID, "")+"#incidents", http.StatusSeeOther)
	return nil
}
