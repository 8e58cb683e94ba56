package web

import (
	"context"
	"net/http"
	"net/url"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/web/ui"
)

// membersPage renders a project's members page for user u with status
// code; edit, when not nil, adjusts the view (a new invitation, a form error).
func (s *Server) membersPage(w http.ResponseWriter, r *http.Request, pr store.Project, u store.User, code int, edit func(*ui.MembersPage)) error {
	ctx := r.Context()
	ms, err := s.store.Members(ctx, pr.ID)
	if err != nil {
		return err
	}
	invs, err := s.store.Invitations(ctx, pr.ID)
	if err != nil {
		return err
	}
	as, err := s.store.Activities(ctx, store.ActivityQuery{Project: pr.ID, Limit: 50})
	if err != nil {
		return err
	}
	pg := ui.NewMembersPage(s.projectLayout("Members", "members", pr, u), ms, invs, u.ID, s.now())
	pg.Activity = ui.NewActivityFeed(as)
	if edit != nil {
		edit(&pg)
	}
	return s.pages.ui.Page(w, code, "members", pg)
}

// GET /projects/{id}/members: members with role and last activity, pending
// invitations, the invite form and the activity; read-only for viewers.
func (s *Server) pageMembers(w http.ResponseWriter, r *http.Request) error {
	pr, u, err := s.pageProject(r, store.RoleViewer)
	if err != nil {
		return err
	}
	return s.membersPage(w, r, pr, u, http.StatusOK, nil)
}

