// Package testenv finds what tests need from outside the module — the shared
// datasets, PostgreSQL, Chromium — and skips a test with a clear
// message when it is missing, or fails it when CLOUDSAGE_REQUIRE_SERVICES=1
// (as CI sets it) says the machine must have it.
package testenv

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Required reports whether missing services fail tests instead of skipping them.
func Required() bool { return os.Getenv("CLOUDSAGE_REQUIRE_SERVICES") == "1" }

// Unavailable skips tb with msg, or fails it when services are required.
func Unavailable(tb testing.TB, msg string) {
	tb.Helper()
	if Required() {
		tb.Fatalf("%s (CLOUDSAGE_REQUIRE_SERVICES=1)", msg)
	}
	tb.Skip(msg)
}

// ModuleRoot returns the directory holding go.mod, walking up from the
// current directory (a test's working directory is its package directory).
func ModuleRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// Datasets returns the shared datasets folder (../shared/datasets beside
// the module root, or $CLOUDSAGE_DATASETS), or skips tb when it is absent.
// The datasets are never required: a user's clone has none.
func Datasets(tb testing.TB, sub ...string) string {
	tb.Helper()
	dir := os.Getenv("CLOUDSAGE_DATASETS")
	if dir == "" {
		dir = filepath.Join(ModuleRoot(tb), "..", "shared", "datasets")
	}
	dir = filepath.Join(append([]string{dir}, sub...)...)
	if _, err := os.Stat(dir); err != nil {
		tb.Skipf("shared dataset %s not found; skipping (set CLOUDSAGE_DATASETS to run it)", dir)
	}
	return dir
}

// PostgresURL returns the URL of the test PostgreSQL server
// ($CLOUDSAGE_TEST_POSTGRES, default postgres://postgres@127.0.0.1:5432/test),
// or skips/fails tb when nothing listens there.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	url := os.Getenv("CLOUDSAGE_TEST_POSTGRES")
	if url == "" {
		url = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	requireTCP(tb, "PostgreSQL", "127.0.0.1:5432", "CLOUDSAGE_TEST_POSTGRES")
	return url
}

// Chromium returns the path of a Chromium binary, or skips/fails tb.
func Chromium(tb testing.TB) string {
	tb.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	Unavailable(tb, "no chromium on PATH; browser tests skipped (apt-get install chromium)")
	return ""
}

func requireTCP(tb testing.TB, what, addr, env string) {
	tb.Helper()
	if env != "" && os.Getenv(env) != "" {
		return // an explicit URL: let the driver report what is wrong
	}
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		Unavailable(tb, what+" not reachable at "+addr+"; skipping")
		return
	}
	c.Close()
}
