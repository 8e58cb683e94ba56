package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/store"
)

// SessionCookie is the name of the login cookie.
const SessionCookie = "cloudsage_session"

var errNoAuth = cloudsage.Errorf(cloudsage.Unauthorized, "log in, or send an API token as Authorization: Bearer <token>")

// principal authenticates r: an API token (Authorization: Bearer) or a
// session cookie.
func (s *Server) principal(r *http.Request) (auth.Principal, error) {
	if p, ok := auth.PrincipalFrom(r.Context()); ok {
		return p, nil
	}
	ctx := r.Context()
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := auth.BearerToken(h)
		if !ok {
			return auth.Principal{}, cloudsage.Errorf(cloudsage.Unauthorized, "Authorization must be Bearer <token>")
		}
		t, err := s.store.TokenByHash(ctx, auth.HashSecret(tok), s.now())
		if store.IsNotFound(err) {
			return auth.Principal{}, cloudsage.Errorf(cloudsage.Unauthorized, "unknown or revoked API token")
		}
		if err != nil {
			return auth.Principal{}, err
		}
		return auth.Principal{Token: &t}, nil
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return auth.Principal{}, errNoAuth
	}
	hash := auth.HashSecret(c.Value)
	sess, err := s.store.SessionByHash(ctx, hash, s.now())
	if store.IsNotFound(err) {
		return auth.Principal{}, cloudsage.Errorf(cloudsage.Unauthorized, "session expired: log in again")
	}
	if err != nil {
		return auth.Principal{}, err
	}
	return auth.Principal{UserID: sess.UserID, SessionHash: hash}, nil
}

// user returns the logged-in user's principal; API tokens are refused.
func (s *Server) user(r *http.Request) (auth.Principal, error) {
	p, err := s.principal(r)
	if err != nil {
		return p, err
	}
	if p.Token != nil {
		return p, cloudsage.Errorf(cloudsage.Forbidden, "this route needs a user login, not an API token")
	}
	return p, nil
}

// projectID parses a path id; anything unparsable is simply not found.
func projectID(r *http.Request, name string) (cloudsage.ProjectID, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, cloudsage.Errorf(cloudsage.NotFound, "project not found")
	}
	return cloudsage.ProjectID(id), nil
}

// access is the PRD's ensureProjectAccess: it returns the project named by
// the path value "id" if the caller may act on it with at least role min.
// A project the caller is not a member of is NotFound, whatever the route.
func (s *Server) access(r *http.Request, min store.Role) (store.Project, auth.Principal, error) {
	p, err := s.principal(r)
	if err != nil {
		return store.Project{}, p, err
	}
	id, err := projectID(r, "id")
	if err != nil {
		return store.Project{}, p, err
	}
	var pr store.Project
	if p.Token != nil {
		if p.Token.ProjectID != id {
			return pr, p, cloudsage.Errorf(cloudsage.NotFound, "project not found")
		}
		pr, err = s.store.ProjectByID(r.Context(), id)
		pr.Role = p.Token.Role
	} else {
		pr, err = s.store.Project(r.Context(), id, p.UserID)
	}
	if store.IsNotFound(err) {
		return pr, p, cloudsage.Errorf(cloudsage.NotFound, "project not found")
	}
	if err != nil {
		return pr, p, err
	}
	if !pr.Role.Allows(min) {
		return pr, p, cloudsage.Errorf(cloudsage.Forbidden, "your role in this project (%s) does not allow this; it needs %s", pr.Role, min)
	}
	return pr, p, nil
}

// readJSON decodes r's JSON body (at most 1 MiB) into v.
func readJSON(r *http.Request, v any) error {
	body := http.MaxBytesReader(nil, r.Body, 1<<20)
	dec := json.NewDecoder(body)
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			return cloudsage.Errorf(cloudsage.TooLarge, "JSON body larger than 1 MiB")
		case errors.Is(err, io.EOF):
			return cloudsage.Errorf(cloudsage.Invalid, "empty body: send a JSON object")
		case errors.Is(err, io.ErrUnexpectedEOF):
			return cloudsage.Errorf(cloudsage.Invalid, "invalid JSON body: unexpected end of input")
		}
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return cloudsage.Errorf(cloudsage.Invalid, "invalid JSON body: field %q must be %s", ute.Field, ute.Type)
		}
		return cloudsage.Errorf(cloudsage.Invalid, "invalid JSON body: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return cloudsage.Errorf(cloudsage.Invalid, "invalid JSON body: more than one value")
	}
	return nil
}

// parseTime reads an RFC 3339 time or Unix seconds; empty is zero.
func parseTime(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil && n > 0 && n < 1e11 {
		return time.Unix(0, int64(n*1e9)).UTC(), nil
	}
	return time.Time{}, cloudsage.Errorf(cloudsage.Invalid, "%s=%q: want an RFC 3339 time (2026-01-02T15:04:05Z) or Unix seconds", name, v)
}
