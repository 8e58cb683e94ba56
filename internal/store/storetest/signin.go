package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
)

// testSignIn: sessions by user, single-use login tokens, the TOTP factor
// with its recovery codes, OIDC identities.
func testSignIn(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann, bob := user(t, s, "ann@example.com"), user(t, s, "bob@example.com")
	hashA, hashB := "aaaaaaaaaaaaaaaa1111", "bbbbbbbbbbbbbbbb2222"
	noErr(t, s.CreateSession(ctx, store.Session{Hash: hashA, UserID: ann.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), IP: "10.0.0.1", UserAgent: "curl"}))
	noErr(t, s.CreateSession(ctx, store.Session{Hash: hashB, UserID: ann.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}))
	noErr(t, s.CreateSession(ctx, store.Session{Hash: "cccccccccccccccc3333", UserID: bob.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}))
	noErr(t, s.TouchSession(ctx, hashB, t0.Add(time.Minute), "10.0.0.2", "Firefox"))
	ss := must(s.Sessions(ctx, ann.ID, t0))(t)
	if len(ss) != 2 || ss[0].Hash != hashB || ss[0].IP != "10.0.0.2" || ss[0].UserAgent != "Firefox" || !ss[0].LastSeenAt.Equal(t0.Add(time.Minute)) ||
		ss[1].IP != "10.0.0.1" || !ss[1].LastSeenAt.Equal(t0) || ss[0].TwoFactor {
		t.Fatalf("Sessions = %+v", ss)
	}
	// Bob cannot end Ann's session by its id; Ann can.
	wantKind(t, "bob ends ann's session", s.DeleteSessionByID(ctx, bob.ID, ss[0].ID()), cloudsage.NotFound)
	wantKind(t, "a short id", s.DeleteSessionByID(ctx, ann.ID, "bbbb"), cloudsage.NotFound)
	noErr(t, s.DeleteSessionByID(ctx, ann.ID, ss[0].ID()))
	_, err := s.SessionByHash(ctx, hashB, t0)
	wantKind(t, "revoked session", err, cloudsage.NotFound)
	noErr(t, s.CreateSession(ctx, store.Session{Hash: "dddd", UserID: ann.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}))
	if n := must(s.DeleteUserSessions(ctx, ann.ID, hashA))(t); n != 1 {
		t.Errorf("DeleteUserSessions ended %d sessions, want 1", n)
	}
	if ss := must(s.Sessions(ctx, ann.ID, t0))(t); len(ss) != 1 || ss[0].Hash != hashA {
		t.Errorf("after ending the others: %+v", ss)
	}
	if ss := must(s.Sessions(ctx, bob.ID, t0))(t); len(ss) != 1 {
		t.Errorf("bob's session was ended with ann's: %+v", ss)
	}

	noErr(t, s.SetPassword(ctx, ann.ID, "newhash"))
	if u := must(s.UserByID(ctx, ann.ID))(t); u.PasswordHash != "newhash" {
		t.Errorf("SetPassword: %q", u.PasswordHash)
	}
	wantKind(t, "SetPassword(missing)", s.SetPassword(ctx, 99999, "x"), cloudsage.NotFound)

	// Login tokens: single use, expiring, by kind.
	noErr(t, s.CreateLoginToken(ctx, store.LoginToken{Hash: "m1", Kind: store.LoginMagic, Email: "ann@example.com", CreatedAt: t0, ExpiresAt: t0.Add(15 * time.Minute)}))
	noErr(t, s.CreateLoginToken(ctx, store.LoginToken{Hash: "f1", Kind: store.LoginSecondFactor, UserID: ann.ID, Data: "x", CreatedAt: t0, ExpiresAt: t0.Add(5 * time.Minute)}))
	_, err = s.UseLoginToken(ctx, store.LoginSecondFactor, "m1", t0)
	wantKind(t, "a magic token used as another kind", err, cloudsage.NotFound)
	_, err = s.UseLoginToken(ctx, store.LoginMagic, "m1", t0.Add(15*time.Minute))
	wantKind(t, "an expired magic token", err, cloudsage.NotFound)
	if lt := must(s.LoginToken(ctx, store.LoginSecondFactor, "f1", t0))(t); lt.UserID != ann.ID || lt.Data != "x" {
		t.Errorf("LoginToken = %+v", lt)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if lt, err := s.UseLoginToken(ctx, store.LoginMagic, "m1", t0.Add(time.Minute)); err == nil && lt.Email == "ann@example.com" {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("a magic token was used %d times, want once", wins.Load())
	}
	_, err = s.LoginToken(ctx, store.LoginMagic, "m1", t0.Add(time.Minute))
	wantKind(t, "a used token", err, cloudsage.NotFound)
	if n := must(s.DeleteExpiredLoginTokens(ctx, t0.Add(10*time.Minute)))(t); n != 1 {
		t.Errorf("DeleteExpiredLoginTokens = %d, want 1 (the second-factor token)", n)
	}

	// TOTP: pending, enabled with codes, replay-safe steps, disabled.
	noErr(t, s.SetTOTPPending(ctx, ann.ID, "PENDING"))
	if u := must(s.UserByID(ctx, ann.ID))(t); u.TOTPPending != "PENDING" || u.TwoFactor() {
		t.Errorf("pending: %+v", u)
	}
	noErr(t, s.EnableTOTP(ctx, ann.ID, "SECRET", 100, []string{"h1", "h2"}))
	u := must(s.UserByID(ctx, ann.ID))(t)
	if u.TOTPSecret != "SECRET" || u.TOTPPending != "" || u.TOTPLastStep != 100 || !u.TwoFactor() {
		t.Errorf("enabled: %+v", u)
	}
	if sess := must(s.SessionByHash(ctx, hashA, t0))(t); !sess.TwoFactor {
		t.Error("the session does not say its user has 2FA")
	}
	if ok := must(s.UseTOTPStep(ctx, ann.ID, 100))(t); ok {
		t.Error("step 100 used twice")
	}
	if ok := must(s.UseTOTPStep(ctx, ann.ID, 101))(t); !ok {
		t.Error("step 101 refused")
	}
	noErr(t, s.UseRecoveryCode(ctx, ann.ID, "h1", t0))
	wantKind(t, "a used recovery code", s.UseRecoveryCode(ctx, ann.ID, "h1", t0), cloudsage.NotFound)
	wantKind(t, "another user's code", s.UseRecoveryCode(ctx, bob.ID, "h2", t0), cloudsage.NotFound)
	if n := must(s.RecoveryCodesLeft(ctx, ann.ID))(t); n != 1 {
		t.Errorf("RecoveryCodesLeft = %d, want 1", n)
	}
	noErr(t, s.DisableTOTP(ctx, ann.ID))
	if u := must(s.UserByID(ctx, ann.ID))(t); u.TwoFactor() || u.TOTPLastStep != 0 {
		t.Errorf("disabled: %+v", u)
	}
	if n := must(s.RecoveryCodesLeft(ctx, ann.ID))(t); n != 0 {
		t.Errorf("codes after disabling: %d", n)
	}

	// Identities.
	_, err = s.IdentityUser(ctx, "okta", "sub-1")
	wantKind(t, "unlinked identity", err, cloudsage.NotFound)
	noErr(t, s.LinkIdentity(ctx, store.Identity{Provider: "okta", Subject: "sub-1", UserID: bob.ID, Email: "bob@example.com"}))
	if u := must(s.IdentityUser(ctx, "okta", "sub-1"))(t); u.ID != bob.ID || u.Email != "bob@example.com" {
		t.Errorf("IdentityUser = %+v", u)
	}
	wantKind(t, "a subject linked twice", s.LinkIdentity(ctx, store.Identity{Provider: "okta", Subject: "sub-1", UserID: ann.ID}), cloudsage.Conflict)
	_, err = s.IdentityUser(ctx, "google", "sub-1")
	wantKind(t, "the subject at another provider", err, cloudsage.NotFound)
}
