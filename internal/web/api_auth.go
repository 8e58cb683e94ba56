package web

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/store"
)

type credentials struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
}

func validEmail(e string) bool {
	a, err := mail.ParseAddress(e)
	return err == nil && a.Address == e && len(e) <= 254
}

// startSession creates a session for u and sets the cookie.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u store.User) error {
	secret, hash := auth.NewSecret(auth.SessionPrefix)
	now := s.now()
	exp := now.Add(s.cfg.SessionTTL)
	sess := store.Session{Hash: hash, UserID: u.ID, CreatedAt: now, ExpiresAt: exp, IP: s.clientIP(r), UserAgent: userAgent(r)}
	if err := s.store.CreateSession(r.Context(), sess); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: secret, Path: "/", Expires: exp, MaxAge: int(s.cfg.SessionTTL.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(r)})
	return nil
}

// secure reports whether r came over TLS (directly, or via a trusted proxy).
func (s *Server) secure(r *http.Request) bool {
	return r.TLS != nil || s.cfg.TrustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// clientIP is the caller's address (X-Forwarded-For's first hop behind a trusted proxy).
func (s *Server) clientIP(r *http.Request) string {
	if s.cfg.TrustProxy {
		if f := r.Header.Get("X-Forwarded-For"); f != "" {
			ip, _, _ := strings.Cut(f, ",")
			return strings.TrimSpace(ip)
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// POST /api/auth/register {"email", "password", "name"?}: creates the
// account and logs it in.
func (s *Server) register(w http.ResponseWriter, r *http.Request) error {
	var c credentials
	if err := readJSON(r, &c); err != nil {
		return err
	}
	c.Email = strings.ToLower(strings.TrimSpace(c.Email))
	if probs := accountProblems(c.Email, c.Password, c.Name); len(probs) > 0 {
		return cloudsage.Errorf(cloudsage.Invalid, "%s", strings.Join(probs, "; "))
	}
	u, err := s.createAccount(r.Context(), c.Email, strings.TrimSpace(c.Name), c.Password)
	if err != nil {
		return err
	}
	if err := s.startSession(w, r, u); err != nil {
		return err
	}
	s.log.Info("user registered", "user_id", u.ID)
	writeJSON(w, http.StatusCreated, map[string]any{"user": u})
	return nil
}

// accountProblems lists what is wrong with a new account's email (already
// trimmed and lower case), password and name: lower case, no full stop.
func accountProblems(email, password, name string) []string {
	var probs []string
	if !validEmail(email) {
		probs = append(probs, "email must be an address like you@example.com")
	}
	if len(password) < auth.MinPasswordLen {
		probs = append(probs, "password must be at least "+strconv.Itoa(auth.MinPasswordLen)+" characters")
	}
	if len(password) > 1024 {
		probs = append(probs, "password must be at most 1024 characters")
	}
	if len(name) > 200 {
		probs = append(probs, "name must be at most 200 characters")
	}
	return probs
}

// createAccount hashes the password and stores the user.
func (s *Server) createAccount(ctx context.Context, email, name, password string) (store.User, error) {
	hash, err := auth.HashPassword(password, s.password)
	if err != nil {
		return store.User{}, err
	}
	return s.store.CreateUser(ctx, store.User{Email: email, Name: name, PasswordHash: hash})
}

var errLogin = cloudsage.Errorf(cloudsage.Unauthorized, "wrong email or password")

// POST /api/auth/login {"email", "password"}: sets the session cookie.
// Failures are throttled per email and per address.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var c credentials
	if err := readJSON(r, &c); err != nil {
		return err
	}
	u, needCode, wait, err := s.authenticate(w, r, strings.ToLower(strings.TrimSpace(c.Email)), c.Password)
	if wait > 0 {
		return &cloudsage.Error{Kind: cloudsage.RateLimited, Message: "too many failed logins; try again later",
			Detail: map[string]int{"retry_after_seconds": int(wait.Seconds()) + 1}}
	}
	if err != nil {
		return err
	}
	writeSignedIn(w, u, needCode)
	return nil
}

// authenticate checks email (trimmed, lower case) and password and starts
// a session, or a pending sign-in when the account has a second factor
// (needCode). Failures are throttled per email and per address: a
// throttled caller gets wait > 0 and a Retry-After header, a wrong pair errLogin.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, email, password string) (u store.User, needCode bool, wait time.Duration, err error) {
	keys := []string{"email:" + email, "ip:" + s.clientIP(r)}
	now := s.now()
	for _, k := range keys {
		if ok, wait := s.throttle.Allow(k, now); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			return store.User{}, false, wait, nil
		}
	}
	u, err = s.store.UserByEmail(r.Context(), email)
	if err != nil && !store.IsNotFound(err) {
		return store.User{}, false, 0, err
	}
	hash := u.PasswordHash
	if err != nil || hash == "" { // no such user, or one who signs in by link or SSO only
		hash = s.dummy
	}
	if perr := auth.CheckPassword(hash, password); perr != nil || err != nil || u.PasswordHash == "" {
		if perr != nil && !errors.Is(perr, auth.ErrMismatch) {
			s.log.Error("password hash unreadable", "user_id", u.ID, "error", perr)
		}
		for _, k := range keys {
			s.throttle.Fail(k, now)
		}
		return store.User{}, false, 0, errLogin
	}
	s.throttle.Success(keys[0])
	needCode, err = s.beginSession(w, r, u)
	return u, needCode, 0, err
}

// POST /api/auth/logout: ends the session.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if err := s.endSession(w, r); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	return nil
}

// endSession deletes the caller's session, if any, and clears the cookie.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request) error {
	if p, err := s.principal(r); err == nil && p.SessionHash != "" {
		if err := s.store.DeleteSession(r.Context(), p.SessionHash); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(r)})
	return nil
}

// GET /api/auth/me: the logged-in user.
func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	p, err := s.user(r)
	if err != nil {
		return err
	}
	u, err := s.store.UserByID(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": u})
	return nil
}
