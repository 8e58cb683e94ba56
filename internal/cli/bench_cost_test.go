package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/bench"
)

// serveHelper makes the bench start the test binary as its CloudSage
// server (see TestServeHelperProcess).
func serveHelper(t *testing.T) {
	soakCommand = func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestServeHelperProcess$")
		cmd.Env = append(os.Environ(), "CLOUDSAGE_SERVE_HELPER=1")
		return cmd
	}
	t.Cleanup(func() { soakCommand = nil })
}

// TestBenchPeerNotMeasured runs the cost comparison without the peer: the
// CloudSage server is measured and the report says plainly that
// VictoriaLogs was not.
func TestBenchPeerNotMeasured(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	serveHelper(t)
	prev := bench.MinSettle
	bench.MinSettle = time.Second
	t.Cleanup(func() { bench.MinSettle = prev })
	var out, errb bytes.Buffer
	code := Run(context.Background(), []string{"bench", "--peer", "victoria-logs=" + t.TempDir() + "/victoria-logs", "--stores", "sqlite",
		"--lines", "3000"}, Stdio{Out: &out, Err: &errb})
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	s := out.String()
	for _, want := range []string{"VictoriaLogs: not measured: no victoria-logs binary at", "lines per server CPU-second", "CloudSage sqlite",
		"first 100 hits, level:error+word, p50 ms", "peak server RSS (MB)"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "ratio") && strings.Contains(s, "×") {
		t.Errorf("a ratio without a measured peer:\n%s", s)
	}
	if code := Run(context.Background(), []string{"bench", "--peer", "loki"}, Stdio{Out: &out, Err: &errb}); code == 0 {
		t.Error("--peer loki: exit 0")
	}
}

// TestBenchPeerVictoriaLogs measures VictoriaLogs beside CloudSage when
// its binary is in the tools cache or on PATH (not a CI requirement:
// skipped otherwise).
func TestBenchPeerVictoriaLogs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	bin, why := bench.FindVictoriaLogs("")
	if bin == "" {
		t.Skip(why)
	}
	serveHelper(t)
	var out, errb bytes.Buffer
	code := Run(context.Background(), []string{"bench", "--peer", "victoria-logs=" + bin, "--stores", "sqlite", "--lines", "20000", "--json"}, Stdio{Out: &out, Err: &errb})
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	var rep benchReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || rep.Cost == nil {
		t.Fatalf("report: %v\n%s", err, out.String())
	}
	if rep.Cost.Missing != "" || len(rep.Cost.Sides) != 2 {
		t.Fatalf("sides %+v, missing %q", rep.Cost.Sides, rep.Cost.Missing)
	}
	for _, s := range rep.Cost.Sides {
		if s.LinesPerCPUSec <= 0 || s.DiskBytes <= 0 || s.PeakRSSBytes <= 0 {
			t.Errorf("%s: %.0f lines per CPU-second, %d bytes on disk, %d bytes RSS", s.Name, s.LinesPerCPUSec, s.DiskBytes, s.PeakRSSBytes)
		}
		for _, k := range bench.SearchKinds {
			if s.SearchP50MS[k] <= 0 || s.Hits[k] <= 0 {
				t.Errorf("%s: %s search p50 %.1f ms, %d hits", s.Name, k, s.SearchP50MS[k], s.Hits[k])
			}
		}
	}
	// The same words find the same lines (within CloudSage's case
	// folding: it may find a few more).
	vl, cs := rep.Cost.Sides[0], rep.Cost.Sides[1]
	for _, k := range bench.SearchKinds {
		if cs.Hits[k] < vl.Hits[k] {
			t.Errorf("%s: CloudSage shows %d hits, VictoriaLogs %d", k, cs.Hits[k], vl.Hits[k])
		}
	}
}
