package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/config"
	"github.com/cloudsage/cloudsage/internal/testenv"
)

// invite has ann invite email as role in project p and returns the answer.
func invite(t *testing.T, c *client, p, email, role string) map[string]any {
	t.Helper()
	r := c.send("POST", "/api/projects/"+p+"/invitations", map[string]string{"email": email, "role": role})
	want(t, "invite "+email, r, http.StatusCreated)
	return r.json(t)
}

func accept(c *client, token string) resp {
	return c.send("POST", "/api/invitations/accept", map[string]string{"token": token})
}

// wantError is want plus the error message containing msg.
func wantError(t *testing.T, what string, r resp, code int, msg string) {
	t.Helper()
	want(t, what, r, code)
	if got := r.json(t)["error"].(string); !strings.Contains(got, msg) {
		t.Fatalf("%s: error %q, want it to say %q", what, got, msg)
	}
}

// memberOf returns the member with email in the project's member list.
func memberOf(t *testing.T, c *client, p, email string) map[string]any {
	t.Helper()
	r := c.get("/api/projects/" + p + "/members")
	want(t, "members", r, 200)
	for _, m := range r.json(t)["members"].([]any) {
		if m := m.(map[string]any); m["email"] == email {
			return m
		}
	}
	return nil
}

// activityKinds lists the kinds of the project's activity, newest first,
// and returns the raw answer.
func activityKinds(t *testing.T, c *client, p string) ([]string, string) {
	t.Helper()
	r := c.get("/api/projects/" + p + "/activity")
	want(t, "activity", r, 200)
	var kinds []string
	for _, a := range r.json(t)["activity"].([]any) {
		kinds = append(kinds, a.(map[string]any)["kind"].(string))
	}
	return kinds, string(r.body)
}

