package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cloudsage/cloudsage/internal/bench"
)

const loadUsage = `[--store postgres|sqlite] [--duration 2m] [--projects 10000] [--users 1000] [--json] ...

Load test at the PRD's scale. Creates --projects projects (with --users
users, their sessions and the shippers' tokens) directly in a fresh
PostgreSQL schema, starts --replicas "cloudsage serve" processes (this
binary, each on its own loopback port) on that schema and Redis, fills one
project with --big-events events in --fill-batch-line requests, then for
--duration drives, at once and round robin over the replicas (the client
picks): --shippers projects each sent a --batch-lines batch every
--ship-every (POST /api/ingest, vegeta), --users dashboard users each
reading the project page (GET /projects/:id) and GET /api/forecast/:id
every --user-every (vegeta; one read in ten of the big project), and
--streams live streams held open on GET /api/projects/:id/stream.
Half way through it kills the last replica with SIGKILL (--kill): requests
to it that go unanswered after the kill are counted apart, and the client
moves to the other. At the end every acknowledged batch is searched for on
the surviving replica by its marker.

Prints per store ingest lines/s, p50/p99 of the page and the forecast,
errors, streams held, memory and CPU-seconds per replica, the PostgreSQL
backends' CPU-seconds, CPU per ingested line, and the floors (no errors,
every acknowledged line found, forecast p99 < 50 ms, page p99 < 300 ms,
every stream held) as pass/fail; exits 1 when a floor fails.
--store sqlite runs the same with one replica on SQLite (no kill).

flags:`

