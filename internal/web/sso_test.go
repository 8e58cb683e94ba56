package web_test

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cloudsage/cloudsage/internal/config"
	"github.com/cloudsage/cloudsage/internal/testenv"
)

// The identity provider's users: ann has an account here already, newbie
// has none, eve's address is not verified, out's domain is not allowed.
const opUsers = `{
 "u1": {"ID": "u1", "Username": "ann", "Password": "verysecure", "FirstName": "Ann", "LastName": "A", "Email": "ann@example.com", "EmailVerified": true},
 "u2": {"ID": "u2", "Username": "newbie", "Password": "verysecure", "FirstName": "New", "LastName": "Bie", "Email": "newbie@example.com", "EmailVerified": true},
 "u3": {"ID": "u3", "Username": "eve", "Password": "verysecure", "FirstName": "Eve", "LastName": "E", "Email": "eve@example.com", "EmailVerified": false},
 "u4": {"ID": "u4", "Username": "out", "Password": "verysecure", "FirstName": "Out", "LastName": "O", "Email": "out@elsewhere.org", "EmailVerified": true}
}`

// ssoSignIn walks the whole flow with c's cookie jar, as a browser would:
// our start URL, the provider's login form, back to our callback. It
// returns the last answer.
func ssoSignIn(t *testing.T, c *client, username string) resp {
	t.Helper()
	res, err := c.hc.Get(c.e.url + "/auth/oidc/zitadel?next=%2Fprojects")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	login := res.Request.URL // the provider's login page
	id := login.Query().Get("authRequestID")
	if res.StatusCode != 200 || id == "" || !strings.HasPrefix(login.String(), "http://localhost:") {
		t.Fatalf("the start did not reach the provider's login page: %d %s", res.StatusCode, login)
	}
	form := url.Values{"id": {id}, "username": {username}, "password": {"verysecure"}}
	res, err = c.hc.PostForm(login.Scheme+"://"+login.Host+"/login/username", form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if !strings.HasPrefix(res.Request.URL.String(), c.e.url) {
		t.Fatalf("the provider did not send back here: %s %.300s", res.Request.URL, b)
	}
	return resp{res.StatusCode, res.Header, b}
}

// TestSSO signs in through a real OpenID provider (the zitadel example
// OP): linking by verified email, just-in-time accounts, refusals for an
// unverified address and a domain not allowed, and a forged callback.
func TestSSO(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	op := testenv.StartOIDCProvider(t, opUsers, base+"/auth/oidc/zitadel/callback")
	e := startOn(t, ln, openSQLite(t), func(c *config.Config) {
		c.BaseURL = base
		c.OIDC = []config.OIDCProvider{{Name: "zitadel", Label: "Zitadel", Issuer: op.Issuer, ClientID: "web", ClientSecret: "secret",
			AllowedDomains: []string{"example.com"}}}
	})
	ann := e.user("ann")
	annID := ann.get("/api/auth/me").json(t)["user"].(map[string]any)["id"]

	page := string(e.client().get("/login").body)
	if !strings.Contains(page, `href="/auth/oidc/zitadel?next=%2fprojects"`) && !strings.Contains(page, `href="/auth/oidc/zitadel?next=%2Fprojects"`) ||
		!strings.Contains(page, "Sign in with Zitadel") {
		t.Errorf("the sign-in page has no SSO button: %.1000s", page)
	}
	if m := e.client().get("/api/auth/methods"); !strings.Contains(string(m.body), `"url":"/auth/oidc/zitadel"`) {
		t.Errorf("methods = %s", m.body)
	}

	// Ann's verified address links the identity to her account.
	c := e.client()
	r := ssoSignIn(t, c, "ann")
	if r.code != 200 || !strings.Contains(string(r.body), "Projects") {
		t.Fatalf("after SSO: %d %.300s", r.code, r.body)
	}
	me := c.get("/api/auth/me")
	want(t, "me after SSO", me, 200)
	if got := me.json(t)["user"].(map[string]any)["id"]; got != annID {
		t.Errorf("SSO signed in as user %v, want ann (%v)", got, annID)
	}
	// Again: the linked identity.
	c2 := e.client()
	ssoSignIn(t, c2, "ann")
	if got := c2.get("/api/auth/me").json(t)["user"].(map[string]any)["id"]; got != annID {
		t.Errorf("the second SSO sign-in is user %v, want %v", got, annID)
	}

	// Newbie gets an account just in time, without a password.
	nb := e.client()
	ssoSignIn(t, nb, "newbie")
	u := nb.get("/api/auth/me")
	want(t, "newbie's me", u, 200)
	if u.json(t)["user"].(map[string]any)["email"] != "newbie@example.com" {
		t.Errorf("newbie = %s", u.body)
	}
	want(t, "newbie creates a project", nb.send("POST", "/api/projects", map[string]string{"name": "fresh"}), 201)
	if !strings.Contains(string(nb.get("/account").body), "Set a password") {
		t.Error("the SSO account's page does not offer to set a first password")
	}

	// Eve's address is not verified: no account, no link.
	ev := e.client()
	r = ssoSignIn(t, ev, "eve")
	if r.code != 403 || !strings.Contains(string(r.body), "has not verified the address eve@example.com") {
		t.Errorf("unverified address: %d %.300s", r.code, r.body)
	}
	want(t, "eve's me", ev.get("/api/auth/me"), 401)
	if _, err := e.store.UserByEmail(t.Context(), "eve@example.com"); err == nil {
		t.Error("an account was made for an unverified address")
	}
	// Out's domain is not on the list.
	out := e.client()
	r = ssoSignIn(t, out, "out")
	if r.code != 403 || !strings.Contains(string(r.body), "email domain is not allowed") {
		t.Errorf("domain not allowed: %d %.300s", r.code, r.body)
	}
	want(t, "out's me", out.get("/api/auth/me"), 401)

	// A callback this browser did not start is refused.
	forged := e.client()
	r = forged.get("/auth/oidc/zitadel/callback?code=abc&state=forged")
	if r.code != 400 || !strings.Contains(string(r.body), "did not start in this browser") {
		t.Errorf("forged callback: %d %.300s", r.code, r.body)
	}
	if r := forged.get("/auth/oidc/nope"); r.code != 404 {
		t.Errorf("unknown provider: %d", r.code)
	}
	// The provider's error comes back as a message.
	res, err := forged.hc.Get(e.url + "/auth/oidc/zitadel/callback?error=access_denied&error_description=user+cancelled")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(string(b), "access_denied: user cancelled") {
		t.Errorf("provider error: %d %.300s", res.StatusCode, b)
	}
}