// testInvitations: invite -> accept once -> the invitee reads but cannot
// change; used, revoked, expired and unknown links are refused plainly.
func testInvitations(t *testing.T, e *env) {
	ann, bob, cat := e.user("ann"), e.user("bob"), e.user("cat")
	p := ann.project("shop")
	base := "/api/projects/" + p
	want(t, "ingest", ann.text("/api/ingest/"+p, sampleLogs(200, "x")), 200)
	want(t, "stranger before", bob.get(base), 404)

	inv := invite(t, ann, p, "Bob@Example.com", "viewer")
	tok, _ := inv["token"].(string)
	if !strings.HasPrefix(tok, "csi_") || inv["email"] != "bob@example.com" || inv["role"] != "viewer" || inv["mailed"] != false ||
		inv["url"] != e.url+"/invite/"+tok || inv["expires_at"] == nil {
		t.Fatalf("invitation = %v", inv)
	}
	exp, _ := time.Parse(time.RFC3339Nano, inv["expires_at"].(string))
	if d := time.Until(exp); d < 7*24*time.Hour-time.Minute || d > 7*24*time.Hour+time.Minute {
		t.Errorf("expires_at %v is not 7 days away", exp)
	}
	r := ann.get(base + "/invitations")
	want(t, "pending", r, 200)
	if l := r.json(t)["invitations"].([]any); len(l) != 1 || strings.Contains(string(r.body), tok) {
		t.Errorf("pending invitations = %s (the token must not show again)", r.body)
	}

	r = accept(bob, tok)
	want(t, "accept", r, 200)
	if m := r.json(t); m["role"] != "viewer" || m["project"].(map[string]any)["name"] != "shop" {
		t.Errorf("accept answer = %s", r.body)
	}
	want(t, "invitee reads", bob.get(base), 200)
	want(t, "invitee reads the forecast", bob.get("/api/forecast/"+p), 200)
	want(t, "viewer PUT", bob.send("PUT", base, map[string]string{"name": "hijacked"}), 403)
	want(t, "viewer invites", bob.send("POST", base+"/invitations", map[string]string{"email": "x@example.com", "role": "admin"}), 403)
	want(t, "viewer lists invitations", bob.get(base+"/invitations"), 200)
	wantError(t, "second use", accept(cat, tok), 409, "already been used")
	want(t, "second taker", cat.get(base), 404)
	if m := memberOf(t, ann, p, "bob@example.com"); m == nil || m["role"] != "viewer" || m["last_active"] == nil {
		t.Errorf("bob in members = %v, want viewer with a last activity (the join)", m)
	}
	kinds, act := activityKinds(t, ann, p)
	if !strings.Contains(act, "bob@example.com") || kinds[0] != "member.joined" || kinds[1] != "invitation.created" {
		t.Errorf("activity = %v: %.400s", kinds, act)
	}

	// Revoked, expired, unknown and malformed links.
	rv := invite(t, ann, p, "cat@example.com", "member")
	want(t, "revoke", ann.do("DELETE", fmt.Sprintf("%s/invitations/%v", base, rv["id"]), "", nil), 204)
	want(t, "revoke again", ann.do("DELETE", fmt.Sprintf("%s/invitations/%v", base, rv["id"]), "", nil), 404)
	wantError(t, "revoked", accept(cat, rv["token"].(string)), 409, "revoked")
	old := invite(t, ann, p, "cat@example.com", "member")
	e.advance(7*24*time.Hour + time.Minute)
	r = ann.get(base + "/invitations")
	if l := r.json(t)["invitations"].([]any); len(l) != 1 || l[0].(map[string]any)["expired"] != true {
		t.Errorf("pending after expiry = %s", r.body)
	}
	wantError(t, "expired", accept(cat, old["token"].(string)), 409, "expired")
	want(t, "cat after all that", cat.get(base), 404)
	wantError(t, "unknown", accept(cat, "csi_nothing"), 404, "not valid")
	want(t, "malformed", accept(cat, "hello"), 400)
	want(t, "no body", cat.do("POST", "/api/invitations/accept", "application/json", strings.NewReader("")), 400)
	want(t, "signed out", e.client().send("POST", "/api/invitations/accept", map[string]string{"token": tok}), 401)

	// Bad invitations.
	want(t, "bad email", ann.send("POST", base+"/invitations", map[string]string{"email": "nope", "role": "viewer"}), 400)
	want(t, "bad role", ann.send("POST", base+"/invitations", map[string]string{"email": "d@example.com", "role": "owner"}), 400)
	want(t, "bad expiry", ann.send("POST", base+"/invitations", map[string]any{"email": "d@example.com", "expires_in_hours": 10000}), 400)
	r = ann.send("POST", base+"/invitations", map[string]any{"email": "d@example.com", "expires_in_hours": 1})
	want(t, "default role, 1 h", r, 201)
	if r.json(t)["role"] != "member" {
		t.Errorf("default role = %s", r.body)
	}
}

