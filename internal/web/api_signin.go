package web

// Sign-in beyond the password (issue 13): magic links by mail, the TOTP
// second factor asked for after the first factor, and the list of methods
// this instance offers.

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/mail"
	"github.com/cloudsage/cloudsage/internal/store"
)

const (
	// MagicLinkTTL is how long a mailed sign-in link works.
	MagicLinkTTL = 15 * time.Minute
	// SecondFactorCookie holds the pending sign-in between the first factor
	// and the TOTP code.
	SecondFactorCookie = "cloudsage_2fa"
	secondFactorTTL    = 5 * time.Minute
	magicPrefix        = "csm_" // a magic sign-in link's secret
	pendingPrefix      = "csp_" // a pending second-factor sign-in's secret
)

// magicLinkSent is the answer to every accepted magic-link request, whether
// or not the address has an account.
const magicLinkSent = "If an account uses this address, a sign-in link valid for 15 minutes is on its way."

var (
	errCode        = cloudsage.Errorf(cloudsage.Unauthorized, "wrong or already used code")
	errNoPending   = cloudsage.Errorf(cloudsage.Unauthorized, "no sign-in is waiting for a code, or it waited too long: log in again")
	errMagicLink   = cloudsage.Errorf(cloudsage.Unauthorized, "this sign-in link has expired or was used already: ask for a new one")
	errCodeMissing = cloudsage.Errorf(cloudsage.Invalid, "code is required: the 6 digits from your authenticator app, or a recovery code")
)

// userAgent is the request's User-Agent, cut to 300 bytes for storage.
func userAgent(r *http.Request) string {
	ua := r.UserAgent()
	for len(ua) > 300 || !utf8.ValidString(ua) {
		ua = strings.ToValidUTF8(ua, "")
		if len(ua) > 300 {
			ua = ua[:300]
		}
	}
	return ua
}

// publicURL is the dashboard's public URL for links in mail and SSO
// redirects: the configured base URL, never the request's Host header
// (which a caller controls).
func (s *Server) publicURL() string {
	if s.cfg.BaseURL != "" {
		return strings.TrimRight(s.cfg.BaseURL, "/")
	}
	return "http://" + s.cfg.Addr
}

