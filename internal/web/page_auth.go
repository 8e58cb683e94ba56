package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/web/ui"
)

// GET /: the projects for a logged-in user; else the log-in page, or the
// first-run sign-up page while there is no account yet.
func (s *Server) pageHome(w http.ResponseWriter, r *http.Request) error {
	if _, _, err := s.pageUser(r); err == nil {
		http.Redirect(w, r, "/projects", http.StatusSeeOther)
		return nil
	}
	to := "/login"
	if first, err := s.firstRun(r); err == nil && first {
		to = "/register"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// firstRun reports whether no account exists yet. The store has no user
// count and accounts are never deleted, so the first account's id (1, in
// both SQLite and PostgreSQL) is missing exactly while there is none.
func (s *Server) firstRun(r *http.Request) (bool, error) {
	_, err := s.store.UserByID(r.Context(), 1)
	if store.IsNotFound(err) {
		return true, nil
	}
	return false, err
}

func (s *Server) authPage(w http.ResponseWriter, r *http.Request, code int, name string, pg ui.AuthPage) error {
	pg.Now = s.now()
	if pg.Title == "" {
		pg.Title = "Log in"
	}
	return s.pages.ui.Page(w, code, name, pg)
}

// GET /login
func (s *Server) pageLogin(w http.ResponseWriter, r *http.Request) error {
	next := localPath(r.URL.Query().Get("next"), "/projects")
	if _, _, err := s.pageUser(r); err == nil || errors.Is(err, errNeed2FA) {
		http.Redirect(w, r, next, http.StatusSeeOther) // errNeed2FA: the next page sends to /account
		return nil
	}
	return s.authPage(w, r, http.StatusOK, "login", s.loginPage(ui.AuthPage{Next: next}))
}

// POST /login (form: email, password, next): the API's login, answered as
// a page. Failures are throttled per email and per address, as in the API.
func (s *Server) pageLoginPost(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	email := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email")))
	password := r.PostForm.Get("password")
	next := localPath(r.PostForm.Get("next"), "/projects")
	pg := s.loginPage(ui.AuthPage{Email: email, Next: next})
	_, needCode, wait, err := s.authenticate(w, r, email, password)
	if wait > 0 {
		pg.Error = "Too many failed logins. Try again in " + wait.Round(time.Second).String() + "."
		return s.authPage(w, r, http.StatusTooManyRequests, "login", pg)
	}
	if errors.Is(err, errLogin) {
		pg.Error = "Wrong email or password."
		return s.authPage(w, r, http.StatusUnauthorized, "login", pg)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, afterSignIn(next, needCode), http.StatusSeeOther)
	return nil
}

// GET /register?next=: sign-up (then on to next, a local path: an
// invitation's page); the first-run welcome on an unused server.
func (s *Server) pageRegister(w http.ResponseWriter, r *http.Request) error {
	if _, _, err := s.pageUser(r); err == nil {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next"), "/projects"), http.StatusSeeOther)
		return nil
	}
	first, err := s.firstRun(r)
	if err != nil {
		return err
	}
	return s.authPage(w, r, http.StatusOK, "register", ui.AuthPage{Layout: ui.Layout{Title: "Create an account"}, FirstRun: first,
		Next: localPath(r.URL.Query().Get("next"), "")})
}

// POST /register (form: email, password): creates the account and logs in.
func (s *Server) pageRegisterPost(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	email := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email")))
	password := r.PostForm.Get("password")
	first, _ := s.firstRun(r)
	next := localPath(r.PostForm.Get("next"), "")
	pg := ui.AuthPage{Layout: ui.Layout{Title: "Create an account"}, Email: email, FirstRun: first, Next: next}
	if probs := accountProblems(email, password, ""); len(probs) > 0 {
		for i, p := range probs {
			probs[i] = strings.ToUpper(p[:1]) + p[1:] + "."
		}
		pg.Error = strings.Join(probs, " ")
		return s.authPage(w, r, http.StatusBadRequest, "register", pg)
	}
	u, err := s.createAccount(r.Context(), email, "", password)
	if cloudsage.KindOf(err) == cloudsage.Conflict {
		pg.Error = "An account with this email exists already. Log in instead."
		return s.authPage(w, r, http.StatusConflict, "register", pg)
	}
	if err != nil {
		return err
	}
	if err := s.startSession(w, r, u); err != nil {
		return err
	}
	s.log.Info("user registered", "user_id", u.ID)
	http.Redirect(w, r, localPath(next, "/projects"), http.StatusSeeOther)
	return nil
}

// POST /logout: ends the session and returns to the log-in page.
func (s *Server) pageLogout(w http.ResponseWriter, r *http.Request) error {
	if err := s.endSession(w, r); err != nil {
		return err
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}
