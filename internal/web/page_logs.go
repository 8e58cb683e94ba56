package web

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/query"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/web/ui"
)

// GET /projects/{id}/logs?q=&level=&pattern=&service=&host=&from=&to=&cursor=&tail=:
// the API's search as a page, with matches highlighted, level, service,
// host and pattern facets, saved searches and a live tail.
func (s *Server) pageLogs(w http.ResponseWriter, r *http.Request) error {
	pr, u, err := s.pageProject(r, store.RoleViewer)
	if err != nil {
		return err
	}
	lines := isHTMX(r) && r.Header.Get("HX-Target") == "loglines"
	pg, code, err := s.logsPage(r, pr, u, !lines)
	if err != nil {
		return err
	}
	if lines {
		return s.pages.ui.Fragment(w, code, "loglines", pg)
	}
	return s.pages.ui.Page(w, code, "logs", pg)
}

// logsPage builds the logs page of the request's search; a bad search is
// the page with its error and status 400. Only the lines are filled unless
// full (the live tail's refresh needs no facets).
func (s *Server) logsPage(r *http.Request, pr store.Project, u store.User, full bool) (ui.LogsPage, int, error) {
	q := r.URL.Query()
	f := ui.LogFilter{Q: q.Get("q"), Level: q.Get("level"), Pattern: q.Get("pattern"), Service: q.Get("service"), Host: q.Get("host"), From: q.Get("from"), To: q.Get("to")}
	pg := ui.LogsPage{
		Layout: s.projectLayout("Logs", "logs", pr, u),
		Filter: f,
	}
	cursor := q.Get("cursor")
	pg.Tail = cursor == "" && q.Get("tail") != "0"
	self := filterValues(f)
	pg.SelfURL = ui.ProjectURL(pr.ID, "logs") + encode(self)
	pg.SaveQuery = self.Encode()
	toggle := filterValues(f)
	if pg.Tail {
		toggle.Set("tail", "0")
		pg.Live = ui.ProjectURL(pr.ID, "live")
	}
	pg.TailURL = ui.ProjectURL(pr.ID, "logs") + encode(toggle)

	eq := store.EventQuery{Project: pr.ID, Q: f.Q, Pattern: cloudsage.PatternID(f.Pattern), Service: f.Service, Host: f.Host, Cursor: cursor, Limit: 100}
	var probs []string
	if len(eq.Q) > 500 {
		probs = append(probs, "the search is longer than 500 characters")
	}
	parsed, qerr := query.Parse(eq.Q)
	if qerr != nil {
		probs = append(probs, cloudsage.MessageOf(qerr))
	}
	levels, bad := parseLevels(f.Level)
	eq.Levels = levels
	for _, l := range bad {
		probs = append(probs, "unknown level "+l)
	}
	var terr error
	if eq.From, terr = parseTime("from", f.From); terr != nil {
		probs = append(probs, cloudsage.MessageOf(terr))
	}
	if eq.To, terr = parseTime("to", f.To); terr != nil {
		probs = append(probs, cloudsage.MessageOf(terr))
	}
	code := http.StatusOK
	if len(probs) > 0 {
		pg.Error = strings.Join(probs, "; ")
		code = http.StatusBadRequest
	} else {
		page, err := s.store.SearchEvents(r.Context(), eq)
		if k := cloudsage.KindOf(err); k == cloudsage.Invalid {
			pg.Error, code = cloudsage.MessageOf(err), http.StatusBadRequest
		} else if err != nil {
			return pg, 0, err
		}
		hl := strings.Join(parsed.Text(), " ")
		for _, e := range page.Events {
			pg.Lines = append(pg.Lines, ui.NewLogLine(pr.ID, e, hl))
		}
		if page.NextCursor != "" {
			next := filterValues(f)
			next.Set("cursor", page.NextCursor)
			pg.NextURL = ui.ProjectURL(pr.ID, "logs") + encode(next)
		}
		if cursor == "" && full {
			if err := s.searchFacets(r, pr, f, eq, &pg); err != nil {
				return pg, 0, err
			}
		}
	}
	if !full {
		return pg, code, nil
	}
	if pr.LastIngestAt != nil {
		newest, err := s.store.SearchEvents(r.Context(), store.EventQuery{Project: pr.ID, Limit: 1})
		if err != nil {
			return pg, 0, err
		}
		if len(newest.Events) > 0 {
			pg.Newest = newest.Events[0].Time
			pg.Layout.DataTo = pg.Newest
		}
	}
	if err := s.patternFacets(r, pr, f, &pg); err != nil {
		return pg, 0, err
	}
	saved, err := s.store.SavedSearches(r.Context(), pr.ID)
	if err != nil {
		return pg, 0, err
	}
	for _, ss := range saved {
		pg.Saved = append(pg.Saved, ui.SavedSearchView{Name: ss.Name, URL: ui.ProjectURL(pr.ID, "logs") + "?" + ss.Query,
			Active: ss.Query == pg.SaveQuery, DeleteURL: ui.ProjectURL(pr.ID, "searches/"+strconv.FormatInt(int64(ss.ID), 10)+"/delete")})
	}
	return pg, code, nil
}

