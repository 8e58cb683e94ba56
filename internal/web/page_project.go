package web

import (
	"context"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/web/ui"
)

// projectPage builds a project's dashboard from what the last ingest
// stored: no analysis runs here (other horizons than 24 h come from the
// ingest service's cache).
func (s *Server) projectPage(ctx context.Context, pr store.Project, u store.User, horizon int) (ui.ProjectPage, error) {
	now := s.now()
	// Every read runs at once, so the page waits for its slowest chain
	// (the report, then the risk history whose window depends on it)
	// rather than for a dozen reads in a row, or for two rounds.
	var rep *ui.Report
	var statuses []store.ActionStatus
	var hist []store.RiskPoint
	var team teamData
	var learning learningData
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		body, _, err := s.ingest.Report(gctx, pr, horizon)
		switch {
		case store.IsNotFound(err):
		case err != nil:
			return err
		default:
			r, err := ui.DecodeReport(body)
			if err != nil {
				return err
			}
			rep = &r
		}
		end := now
		if rep != nil && ui.Stale(rep.At, now) {
			end = rep.At // old logs: their own 30 days (risk history is at event time)
		}
		hist, err = s.store.RiskHistory(gctx, pr.ID, end.Add(-30*24*time.Hour), time.Time{})
		return err
	})
	g.Go(func() error {
		var err error
		statuses, err = s.actionStatuses(gctx, pr.ID)
		return err
	})
	g.Go(func() error {
		var err error
		team, err = s.teamReads(gctx, pr)
		return err
	})
	g.Go(func() error {
		var err error
		learning, err = s.learningReads(gctx, pr)
		return err
	})
	if err := g.Wait(); err != nil {
		return ui.ProjectPage{}, err
	}
	pg := ui.NewProjectPage(pr, rep, statuses, hist, now)
	pg.User = u.Email
	teamPanel(pr, &pg, team) // pg.Team and the actions' comments
	pg.Learning = learningViewOf(learning, rep)
	return pg, nil
}

func pageHorizon(r *http.Request) int {
	h, err := horizonParam(r)
	if err != nil {
		return 24
	}
	return h
}

// GET /projects/{id}: score, factors, forecast with the chain, actions,
// risk history and top patterns.
func (s *Server) pageProjectShow(w http.ResponseWriter, r *http.Request) error {
	pr, u, err := s.pageProject(r, store.RoleViewer)
	if err != nil {
		return err
	}
	pg, err := s.projectPage(r.Context(), pr, u, pageHorizon(r))
	if err != nil {
		return err
	}
	return s.pages.ui.Page(w, http.StatusOK, "project", pg)
}

// GET /projects/{id}/panel/{panel}: one panel of the project page, for
// htmx swaps (the horizon switch, live refreshes).
func (s *Server) pageProjectPanel(w http.ResponseWriter, r *http.Request) error {
	pr, u, err := s.pageProject(r, store.RoleViewer)
	if err != nil {
		return err
	}
	name := r.PathValue("panel")
	switch name {
	case "score", "factors", "forecast", "actions", "patterns", "history":
	default:
		return cloudsage.Errorf(cloudsage.NotFound, "no panel %q", name)
	}
	pg, err := s.projectPage(r.Context(), pr, u, pageHorizon(r))
	if err != nil {
		return err
	}
	var data any = pg
	switch name {
	case "score":
		data = pg.Score
	case "forecast":
		data = pg.Forecast
	}
	return s.pages.ui.Fragment(w, http.StatusOK, name, data)
}

// POST /projects/{id}/actions/{actionId} (form: status): records feedback
// on an action. htmx gets an empty answer, so the action leaves the list.
func (s *Server) pageActionSet(w http.ResponseWriter, r *http.Request) error {
	pr, u, err := s.pageProject(r, store.RoleMember)
	if err != nil {
		return err
	}
	id, err := actionID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	a, err := s.actionStatus(pr.ID, id, u.ID, r.PostForm.Get("status"), "")
	if err != nil {
		return err
	}
	if err := s.saveAction(r, pr, auth.Principal{UserID: u.ID}, a); err != nil {
		return err
	}
	if isHTMX(r) {
		ui.SetHeaders(w.Header())
		w.WriteHeader(http.StatusOK)
		return nil
	}
	http.Redirect(w, r, ui.ProjectURL(pr.ID), http.StatusSeeOther)
	return nil
}
