package web_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/config"
	"github.com/cloudsage/cloudsage/internal/testenv"
)

// withMailpit points the server's mail at a fresh mailpit.
func withMailpit(t *testing.T) (*testenv.Mailpit, func(*config.Config)) {
	mp := testenv.StartMailpit(t, false)
	return mp, func(c *config.Config) {
		c.SMTPHost, c.SMTPPort, c.SMTPTLS, c.SMTPFrom = mp.Host, mp.Port, "none", "CloudSage <signin@example.com>"
		c.BaseURL = "http://cloudsage.test"
	}
}

var magicLinkRE = regexp.MustCompile(`http://cloudsage\.test/auth/magic\?token=(csm_[A-Za-z0-9_-]+)`)

// mailedToken returns the token of the newest magic link mailed to addr,
// after mailpit holds n messages.
func mailedToken(t *testing.T, mp *testenv.Mailpit, n int, addr string) string {
	t.Helper()
	ms := mp.Messages(t, n)
	m := ms[0]
	if len(m.To) != 1 || m.To[0].Address != addr || m.Subject != "Your CloudSage sign-in link" {
		t.Fatalf("mail %+v, want a sign-in link to %s", m, addr)
	}
	text, _ := mp.Body(t, m.ID)
	match := magicLinkRE.FindStringSubmatch(text)
	if match == nil {
		t.Fatalf("no sign-in link in the mail: %s", text)
	}
	return match[1]
}

// TestMagicLink: the same answer for a known and an unknown address, a
// mail only for the known one, a link that signs in once, within 15
// minutes, and throttling per address.
func TestMagicLink(t *testing.T) {
	mp, mod := withMailpit(t)
	e := start(t, openSQLite(t), mod)
	e.user("ann")
	anon := e.client()

	known := anon.send("POST", "/api/auth/magic-link", map[string]string{"email": " Ann@Example.com "})
	unknown := anon.send("POST", "/api/auth/magic-link", map[string]string{"email": "nobody@example.com"})
	want(t, "magic link for ann", known, 202)
	want(t, "magic link for nobody", unknown, 202)
	if string(known.body) != string(unknown.body) {
		t.Errorf("the answers differ: %s / %s", known.body, unknown.body)
	}
	e.srv.Wait()
	tok := mailedToken(t, mp, 1, "ann@example.com")
	if ms := mp.Messages(t, 1); len(ms) != 1 {
		t.Errorf("mailpit holds %d messages: an unknown address got mail", len(ms))
	}
	// The link's page asks for a click and does not spend the link.
	r := anon.get("/auth/magic?token=" + url.QueryEscape(tok))
	if r.code != 200 || !strings.Contains(string(r.body), "ann@example.com") || !strings.Contains(string(r.body), `action="/auth/magic"`) {
		t.Fatalf("link page: %d %.300s", r.code, r.body)
	}
	r = anon.do("POST", "/auth/magic", "application/x-www-form-urlencoded", strings.NewReader("token="+url.QueryEscape(tok)))
	if r.code != 200 || !strings.Contains(string(r.body), "Projects") {
		t.Fatalf("sign in by link: %d %.300s", r.code, r.body)
	}
	want(t, "me after the link", anon.get("/api/auth/me"), 200)
	// Used once: the second use is refused, by the page and by the API.
	other := e.client()
	r = other.do("POST", "/auth/magic", "application/x-www-form-urlencoded", strings.NewReader("token="+url.QueryEscape(tok)))
	if r.code != 400 || !strings.Contains(string(r.body), "expired or was used already") {
		t.Errorf("second use of a link: %d %.300s", r.code, r.body)
	}
	want(t, "second use by API", other.send("POST", "/api/auth/magic-link/verify", map[string]string{"token": tok}), 401)
	want(t, "a made-up token", other.send("POST", "/api/auth/magic-link/verify", map[string]string{"token": "csm_nope"}), 401)
	want(t, "no session after refusals", other.get("/api/auth/me"), 401)

	// A link older than 15 minutes is refused.
	want(t, "second link", other.send("POST", "/api/auth/magic-link", map[string]string{"email": "ann@example.com"}), 202)
	e.srv.Wait()
	tok2 := mailedToken(t, mp, 2, "ann@example.com")
	e.advance(16 * time.Minute)
	want(t, "an expired link", other.send("POST", "/api/auth/magic-link/verify", map[string]string{"token": tok2}), 401)

	// Three requests per address in 15 minutes; the fourth waits, for a
	// known and an unknown address alike.
	for _, addr := range []string{"ann@example.com", "nobody@example.com"} {
		var last resp
		for range 4 {
			last = anon.send("POST", "/api/auth/magic-link", map[string]string{"email": addr})
		}
		want(t, "fourth link for "+addr, last, 429)
		if last.hdr.Get("Retry-After") == "" {
			t.Errorf("429 without Retry-After for %s", addr)
		}
	}
	want(t, "bad address", anon.send("POST", "/api/auth/magic-link", map[string]string{"email": "not an address"}), 400)
	want(t, "bad JSON", anon.do("POST", "/api/auth/magic-link", "application/json", strings.NewReader(`{"email":`)), 400)
}

