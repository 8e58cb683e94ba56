package syslogd

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cloudsage/cloudsage/internal/testenv"
)

// rsyslog (Debian's rsyslogd, installed by .ci/run) tails a file with
// imfile and forwards it with omfwd: over TCP octet-counted and over UDP,
// RFC 5424 (RSYSLOG_SyslogProtocol23Format), as a relay would.
func TestRsyslog(t *testing.T) {
	bin, err := exec.LookPath("rsyslogd")
	if err != nil {
		if bin, err = exec.LookPath("/usr/sbin/rsyslogd"); err != nil {
			testenv.Unavailable(t, "rsyslogd is not installed (apt-get install rsyslog; .ci/run does)")
		}
	}
	s := &sink{}
	srv := serve(t, Config{}, s)
	_, tport, _ := net.SplitHostPort(srv.TCPAddr().String())
	_, uport, _ := net.SplitHostPort(srv.UDPAddr().String())
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "app.log"), []byte("first rsyslog line\nsecond rsyslog line\n"), 0o644)
	conf := fmt.Sprintf(`global(workDirectory=%q)
module(load="imfile")
input(type="imfile" File=%q Tag="billing" Severity="error" Facility="user")
action(type="omfwd" target="127.0.0.1" port=%q protocol="tcp" template="RSYSLOG_SyslogProtocol23Format" TCP_Framing="octet-counted")
action(type="omfwd" target="127.0.0.1" port=%q protocol="udp" template="RSYSLOG_SyslogProtocol23Format")
`, dir, filepath.Join(dir, "app.log"), tport, uport)
	cf := filepath.Join(dir, "rsyslog.conf")
	os.WriteFile(cf, []byte(conf), 0o644)
	cmd := exec.Command(bin, "-n", "-f", cf, "-i", filepath.Join(dir, "rsyslog.pid"))
	out, _ := os.Create(filepath.Join(dir, "rsyslog.out"))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	got := s.wait(t, "", 4) // each line once over TCP and once over UDP
	want := []string{"first rsyslog line", "first rsyslog line", "second rsyslog line", "second rsyslog line"}
	if !slices.Equal(got, want) {
		b, _ := os.ReadFile(filepath.Join(dir, "rsyslog.out"))
		t.Fatalf("from rsyslog: %q, want %q (rsyslogd said: %s)", got, want, b)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.got[""] {
		if r.Service != "billing" || r.Level != "error" || r.Host == "" {
			t.Errorf("record %+v: want service billing, level error and a host", r)
		}
	}
}
