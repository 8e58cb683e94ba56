package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/cloudsage/cloudsage"
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
	if len(probs) == 0 {
		if err := s.setOverride(r, pr, auth.Principal{UserID: u.ID}, o); cloudsage.KindOf(err) == cloudsage.Invalid {
			probs = append(probs, cloudsage.MessageOf(err))
		} else if err != nil {
			return err
		}
	}
	if len(probs) > 0 {
		return s.settingsPage(w, r, pr, u, http.StatusBadRequest, func(pg *ui.SettingsPage) { pg.Errors = probs })
	}
	http.Redirect(w, r, ui.ProjectURL(pr.ID, "settings")+"#overrides", http.StatusSeeOther)
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
