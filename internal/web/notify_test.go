package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/config"
	"github.com/cloudsage/cloudsage/internal/notify"
)

// hookReceiver records signed webhook calls and answers status.
type hookReceiver struct {
	mu     sync.Mutex
	bodies []string
	status int
	srv    *httptest.Server
}

func newHookReceiver(t *testing.T, secret string, status int) *hookReceiver {
	h := &hookReceiver{status: status}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if secret != "" {
			if err := notify.Verify(secret, r.Header.Get(notify.SignatureHeader), b, time.Now(), 5*time.Minute); err != nil {
				t.Errorf("webhook signature: %v", err)
			}
		}
		h.mu.Lock()
		h.bodies = append(h.bodies, string(b))
		h.mu.Unlock()
		w.WriteHeader(h.status)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// TestNotifyAPI: channels, the test button, rules and the history over the
// API, with secrets kept in and bad input refused.
func TestNotifyAPI(t *testing.T) {
	e := start(t, openSQLite(t), nil)
	ann := e.user("ann")
	p := ann.project("shop")
	base := "/api/projects/" + p
	rcv := newHookReceiver(t, "hook-secret-123456", 200)

	r := ann.send("POST", base+"/channels", map[string]any{"type": "webhook", "name": "pager", "target": rcv.srv.URL + "/in", "secret": "hook-secret-123456"})
	want(t, "create webhook", r, 201)
	ch := r.json(t)
	if strings.Contains(string(r.body), "hook-secret-123456") || ch["secret_hint"] != "…3456" {
		t.Errorf("create answer shows the secret or no hint: %s", r.body)
	}
	cid := fmt.Sprint(ch["id"])
	r = ann.send("POST", base+"/channels", map[string]any{"type": "slack", "name": "ops", "target": "https://hooks.slack.com/services/T000/B000/SECRETKEYXYZ"})
	want(t, "create slack", r, 201)
	r = ann.get(base + "/channels")
	want(t, "list channels", r, 200)
	if s := string(r.body); strings.Contains(s, "hook-secret") || strings.Contains(s, "SECRETKEY") || !strings.Contains(s, "hooks.slack.com/…YXYZ") {
		t.Errorf("channel list leaks a secret: %s", s)
	}
	// A webhook without a secret gets one, shown once.
	r = ann.send("POST", base+"/channels", map[string]any{"type": "webhook", "target": rcv.srv.URL + "/other"})
	want(t, "create webhook without secret", r, 201)
	if s, _ := r.json(t)["secret"].(string); !strings.HasPrefix(s, "whsec_") {
		t.Errorf("no generated secret: %s", r.body)
	}
	// The first channel brought the default rules.
	r = ann.get(base + "/rules")
	want(t, "rules", r, 200)
	if rs := r.json(t)["rules"].([]any); len(rs) != 2 {
		t.Fatalf("default rules: %s", r.body)
	}

	// Send test: the receiver gets a signed "test" body; the history has it.
	r = ann.send("POST", base+"/channels/"+cid+"/test", nil)
	want(t, "test", r, 200)
	if r.json(t)["ok"] != true || len(rcv.bodies) != 1 || !strings.Contains(rcv.bodies[0], `"type":"test"`) {
		t.Fatalf("test: %s; receiver %v", r.body, rcv.bodies)
	}
	down := newHookReceiver(t, "", 404)
	r = ann.send("POST", base+"/channels", map[string]any{"type": "discord", "target": down.srv.URL})
	want(t, "create discord", r, 201)
	r = ann.send("POST", fmt.Sprintf("%s/channels/%v/test", base, r.json(t)["id"]), nil)
	want(t, "failing test", r, 200)
	n := r.json(t)["notification"].(map[string]any)
	if r.json(t)["ok"] != false || n["status"] != "failed" || !strings.Contains(n["last_error"].(string), "404") {
		t.Errorf("failing test answer: %s", r.body)
	}
	r = ann.get(base + "/notifications")
	want(t, "history", r, 200)
	if hs := r.json(t)["notifications"].([]any); len(hs) != 2 || hs[1].(map[string]any)["channel"] != "pager" {
		t.Errorf("history: %s", r.body)
	}

	// Rules: create, edit, delete; bad ones refused.
	r = ann.send("POST", base+"/rules", map[string]any{"kind": "forecast", "params": map[string]any{"hours": 6, "probability": 0.7}, "channels": []any{ch["id"]}, "critical": true})
	want(t, "create rule", r, 201)
	rid := fmt.Sprint(r.json(t)["id"])
	want(t, "edit rule", ann.send("PUT", base+"/rules/"+rid, map[string]any{"enabled": false}), 200)
	want(t, "delete rule", ann.do("DELETE", base+"/rules/"+rid, "", nil), 204)
	want(t, "delete rule again", ann.do("DELETE", base+"/rules/"+rid, "", nil), 404)
	bad := []struct {
		path string
		body map[string]any
	}{
		{"/channels", map[string]any{"type": "sms", "target": "x"}},
		{"/channels", map[string]any{"type": "webhook", "target": "not a url"}},
		{"/channels", map[string]any{"type": "email", "target": "ops@example.com"}}, // no SMTP on this server
		{"/channels", map[string]any{"type": "webhook", "target": "https://e.com", "quiet_start": "22:00"}},
		{"/rules", map[string]any{"kind": "sometimes"}},
		{"/rules", map[string]any{"kind": "score", "params": map[string]any{"threshold": 150}}},
		{"/rules", map[string]any{"kind": "label", "channels": []int{99999}}},
	}
	for _, b := range bad {
		r := ann.send("POST", base+b.path, b.body)
		if r.code != 400 || r.json(t)["error"] == "" {
			t.Errorf("POST %s %v: %d %s, want 400 with an error", b.path, b.body, r.code, r.body)
		}
	}
	want(t, "change a channel's type", ann.send("PUT", base+"/channels/"+cid, map[string]any{"type": "slack"}), 400)
	want(t, "quiet hours", ann.send("PUT", base+"/channels/"+cid, map[string]any{"quiet_start": "22:00", "quiet_end": "07:00"}), 200)
	want(t, "delete channel", ann.do("DELETE", base+"/channels/"+cid, "", nil), 204)
	want(t, "test a deleted channel", ann.send("POST", base+"/channels/"+cid+"/test", nil), 404)

	// A member who is not an admin reads but does not change.
	bob := e.user("bob")
	want(t, "add bob", ann.send("PUT", base+"/members", map[string]string{"email": "bob@example.com", "role": "viewer"}), 200)
	want(t, "viewer lists channels", bob.get(base+"/channels"), 200)
	want(t, "viewer adds a channel", bob.send("POST", base+"/channels", map[string]any{"type": "webhook", "target": "https://e.com"}), 403)
}

// TestNotifyDenyPrivate: with CLOUDSAGE_WEBHOOK_DENY_PRIVATE a loopback
// target is refused when the channel is saved.
func TestNotifyDenyPrivate(t *testing.T) {
	e := start(t, openSQLite(t), func(c *config.Config) { c.WebhookDenyPrivate = true })
	ann := e.user("ann")
	p := ann.project("shop")
	for _, target := range []string{"http://127.0.0.1:9/x", "http://localhost/x", "http://169.254.169.254/latest", "http://[::1]/x", "http://10.0.0.8/x"} {
		r := ann.send("POST", "/api/projects/"+p+"/channels", map[string]any{"type": "webhook", "target": target})
		if r.code != 400 || !strings.Contains(string(r.body), "CLOUDSAGE_WEBHOOK_DENY_PRIVATE") {
			t.Errorf("%s: %d %s, want 400", target, r.code, r.body)
		}
	}
}

// TestNotifySettingsPage: a user sets up a webhook from the settings page,
// presses "Send test" and sees the outcome and the history.
func TestNotifySettingsPage(t *testing.T) {
	e := start(t, openSQLite(t), nil)
	ann := e.user("ann")
	p := ann.project("shop")
	rcv := newHookReceiver(t, "", 200)
	page := "/projects/" + p + "/settings"
	wantPage(t, "settings", ann.get(page), 200, "No channels yet")
	r := ann.post(page+"/channels", url.Values{"type": {"webhook"}, "name": {"pager"}, "target": {rcv.srv.URL}, "max_per_hour": {"5"}})
	wantPage(t, "add channel", r, 201, "signing secret")
	wantPage(t, "add bad channel", ann.post(page+"/channels", url.Values{"type": {"webhook"}, "target": {"nope"}}), 400, "target must be an http(s) URL")
	r = ann.get("/api/projects/" + p + "/channels")
	cid := fmt.Sprint(r.json(t)["channels"].([]any)[0].(map[string]any)["id"])
	wantPage(t, "send test", ann.post(page+"/channels/"+cid+"/test", nil), 200, "Test message sent")
	if len(rcv.bodies) != 1 {
		t.Errorf("receiver got %d calls", len(rcv.bodies))
	}
	wantPage(t, "add rule", ann.post(page+"/rules", url.Values{"kind": {"score"}, "threshold": {"60"}, "channel": {cid}, "critical": {"1"}}), 303, "/projects/"+p+"/settings#notifications")
	wantPage(t, "bad rule", ann.post(page+"/rules", url.Values{"kind": {"score"}, "threshold": {"x"}}), 400, "threshold must be a number")
	r = ann.get(page)
	wantPage(t, "settings after", r, 200, "the score reaches 60")
	for _, s := range []string{"test message from CloudSage", "Risk becomes high", "breaks through", "5/h"} {
		if !strings.Contains(string(r.body), s) {
			t.Errorf("settings page lacks %q", s)
		}
	}
	wantPage(t, "delete channel", ann.post(page+"/channels/"+cid+"/delete", nil), 303, "/projects/"+p+"/settings#notifications")
}
