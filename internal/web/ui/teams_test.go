package ui

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/store"
)

func membersPage(lay Layout) MembersPage {
	last := testNow.Add(-time.Hour)
	pg := NewMembersPage(lay, []store.Member{
		{UserID: 1, Email: "ann@example.com", Role: store.RoleAdmin, JoinedAt: testNow.Add(-48 * time.Hour), LastActive: &last},
		{UserID: 2, Email: "bob@example.com", Role: store.RoleViewer, JoinedAt: testNow}},
		[]store.Invitation{{ID: 4, Email: "cat@example.com", Role: store.RoleMember, CreatedByEmail: "ann@example.com", CreatedAt: testNow, ExpiresAt: testNow.Add(-time.Minute)}},
		1, testNow)
	pg.NewInvite = &NewInviteView{Email: "dan@example.com", URL: "http://cs.test/invite/csi_abc", Expires: testNow.Add(7 * 24 * time.Hour)}
	pg.Activity = NewActivityFeed([]store.Activity{{ActorEmail: "bob@example.com", Kind: "member.joined", At: testNow,
		Detail: json.RawMessage(`{"role":"viewer","invited_by":"ann@example.com"}`)}})
	return pg
}

func TestMembersPage(t *testing.T) {
	r, err := New()
	if err != nil {
		t.Fatal(err)
	}
	p := testProject()
	render := func(role store.Role) string {
		lay := Layout{Title: "Members", User: "ann@example.com", Project: &ProjectRef{ID: p.ID, Name: p.Name, Role: role}, Tab: "members", Now: testNow}
		w := httptest.NewRecorder()
		if err := r.Page(w, http.StatusOK, "members", membersPage(lay)); err != nil {
			t.Fatal(err)
		}
		return w.Body.String()
	}
	admin := render(store.RoleAdmin)
	for _, want := range []string{"/projects/7/members/2/role", "/projects/7/members/invitations/4/revoke", "http://cs.test/invite/csi_abc",
		"expired", "joined as viewer, invited by ann@example.com", `action="/projects/7/members/invite"`, "Leave"} {
		if !strings.Contains(admin, want) {
			t.Errorf("admin's members page lacks %q", want)
		}
	}
	viewer := render(store.RoleViewer)
	if !strings.Contains(viewer, `action="/projects/7/members/1/remove"`) || strings.Contains(viewer, "/members/2/remove") {
		t.Errorf("a viewer's members page should offer them to leave, and nothing else")
	}
	for _, no := range []string{"/role", "/revoke", `name="email"`} {
		if strings.Contains(viewer, no) {
			t.Errorf("a viewer's members page has %q: it must be read-only", no)
		}
	}
	if !strings.Contains(viewer, "bob@example.com") || !strings.Contains(viewer, "cat@example.com") {
		t.Errorf("a viewer's members page does not list members and invitations")
	}
}

func TestActivityText(t *testing.T) {
	cases := []struct{ kind, detail, want string }{
		{"member.joined", `{"role":"viewer"}`, "joined as viewer"},
		{"member.role", `{"email":"bob@example.com","previous":"member","role":"admin"}`, "changed the role of bob@example.com from member to admin"},
		{"invitation.created", `{"email":"x@example.com","role":"member"}`, "invited x@example.com as member"},
		{"action.status", `{"action_id":"a1","status":"not_relevant","title":"Raise the pool"}`, "marked the action “Raise the pool” not relevant"},
		{"project.settings", `{"changes":{"time_zone":{"from":"UTC","to":"Europe/Paris"},"retention_days":{"from":30,"to":7}}}`,
			"changed the settings: retention days 30 → 7, time zone UTC → Europe/Paris"},
		{"ingest", `{"accepted":2000,"protocol":"http","label":"high","score":72.5}`, "sent 2000 log lines (http); risk high at 72.5"},
		{"comment.added", `{"target":"action:a1"}`, "commented on the action a1"},
		{"risk.label", `{"from":"low","to":"high","score":72}`, "sent logs that moved the risk from low to high (score 72)"},
		{"something.new", `{}`, "something.new"},
		{"member.removed", `not json`, "removed  from the project"},
	}
	for _, c := range cases {
		if got := ActivityText(c.kind, json.RawMessage(c.detail)); got != c.want {
			t.Errorf("ActivityText(%s, %s) = %q, want %q", c.kind, c.detail, got, c.want)
		}
	}
}

func TestSortCards(t *testing.T) {
	cs := []ProjectCard{{Name: "none"}, {Name: "b", Score: 40, Updated: testNow}, {Name: "a", Score: 40, Updated: testNow},
		{Name: "hot", Score: 90, Updated: testNow}, {Name: "calm", Score: 3, Updated: testNow}}
	SortCards(cs)
	var got []string
	for _, c := range cs {
		got = append(got, c.Name)
	}
	if strings.Join(got, " ") != "hot a b calm none" {
		t.Errorf("SortCards = %v, want hot a b calm none", got)
	}
}

func TestOpenCritical(t *testing.T) {
	rep := []byte(`{"actions":[{"id":"a","priority":"critical"},{"id":"b","priority":"critical"},{"id":"c","priority":"high"},{"id":"d","priority":"critical"}]}`)
	later := testNow.Add(time.Hour)
	st := []store.ActionStatus{{ActionID: "a", Status: store.ActionDone}, {ActionID: "b", Status: store.ActionSnoozed, Until: &later},
		{ActionID: "d", Status: store.ActionSnoozed, Until: &testNow}}
	if n := OpenCritical(rep, st, testNow.Add(time.Minute)); n != 1 {
		t.Errorf("OpenCritical = %d, want 1 (d: its snooze ended)", n)
	}
	if n := OpenCritical([]byte("{"), nil, testNow); n != 0 {
		t.Errorf("OpenCritical(bad JSON) = %d", n)
	}
}
