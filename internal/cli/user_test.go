package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/store/sqlite"
)

// TestUserReset2FA: the operator's way back in for a user who lost the
// authenticator and the recovery codes.
func TestUserReset2FA(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := Run(context.Background(), []string{"user", "create", "--email", "ann@example.com", "--data-dir", dir}, Stdio{Out: &out, Err: &errb}); code != 0 {
		t.Fatalf("user create: %d %s", code, errb.String())
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "cloudsage.db"))
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.UserByEmail(ctx, "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := st.EnableTOTP(ctx, u.ID, "JBSWY3DPEHPK3PXP", 1, []string{"h"}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateSession(ctx, store.Session{Hash: "s1", UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	out.Reset()
	code := Run(ctx, []string{"user", "reset-2fa", "--email", "Ann@Example.com", "--data-dir", dir}, Stdio{Out: &out, Err: &errb})
	if code != 0 || !strings.Contains(out.String(), "two-factor sign-in is off for user 1 ann@example.com; 1 session(s) ended") {
		t.Fatalf("reset-2fa: exit %d, out %q, err %q", code, out.String(), errb.String())
	}
	st, err = sqlite.Open(ctx, filepath.Join(dir, "cloudsage.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if u, _ := st.UserByID(ctx, u.ID); u.TwoFactor() {
		t.Error("2FA still on")
	}
	if ss, _ := st.Sessions(ctx, u.ID, now); len(ss) != 0 {
		t.Errorf("sessions left: %v", ss)
	}
	errb.Reset()
	if code := Run(ctx, []string{"user", "reset-2fa", "--email", "nobody@example.com", "--data-dir", dir}, Stdio{Out: &out, Err: &errb}); code != 1 ||
		!strings.Contains(errb.String(), "no account nobody@example.com") {
		t.Errorf("unknown user: exit %d, err %q", code, errb.String())
	}
	if code := Run(ctx, []string{"user", "reset-2fa", "--data-dir", dir}, Stdio{Out: &out, Err: &errb}); code != 2 {
		t.Errorf("no email: exit %d, want a usage error", code)
	}
}
