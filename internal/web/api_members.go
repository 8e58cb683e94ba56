package web

import (
	"net/http"
	"strconv"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/store"
)

// GET /api/projects/{id}/members: the members with their role, when they
// joined and their last activity in the project.
func (s *Server) memberList(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleViewer)
	if err != nil {
		return err
	}
	ms, err := s.store.Members(r.Context(), pr.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"members": ms})
	return nil
}

// PUT /api/projects/{id}/members {"email", "role"}: admins add an existing
// user or change a member's role (people without an account are invited:
// POST .../invitations).
func (s *Server) memberSet(w http.ResponseWriter, r *http.Request) error {
	pr, p, err := s.access(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	var in struct {
		Email string     `json:"email"`
		Role  store.Role `json:"role"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if !in.Role.Valid() {
		return cloudsage.Errorf(cloudsage.Invalid, "role must be admin, member or viewer")
	}
	u, err := s.store.UserByEmail(r.Context(), in.Email)
	if store.IsNotFound(err) {
		return cloudsage.Errorf(cloudsage.Invalid, "no account with email %q: invite them instead (POST /api/projects/%d/invitations)", in.Email, pr.ID)
	}
	if err != nil {
		return err
	}
	if err := s.checkMemberLimit(r.Context(), pr.ID, u.ID); err != nil {
		return err
	}
	m := store.Member{ProjectID: pr.ID, UserID: u.ID, Email: u.Email, Role: in.Role}
	if err := s.store.SetMember(r.Context(), m); err != nil {
		return err
	}
	s.record(r, pr.ID, p, "member.set", map[string]any{"user_id": u.ID, "email": u.Email, "role": in.Role})
	writeJSON(w, http.StatusOK, m)
	return nil
}

// memberID is the {userId} of the path; a malformed one is not found.
func memberID(r *http.Request) (cloudsage.UserID, error) {
	id, err := strconv.ParseInt(r.PathValue("userId"), 10, 64)
	if err != nil || id <= 0 {
		return 0, cloudsage.Errorf(cloudsage.NotFound, "member not found")
	}
	return cloudsage.UserID(id), nil
}

// PUT /api/projects/{id}/members/{userId} {"role"}: admins change a
// member's role; the last admin cannot be demoted (409).
func (s *Server) memberUpdate(w http.ResponseWriter, r *http.Request) error {
	pr, p, err := s.access(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	uid, err := memberID(r)
	if err != nil {
		return err
	}
	var in struct {
		Role store.Role `json:"role"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	m, err := s.changeRole(r, pr.ID, p, uid, in.Role)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

// changeRole sets member uid's role as p and records it; it returns the
// member with the new role.
func (s *Server) changeRole(r *http.Request, pr cloudsage.ProjectID, p auth.Principal, uid cloudsage.UserID, role store.Role) (store.Member, error) {
	if !role.Valid() {
		return store.Member{}, cloudsage.Errorf(cloudsage.Invalid, "role must be admin, member or viewer")
	}
	before, err := s.store.ChangeMember(r.Context(), pr, uid, role)
	if err != nil {
		return before, err
	}
	if before.Role != role {
		s.record(r, pr, p, "member.role", map[string]any{"user_id": uid, "email": before.Email, "role": role, "previous": before.Role})
	}
	m := before
	m.Role = role
	return m, nil
}

// DELETE /api/projects/{id}/members/{userId}: admins remove a member, and
// any member may leave; the last admin cannot be removed (409).
func (s *Server) memberRemove(w http.ResponseWriter, r *http.Request) error {
	pr, p, err := s.access(r, store.RoleViewer)
	if err != nil {
		return err
	}
	uid, err := memberID(r)
	if err != nil {
		return err
	}
	if err := s.removeMember(r, pr, p, uid); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// removeMember removes member uid as p (an admin, or uid leaving) and
// records it.
func (s *Server) removeMember(r *http.Request, pr store.Project, p auth.Principal, uid cloudsage.UserID) error {
	leaving := p.Token == nil && p.UserID == uid
	if !leaving && !pr.Role.Allows(store.RoleAdmin) {
		return cloudsage.Errorf(cloudsage.Forbidden, "your role in this project (%s) does not allow this; it needs admin", pr.Role)
	}
	if p.Token != nil && !p.Token.Has(store.ScopeAdmin) {
		return cloudsage.Errorf(cloudsage.Forbidden, "this API token's scopes (%s) do not allow this; it needs admin", store.JoinScopes(p.Token.Scopes))
	}
	m, err := s.store.RemoveMember(r.Context(), pr.ID, uid)
	if err != nil {
		return err
	}
	kind := "member.removed"
	if leaving {
		kind = "member.left"
	}
	s.record(r, pr.ID, p, kind, map[string]any{"user_id": uid, "email": m.Email, "role": m.Role})
	return nil
}
