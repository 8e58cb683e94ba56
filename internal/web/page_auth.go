package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/auth"
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
	if _, _, err := s.pageUser(r); err == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	return s.authPage(w, r, http.StatusOK, "login", ui.AuthPage{Next: next})
}

// POST /login (form: email, password, next): the API's login, answered as
// a page. Failures are throttled per email and per address, as in the API.
func (s *Server) pageLoginPost(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	email := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email")))
	password := r.PostForm.Get("password")
	next := localPath(r.PostForm.Get("next"), "/projects")
	pg := ui.AuthPage{Email: email, Next: next}
	keys := []string{"email:" + email, "ip:" + s.clientIP(r)}
	now := s.now()
	for _, k := range keys {
		if ok, wait := s.throttle.Allow(k, now); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			pg.Error = "Too many failed logins. Try again in " + wait.Round(time.Second).String() + "."
			return s.authPage(w, r, http.StatusTooManyRequests, "login", pg)
		}
	}
	u, err := s.store.UserByEmail(r.Context(), email)
	if err != nil && !store.IsNotFound(err) {
		return err
	}
	hash := u.PasswordHash
	if err != nil {
		hash = s.dummy
	}
	if perr := auth.CheckPassword(hash, password); perr != nil || err != nil {
		if perr != nil && !errors.Is(perr, auth.ErrMismatch) {
			s.log.Error("password hash unreadable", "user_id", u.ID, "error", perr)
		}
		for _, k := range keys {
			s.throttle.Fail(k, now)
		}
		pg.Error = "Wrong email or password."
		return s.authPage(w, r, http.StatusUnauthorized, "login", pg)
	}
	s.throttle.Success(keys[0])
	if err := s.startSession(w, r, u); err != nil {
		return err
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// GET /register: sign-up; the first-run welcome on an unused server.
func (s *Server) pageRegister(w http.ResponseWriter, r *http.Request) error {
	if _, _, err := s.pageUser(r); err == nil {
		http.Redirect(w, r, "/projects", http.StatusSeeOther)
		return nil
	}
	first, err := s.firstRun(r)
	if err != nil {
		return err
	}
	return s.authPage(w, r, http.StatusOK, "register", ui.AuthPage{Layout: ui.Layout{Title: "Create an account"}, FirstRun: first})
}

// POST /register (form: email, password): creates the account and logs in.
func (s *Server) pageRegisterPost(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	email := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email")))
	password := r.PostForm.Get("password")
	first, _ := s.firstRun(r)
	pg := ui.AuthPage{Layout: ui.Layout{Title: "Create an account"}, Email: email, FirstRun: first}
	var probs []string
	if !validEmail(email) {
		probs = append(probs, "Email must be an address like you@example.com.")
	}
	if len(password) < auth.MinPasswordLen {
		probs = append(probs, "Password must be at least "+strconv.Itoa(auth.MinPasswordLen)+" characters.")
	}
	if len(password) > 1024 {
		probs = append(probs, "Password must be at most 1024 characters.")
	}
	if len(probs) > 0 {
		pg.Error = strings.Join(probs, " ")
		return s.authPage(w, r, http.StatusBadRequest, "register", pg)
	}
	hash, err := auth.HashPassword(password, s.password)
	if err != nil {
		return err
	}
	u, err := s.store.CreateUser(r.Context(), store.User{Email: email, PasswordHash: hash})
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
	http.Redirect(w, r, "/projects", http.StatusSeeOther)
	return nil
}

// POST /logout: ends the session and returns to the log-in page.
func (s *Server) pageLogout(w http.ResponseWriter, r *http.Request) error {
	if p, err := s.principal(r); err == nil && p.SessionHash != "" {
		if err := s.store.DeleteSession(r.Context(), p.SessionHash); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(r)})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}
