package web

// Pages of sign-in beyond the password and of the account (issue 13): the
// magic-link form and landing page, the code page of two-factor sign-in,
// and /account (sessions, two-factor set-up, password).

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/web/ui"
)

// accountRoutes registers the pages of this file and of page_sso.go.
func (s *Server) accountRoutes(mux *http.ServeMux) {
	p := s.page
	mux.Handle("POST /login/magic", p(s.pageMagicLinkPost))
	mux.Handle("GET /auth/magic", p(s.pageMagic))
	mux.Handle("POST /auth/magic", p(s.pageMagicPost))
	mux.Handle("GET /login/2fa", p(s.pageSecondFactor))
	mux.Handle("POST /login/2fa", p(s.pageSecondFactorPost))
	mux.Handle("GET /auth/oidc/{provider}", p(s.ssoStart))
	mux.Handle("GET /auth/oidc/{provider}/callback", p(s.ssoCallback))
	mux.Handle("GET /account", p(s.pageAccount))
	mux.Handle("POST /account/password", p(s.pageAccountPassword))
	mux.Handle("POST /account/2fa/setup", p(s.pageTwoFactorSetup))
	mux.Handle("POST /account/2fa/enable", p(s.pageTwoFactorEnable))
	mux.Handle("POST /account/2fa/disable", p(s.pageTwoFactorDisable))
	mux.Handle("POST /account/sessions/revoke-others", p(s.pageSessionsRevokeOthers))
	mux.Handle("POST /account/sessions/{sid}/revoke", p(s.pageSessionRevoke))
}

// loginPage fills the sign-in page's other ways in.
func (s *Server) loginPage(pg ui.AuthPage) ui.AuthPage {
	pg.MagicLink = s.mail != nil
	for _, m := range s.ssoMethods() {
		pg.SSO = append(pg.SSO, ui.SSOButton{Label: m.Label, URL: m.URL + "?next=" + url.QueryEscape(pg.Next)})
	}
	return pg
}

// POST /login/magic (form: email, next): mails a sign-in link.
func (s *Server) pageMagicLinkPost(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	email := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email")))
	pg := s.loginPage(ui.AuthPage{Email: email, Next: localPath(r.PostForm.Get("next"), "/projects")})
	if !validEmail(email) {
		pg.Error = "Enter an email address like you@example.com."
		return s.authPage(w, r, http.StatusBadRequest, "login", pg)
	}
	if wait := s.requestMagicLink(w, r, email); wait > 0 {
		pg.Error = "Too many sign-in links asked for. Try again in " + wait.Round(time.Second).String() + "."
		return s.authPage(w, r, http.StatusTooManyRequests, "login", pg)
	}
	pg.Flash = magicLinkSent
	return s.authPage(w, r, http.StatusAccepted, "login", pg)
}

// GET /auth/magic?token=: the mailed link lands here and asks for a
// click, so a mail scanner that follows links does not spend it.
func (s *Server) pageMagic(w http.ResponseWriter, r *http.Request) error {
	token := r.URL.Query().Get("token")
	pg := ui.AuthPage{Layout: ui.Layout{Title: "Sign in by link"}, Token: token}
	lt, err := s.store.LoginToken(r.Context(), store.LoginMagic, auth.HashSecret(token), s.now())
	if store.IsNotFound(err) || !strings.HasPrefix(token, magicPrefix) {
		pg.Error, pg.Token = cloudsage.MessageOf(errMagicLink), ""
		return s.authPage(w, r, http.StatusBadRequest, "magic", pg)
	}
	if err != nil {
		return err
	}
	pg.Email = lt.Email
	return s.authPage(w, r, http.StatusOK, "magic", pg)
}

// POST /auth/magic (form: token): signs in with the link.
func (s *Server) pageMagicPost(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	u, err := s.useMagicLink(r.Context(), r.PostForm.Get("token"))
	if errors.Is(err, errMagicLink) {
		return s.authPage(w, r, http.StatusBadRequest, "magic", ui.AuthPage{Layout: ui.Layout{Title: "Sign in by link"}, Error: cloudsage.MessageOf(err)})
	}
	if err != nil {
		return err
	}
	needCode, err := s.beginSession(w, r, u)
	if err != nil {
		return err
	}
	http.Redirect(w, r, afterSignIn("/projects", needCode), http.StatusSeeOther)
	return nil
}

// GET /login/2fa?next=: the code page.
func (s *Server) pageSecondFactor(w http.ResponseWriter, r *http.Request) error {
	if _, err := r.Cookie(SecondFactorCookie); err != nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	pg := ui.AuthPage{Layout: ui.Layout{Title: "Two-factor sign-in"}, Next: localPath(r.URL.Query().Get("next"), "/projects")}
	return s.authPage(w, r, http.StatusOK, "login-2fa", pg)
}

