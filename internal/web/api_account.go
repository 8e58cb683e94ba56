package web

// The signed-in user's own account (issue 13): sessions, password, and the
// TOTP second factor. Every change of password or second factor ends the
// user's other sessions.

import (
	"bytes"
	"context"
	"encoding/base64"
	"image/png"
	"net/http"
	"strconv"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/store"
)

// errNeed2FA refuses a session without a second factor on an instance that
// requires one, outside the routes that set it up.
var errNeed2FA = cloudsage.Errorf(cloudsage.Forbidden, "this CloudSage requires two-factor sign-in: set it up on your account page (/account) first")

// exemptFrom2FA lists the paths a user without the required second factor
// may still use: sign-in, sign-out, and setting the factor up.
func exemptFrom2FA(path string) bool {
	switch path {
	case "/api/auth/me", "/api/auth/logout", "/api/auth/2fa", "/api/auth/2fa/setup", "/api/auth/2fa/enable",
		"/api/auth/sessions", "/api/auth/methods", "/logout", "/account", "/account/2fa/setup", "/account/2fa/enable":
		return true
	}
	return false
}

// sessionView is a session as its owner sees it.
type sessionView struct {
	ID         string    `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	IP         string    `json:"ip"`
	UserAgent  string    `json:"user_agent"`
	Current    bool      `json:"current"`
}

// sessions lists p's sessions, the current one marked.
func (s *Server) sessions(ctx context.Context, p auth.Principal) ([]sessionView, error) {
	ss, err := s.store.Sessions(ctx, p.UserID, s.now())
	if err != nil {
		return nil, err
	}
	out := make([]sessionView, 0, len(ss))
	for _, x := range ss {
		out = append(out, sessionView{ID: x.ID(), CreatedAt: x.CreatedAt, LastSeenAt: x.LastSeenAt, ExpiresAt: x.ExpiresAt,
			IP: x.IP, UserAgent: x.UserAgent, Current: x.Hash == p.SessionHash})
	}
	return out, nil
}

// GET /api/auth/sessions: the caller's sessions.
func (s *Server) sessionList(w http.ResponseWriter, r *http.Request) error {
	p, err := s.user(r)
	if err != nil {
		return err
	}
	list, err := s.sessions(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": list})
	return nil
}

// DELETE /api/auth/sessions/{sid}: ends one of the caller's sessions (the
// current one too: that is a log-out).
func (s *Server) sessionRevoke(w http.ResponseWriter, r *http.Request) error {
	p, err := s.user(r)
	if err != nil {
		return err
	}
	if err := s.store.DeleteSessionByID(r.Context(), p.UserID, r.PathValue("sid")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	return nil
}

// POST /api/auth/sessions/revoke-others: ends every session but this one.
func (s *Server) sessionRevokeOthers(w http.ResponseWriter, r *http.Request) error {
	p, err := s.user(r)
	if err != nil {
		return err
	}
	n, err := s.store.DeleteUserSessions(r.Context(), p.UserID, p.SessionHash)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "ended": n})
	return nil
}

// endOtherSessions ends p's other sessions after a credential change.
func (s *Server) endOtherSessions(ctx context.Context, p auth.Principal, why string) error {
	n, err := s.store.DeleteUserSessions(ctx, p.UserID, p.SessionHash)
	if err == nil {
		s.log.Info("other sessions ended", "user_id", p.UserID, "reason", why, "sessions", n)
	}
	return err
}

// changePassword sets u's password after checking the current one (an
// account without a password, made by SSO or link, sets its first one).
func (s *Server) changePassword(ctx context.Context, p auth.Principal, u store.User, current, next string) error {
	if u.PasswordHash != "" {
		if err := auth.CheckPassword(u.PasswordHash, current); err != nil {
			return cloudsage.Errorf(cloudsage.Invalid, "the current password is wrong")
		}
	}
	if len(next) < auth.MinPasswordLen || len(next) > 1024 {
		return cloudsage.Errorf(cloudsage.Invalid, "the new password must be %d to 1024 characters", auth.MinPasswordLen)
	}
	hash, err := auth.HashPassword(next, s.password)
	if err != nil {
		return err
	}
	if err := s.store.SetPassword(ctx, u.ID, hash); err != nil {
		return err
	}
	return s.endOtherSessions(ctx, p, "password changed")
}

// POST /api/auth/password {"current_password", "new_password"}.
func (s *Server) passwordChange(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
	}
	if err := readJSON(r, &body); err != nil {
		return err
	}
	p, u, err := s.accountUser(r)
	if err != nil {
		return err
	}
	if err := s.changePassword(r.Context(), p, u, body.Current, body.New); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "message": "password changed; your other sessions were ended"})
	return nil
}

// accountUser is the signed-in user (sessions only) with the account row.
func (s *Server) accountUser(r *http.Request) (auth.Principal, store.User, error) {
	p, err := s.user(r)
	if err != nil {
		return p, store.User{}, err
	}
	u, err := s.store.UserByID(r.Context(), p.UserID)
	return p, u, err
}

// twoFactorSetup is a new secret for the user to add to an authenticator.
type twoFactorSetup struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
	QRCode     string `json:"qr_png"` // a data: URL of the QR code of OTPAuthURL
}

// setupTwoFactor stores a new pending secret for u and returns it.
func (s *Server) setupTwoFactor(ctx context.Context, u store.User) (twoFactorSetup, error) {
	if u.TwoFactor() {
		return twoFactorSetup{}, cloudsage.Errorf(cloudsage.Conflict, "two-factor sign-in is on already; turn it off first to change the authenticator")
	}
	key, err := auth.NewTOTPKey("CloudSage", u.Email)
	if err != nil {
		return twoFactorSetup{}, err
	}
	if err := s.store.SetTOTPPending(ctx, u.ID, key.Secret()); err != nil {
		return twoFactorSetup{}, err
	}
	img, err := key.Image(220, 220)
	if err != nil {
		return twoFactorSetup{}, err
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return twoFactorSetup{}, err
	}
	return twoFactorSetup{Secret: key.Secret(), OTPAuthURL: key.URL(), QRCode: "data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes())}, nil
}

// enableTwoFactor confirms the pending secret with a code from it, turns
// the factor on and returns the new recovery codes (shown once).
func (s *Server) enableTwoFactor(ctx context.Context, p auth.Principal, u store.User, code string) ([]string, error) {
	if u.TwoFactor() {
		return nil, cloudsage.Errorf(cloudsage.Conflict, "two-factor sign-in is on already")
	}
	if u.TOTPPending == "" {
		return nil, cloudsage.Errorf(cloudsage.Invalid, "start the set-up first (POST /api/auth/2fa/setup)")
	}
	step, ok := auth.CheckTOTP(u.TOTPPending, code, s.now())
	if !ok {
		return nil, cloudsage.Errorf(cloudsage.Invalid, "the code does not match: check the authenticator app's clock and enter the current 6 digits")
	}
	codes, hashes := auth.NewRecoveryCodes(auth.RecoveryCodes)
	if err := s.store.EnableTOTP(ctx, u.ID, u.TOTPPending, step, hashes); err != nil {
		return nil, err
	}
	s.log.Info("two-factor sign-in enabled", "user_id", u.ID)
	return codes, s.endOtherSessions(ctx, p, "2fa enabled")
}

// disableTwoFactor turns the factor off after a current code (or a
// recovery code).
func (s *Server) disableTwoFactor(ctx context.Context, w http.ResponseWriter, p auth.Principal, u store.User, code string) error {
	if !u.TwoFactor() {
		return cloudsage.Errorf(cloudsage.Conflict, "two-factor sign-in is off already")
	}
	if s.cfg.Require2FA {
		return cloudsage.Errorf(cloudsage.Forbidden, "this CloudSage requires two-factor sign-in: it cannot be turned off")
	}
	if err := s.verifyCode(w, u, code); err != nil {
		return err
	}
	if err := s.store.DisableTOTP(ctx, u.ID); err != nil {
		return err
	}
	s.log.Info("two-factor sign-in disabled", "user_id", u.ID)
	return s.endOtherSessions(ctx, p, "2fa disabled")
}

// GET /api/auth/2fa: whether the caller's second factor is on.
func (s *Server) twoFactorShow(w http.ResponseWriter, r *http.Request) error {
	_, u, err := s.accountUser(r)
	if err != nil {
		return err
	}
	left, err := s.store.RecoveryCodesLeft(r.Context(), u.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"enabled": u.TwoFactor(), "recovery_codes_left": left, "required": s.cfg.Require2FA})
	return nil
}

// POST /api/auth/2fa/setup: a new secret to confirm with /api/auth/2fa/enable.
func (s *Server) twoFactorSetupPost(w http.ResponseWriter, r *http.Request) error {
	_, u, err := s.accountUser(r)
	if err != nil {
		return err
	}
	st, err := s.setupTwoFactor(r.Context(), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

type codeBody struct {
	Code string `json:"code"`
}

// POST /api/auth/2fa/enable {"code"}: turns the factor on.
func (s *Server) twoFactorEnable(w http.ResponseWriter, r *http.Request) error {
	var body codeBody
	if err := readJSON(r, &body); err != nil {
		return err
	}
	p, u, err := s.accountUser(r)
	if err != nil {
		return err
	}
	codes, err := s.enableTwoFactor(r.Context(), p, u, body.Code)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"enabled": true, "recovery_codes": codes,
		"message": "keep the " + strconv.Itoa(len(codes)) + " recovery codes somewhere safe: each signs in once without the app"})
	return nil
}

// POST /api/auth/2fa/disable {"code"}: turns the factor off.
func (s *Server) twoFactorDisable(w http.ResponseWriter, r *http.Request) error {
	var body codeBody
	if err := readJSON(r, &body); err != nil {
		return err
	}
	p, u, err := s.accountUser(r)
	if err != nil {
		return err
	}
	if err := s.disableTwoFactor(r.Context(), w, p, u, body.Code); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"enabled": false})
	return nil
}
