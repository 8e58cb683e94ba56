// Package sso signs users in through OpenID Connect providers: the
// authorization-code flow with PKCE, state and nonce (golang.org/x/oauth2),
// and ID-token verification (github.com/coreos/go-oidc). It knows nothing of
// accounts or sessions: the web server stores the round trip's secrets,
// and decides what an identity may do.
package sso

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/cloudsage/cloudsage/internal/config"
)

// Provider is one configured OIDC provider. Its discovery document is
// fetched on first use (and again after a failure), so an identity
// provider that is down does not stop the server from starting.
type Provider struct {
	Config   config.OIDCProvider
	redirect string
	client   *http.Client

	mu       sync.Mutex
	provider *oidc.Provider
	oauth    oauth2.Config
}

// New returns the provider for cfg, redirecting back to redirectURL.
// client is the HTTP client for the provider (nil: a 15-second-timeout one).
func New(cfg config.OIDCProvider, redirectURL string, client *http.Client) *Provider {
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	return &Provider{Config: cfg, redirect: redirectURL, client: client}
}

func (p *Provider) ctx(ctx context.Context) context.Context { return oidc.ClientContext(ctx, p.client) }

// discover returns the provider's metadata and the OAuth 2 configuration.
func (p *Provider) discover(ctx context.Context) (*oidc.Provider, oauth2.Config, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.provider != nil {
		return p.provider, p.oauth, nil
	}
	op, err := oidc.NewProvider(p.ctx(ctx), p.Config.Issuer)
	if err != nil {
		return nil, oauth2.Config{}, fmt.Errorf("oidc discovery at %s: %w", p.Config.Issuer, err)
	}
	p.provider = op
	p.oauth = oauth2.Config{ClientID: p.Config.ClientID, ClientSecret: p.Config.ClientSecret.Reveal(), Endpoint: op.Endpoint(),
		RedirectURL: p.redirect, Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
	return p.provider, p.oauth, nil
}

// Start is one sign-in's secrets: state (in the URL and a cookie), nonce
// (bound into the ID token) and the PKCE verifier (sent only at exchange).
type Start struct {
	State, Nonce, Verifier string
}

// NewStart returns fresh random secrets for a sign-in.
func NewStart() Start {
	return Start{State: oauth2.GenerateVerifier(), Nonce: oauth2.GenerateVerifier(), Verifier: oauth2.GenerateVerifier()}
}

// AuthURL is where the browser goes to sign in at the provider.
func (p *Provider) AuthURL(ctx context.Context, st Start) (string, error) {
	_, oc, err := p.discover(ctx)
	if err != nil {
		return "", err
	}
	return oc.AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier)), nil
}

// Identity is who the provider says signed in.
type Identity struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
}

// ErrNoEmail is returned when the provider gives no email address.
var ErrNoEmail = errors.New("the identity provider gave no email address (is the email scope allowed?)")

// Exchange trades the callback's code for tokens and returns the verified
// identity of the ID token, which must carry st's nonce.
func (p *Provider) Exchange(ctx context.Context, code string, st Start) (Identity, error) {
	op, oc, err := p.discover(ctx)
	if err != nil {
		return Identity{}, err
	}
	ctx = p.ctx(ctx)
	tok, err := oc.Exchange(ctx, code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return Identity{}, fmt.Errorf("oidc code exchange: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return Identity{}, errors.New("oidc: the token answer has no id_token")
	}
	idt, err := op.Verifier(&oidc.Config{ClientID: p.Config.ClientID}).Verify(ctx, raw)
	if err != nil {
		return Identity{}, fmt.Errorf("oidc id token: %w", err)
	}
	if idt.Nonce != st.Nonce {
		return Identity{}, errors.New("oidc id token: the nonce does not match this sign-in")
	}
	var c struct {
		Email         string `json:"email"`
		EmailVerified *bool  `json:"email_verified"`
		Name          string `json:"name"`
	}
	if err := idt.Claims(&c); err != nil {
		return Identity{}, fmt.Errorf("oidc id token claims: %w", err)
	}
	id := Identity{Subject: idt.Subject, Email: strings.ToLower(strings.TrimSpace(c.Email)), Name: c.Name, EmailVerified: c.EmailVerified != nil && *c.EmailVerified}
	if id.Email == "" {
		// Some providers put the address only in the userinfo answer.
		ui, err := op.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err == nil {
			id.Email, id.EmailVerified = strings.ToLower(strings.TrimSpace(ui.Email)), ui.EmailVerified
		}
	}
	if id.Email == "" {
		return id, ErrNoEmail
	}
	return id, nil
}