// testMembers: role changes and removal keep an admin; changes are in the activity.
func testMembers(t *testing.T, e *env) {
	ann, bob := e.user("ann"), e.user("bob")
	p := ann.project("shop")
	base := "/api/projects/" + p
	annID := memberOf(t, ann, p, "ann@example.com")["user_id"]
	wantError(t, "demote the last admin", ann.send("PUT", fmt.Sprintf("%s/members/%v", base, annID), map[string]string{"role": "member"}), 409, "last admin")
	wantError(t, "remove the last admin", ann.do("DELETE", fmt.Sprintf("%s/members/%v", base, annID), "", nil), 409, "last admin")
	want(t, "accept", accept(bob, invite(t, ann, p, "bob@example.com", "member")["token"].(string)), 200)
	bobID := memberOf(t, ann, p, "bob@example.com")["user_id"]
	want(t, "member changes a role", bob.send("PUT", fmt.Sprintf("%s/members/%v", base, bobID), map[string]string{"role": "admin"}), 403)
	want(t, "member removes ann", bob.do("DELETE", fmt.Sprintf("%s/members/%v", base, annID), "", nil), 403)
	want(t, "bad role", ann.send("PUT", fmt.Sprintf("%s/members/%v", base, bobID), map[string]string{"role": "owner"}), 400)
	want(t, "not a member", ann.send("PUT", base+"/members/999999", map[string]string{"role": "viewer"}), 404)
	r := ann.send("PUT", fmt.Sprintf("%s/members/%v", base, bobID), map[string]string{"role": "admin"})
	want(t, "make bob admin", r, 200)
	if r.json(t)["role"] != "admin" {
		t.Errorf("role change answer = %s", r.body)
	}
	// Two admins: ann may step down, then leave; bob is the last admin.
	want(t, "ann steps down", ann.send("PUT", fmt.Sprintf("%s/members/%v", base, annID), map[string]string{"role": "viewer"}), 200)
	want(t, "ann leaves", ann.do("DELETE", fmt.Sprintf("%s/members/%v", base, annID), "", nil), 204)
	want(t, "ann after leaving", ann.get(base), 404)
	want(t, "bob the last admin", bob.do("DELETE", fmt.Sprintf("%s/members/%v", base, bobID), "", nil), 409)
	kinds, act := activityKinds(t, bob, p)
	if strings.Join(kinds[:3], " ") != "member.left member.role member.role" || !strings.Contains(act, `"previous":"member"`) {
		t.Errorf("activity = %v: %.500s", kinds, act)
	}

	// Settings and action feedback are in the activity too, with who.
	want(t, "rename", bob.send("PUT", base, map[string]any{"name": "shop-eu", "settings": map[string]any{"retention_days": 7}}), 200)
	want(t, "feedback", bob.send("POST", base+"/actions/a1", map[string]string{"status": "done"}), 200)
	want(t, "ingest", bob.text("/api/ingest/"+p, sampleLogs(40, "y")), 200)
	kinds, act = activityKinds(t, bob, p)
	if strings.Join(kinds[:3], " ") != "ingest action.status project.settings" ||
		!strings.Contains(act, `"retention_days":{"from":30,"to":7}`) || !strings.Contains(act, `"actor_email":"bob@example.com"`) {
		t.Errorf("activity = %v: %.600s", kinds, act)
	}
}

// testComments: members comment on the forecast and on an action; viewers read.
func testComments(t *testing.T, e *env) {
	ann, bob := e.user("ann"), e.user("bob")
	p := ann.project("shop")
	base := "/api/projects/" + p
	want(t, "accept", accept(bob, invite(t, ann, p, "bob@example.com", "viewer")["token"].(string)), 200)
	want(t, "viewer comments", bob.send("POST", base+"/forecast/comments", map[string]string{"body": "hi"}), 403)
	r := ann.send("POST", base+"/forecast/comments", map[string]string{"body": "@bob the pool again? mail ops@example.com"})
	want(t, "comment", r, 201)
	c := r.json(t)["comment"].(map[string]any)
	bobID := memberOf(t, ann, p, "bob@example.com")["user_id"]
	if ms := c["mentions"].([]any); len(ms) != 1 || ms[0] != bobID || c["email"] != "ann@example.com" {
		t.Errorf("comment = %v", c)
	}
	want(t, "action comment", ann.send("POST", base+"/actions/a1/comments", map[string]string{"body": "done on staging"}), 201)
	want(t, "empty", ann.send("POST", base+"/forecast/comments", map[string]string{"body": "  "}), 400)
	want(t, "too long", ann.send("POST", base+"/forecast/comments", map[string]string{"body": strings.Repeat("x", 5000)}), 400)
	r = bob.get(base + "/forecast/comments")
	want(t, "viewer reads", r, 200)
	if cs := r.json(t)["comments"].([]any); len(cs) != 1 || !strings.Contains(string(r.body), "the pool again") {
		t.Errorf("forecast comments = %s", r.body)
	}
	r = bob.get(base + "/actions/a1/comments")
	if cs := r.json(t)["comments"].([]any); len(cs) != 1 || cs[0].(map[string]any)["target"] != "action:a1" {
		t.Errorf("action comments = %s", r.body)
	}
}

