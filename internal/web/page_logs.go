package web

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/web/ui"
)

// GET /projects/{id}/logs?q=&level=&pattern=&service=&from=&to=&cursor=&tail=:
// the API's search as a page, with matches highlighted, level and pattern
// facets and a live tail.
func (s *Server) pageLogs(w http.ResponseWriter, r *http.Request) error {
	pr, u, err := s.pageProject(r, store.RoleViewer)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := ui.LogFilter{Q: q.Get("q"), Level: q.Get("level"), Pattern: q.Get("pattern"), Service: q.Get("service"), From: q.Get("from"), To: q.Get("to")}
	pg := ui.LogsPage{
		Layout: s.projectLayout("Logs", "logs", pr, u),
		Filter: f,
	}
	cursor := q.Get("cursor")
	pg.Tail = cursor == "" && q.Get("tail") != "0"
	self := filterValues(f)
	pg.SelfURL = ui.ProjectURL(pr.ID, "logs") + encode(self)
	toggle := filterValues(f)
	if pg.Tail {
		toggle.Set("tail", "0")
		pg.Live = ui.ProjectURL(pr.ID, "live")
	}
	pg.TailURL = ui.ProjectURL(pr.ID, "logs") + encode(toggle)

	eq := store.EventQuery{Project: pr.ID, Q: f.Q, Pattern: cloudsage.PatternID(f.Pattern), Service: f.Service, Cursor: cursor, Limit: 100}
	var probs []string
	if len(eq.Q) > 500 {
		probs = append(probs, "the search is longer than 500 characters")
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
			return err
		}
		for _, e := range page.Events {
			pg.Lines = append(pg.Lines, ui.NewLogLine(pr.ID, e, f.Q))
		}
		if page.NextCursor != "" {
			next := filterValues(f)
			next.Set("cursor", page.NextCursor)
			pg.NextURL = ui.ProjectURL(pr.ID, "logs") + encode(next)
		}
	}
	if err := s.logFacets(r, pr, f, &pg); err != nil {
		return err
	}
	if isHTMX(r) && r.Header.Get("HX-Target") == "loglines" {
		return s.pages.ui.Fragment(w, code, "loglines", pg)
	}
	return s.pages.ui.Page(w, code, "logs", pg)
}

// logFacets fills the level and pattern filters with the counts of the
// project's latest report (the whole history the engine has seen).
func (s *Server) logFacets(r *http.Request, pr store.Project, f ui.LogFilter, pg *ui.LogsPage) error {
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
	levels := map[string]int64{}
	for _, p := range rep.Patterns {
		for lv, n := range p.Levels {
			levels[lv] += n
		}
	}
	link := func(name, value string) string {
		v := filterValues(f)
		v.Del("cursor")
		if v.Get(name) == value {
			v.Del(name)
		} else {
			v.Set(name, value)
		}
		return ui.ProjectURL(pr.ID, "logs") + encode(v)
	}
	for _, lv := range []string{"fatal", "error", "warn", "info", "debug", "trace", "unknown"} {
		if n := levels[lv]; n > 0 {
			pg.Levels = append(pg.Levels, ui.Facet{Name: lv, Title: lv, Count: n, URL: link("level", lv), Active: f.Level == lv})
		}
	}
	pats := slices.Clone(rep.Patterns)
	slices.SortStableFunc(pats, func(a, b ui.ReportPattern) int { return cmp.Compare(b.Count, a.Count) })
	for _, p := range pats[:min(len(pats), 15)] {
		pg.Patterns = append(pg.Patterns, ui.Facet{Name: string(p.ID), Title: p.Template, Count: p.Count,
			URL: link("pattern", string(p.ID)), Active: f.Pattern == string(p.ID)})
	}
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