// POST /login/2fa (form: code, next): completes the sign-in.
func (s *Server) pageSecondFactorPost(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	next := localPath(r.PostForm.Get("next"), "/projects")
	_, err := s.completeSecondFactor(w, r, r.PostForm.Get("code"))
	if errors.Is(err, errNoPending) {
		pg := s.loginPage(ui.AuthPage{Next: next, Error: cloudsage.MessageOf(err)})
		return s.authPage(w, r, http.StatusUnauthorized, "login", pg)
	}
	if k := cloudsage.KindOf(err); err != nil && k != cloudsage.Internal {
		pg := ui.AuthPage{Layout: ui.Layout{Title: "Two-factor sign-in"}, Next: next, Error: upperFirst(cloudsage.MessageOf(err)) + "."}
		return s.authPage(w, r, statusOf(k), "login-2fa", pg)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// accountPage renders /account for the signed-in user, with edit applied.
func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, code int, edit func(*ui.AccountPage)) error {
	p, u, err := s.pageUser(r)
	if err != nil {
		return err
	}
	u, err = s.store.UserByID(r.Context(), u.ID) // read again: a handler may just have changed it
	if err != nil {
		return err
	}
	list, err := s.sessions(r.Context(), p)
	if err != nil {
		return err
	}
	left, err := s.store.RecoveryCodesLeft(r.Context(), u.ID)
	if err != nil {
		return err
	}
	pg := ui.AccountPage{Layout: ui.Layout{Title: "Account", User: u.Email, Now: s.now()}, HasPassword: u.PasswordHash != "",
		TwoFactor: u.TwoFactor(), Required: s.cfg.Require2FA, CodesLeft: left}
	for _, x := range list {
		pg.Sessions = append(pg.Sessions, ui.SessionRow{ID: x.ID, Created: x.CreatedAt, LastSeen: x.LastSeenAt, IP: x.IP, UserAgent: x.UserAgent, Current: x.Current})
	}
	if pg.Billing, err = s.billingView(r.Context(), u.ID); err != nil {
		return err
	}
	if edit != nil {
		edit(&pg)
	}
	return s.pages.ui.Page(w, code, "account", pg)
}

// accountFailed shows the account page with err's message, or returns err
// when it is not the user's to fix.
func (s *Server) accountFailed(w http.ResponseWriter, r *http.Request, err error) error {
	k := cloudsage.KindOf(err)
	if k == cloudsage.Internal || k == cloudsage.Unauthorized {
		return err
	}
	return s.accountPage(w, r, statusOf(k), func(pg *ui.AccountPage) { pg.Error = upperFirst(cloudsage.MessageOf(err)) + "." })
}

// GET /account
func (s *Server) pageAccount(w http.ResponseWriter, r *http.Request) error {
	return s.accountPage(w, r, http.StatusOK, func(pg *ui.AccountPage) {
		switch r.URL.Query().Get("done") {
		case "password":
			pg.Flash = "Password saved. Your other sessions were ended."
		case "2fa-off":
			pg.Flash = "Two-factor sign-in is off. Your other sessions were ended."
		case "revoked":
			pg.Flash = "Session ended."
		case "others":
			pg.Flash = "Signed out everywhere else."
		}
	})
}

// POST /account/password (form: current_password, new_password)
func (s *Server) pageAccountPassword(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p, u, err := s.accountUser(r)
	if err != nil {
		return err
	}
	if err := s.changePassword(r.Context(), p, u, r.PostForm.Get("current_password"), r.PostForm.Get("new_password")); err != nil {
		return s.accountFailed(w, r, err)
	}
	seeOther(w, r, "/account?done=password")
	return nil
}

// POST /account/2fa/setup: shows a new key and its QR code.
func (s *Server) pageTwoFactorSetup(w http.ResponseWriter, r *http.Request) error {
	_, u, err := s.accountUser(r)
	if err != nil {
		return err
	}
	st, err := s.setupTwoFactor(r.Context(), u)
	if err != nil {
		return s.accountFailed(w, r, err)
	}
	return s.accountPage(w, r, http.StatusOK, func(pg *ui.AccountPage) {
		// The QR code is a PNG this server drew: safe as an image URL.
		pg.SetupSecret, pg.SetupQR = st.Secret, template.URL(st.QRCode)
	})
}

// POST /account/2fa/enable (form: code): turns it on, shows the recovery codes.
func (s *Server) pageTwoFactorEnable(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p, u, err := s.accountUser(r)
	if err != nil {
		return err
	}
	codes, err := s.enableTwoFactor(r.Context(), p, u, r.PostForm.Get("code"))
	if err != nil {
		return s.accountFailed(w, r, err)
	}
	return s.accountPage(w, r, http.StatusOK, func(pg *ui.AccountPage) { pg.RecoveryCodes = codes })
}

// POST /account/2fa/disable (form: code)
func (s *Server) pageTwoFactorDisable(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p, u, err := s.accountUser(r)
	if err != nil {
		return err
	}
	if err := s.disableTwoFactor(r.Context(), w, p, u, r.PostForm.Get("code")); err != nil {
		return s.accountFailed(w, r, err)
	}
	seeOther(w, r, "/account?done=2fa-off")
	return nil
}

// POST /account/sessions/{sid}/revoke
func (s *Server) pageSessionRevoke(w http.ResponseWriter, r *http.Request) error {
	p, err := s.user(r)
	if err != nil {
		return err
	}
	if err := s.store.DeleteSessionByID(r.Context(), p.UserID, r.PathValue("sid")); err != nil {
		return err
	}
	if sid := r.PathValue("sid"); len(p.SessionHash) >= len(sid) && p.SessionHash[:len(sid)] == sid {
		return s.pageLogout(w, r) // the current session: that was a sign-out
	}
	seeOther(w, r, "/account?done=revoked")
	return nil
}

// POST /account/sessions/revoke-others
func (s *Server) pageSessionsRevokeOthers(w http.ResponseWriter, r *http.Request) error {
	p, err := s.user(r)
	if err != nil {
		return err
	}
	if _, err := s.store.DeleteUserSessions(r.Context(), p.UserID, p.SessionHash); err != nil {
		return err
	}
	seeOther(w, r, "/account?done=others")
	return nil
}
