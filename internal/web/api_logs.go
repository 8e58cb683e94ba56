package web

import (
	"net/http"
	"strings"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/query"
	"github.com/cloudsage/cloudsage/internal/store"
)

// GET /api/projects/{id}/logs?q=&level=&pattern=&service=&host=&from=&to=&limit=&cursor=
// answers {"events": [...], "next_cursor": ...}, newest first. q is the
// search syntax of package query (words, "phrases", field:value, -word).
func (s *Server) logList(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleViewer)
	if err != nil {
		return err
	}
	eq, err := eventQuery(r, pr.ID)
	if err != nil {
		return err
	}
	page, err := s.store.SearchEvents(r.Context(), eq)
	if err != nil {
		return err
	}
	// The same bytes as writeJSON of {"events", "next_cursor"}, rendered
	// by hand (see event_json.go).
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(eventPageJSON(page.Events, page.NextCursor))
	return nil
}

// GET /api/projects/{id}/logs/facets?(the search's parameters): the
// events the search matches counted by level, service and host.
func (s *Server) logFacetList(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleViewer)
	if err != nil {
		return err
	}
	eq, err := eventQuery(r, pr.ID)
	if err != nil {
		return err
	}
	f, err := s.store.EventFacets(r.Context(), eq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

// eventQuery reads a search's parameters; a bad one is an Invalid error
// naming it.
func eventQuery(r *http.Request, project cloudsage.ProjectID) (store.EventQuery, error) {
	q := r.URL.Query()
	eq := store.EventQuery{Project: project, Q: q.Get("q"), Pattern: cloudsage.PatternID(q.Get("pattern")),
		Service: q.Get("service"), Host: q.Get("host"), Cursor: q.Get("cursor")}
	if len(eq.Q) > 500 {
		return eq, cloudsage.Errorf(cloudsage.Invalid, "q is longer than 500 characters")
	}
	if _, err := query.Parse(eq.Q); err != nil {
		return eq, err
	}
	var err error
	if eq.Limit, err = intParam(r, "limit", 100, 1, store.MaxEventLimit); err != nil {
		return eq, err
	}
	var bad []string
	if eq.Levels, bad = parseLevels(q.Get("level")); len(bad) > 0 {
		return eq, cloudsage.Errorf(cloudsage.Invalid, "level=%q: want trace, debug, info, warn, error, fatal or unknown (comma-separated)", bad[0])
	}
	if eq.From, err = parseTime("from", q.Get("from")); err != nil {
		return eq, err
	}
	if eq.To, err = parseTime("to", q.Get("to")); err != nil {
		return eq, err
	}
	return eq, nil
}

// parseLevels reads a comma-separated list of levels (blank items are
// skipped); bad holds the items that name no level.
func parseLevels(list string) (levels []cloudsage.Level, bad []string) {
	for l := range strings.SplitSeq(list, ",") {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		lv := cloudsage.ParseLevel(l)
		if lv == cloudsage.LevelUnknown && !strings.EqualFold(l, "unknown") {
			bad = append(bad, l)
			continue
		}
		levels = append(levels, lv)
	}
	return levels, bad
}

// GET /api/projects/{id}/patterns?limit=: mined patterns, most frequent first.
func (s *Server) patternList(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleViewer)
	if err != nil {
		return err
	}
	limit, err := intParam(r, "limit", 200, 1, 10000)
	if err != nil {
		return err
	}
	ps, err := s.store.Patterns(r.Context(), pr.ID, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"patterns": ps})
	return nil
}
