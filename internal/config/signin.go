package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
)

// OIDCProvider is a single sign-on provider (any OpenID Connect issuer:
// Google, Microsoft Entra, Okta, Keycloak, zitadel, ...).
//
// One provider is configured with CLOUDSAGE_OIDC_ISSUER, _CLIENT_ID and
// _CLIENT_SECRET (named "sso"). Several are listed by name in
// CLOUDSAGE_OIDC_PROVIDERS=google,okta, each configured by
// CLOUDSAGE_OIDC_<NAME>_ISSUER, _CLIENT_ID, _CLIENT_SECRET, and optionally
// _LABEL (the button's text) and _ALLOWED_DOMAINS (comma-separated email
// domains that may sign in; empty: any).
type OIDCProvider struct {
	Name           string // in the callback URL: /auth/oidc/<name>/callback
	Label          string // the sign-in button says "Sign in with <Label>"
	Issuer         string
	ClientID       string
	ClientSecret   Secret
	AllowedDomains []string
}

// LogValue shows a provider without its secret.
func (p OIDCProvider) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", p.Name), slog.String("issuer", p.Issuer), slog.String("client_id", p.ClientID),
		slog.Any("client_secret", p.ClientSecret), slog.Any("allowed_domains", p.AllowedDomains))
}

// AllowsEmail reports whether an address's domain may sign in with p.
func (p OIDCProvider) AllowsEmail(email string) bool {
	if len(p.AllowedDomains) == 0 {
		return true
	}
	_, domain, ok := strings.Cut(strings.ToLower(email), "@")
	if !ok {
		return false
	}
	for _, d := range p.AllowedDomains {
		if strings.EqualFold(strings.TrimPrefix(d, "@"), domain) {
			return true
		}
	}
	return false
}

var providerName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// oidcFromEnv reads the OIDC providers (see OIDCProvider).
func (c *Config) oidcFromEnv(getenv func(string) string) error {
	read := func(prefix, name, defLabel string) OIDCProvider {
		p := OIDCProvider{Name: name, Label: getenv(prefix + "LABEL"), Issuer: getenv(prefix + "ISSUER"), ClientID: getenv(prefix + "CLIENT_ID"),
			ClientSecret: Secret(getenv(prefix + "CLIENT_SECRET"))}
		if p.Label == "" {
			p.Label = defLabel
		}
		if v := getenv(prefix + "ALLOWED_DOMAINS"); v != "" {
			p.AllowedDomains = splitList(strings.ToLower(v))
		}
		return p
	}
	if getenv("CLOUDSAGE_OIDC_ISSUER") != "" || getenv("CLOUDSAGE_OIDC_CLIENT_ID") != "" {
		c.OIDC = append(c.OIDC, read("CLOUDSAGE_OIDC_", "sso", "SSO"))
	}
	var errs []error
	for _, name := range splitList(getenv("CLOUDSAGE_OIDC_PROVIDERS")) {
		name = strings.ToLower(name)
		if !providerName.MatchString(name) {
			errs = append(errs, fmt.Errorf("CLOUDSAGE_OIDC_PROVIDERS: %q is not a name of letters, digits and dashes", name))
			continue
		}
		env := "CLOUDSAGE_OIDC_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")) + "_"
		label := strings.ToUpper(name[:1]) + name[1:]
		c.OIDC = append(c.OIDC, read(env, name, label))
	}
	return errors.Join(errs...)
}

// validateOIDC checks each provider: an http(s) issuer, a client id, a
// unique name, and a base URL to build the callback from.
func (c Config) validateOIDC() error {
	var errs []error
	seen := map[string]bool{}
	for _, p := range c.OIDC {
		if !providerName.MatchString(p.Name) {
			errs = append(errs, fmt.Errorf("oidc provider %q: a name of lower-case letters, digits and dashes", p.Name))
		}
		if seen[p.Name] {
			errs = append(errs, fmt.Errorf("oidc provider %q is configured twice", p.Name))
		}
		seen[p.Name] = true
		if u, err := url.Parse(p.Issuer); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("oidc provider %q: issuer %q is not an http(s) URL like https://accounts.google.com", p.Name, p.Issuer))
		}
		if p.ClientID == "" {
			errs = append(errs, fmt.Errorf("oidc provider %q: the client id is missing", p.Name))
		}
	}
	if len(c.OIDC) > 0 && c.BaseURL == "" {
		errs = append(errs, errors.New("base-url must be set for single sign-on (the provider redirects back to <base-url>/auth/oidc/<name>/callback)"))
	}
	return errors.Join(errs...)
}