// TestInvitationMail: with SMTP configured the invitation goes to a real
// SMTP server (mailpit) with the link, and a mention reaches the member
// through the project's email channel for them.
func TestInvitationMail(t *testing.T) {
	mp := testenv.StartMailpit(t, false)
	e := start(t, openSQLite(t), func(c *config.Config) {
		c.SMTPHost, c.SMTPPort, c.SMTPTLS, c.SMTPFrom = mp.Host, mp.Port, "none", "CloudSage <cs@example.com>"
	})
	ann, bob := e.user("ann"), e.user("bob")
	p := ann.project("shop")
	inv := invite(t, ann, p, "bob@example.com", "member")
	if inv["mailed"] != true {
		t.Fatalf("invitation not mailed: %v", inv)
	}
	mails := mp.Messages(t, 1)
	if m := mails[0]; !strings.Contains(m.Subject, "ann@example.com invited you to shop") || m.To[0].Address != "bob@example.com" {
		t.Errorf("invitation mail = %+v", m)
	}
	if body := mp.Text(t, mails[0].ID); !strings.Contains(body, inv["url"].(string)) || !strings.Contains(body, "as member") {
		t.Errorf("invitation mail text lacks the link or role:\n%s", body)
	}
	want(t, "accept from the mail", accept(bob, inv["token"].(string)), 200)

	want(t, "bob's channel", ann.send("POST", "/api/projects/"+p+"/channels", map[string]string{"type": "email", "name": "bob", "target": "bob@example.com"}), 201)
	r := ann.send("POST", "/api/projects/"+p+"/forecast/comments", map[string]string{"body": "@bob can you look at the forecast?"})
	want(t, "mention", r, 201)
	if r.json(t)["notified"] != float64(1) {
		t.Fatalf("mention notified = %s", r.body)
	}
	if _, err := e.notify.Deliver(t.Context()); err != nil {
		t.Fatal(err)
	}
	mails = mp.Messages(t, 2)
	if !strings.Contains(mails[0].Subject, "ann@example.com mentioned you in a comment on the forecast") {
		t.Errorf("mention mail = %+v", mails[0])
	}
	if body := mp.Text(t, mails[0].ID); !strings.Contains(body, "can you look at the forecast?") {
		t.Errorf("mention mail lacks the comment:\n%s", body)
	}
}

// TestActivityLabelChange: an ingest that moves the risk label is in the
// activity with the label before and after, and with who sent the logs.
func TestActivityLabelChange(t *testing.T) {
	e := start(t, openSQLite(t), nil)
	ann := e.user("ann")
	p := ann.project("shop")
	now := time.Now().UTC()
	var calm, bad strings.Builder
	for i := range 300 {
		fmt.Fprintf(&calm, "%s INFO [web] request %d served in 12 ms\n", now.Add(-20*time.Minute+time.Duration(i)*time.Second/10).Format("2006-01-02 15:04:05.000"), i)
		at := now.Add(-10*time.Minute + time.Duration(i)*time.Second).Format(time.RFC3339Nano)
		fmt.Fprintf(&bad, `{"time":%q,"level":"error","msg":"pq: sorry, too many clients already","service":"api","status":503,"duration_ms":%d}`+"\n", at, 2000+i)
	}
	r := ann.text("/api/ingest/"+p, calm.String())
	want(t, "calm ingest", r, 200)
	first := r.json(t)["risk"].(map[string]any)["label"]
	r = ann.text("/api/ingest/"+p, bad.String())
	want(t, "failing ingest", r, 200)
	second := r.json(t)["risk"].(map[string]any)["label"]
	if first == second {
		t.Fatalf("the label stayed %v: the test's logs do not move it", first)
	}
	r = ann.get("/api/projects/" + p + "/activity?kind=risk.label")
	want(t, "label changes", r, 200)
	as := r.json(t)["activity"].([]any)
	if len(as) != 1 {
		t.Fatalf("label changes = %s", r.body)
	}
	a := as[0].(map[string]any)
	d := a["detail"].(map[string]any)
	if d["from"] != first || d["to"] != second || a["actor_email"] != "ann@example.com" {
		t.Errorf("label change = %v, want %v -> %v by ann", a, first, second)
	}
	// Both ingests are in the feed: one a minute per protocol, and the clock moved.
	e.advance(2 * time.Minute)
	want(t, "third ingest", ann.text("/api/ingest/"+p, "INFO one more\n"), 200)
	r = ann.get("/api/projects/" + p + "/activity?kind=ingest")
	if n := len(r.json(t)["activity"].([]any)); n != 2 {
		t.Errorf("ingest entries = %d, want 2 (the second within the minute is left out): %s", n, r.body)
	}
}
