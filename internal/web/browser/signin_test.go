package browser

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/testenv"
)

// TestSignInJourney: a new person signs in with single sign-on through a
// real OpenID provider (the zitadel example OP) and gets an account, turns
// on two-factor sign-in from the account page by the key it shows, signs
// out, and signs in again through the provider and a recovery code.
func TestSignInJourney(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: skipped with -short")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // the server takes the port over; the provider must know it first
	base := "http://" + addr
	op := testenv.StartOIDCProvider(t, `{"u1": {"ID": "u1", "Username": "newbie", "Password": "verysecure", "FirstName": "New", "LastName": "Bie",
		"Email": "newbie@example.com", "EmailVerified": true}}`, base+"/auth/oidc/zitadel/callback")
	t.Setenv("CLOUDSAGE_OIDC_PROVIDERS", "zitadel")
	t.Setenv("CLOUDSAGE_OIDC_ZITADEL_ISSUER", op.Issuer)
	t.Setenv("CLOUDSAGE_OIDC_ZITADEL_CLIENT_ID", "web")
	t.Setenv("CLOUDSAGE_OIDC_ZITADEL_CLIENT_SECRET", "secret")
	if got := serve(t, "--addr", addr, "--base-url", base); got != base {
		t.Fatalf("served at %s, want %s", got, base)
	}
	ctx := browser(t)
	shots := artifacts(t)

	ssoIn := func(what string) {
		t.Helper()
		err := chromedp.Do(ctx,
			chromedp.Navigate(base+"/login"),
			chromedp.WaitVisible(chromedp.CSS(`#sso a`)),
			chromedp.Click(chromedp.CSS(`#sso a`)),
			chromedp.WaitVisible(chromedp.ID("username")),
			chromedp.SendKeys(chromedp.ID("username"), "newbie"),
			chromedp.SendKeys(chromedp.ID("password"), "verysecure"),
			chromedp.Submit(chromedp.ID("password")),
		)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	ssoIn("first sign-in")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("name"))); err != nil {
		t.Fatalf("after the first sign-in: %v", err)
	}
	if got := location(t, ctx).Path; got != "/projects" {
		t.Fatalf("after single sign-on at %s, want /projects", got)
	}
	if who := text(t, ctx, ".who"); who != "newbie@example.com" {
		t.Errorf("signed in as %q", who)
	}

	// The account page: set up two-factor sign-in with the key it shows.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(".who")),
		chromedp.WaitVisible(chromedp.ID("sessions")),
		chromedp.Click(chromedp.CSS(`form[action="/account/2fa/setup"] button`)),
		chromedp.WaitVisible(chromedp.ID("totp-qr")),
	)
	if err != nil {
		t.Fatalf("set up 2FA: %v", err)
	}
	shoot(t, ctx, shots, "account-2fa-setup")
	// On a phone the page (a long browser name in the sessions table) is no wider than the screen.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	wide, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil || wide > 390 {
		t.Errorf("the account page is %d px wide on a 390 px phone (%v)", wide, err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
	code, err := auth.TOTPCode(text(t, ctx, "#totp-secret"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("enable-code"), code),
		chromedp.Submit(chromedp.ID("enable-code")),
		chromedp.WaitVisible(chromedp.ID("recovery-codes")),
	)
	if err != nil {
		t.Fatalf("turn 2FA on: %v", err)
	}
	if n := count(t, ctx, "#recovery-codes li"); n != 10 {
		t.Errorf("%d recovery codes shown, want 10", n)
	}
	recovery := text(t, ctx, "#recovery-codes li code")

	// Sign out; sign in again: the provider, then a code.
	err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.ID("email")))
	if err != nil {
		t.Fatalf("log out: %v", err)
	}
	ssoIn("second sign-in")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("code"))); err != nil {
		t.Fatalf("no code page after the second sign-in: %v", err)
	}
	if got := location(t, ctx).Path; got != "/login/2fa" {
		t.Errorf("the second sign-in went to %s, want /login/2fa", got)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("code"), recovery),
		chromedp.Submit(chromedp.ID("code")),
		chromedp.WaitVisible(chromedp.ID("name")),
	)
	if err != nil {
		t.Fatalf("sign in with a recovery code: %v", err)
	}
	if got := location(t, ctx).Path; got != "/projects" || !strings.Contains(text(t, ctx, ".who"), "newbie") {
		t.Errorf("after the recovery code at %s", got)
	}
}
