package shipclients

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/testenv"
)

// syslog-ng's http() destination posts Loki push JSON to
// /loki/api/v1/push. syslog-ng 3.38 (Debian 12) has no loki() destination
// and no JSON-string template function, so the config escapes the line
// itself (backslash, quote, tab; verified by hand against 3.38.1) and batches entries into one stream with
// body-prefix, delimiter and body-suffix.
func TestSyslogNGLokiJSON(t *testing.T) {
	e := start(t)
	dir := t.TempDir()
	logFile := filepath.Join(dir, "app.log")
	lines := []string{
		`ERROR ngmark payment 1 declined`,
		`WARN ngmark retry "quoted" path C:\temp` + "\t" + `tabbed`,
		`INFO ngmark checkout done`,
	}
	if err := os.WriteFile(logFile, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "syslog-ng.conf")
	os.WriteFile(conf, fmt.Appendf(nil, `@version: 3.38
options { stats-freq(0); };
source s_app { file("%s" flags(no-parse) follow-freq(0.1)); };
rewrite r_json {
  subst("\\\\", "\\\\", value("MESSAGE") flags(global));
  subst("\"", "\\\"", value("MESSAGE") flags(global));
  subst("\t", "\\t", value("MESSAGE") flags(global));
};
destination d_cloudsage {
  http(url("%s/loki/api/v1/push") method("POST")
    headers("Content-Type: application/json", "Authorization: Bearer %s")
    batch-lines(10) batch-timeout(200)
    body-prefix('{"streams":[{"stream":{"app":"shop","source":"syslog-ng"},"values":[')
    delimiter(",")
    body('["${R_UNIXTIME}000000000","$MESSAGE"]')
    body-suffix(']}]}'));
};
log { source(s_app); rewrite(r_json); destination(d_cloudsage); flags(flow-control); };
`, logFile, e.url, e.token), 0o600)
	out := &testenv.LockedBuffer{}
	cmd := testenv.SyslogNG(t, "-F", "-e", "-f", conf, "-p", filepath.Join(dir, "pid"), "-R", filepath.Join(dir, "persist"), "-c", filepath.Join(dir, "ctl"))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
	var evs []cloudsageEvent
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if evs = e.events("ngmark"); len(evs) >= len(lines) {
			break
		}
	}
	if len(evs) != len(lines) {
		t.Fatalf("%d events from syslog-ng, want %d; syslog-ng output:\n%s", len(evs), len(lines), out)
	}
	got := map[string]cloudsageEvent{}
	for _, ev := range evs {
		got[ev.Level] = ev
		if ev.Service != "shop" || ev.Fields["source"] != "syslog-ng" {
			t.Errorf("syslog-ng event = %+v", ev)
		}
	}
	if ev := got["warn"]; !strings.Contains(ev.Message, `retry "quoted" path C:\temp`+"\t"+`tabbed`) {
		t.Errorf("escaped line read back as %q", ev.Message)
	}
	if got["error"].Message == "" { // the level comes from the line's own ERROR/WARN word
		t.Errorf("levels: %v", got)
	}
}
