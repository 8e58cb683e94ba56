package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/query"
	"github.com/cloudsage/cloudsage/internal/store"
)

// searchParams are the logs search parameters a saved search keeps.
var searchParams = []string{"q", "level", "service", "host", "pattern", "from", "to"}

// savedQuery checks a saved search's query string and keeps only the
// search parameters, in a stable order.
func savedQuery(raw string) (string, error) {
	v, err := url.ParseQuery(raw)
	if err != nil {
		return "", cloudsage.Errorf(cloudsage.Invalid, "query %q is not a URL query string (q=...&level=...)", raw)
	}
	out := url.Values{}
	for _, k := range searchParams {
		if x := v.Get(k); x != "" {
			out.Set(k, x)
		}
	}
	if len(out) == 0 {
		return "", cloudsage.Errorf(cloudsage.Invalid, "a saved search needs at least one of q, level, service, host, pattern, from or to")
	}
	if _, err := query.Parse(out.Get("q")); err != nil {
		return "", err
	}
	if _, bad := parseLevels(out.Get("level")); len(bad) > 0 {
		return "", cloudsage.Errorf(cloudsage.Invalid, "level=%q: want trace, debug, info, warn, error, fatal or unknown", bad[0])
	}
	for _, k := range []string{"from", "to"} {
		if _, err := parseTime(k, out.Get(k)); err != nil {
			return "", err
		}
	}
	return out.Encode(), nil
}

// GET /api/projects/{id}/searches: the project's saved searches by name.
func (s *Server) searchList(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleViewer)
	if err != nil {
		return err
	}
	ss, err := s.store.SavedSearches(r.Context(), pr.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"searches": ss})
	return nil
}

// POST /api/projects/{id}/searches {"name": ..., "query": "q=...&level=..."}:
// saves a search for everyone in the project (members and admins).
func (s *Server) searchCreate(w http.ResponseWriter, r *http.Request) error {
	pr, p, err := s.access(r, store.RoleMember)
	if err != nil {
		return err
	}
	var in struct {
		Name  string `json:"name"`
		Query string `json:"query"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	q, err := savedQuery(in.Query)
	if err != nil {
		return err
	}
	ss, err := s.store.SaveSearch(r.Context(), store.SavedSearch{ProjectID: pr.ID, Name: in.Name, Query: q, CreatedBy: p.UserID})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, ss)
	return nil
}

// DELETE /api/projects/{id}/searches/{searchId}
func (s *Server) searchDelete(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleMember)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("searchId"), 10, 64)
	if err != nil {
		return store.NotFoundf("saved search not found")
	}
	if err := s.store.DeleteSearch(r.Context(), pr.ID, store.SearchID(id)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
