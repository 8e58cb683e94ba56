package browser

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestInviteJourney: an admin invites by email from the Members page and
// copies the link; the invitee, signed out, opens it, creates an account,
// comes back to the invitation, accepts, and sees the project as a viewer.
func TestInviteJourney(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: skipped with -short")
	}
	base := serve(t)
	ctx := browser(t)
	shots := artifacts(t)

	projectPath := signUpWithProject(t, ctx, base, "ann", "team-shop")

	// The Members tab: invite bob as viewer; the link is shown once.
	err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`nav.tabs a[href$="/members"]`)),
		chromedp.WaitVisible(chromedp.ID("invite-email")),
		chromedp.SendKeys(chromedp.ID("invite-email"), "bob@example.com"),
		chromedp.SetValue(chromedp.ID("invite-role"), "viewer"),
		chromedp.Submit(chromedp.ID("invite-email")),
		chromedp.WaitVisible(chromedp.ID("invite-link")),
	)
	if err != nil {
		t.Fatalf("invite: %v", err)
	}
	link, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("invite-link").value`))
	if err != nil || !strings.HasPrefix(link, base+"/invite/csi_") {
		t.Fatalf("invitation link %q (%v), want %s/invite/csi_...", link, err, base)
	}
	if n := count(t, ctx, "li.invitation"); n != 1 {
		t.Errorf("%d pending invitations listed, want 1", n)
	}
	shoot(t, ctx, shots, "members")
	err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.ID("password")))
	if err != nil {
		t.Fatalf("log out: %v", err)
	}

	// Bob opens the link signed out, registers from it and lands back on it.
	err = chromedp.Do(ctx, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("invite-register")))
	if err != nil {
		t.Fatalf("open the invitation: %v", err)
	}
	if h := text(t, ctx, "#invitation h1"); h != "Join team-shop" {
		t.Errorf("invitation heading %q", h)
	}
	shoot(t, ctx, shots, "invitation")
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("invite-register")),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "bob@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), "a long passphrase for bob"),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.ID("accept")),
	)
	if err != nil {
		t.Fatalf("register from the invitation: %v", err)
	}
	if got := location(t, ctx).String(); got != link {
		t.Errorf("after registering at %s, want back at the invitation %s", got, link)
	}
	err = chromedp.Do(ctx, chromedp.Click(chromedp.ID("accept")), chromedp.WaitVisible(chromedp.CSS("h1.projname")))
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	if got := location(t, ctx).Path; got != projectPath {
		t.Errorf("after accepting at %s, want the project %s", got, projectPath)
	}
	if name := text(t, ctx, "h1.projname"); name != "team-shop" {
		t.Errorf("the invitee sees project %q", name)
	}
	// A viewer: no Ingest tab, and the project is on bob's projects page.
	if n := count(t, ctx, `nav.tabs a[href$="/ingest"]`); n != 0 {
		t.Errorf("a viewer sees the Ingest tab")
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/projects"), chromedp.WaitVisible(chromedp.ID("cards"))); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text(t, ctx, "#cards"), "team-shop") {
		t.Errorf("bob's projects page lacks team-shop: %s", text(t, ctx, "#cards"))
	}
}

// signUpWithProject registers name@example.com on the sign-up page and
// creates project; it returns the project's path (its ingest page is open).
func signUpWithProject(t *testing.T, ctx context.Context, base, name, project string) string {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/register"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), name+"@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), "a long passphrase for "+name),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), project),
		chromedp.Submit(chromedp.ID("name")),
		chromedp.WaitVisible(chromedp.ID("logs")),
	)
	if err != nil {
		t.Fatalf("sign up and create a project: %v", err)
	}
	return strings.TrimSuffix(location(t, ctx).Path, "/ingest")
}
