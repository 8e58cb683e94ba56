package web

import (
	"context"
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
	"github.com/cloudsage/cloudsage/internal/timeparam"
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
		now := s.now()
		t, err := s.store.TokenByHash(ctx, auth.HashSecret(tok), now, s.clientIP(r))
		if store.IsNotFound(err) {
			return auth.Principal{}, cloudsage.Errorf(cloudsage.Unauthorized, "unknown or revoked API token")
		}
		if err != nil {
			return auth.Principal{}, err
		}
		if t.Expired(now) {
			return auth.Principal{}, cloudsage.Errorf(cloudsage.Unauthorized, "API token %q expired at %s", t.Name, t.ExpiresAt.Format(time.RFC3339))
		}
		return auth.Principal{Token: &t}, nil
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return auth.Principal{}, errNoAuth
	}
	hash := auth.HashSecret(c.Value)
	sess, err := s.session(ctx, hash)
	if err != nil {
		return auth.Principal{}, err
	}
	if s.cfg.Require2FA && !sess.TwoFactor && !exemptFrom2FA(r.URL.Path) {
		return auth.Principal{}, errNeed2FA
	}
	if now := s.now(); now.Sub(sess.LastSeenAt) > time.Minute {
		// At most one write a minute per session: "last seen" is to the minute.
		if err := s.store.TouchSession(ctx, hash, now, s.clientIP(r), userAgent(r)); err != nil {
			s.log.Warn("touch session", "error", err)
		} else {
			s.reads.touchedAt(hash, now)
		}
	}
	return auth.Principal{UserID: sess.UserID, SessionHash: hash}, nil
}

// session returns the unexpired session whose secret hashes to hash, from
// the read cache when it holds it.
func (s *Server) session(ctx context.Context, hash string) (store.Session, error) {
	now := s.now()
	if sess, ok := lookup(s.reads, s.reads.sessions, hash); ok && now.Before(sess.ExpiresAt) {
		return sess, nil
	}
	t := s.reads.begin()
	sess, err := s.store.SessionByHash(ctx, hash, now)
	if store.IsNotFound(err) {
		return sess, cloudsage.Errorf(cloudsage.Unauthorized, "session expired: log in again")
	}
	if err != nil {
		return sess, err
	}
	keep(s.reads, t, s.reads.sessions, hash, sess)
	return sess, nil
}

// userByID returns a user, from the read cache when it holds them.
func (s *Server) userByID(ctx context.Context, id cloudsage.UserID) (store.User, error) {
	return read(s.reads, s.reads.users, id, func() (store.User, error) { return s.store.UserByID(ctx, id) })
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
// An API token needs the scope that min amounts to (tokenScopeFor).
func (s *Server) access(r *http.Request, min store.Role) (store.Project, auth.Principal, error) {
	return s.accessFor(r, min, tokenScopeFor(min))
}

// accessIngest is access for the routes that take logs: a member's login,
// or a token with the ingest scope.
func (s *Server) accessIngest(r *http.Request) (store.Project, auth.Principal, error) {
	return s.accessFor(r, store.RoleMember, store.ScopeIngest)
}

// tokenScopeFor is the scope a token needs where a user needs role min:
// read for what viewers may do, admin for anything that changes the project
// (ingest has its own scope, see accessIngest).
func tokenScopeFor(min store.Role) store.Scope {
	if min == store.RoleViewer {
		return store.ScopeRead
	}
	return store.ScopeAdmin
}

// accessCached is access for handlers that use only the project's
// identity, role and settings: a user's membership comes from the read
// cache when it holds it, and the project's ingest counters (score, label,
// events, last ingest) are left zero, since a cached row would be behind
// on them after each batch.
func (s *Server) accessCached(r *http.Request, min store.Role) (store.Project, auth.Principal, error) {
	return s.accessWith(r, min, tokenScopeFor(min), true)
}

func (s *Server) accessFor(r *http.Request, min store.Role, scope store.Scope) (store.Project, auth.Principal, error) {
	return s.accessWith(r, min, scope, false)
}

// memberProject is the project id as user, a member, sees it, without its
// ingest counters, from the read cache when it holds it.
func (s *Server) memberProject(ctx context.Context, id cloudsage.ProjectID, user cloudsage.UserID) (store.Project, error) {
	k := memberKey{id, user}
	if pr, ok := lookup(s.reads, s.reads.members, k); ok {
		return pr, nil
	}
	t := s.reads.begin()
	pr, err := s.store.Project(ctx, id, user)
	if err != nil {
		return pr, err
	}
	pr.Score, pr.Label, pr.Events, pr.LastIngestAt = 0, "", 0, nil
	keep(s.reads, t, s.reads.members, k, pr)
	return pr, nil
}

func (s *Server) accessWith(r *http.Request, min store.Role, scope store.Scope, cachedRow bool) (store.Project, auth.Principal, error) {
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
	} else if cachedRow {
		pr, err = s.memberProject(r.Context(), id, p.UserID)
	} else {
		pr, err = s.store.Project(r.Context(), id, p.UserID)
	}
	if store.IsNotFound(err) {
		return pr, p, cloudsage.Errorf(cloudsage.NotFound, "project not found")
	}
	if err != nil {
		return pr, p, err
	}
	if p.Token != nil {
		if !p.Token.Has(scope) {
			s.record(r, pr.ID, p, "token.denied", map[string]any{"token": p.Token.Name, "needs": scope,
				"scopes": p.Token.Scopes, "route": r.Method + " " + r.URL.Path})
			return pr, p, cloudsage.Errorf(cloudsage.Forbidden, "this API token's scopes (%s) do not allow this; it needs %s",
				store.JoinScopes(p.Token.Scopes), scope)
		}
		return pr, p, nil
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

// parseTime reads a time parameter (from, to, until, expires_at) with the
// one parser of the API, timeparam.Parse: RFC 3339 or Unix seconds or
// milliseconds within a sane range; empty is zero.
func parseTime(name, v string) (time.Time, error) { return timeparam.Parse(name, v) }
