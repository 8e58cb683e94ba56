package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/web/ui"
)

func (s *Server) settingsPage(r *http.Request, pr store.Project, u store.User) (ui.SettingsPage, error) {
	pg := ui.SettingsPage{
		Layout:    ui.Layout{Title: "Settings", User: u.Email, Project: &ui.ProjectRef{ID: pr.ID, Name: pr.Name, Role: pr.Role}, Tab: "settings", Now: s.now()},
		Settings:  pr.Settings,
		IngestURL: s.baseURL(r) + "/api/ingest/" + strconv.FormatInt(int64(pr.ID), 10),
		CurlLine:  ui.CurlLine(s.baseURL(r), pr.ID, ""),
	}
	if pr.Role.Allows(store.RoleAdmin) {
		ts, err := s.store.Tokens(r.Context(), pr.ID)
		if err != nil {
			return pg, err
		}
		for _, t := range ts {
			v := ui.TokenView{ID: t.ID, Name: t.Name, Prefix: t.Prefix, Role: t.Role, Created: t.CreatedAt}
			if t.LastUsedAt != nil {
				v.LastUsed = *t.LastUsedAt
			}
			pg.Tokens = append(pg.Tokens, v)
		}
	}
	return pg, nil
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
	pg, err := s.settingsPage(r, pr, u)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("saved") == "1" {
		pg.Flash = "Settings saved."
	}
	return s.pages.ui.Page(w, http.StatusOK, "settings", pg)
}

// POST /projects/{id}/settings (form): the name, thresholds, retention and
// time zone; admins only.
func (s *Server) pageSettingsSave(w http.ResponseWriter, r *http.Request) error {
	pr, u, err := s.pageProject(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	f := r.PostForm
	next := pr
	var probs []string
	if name, err := validName(f.Get("name")); err != nil {
		probs = append(probs, cloudsage.MessageOf(err))
	} else {
		next.Name = name
	}
	num := func(key string, dst *float64) {
		v, err := strconv.ParseFloat(strings.TrimSpace(f.Get(key)), 64)
		if err != nil {
			probs = append(probs, key+" must be a number")
			return
		}
		*dst = v
	}
	num("high_threshold", &next.Settings.HighThreshold)
	num("medium_threshold", &next.Settings.MediumThreshold)
	if d, err := strconv.Atoi(strings.TrimSpace(f.Get("retention_days"))); err != nil {
		probs = append(probs, "retention_days must be a whole number")
	} else {
		next.Settings.RetentionDays = d
	}
	next.Settings.TimeZone = strings.TrimSpace(f.Get("time_zone"))
	if len(probs) == 0 {
		if err := next.Settings.Validate(); err != nil {
			probs = append(probs, cloudsage.MessageOf(err))
		}
	}
	if len(probs) == 0 {
		if err := s.store.UpdateProject(r.Context(), next); err != nil {
			return err
		}
		http.Redirect(w, r, ui.ProjectURL(pr.ID, "settings")+"?saved=1", http.StatusSeeOther)
		return nil
	}
	pg, err := s.settingsPage(r, pr, u)
	if err != nil {
		return err
	}
	pg.Settings, pg.Errors = next.Settings, probs
	return s.pages.ui.Page(w, http.StatusBadRequest, "settings", pg)
}

// POST /projects/{id}/settings/tokens (form: name): creates a token and
// shows its secret once.
func (s *Server) pageTokenCreate(w http.ResponseWriter, r *http.Request) error {
	pr, u, err := s.pageProject(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	name, err := validName(r.PostForm.Get("name"))
	if err != nil {
		pg, lerr := s.settingsPage(r, pr, u)
		if lerr != nil {
			return lerr
		}
		pg.Errors = []string{cloudsage.MessageOf(err)}
		return s.pages.ui.Page(w, http.StatusBadRequest, "settings", pg)
	}
	secret, hash := auth.NewSecret(auth.TokenPrefix)
	if _, err := s.store.CreateToken(r.Context(), store.Token{ProjectID: pr.ID, Name: name, Prefix: auth.DisplayPrefix(secret),
		Hash: hash, Role: store.RoleMember, CreatedBy: u.ID}); err != nil {
		return err
	}
	pg, err := s.settingsPage(r, pr, u)
	if err != nil {
		return err
	}
	pg.NewToken = secret
	pg.CurlLine = ui.CurlLine(s.baseURL(r), pr.ID, secret)
	return s.pages.ui.Page(w, http.StatusCreated, "settings", pg)
}

// POST /projects/{id}/settings/tokens/{tokenId}/revoke
func (s *Server) pageTokenRevoke(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.pageProject(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("tokenId"), 10, 64)
	if err != nil {
		return cloudsage.Errorf(cloudsage.NotFound, "token not found")
	}
	if err := s.store.DeleteToken(r.Context(), pr.ID, store.TokenID(id)); err != nil {
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
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	if strings.TrimSpace(r.PostForm.Get("confirm")) != pr.Name {
		pg, err := s.settingsPage(r, pr, u)
		if err != nil {
			return err
		}
		pg.Errors = []string{"The project was not deleted: type its exact name to confirm."}
		return s.pages.ui.Page(w, http.StatusBadRequest, "settings", pg)
	}
	if err := s.store.DeleteProject(r.Context(), pr.ID); err != nil {
		return err
	}
	s.ingest.Forget(pr.ID)
	http.Redirect(w, r, "/projects", http.StatusSeeOther)
	return nil
}
