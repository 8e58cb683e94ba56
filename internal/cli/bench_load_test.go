package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/bench"
	"github.com/cloudsage/cloudsage/internal/testenv"
)

// TestBenchLoad runs `cloudsage bench load` at a tiny scale (20 projects,
// two replicas of the test binary on a fresh PostgreSQL schema and the
// machine's Redis, 4 s with a kill -9 half way): every kind of request is
// made without an error, the streams are held, the killed replica's
// unanswered requests are counted apart, and every acknowledged line is
// found on the survivor. Latency floors are the benchmark's business, not
// this test's: it does not look at them.
func TestBenchLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two server processes")
	}
	pg := testenv.PostgresURL(t)
	redis := os.Getenv("CLOUDSAGE_REDIS_URL")
	if redis == "" {
		redis = "redis://127.0.0.1:6379/0"
	}
	if u, err := url.Parse(redis); err != nil {
		t.Fatalf("CLOUDSAGE_REDIS_URL: %v", err)
	} else if c, err := net.DialTimeout("tcp", u.Host, 2*time.Second); err != nil {
		testenv.Unavailable(t, "Redis not reachable at "+u.Host+"; skipping")
	} else {
		c.Close()
	}
	soakCommand = func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestServeHelperProcess$")
		cmd.Env = append(os.Environ(), "CLOUDSAGE_SERVE_HELPER=1")
		return cmd
	}
	t.Cleanup(func() { soakCommand = nil })
	var out, errb bytes.Buffer
	code := Run(context.Background(), []string{"bench", "load", "--json", "--database-url", pg, "--redis-url", redis,
		"--projects", "20", "--shippers", "6", "--users", "5", "--big-events", "5000", "--fill-batch", "1000",
		"--duration", "4s", "--ship-every", "500ms", "--batch-lines", "50", "--user-every", "500ms"}, Stdio{Out: &out, Err: &errb})
	var rep bench.LoadReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("bench load: exit %d, report: %v\n%s\n%s", code, err, out.String(), errb.String())
	}
	t.Logf("exit %d (latency floors may fail on a loaded machine)\n%s", code, errb.String())
	if rep.Store != "postgres" || rep.Replicas != 2 || rep.Projects != 20 {
		t.Errorf("store %s, %d replicas, %d projects", rep.Store, rep.Replicas, rep.Projects)
	}
	if rep.BigEvents != 5000 {
		t.Errorf("big project holds %d events, want 5000", rep.BigEvents)
	}
	for name, l := range map[string]bench.Latency{"ingest": rep.Ingest, "page": rep.Page, "forecast": rep.Forecast} {
		if l.Requests == 0 || l.Errors != 0 {
			t.Errorf("%s: %d requests, %d errors (%v)", name, l.Requests, l.Errors, rep.LastErrors)
		}
	}
	if rep.StreamsWanted != 5 || rep.StreamsHeld != 5 || rep.StreamErrors != 0 {
		t.Errorf("streams: %d wanted, %d held at the end, %d errors", rep.StreamsWanted, rep.StreamsHeld, rep.StreamErrors)
	}
	if rep.Kill == nil || !rep.Replica[1].Killed || rep.Replica[0].Killed {
		t.Errorf("no kill of replica 1 reported: %+v %+v", rep.Kill, rep.Replica)
	}
	for i, r := range rep.Replica {
		if r.PeakRSSBytes <= 0 || r.Requests == 0 {
			t.Errorf("replica %d: peak RSS %.0f, %d answers", i, r.PeakRSSBytes, r.Requests)
		}
	}
	// Serving and storing batches costs CPU in the replicas and in the
	// PostgreSQL backends: a meter reading 0 measures nothing.
	if runtime.GOOS == "linux" && (rep.Replica[0].CPUSeconds <= 0 || rep.PostgresCPUSeconds <= 0 || rep.CPUMSPerLine <= 0 ||
		rep.ReplicaCPUSeconds < rep.Replica[0].CPUSeconds) {
		t.Errorf("CPU: replicas %.2f s (%+v), PostgreSQL %.2f s, %.4f ms per line", rep.ReplicaCPUSeconds, rep.Replica, rep.PostgresCPUSeconds, rep.CPUMSPerLine)
	}
	d := rep.Durability
	if d.AckedBatches == 0 || d.AckedLines != d.AckedBatches*50 || d.FoundLines != d.AckedLines || d.MissingBatches != 0 || d.Errors != 0 {
		t.Errorf("durability: %+v", d)
	}
}
