package auth

import (
	"context"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
)

// Principal is who makes a request: a user (by session) or an API token,
// which acts for one project only, with the token's role.
type Principal struct {
	UserID      cloudsage.UserID
	SessionHash string // set for session logins
	Token       *store.Token
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the request's principal, if authenticated.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
