package web

import (
	"net/http"
	"strconv"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/store"
)

// tokenInput is the body of POST /api/projects/{id}/tokens.
type tokenInput struct {
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	Role      store.Role `json:"role"`       // before scopes: viewer -> read, member -> ingest+read, admin -> all
	ExpiresAt string     `json:"expires_at"` // RFC 3339 or Unix seconds/ms; empty: never
}

// scopesOfRole are the scopes a token created with a role (the API before
// scopes) gets: what that role let it do.
func scopesOfRole(r store.Role) []string {
	switch r {
	case store.RoleViewer:
		return []string{"read"}
	case store.RoleMember:
		return []string{"ingest", "read"}
	case store.RoleAdmin:
		return []string{"ingest", "read", "admin"}
	}
	return nil
}

// POST /api/projects/{id}/tokens {"name", "scopes"?, "expires_at"?}:
// admins (or a token with the admin scope) create an API token; scopes are
// ingest (the default), read and admin. The secret is in this answer only.
func (s *Server) tokenCreate(w http.ResponseWriter, r *http.Request) error {
	pr, p, err := s.access(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	var in tokenInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	t, err := s.tokenFromInput(in)
	if err != nil {
		return err
	}
	t, secret, err := s.newToken(r, pr.ID, t, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, struct {
		store.Token
		Secret string `json:"token"`
	}{t, secret})
	return nil
}

// tokenFromInput validates a new token's name, scopes and expiry.
func (s *Server) tokenFromInput(in tokenInput) (store.Token, error) {
	var t store.Token
	var err error
	if t.Name, err = validName(in.Name); err != nil {
		return t, err
	}
	names := in.Scopes
	if in.Role != "" {
		if len(names) > 0 {
			return t, cloudsage.Errorf(cloudsage.Invalid, "give scopes or the older role, not both")
		}
		if names = scopesOfRole(in.Role); names == nil {
			return t, cloudsage.Errorf(cloudsage.Invalid, "role must be admin, member or viewer (or give scopes: ingest, read, admin)")
		}
	}
	if t.Scopes, err = store.ParseScopes(names); err != nil {
		return t, err
	}
	exp, err := parseTime("expires_at", in.ExpiresAt)
	if err != nil {
		return t, err
	}
	if !exp.IsZero() {
		if !exp.After(s.now()) {
			return t, cloudsage.Errorf(cloudsage.Invalid, "expires_at must be in the future")
		}
		t.ExpiresAt = &exp
	}
	return t, nil
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
	pr, p, err := s.access(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	if err := s.deleteToken(r, pr.ID, p); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// newToken stores t as a new API token of project pr, created by p (a
// user, or a token with the admin scope: the new token is then its
// creator's too), and records it in the project's activity. Its secret is
// returned here only, the store keeps a hash.
func (s *Server) newToken(r *http.Request, pr cloudsage.ProjectID, t store.Token, p auth.Principal) (store.Token, string, error) {
	secret, hash := auth.NewSecret(auth.TokenPrefix)
	t.ProjectID, t.Prefix, t.Hash, t.CreatedBy = pr, auth.DisplayPrefix(secret), hash, p.UserID
	if p.Token != nil {
		t.CreatedBy, t.CreatedByToken = p.Token.CreatedBy, p.Token.ID
	}
	t, err := s.store.CreateToken(r.Context(), t)
	if err != nil {
		return t, "", err
	}
	detail := map[string]any{"token_id": t.ID, "name": t.Name, "prefix": t.Prefix, "scopes": t.Scopes}
	if t.ExpiresAt != nil {
		detail["expires_at"] = t.ExpiresAt
	}
	s.record(r, pr, p, "token.created", detail)
	return t, secret, nil
}

// deleteToken revokes the token {tokenId} of the path, as p, and records
// it in the project's activity; a malformed id is not found.
func (s *Server) deleteToken(r *http.Request, pr cloudsage.ProjectID, p auth.Principal) error {
	id, err := strconv.ParseInt(r.PathValue("tokenId"), 10, 64)
	if err != nil {
		return cloudsage.Errorf(cloudsage.NotFound, "token not found")
	}
	if err := s.store.DeleteToken(r.Context(), pr, store.TokenID(id)); err != nil {
		return err
	}
	s.record(r, pr, p, "token.revoked", map[string]any{"token_id": id})
	return nil
}
