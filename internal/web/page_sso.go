package web

// Single sign-on through OpenID Connect providers (issue 13): the buttons'
// targets and the providers' callback. The account rules: an identity
// already linked signs in to its account; a new one is linked to the
// account with its email address, or gets a new account — both only when
// the provider has verified the address — and only for the provider's
// allowed email domains, if it has a list.

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/config"
	"github.com/cloudsage/cloudsage/internal/sso"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/web/ui"
)

const (
	ssoStateCookie = "cloudsage_sso" // binds a round trip to the browser that started it
	ssoTTL         = 10 * time.Minute
)

var errSSORound = cloudsage.Errorf(cloudsage.Invalid, "this sign-in did not start in this browser, or took longer than 10 minutes: start again")

// newSSO builds the configured providers.
func (s *Server) newSSO() []*sso.Provider {
	var out []*sso.Provider
	for _, c := range s.cfg.OIDC {
		out = append(out, sso.New(c, s.publicURL()+"/auth/oidc/"+c.Name+"/callback", nil))
	}
	return out
}

func (s *Server) ssoProvider(name string) (*sso.Provider, error) {
	for _, p := range s.sso {
		if p.Config.Name == name {
			return p, nil
		}
	}
	return nil, cloudsage.Errorf(cloudsage.NotFound, "no sign-in provider %q here", name)
}

// ssoMethods lists the providers as sign-in buttons.
func (s *Server) ssoMethods() []signInMethod {
	out := []signInMethod{}
	for _, p := range s.sso {
		out = append(out, signInMethod{Name: p.Config.Name, Label: p.Config.Label, URL: "/auth/oidc/" + p.Config.Name})
	}
	return out
}

// ssoRound is what a round trip keeps server-side, under the state's hash.
type ssoRound struct {
	Provider string `json:"provider"`
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"`
	Next     string `json:"next"`
}

// GET /auth/oidc/{provider}?next=: off to the provider's sign-in page.
func (s *Server) ssoStart(w http.ResponseWriter, r *http.Request) error {
	p, err := s.ssoProvider(r.PathValue("provider"))
	if err != nil {
		return err
	}
	st := sso.NewStart()
	to, err := p.AuthURL(r.Context(), st)
	if err != nil {
		s.log.Error("sso: discovery", "provider", p.Config.Name, "error", err)
		return s.ssoFailed(w, r, cloudsage.Errorf(cloudsage.Unavailable, "%s cannot be reached just now: try again, or sign in another way", p.Config.Label))
	}
	data, err := json.Marshal(ssoRound{Provider: p.Config.Name, Nonce: st.Nonce, Verifier: st.Verifier,
		Next: localPath(r.URL.Query().Get("next"), "/projects")})
	if err != nil {
		return err
	}
	now := s.now()
	err = s.store.CreateLoginToken(r.Context(), store.LoginToken{Hash: auth.HashSecret(st.State), Kind: store.LoginOIDC, Data: string(data),
		CreatedAt: now, ExpiresAt: now.Add(ssoTTL)})
	if err != nil {
		return err
	}
	// Lax: the cookie comes back on the provider's top-level redirect.
	http.SetCookie(w, &http.Cookie{Name: ssoStateCookie, Value: st.State, Path: "/auth/oidc/", MaxAge: int(ssoTTL.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(r)})
	http.Redirect(w, r, to, http.StatusFound)
	return nil
}

// GET /auth/oidc/{provider}/callback?code=&state=: the provider's answer.
func (s *Server) ssoCallback(w http.ResponseWriter, r *http.Request) error {
	p, err := s.ssoProvider(r.PathValue("provider"))
	if err != nil {
		return err
	}
	u, next, err := s.ssoFinish(w, r, p)
	if err != nil {
		if cloudsage.KindOf(err) == cloudsage.Internal {
			return err
		}
		return s.ssoFailed(w, r, err)
	}
	needCode, err := s.beginSession(w, r, u)
	if err != nil {
		return err
	}
	http.Redirect(w, r, afterSignIn(next, needCode), http.StatusSeeOther)
	return nil
}

// ssoFailed shows the sign-in page with what went wrong.
func (s *Server) ssoFailed(w http.ResponseWriter, r *http.Request, err error) error {
	return s.authPage(w, r, statusOf(cloudsage.KindOf(err)), "login", s.loginPage(ui.AuthPage{Next: "/projects", Error: cloudsage.MessageOf(err)}))
}

// ssoFinish checks the callback against its round trip, verifies the
// provider's identity and returns its account and where to go next.
func (s *Server) ssoFinish(w http.ResponseWriter, r *http.Request, p *sso.Provider) (store.User, string, error) {
	q := r.URL.Query()
	http.SetCookie(w, &http.Cookie{Name: ssoStateCookie, Value: "", Path: "/auth/oidc/", MaxAge: -1, Expires: time.Unix(0, 0),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(r)})
	if e := q.Get("error"); e != "" {
		msg := e
		if d := q.Get("error_description"); d != "" {
			msg += ": " + d
		}
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return store.User{}, "", cloudsage.Errorf(cloudsage.Unauthorized, "%s did not sign you in (%s)", p.Config.Label, msg)
	}
	state := q.Get("state")
	c, err := r.Cookie(ssoStateCookie)
	if state == "" || err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(state)) != 1 {
		return store.User{}, "", errSSORound
	}
	lt, err := s.store.UseLoginToken(r.Context(), store.LoginOIDC, auth.HashSecret(state), s.now())
	if store.IsNotFound(err) {
		return store.User{}, "", errSSORound
	}
	if err != nil {
		return store.User{}, "", err
	}
	var rt ssoRound
	if err := json.Unmarshal([]byte(lt.Data), &rt); err != nil || rt.Provider != p.Config.Name {
		return store.User{}, "", errSSORound
	}
	id, err := p.Exchange(r.Context(), q.Get("code"), sso.Start{State: state, Nonce: rt.Nonce, Verifier: rt.Verifier})
	if err == sso.ErrNoEmail {
		return store.User{}, "", cloudsage.Errorf(cloudsage.Forbidden, "%s gave no email address for your account", p.Config.Label)
	}
	if err != nil {
		s.log.Warn("sso: exchange", "provider", p.Config.Name, "error", err)
		return store.User{}, "", cloudsage.Errorf(cloudsage.Unauthorized, "%s's answer could not be verified: start again", p.Config.Label)
	}
	u, err := s.ssoAccount(r.Context(), p.Config, id)
	return u, rt.Next, err
}

