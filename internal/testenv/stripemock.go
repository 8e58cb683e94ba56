package testenv

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// StripeMockVersion is the stripe-mock .ci/run installs
// (go install github.com/stripe/stripe-mock@StripeMockVersion).
const StripeMockVersion = "v0.203.0"

// StartStripeMock runs stripe-mock (Stripe's API simulator: stateless, no
// webhooks) on a loopback port until tb ends and returns its base URL. It
// skips tb (or fails it when services are required) when stripe-mock is
// not on PATH.
func StartStripeMock(tb testing.TB) string {
	tb.Helper()
	bin, err := exec.LookPath("stripe-mock")
	if err != nil {
		Unavailable(tb, "stripe-mock not on PATH; Stripe API tests skipped (go install github.com/stripe/stripe-mock@"+StripeMockVersion+")")
		return ""
	}
	addr := freeLoopback(tb)
	dir := tb.TempDir()
	out, _ := os.Create(filepath.Join(dir, "stripe-mock.log"))
	cmd := exec.Command(bin, "-http-addr", addr)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start stripe-mock: %v", err)
	}
	tb.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); out.Close() })
	url := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest("GET", url+"/v1/customers", nil)
		req.Header.Set("Authorization", "Bearer sk_test_123")
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
			return url
		}
		time.Sleep(100 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "stripe-mock.log"))
	tb.Fatalf("stripe-mock did not start: %s", log)
	return ""
}