// POST /projects/{id}/members/invite (form: email, role): invites someone
// and shows the link once.
func (s *Server) pageInvite(w http.ResponseWriter, r *http.Request) error {
	pr, u, err := s.pageProject(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	email, role := r.PostForm.Get("email"), store.Role(r.PostForm.Get("role"))
	v, err := s.invite(r, pr, auth.Principal{UserID: u.ID}, email, role, 0)
	if cloudsage.KindOf(err) == cloudsage.Invalid {
		return s.membersPage(w, r, pr, u, http.StatusBadRequest, func(pg *ui.MembersPage) {
			pg.Error, pg.Email, pg.Role = cloudsage.MessageOf(err), email, string(role)
		})
	}
	if err != nil {
		return err
	}
	return s.membersPage(w, r, pr, u, http.StatusCreated, func(pg *ui.MembersPage) {
		pg.NewInvite = &ui.NewInviteView{Email: v.Email, URL: v.URL, Mailed: v.Mailed, MailError: v.MailError, Expires: v.ExpiresAt}
	})
}

// POST /projects/{id}/members/invitations/{iid}/revoke
func (s *Server) pageInvitationRevoke(w http.ResponseWriter, r *http.Request) error {
	pr, u, err := s.pageProject(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	if err := s.revokeInvitation(r, pr.ID, auth.Principal{UserID: u.ID}); err != nil {
		return err
	}
	seeOther(w, r, ui.ProjectURL(pr.ID, "members"))
	return nil
}

// POST /projects/{id}/members/{userId}/role (form: role). The last admin's
// demotion is refused with the page and its message.
func (s *Server) pageMemberRole(w http.ResponseWriter, r *http.Request) error {
	pr, u, err := s.pageProject(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	uid, err := memberID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	_, err = s.changeRole(r, pr.ID, auth.Principal{UserID: u.ID}, uid, store.Role(r.PostForm.Get("role")))
	return s.memberChanged(w, r, pr, u, err)
}

// POST /projects/{id}/members/{userId}/remove: an admin removes a member,
// or a member leaves.
func (s *Server) pageMemberRemove(w http.ResponseWriter, r *http.Request) error {
	pr, u, err := s.pageProject(r, store.RoleViewer)
	if err != nil {
		return err
	}
	uid, err := memberID(r)
	if err != nil {
		return err
	}
	err = s.removeMember(r, pr, auth.Principal{UserID: u.ID}, uid)
	if err == nil && uid == u.ID {
		seeOther(w, r, "/projects")
		return nil
	}
	return s.memberChanged(w, r, pr, u, err)
}

// memberChanged answers a member change: back to the members page, or the
// page with the refusal (the last admin, a bad role) as its error.
func (s *Server) memberChanged(w http.ResponseWriter, r *http.Request, pr store.Project, u store.User, err error) error {
	switch k := cloudsage.KindOf(err); {
	case err == nil:
		seeOther(w, r, ui.ProjectURL(pr.ID, "members"))
		return nil
	case k == cloudsage.Conflict || k == cloudsage.Invalid:
		return s.membersPage(w, r, pr, u, statusOf(k), func(pg *ui.MembersPage) { pg.Error = cloudsage.MessageOf(err) })
	default:
		return err
	}
}

// POST /projects/{id}/comments (form: target, body): a comment on the
// forecast ("forecast") or on an action ("action:<id>"), then back to it.
func (s *Server) pageCommentCreate(w http.ResponseWriter, r *http.Request) error {
	pr, u, err := s.pageProject(r, store.RoleMember)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	target, anchor := r.PostForm.Get("target"), "#forecast-comments"
	if id, ok := store.CommentAction(target); ok {
		if id == "" || len(id) > 128 {
			return cloudsage.Errorf(cloudsage.Invalid, "unknown comment target")
		}
		anchor = "#action-" + id
	} else if target != store.CommentForecast {
		return cloudsage.Errorf(cloudsage.Invalid, "unknown comment target %q", target)
	}
	if _, _, err := s.addComment(r, pr, auth.Principal{UserID: u.ID}, target, r.PostForm.Get("body")); err != nil {
		return err
	}
	seeOther(w, r, ui.ProjectURL(pr.ID)+anchor)
	return nil
}

// teamData is what the project page's team panel reads.
type teamData struct {
	comments   []store.Comment
	activities []store.Activity
}

// teamReads reads the project's comments and recent activity.
func (s *Server) teamReads(ctx context.Context, pr store.Project) (teamData, error) {
	var d teamData
	var err error
	if d.comments, err = read(s.reads, s.reads.comments, pr.ID, func() ([]store.Comment, error) { return s.store.Comments(ctx, pr.ID, "", 0) }); err != nil {
		return d, err
	}
	d.activities, err = s.store.Activities(ctx, store.ActivityQuery{Project: pr.ID, Limit: 15})
	return d, err
}

// teamPanel fills the project page's comments and activity from d.
func teamPanel(pr store.Project, pg *ui.ProjectPage, d teamData) {
	byTarget := map[string][]store.Comment{}
	for _, c := range d.comments {
		byTarget[c.Target] = append(byTarget[c.Target], c)
	}
	url := ui.ProjectURL(pr.ID, "comments")
	pg.Team = ui.TeamPanel{ForecastComments: ui.NewComments(byTarget[store.CommentForecast]), CommentURL: url,
		MembersURL: ui.ProjectURL(pr.ID, "members"), Activity: ui.NewActivityFeed(d.activities)}
	for i := range pg.Actions {
		a := &pg.Actions[i]
		a.Comments, a.CommentURL = ui.NewComments(byTarget[store.CommentOnAction(a.ID)]), url
	}
}

// inviteToken is the {token} of an invitation link.
func inviteToken(r *http.Request) string { return r.PathValue("token") }

// GET /invite/{token}: what the invitation is, and a way to accept it:
// signed in, the Accept button; signed out, log in or register and come
// back here.
func (s *Server) pageInvitation(w http.ResponseWriter, r *http.Request) error {
	tok := inviteToken(r)
	pg := ui.InvitePage{Layout: ui.Layout{Title: "Invitation", Now: s.now()}, AcceptURL: "/invite/" + tok}
	next := "?next=" + url.QueryEscape("/invite/"+tok)
	pg.LoginURL, pg.SignupURL = "/login"+next, "/register"+next
	if _, u, err := s.pageUser(r); err == nil {
		pg.SignedIn, pg.User = true, u.Email
	}
	inv, err := s.store.InvitationByHash(r.Context(), auth.HashSecret(tok))
	switch {
	case store.IsNotFound(err):
		pg.Problem = cloudsage.MessageOf(err)
		return s.pages.ui.Page(w, http.StatusNotFound, "invite", pg)
	case err != nil:
		return err
	}
	pg.ProjectName, pg.Inviter, pg.Role, pg.Email, pg.Expires = inv.ProjectName, inv.CreatedByEmail, inv.Role, inv.Email, inv.ExpiresAt
	if err := inv.Usable(s.now()); err != nil {
		pg.Problem = cloudsage.MessageOf(err)
		return s.pages.ui.Page(w, http.StatusConflict, "invite", pg)
	}
	return s.pages.ui.Page(w, http.StatusOK, "invite", pg)
}

// POST /invite/{token}: the signed-in user accepts and lands on the project.
func (s *Server) pageInvitationAccept(w http.ResponseWriter, r *http.Request) error {
	p, _, err := s.pageUser(r)
	if err != nil {
		return err
	}
	inv, _, err := s.acceptInvitation(r, p, inviteToken(r))
	if k := cloudsage.KindOf(err); k == cloudsage.Conflict || k == cloudsage.NotFound || k == cloudsage.Invalid {
		return s.pageInvitation(w, r)
	}
	if err != nil {
		return err
	}
	seeOther(w, r, ui.ProjectURL(inv.ProjectID))
	return nil
}