// TestMagicLinkPerIP: one caller cannot ask for links for many addresses.
func TestMagicLinkPerIP(t *testing.T) {
	e := start(t, openSQLite(t), nil) // no SMTP: the answers are the same all the same
	anon := e.client()
	for i := range 20 {
		want(t, fmt.Sprint("link ", i), anon.send("POST", "/api/auth/magic-link", map[string]string{"email": fmt.Sprintf("u%d@example.com", i)}), 202)
	}
	want(t, "21st address from one caller", anon.send("POST", "/api/auth/magic-link", map[string]string{"email": "u99@example.com"}), 429)
	m := anon.get("/api/auth/methods").json(t)
	if m["magic_link"] != false || m["password"] != true {
		t.Errorf("methods without SMTP = %v", m)
	}
	if strings.Contains(string(anon.get("/login").body), "Email me a sign-in link") {
		t.Error("the sign-in page offers links without an SMTP server")
	}
}

// TestMagicLinkPage: the sign-in page's "Email me a sign-in link" form.
func TestMagicLinkPage(t *testing.T) {
	mp, mod := withMailpit(t)
	e := start(t, openSQLite(t), mod)
	e.user("ann")
	anon := e.client()
	page := string(anon.get("/login").body)
	if !strings.Contains(page, `action="/login/magic"`) || !strings.Contains(page, "Email me a sign-in link") {
		t.Fatalf("the sign-in page has no link form: %.500s", page)
	}
	r := anon.do("POST", "/login/magic", "application/x-www-form-urlencoded", strings.NewReader("email=ann%40example.com&next=%2Fprojects"))
	if r.code != 202 || !strings.Contains(string(r.body), "a sign-in link valid for 15 minutes is on its way") {
		t.Fatalf("link form: %d %.300s", r.code, r.body)
	}
	e.srv.Wait()
	mailedToken(t, mp, 1, "ann@example.com")
}

// signUpWith2FA registers name and turns two-factor sign-in on; it
// returns the client and the secret.
func signUpWith2FA(t *testing.T, e *env, name string) (*client, string, []string) {
	t.Helper()
	c := e.user(name)
	setup := c.send("POST", "/api/auth/2fa/setup", nil)
	want(t, "2fa setup", setup, 200)
	m := setup.json(t)
	secret := m["secret"].(string)
	if !strings.HasPrefix(m["otpauth_url"].(string), "otpauth://totp/CloudSage:"+name+"@example.com?") ||
		!strings.HasPrefix(m["qr_png"].(string), "data:image/png;base64,") {
		t.Fatalf("setup = %v", m)
	}
	want(t, "enable with a wrong code", c.send("POST", "/api/auth/2fa/enable", map[string]string{"code": "000000"}), 400)
	code, _ := auth.TOTPCode(secret, e.now())
	r := c.send("POST", "/api/auth/2fa/enable", map[string]string{"code": code})
	want(t, "2fa enable", r, 200)
	var codes []string
	for _, x := range r.json(t)["recovery_codes"].([]any) {
		codes = append(codes, x.(string))
	}
	if len(codes) != 10 {
		t.Fatalf("recovery codes = %v", codes)
	}
	return c, secret, codes
}

