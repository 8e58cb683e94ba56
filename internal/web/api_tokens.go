package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/store"
)

// POST /api/projects/{id}/tokens {"name", "role"?}: admins create an API
// token; the secret is in this answer only.
func (s *Server) tokenCreate(w http.ResponseWriter, r *http.Request) error {
	pr, p, err := s.access(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	var in struct {
		Name string     `json:"name"`
		Role store.Role `json:"role"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if in.Name, err = validName(in.Name); err != nil {
		return err
	}
	if in.Role == "" {
		in.Role = store.RoleMember
	}
	if !in.Role.Valid() {
		return cloudsage.Errorf(cloudsage.Invalid, "role must be admin, member or viewer")
	}
	if !pr.Role.Allows(in.Role) {
		return cloudsage.Errorf(cloudsage.Forbidden, "a token cannot have more rights than its creator")
	}
	t, secret, err := s.newToken(r.Context(), pr.ID, in.Name, in.Role, p.UserID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, struct {
		store.Token
		Secret string `json:"token"`
	}{t, secret})
	return nil
}

// GET /api/projects/{id}/tokens: the tokens, without secrets.
func (s *Server) tokenList(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	ts, err := s.store.Tokens(r.Context(), pr.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": ts})
	return nil
}

// DELETE /api/projects/{id}/tokens/{tokenId}: revokes a token.
func (s *Server) tokenDelete(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	if err := s.deleteToken(r, pr.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// newToken stores a new API token of project pr; its secret is returned
// here only, the store keeps a hash.
func (s *Server) newToken(ctx context.Context, pr cloudsage.ProjectID, name string, role store.Role, by cloudsage.UserID) (store.Token, string, error) {
	secret, hash := auth.NewSecret(auth.TokenPrefix)
	t, err := s.store.CreateToken(ctx, store.Token{ProjectID: pr, Name: name, Prefix: auth.DisplayPrefix(secret),
		Hash: hash, Role: role, CreatedBy: by})
	return t, secret, err
}

// deleteToken revokes the token {tokenId} of the path; a malformed id is
// not found.
func (s *Server) deleteToken(r *http.Request, pr cloudsage.ProjectID) error {
	id, err := strconv.ParseInt(r.PathValue("tokenId"), 10, 64)
	if err != nil {
		return cloudsage.Errorf(cloudsage.NotFound, "token not found")
	}
	return s.store.DeleteToken(r.Context(), pr, store.TokenID(id))
}
