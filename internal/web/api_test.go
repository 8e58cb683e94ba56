package web_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/config"
	"github.com/cloudsage/cloudsage/internal/store"
)

var dialects = []struct {
	name string
	open func(*testing.T) store.Store
}{
	{"sqlite", openSQLite},
	{"postgres", openPostgres},
}

func TestAPI(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			run := func(name string, mod func(*config.Config), f func(*testing.T, *env)) {
				t.Run(name, func(t *testing.T) { f(t, start(t, d.open(t), mod)) })
			}
			run("OwnerWalk", nil, testOwnerWalk)
			run("Isolation", nil, testIsolation)
			run("BadInput", nil, testBadInput)
			run("Tokens", nil, testTokens)
			run("Roles", nil, testRoles)
			run("Formats", nil, testFormats)
			run("RateLimit", func(c *config.Config) { c.RateLimit = 5 }, testRateLimit)
			run("Retry", nil, testRetry)
			run("SearchSyntax", nil, testSearchSyntax)
			run("Invitations", nil, testInvitations)
			run("Members", nil, testMembers)
			run("Comments", nil, testComments)
		})
	}
}

// testOwnerWalk visits every route as the project's owner.
func testOwnerWalk(t *testing.T, e *env) {
	ann := e.user("ann")
	p := ann.project("shop")
	base := "/api/projects/" + p

	r := ann.get("/api/auth/me")
	want(t, "me", r, 200)
	if r.json(t)["user"].(map[string]any)["email"] != "ann@example.com" {
		t.Errorf("me = %s", r.body)
	}
	r = ann.get("/api/forecast/" + p)
	want(t, "forecast before any logs", r, 200)

	r = ann.text("/api/ingest/"+p, sampleLogs(2000, "walkmarker"))
	want(t, "ingest", r, 200)
	m := r.json(t)
	if m["accepted"].(float64) != 2000 || m["received"].(float64) != 2000 || m["batch_id"] == nil || m["new_patterns"].(float64) < 1 {
		t.Errorf("ingest answer = %s", r.body)
	}
	risk := m["risk"].(map[string]any)
	if _, ok := risk["score"].(float64); !ok || risk["label"] == "" {
		t.Errorf("ingest risk = %v", risk)
	}
	if f := m["formats"].(map[string]any); len(f) < 3 {
		t.Errorf("ingest formats = %v, want access, json, logfmt, ...", f)
	}

	r = ann.get("/api/ingest/" + p)
	want(t, "batches", r, 200)
	if bs := r.json(t)["batches"].([]any); len(bs) != 1 {
		t.Errorf("batches = %s", r.body)
	}
	// Events are searchable as soon as the ingest is acknowledged.
	r = ann.get(base + "/logs?q=walkmarker&limit=1000")
	want(t, "logs q", r, 200)
	evs := r.json(t)["events"].([]any)
	if len(evs) != 500 {
		t.Errorf("logs?q=walkmarker found %d, want 500", len(evs))
	}
	// Paging follows next_cursor to the end, newest first, each event once.
	seen := map[float64]bool{}
	url := base + "/logs?limit=300"
	var last string
	for range 20 {
		r = ann.get(url)
		want(t, "logs page", r, 200)
		page := r.json(t)
		for _, ev := range page["events"].([]any) {
			ev := ev.(map[string]any)
			if last != "" && ev["time"].(string) > last {
				t.Fatalf("logs not newest first: %s after %s", ev["time"], last)
			}
			last = ev["time"].(string)
			seen[ev["id"].(float64)] = true
		}
		cur, _ := page["next_cursor"].(string)
		if cur == "" {
			break
		}
		url = base + "/logs?limit=300&cursor=" + cur
	}
	if len(seen) != 2000 {
		t.Errorf("paging saw %d events, want 2000", len(seen))
	}
	r = ann.get(base + "/logs?level=error&limit=1000")
	want(t, "logs level", r, 200)
	for _, ev := range r.json(t)["events"].([]any) {
		if lv := ev.(map[string]any)["level"]; lv != "error" {
			t.Fatalf("level=error returned a %v event", lv)
		}
	}
	r = ann.get(base + "/patterns")
	want(t, "patterns", r, 200)
	pats := r.json(t)["patterns"].([]any)
	if len(pats) < 3 {
		t.Fatalf("patterns = %s", r.body)
	}
	pid := pats[0].(map[string]any)["id"].(string)
	r = ann.get(base + "/logs?pattern=" + pid + "&limit=5")
	want(t, "logs pattern", r, 200)
	for _, ev := range r.json(t)["events"].([]any) {
		if ev.(map[string]any)["pattern"] != pid {
			t.Fatalf("pattern filter returned %v", ev)
		}
	}

	for _, h := range []string{"", "?horizon=24h", "?horizon=48h", "?horizon=72h"} {
		r = ann.get("/api/forecast/" + p + h)
		want(t, "forecast"+h, r, 200)
		f := r.json(t)
		fc := f["forecast"].(map[string]any)
		if _, ok := f["risk"].(map[string]any)["score"].(float64); !ok || fc["points"] == nil {
			t.Fatalf("forecast%s lacks risk.score or forecast.points: %.300s", h, r.body)
		}
		if h == "?horizon=72h" && fc["horizon_hours"].(float64) != 72 {
			t.Errorf("forecast%s horizon_hours = %v", h, fc["horizon_hours"])
		}
	}
	r = ann.get("/api/forecast/" + p)
	if n, _ := r.json(t)["narrative"].(map[string]any); n["source"] != "deterministic" || !strings.HasPrefix(n["text"].(string), "Risk ") {
		t.Errorf("forecast narrative without CLOUDSAGE_LLM_URL = %v, want the deterministic text", n)
	}
	acts := r.json(t)["actions"].([]any)
	if len(acts) < 2 {
		t.Fatalf("forecast has %d actions, want several", len(acts))
	}
	done := acts[0].(map[string]any)["id"].(string)
	snoozed := acts[1].(map[string]any)["id"].(string)
	want(t, "action done", ann.send("POST", base+"/actions/"+done, map[string]string{"status": "done"}), 200)
	want(t, "action snoozed", ann.send("POST", base+"/actions/"+snoozed, map[string]string{"status": "snoozed",
		"until": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}), 200)
	r = ann.get("/api/forecast/" + p)
	for _, a := range r.json(t)["actions"].([]any) {
		if id := a.(map[string]any)["id"]; id == done || id == snoozed {
			t.Errorf("action %v marked done/snoozed is still listed", id)
		}
	}
	r = ann.get(base + "/actions")
	want(t, "action list", r, 200)
	if as := r.json(t)["actions"].([]any); len(as) != 2 || as[0].(map[string]any)["key"] == nil {
		t.Errorf("actions (each with its type) = %s", r.body)
	}
	// The feedback is learned per action type: done raises the type.
	r = ann.get(base + "/learning")
	want(t, "learning", r, 200)
	if l := r.json(t); l["feedback_events"].(float64) != 2 || len(l["types"].([]any)) == 0 {
		t.Errorf("learning = %s", r.body)
	}
	want(t, "feedback removed", ann.send("DELETE", base+"/actions/"+done, nil), 204)
	want(t, "feedback removed twice", ann.send("DELETE", base+"/actions/"+done, nil), 404)
	r = ann.get("/api/forecast/" + p)
	if a := r.json(t)["actions"].([]any); a[0].(map[string]any)["id"] != done {
		t.Errorf("action %s whose feedback was removed is not listed first again: %.300s", done, r.body)
	}
	want(t, "not relevant", ann.send("POST", base+"/actions/"+done, map[string]string{"status": "not_relevant"}), 200)
	want(t, "feedback restored", ann.send("DELETE", base+"/actions/"+done, nil), 204)

	// Manual overrides: checked, listed, shown as changes, reversible.
	key := acts[0].(map[string]any)["key"].(string)
	for _, bad := range []map[string]any{
		{"kind": "maybe", "target": key}, {"kind": "mute", "target": "no_such_type"}, {"kind": "mute", "target": ""},
		{"kind": "threshold", "target": "latency"}, {"kind": "threshold", "target": "speed", "value": 3},
		{"kind": "threshold", "target": "error_rate", "value": 2}, {"kind": "pin", "target": key, "value": 1},
	} {
		r = ann.send("POST", base+"/overrides", bad)
		want(t, fmt.Sprintf("override %v", bad), r, 400)
		if !strings.Contains(string(r.body), `"error"`) {
			t.Errorf("override %v: no error message: %s", bad, r.body)
		}
	}
	want(t, "mute", ann.send("POST", base+"/overrides", map[string]any{"kind": "mute", "target": key}), 200)
	want(t, "threshold", ann.send("POST", base+"/overrides", map[string]any{"kind": "threshold", "target": "latency", "value": 800}), 200)
	r = ann.get(base + "/overrides")
	want(t, "override list", r, 200)
	if os := r.json(t)["overrides"].([]any); len(os) != 2 || os[0].(map[string]any)["kind"] != "mute" {
		t.Errorf("overrides = %s", r.body)
	}
	r = ann.get(base + "/learning")
	if !strings.Contains(string(r.body), "muted") || !strings.Contains(string(r.body), "latency counts as high from 800") {
		t.Errorf("learning does not say what the overrides change: %s", r.body)
	}
	r = ann.get(base + "/learning/state")
	want(t, "learned state", r, 200)
	if st := r.json(t); st["version"].(float64) != 1 || st["overrides"].(map[string]any)["muted"].([]any)[0] != key {
		t.Errorf("learned state = %s", r.body)
	}
	want(t, "unmute", ann.send("DELETE", base+"/overrides/mute/"+key, nil), 204)
	want(t, "unmute twice", ann.send("DELETE", base+"/overrides/mute/"+key, nil), 404)
	want(t, "threshold removed", ann.send("DELETE", base+"/overrides/threshold/latency", nil), 204)
	r = ann.get(base + "/incidents")
	want(t, "incidents", r, 200)
	if _, ok := r.json(t)["incidents"].([]any); !ok {
		t.Errorf("incidents = %s", r.body)
	}
	want(t, "no such incident", ann.send("PUT", base+"/incidents/999", map[string]string{"title": "x"}), 404)
	want(t, "malformed incident id", ann.get(base+"/incidents/abc"), 404)

	want(t, "forecast history", ann.get("/api/forecast/"+p+"/history"), 200)
	r = ann.get("/api/forecast/" + p + "/accuracy")
	want(t, "forecast accuracy", r, 200)
	if acc := r.json(t); acc["pending"].(float64) != 1 || acc["scored"].(float64) != 0 || acc["scorecard"] == nil {
		t.Errorf("accuracy right after the first forecast: one pending, none scored: %s", r.body)
	}
	r = ann.get("/api/forecast/" + p + "/risk-history?from=" + time.Now().Add(-time.Hour).UTC().Format(time.RFC3339))
	want(t, "risk history", r, 200)
	if pts := r.json(t)["points"].([]any); len(pts) != 1 {
		t.Errorf("risk history = %s", r.body)
	}
	r = ann.get("/api/analytics/trends")
	want(t, "trends", r, 200)
	if ps := r.json(t)["projects"].([]any); len(ps) != 1 || ps[0].(map[string]any)["trend_7d"] == nil {
		t.Errorf("trends = %s", r.body)
	}

	r = ann.get("/api/projects")
	want(t, "project list", r, 200)
	if ps := r.json(t)["projects"].([]any); len(ps) != 1 {
		t.Errorf("projects = %s", r.body)
	}
	r = ann.get(base)
	want(t, "project show", r, 200)
	if r.json(t)["events"].(float64) != 2000 {
		t.Errorf("project events = %s", r.body)
	}
	r = ann.send("PUT", base, map[string]any{"name": "shop-eu", "settings": map[string]any{"high_threshold": 80, "time_zone": "Europe/Paris", "retention_days": 7}})
	want(t, "project update", r, 200)
	set := r.json(t)["settings"].(map[string]any)
	if set["high_threshold"].(float64) != 80 || set["medium_threshold"].(float64) != 40 || set["retention_days"].(float64) != 7 {
		t.Errorf("settings after update = %v", set)
	}
	// The new thresholds apply from the next ingest on.
	want(t, "ingest after settings", ann.text("/api/ingest/"+p, sampleLogs(100, "after")), 200)

	want(t, "members", ann.get(base+"/members"), 200)
	tok := ann.send("POST", base+"/tokens", map[string]string{"name": "ci"})
	want(t, "token create", tok, 201)
	r = ann.get(base + "/tokens")
	want(t, "token list", r, 200)
	if strings.Contains(string(r.body), tok.json(t)["token"].(string)) {
		t.Error("token list shows the secret")
	}
	r = ann.do("DELETE", fmt.Sprintf("%s/tokens/%v", base, tok.json(t)["id"]), "", nil)
	want(t, "token delete", r, 204)

	for _, path := range []string{"/api/status", "/api/vultr/status", "/healthz", "/readyz"} {
		r = ann.get(path)
		want(t, path, r, 200)
	}
	r = ann.get("/metrics")
	want(t, "metrics", r, 200)
	if !strings.Contains(string(r.body), `cloudsage_ingest_lines_total{protocol="http"} 2100`) {
		t.Errorf("/metrics lacks the ingest line count")
	}
	want(t, "project delete", ann.do("DELETE", base, "", nil), 204)
	want(t, "deleted project", ann.get(base), 404)
	want(t, "logout", ann.do("POST", "/api/auth/logout", "", nil), 200)
	want(t, "after logout", ann.get("/api/projects"), 401)
}

