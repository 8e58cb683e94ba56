package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/cloudsage/cloudsage/internal/bench"
)

// TestBenchSoak runs a few seconds of soak against the test binary as
// the server: every kind of request is made and answered, and each sample
// has the server's gauges.
func TestBenchSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	soakCommand = func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestServeHelperProcess$")
		cmd.Env = append(os.Environ(), "CLOUDSAGE_SERVE_HELPER=1")
		return cmd
	}
	t.Cleanup(func() { soakCommand = nil })
	var out, errb bytes.Buffer
	code := Run(context.Background(), []string{"bench", "soak", "--json", "--duration", "6s", "--interval", "1s", "--batch", "300",
		"--ingest-every", "200ms", "--streams", "2"}, Stdio{Out: &out, Err: &errb})
	if code != 0 {
		t.Fatalf("bench soak: exit %d\n%s", code, errb.String())
	}
	var rep bench.SoakReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, out.String())
	}
	if len(rep.Samples) < 5 || rep.Errors != 0 {
		t.Fatalf("%d samples, %d errors\n%s", len(rep.Samples), rep.Errors, errb.String())
	}
	seen := map[string]bool{}
	for _, s := range rep.Samples {
		if s.RSSBytes <= 0 || s.Goroutines <= 0 || s.OpenFiles <= 0 || s.HeapBytes <= 0 {
			t.Errorf("sample without gauges: %+v", s)
		}
		for k := range s.P99MS {
			seen[k] = true
		}
	}
	if last := rep.Samples[len(rep.Samples)-1]; last.Events < 300 {
		t.Errorf("%d events stored after the soak", last.Events)
	}
	for _, k := range []string{"ingest", "search", "page", "sse"} {
		if !seen[k] {
			t.Errorf("no %s request measured", k)
		}
	}
	if rep.ShutdownSeconds < 0 || rep.ShutdownSeconds > 5 {
		t.Errorf("the server took %.2f s to exit after SIGTERM", rep.ShutdownSeconds)
	}
	if !strings.Contains(errb.String(), "p99 ms") || rep.Growth == nil {
		t.Errorf("progress %q, growth %v", errb.String(), rep.Growth)
	}
}
