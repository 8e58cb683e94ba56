package web

import (
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
	secret, hash := auth.NewSecret(auth.TokenPrefix)
	t, err := s.store.CreateToken(r.Context(), store.Token{ProjectID: pr.ID, Name: in.Name, Prefix: auth.DisplayPrefix(secret),
		Hash: hash, Role: in.Role, CreatedBy: p.UserID})
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
	id, err := strconv.ParseInt(r.PathValue("tokenId"), 10, 64)
	if err != nil {
		return cloudsage.Errorf(cloudsage.NotFound, "token not found")
	}
	if err := s.store.DeleteToken(r.Context(), pr.ID, store.TokenID(id)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