// login posts a password login and returns the answer.
func (c *client) login(name string) resp {
	return c.send("POST", "/api/auth/login", map[string]string{"email": name + "@example.com", "password": "a long passphrase for " + name})
}

// TestTwoFactor: set up with a confirmed code, then every password login
// asks for a code; codes work once; recovery codes work once; turning it on
// or off ends the other sessions.
func TestTwoFactor(t *testing.T) {
	e := start(t, openSQLite(t), nil)
	ann2 := e.client()
	e.user("ann")
	want(t, "second session", ann2.login("ann"), 200)
	_, secret, codes := signUpWith2FA(t, e, "bob")
	bob := e.client()
	r := bob.login("bob")
	want(t, "password login with 2fa", r, 200)
	if r.json(t)["two_factor_required"] != true || r.json(t)["user"] != nil {
		t.Fatalf("login with 2fa on = %s", r.body)
	}
	want(t, "me before the code", bob.get("/api/auth/me"), 401)
	want(t, "a wrong code", bob.send("POST", "/api/auth/2fa/verify", map[string]string{"code": "123456"}), 401)
	want(t, "no code", bob.send("POST", "/api/auth/2fa/verify", map[string]string{"code": ""}), 400)
	// The code that enabled 2FA was spent: the next step's code works.
	e.advance(30 * time.Second)
	code, _ := auth.TOTPCode(secret, e.now())
	want(t, "the right code", bob.send("POST", "/api/auth/2fa/verify", map[string]string{"code": code}), 200)
	want(t, "me after the code", bob.get("/api/auth/me"), 200)
	// The same code cannot sign in a second time.
	c2 := e.client()
	want(t, "login again", c2.login("bob"), 200)
	want(t, "a replayed code", c2.send("POST", "/api/auth/2fa/verify", map[string]string{"code": code}), 401)
	// A recovery code works once, whatever its spelling.
	want(t, "a recovery code", c2.send("POST", "/api/auth/2fa/verify", map[string]string{"code": strings.ToUpper(codes[0])}), 200)
	c3 := e.client()
	want(t, "login again", c3.login("bob"), 200)
	want(t, "a used recovery code", c3.send("POST", "/api/auth/2fa/verify", map[string]string{"code": codes[0]}), 401)
	if st := c2.get("/api/auth/2fa").json(t); st["enabled"] != true || st["recovery_codes_left"] != 9.0 {
		t.Errorf("2fa status = %v", st)
	}
	// Five wrong codes lock the account's code check for a while.
	for range 5 {
		c3.send("POST", "/api/auth/2fa/verify", map[string]string{"code": "999999"})
	}
	r = c3.send("POST", "/api/auth/2fa/verify", map[string]string{"code": codes[1]})
	want(t, "a right code after five wrong ones", r, 429)
	if r.hdr.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// Turning it off needs a code, and ends the other sessions.
	e.advance(6 * time.Minute) // past the lock-out
	want(t, "disable with a wrong code", c2.send("POST", "/api/auth/2fa/disable", map[string]string{"code": "111111"}), 401)
	want(t, "disable", c2.send("POST", "/api/auth/2fa/disable", map[string]string{"code": codes[2]}), 200)
	want(t, "another session after disabling", bob.get("/api/auth/me"), 401)
	want(t, "the session that disabled it", c2.get("/api/auth/me"), 200)
	if r := e.client().login("bob"); r.json(t)["user"] == nil {
		t.Errorf("login after disabling still asks for a code: %s", r.body)
	}
	// Enabling ends the other sessions too.
	want(t, "ann's second session before ann enables", ann2.get("/api/auth/me"), 200)
	annMain := e.client()
	want(t, "ann logs in", annMain.login("ann"), 200)
	want(t, "setup", annMain.send("POST", "/api/auth/2fa/setup", nil), 200)
	u, _ := e.store.UserByEmail(t.Context(), "ann@example.com")
	code, _ = auth.TOTPCode(u.TOTPPending, e.now())
	want(t, "ann enables", annMain.send("POST", "/api/auth/2fa/enable", map[string]string{"code": code}), 200)
	want(t, "ann's other session after enabling", ann2.get("/api/auth/me"), 401)
	want(t, "setup when on", annMain.send("POST", "/api/auth/2fa/setup", nil), 409)
}

