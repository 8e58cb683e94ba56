package testenv

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ZitadelOPVersion is the zitadel example OpenID provider .ci/run installs
// (go install github.com/zitadel/oidc/v3/example/server@ZitadelOPVersion,
// renamed zitadel-oidc-op).
const ZitadelOPVersion = "v3.51.17"

// OIDCProvider is a real OpenID Connect provider started for a test: the
// zitadel example OP, with confidential clients "web" and "api" (secret
// "secret") and the users of its users file.
type OIDCProvider struct {
	Issuer string // http://localhost:<port>/
}

// StartOIDCProvider runs zitadel-oidc-op on a free port until tb ends,
// allowing redirectURIs, with usersJSON as its users file (the example's
// storage.User map, keyed by id). It skips tb (or fails it when services
// are required) when the binary is not on PATH.
func StartOIDCProvider(tb testing.TB, usersJSON string, redirectURIs ...string) *OIDCProvider {
	tb.Helper()
	bin, err := exec.LookPath("zitadel-oidc-op")
	if err != nil {
		Unavailable(tb, "zitadel-oidc-op not on PATH; single sign-on tests skipped (go install github.com/zitadel/oidc/v3/example/server@"+
			ZitadelOPVersion+", renamed zitadel-oidc-op)")
		return nil
	}
	_, port, _ := net.SplitHostPort(freeLoopback(tb))
	dir := tb.TempDir()
	users := filepath.Join(dir, "users.json")
	if err := os.WriteFile(users, []byte(usersJSON), 0o600); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT="+port, "USERS_FILE="+users, "REDIRECT_URI="+strings.Join(redirectURIs, ","))
	out, _ := os.Create(filepath.Join(dir, "op.log"))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start zitadel-oidc-op: %v", err)
	}
	tb.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); out.Close() })
	op := &OIDCProvider{Issuer: fmt.Sprintf("http://localhost:%s/", port)}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(op.Issuer + ".well-known/openid-configuration"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return op
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "op.log"))
	tb.Fatalf("zitadel-oidc-op did not start: %s", log)
	return nil
}
