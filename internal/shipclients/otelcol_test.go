package shipclients

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/testenv"
)

// An OpenTelemetry Collector (built by .ci/run with the collector's
// builder) tails a file with the filelog receiver, parses the level with a
// regex operator and exports over otlphttp (protobuf + gzip) to /v1/logs.
func TestOtelCollector(t *testing.T) {
	bin := testenv.Otelcol(t)
	e := start(t)
	dir := t.TempDir()
	logFile := filepath.Join(dir, "app.log")
	var lines strings.Builder
	for i := range 5 {
		fmt.Fprintf(&lines, "ERROR colmark payment %d declined\n", i)
	}
	lines.WriteString("INFO colmark checkout done\n")
	if err := os.WriteFile(logFile, []byte(lines.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(name, token string) *testenv.LockedBuffer {
		conf := filepath.Join(dir, name+".yaml")
		os.WriteFile(conf, fmt.Appendf(nil, `receivers:
  filelog:
    include: [%s]
    start_at: beginning
    poll_interval: 100ms
    resource:
      service.name: billing
    operators:
      - type: regex_parser
        regex: '^(?P<sev>[A-Z]+) (?P<text>.*)$'
        severity:
          parse_from: attributes.sev
processors:
  batch:
    timeout: 200ms
exporters:
  otlphttp:
    endpoint: %s
    compression: gzip
    headers:
      Authorization: Bearer %s
    retry_on_failure:
      enabled: false
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [filelog]
      processors: [batch]
      exporters: [otlphttp]
`, logFile, e.url, token), 0o600)
		cmd := exec.Command(bin, "--config", conf)
		out := &testenv.LockedBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
		return out
	}
	out := run("good", e.token)
	var evs []cloudsageEvent
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if evs = e.events("colmark"); len(evs) >= 6 {
			break
		}
	}
	if len(evs) != 6 {
		t.Fatalf("%d events from the collector, want 6; collector output:\n%s", len(evs), out)
	}
	levels := map[string]int{}
	for _, ev := range evs {
		levels[ev.Level]++
		if ev.Service != "billing" || ev.Fields["log.file.name"] != "app.log" || !strings.Contains(ev.Message, "colmark") {
			t.Errorf("collector event = %+v", ev)
		}
	}
	if levels["error"] != 5 || levels["info"] != 1 {
		t.Errorf("levels = %v, want 5 error and 1 info", levels)
	}

	// A wrong token: the exporter is refused (it logs the 401) and nothing
	// more is stored.
	out = run("wrong", "cs_wrong")
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline) && !strings.Contains(out.String(), "401"); time.Sleep(200 * time.Millisecond) {
	}
	if !strings.Contains(out.String(), "401") {
		t.Errorf("the collector with a wrong token did not report a 401:\n%s", out)
	}
	if n := len(e.events("colmark")); n != 6 {
		t.Errorf("%d events after the wrong-token collector ran, want still 6", n)
	}
}