// testIsolation: another user gets 404 on every project route and method.
func testIsolation(t *testing.T, e *env) {
	ann, bob := e.user("ann"), e.user("bob")
	p := ann.project("shop")
	want(t, "ingest", ann.text("/api/ingest/"+p, sampleLogs(200, "x")), 200)
	tok := ann.send("POST", "/api/projects/"+p+"/tokens", map[string]string{"name": "ci"}).json(t)
	act := "0123abcd"
	ch := ann.send("POST", "/api/projects/"+p+"/channels", map[string]string{"type": "webhook", "name": "hook", "target": "http://127.0.0.1:9/x"})
	want(t, "ann creates a channel", ch, 201)
	cid := fmt.Sprint(ch.json(t)["id"])
	rules := ann.get("/api/projects/" + p + "/rules")
	want(t, "ann lists rules", rules, 200)
	rid := fmt.Sprint(rules.json(t)["rules"].([]any)[0].(map[string]any)["id"])
	inv := ann.send("POST", "/api/projects/"+p+"/invitations", map[string]string{"email": "zed@example.com", "role": "viewer"}).json(t)
	routes := []struct{ method, path string }{
		{"GET", "/api/projects/" + p}, {"PUT", "/api/projects/" + p}, {"DELETE", "/api/projects/" + p},
		{"GET", "/api/projects/" + p + "/members"}, {"PUT", "/api/projects/" + p + "/members"},
		{"DELETE", "/api/projects/" + p + "/members/1"},
		{"GET", "/api/projects/" + p + "/tokens"}, {"POST", "/api/projects/" + p + "/tokens"},
		{"DELETE", fmt.Sprintf("/api/projects/%s/tokens/%v", p, tok["id"])},
		{"POST", "/api/ingest/" + p}, {"GET", "/api/ingest/" + p},
		{"GET", "/api/projects/" + p + "/logs?q=error"}, {"GET", "/api/projects/" + p + "/patterns"},
		{"GET", "/api/projects/" + p + "/export?format=csv&what=events"}, {"GET", "/api/projects/" + p + "/export?what=actions"},
		{"GET", "/api/projects/" + p + "/report.pdf"},
		{"GET", "/api/forecast/" + p}, {"GET", "/api/forecast/" + p + "?horizon=72h"},
		{"GET", "/api/forecast/" + p + "/history"}, {"GET", "/api/forecast/" + p + "/risk-history"},
		{"GET", "/api/projects/" + p + "/actions"}, {"POST", "/api/projects/" + p + "/actions/" + act},
		{"GET", "/api/projects/" + p + "/activity"}, {"GET", "/api/projects/" + p + "/stream"},
		{"GET", "/api/projects/" + p + "/channels"}, {"POST", "/api/projects/" + p + "/channels"},
		{"PUT", "/api/projects/" + p + "/channels/" + cid}, {"DELETE", "/api/projects/" + p + "/channels/" + cid},
		{"POST", "/api/projects/" + p + "/channels/" + cid + "/test"},
		{"GET", "/api/projects/" + p + "/rules"}, {"POST", "/api/projects/" + p + "/rules"},
		{"PUT", "/api/projects/" + p + "/rules/" + rid}, {"DELETE", "/api/projects/" + p + "/rules/" + rid},
		{"GET", "/api/projects/" + p + "/notifications"},
		{"DELETE", "/api/projects/" + p + "/actions/" + act}, {"GET", "/api/forecast/" + p + "/accuracy"},
		{"GET", "/api/projects/" + p + "/learning"}, {"GET", "/api/projects/" + p + "/learning/state"},
		{"GET", "/api/projects/" + p + "/overrides"}, {"POST", "/api/projects/" + p + "/overrides"},
		{"DELETE", "/api/projects/" + p + "/overrides/mute/db_pool_exhaustion"},
		{"PUT", "/api/projects/" + p + "/members/1"},
		{"GET", "/api/projects/" + p + "/invitations"}, {"POST", "/api/projects/" + p + "/invitations"},
		{"DELETE", fmt.Sprintf("/api/projects/%s/invitations/%v", p, inv["id"])},
		{"GET", "/api/projects/" + p + "/forecast/comments"}, {"POST", "/api/projects/" + p + "/forecast/comments"},
		{"GET", "/api/projects/" + p + "/actions/" + act + "/comments"}, {"POST", "/api/projects/" + p + "/actions/" + act + "/comments"},
		{"GET", "/api/projects/" + p + "/incidents"}, {"GET", "/api/projects/" + p + "/incidents/1"},
		{"PUT", "/api/projects/" + p + "/incidents/1"},
	}
	for _, rt := range routes {
		r := bob.do(rt.method, rt.path, "application/json", strings.NewReader(`{"name":"x","status":"done","email":"bob@example.com","role":"admin","body":"hi"}`))
		want(t, "bob "+rt.method+" "+rt.path, r, 404)
		// A guessed id of a project that does not exist answers the same.
		other := strings.Replace(rt.path, "/"+p, "/999999", 1)
		want(t, "ann "+rt.method+" "+other, ann.do(rt.method, other, "application/json", strings.NewReader(`{}`)), 404)
	}
	// Bob's list shows nothing of Ann's.
	r := bob.get("/api/analytics/trends")
	want(t, "bob trends", r, 200)
	if strings.Contains(string(r.body), "shop") {
		t.Errorf("bob's trends show ann's project: %s", r.body)
	}
	// Bob cannot take the invitation's place nor see its comments.
	if r := ann.get("/api/projects/" + p + "/invitations"); len(r.json(t)["invitations"].([]any)) != 1 {
		t.Errorf("ann's invitations after bob: %s", r.body)
	}
	// Ann's project survived it all.
	want(t, "ann after bob", ann.get("/api/projects/"+p), 200)
	want(t, "ann's channel after bob", ann.get("/api/projects/"+p+"/channels"), 200)
	if r := ann.get("/api/projects/" + p + "/rules"); len(r.json(t)["rules"].([]any)) != 2 {
		t.Errorf("ann's rules after bob: %s", r.body)
	}
}

