package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// post sends a form without following the redirect that answers it.
func (c *client) post(path string, form url.Values) resp {
	c.e.t.Helper()
	c.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	defer func() { c.hc.CheckRedirect = nil }()
	return c.do("POST", path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
}

// wantPage checks a page answer's status and that it shows text (or, for
// a redirect, goes to text).
func wantPage(t *testing.T, what string, r resp, code int, text string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("%s: status %d, want %d: %.400s", what, r.code, code, r.body)
	}
	if code/100 == 3 {
		if loc := r.hdr.Get("Location"); loc != text {
			t.Errorf("%s: redirects to %q, want %q", what, loc, text)
		}
		return
	}
	if !strings.Contains(string(r.body), text) {
		t.Errorf("%s: page does not show %q: %.600s", what, text, r.body)
	}
}

// TestPageForms posts the dashboard's forms that share their logic with
// the API (accounts, log-in, tokens, actions, deletion) and checks each
// answer's status and message.
func TestPageForms(t *testing.T) {
	e := start(t, openSQLite(t), nil)

	// Sign-up: the API's checks, worded as sentences; a taken email.
	anon := e.client()
	wantPage(t, "register bad", anon.post("/register", url.Values{"email": {"nope"}, "password": {"short"}}), 400,
		"Email must be an address like you@example.com. Password must be at least 10 characters.")
	wantPage(t, "register long password", anon.post("/register", url.Values{"email": {"x@example.com"}, "password": {strings.Repeat("p", 1025)}}), 400,
		"Password must be at most 1024 characters.")
	cred := url.Values{"email": {" Ann@Example.com "}, "password": {"a long passphrase"}}
	wantPage(t, "register", anon.post("/register", cred), 303, "/projects")
	wantPage(t, "register again", e.client().post("/register", cred), 409, "An account with this email exists already.")

	// Log-out, then log-in: wrong, right, throttled.
	wantPage(t, "logout", anon.post("/logout", nil), 303, "/login")
	if r := anon.post("/projects", url.Values{"name": {"x"}}); r.code != 303 || !strings.HasPrefix(r.hdr.Get("Location"), "/login") {
		t.Errorf("form after logout: %d to %q, want 303 to /login", r.code, r.hdr.Get("Location"))
	}
	wantPage(t, "login wrong", anon.post("/login", url.Values{"email": {"ann@example.com"}, "password": {"not the one"}}), 401, "Wrong email or password.")
	wantPage(t, "login", anon.post("/login", url.Values{"email": {"ANN@example.com"}, "password": {"a long passphrase"}, "next": {"/projects/1"}}), 303, "/projects/1")
	bob := e.client()
	for range 5 {
		bob.post("/login", url.Values{"email": {"bob@example.com"}, "password": {"guess guess"}})
	}
	r := bob.post("/login", url.Values{"email": {"bob@example.com"}, "password": {"guess guess"}})
	wantPage(t, "login throttled", r, 429, "Too many failed logins. Try again in 5m0s.")
	if r.hdr.Get("Retry-After") == "" {
		t.Error("throttled login page without Retry-After")
	}

	// Tokens from the settings page: a member token shown once, then revoked.
	ann := anon
	p := ann.project("shop")
	settings := "/projects/" + p + "/settings"
	wantPage(t, "token without name", ann.post(settings+"/tokens", url.Values{"name": {" "}}), 400, "name must be 1 to 100 characters")
	wantPage(t, "token", ann.post(settings+"/tokens", url.Values{"name": {"ci"}}), 201, "cs_")
	ts := ann.get("/api/projects/" + p + "/tokens").json(t)["tokens"].([]any)
	if len(ts) != 1 || ts[0].(map[string]any)["role"] != "member" || ts[0].(map[string]any)["name"] != "ci" {
		t.Fatalf("tokens after the page made one: %v", ts)
	}
	id := ts[0].(map[string]any)["id"]
	wantPage(t, "revoke bad id", ann.post(settings+"/tokens/x/revoke", nil), 404, "token not found")
	wantPage(t, "revoke", ann.post(settings+"/tokens/"+fmt.Sprint(int64(id.(float64)))+"/revoke", nil), 303, settings)
	if ts := ann.get("/api/projects/" + p + "/tokens").json(t)["tokens"]; ts != nil && len(ts.([]any)) != 0 {
		t.Errorf("tokens after revoking: %v", ts)
	}

	// Settings saved, and refused.
	wantPage(t, "settings", ann.post(settings, url.Values{"name": {"shop"}, "high_threshold": {"70"}, "medium_threshold": {"40"},
		"retention_days": {"30"}, "time_zone": {"UTC"}}), 303, settings+"?saved=1")
	wantPage(t, "settings saved", ann.get(settings+"?saved=1"), 200, "Settings saved.")
	if set := ann.get("/api/projects/" + p).json(t)["settings"].(map[string]any); set["keep_invalid_ndjson"] != false {
		t.Errorf("keep_invalid_ndjson after a form without the box = %v", set["keep_invalid_ndjson"])
	}
	wantPage(t, "settings keep broken ndjson", ann.post(settings, url.Values{"name": {"shop"}, "high_threshold": {"70"}, "medium_threshold": {"40"},
		"retention_days": {"30"}, "time_zone": {"UTC"}, "keep_invalid_ndjson": {"on"}}), 303, settings+"?saved=1")
	wantPage(t, "settings page shows the box ticked", ann.get(settings), 200, `name="keep_invalid_ndjson" type="checkbox" checked`)
	if set := ann.get("/api/projects/" + p).json(t)["settings"].(map[string]any); set["keep_invalid_ndjson"] != true {
		t.Errorf("keep_invalid_ndjson after ticking the box = %v", set["keep_invalid_ndjson"])
	}
	// Learning overrides from the settings page: checked, shown, removed.
	wantPage(t, "override unknown type", ann.post(settings+"/overrides", url.Values{"kind": {"mute"}, "target": {"no_such"}}), 400,
		"is not an action type of the knowledge base")
	wantPage(t, "override bad value", ann.post(settings+"/overrides", url.Values{"kind": {"threshold"}, "target": {"latency"}, "value": {"x"}}), 400,
		"value must be a number")
	wantPage(t, "override", ann.post(settings+"/overrides", url.Values{"kind": {"threshold"}, "target": {"latency"}, "value": {"800"}}), 303, settings+"#overrides")
	wantPage(t, "override shown", ann.get(settings), 200, "latency counts as high from 800")
	wantPage(t, "override removed", ann.post(settings+"/overrides/delete", url.Values{"kind": {"threshold"}, "target": {"latency"}}), 303, settings+"#overrides")
	wantPage(t, "override removed twice", ann.post(settings+"/overrides/delete", url.Values{"kind": {"threshold"}, "target": {"latency"}}), 404, "no threshold override")
	wantPage(t, "settings bad", ann.post(settings, url.Values{"name": {"shop"}, "high_threshold": {"x"}, "medium_threshold": {"40"},
		"retention_days": {"30"}}), 400, "high_threshold must be a number")

	// Feedback on an action: snoozed for 24 h; bad ids and statuses.
	wantPage(t, "action bad status", ann.post("/projects/"+p+"/actions/restart-db", url.Values{"status": {"later"}}), 400, "status must be")
	wantPage(t, "action bad id", ann.post("/projects/"+p+"/actions/a%20b", url.Values{"status": {"done"}}), 404, "action not found")
	before := time.Now()
	wantPage(t, "action snoozed", ann.post("/projects/"+p+"/actions/restart-db", url.Values{"status": {"snoozed"}}), 303, "/projects/"+p)
	as := ann.get("/api/projects/" + p + "/actions").json(t)["actions"].([]any)
	if len(as) != 1 {
		t.Fatalf("actions after snoozing one: %v", as)
	}
	a := as[0].(map[string]any)
	until, err := time.Parse(time.RFC3339, a["until"].(string))
	if a["action_id"] != "restart-db" || a["status"] != "snoozed" || err != nil ||
		until.Before(before.Add(24*time.Hour-time.Second)) || until.After(time.Now().Add(24*time.Hour+time.Second)) {
		t.Errorf("snoozed action = %v, want restart-db snoozed for 24 h", a)
	}

	// Deletion needs the exact name.
	wantPage(t, "delete unconfirmed", ann.post("/projects/"+p+"/delete", url.Values{"confirm": {"Shop"}}), 400, "type its exact name to confirm")
	wantPage(t, "delete", ann.post("/projects/"+p+"/delete", url.Values{"confirm": {"shop"}}), 303, "/projects")
	if r := ann.get("/api/projects/" + p); r.code != 404 {
		t.Errorf("project after deletion: %d, want 404", r.code)
	}
}