// writeSignedIn answers a sign-in: the user, or that a code is needed next.
func writeSignedIn(w http.ResponseWriter, u store.User, needCode bool) {
	if needCode {
		writeJSON(w, http.StatusOK, map[string]any{"two_factor_required": true,
			"message": "enter the code from your authenticator app: POST /api/auth/2fa/verify {\"code\"}"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": u})
}

// afterSignIn is where a signed-in page goes: next, or the code page first.
func afterSignIn(next string, needCode bool) string {
	if needCode {
		return "/login/2fa?next=" + url.QueryEscape(next)
	}
	return next
}

// beginSession signs u in after a first factor (password, magic link,
// SSO): a session, or — when u has a second factor — a pending sign-in
// that a code completes (needCode).
func (s *Server) beginSession(w http.ResponseWriter, r *http.Request, u store.User) (needCode bool, err error) {
	if !u.TwoFactor() {
		return false, s.startSession(w, r, u)
	}
	secret, hash := auth.NewSecret(pendingPrefix)
	now := s.now()
	err = s.store.CreateLoginToken(r.Context(), store.LoginToken{Hash: hash, Kind: store.LoginSecondFactor, UserID: u.ID,
		CreatedAt: now, ExpiresAt: now.Add(secondFactorTTL)})
	if err != nil {
		return false, err
	}
	http.SetCookie(w, &http.Cookie{Name: SecondFactorCookie, Value: secret, Path: "/", MaxAge: int(secondFactorTTL.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(r)})
	return true, nil
}

// completeSecondFactor finishes a pending sign-in with a TOTP or recovery
// code and starts the session.
func (s *Server) completeSecondFactor(w http.ResponseWriter, r *http.Request, code string) (store.User, error) {
	if strings.TrimSpace(code) == "" {
		return store.User{}, errCodeMissing
	}
	c, err := r.Cookie(SecondFactorCookie)
	if err != nil || c.Value == "" {
		return store.User{}, errNoPending
	}
	ctx, hash, now := r.Context(), auth.HashSecret(c.Value), s.now()
	lt, err := s.store.LoginToken(ctx, store.LoginSecondFactor, hash, now)
	if store.IsNotFound(err) {
		return store.User{}, errNoPending
	}
	if err != nil {
		return store.User{}, err
	}
	u, err := s.store.UserByID(ctx, lt.UserID)
	if err != nil {
		return store.User{}, err
	}
	if err := s.verifyCode(w, u, code); err != nil {
		return store.User{}, err
	}
	if _, err := s.store.UseLoginToken(ctx, store.LoginSecondFactor, hash, now); store.IsNotFound(err) {
		return store.User{}, errNoPending
	} else if err != nil {
		return store.User{}, err
	}
	http.SetCookie(w, &http.Cookie{Name: SecondFactorCookie, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(r)})
	return u, s.startSession(w, r, u)
}

// verifyCode is checkSecondFactor throttled per account: after 5 wrong
// codes in 15 minutes the account takes none for 5 minutes (a RateLimited
// error, with Retry-After set).
func (s *Server) verifyCode(w http.ResponseWriter, u store.User, code string) error {
	key, now := "2fa:"+strconv.FormatInt(int64(u.ID), 10), s.now()
	if ok, wait := s.throttle.Allow(key, now); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		return rateLimited("too many wrong codes; try again later", wait)
	}
	if err := s.checkSecondFactor(context.Background(), u, code); err != nil {
		if errors.Is(err, errCode) {
			s.throttle.Fail(key, now)
		}
		return err
	}
	s.throttle.Success(key)
	return nil
}

// checkSecondFactor accepts a TOTP code of u's secret not used before, or
// one of u's unused recovery codes (which it spends).
func (s *Server) checkSecondFactor(ctx context.Context, u store.User, code string) error {
	if step, ok := auth.CheckTOTP(u.TOTPSecret, code, s.now()); ok {
		fresh, err := s.store.UseTOTPStep(ctx, u.ID, step)
		if err != nil {
			return err
		}
		if !fresh {
			return errCode
		}
		return nil
	}
	if n := auth.NormalizeCode(code); len(n) == 10 && u.TwoFactor() {
		err := s.store.UseRecoveryCode(ctx, u.ID, auth.HashRecoveryCode(code), s.now())
		if store.IsNotFound(err) {
			return errCode
		}
		if err == nil {
			s.log.Info("recovery code used", "user_id", u.ID)
		}
		return err
	}
	return errCode
}

// POST /api/auth/2fa/verify {"code"}: completes a sign-in that needs a code.
func (s *Server) secondFactorVerify(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Code string `json:"code"`
	}
	if err := readJSON(r, &body); err != nil {
		return err
	}
	u, err := s.completeSecondFactor(w, r, body.Code)
	if err != nil {
		return err
	}
	writeSignedIn(w, u, false)
	return nil
}

func rateLimited(msg string, wait time.Duration) error {
	return &cloudsage.Error{Kind: cloudsage.RateLimited, Message: msg, Detail: map[string]int{"retry_after_seconds": int(wait.Seconds()) + 1}}
}

// POST /api/auth/magic-link {"email"}: mails a sign-in link if the address
// has an account. The answer is the same either way (202), and takes the
// same time: the look-up and the mail happen after it. Requests are
// throttled per address and per caller address (429 with Retry-After).
func (s *Server) magicLinkRequest(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Email string `json:"email"`
	}
	if err := readJSON(r, &body); err != nil {
		return err
	}
	email := strings.ToLower(strings.TrimSpace(body.Email))
	if !validEmail(email) {
		return cloudsage.Errorf(cloudsage.Invalid, "email must be an address like you@example.com")
	}
	if wait := s.requestMagicLink(w, r, email); wait > 0 {
		return rateLimited("too many sign-in links asked for; try again later", wait)
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"ok": true, "message": magicLinkSent})
	return nil
}