// TestTwoFactorPages: the code page after the password, the account
// page's set-up with a QR code, and the recovery codes shown once.
func TestTwoFactorPages(t *testing.T) {
	e := start(t, openSQLite(t), nil)
	ann := e.user("ann")
	r := ann.do("POST", "/account/2fa/setup", "application/x-www-form-urlencoded", nil)
	page := string(r.body)
	if r.code != 200 || !strings.Contains(page, `src="data:image/png;base64,`) || !strings.Contains(page, `id="totp-secret"`) {
		t.Fatalf("set-up page: %d %.500s", r.code, page)
	}
	secret := regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`).FindStringSubmatch(page)[1]
	r = ann.do("POST", "/account/2fa/enable", "application/x-www-form-urlencoded", strings.NewReader("code=000000"))
	if r.code != 400 || !strings.Contains(string(r.body), "The code does not match") {
		t.Errorf("wrong code on the page: %d", r.code)
	}
	code, _ := auth.TOTPCode(secret, e.now())
	r = ann.do("POST", "/account/2fa/enable", "application/x-www-form-urlencoded", strings.NewReader("code="+code))
	if r.code != 200 || strings.Count(string(r.body), "<li><code>") != 10 {
		t.Fatalf("enable page: %d %.500s", r.code, r.body)
	}
	if strings.Contains(string(ann.get("/account").body), "<li><code>") {
		t.Error("the recovery codes are shown again")
	}
	// Sign in through the pages: password, then the code page.
	c := e.client()
	r = c.do("POST", "/login", "application/x-www-form-urlencoded", strings.NewReader("email=ann%40example.com&password=a+long+passphrase+for+ann&next=%2Fprojects"))
	if r.code != 200 || !strings.Contains(string(r.body), `action="/login/2fa"`) {
		t.Fatalf("after the password: %d %.300s", r.code, r.body)
	}
	r = c.do("POST", "/login/2fa", "application/x-www-form-urlencoded", strings.NewReader("code=000000&next=%2Fprojects"))
	if r.code != 401 || !strings.Contains(string(r.body), "Wrong or already used code") {
		t.Errorf("a wrong code on the page: %d %.300s", r.code, r.body)
	}
	e.advance(30 * time.Second)
	code, _ = auth.TOTPCode(secret, e.now())
	r = c.do("POST", "/login/2fa", "application/x-www-form-urlencoded", strings.NewReader("code="+code+"&next=%2Fprojects"))
	if r.code != 200 || !strings.Contains(string(r.body), "<h1>Projects</h1>") && !strings.Contains(string(r.body), "Projects") {
		t.Fatalf("after the code: %d %.300s", r.code, r.body)
	}
	want(t, "me", c.get("/api/auth/me"), 200)
}

// TestRequire2FA: on an instance that requires it, an account without it
// can only set it up.
func TestRequire2FA(t *testing.T) {
	e := start(t, openSQLite(t), func(c *config.Config) { c.Require2FA = true })
	ann := e.user("ann")
	want(t, "projects without 2fa", ann.get("/api/projects"), 403)
	r := ann.get("/projects")
	if r.code != 200 || !strings.Contains(string(r.body), `id="need-2fa"`) {
		t.Fatalf("the projects page does not send to the account page: %d %.300s", r.code, r.body)
	}
	want(t, "methods", ann.get("/api/auth/methods"), 200)
	setup := ann.send("POST", "/api/auth/2fa/setup", nil)
	want(t, "setup", setup, 200)
	code, _ := auth.TOTPCode(setup.json(t)["secret"].(string), e.now())
	r = ann.send("POST", "/api/auth/2fa/enable", map[string]string{"code": code})
	want(t, "enable", r, 200)
	want(t, "projects with 2fa", ann.get("/api/projects"), 200)
	rc := r.json(t)["recovery_codes"].([]any)[0].(string)
	want(t, "disabling where it is required", ann.send("POST", "/api/auth/2fa/disable", map[string]string{"code": rc}), 403)
}

// TestSessions: list with the current one marked, revoke one, and a
// password change ends the others.
func TestSessions(t *testing.T) {
	e := start(t, openSQLite(t), nil)
	ann := e.user("ann") // registering made a session, logging in another
	phone := e.client()
	r := phone.do("POST", "/api/auth/login", "application/json",
		strings.NewReader(`{"email":"ann@example.com","password":"a long passphrase for ann"}`), "User-Agent", "AnnPhone/1.0")
	want(t, "phone login", r, 200)
	bob := e.user("bob")

	r = ann.get("/api/auth/sessions")
	want(t, "sessions", r, 200)
	list := r.json(t)["sessions"].([]any)
	if len(list) != 3 {
		t.Fatalf("sessions = %s", r.body)
	}
	var phoneID string
	current := 0
	for _, x := range list {
		s := x.(map[string]any)
		if s["current"] == true {
			current++
		}
		if s["user_agent"] == "AnnPhone/1.0" {
			phoneID = s["id"].(string)
			if s["ip"] != "127.0.0.1" || s["created_at"] == nil || s["last_seen_at"] == nil {
				t.Errorf("phone session = %v", s)
			}
		}
	}
	if current != 1 || phoneID == "" {
		t.Fatalf("sessions: %d current, phone %q: %s", current, phoneID, r.body)
	}
	want(t, "bob revokes ann's session", bob.do("DELETE", "/api/auth/sessions/"+phoneID, "", nil), 404)
	want(t, "a bad id", ann.do("DELETE", "/api/auth/sessions/nope", "", nil), 404)
	want(t, "phone before", phone.get("/api/auth/me"), 200)
	want(t, "revoke the phone", ann.do("DELETE", "/api/auth/sessions/"+phoneID, "", nil), 200)
	want(t, "phone after", phone.get("/api/auth/me"), 401)
	if n := len(ann.get("/api/auth/sessions").json(t)["sessions"].([]any)); n != 2 {
		t.Errorf("%d sessions after revoking one, want 2", n)
	}

	// A password change needs the current password and ends the others.
	want(t, "phone logs in again", phone.login("ann"), 200)
	want(t, "wrong current password", ann.send("POST", "/api/auth/password", map[string]string{"current_password": "nope", "new_password": "a brand new passphrase"}), 400)
	want(t, "short new password", ann.send("POST", "/api/auth/password", map[string]string{"current_password": "a long passphrase for ann", "new_password": "short"}), 400)
	want(t, "password change", ann.send("POST", "/api/auth/password", map[string]string{"current_password": "a long passphrase for ann", "new_password": "a brand new passphrase"}), 200)
	want(t, "phone after the change", phone.get("/api/auth/me"), 401)
	want(t, "ann after the change", ann.get("/api/auth/me"), 200)
	want(t, "bob is untouched", bob.get("/api/auth/me"), 200)
	want(t, "old password", e.client().login("ann"), 401)
	want(t, "new password", e.client().send("POST", "/api/auth/login", map[string]string{"email": "ann@example.com", "password": "a brand new passphrase"}), 200)
	// Revoke all others at once.
	want(t, "revoke others", ann.send("POST", "/api/auth/sessions/revoke-others", nil), 200)
	if n := len(ann.get("/api/auth/sessions").json(t)["sessions"].([]any)); n != 1 {
		t.Errorf("%d sessions after revoking the others, want 1", n)
	}
	// An API token is not a session: it cannot list or revoke sessions.
	p := bob.project("shop")
	tok := bob.send("POST", "/api/projects/"+p+"/tokens", map[string]string{"name": "ci"}).json(t)["token"].(string)
	robot := &client{e: e, hc: e.client().hc, token: tok}
	want(t, "a token lists sessions", robot.get("/api/auth/sessions"), 403)
}

// TestAccountPage: sessions listed with revoke buttons; revoking from the
// page works.
func TestAccountPage(t *testing.T) {
	e := start(t, openSQLite(t), nil)
	ann := e.user("ann")
	other := e.client()
	want(t, "other login", other.login("ann"), 200)
	page := string(ann.get("/account").body)
	ids := regexp.MustCompile(`action="/account/sessions/([0-9a-f]{16})/revoke"`).FindAllStringSubmatch(page, -1)
	if len(ids) != 3 || !strings.Contains(page, "(this one)") || !strings.Contains(page, "Set up two-factor sign-in") {
		t.Fatalf("account page: %d revoke buttons: %.800s", len(ids), page)
	}
	r := ann.do("POST", "/account/sessions/revoke-others", "application/x-www-form-urlencoded", nil)
	if r.code != 200 || !strings.Contains(string(r.body), "Signed out everywhere else") {
		t.Errorf("revoke others: %d", r.code)
	}
	want(t, "other after revoke", other.get("/api/auth/me"), 401)
	r = ann.do("POST", "/account/password", "application/x-www-form-urlencoded", strings.NewReader("current_password=wrong&new_password=a+brand+new+passphrase"))
	if r.code != 400 || !strings.Contains(string(r.body), "The current password is wrong") {
		t.Errorf("wrong current password on the page: %d", r.code)
	}
}

// TestAccountRoutesNeedASession: every account route refuses a caller
// without a session (401) and an API token (403), with a JSON error.
func TestAccountRoutesNeedASession(t *testing.T) {
	e := start(t, openSQLite(t), nil)
	bob := e.user("bob")
	p := bob.project("shop")
	tok := bob.send("POST", "/api/projects/"+p+"/tokens", map[string]string{"name": "ci"}).json(t)["token"].(string)
	robot := &client{e: e, hc: e.client().hc, token: tok}
	anon := e.client()
	routes := []struct{ method, path string }{
		{"GET", "/api/auth/sessions"}, {"DELETE", "/api/auth/sessions/0123456789abcdef"}, {"POST", "/api/auth/sessions/revoke-others"},
		{"POST", "/api/auth/password"}, {"GET", "/api/auth/2fa"}, {"POST", "/api/auth/2fa/setup"},
		{"POST", "/api/auth/2fa/enable"}, {"POST", "/api/auth/2fa/disable"},
	}
	for _, rt := range routes {
		body := `{"code":"123456","current_password":"x","new_password":"a long enough one"}`
		want(t, "anonymous "+rt.method+" "+rt.path, anon.do(rt.method, rt.path, "application/json", strings.NewReader(body)), 401)
		want(t, "token "+rt.method+" "+rt.path, robot.do(rt.method, rt.path, "application/json", strings.NewReader(body)), 403)
	}
	want(t, "2fa verify without a pending sign-in", anon.send("POST", "/api/auth/2fa/verify", map[string]string{"code": "123456"}), 401)
	if r := anon.get("/account"); r.code != 200 || !strings.Contains(string(r.body), `action="/login"`) {
		t.Errorf("the account page without a session does not lead to the sign-in page: %d", r.code)
	}
}

// TestMagicLinkWithTwoFactor: a link is a first factor only; an account
// with two-factor sign-in still needs its code.
func TestMagicLinkWithTwoFactor(t *testing.T) {
	mp, mod := withMailpit(t)
	e := start(t, openSQLite(t), mod)
	_, _, codes := signUpWith2FA(t, e, "ann")
	anon := e.client()
	want(t, "link", anon.send("POST", "/api/auth/magic-link", map[string]string{"email": "ann@example.com"}), 202)
	e.srv.Wait()
	tok := mailedToken(t, mp, 1, "ann@example.com")
	r := anon.send("POST", "/api/auth/magic-link/verify", map[string]string{"token": tok})
	want(t, "verify the link", r, 200)
	if r.json(t)["two_factor_required"] != true {
		t.Fatalf("a link signed in past the second factor: %s", r.body)
	}
	want(t, "me before the code", anon.get("/api/auth/me"), 401)
	want(t, "the code", anon.send("POST", "/api/auth/2fa/verify", map[string]string{"code": codes[0]}), 200)
	want(t, "me after the code", anon.get("/api/auth/me"), 200)
}
