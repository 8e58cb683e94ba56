package cli

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/store"
)

// runUser manages accounts headlessly: `cloudsage user create --email E
// [--name N] [--password-stdin]`; without a password one is generated and
// printed once. `cloudsage user reset-2fa --email E` turns a user's
// two-factor sign-in off and ends their sessions, for one who lost both
// the authenticator and the recovery codes.
func runUser(ctx context.Context, args []string, stdio Stdio) error {
	if len(args) > 0 && args[0] == "reset-2fa" {
		return runUserReset2FA(ctx, args[1:], stdio)
	}
	if len(args) == 0 || args[0] != "create" {
		return usageError{"usage: cloudsage user create --email EMAIL [--name NAME] [--password-stdin] [serve's store flags]\n" +
			"       cloudsage user reset-2fa --email EMAIL [serve's store flags]"}
	}
	var email, name string
	var fromStdin bool
	fs := newFlagSet("user create", "--email EMAIL [--name NAME] [--password-stdin]", stdio)
	fs.StringVar(&email, "email", "", "the account's email")
	fs.StringVar(&name, "name", "", "display name")
	fs.BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of standard input")
	c, err := loadConfig(fs, args[1:]) // the store flags, as serve reads them
	if err != nil {
		return err
	}
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" || !strings.Contains(email, "@") {
		return usageError{"--email is required"}
	}
	password := ""
	if fromStdin {
		line, err := bufio.NewReader(stdio.In).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("read password: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
		if len(password) < auth.MinPasswordLen {
			return fmt.Errorf("password must be at least %d characters", auth.MinPasswordLen)
		}
	} else {
		password, _ = auth.NewSecret("")
		password = password[:20]
	}
	hash, err := auth.HashPassword(password, auth.DefaultParams)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := st.CreateUser(ctx, store.User{Email: email, Name: name, PasswordHash: hash})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "created user %d %s\n", u.ID, u.Email)
	if !fromStdin {
		fmt.Fprintf(stdio.Out, "password: %s\n", password)
	}
	return nil
}

// runUserReset2FA turns off a user's second factor and ends their sessions.
func runUserReset2FA(ctx context.Context, args []string, stdio Stdio) error {
	var email string
	fs := newFlagSet("user reset-2fa", "--email EMAIL", stdio)
	fs.StringVar(&email, "email", "", "the account's email")
	c, err := loadConfig(fs, args)
	if err != nil {
		return err
	}
	if strings.TrimSpace(email) == "" {
		return usageError{"--email is required"}
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := st.UserByEmail(ctx, email)
	if err != nil {
		return fmt.Errorf("no account %s: %w", email, err)
	}
	if err := st.DisableTOTP(ctx, u.ID); err != nil {
		return err
	}
	n, err := st.DeleteUserSessions(ctx, u.ID, "")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "two-factor sign-in is off for user %d %s; %d session(s) ended\n", u.ID, u.Email, n)
	return nil
}