// facetLink is the logs URL of f with name set to value, or unset when it
// already has that value.
func facetLink(pr store.Project, f ui.LogFilter, name, value string) string {
	v := filterValues(f)
	v.Del("cursor")
	if v.Get(name) == value {
		v.Del(name)
	} else {
		v.Set(name, value)
	}
	return ui.ProjectURL(pr.ID, "logs") + encode(v)
}

// searchFacets fills the level, service and host filters with the counts of
// the events the search matches.
func (s *Server) searchFacets(r *http.Request, pr store.Project, f ui.LogFilter, eq store.EventQuery, pg *ui.LogsPage) error {
	fc, err := s.store.EventFacets(r.Context(), eq)
	if cloudsage.KindOf(err) == cloudsage.Invalid {
		return nil // the search itself reports it
	}
	if err != nil {
		return err
	}
	pg.FacetsCounted, pg.FacetsComplete = fc.Counted, fc.Complete
	for _, lv := range []string{"fatal", "error", "warn", "info", "debug", "trace", "unknown"} {
		if n := fc.Levels[lv]; n > 0 || f.Level == lv {
			pg.Levels = append(pg.Levels, ui.Facet{Name: lv, Title: lv, Count: n, URL: facetLink(pr, f, "level", lv), Active: f.Level == lv})
		}
	}
	top := func(counts map[string]int64, name, active string) []ui.Facet {
		var out []ui.Facet
		for k, n := range counts {
			out = append(out, ui.Facet{Name: k, Title: k, Count: n, URL: facetLink(pr, f, name, k), Active: active == k})
		}
		slices.SortFunc(out, func(a, b ui.Facet) int {
			if c := cmp.Compare(b.Count, a.Count); c != 0 {
				return c
			}
			return strings.Compare(a.Name, b.Name)
		})
		return out[:min(len(out), 15)]
	}
	pg.Services = top(fc.Services, "service", f.Service)
	pg.Hosts = top(fc.Hosts, "host", f.Host)
	return nil
}

// patternFacets fills the pattern filters with the counts of the project's
// latest report (the whole history the engine has seen).
func (s *Server) patternFacets(r *http.Request, pr store.Project, f ui.LogFilter, pg *ui.LogsPage) error {
	body, _, err := s.ingest.Report(r.Context(), pr, 24)
	if store.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	rep, err := ui.DecodeReport(body)
	if err != nil {
		return err
	}
	pats := slices.Clone(rep.Patterns)
	slices.SortStableFunc(pats, func(a, b ui.ReportPattern) int { return cmp.Compare(b.Count, a.Count) })
	for _, p := range pats[:min(len(pats), 15)] {
		pg.Patterns = append(pg.Patterns, ui.Facet{Name: string(p.ID), Title: p.Template, Count: p.Count,
			URL: facetLink(pr, f, "pattern", string(p.ID)), Active: f.Pattern == string(p.ID)})
	}
	return nil
}

// POST /projects/{id}/searches (form: name, query): saves the search and
// shows it.
func (s *Server) pageSearchSave(w http.ResponseWriter, r *http.Request) error {
	pr, u, err := s.pageProject(r, store.RoleMember)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	raw := r.PostForm.Get("query")
	q, err := savedQuery(raw)
	if err == nil {
		_, err = s.store.SaveSearch(r.Context(), store.SavedSearch{ProjectID: pr.ID, Name: r.PostForm.Get("name"), Query: q, CreatedBy: u.ID})
	}
	if k := cloudsage.KindOf(err); k == cloudsage.Invalid || k == cloudsage.Conflict {
		r.URL.RawQuery = raw
		pg, _, lerr := s.logsPage(r, pr, u, true)
		if lerr != nil {
			return lerr
		}
		pg.Error = cloudsage.MessageOf(err)
		return s.pages.ui.Page(w, statusOf(k), "logs", pg)
	}
	if err != nil {
		return err
	}
	seeOther(w, r, ui.ProjectURL(pr.ID, "logs")+"?"+q)
	return nil
}

// POST /projects/{id}/searches/{searchId}/delete
func (s *Server) pageSearchDelete(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.pageProject(r, store.RoleMember)
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
	seeOther(w, r, ui.ProjectURL(pr.ID, "logs"))
	return nil
}

func filterValues(f ui.LogFilter) url.Values {
	v := url.Values{}
	for _, kv := range [][2]string{{"q", f.Q}, {"level", f.Level}, {"pattern", f.Pattern}, {"service", f.Service}, {"from", f.From}, {"to", f.To}} {
		if kv[1] != "" {
			v.Set(kv[0], kv[1])
		}
	}
	return v
}

func encode(v url.Values) string {
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}
