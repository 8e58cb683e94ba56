package web

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/mail"
	"github.com/cloudsage/cloudsage/internal/store"
)

// invitePrefix starts every invitation token, so a leaked one is recognisable.
const invitePrefix = "csi_"

// invitationView is an invitation as the API shows it: pending ones with
// whether they expired; a new one with its token and link, once.
type invitationView struct {
	store.Invitation
	Expired   bool   `json:"expired"`
	Token     string `json:"token,omitempty"`
	URL       string `json:"url,omitempty"`
	Mailed    bool   `json:"mailed"`
	MailError string `json:"mail_error,omitempty"`
}

// invite creates an invitation to project pr for email with role, made by
// p; it is mailed when SMTP is configured. The token is in the answer
// only: the store keeps its SHA-256.
func (s *Server) invite(r *http.Request, pr store.Project, p auth.Principal, email string, role store.Role, ttl time.Duration) (invitationView, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if !validEmail(email) {
		return invitationView{}, cloudsage.Errorf(cloudsage.Invalid, "email must be an address like you@example.com")
	}
	if err := s.checkMemberLimit(r.Context(), pr.ID, 0); err != nil {
		return invitationView{}, err // the plan's members are all taken (billing on)
	}
	if role == "" {
		role = store.RoleMember
	}
	if !role.Valid() {
		return invitationView{}, cloudsage.Errorf(cloudsage.Invalid, "role must be admin, member or viewer")
	}
	if ttl <= 0 {
		ttl = store.DefaultInvitationTTL
	}
	secret, hash := auth.NewSecret(invitePrefix)
	inv := store.Invitation{ProjectID: pr.ID, Email: email, Role: role, Hash: hash, CreatedBy: p.UserID, ExpiresAt: s.now().Add(ttl).UTC()}
	if p.Token != nil {
		inv.CreatedBy = p.Token.CreatedBy
	}
	inv, err := s.store.CreateInvitation(r.Context(), inv)
	if err != nil {
		return invitationView{}, err
	}
	v := invitationView{Invitation: inv, Token: secret, URL: s.inviteBase(r) + "/invite/" + secret}
	s.record(r, pr.ID, p, "invitation.created", map[string]any{"invitation_id": inv.ID, "email": email, "role": role,
		"expires_at": inv.ExpiresAt})
	if s.notify != nil && s.notify.MailEnabled() {
		inviter := ""
		if u, err := s.store.UserByID(r.Context(), inv.CreatedBy); err == nil {
			inviter = u.Email
		}
		ctx, cancel := context.WithTimeout(r.Context(), 20*time.Second)
		err := s.notify.SendMail(ctx, invitationMail(inv, pr.Name, inviter, v.URL))
		cancel()
		if err != nil {
			v.MailError = "the invitation was not mailed (" + err.Error() + "): send the link yourself"
			s.log.Warn("invitation mail", "project_id", pr.ID, "invitation_id", inv.ID, "error", err)
		} else {
			v.Mailed = true
		}
	}
	return v, nil
}

// invitationMail is the invitation as an email.
func invitationMail(inv store.Invitation, project, inviter, url string) mail.Message {
	who := "Someone"
	if inviter != "" {
		who = inviter
	}
	subject := fmt.Sprintf("%s invited you to %s on CloudSage", who, project)
	expires := inv.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC")
	text := fmt.Sprintf("%s invited you to the project %q on CloudSage as %s.\n\nAccept the invitation (sign in or create an account first):\n%s\n\n"+
		"The link works once and expires on %s. If you did not expect it, ignore this mail.\n", who, project, inv.Role, url, expires)
	body := fmt.Sprintf(`<!doctype html><html><body style="font-family:sans-serif;color:#222"><p>%s invited you to the project <strong>%s</strong> on CloudSage as %s.</p>`+
		`<p><a href="%s">Accept the invitation</a> (sign in or create an account first).</p><p>The link works once and expires on %s. If you did not expect it, ignore this mail.</p></body></html>`,
		html.EscapeString(who), html.EscapeString(project), html.EscapeString(string(inv.Role)), html.EscapeString(url), expires)
	return mail.Message{To: []string{inv.Email}, Subject: "[CloudSage] " + subject, Text: text, HTML: body}
}

// inviteBase is where invitation links point: the configured base URL,
// else the site as the inviting admin's request reached it (the admin sees
// the link, and it is their own request's Host that names it).
func (s *Server) inviteBase(r *http.Request) string {
	if s.cfg.BaseURL != "" {
		return strings.TrimRight(s.cfg.BaseURL, "/")
	}
	return s.baseURL(r)
}

