package web_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestTeamPages: the invitation link walks a signed-out person through
// registration back to the invitation and into the project; the members
// page is read-only for viewers and keeps an admin; comments post from the
// project page; the projects page sorts by risk.
func TestTeamPages(t *testing.T) {
	e := start(t, openSQLite(t), nil)
	ann := e.user("ann")
	calm := ann.project("calm") // first: by id it would come first
	p := ann.project("shop")
	members := "/projects/" + p + "/members"

	// Ann invites from the members page: the link is shown once.
	r := ann.post(members+"/invite", url.Values{"email": {"dan@example.com"}, "role": {"viewer"}})
	wantPage(t, "invite", r, 201, "Invitation for dan@example.com")
	link := regexp.MustCompile(`value="(http://[^"]+/invite/(csi_[^"]+))"`).FindStringSubmatch(string(r.body))
	if link == nil {
		t.Fatalf("the invite page shows no link: %.800s", r.body)
	}
	path := "/invite/" + link[2]
	wantPage(t, "bad invite", ann.post(members+"/invite", url.Values{"email": {"nope"}, "role": {"viewer"}}), 400, "email must be an address")

	// Dan, signed out, opens the link, registers and comes back to accept.
	dan := e.client()
	wantPage(t, "link signed out", dan.get(path), 200, "/register?next="+url.QueryEscape(path))
	wantPage(t, "register from the link", dan.post("/register", url.Values{"email": {"dan@example.com"}, "password": {"a long passphrase"}, "next": {path}}), 303, path)
	wantPage(t, "link signed in", dan.get(path), 200, `id="accept"`)
	wantPage(t, "accept", dan.post(path, nil), 303, "/projects/"+p)
	wantPage(t, "dan sees the project", dan.get("/projects/"+p), 200, "shop")
	wantPage(t, "the link again", dan.get(path), 409, "already been used")
	wantPage(t, "a made-up link", dan.get("/invite/csi_nothing"), 404, "not valid")

	// Dan's members page is read-only; ann's has the forms and the join.
	r = dan.get(members)
	wantPage(t, "viewer's members page", r, 200, "dan@example.com")
	if strings.Contains(string(r.body), "/role\"") || strings.Contains(string(r.body), `name="email"`) {
		t.Errorf("a viewer's members page has forms: %.800s", r.body)
	}
	wantPage(t, "viewer invites", dan.post(members+"/invite", url.Values{"email": {"x@example.com"}}), 403, "does not allow")
	wantPage(t, "admin's members page", ann.get(members), 200, "joined as viewer, invited by ann@example.com")

	// The last admin stays; a role change works.
	annID := memberOf(t, ann, p, "ann@example.com")["user_id"]
	danID := memberOf(t, ann, p, "dan@example.com")["user_id"]
	wantPage(t, "demote the last admin", ann.post(fmt.Sprintf("%s/%v/role", members, annID), url.Values{"role": {"viewer"}}), 409, "last admin")
	wantPage(t, "make dan a member", ann.post(fmt.Sprintf("%s/%v/role", members, danID), url.Values{"role": {"member"}}), 303, members)
	if m := memberOf(t, ann, p, "dan@example.com"); m["role"] != "member" {
		t.Errorf("dan after the change: %v", m)
	}

	// Comments from the project page, shown beside the forecast, and in the feed.
	wantPage(t, "comment", dan.post("/projects/"+p+"/comments", url.Values{"target": {"forecast"}, "body": {"@ann is this the deploy?"}}), 303,
		"/projects/"+p+"#forecast-comments")
	wantPage(t, "bad target", dan.post("/projects/"+p+"/comments", url.Values{"target": {"elsewhere"}, "body": {"x"}}), 400, "unknown comment target")
	r = ann.get("/projects/" + p)
	wantPage(t, "project page", r, 200, "@ann is this the deploy?")
	if !strings.Contains(string(r.body), "commented on the forecast") {
		t.Errorf("the project page's activity lacks the comment: %.400s", r.body)
	}

	// Dan leaves.
	wantPage(t, "dan leaves", dan.post(fmt.Sprintf("%s/%v/remove", members, danID), nil), 303, "/projects")
	wantPage(t, "dan after leaving", dan.get("/projects/"+p), 404, "not found")

	// Projects page: highest risk first.
	want(t, "ingest", ann.text("/api/ingest/"+calm, "2026-01-01T00:00:00Z INFO all good\n"), 200)
	want(t, "ingest", ann.text("/api/ingest/"+p, sampleLogs(400, "x")), 200)
	body := string(ann.get("/projects").body)
	if i, j := strings.Index(body, `href="/projects/`+p+`"`), strings.Index(body, `href="/projects/`+calm+`"`); i < 0 || j < 0 || i > j {
		t.Errorf("projects page not sorted by risk (shop at %d, calm at %d)", i, j)
	}
}
