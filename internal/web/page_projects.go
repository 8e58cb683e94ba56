package web

import (
	"context"
	"net/http"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/web/ui"
)

// GET /projects: a card per project (score, label, 7-day sparkline, last
// update), "+ New project", recent activity and the engine's status.
func (s *Server) pageProjects(w http.ResponseWriter, r *http.Request) error {
	p, u, err := s.pageUser(r)
	if err != nil {
		return err
	}
	pg, err := s.projectsPage(r.Context(), p.UserID, u)
	if err != nil {
		return err
	}
	return s.pages.ui.Page(w, http.StatusOK, "projects", pg)
}

func (s *Server) projectsPage(ctx context.Context, uid cloudsage.UserID, u store.User) (ui.ProjectsPage, error) {
	now := s.now()
	pg := ui.ProjectsPage{Layout: ui.Layout{Title: "Projects", User: u.Email, Now: now}}
	ps, err := s.store.Projects(ctx, uid)
	if err != nil {
		return pg, err
	}
	batches := map[cloudsage.ProjectID][]store.Batch{}
	for _, pr := range ps {
		week, err := s.store.RiskHistory(ctx, pr.ID, now.Add(-7*24*time.Hour), time.Time{})
		if err != nil {
			return pg, err
		}
		card := ui.NewProjectCard(pr, week, now)
		if card.Critical, err = s.openCritical(ctx, pr.ID, now); err != nil {
			return pg, err
		}
		pg.Cards = append(pg.Cards, card)
		if batches[pr.ID], err = s.store.Batches(ctx, pr.ID, 8); err != nil {
			return pg, err
		}
	}
	ui.SortCards(pg.Cards)
	pg.Activity = ui.NewActivity(ps, batches, 12)
	pg.Engine = s.engineStatus(ctx)
	return pg, nil
}

// openCritical counts the project's open critical actions: those of its
// latest report that no feedback hides.
func (s *Server) openCritical(ctx context.Context, id cloudsage.ProjectID, now time.Time) (int, error) {
	rep, err := s.store.LatestReport(ctx, id)
	if store.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	st, err := s.store.ActionStatuses(ctx, id)
	if err != nil {
		return 0, err
	}
	return ui.OpenCritical(rep.Body, st, now), nil
}

// engineStatus measures the store's round trip; analysis runs in-process.
func (s *Server) engineStatus(ctx context.Context) ui.EngineStatus {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	start := time.Now()
	err := s.store.Ping(ctx)
	st := ui.EngineStatus{Healthy: err == nil, Text: "Healthy: analysis runs in-process at every ingest",
		Store: s.store.Dialect(), LatencyMS: float64(time.Since(start).Microseconds()) / 1000, Version: cloudsage.Version}
	if err != nil {
		st.Text = "Store unreachable"
		s.log.Error("status: store ping", "error", err)
	}
	return st
}

// POST /projects (form: name): creates a project and opens its ingest page.
func (s *Server) pageProjectCreate(w http.ResponseWriter, r *http.Request) error {
	p, u, err := s.pageUser(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	name, err := validName(r.PostForm.Get("name"))
	if err == nil {
		var pr store.Project
		pr, err = s.store.CreateProject(r.Context(), p.UserID, store.Project{Name: name, Settings: store.DefaultSettings()})
		if err == nil {
			seeOther(w, r, ui.ProjectURL(pr.ID, "ingest"))
			return nil
		}
	}
	if k := cloudsage.KindOf(err); k != cloudsage.Invalid && k != cloudsage.Conflict {
		return err
	}
	pg, lerr := s.projectsPage(r.Context(), p.UserID, u)
	if lerr != nil {
		return lerr
	}
	pg.Error, pg.Name = cloudsage.MessageOf(err), name
	return s.pages.ui.Page(w, http.StatusBadRequest, "projects", pg)
}
