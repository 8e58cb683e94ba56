package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/settings"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/web/ui"
)

// settingsPage renders the settings page with code; edit, if not nil, adds
// what the request changed (a flash, errors, a new token) before rendering.
func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request, pr store.Project, u store.User, code int, edit func(*ui.SettingsPage)) error {
	pg := ui.SettingsPage{
		Layout:    s.projectLayout("Settings", "settings", pr, u),
		Settings:  pr.Settings,
		IngestURL: s.baseURL(r) + "/api/ingest/" + strconv.FormatInt(int64(pr.ID), 10),
		CurlLine:  ui.CurlLine(s.baseURL(r), pr.ID, ""),
	}
	if pr.Role.Allows(store.RoleAdmin) {
		ts, err := s.store.Tokens(r.Context(), pr.ID)
		if err != nil {
			return err
		}
		now := s.now()
		for _, t := range ts {
			pg.Tokens = append(pg.Tokens, tokenView(t, now))
		}
	}
	nv, err := s.notifyView(r.Context(), pr)
	if err != nil {
		return err
	}
	pg.Notify = nv
	if pg.Overrides, err = s.overridesView(r, pr); err != nil {
		return err
	}
	if edit != nil {
		edit(&pg)
	}
	return s.pages.ui.Page(w, code, "settings", pg)
}

// baseURL is the URL this server is reached at, as the browser sees it.
func (s *Server) baseURL(r *http.Request) string {
	scheme := "http"
	if s.secure(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// GET /projects/{id}/settings: thresholds, retention, tokens, the curl
// line, the danger zone.
func (s *Server) pageSettings(w http.ResponseWriter, r *http.Request) error {
	pr, u, err := s.pageProject(r, store.RoleViewer)
	if err != nil {
		return err
	}
	return s.settingsPage(w, r, pr, u, http.StatusOK, func(pg *ui.SettingsPage) {
		if r.URL.Query().Get("saved") == "1" {
			pg.Flash = "Settings saved."
		}
	})
}

// POST /projects/{id}/settings (form): the name, thresholds, retention,
// time zone and what broken NDJSON lines become; admins only.
func (s *Server) pageSettingsSave(w http.ResponseWriter, r *http.Request) error {
	pr, u, err := s.pageProject(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := r.PostForm
	next := pr
	var probs []string
	if name, err := validName(f.Get("name")); err != nil {
		probs = append(probs, cloudsage.MessageOf(err))
	} else {
		next.Name = name
	}
	set, err := settings.FromForm(pr.Settings, f.Get)
	for _, p := range settings.ProblemsOf(err) {
		probs = append(probs, p.Message)
	}
	next.Settings = set
	if len(probs) == 0 {
		if err := s.store.UpdateProject(r.Context(), next); err != nil {
			return err
		}
		s.recordSettings(r, auth.Principal{UserID: u.ID}, pr, next)
		http.Redirect(w, r, ui.ProjectURL(pr.ID, "settings")+"?saved=1", http.StatusSeeOther)
		return nil
	}
	return s.settingsPage(w, r, pr, u, http.StatusBadRequest, func(pg *ui.SettingsPage) {
		pg.Settings, pg.Errors = next.Settings, probs
	})
}

// tokenView is what the settings page shows of t at now.
func tokenView(t store.Token, now time.Time) ui.TokenView {
	names := make([]string, len(t.Scopes))
	for i, sc := range t.Scopes {
		names[i] = string(sc)
	}
	v := ui.TokenView{ID: t.ID, Name: t.Name, Prefix: t.Prefix, Scopes: strings.Join(names, ", "),
		Creator: t.CreatedByEmail, Created: t.CreatedAt, LastIP: t.LastIP, Expired: t.Expired(now)}
	if t.CreatedByToken != 0 {
		v.Creator += fmt.Sprintf(" (via token #%d)", t.CreatedByToken)
	}
	if t.LastUsedAt != nil {
		v.LastUsed = *t.LastUsedAt
	}
	if t.ExpiresAt != nil {
		v.Expires = *t.ExpiresAt
	}
	return v
}

// POST /projects/{id}/settings/tokens (form: name, scopes (repeated),
// expires as a date): creates a token and shows its secret once.
func (s *Server) pageTokenCreate(w http.ResponseWriter, r *http.Request) error {
	pr, u, err := s.pageProject(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	in := tokenInput{Name: r.PostForm.Get("name"), Scopes: r.PostForm["scopes"]}
	var t store.Token
	if d := strings.TrimSpace(r.PostForm.Get("expires")); d != "" {
		day, derr := time.Parse("2006-01-02", d)
		if derr != nil {
			err = cloudsage.Errorf(cloudsage.Invalid, "expires must be a date (YYYY-MM-DD)")
		}
		in.ExpiresAt = day.Format(time.RFC3339)
	}
	if err == nil {
		t, err = s.tokenFromInput(in)
	}
	if err != nil {
		return s.settingsPage(w, r, pr, u, http.StatusBadRequest, func(pg *ui.SettingsPage) {
			pg.Errors = []string{cloudsage.MessageOf(err)}
		})
	}
	_, secret, err := s.newToken(r, pr.ID, t, auth.Principal{UserID: u.ID})
	if err != nil {
		return err
	}
	return s.settingsPage(w, r, pr, u, http.StatusCreated, func(pg *ui.SettingsPage) {
		pg.NewToken = secret
		pg.CurlLine = ui.CurlLine(s.baseURL(r), pr.ID, secret)
	})
}

// POST /projects/{id}/settings/tokens/{tokenId}/revoke
func (s *Server) pageTokenRevoke(w http.ResponseWriter, r *http.Request) error {
	pr, u, err := s.pageProject(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	if err := s.deleteToken(r, pr.ID, auth.Principal{UserID: u.ID}); err != nil {
		return err
	}
	http.Redirect(w, r, ui.ProjectURL(pr.ID, "settings"), http.StatusSeeOther)
	return nil
}

// POST /projects/{id}/delete (form: confirm = the project's name): deletes
// the project and all its data; admins only.
func (s *Server) pageProjectDelete(w http.ResponseWriter, r *http.Request) error {
	pr, u, err := s.pageProject(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if strings.TrimSpace(r.PostForm.Get("confirm")) != pr.Name {
		return s.settingsPage(w, r, pr, u, http.StatusBadRequest, func(pg *ui.SettingsPage) {
			pg.Errors = []string{"The project was not deleted: type its exact name to confirm."}
		})
	}
	if err := s.deleteProject(r.Context(), pr.ID); err != nil {
		return err
	}
	http.Redirect(w, r, "/projects", http.StatusSeeOther)
	return nil
}
