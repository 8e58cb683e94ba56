package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"time"

	"github.com/cloudsage/cloudsage/internal/bench"
)

const soakUsage = `[--duration 30m] [--interval 1m] [--database-url postgres://...] [--json]

Starts one "cloudsage serve" (this binary; SQLite in a temp folder unless
--database-url names PostgreSQL) and drives it for --duration with a mixed
load: a batch of generated lines posted every --ingest-every with an ingest
token, two clients paging through searches with a read token, a logged-in
user reading dashboard pages, and --streams live-update (SSE) connections
opened and closed every few seconds. Every --interval it prints the
server's resident memory, heap in use, goroutines and open files (from its
/metrics), the events stored and the p99 of each kind of request; at the
end, how much each grew (last quarter over first quarter, medians).

flags:`

// runSoak implements "cloudsage bench soak".
func runSoak(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("bench soak", soakUsage, stdio)
	o := bench.SoakOptions{Progress: stdio.Out}
	fs.DurationVar(&o.Duration, "duration", 30*time.Minute, "how long to run")
	fs.DurationVar(&o.Interval, "interval", time.Minute, "how often to sample the server")
	fs.DurationVar(&o.IngestEvery, "ingest-every", time.Second, "one ingest batch this often")
	fs.IntVar(&o.BatchLines, "batch", 2000, "lines per ingest batch")
	fs.IntVar(&o.Streams, "streams", 4, "live-update connections held at once")
	fs.StringVar(&o.DatabaseURL, "database-url", "", "PostgreSQL URL (a database the soak may fill); default SQLite in a temp folder")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed of the generated lines")
	asJSON := fs.Bool("json", false, "print the report as JSON at the end")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.Duration <= 0 || o.Interval <= 0 || o.IngestEvery <= 0 || o.BatchLines <= 0 || o.Streams < 0 {
		return usageError{"--duration, --interval, --ingest-every and --batch must be positive"}
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	o.Command = func() *exec.Cmd { return exec.Command(exe, "serve") }
	if soakCommand != nil {
		o.Command = soakCommand
	}
	if *asJSON {
		o.Progress = stdio.Err
	}
	rep, err := bench.Soak(ctx, o)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	fmt.Fprintf(stdio.Out, "soak done: %.0f s, %d samples, %d failed requests; exit %.2f s after SIGTERM\ngrowth (last quarter / first quarter):",
		rep.Seconds, len(rep.Samples), rep.Errors, rep.ShutdownSeconds)
	keys := make([]string, 0, len(rep.Growth))
	for k := range rep.Growth {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(stdio.Out, " %s %.2fx", k, rep.Growth[k])
	}
	fmt.Fprintln(stdio.Out)
	return nil
}

// soakCommand replaces the server command in tests (which run the test
// binary as the server).
var soakCommand func() *exec.Cmd
