package testenv

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cloudsage/cloudsage/internal/toolscache"
)

// OtelcolVersion is the OpenTelemetry Collector .ci/run builds with the
// collector's builder from .ci/otelcol-builder.yaml (keep them equal).
const OtelcolVersion = "v0.165.0"

// Otelcol returns the path of the collector .ci/run built into the tools
// cache. It skips tb (or fails it when services are required) when the
// collector is not there.
func Otelcol(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(toolscache.Dir(), "otelcol-"+OtelcolVersion, "dist", "otelcol-cloudsage")
	if _, err := os.Stat(bin); err != nil {
		Unavailable(tb, "no OpenTelemetry Collector at "+bin+": .ci/run builds it once (about 4 minutes)")
		return ""
	}
	return bin
}

// SyslogNGDir is where .ci/run unpacks Debian's syslog-ng packages
// (apt-get download + dpkg -x): Debian's syslog-ng and rsyslog packages
// conflict, and the rsyslog tests need rsyslog installed, so syslog-ng
// runs from there without being installed.
const SyslogNGDir = "syslog-ng-3.38"

// SyslogNG returns a command running syslog-ng with args: the installed
// one if there is one, else the one .ci/run unpacked into the tools cache
// (with its libraries and modules). It skips tb (or fails it when
// services are required) when neither is there.
func SyslogNG(tb testing.TB, args ...string) *exec.Cmd {
	tb.Helper()
	if bin, err := exec.LookPath("syslog-ng"); err == nil {
		return exec.Command(bin, args...)
	}
	root := filepath.Join(toolscache.Dir(), SyslogNGDir, "root")
	bin := filepath.Join(root, "usr", "sbin", "syslog-ng")
	if _, err := os.Stat(bin); err != nil {
		Unavailable(tb, "syslog-ng is neither installed nor unpacked at "+bin+" (.ci/run unpacks Debian's syslog-ng-core and syslog-ng-mod-http there)")
		return nil
	}
	cmd := exec.Command(bin, append([]string{"--module-path=" + filepath.Join(root, "usr", "lib", "syslog-ng", "3.38")}, args...)...)
	libs := []string{filepath.Join(root, "usr", "lib", "x86_64-linux-gnu"), filepath.Join(root, "lib", "x86_64-linux-gnu"), filepath.Join(root, "usr", "lib", "syslog-ng")}
	cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+strings.Join(libs, ":"))
	return cmd
}

// LockedBuffer collects a child process's output (as its Stdout and
// Stderr) while the test reads it: safe for concurrent use.
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