// requestMagicLink counts the request against the throttles and, unless
// one is exhausted (wait > 0, Retry-After set), sends the link in the
// background.
func (s *Server) requestMagicLink(w http.ResponseWriter, r *http.Request, email string) time.Duration {
	now := s.now()
	limits := []struct {
		t   *auth.Throttle
		key string
	}{{s.linkByEmail, email}, {s.linkByIP, s.clientIP(r)}}
	for _, l := range limits {
		if ok, wait := l.t.Allow(l.key, now); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			return wait
		}
	}
	for _, l := range limits {
		l.t.Fail(l.key, now) // every request counts, not only failures
	}
	if s.mail == nil {
		s.log.Warn("magic link asked for, but no SMTP server is configured (CLOUDSAGE_SMTP_HOST): nothing sent")
		return 0
	}
	ctx := context.WithoutCancel(r.Context())
	s.background.Go(func() { s.sendMagicLink(ctx, email) })
	return 0
}

// sendMagicLink mails a new link to email's account; an address without
// one gets nothing.
func (s *Server) sendMagicLink(ctx context.Context, email string) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	u, err := s.store.UserByEmail(ctx, email)
	if store.IsNotFound(err) {
		return
	}
	if err != nil {
		s.log.Error("magic link: user", "error", err)
		return
	}
	secret, hash := auth.NewSecret(magicPrefix)
	now := s.now()
	err = s.store.CreateLoginToken(ctx, store.LoginToken{Hash: hash, Kind: store.LoginMagic, Email: u.Email, UserID: u.ID,
		CreatedAt: now, ExpiresAt: now.Add(MagicLinkTTL)})
	if err != nil {
		s.log.Error("magic link: store", "user_id", u.ID, "error", err)
		return
	}
	link := s.publicURL() + "/auth/magic?token=" + url.QueryEscape(secret)
	text := "Hello,\n\nsomeone (we hope you) asked to sign in to CloudSage as " + u.Email + ". Open this link within 15 minutes to sign in:\n\n" +
		link + "\n\nThe link works once. If you did not ask for it, ignore this mail: nothing happens without the link.\n"
	if err := s.mail.Send(ctx, mail.Message{To: []string{u.Email}, Subject: "Your CloudSage sign-in link", Text: text}); err != nil {
		s.log.Error("magic link: send", "user_id", u.ID, "error", err)
		return
	}
	s.log.Info("magic link sent", "user_id", u.ID)
}

// useMagicLink spends a magic link's token and returns its account.
func (s *Server) useMagicLink(ctx context.Context, token string) (store.User, error) {
	token = strings.TrimSpace(token)
	if !strings.HasPrefix(token, magicPrefix) || len(token) > 100 {
		return store.User{}, errMagicLink
	}
	lt, err := s.store.UseLoginToken(ctx, store.LoginMagic, auth.HashSecret(token), s.now())
	if store.IsNotFound(err) {
		return store.User{}, errMagicLink
	}
	if err != nil {
		return store.User{}, err
	}
	u, err := s.store.UserByID(ctx, lt.UserID)
	if store.IsNotFound(err) || err == nil && u.Email != lt.Email {
		return store.User{}, errMagicLink // the account is gone or changed address since
	}
	return u, err
}

// POST /api/auth/magic-link/verify {"token"}: signs in with a link's token.
func (s *Server) magicLinkVerify(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Token string `json:"token"`
	}
	if err := readJSON(r, &body); err != nil {
		return err
	}
	u, err := s.useMagicLink(r.Context(), body.Token)
	if err != nil {
		return err
	}
	needCode, err := s.beginSession(w, r, u)
	if err != nil {
		return err
	}
	writeSignedIn(w, u, needCode)
	return nil
}

// signInMethod is one way to sign in, as GET /api/auth/methods lists it.
type signInMethod struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	URL   string `json:"url"`
}

// GET /api/auth/methods: how one can sign in here.
func (s *Server) signInMethods(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]any{"password": true, "magic_link": s.mail != nil, "sso": s.ssoMethods(),
		"require_2fa": s.cfg.Require2FA})
	return nil
}
