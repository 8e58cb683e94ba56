package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
)

// testInvitations: an invitation is listed while pending, accepted once
// (adding the member with its role), and refused when used, revoked or
// expired; a member's higher role is kept.
func testInvitations(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann, bob, cat := user(t, s, "ann@example.com"), user(t, s, "bob@example.com"), user(t, s, "cat@example.com")
	p := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "shop"}))(t)
	q := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "other"}))(t)
	now := time.Now().UTC()
	inv := must(s.CreateInvitation(ctx, store.Invitation{ProjectID: p.ID, Email: " Bob@Example.com", Role: store.RoleViewer,
		Hash: "h1", CreatedBy: ann.ID, ExpiresAt: now.Add(time.Hour)}))(t)
	if inv.ID == 0 || inv.Email != "bob@example.com" {
		t.Errorf("CreateInvitation = %+v", inv)
	}
	_, err := s.CreateInvitation(ctx, store.Invitation{ProjectID: p.ID, Email: "x@example.com", Role: "owner", Hash: "h0", ExpiresAt: now})
	wantKind(t, "bad role", err, cloudsage.Invalid)
	pending := must(s.Invitations(ctx, p.ID))(t)
	if len(pending) != 1 || pending[0].CreatedByEmail != "ann@example.com" || pending[0].Role != store.RoleViewer {
		t.Errorf("Invitations = %+v", pending)
	}
	if other := must(s.Invitations(ctx, q.ID))(t); len(other) != 0 {
		t.Errorf("another project's invitations = %+v", other)
	}
	got := must(s.InvitationByHash(ctx, "h1"))(t)
	if got.ProjectName != "shop" || got.ID != inv.ID {
		t.Errorf("InvitationByHash = %+v", got)
	}
	_, err = s.InvitationByHash(ctx, "nope")
	wantKind(t, "unknown hash", err, cloudsage.NotFound)

	// Two people accept at once: one wins.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, u := range []store.User{bob, cat} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[i] = s.AcceptInvitation(ctx, "h1", u.ID, now)
		}()
	}
	wg.Wait()
	winner, loser := bob, cat
	if errs[0] != nil {
		winner, loser = cat, bob
		errs[0], errs[1] = errs[1], errs[0]
	}
	noErr(t, errs[0])
	wantKind(t, "second use", errs[1], cloudsage.Conflict)
	if pr := must(s.Project(ctx, p.ID, winner.ID))(t); pr.Role != store.RoleViewer {
		t.Errorf("the invitee's role = %q", pr.Role)
	}
	_, err = s.Project(ctx, p.ID, loser.ID)
	wantKind(t, "the second taker's project", err, cloudsage.NotFound)
	if left := must(s.Invitations(ctx, p.ID))(t); len(left) != 0 {
		t.Errorf("used invitation still pending: %+v", left)
	}

	// Revoked and expired links say so; an admin invited as viewer stays admin.
	must(s.CreateInvitation(ctx, store.Invitation{ProjectID: p.ID, Email: "c@example.com", Role: store.RoleMember, Hash: "h2", ExpiresAt: now.Add(time.Hour)}))(t)
	r := must(s.CreateInvitation(ctx, store.Invitation{ProjectID: p.ID, Email: "c@example.com", Role: store.RoleMember, Hash: "h3", ExpiresAt: now.Add(time.Hour)}))(t)
	_, err = s.RevokeInvitation(ctx, q.ID, r.ID, now)
	wantKind(t, "revoke through another project", err, cloudsage.NotFound)
	rv := must(s.RevokeInvitation(ctx, p.ID, r.ID, now))(t)
	if rv.RevokedAt == nil {
		t.Errorf("RevokeInvitation = %+v", rv)
	}
	_, err = s.RevokeInvitation(ctx, p.ID, r.ID, now)
	wantKind(t, "revoke twice", err, cloudsage.NotFound)
	_, _, err = s.AcceptInvitation(ctx, "h3", loser.ID, now)
	wantKind(t, "revoked", err, cloudsage.Conflict)
	_, _, err = s.AcceptInvitation(ctx, "h2", loser.ID, now.Add(2*time.Hour))
	wantKind(t, "expired", err, cloudsage.Conflict)
	must(s.CreateInvitation(ctx, store.Invitation{ProjectID: p.ID, Email: "ann@example.com", Role: store.RoleViewer, Hash: "h4", ExpiresAt: now.Add(time.Hour)}))(t)
	_, m, err := s.AcceptInvitation(ctx, "h4", ann.ID, now)
	noErr(t, err)
	if m.Role != store.RoleAdmin {
		t.Errorf("an admin accepting a viewer invitation became %q", m.Role)
	}
}

