package sso

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/coreos/go-oidc/v3/oidc/oidctest"

	"github.com/cloudsage/cloudsage/internal/config"
)

// provider is a test OpenID provider: go-oidc's discovery and keys, plus a
// token endpoint that checks the PKCE verifier against the challenge of
// the authorization URL and answers an ID token with the given claims.
type provider struct {
	srv       *httptest.Server
	challenge string         // S256 challenge from the authorization URL
	claims    map[string]any // of the next ID token (iss, aud, exp added)
}

func newProvider(t *testing.T) *provider {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &provider{}
	keys := &oidctest.Server{PublicKeys: []oidctest.PublicKey{{PublicKey: priv.Public(), KeyID: "k1", Algorithm: oidc.RS256}}}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/token" {
			keys.ServeHTTP(w, r)
			return
		}
		r.ParseForm()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if r.PostForm.Get("code") != "good-code" || base64.RawURLEncoding.EncodeToString(sum[:]) != p.challenge {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_grant"}`)
			return
		}
		c := map[string]any{"iss": p.srv.URL, "aud": "cs", "exp": time.Now().Add(time.Hour).Unix()}
		for k, v := range p.claims {
			c[k] = v
		}
		raw, _ := json.Marshal(c)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 3600,
			"id_token": oidctest.SignIDToken(priv, "k1", oidc.RS256, string(raw))})
	}))
	t.Cleanup(p.srv.Close)
	keys.SetIssuer(p.srv.URL)
	return p
}

// start begins a sign-in and records the PKCE challenge the provider would see.
func (p *provider) start(t *testing.T, sp *Provider) Start {
	st := NewStart()
	to, err := sp.AuthURL(t.Context(), st)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(to)
	q := u.Query()
	if q.Get("state") != st.State || q.Get("nonce") != st.Nonce || q.Get("code_challenge_method") != "S256" ||
		q.Get("client_id") != "cs" || q.Get("redirect_uri") != "https://cs.example/auth/oidc/t/callback" || !strings.Contains(q.Get("scope"), "email") {
		t.Fatalf("authorization URL %s", to)
	}
	p.challenge = q.Get("code_challenge")
	return st
}

func TestExchange(t *testing.T) {
	p := newProvider(t)
	sp := New(config.OIDCProvider{Name: "t", Issuer: p.srv.URL, ClientID: "cs", ClientSecret: "s"}, "https://cs.example/auth/oidc/t/callback", nil)

	st := p.start(t, sp)
	p.claims = map[string]any{"sub": "42", "nonce": st.Nonce, "email": "Ann@Example.com", "email_verified": true, "name": "Ann"}
	id, err := sp.Exchange(t.Context(), "good-code", st)
	if err != nil || id != (Identity{Subject: "42", Email: "ann@example.com", EmailVerified: true, Name: "Ann"}) {
		t.Fatalf("Exchange = %+v, %v", id, err)
	}

	// A token minted for another sign-in (its nonce) is refused.
	st = p.start(t, sp)
	p.claims["nonce"] = "someone else's"
	if _, err := sp.Exchange(t.Context(), "good-code", st); err == nil || !strings.Contains(err.Error(), "nonce") {
		t.Errorf("nonce mismatch: %v", err)
	}
	// Without the right PKCE verifier the provider gives no token.
	st = p.start(t, sp)
	p.claims["nonce"] = st.Nonce
	wrong := st
	wrong.Verifier = NewStart().Verifier
	if _, err := sp.Exchange(t.Context(), "good-code", wrong); err == nil || !strings.Contains(err.Error(), "code exchange") {
		t.Errorf("wrong verifier: %v", err)
	}
	// email_verified absent counts as not verified; no email at all is an error.
	st = p.start(t, sp)
	p.claims = map[string]any{"sub": "7", "nonce": st.Nonce, "email": "bob@example.com"}
	if id, err := sp.Exchange(t.Context(), "good-code", st); err != nil || id.EmailVerified {
		t.Errorf("no email_verified claim: %+v, %v", id, err)
	}
	st = p.start(t, sp)
	p.claims = map[string]any{"sub": "8", "nonce": st.Nonce}
	if _, err := sp.Exchange(t.Context(), "good-code", st); err != ErrNoEmail {
		t.Errorf("no email: %v", err)
	}
}

func TestDiscoveryFailureIsRetried(t *testing.T) {
	sp := New(config.OIDCProvider{Name: "t", Issuer: "http://127.0.0.1:1/", ClientID: "cs"}, "https://cs.example/cb", nil)
	if _, err := sp.AuthURL(t.Context(), NewStart()); err == nil || !strings.Contains(err.Error(), "oidc discovery") {
		t.Fatalf("AuthURL with the provider down = %v", err)
	}
	if sp.provider != nil {
		t.Error("a failed discovery was kept")
	}
}
