package config

import (
	"flag"
	"strings"
	"testing"
)

func TestOIDCFromEnv(t *testing.T) {
	env := map[string]string{
		"CLOUDSAGE_BASE_URL":                    "https://cs.example.com",
		"CLOUDSAGE_OIDC_ISSUER":                 "https://idp.example.com",
		"CLOUDSAGE_OIDC_CLIENT_ID":              "cs",
		"CLOUDSAGE_OIDC_CLIENT_SECRET":          "s3cret",
		"CLOUDSAGE_OIDC_PROVIDERS":              "google, okta-eu",
		"CLOUDSAGE_OIDC_GOOGLE_ISSUER":          "https://accounts.google.com",
		"CLOUDSAGE_OIDC_GOOGLE_CLIENT_ID":       "g",
		"CLOUDSAGE_OIDC_GOOGLE_ALLOWED_DOMAINS": "Example.com, @corp.example",
		"CLOUDSAGE_OIDC_OKTA_EU_ISSUER":         "https://okta.example.com",
		"CLOUDSAGE_OIDC_OKTA_EU_CLIENT_ID":      "o",
		"CLOUDSAGE_OIDC_OKTA_EU_LABEL":          "Okta (EU)",
		"CLOUDSAGE_REQUIRE_2FA":                 "true",
	}
	c, err := Load(flag.NewFlagSet("t", flag.ContinueOnError), nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if !c.Require2FA || len(c.OIDC) != 3 {
		t.Fatalf("Require2FA %v, providers %+v", c.Require2FA, c.OIDC)
	}
	sso, g, o := c.OIDC[0], c.OIDC[1], c.OIDC[2]
	if sso.Name != "sso" || sso.Label != "SSO" || sso.ClientSecret.Reveal() != "s3cret" || g.Name != "google" || g.Label != "Google" ||
		o.Name != "okta-eu" || o.Label != "Okta (EU)" || o.ClientID != "o" {
		t.Errorf("providers = %+v", c.OIDC)
	}
	for email, want := range map[string]bool{"ann@example.com": true, "ann@EXAMPLE.com": true, "bob@corp.example": true, "eve@evil.com": false,
		"eve@sub.example.com": false, "no-at": false} {
		if got := g.AllowsEmail(email); got != want {
			t.Errorf("AllowsEmail(%q) = %v", email, got)
		}
	}
	if !sso.AllowsEmail("anyone@anywhere.org") {
		t.Error("a provider without a domain list refuses an address")
	}
}

func TestOIDCValidate(t *testing.T) {
	env := map[string]string{"CLOUDSAGE_OIDC_PROVIDERS": "good,Bad_Name,x", "CLOUDSAGE_OIDC_GOOD_ISSUER": "ftp://idp", "CLOUDSAGE_OIDC_X_ISSUER": "https://x.example"}
	c, err := Load(flag.NewFlagSet("t", flag.ContinueOnError), nil, func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), `"bad_name"`) {
		t.Errorf("Load = %v, want the bad provider name", err)
	}
	err = c.Validate()
	for _, want := range []string{`"good": issuer "ftp://idp"`, `"good": the client id is missing`, `"x": the client id is missing`, "base-url must be set"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want %q", err, want)
		}
	}
	if strings.Contains(c.LogValue().String(), "s3cret") {
		t.Error("a secret in the log value")
	}
}