// testLastAdmin: a project always keeps an admin; members list their last activity.
func testLastAdmin(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann, bob := user(t, s, "ann@example.com"), user(t, s, "bob@example.com")
	p := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "shop"}))(t)
	_, err := s.ChangeMember(ctx, p.ID, ann.ID, store.RoleMember)
	wantKind(t, "demote the last admin", err, cloudsage.Conflict)
	_, err = s.RemoveMember(ctx, p.ID, ann.ID)
	wantKind(t, "remove the last admin", err, cloudsage.Conflict)
	wantKind(t, "SetMember demoting the last admin", s.SetMember(ctx, store.Member{ProjectID: p.ID, UserID: ann.ID, Role: store.RoleViewer}), cloudsage.Conflict)
	_, err = s.ChangeMember(ctx, p.ID, bob.ID, store.RoleAdmin)
	wantKind(t, "change a non-member", err, cloudsage.NotFound)
	noErr(t, s.SetMember(ctx, store.Member{ProjectID: p.ID, UserID: bob.ID, Role: store.RoleViewer}))
	before := must(s.ChangeMember(ctx, p.ID, bob.ID, store.RoleAdmin))(t)
	if before.Role != store.RoleViewer || before.Email != "bob@example.com" {
		t.Errorf("ChangeMember returned %+v, want bob as viewer before", before)
	}
	// With two admins, one may step down; then the other is the last.
	must(s.ChangeMember(ctx, p.ID, ann.ID, store.RoleMember))(t)
	_, err = s.RemoveMember(ctx, p.ID, bob.ID)
	wantKind(t, "remove the new last admin", err, cloudsage.Conflict)
	removed := must(s.RemoveMember(ctx, p.ID, ann.ID))(t)
	if removed.Role != store.RoleMember {
		t.Errorf("RemoveMember returned %+v", removed)
	}
	_, err = s.RemoveMember(ctx, p.ID, ann.ID)
	wantKind(t, "remove twice", err, cloudsage.NotFound)
	_, err = s.ChangeMember(ctx, p.ID+1000, bob.ID, store.RoleViewer)
	wantKind(t, "missing project", err, cloudsage.NotFound)

	must(s.AddActivity(ctx, store.Activity{ProjectID: p.ID, ActorUser: bob.ID, Kind: "x.y"}))(t)
	ms := must(s.Members(ctx, p.ID))(t)
	if len(ms) != 1 || ms[0].LastActive == nil || ms[0].JoinedAt.IsZero() {
		t.Errorf("Members = %+v, want bob with a last activity", ms)
	}
	if as := must(s.Activities(ctx, store.ActivityQuery{Project: p.ID}))(t); len(as) != 1 || as[0].ActorEmail != "bob@example.com" {
		t.Errorf("Activities = %+v, want bob's email as the actor's", as)
	}
}

// testComments: comments per target, oldest first, with their mentions and
// author; the newest limit when there are more.
func testComments(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann, bob := user(t, s, "ann@example.com"), user(t, s, "bob@example.com")
	p := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "shop"}))(t)
	q := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "other"}))(t)
	must(s.AddComment(ctx, store.Comment{ProjectID: p.ID, Target: store.CommentForecast, UserID: ann.ID, Body: "first", Mentions: []cloudsage.UserID{bob.ID}}))(t)
	must(s.AddComment(ctx, store.Comment{ProjectID: p.ID, Target: store.CommentOnAction("a1"), UserID: bob.ID, Body: "on the action"}))(t)
	must(s.AddComment(ctx, store.Comment{ProjectID: p.ID, Target: store.CommentForecast, UserID: bob.ID, Body: "second"}))(t)
	must(s.AddComment(ctx, store.Comment{ProjectID: q.ID, Target: store.CommentForecast, UserID: ann.ID, Body: "elsewhere"}))(t)
	_, err := s.AddComment(ctx, store.Comment{ProjectID: p.ID, Target: store.CommentForecast, UserID: ann.ID, Body: "  "})
	wantKind(t, "empty comment", err, cloudsage.Invalid)

	cs := must(s.Comments(ctx, p.ID, store.CommentForecast, 0))(t)
	if len(cs) != 2 || cs[0].Body != "first" || cs[1].Body != "second" || cs[0].Email != "ann@example.com" ||
		len(cs[0].Mentions) != 1 || cs[0].Mentions[0] != bob.ID || len(cs[1].Mentions) != 0 {
		t.Fatalf("Comments(forecast) = %+v", cs)
	}
	if all := must(s.Comments(ctx, p.ID, "", 0))(t); len(all) != 3 {
		t.Errorf("Comments(all) = %+v", all)
	}
	if newest := must(s.Comments(ctx, p.ID, "", 2))(t); len(newest) != 2 || newest[1].Body != "second" {
		t.Errorf("Comments(limit 2) = %+v, want the newest two, oldest first", newest)
	}
	if a, ok := store.CommentAction(cs[0].Target); ok {
		t.Errorf("CommentAction(forecast) = %q", a)
	}
}
