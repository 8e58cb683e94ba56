package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/advisor"
	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/learn"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/web/ui"
)

// overridesView is the overrides part of the settings page.
func (s *Server) overridesView(r *http.Request, pr store.Project) (ui.OverridesView, error) {
	v := ui.OverridesView{Kinds: learn.Kinds, Types: kbNames()}
	l, err := s.learned(r.Context(), pr)
	if err != nil {
		return v, err
	}
	text := map[string]string{}
	for _, c := range l.Changes {
		text[c.Kind+"\x00"+c.Target] = c.Text
	}
	for _, o := range l.Overrides {
		v.List = append(v.List, ui.OverrideView{Override: o, Text: text[o.Kind+"\x00"+o.Target]})
	}
	return v, nil
}

// POST /projects/{id}/settings/overrides (form: kind, target, value): admins
// add an override.
func (s *Server) pageOverrideSet(w http.ResponseWriter, r *http.Request) error {
	pr, u, err := s.pageProject(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := r.PostForm
	o := learn.Override{Kind: f.Get("kind"), Target: strings.TrimSpace(f.Get("target"))}
	var probs []string
	if v := strings.TrimSpace(f.Get("value")); v != "" && o.Kind == learn.Threshold {
		if o.Value, err = strconv.ParseFloat(v, 64); err != nil {
			probs = append(probs, "value must be a number")
		}
	}
	return s.settingsAnswer(w, r, pr, u, probs, "overrides", func() error { return s.setOverride(r, pr, auth.Principal{UserID: u.ID}, o) })
}

// settingsAnswer ends a settings form: with no problems yet it runs save;
// an Invalid error joins the problems, which the page shows (400);
// without any it redirects to the settings' anchor.
func (s *Server) settingsAnswer(w http.ResponseWriter, r *http.Request, pr store.Project, u store.User, probs []string, anchor string, save func() error) error {
	if len(probs) == 0 {
		if err := save(); cloudsage.KindOf(err) == cloudsage.Invalid {
			probs = append(probs, cloudsage.MessageOf(err))
		} else if err != nil {
			return err
		}
	}
	if len(probs) > 0 {
		return s.settingsPage(w, r, pr, u, http.StatusBadRequest, func(pg *ui.SettingsPage) { pg.Errors = probs })
	}
	http.Redirect(w, r, ui.ProjectURL(pr.ID, "settings")+"#"+anchor, http.StatusSeeOther)
	return nil
}

// POST /projects/{id}/settings/overrides/delete (form: kind, target): admins
// remove an override.
func (s *Server) pageOverrideDelete(w http.ResponseWriter, r *http.Request) error {
	pr, u, err := s.pageProject(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := s.deleteOverride(r, pr, auth.Principal{UserID: u.ID}, r.PostForm.Get("kind"), r.PostForm.Get("target")); err != nil {
		return err
	}
	http.Redirect(w, r, ui.ProjectURL(pr.ID, "settings")+"#overrides", http.StatusSeeOther)
	return nil
}

// learningData is what the learning card reads.
type learningData struct {
	l    learning
	acc  accuracy
	incs []store.Incident
}

// learningReads makes the learning card's three independent reads at once.
func (s *Server) learningReads(ctx context.Context, pr store.Project) (learningData, error) {
	var d learningData
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { d.l, err = s.learned(gctx, pr); return err })
	g.Go(func() (err error) { d.acc, err = s.accuracy(gctx, pr.ID); return err })
	g.Go(func() (err error) { d.incs, err = s.store.Incidents(gctx, pr.ID, 10); return err })
	return d, g.Wait()
}

// learningViewOf is the project page's learning card — what feedback and
// overrides changed, the forecasts' accuracy, similar past incidents and
// the incidents remembered — from d and the report rep (its similar past
// incidents; nil: none yet).
func learningViewOf(d learningData, rep *ui.Report) ui.LearningView {
	var v ui.LearningView
	l, acc, incs := d.l, d.acc, d.incs
	v.FeedbackEvents = len(l.Feedback)
	for _, c := range l.Changes {
		v.Changes = append(v.Changes, c.Text)
	}
	v.Accuracy = accuracyView(acc)
	if rep != nil {
		for _, m := range rep.Similar {
			p := advisor.PastIncident{OpenedAt: m.OpenedAt, Title: m.Title, RootCause: m.RootCause, Fix: m.Fix, Similarity: m.Similarity}
			v.Similar = append(v.Similar, ui.SimilarView{Text: p.Text()})
		}
	}
	for _, inc := range incs {
		moved := strings.Join(inc.Signature.Factors, ", ")
		if n := len(inc.Signature.Templates); n > 0 {
			if moved != "" {
				moved += "; "
			}
			moved += fmt.Sprintf("%d pattern(s): %s", n, strings.Join(inc.Signature.Templates[:min(n, 3)], " · "))
		}
		v.Incidents = append(v.Incidents, ui.IncidentView{ID: int64(inc.ID), Opened: inc.OpenedAt, Closed: inc.ClosedAt, Peak: inc.PeakScore,
			Title: inc.Title, RootCause: inc.RootCause, Fix: inc.Fix, Moved: moved})
	}
	return v
}

func pct(v float64) string { return fmt.Sprintf("%.0f%%", 100*v) }

func accuracyView(a accuracy) ui.AccuracyView {
	sc := a.Scorecard
	v := ui.AccuracyView{Scored: a.Scored, Pending: a.Pending}
	if a.Scored == 0 {
		return v
	}
	v.HitRate, v.Precision, v.Recall = pct(sc.HitRate), pct(sc.Precision), pct(sc.Recall)
	v.Brier = fmt.Sprintf("%.3f (always the base rate: %.3f)", sc.Brier, sc.BrierClimate)
	if sc.CoverageScored > 0 {
		v.Coverage = fmt.Sprintf("%s of %d", pct(sc.Coverage), sc.CoverageScored)
	}
	for _, d := range a.ByDay {
		dc := d.Scorecard
		day := ui.AccuracyDay{Day: d.Day, N: dc.N, HitRate: pct(dc.HitRate), Precision: pct(dc.Precision), Recall: pct(dc.Recall),
			Brier: fmt.Sprintf("%.3f", dc.Brier)}
		if dc.CoverageScored > 0 {
			day.Coverage = pct(dc.Coverage)
		}
		v.ByDay = append(v.ByDay, day)
	}
	return v
}
