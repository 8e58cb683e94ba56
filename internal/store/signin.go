package store

import (
	"context"
	"time"

	"github.com/cloudsage/cloudsage"
)

// Kinds of LoginToken.
const (
	LoginMagic        = "magic"         // a magic sign-in link sent by mail
	LoginSecondFactor = "second_factor" // a first factor passed; the TOTP code is next
	LoginOIDC         = "oidc"          // an OIDC round trip: state, with the nonce and PKCE verifier in Data
)

// LoginToken is a single-use sign-in secret; only its SHA-256 is stored.
type LoginToken struct {
	Hash      string
	Kind      string
	Email     string           // magic: the address the link was sent to
	UserID    cloudsage.UserID // second_factor: who passed the first factor
	Data      string           // kind-specific (oidc: JSON of the round trip)
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Identity links an account to a subject at an OIDC provider.
type Identity struct {
	Provider  string
	Subject   string
	UserID    cloudsage.UserID
	Email     string
	CreatedAt time.Time
}

// SignInStore is the sign-in part of the store: sessions by user, login
// tokens, the TOTP second factor and its recovery codes, OIDC identities.
type SignInStore interface {
	// Sessions lists a user's unexpired sessions, most recently used first.
	Sessions(ctx context.Context, user cloudsage.UserID, now time.Time) ([]Session, error)
	// TouchSession records a session's use at now from ip with user agent ua.
	TouchSession(ctx context.Context, hash string, now time.Time, ip, ua string) error
	// DeleteSessionByID ends the user's session whose ID is id (NotFound
	// when the user has none).
	DeleteSessionByID(ctx context.Context, user cloudsage.UserID, id string) error
	// DeleteUserSessions ends all of a user's sessions but keep (a hash; "": all).
	DeleteUserSessions(ctx context.Context, user cloudsage.UserID, keep string) (int64, error)

	// SetPassword replaces a user's password hash.
	SetPassword(ctx context.Context, user cloudsage.UserID, hash string) error

	CreateLoginToken(ctx context.Context, t LoginToken) error
	// LoginToken returns the unused, unexpired token of kind with hash.
	LoginToken(ctx context.Context, kind, hash string, now time.Time) (LoginToken, error)
	// UseLoginToken marks the token used and returns it; of concurrent
	// callers only one succeeds. A used, expired or unknown token is NotFound.
	UseLoginToken(ctx context.Context, kind, hash string, now time.Time) (LoginToken, error)
	DeleteExpiredLoginTokens(ctx context.Context, now time.Time) (int64, error)

	// SetTOTPPending stores a secret being set up ("" clears it).
	SetTOTPPending(ctx context.Context, user cloudsage.UserID, secret string) error
	// EnableTOTP makes secret the user's second factor, replacing the
	// recovery codes with codes (hashes), and clears the pending secret;
	// step is the step of the code that confirmed it.
	EnableTOTP(ctx context.Context, user cloudsage.UserID, secret string, step int64, codes []string) error
	// DisableTOTP turns the second factor off and deletes the recovery codes.
	DisableTOTP(ctx context.Context, user cloudsage.UserID) error
	// UseTOTPStep records step as used if it is later than the last used
	// one; false means the code was used already (a replay).
	UseTOTPStep(ctx context.Context, user cloudsage.UserID, step int64) (bool, error)
	// UseRecoveryCode spends the user's unused code with hash (NotFound
	// when there is none).
	UseRecoveryCode(ctx context.Context, user cloudsage.UserID, hash string, now time.Time) error
	// RecoveryCodesLeft counts the user's unused recovery codes.
	RecoveryCodesLeft(ctx context.Context, user cloudsage.UserID) (int, error)

	// IdentityUser returns the account linked to provider and subject.
	IdentityUser(ctx context.Context, provider, subject string) (User, error)
	// LinkIdentity stores id (Conflict when the subject is linked already).
	LinkIdentity(ctx context.Context, id Identity) error
}