// ssoAccount returns the account of a verified identity, linking or
// creating it by the rules at the top of this file.
func (s *Server) ssoAccount(ctx context.Context, cfg config.OIDCProvider, id sso.Identity) (store.User, error) {
	if !cfg.AllowsEmail(id.Email) {
		return store.User{}, cloudsage.Errorf(cloudsage.Forbidden, "%s may not sign in here with %s: its email domain is not allowed", id.Email, cfg.Label)
	}
	u, err := s.store.IdentityUser(ctx, cfg.Name, id.Subject)
	if err == nil || !store.IsNotFound(err) {
		return u, err
	}
	if !id.EmailVerified {
		return store.User{}, cloudsage.Errorf(cloudsage.Forbidden, "%s has not verified the address %s: verify it there, then sign in again", cfg.Label, id.Email)
	}
	if !validEmail(id.Email) {
		return store.User{}, cloudsage.Errorf(cloudsage.Forbidden, "%s gave the address %q, which is not usable here", cfg.Label, id.Email)
	}
	u, err = s.store.UserByEmail(ctx, id.Email)
	if store.IsNotFound(err) {
		name := strings.TrimSpace(id.Name)
		if len(name) > 200 {
			name = ""
		}
		u, err = s.store.CreateUser(ctx, store.User{Email: id.Email, Name: name})
		if err == nil {
			s.log.Info("user created by single sign-on", "user_id", u.ID, "provider", cfg.Name)
		}
	}
	if err != nil {
		return store.User{}, err
	}
	if err := s.store.LinkIdentity(ctx, store.Identity{Provider: cfg.Name, Subject: id.Subject, UserID: u.ID, Email: id.Email}); err != nil {
		if cloudsage.KindOf(err) != cloudsage.Conflict {
			return store.User{}, err
		}
		// A concurrent first sign-in linked it: sign in to whichever account won.
		return s.store.IdentityUser(ctx, cfg.Name, id.Subject)
	}
	s.log.Info("single sign-on identity linked", "user_id", u.ID, "provider", cfg.Name)
	return u, nil
}