// POST /api/projects/{id}/invitations {"email", "role", "expires_in_hours"?}:
// admins invite someone by email. 201 with the token and link (shown once),
// mailed when SMTP is configured. The link expires after 7 days by default.
func (s *Server) invitationCreate(w http.ResponseWriter, r *http.Request) error {
	pr, p, err := s.access(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	var in struct {
		Email          string     `json:"email"`
		Role           store.Role `json:"role"`
		ExpiresInHours int        `json:"expires_in_hours"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if in.ExpiresInHours < 0 || in.ExpiresInHours > 30*24 {
		return cloudsage.Errorf(cloudsage.Invalid, "expires_in_hours must be 1 to 720 (default 168, 7 days)")
	}
	v, err := s.invite(r, pr, p, in.Email, in.Role, time.Duration(in.ExpiresInHours)*time.Hour)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/projects/%d/invitations/%d", pr.ID, v.ID))
	writeJSON(w, http.StatusCreated, v)
	return nil
}

// GET /api/projects/{id}/invitations: the pending invitations (expired
// ones flagged), newest first; tokens are never shown again.
func (s *Server) invitationList(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleViewer)
	if err != nil {
		return err
	}
	vs, err := s.pendingInvitations(r.Context(), pr.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"invitations": vs})
	return nil
}

func (s *Server) pendingInvitations(ctx context.Context, pr cloudsage.ProjectID) ([]invitationView, error) {
	is, err := s.store.Invitations(ctx, pr)
	if err != nil {
		return nil, err
	}
	now := s.now()
	vs := make([]invitationView, len(is))
	for i, inv := range is {
		vs[i] = invitationView{Invitation: inv, Expired: !now.Before(inv.ExpiresAt)}
	}
	return vs, nil
}

// DELETE /api/projects/{id}/invitations/{iid}: admins revoke a pending
// invitation; its link stops working.
func (s *Server) invitationDelete(w http.ResponseWriter, r *http.Request) error {
	pr, p, err := s.access(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	if err := s.revokeInvitation(r, pr.ID, p); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// revokeInvitation revokes the invitation {iid} of the path as p and records it.
func (s *Server) revokeInvitation(r *http.Request, pr cloudsage.ProjectID, p auth.Principal) error {
	id, err := strconv.ParseInt(r.PathValue("iid"), 10, 64)
	if err != nil || id <= 0 {
		return cloudsage.Errorf(cloudsage.NotFound, "invitation not found")
	}
	inv, err := s.store.RevokeInvitation(r.Context(), pr, store.InvitationID(id), s.now().UTC())
	if err != nil {
		return err
	}
	s.record(r, pr, p, "invitation.revoked", map[string]any{"invitation_id": id, "email": inv.Email})
	return nil
}

// POST /api/invitations/accept {"token"}: the signed-in user joins the
// invitation's project with its role. A used, revoked or expired link is a
// 409 that says which; an unknown one a 404.
func (s *Server) invitationAccept(w http.ResponseWriter, r *http.Request) error {
	p, err := s.user(r)
	if err != nil {
		return err
	}
	var in struct {
		Token string `json:"token"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	inv, m, err := s.acceptInvitation(r, p, in.Token)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"project": map[string]any{"id": inv.ProjectID, "name": inv.ProjectName},
		"role": m.Role, "member": m})
	return nil
}

// acceptInvitation uses token for signed-in user p and records the join
// (with the member's email) in the project's activity.
func (s *Server) acceptInvitation(r *http.Request, p auth.Principal, token string) (store.Invitation, store.Member, error) {
	token = strings.TrimSpace(token)
	if !strings.HasPrefix(token, invitePrefix) || len(token) > 200 {
		return store.Invitation{}, store.Member{}, cloudsage.Errorf(cloudsage.Invalid, "token must be the invitation's token (csi_...)")
	}
	inv, m, err := s.store.AcceptInvitation(r.Context(), auth.HashSecret(token), p.UserID, s.now().UTC())
	if err != nil {
		return inv, m, err
	}
	s.record(r, inv.ProjectID, p, "member.joined", map[string]any{"user_id": m.UserID, "email": m.Email, "role": m.Role,
		"invitation_id": inv.ID, "invited_email": inv.Email, "invited_by": inv.CreatedByEmail})
	return inv, m, nil
}