func testBadInput(t *testing.T, e *env) {
	ann := e.user("ann")
	p := ann.project("shop")
	anon := e.client()
	cases := []struct {
		name string
		c    *client
		do   func(c *client) resp
		code int
	}{
		{"no session", anon, func(c *client) resp { return c.get("/api/projects") }, 401},
		{"bad cookie", anon, func(c *client) resp { return c.do("GET", "/api/projects", "", nil, "Cookie", "cloudsage_session=nope") }, 401},
		{"bad bearer", anon, func(c *client) resp { return c.do("GET", "/api/projects", "", nil, "Authorization", "Bearer cs_nope") }, 401},
		{"cross-site delete", ann, func(c *client) resp {
			return c.do("DELETE", "/api/projects/"+p, "", nil, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
		}, 403},
		{"cross-site ingest", ann, func(c *client) resp {
			return c.do("POST", "/api/ingest/"+p, "text/plain", strings.NewReader("x"), "Sec-Fetch-Site", "cross-site")
		}, 403},
		{"truncated JSON", ann, func(c *client) resp {
			return c.do("POST", "/api/projects", "application/json", strings.NewReader(`{"name":`))
		}, 400},
		{"empty name", ann, func(c *client) resp { return c.send("POST", "/api/projects", map[string]string{"name": " "}) }, 400},
		{"wrong type", ann, func(c *client) resp { return c.send("POST", "/api/projects", map[string]int{"name": 3}) }, 400},
		{"bad settings", ann, func(c *client) resp {
			return c.send("PUT", "/api/projects/"+p, map[string]any{"settings": map[string]any{"time_zone": "Mars/Base"}})
		}, 400},
		{"bad gzip", ann, func(c *client) resp {
			return c.do("POST", "/api/ingest/"+p, "text/plain", strings.NewReader("not gzip at all"), "Content-Encoding", "gzip")
		}, 400},
		{"bad encoding", ann, func(c *client) resp {
			return c.do("POST", "/api/ingest/"+p, "text/plain", strings.NewReader("x"), "Content-Encoding", "br")
		}, 400},
		{"empty ingest", ann, func(c *client) resp { return c.text("/api/ingest/"+p, "\n\n") }, 400},
		{"truncated NDJSON array", ann, func(c *client) resp {
			return c.do("POST", "/api/ingest/"+p, "application/json", strings.NewReader(`["a", "b"`))
		}, 400},
		{"bad limit", ann, func(c *client) resp { return c.get("/api/projects/" + p + "/logs?limit=5000") }, 400},
		{"bad level", ann, func(c *client) resp { return c.get("/api/projects/" + p + "/logs?level=loud") }, 400},
		{"bad from", ann, func(c *client) resp { return c.get("/api/projects/" + p + "/logs?from=yesterday") }, 400},
		{"bad cursor", ann, func(c *client) resp { return c.get("/api/projects/" + p + "/logs?cursor=zz") }, 400},
		{"bad horizon", ann, func(c *client) resp { return c.get("/api/forecast/" + p + "?horizon=12h") }, 400},
		{"bad action status", ann, func(c *client) resp {
			return c.send("POST", "/api/projects/"+p+"/actions/a1", map[string]string{"status": "maybe"})
		}, 400},
		{"snooze into the past", ann, func(c *client) resp {
			return c.send("POST", "/api/projects/"+p+"/actions/a1", map[string]string{"status": "snoozed", "until": "2001-01-01T00:00:00Z"})
		}, 400},
		{"bad token role", ann, func(c *client) resp {
			return c.send("POST", "/api/projects/"+p+"/tokens", map[string]string{"name": "x", "role": "root"})
		}, 400},
		{"unknown api route", ann, func(c *client) resp { return c.get("/api/nothing") }, 404},
		{"non-numeric project", ann, func(c *client) resp { return c.get("/api/projects/abc") }, 404},
		{"register twice", anon, func(c *client) resp {
			return c.send("POST", "/api/auth/register", map[string]string{"email": "ann@example.com", "password": "another long password"})
		}, 409},
		{"register short password", anon, func(c *client) resp {
			return c.send("POST", "/api/auth/register", map[string]string{"email": "zed@example.com", "password": "short"})
		}, 400},
		{"register bad email", anon, func(c *client) resp {
			return c.send("POST", "/api/auth/register", map[string]string{"email": "zed", "password": "a long enough password"})
		}, 400},
		{"wrong password", anon, func(c *client) resp {
			return c.send("POST", "/api/auth/login", map[string]string{"email": "ann@example.com", "password": "wrong password!"})
		}, 401},
		{"unknown user", anon, func(c *client) resp {
			return c.send("POST", "/api/auth/login", map[string]string{"email": "nobody@example.com", "password": "wrong password!"})
		}, 401},
	}
	for _, c := range cases {
		want(t, c.name, c.do(c.c), c.code)
	}
	// Too many failed logins are throttled.
	var last resp
	for range 6 {
		last = anon.send("POST", "/api/auth/login", map[string]string{"email": "ann@example.com", "password": "guess guess guess"})
	}
	want(t, "throttled login", last, 429)
	if last.hdr.Get("Retry-After") == "" {
		t.Error("throttled login without Retry-After")
	}
	// Lines over the limit are rejected with a reason; the rest are kept.
	long := strings.Repeat("x", config.Default().MaxLineBytes+1)
	r := ann.text("/api/ingest/"+p, "ok line one\n"+long+"\nok line two\n")
	want(t, "ingest with a long line", r, 200)
	m := r.json(t)
	if m["accepted"].(float64) != 2 || m["rejected"].(float64) != 1 || len(m["rejected_reasons"].([]any)) != 1 {
		t.Errorf("long line answer = %.300s", r.body)
	}
}

func testTokens(t *testing.T, e *env) {
	ann := e.user("ann")
	_ = e.user("bob")
	p, q := ann.project("a"), ann.project("b")
	tk := ann.send("POST", "/api/projects/"+p+"/tokens", map[string]string{"name": "shipper"})
	want(t, "create token", tk, 201)
	if sc := tk.json(t)["scopes"].([]any); len(sc) != 1 || sc[0] != "ingest" {
		t.Errorf("default scopes = %v, want [ingest]", sc)
	}
	secret := tk.json(t)["token"].(string)
	machine := e.client()
	machine.token = secret
	// An ingest token ingests, and nothing else of the project.
	want(t, "token ingest", machine.text("/api/ingest/"+p, sampleLogs(50, "tok")), 200)
	want(t, "ingest token reads forecast", machine.get("/api/forecast/"+p), 403)
	want(t, "ingest token reads logs", machine.get("/api/projects/"+p+"/logs?q=tok"), 403)
	want(t, "token on another project", machine.text("/api/ingest/"+q, "x"), 404)
	want(t, "token creates project", machine.send("POST", "/api/projects", map[string]string{"name": "x"}), 403)
	want(t, "ingest token lists tokens", machine.get("/api/projects/"+p+"/tokens"), 403)
	want(t, "ingest token mints a token", machine.send("POST", "/api/projects/"+p+"/tokens", map[string]any{"name": "m", "scopes": []string{"admin"}}), 403)
	want(t, "ingest token sets a member", machine.send("PUT", "/api/projects/"+p+"/members", map[string]string{"email": "bob@example.com", "role": "admin"}), 403)
	want(t, "ingest token removes a member", machine.do("DELETE", "/api/projects/"+p+"/members/1", "", nil), 403)
	want(t, "ingest token changes settings", machine.send("PUT", "/api/projects/"+p, map[string]string{"name": "y"}), 403)
	r := machine.get("/api/projects")
	want(t, "token project list", r, 200)
	if ps := r.json(t)["projects"].([]any); len(ps) != 1 {
		t.Errorf("token sees %d projects", len(ps))
	}

	// read: reads, does not ingest; the older role field still works.
	viewer := ann.send("POST", "/api/projects/"+p+"/tokens", map[string]any{"name": "dash", "scopes": []string{"read"}}).json(t)
	ro := e.client()
	ro.token = viewer["token"].(string)
	want(t, "read token reads", ro.get("/api/forecast/"+p), 200)
	want(t, "read token searches", ro.get("/api/projects/"+p+"/logs?q=tok"), 200)
	want(t, "read token ingests", ro.text("/api/ingest/"+p, "x"), 403)
	want(t, "read token mints", ro.send("POST", "/api/projects/"+p+"/tokens", map[string]string{"name": "m"}), 403)
	old := ann.send("POST", "/api/projects/"+p+"/tokens", map[string]string{"name": "old", "role": "member"})
	want(t, "token by role", old, 201)
	if sc := old.json(t)["scopes"].([]any); len(sc) != 2 || sc[0] != "ingest" || sc[1] != "read" {
		t.Errorf("role member gave scopes %v, want [ingest read]", sc)
	}
	for _, bad := range []map[string]any{
		{"name": "x", "scopes": []string{"root"}}, {"name": "x", "scopes": []string{"read"}, "role": "viewer"},
		{"name": "x", "expires_at": "2020-01-01T00:00:00Z"}, {"name": "x", "expires_at": "9999999999999"},
		{"name": "x", "scopes": "read"},
	} {
		want(t, fmt.Sprintf("bad token %v", bad), ann.send("POST", "/api/projects/"+p+"/tokens", bad), 400)
	}

	// admin: may mint tokens (recorded as its creator's, via the token) and change members.
	adm := ann.send("POST", "/api/projects/"+p+"/tokens", map[string]any{"name": "ops", "scopes": []string{"admin"}}).json(t)
	ops := e.client()
	ops.token = adm["token"].(string)
	minted := ops.send("POST", "/api/projects/"+p+"/tokens", map[string]any{"name": "minted", "scopes": []string{"ingest"},
		"expires_at": e.now().Add(time.Hour).Format(time.RFC3339)})
	want(t, "admin token mints", minted, 201)
	want(t, "admin token sets a member", ops.send("PUT", "/api/projects/"+p+"/members", map[string]string{"email": "bob@example.com", "role": "viewer"}), 200)
	list := ann.get("/api/projects/" + p + "/tokens")
	want(t, "token list", list, 200)
	var byName = map[string]map[string]any{}
	for _, x := range list.json(t)["tokens"].([]any) {
		m := x.(map[string]any)
		byName[m["name"].(string)] = m
	}
	if m := byName["minted"]; m == nil || m["created_by_email"] != "ann@example.com" || m["created_by_token"] != adm["id"] || m["expires_at"] == nil {
		t.Errorf("minted token in the list = %v", m)
	}
	if m := byName["shipper"]; m == nil || m["last_used_at"] == nil || m["last_ip"] != "127.0.0.1" {
		t.Errorf("used token in the list = %v", m)
	}

	// An expired token is refused as such.
	exp := e.client()
	exp.token = minted.json(t)["token"].(string)
	want(t, "unexpired token", exp.text("/api/ingest/"+p, "level=info msg=ok"), 200)
	e.advance(2 * time.Hour)
	r = exp.text("/api/ingest/"+p, "x")
	want(t, "expired token", r, 401)
	if !strings.Contains(string(r.body), "expired") {
		t.Errorf("expired token answer = %s", r.body)
	}

	want(t, "revoke", ann.do("DELETE", fmt.Sprintf("/api/projects/%s/tokens/%v", p, tk.json(t)["id"]), "", nil), 204)
	want(t, "revoked token", machine.text("/api/ingest/"+p, "x"), 401)
	want(t, "revoke again", ann.do("DELETE", fmt.Sprintf("/api/projects/%s/tokens/%v", p, tk.json(t)["id"]), "", nil), 404)

	// Every token action is in the activity, and a read token may read it.
	act := ro.get("/api/projects/" + p + "/activity?limit=1000")
	want(t, "activity", act, 200)
	kinds := map[string]int{}
	for _, x := range act.json(t)["activity"].([]any) {
		m := x.(map[string]any)
		kinds[m["kind"].(string)]++
		if m["kind"] == "member.set" && m["actor_token"] != adm["id"] {
			t.Errorf("member.set by a token recorded as %v", m)
		}
	}
	if kinds["token.created"] != 5 || kinds["token.revoked"] != 1 || kinds["token.denied"] < 7 || kinds["member.set"] != 1 {
		t.Errorf("activity kinds = %v", kinds)
	}
	want(t, "activity of another project", ro.get("/api/projects/"+q+"/activity"), 404)
	want(t, "ingest token reads activity", exp.get("/api/projects/"+p+"/activity"), 401)
	want(t, "bad before", ann.get("/api/projects/"+p+"/activity?before=x"), 400)
}

func testRoles(t *testing.T, e *env) {
	ann, bob := e.user("ann"), e.user("bob")
	p := ann.project("shop")
	base := "/api/projects/" + p
	want(t, "ingest", ann.text("/api/ingest/"+p, sampleLogs(200, "x")), 200)
	want(t, "add viewer", ann.send("PUT", base+"/members", map[string]string{"email": "bob@example.com", "role": "viewer"}), 200)
	want(t, "viewer reads", bob.get("/api/forecast/"+p), 200)
	want(t, "viewer logs", bob.get(base+"/logs"), 200)
	want(t, "viewer ingests", bob.text("/api/ingest/"+p, "x"), 403)
	want(t, "viewer acts", bob.send("POST", base+"/actions/a1", map[string]string{"status": "done"}), 403)
	want(t, "viewer settings", bob.send("PUT", base, map[string]string{"name": "mine"}), 403)
	want(t, "make member", ann.send("PUT", base+"/members", map[string]string{"email": "bob@example.com", "role": "member"}), 200)
	want(t, "member ingests", bob.text("/api/ingest/"+p, "hello from bob"), 200)
	want(t, "member acts", bob.send("POST", base+"/actions/a1", map[string]string{"status": "dismissed"}), 200)
	want(t, "member deletes", bob.do("DELETE", base, "", nil), 403)
	want(t, "member tokens", bob.get(base+"/tokens"), 403)
	r := bob.get("/api/projects")
	if ps := r.json(t)["projects"].([]any); len(ps) != 1 || ps[0].(map[string]any)["role"] != "member" {
		t.Errorf("bob's projects = %s", r.body)
	}
	want(t, "unknown member email", ann.send("PUT", base+"/members", map[string]string{"email": "zed@example.com", "role": "viewer"}), 400)
	r = ann.get(base + "/members")
	var bobID any
	for _, m := range r.json(t)["members"].([]any) {
		if m.(map[string]any)["email"] == "bob@example.com" {
			bobID = m.(map[string]any)["user_id"]
		}
	}
	want(t, "remove member", ann.do("DELETE", fmt.Sprintf("%s/members/%v", base, bobID), "", nil), 204)
	want(t, "removed member", bob.get("/api/forecast/"+p), 404)
}

func testFormats(t *testing.T, e *env) {
	ann := e.user("ann")
	p := ann.project("shop")
	ing := "/api/ingest/" + p
	count := func(r resp) float64 { t.Helper(); return r.json(t)["accepted"].(float64) }
	r := ann.do("POST", ing, "application/x-ndjson", strings.NewReader("{\"level\":\"error\",\"msg\":\"nd one\"}\n{\"level\":\"info\",\"msg\":\"nd two\"}\n"))
	want(t, "ndjson", r, 200)
	if count(r) != 2 {
		t.Errorf("ndjson accepted %v", count(r))
	}
	r = ann.do("POST", ing, "application/x-ndjson", strings.NewReader("{\"msg\":\"nd three\"}\n{\"msg\": broken\n"))
	want(t, "ndjson with a broken line", r, 200)
	if m := r.json(t); m["accepted"].(float64) != 1 || m["rejected"].(float64) != 1 ||
		!strings.HasPrefix(m["rejected_reasons"].([]any)[0].(string), "line 2: invalid JSON") {
		t.Errorf("ndjson with a broken line = %s", r.body)
	}
	// The project may keep broken lines instead: stored as text, flagged,
	// counted, searchable.
	base := "/api/projects/" + p
	want(t, "keep_invalid_ndjson not a bool", ann.send("PUT", base, map[string]any{"settings": map[string]any{"keep_invalid_ndjson": "yes"}}), 400)
	r = ann.send("PUT", base, map[string]any{"settings": map[string]any{"keep_invalid_ndjson": true}})
	want(t, "keep broken ndjson lines", r, 200)
	if set := r.json(t)["settings"].(map[string]any); set["keep_invalid_ndjson"] != true || set["retention_days"].(float64) != 30 {
		t.Errorf("settings after keep_invalid_ndjson = %v", set)
	}
	r = ann.do("POST", ing, "application/x-ndjson", strings.NewReader("{\"msg\":\"nd four\"}\n{\"msg\": brokenmark one\nplain brokenmark caf\xe9 two\n\n{\"msg\":\"nd five\"}\n"))
	want(t, "ndjson with broken lines kept", r, 200)
	if m := r.json(t); m["accepted"].(float64) != 4 || m["rejected"].(float64) != 0 || m["flagged_invalid_json"].(float64) != 2 || m["repaired_utf8"].(float64) != 1 {
		t.Errorf("ndjson with broken lines kept = %s", r.body)
	}
	var flagged []string
	for _, e := range ann.get(base + "/logs?q=" + url.QueryEscape("_cloudsage_invalid_json:true")).json(t)["events"].([]any) {
		ev := e.(map[string]any)
		if ev["fields"].(map[string]any)["_cloudsage_invalid_json"] != "true" {
			t.Errorf("flagged event without its flag: %v", ev)
		}
		flagged = append(flagged, ev["message"].(string))
	}
	slices.Sort(flagged)
	if w := []string{"plain brokenmark caf\uFFFD two", "{\"msg\": brokenmark one"}; !slices.Equal(flagged, w) {
		t.Errorf("events flagged _cloudsage_invalid_json = %q, want %q", flagged, w)
	}
	if evs := ann.get(base + "/logs?q=nd").json(t)["events"].([]any); len(evs) != 5 {
		t.Errorf("search nd after the flagged batch: %d events, want the 5 valid ones", len(evs))
	}
	want(t, "back to rejecting", ann.send("PUT", base, map[string]any{"settings": map[string]any{"keep_invalid_ndjson": false}}), 200)
	r = ann.do("POST", ing, "application/x-ndjson", strings.NewReader("{\"msg\": broken again\n"))
	if m := r.json(t); m["accepted"].(float64) != 0 || m["rejected"].(float64) != 1 || m["flagged_invalid_json"].(float64) != 0 {
		t.Errorf("broken line with the setting off = %d %s", r.code, r.body)
	}
	r = ann.do("POST", ing, "text/plain", strings.NewReader("level=warn msg=\"caf\xe9 \x00 utf8mark\"\nlevel=info msg=clean\n"))
	want(t, "invalid utf-8", r, 200)
	if m := r.json(t); m["accepted"].(float64) != 2 || m["repaired_utf8"].(float64) != 1 {
		t.Errorf("invalid utf-8 answer = %s", r.body)
	}
	if r = ann.get("/api/projects/" + p + "/logs?q=utf8mark"); !strings.Contains(string(r.body), "caf\uFFFD \uFFFD utf8mark") {
		t.Errorf("repaired line stored as %s", r.body)
	}
	before := ann.get("/api/projects/" + p).json(t)["events"]
	png := "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"
	want(t, "image/png", ann.do("POST", ing, "image/png", strings.NewReader(png)), 415)
	want(t, "png as text", ann.do("POST", ing, "text/plain", strings.NewReader(png)), 400)
	want(t, "random bytes", ann.do("POST", ing, "application/octet-stream", bytes.NewReader(gz(strings.Repeat("x", 9000)+"\n"))), 400)
	if after := ann.get("/api/projects/" + p).json(t)["events"]; after != before {
		t.Errorf("refused bodies stored events: %v -> %v", before, after)
	}
	r = ann.do("POST", ing, "application/json", strings.NewReader(`["plain string one", {"level":"warn","msg":"object two"}, 42]`))
	want(t, "json array", r, 200)
	if m := r.json(t); m["accepted"].(float64) != 2 || m["rejected"].(float64) != 1 {
		t.Errorf("json array answer = %s", r.body)
	}
	r = ann.do("POST", ing, "text/plain", bytes.NewReader(gz("gz line one\ngz line two\ngz line three\n")), "Content-Encoding", "gzip")
	want(t, "gzip", r, 200)
	if count(r) != 3 {
		t.Errorf("gzip accepted %v", count(r))
	}
	var mb bytes.Buffer
	mw := multipart.NewWriter(&mb)
	fw, _ := mw.CreateFormFile("file", "app.log")
	fw.Write([]byte("upload one\nupload two\n"))
	fw, _ = mw.CreateFormFile("file", "old.log.gz")
	fw.Write(gz("upload three\n"))
	mw.Close()
	r = ann.do("POST", ing, mw.FormDataContentType(), &mb)
	want(t, "multipart", r, 200)
	if count(r) != 3 {
		t.Errorf("multipart accepted %v: %s", count(r), r.body)
	}
	r = ann.get("/api/projects/" + p + "/logs?q=upload&limit=10")
	if n := len(r.json(t)["events"].([]any)); n != 3 {
		t.Errorf("uploaded lines found: %d, want 3", n)
	}
}

func testRateLimit(t *testing.T, e *env) {
	ann := e.user("ann")
	p := ann.project("shop")
	var mu sync.Mutex
	codes := map[int]int{}
	retry := ""
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := ann.text("/api/ingest/"+p, fmt.Sprintf("ping %d", i))
			mu.Lock()
			codes[r.code]++
			if r.code == 429 {
				retry = r.hdr.Get("Retry-After")
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes[200] != 5 || codes[429] != 7 || retry == "" {
		t.Errorf("12 ingests at 5/min: %v, Retry-After %q; want 5 ok, 7 refused with Retry-After", codes, retry)
	}
	// Other projects have their own budget.
	q := ann.project("other")
	want(t, "other project", ann.text("/api/ingest/"+q, "ping"), 200)
}