// runLoad implements "cloudsage bench load".
func runLoad(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("bench load", loadUsage, stdio)
	o := bench.LoadOptions{Progress: stdio.Out}
	pg := os.Getenv("CLOUDSAGE_BENCH_POSTGRES")
	if pg == "" {
		pg = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	redis := os.Getenv("CLOUDSAGE_REDIS_URL")
	if redis == "" {
		redis = "redis://127.0.0.1:6379/0"
	}
	storeName := fs.String("store", "postgres", "postgres (replicas on PostgreSQL and Redis) or sqlite (one replica, SQLite in a temp folder)")
	fs.StringVar(&o.DatabaseURL, "database-url", pg, "PostgreSQL `URL` in which a fresh schema is made and dropped ($CLOUDSAGE_BENCH_POSTGRES)")
	fs.StringVar(&o.RedisURL, "redis-url", redis, "Redis `URL` the replicas share ($CLOUDSAGE_REDIS_URL; keys are named after a secret of the fresh schema, so other users of this Redis are not disturbed)")
	fs.IntVar(&o.Replicas, "replicas", 2, "serve processes (PostgreSQL)")
	fs.IntVar(&o.Projects, "projects", 10_000, "projects created")
	fs.IntVar(&o.Shippers, "shippers", 1_000, "projects receiving batches")
	fs.DurationVar(&o.ShipEvery, "ship-every", 10*time.Second, "each shipper sends one batch this often")
	fs.IntVar(&o.BatchLines, "batch-lines", 100, "lines per shipper batch")
	fs.IntVar(&o.Users, "users", 1_000, "dashboard users (each a session)")
	fs.DurationVar(&o.UserEvery, "user-every", 30*time.Second, "each user loads the project page and its forecast this often")
	fs.IntVar(&o.Streams, "streams", -1, "live streams held open (default: one per user)")
	fs.IntVar(&o.BigEvents, "big-events", 1_000_000, "events in the big project, sent before the run")
	fs.IntVar(&o.FillBatch, "fill-batch", 10_000, "lines per request while filling the big project")
	fs.DurationVar(&o.Duration, "duration", 2*time.Minute, "how long the load runs")
	fs.BoolVar(&o.Kill, "kill", true, "kill -9 the last replica half way through")
	fs.DurationVar(&o.Timeout, "timeout", 30*time.Second, "per request")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed of the generated lines")
	fs.IntVar(&o.DebugPort, "debug-port", 0, "serve replica n's Go profiler on 127.0.0.1:(this port + n) for go tool pprof; 0: off")
	asJSON := fs.Bool("json", false, "print the report as JSON (progress goes to stderr)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch *storeName {
	case "postgres":
	case "sqlite":
		o.DatabaseURL, o.Replicas, o.Kill = "", 1, false
	default:
		return usageError{"--store is postgres or sqlite"}
	}
	if o.Streams < 0 {
		o.Streams = o.Users
	}
	if o.Projects < 2 || o.Shippers < 1 || o.Users < 1 || o.Shippers >= o.Projects || o.Replicas < 1 || o.BatchLines < 1 || o.FillBatch < 1 ||
		o.BigEvents < 0 || o.Duration <= 0 || o.ShipEvery <= 0 || o.UserEvery <= 0 || o.Timeout <= 0 {
		return usageError{"--projects must be at least 2 and above --shippers; --shippers, --users, --replicas, --batch-lines, --fill-batch, --duration, --ship-every, --user-every and --timeout positive"}
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	o.Command = func() *exec.Cmd { return exec.Command(exe, "serve") }
	if soakCommand != nil { // tests run the test binary as the server
		o.Command = soakCommand
	}
	if *asJSON {
		o.Progress = stdio.Err
	}
	rep, err := bench.Load(ctx, o)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printLoad(stdio.Out, rep)
	}
	if !rep.Pass() {
		var failed []string
		for _, f := range rep.Floors {
			if !f.Pass {
				failed = append(failed, f.Name)
			}
		}
		return fmt.Errorf("floors not met: %s", strings.Join(failed, ", "))
	}
	return nil
}

// printLoad writes the report as tables.
func printLoad(out io.Writer, r bench.LoadReport) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(out, "\n%s, %d replica(s): %d projects (set up in %.0f s), %d shippers, %d users, big project %d events (filled at %.0f lines/s), %.0f s run, load average %s -> %s\n",
		r.Store, r.Replicas, r.Projects, r.SetupSeconds, r.Shippers, r.Users, r.BigEvents, r.FillLinesPerSec, r.Seconds, r.LoadAvgStart, r.LoadAvgEnd)
	fmt.Fprintln(tw, "store\tingest lines/s\tpage p50 ms\tpage p99 ms\tforecast p50 ms\tforecast p99 ms\terror rate\tstreams held\t")
	fmt.Fprintf(tw, "%s\t%.0f\t%.1f\t%.1f\t%.1f\t%.1f\t%.4f\t%d/%d\t\n", r.Store, r.IngestLinesPerS, r.Page.P50MS, r.Page.P99MS,
		r.Forecast.P50MS, r.Forecast.P99MS, r.ErrorRate, r.StreamsHeld, r.StreamsWanted)
	tw.Flush()
	fmt.Fprintf(out, "requests (errors, of which timeouts): ingest %d (%d, %d; p99 %.0f ms), page %d (%d, %d), forecast %d (%d, %d); streams min held %d, %d reports received, %d stream errors\n",
		r.Ingest.Requests, r.Ingest.Errors, r.Ingest.Timeouts, r.Ingest.P99MS, r.Page.Requests, r.Page.Errors, r.Page.Timeouts,
		r.Forecast.Requests, r.Forecast.Errors, r.Forecast.Timeouts,
		r.StreamsMinHeld, r.StreamReports, r.StreamErrors)
	for i, rr := range r.Replica {
		k := ""
		if rr.Killed {
			k = " (killed; RSS before the kill)"
		}
		fmt.Fprintf(out, "replica %d: peak RSS %.0f MiB, end RSS %.0f MiB, %d answers, %.1f CPU-s%s\n", i, rr.PeakRSSBytes/(1<<20), rr.EndRSSBytes/(1<<20), rr.Requests, rr.CPUSeconds, k)
	}
	fmt.Fprintf(out, "CPU over the run: replicas %.1f s, PostgreSQL backends %.1f s; %.3f CPU-ms per ingested line (reads included)\n",
		r.ReplicaCPUSeconds, r.PostgresCPUSeconds, r.CPUMSPerLine)
	g := r.Generator
	fmt.Fprintf(out, "load generator (this process): %.1f CPU-s; its goroutines waited p50 %.2f ms, p99 %.2f ms to run (part of every latency above)\n",
		g.CPUSeconds, g.SchedP50MS, g.SchedP99MS)
	if k := r.Kill; k != nil {
		fmt.Fprintf(out, "kill -9 of replica %d at %.0f s: %d requests to it unanswered after the kill (failed over, not errors), %d streams reopened elsewhere\n",
			k.Replica, k.AtSeconds, k.FailedOver, k.StreamsMoved)
	}
	d := r.Durability
	fmt.Fprintf(out, "durability: %d of %d acknowledged lines found (%d batches, %d missing) on %s\n", d.FoundLines, d.AckedLines, d.AckedBatches, d.MissingBatches, d.CheckedOn)
	for _, e := range r.LastErrors {
		fmt.Fprintf(out, "  error: %s\n", e)
	}
	for _, f := range r.Floors {
		res := "FAIL"
		if f.Pass {
			res = "pass"
		}
		fmt.Fprintf(out, "%s  %s: %.1f (want %s)\n", res, f.Name, f.Value, f.Limit)
	}
}
