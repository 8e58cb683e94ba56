package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// LoadOptions configure `cloudsage bench load`: replicas of `cloudsage
// serve` on one store, driven by shippers, dashboard users and live
// streams at once. The defaults (in the CLI) are the PRD's scale.
type LoadOptions struct {
	// Command returns the server command (without address or data folder,
	// which the load test sets through CLOUDSAGE_ADDR and CLOUDSAGE_DATA_DIR).
	Command func() *exec.Cmd
	// DatabaseURL is the PostgreSQL database in which a fresh schema is
	// made (and dropped at the end); empty: SQLite, one replica.
	DatabaseURL string
	RedisURL    string // shared by the replicas; empty: none
	Replicas    int

	Projects   int           // created directly in the store before the replicas start
	Shippers   int           // projects 1..Shippers receive batches
	ShipEvery  time.Duration // each shipper posts one batch this often
	BatchLines int
	Users      int           // dashboard users, each with a session
	UserEvery  time.Duration // each user loads the project page and its forecast this often
	Streams    int           // live streams held open (one per user while Streams <= Users)
	BigEvents  int           // events in the big project, sent before the run
	FillBatch  int           // lines per request while filling it
	Duration   time.Duration
	Kill       bool // kill -9 the last replica half way through
	Timeout    time.Duration
	Seed       uint64
	// DebugPort, when set, serves replica n's Go profiler on
	// 127.0.0.1:DebugPort+n (serve --debug-addr), to profile it mid-run.
	DebugPort int
	Progress  io.Writer
}

// Latency sums up one kind of request.
type Latency struct {
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	Timeouts int     `json:"timeouts"` // of the errors: no answer within --timeout
	P50MS    float64 `json:"p50_ms"`
	P99MS    float64 `json:"p99_ms"`
	MaxMS    float64 `json:"max_ms"`
	PerSec   float64 `json:"per_second"`
}

// ReplicaReport is one server process.
type ReplicaReport struct {
	URL          string  `json:"url"`
	PID          int     `json:"pid"`
	Killed       bool    `json:"killed"`
	PeakRSSBytes float64 `json:"peak_rss_bytes"` // sampled every second during the run
	EndRSSBytes  float64 `json:"end_rss_bytes"`  // at the end (before the kill for the killed one)
	Requests     int     `json:"requests"`       // answered (any status) by this replica
	// CPUSeconds is the process's user+system CPU during the run (up to
	// the last one-second sample before the kill for the killed one).
	CPUSeconds float64 `json:"cpu_seconds"`
}

// GeneratorReport is what the load generator (this process: vegeta's
// workers, the batches' text, the live streams' readers) cost while the
// run lasted. Every latency is measured by its client goroutines, so their
// wait for a CPU is part of each figure: SchedP99MS says how large.
type GeneratorReport struct {
	CPUSeconds float64 `json:"cpu_seconds"`
	SchedP50MS float64 `json:"sched_p50_ms"` // the generator's goroutines' wait to run (Go runtime)
	SchedP99MS float64 `json:"sched_p99_ms"`
}

// KillReport is what the kill -9 of a replica did.
type KillReport struct {
	Replica   int     `json:"replica"`
	AtSeconds float64 `json:"at_seconds"`
	// Requests sent to the killed replica that ended after the kill
	// without an answer (connection refused or reset): expected, not
	// counted as errors. The client moves to the other replica on the first.
	FailedOver int `json:"failed_over"`
	// StreamsMoved counts live streams reopened on another replica.
	StreamsMoved int `json:"streams_moved"`
}

// Durability is the check that every acknowledged line is stored.
type Durability struct {
	AckedBatches   int      `json:"acked_batches"`
	AckedLines     int      `json:"acked_lines"`
	FoundLines     int      `json:"found_lines"`
	MissingBatches int      `json:"missing_batches"`
	Missing        []string `json:"missing,omitempty"` // a few markers, for a look
	CheckedOn      string   `json:"checked_on"`
	Errors         int      `json:"errors"` // searches that failed three times
	LastError      string   `json:"last_error,omitempty"`
}

// Floor is one pass/fail bar.
type Floor struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Limit string  `json:"limit"`
	Pass  bool    `json:"pass"`
}

// LoadReport is a whole run.
type LoadReport struct {
	Store    string `json:"store"`
	Replicas int    `json:"replicas"`
	Projects int    `json:"projects"`
	Shippers int    `json:"shippers"`
	Users    int    `json:"users"`

	SetupSeconds    float64         `json:"setup_seconds"` // users, sessions, projects, tokens through the store
	BigEvents       int64           `json:"big_events"`    // events counted in the big project after the fill
	FillSeconds     float64         `json:"fill_seconds"`
	FillLinesPerSec float64         `json:"fill_lines_per_second"`
	Seconds         float64         `json:"seconds"` // the run
	IngestLines     int             `json:"ingest_lines"`
	IngestLinesPerS float64         `json:"ingest_lines_per_second"`
	Ingest          Latency         `json:"ingest"`
	Page            Latency         `json:"page"`
	Forecast        Latency         `json:"forecast"`
	ErrorRate       float64         `json:"error_rate"`
	StreamsWanted   int             `json:"streams_wanted"`
	StreamsHeld     int             `json:"streams_held"` // open at the end of the run
	StreamsMinHeld  int             `json:"streams_min_held"`
	StreamReports   int64           `json:"stream_reports"` // `event: report` received over all streams
	StreamErrors    int             `json:"stream_errors"`
	Replica         []ReplicaReport `json:"replica"`
	Generator       GeneratorReport `json:"generator"`
	Kill            *KillReport     `json:"kill,omitempty"`
	Durability      Durability      `json:"durability"`
	Floors          []Floor         `json:"floors"`
	LoadAvgStart    string          `json:"load_average_start"`
	LoadAvgEnd      string          `json:"load_average_end"`
	LastErrors      []string        `json:"last_errors,omitempty"`

	// CPU over the run: the replicas' and the PostgreSQL backends serving
	// them (0 with SQLite, which runs in the replica), and both over the
	// lines ingested — reads included, so it compares runs of one load.
	ReplicaCPUSeconds  float64 `json:"replica_cpu_seconds"`
	PostgresCPUSeconds float64 `json:"postgres_cpu_seconds"`
	CPUMSPerLine       float64 `json:"cpu_ms_per_ingested_line"`
}

// Pass reports whether every floor passed.
func (r LoadReport) Pass() bool {
	for _, f := range r.Floors {
		if !f.Pass {
			return false
		}
	}
	return true
}

// replica is a running server process.
type replica struct {
	cmd  *exec.Cmd
	url  string
	host string
	log  string
	down atomic.Bool // the client saw it refuse connections
	dead chan struct{}
}

// startReplica starts one server on a free loopback port.
func startReplica(o LoadOptions, dir string, n int, dbURL string) (*replica, error) {
	data := filepath.Join(dir, fmt.Sprintf("replica%d", n))
	if err := os.MkdirAll(data, 0o750); err != nil {
		return nil, err
	}
	if dbURL == "" { // SQLite: the one replica uses the store the set-up made
		data = dir
	}
	cmd := o.Command()
	cmd.Env = append(cmd.Environ(), "CLOUDSAGE_ADDR=127.0.0.1:0", "CLOUDSAGE_DATA_DIR="+data, "CLOUDSAGE_DATABASE_URL="+dbURL,
		"CLOUDSAGE_REDIS_URL="+o.RedisURL, "CLOUDSAGE_RATE_LIMIT=100000000", "CLOUDSAGE_SHIP_LINES_PER_SECOND=0",
		"CLOUDSAGE_SHIP_BYTES_PER_SECOND=0", "CLOUDSAGE_LOG_LEVEL=warn", "CLOUDSAGE_DEMO=false", "CLOUDSAGE_DEBUG_ADDR=")
	if o.DebugPort > 0 {
		cmd.Env = append(cmd.Env, fmt.Sprintf("CLOUDSAGE_DEBUG_ADDR=127.0.0.1:%d", o.DebugPort+n))
	}
	r := &replica{log: filepath.Join(dir, fmt.Sprintf("replica%d.log", n)), dead: make(chan struct{})}
	logf, err := os.Create(r.log)
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start replica %d: %w", n, err)
	}
	r.cmd = cmd
	go func() { cmd.Wait(); logf.Close(); close(r.dead) }()
	if r.url, err = serverURL(stdout, 2*time.Minute); err != nil {
		cmd.Process.Kill()
		b, _ := os.ReadFile(r.log)
		return nil, fmt.Errorf("replica %d: %w: %s", n, err, tail(b, 2000))
	}
	u, _ := url.Parse(r.url)
	r.host = u.Host
	return r, nil
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// stop ends a replica with SIGTERM (SIGKILL after 30 s).
func (r *replica) stop() {
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.dead:
	case <-time.After(30 * time.Second):
		r.cmd.Process.Kill()
		<-r.dead
	}
}

// rssBytes reads the resident memory of a live process from /proc (0
// where there is none).
func rssBytes(pid int) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	return float64(statusKB(b, "VmRSS:") * 1024)
}

// router is the client-side round robin: each request goes to the next
// replica the client has not seen refuse a connection.
type router struct {
	reps []*replica
	n    atomic.Uint64
}

func (rt *router) pick() (int, *replica) {
	for range 2 * len(rt.reps) {
		i := int(rt.n.Add(1)-1) % len(rt.reps)
		if !rt.reps[i].down.Load() {
			return i, rt.reps[i]
		}
	}
	return 0, rt.reps[0] // every replica down: let the request fail
}

func (rt *router) byHost(rawURL string) int {
	u, err := url.Parse(rawURL)
	if err != nil {
		return -1
	}
	for i, r := range rt.reps {
		if r.host == u.Host {
			return i
		}
	}
	return -1
}

// tally collects one kind of request's results.
type tally struct {
	mu       sync.Mutex
	m        vegeta.Metrics
	errs     int
	timeouts int
	last     []string
	perRep   []int
	skipped  int // to the killed replica after the kill
}

// loadRun holds a run's shared state.
type loadRun struct {
	o      LoadOptions
	rt     *router
	world  *loadWorld
	killAt atomic.Int64 // unix nanos; 0 before the kill
	killed int          // replica index

	acked    sync.Map // marker -> ackedBatch
	nAcked   atomic.Int64
	ackLines atomic.Int64
}

type ackedBatch struct {
	shipper int
	lines   int
}

// classify says whether a result is a request that failed over from the
// killed replica: it went there and ended, unanswered, after the kill.
func (lr *loadRun) failedOver(res *vegeta.Result, rep int) bool {
	at := lr.killAt.Load()
	return at != 0 && rep == lr.killed && res.Code == 0 && res.End().UnixNano() >= at
}

func (lr *loadRun) consume(kind string, t *tally, results <-chan *vegeta.Result, onOK func(*vegeta.Result)) {
	for res := range results {
		rep := lr.rt.byHost(res.URL)
		t.mu.Lock()
		if rep >= 0 && res.Code != 0 {
			t.perRep[rep]++
		}
		switch {
		case rep >= 0 && lr.failedOver(res, rep):
			lr.rt.reps[rep].down.Store(true) // the client moves on
			t.skipped++
		default:
			t.m.Add(res)
			if res.Code < 200 || res.Code > 299 {
				t.errs++
				if res.Code == 0 && strings.Contains(res.Error, "Client.Timeout") {
					t.timeouts++
				}
				msg := fmt.Sprintf("%s %s: %d %s %.200s", kind, res.URL, res.Code, res.Error, res.Body)
				t.last = append(t.last, msg)
				if len(t.last) > 5 {
					t.last = t.last[1:]
				}
			} else if onOK != nil {
				onOK(res)
			}
		}
		t.mu.Unlock()
	}
}

func (t *tally) latency(seconds float64) Latency {
	t.m.Close()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	l := Latency{Requests: int(t.m.Requests), Errors: t.errs, Timeouts: t.timeouts, P50MS: ms(t.m.Latencies.P50), P99MS: ms(t.m.Latencies.P99), MaxMS: ms(t.m.Latencies.Max)}
	if seconds > 0 {
		l.PerSec = float64(l.Requests) / seconds
	}
	return l
}

// Load runs the scenario and returns its report (an error only when it
// could not run; failed floors are in the report).
func Load(ctx context.Context, o LoadOptions) (LoadReport, error) {
	rep := LoadReport{Store: "postgres", Replicas: o.Replicas, Projects: o.Projects, Shippers: o.Shippers, Users: o.Users,
		StreamsWanted: o.Streams, LoadAvgStart: loadAverages()}
	if o.DatabaseURL == "" {
		rep.Store = "sqlite"
	}
	progress := func(format string, args ...any) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "load: "+format+"\n", args...)
		}
	}
	dir, err := tempDir()
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(dir)
	dbURL := ""
	var pgCPU *backendCPU
	if o.DatabaseURL != "" {
		var drop func()
		if dbURL, pgCPU, drop, err = loadSchema(ctx, o.DatabaseURL); err != nil {
			return rep, err
		}
		defer drop()
	}

	// 1. Users, sessions, projects and tokens, straight into the store.
	t0 := time.Now()
	st, err := openLoadStore(ctx, dbURL, dir)
	if err != nil {
		return rep, err
	}
	world, err := setupWorld(ctx, st, o)
	st.Close()
	if err != nil {
		return rep, fmt.Errorf("set up: %w", err)
	}
	rep.SetupSeconds = time.Since(t0).Seconds()
	progress("%s store: %d users with sessions, %d projects, %d tokens in %.1f s (load average %s)", rep.Store, o.Users, o.Projects, o.Shippers+1, rep.SetupSeconds, rep.LoadAvgStart)

	// 2. The replicas.
	var reps []*replica
	defer func() {
		for _, r := range reps {
			r.cmd.Process.Kill()
		}
	}()
	for i := range o.Replicas {
		r, err := startReplica(o, dir, i, dbURL)
		if err != nil {
			return rep, err
		}
		reps = append(reps, r)
		progress("replica %d: %s (pid %d)", i, r.url, r.cmd.Process.Pid)
		if o.DebugPort > 0 {
			progress("replica %d: profiler on http://127.0.0.1:%d/debug/pprof/", i, o.DebugPort+i)
		}
	}
	lr := &loadRun{o: o, rt: &router{reps: reps}, world: world, killed: len(reps) - 1}

	// 3. The big project, in large batches.
	if err := lr.fill(ctx, &rep); err != nil {
		return rep, err
	}
	progress("big project: %d events in %.1f s (%.0f lines/s)", rep.BigEvents, rep.FillSeconds, rep.FillLinesPerSec)

	// 4. The run: streams first, then the three rate-driven attacks.
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	streams := lr.openStreams(runCtx)
	if !streams.waitOpen(o.Streams, 60*time.Second) {
		progress("only %d of %d live streams open after 60 s; running anyway", streams.open.Load(), o.Streams)
	}
	progress("%d live streams open; running %s: %d shippers x %d lines every %s, %d users reading every %s",
		streams.open.Load(), o.Duration, o.Shippers, o.BatchLines, o.ShipEvery, o.Users, o.UserEvery)

	ingest, page, forecast := lr.newTally(), lr.newTally(), lr.newTally()
	cpu0, cpu := make([]time.Duration, len(reps)), make([]time.Duration, len(reps))
	for i, r := range reps {
		cpu0[i], _ = pidCPU(r.cmd.Process.Pid)
		cpu[i] = cpu0[i]
	}
	if pgCPU != nil {
		pgCPU.start(ctx)
	}
	genCPU0, sched0 := processCPU(), schedLatencies()
	start := time.Now()
	var wg sync.WaitGroup
	attack := func(name string, t *tally, rate vegeta.Rate, tr vegeta.Targeter, workers uint64, onOK func(*vegeta.Result)) {
		a := vegeta.NewAttacker(vegeta.Timeout(o.Timeout), vegeta.Workers(workers), vegeta.MaxWorkers(uint64(max(o.Users, o.Shippers, 64))),
			vegeta.KeepAlive(true), vegeta.Connections(10000), vegeta.MaxBody(64<<10))
		wg.Add(1)
		go func() {
			defer wg.Done()
			results := a.Attack(tr, rate, o.Duration, name)
			go func() { <-runCtx.Done(); a.Stop() }()
			lr.consume(name, t, results, onOK)
		}()
	}
	attack("ingest", ingest, vegeta.Rate{Freq: o.Shippers, Per: o.ShipEvery}, lr.ingestTargeter(), 16, lr.ack)
	userRate := vegeta.Rate{Freq: o.Users, Per: o.UserEvery}
	attack("page", page, userRate, lr.userTargeter("/projects/%d"), 16, nil)
	attack("forecast", forecast, userRate, lr.userTargeter("/api/forecast/%d"), 16, nil)

	// Sample memory and streams every second; kill half way through.
	peak := make([]float64, len(reps))
	endRSS := make([]float64, len(reps))
	var kill *KillReport
	minHeld := -1
	tick := time.NewTicker(time.Second)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for running := true; running; {
		select {
		case <-done:
			running = false
		case <-ctx.Done():
			running = false
		case <-tick.C:
		}
		for i, r := range reps {
			if kill != nil && i == kill.Replica {
				continue
			}
			v := rssBytes(r.cmd.Process.Pid)
			peak[i] = max(peak[i], v)
			endRSS[i] = v
			if c, ok := pidCPU(r.cmd.Process.Pid); ok {
				cpu[i] = c
			}
		}
		el := time.Since(start)
		if held := int(streams.open.Load()); kill == nil && el > 2*time.Second {
			minHeld = minHeldOr(minHeld, held)
		}
		if o.Kill && kill == nil && len(reps) > 1 && el >= o.Duration/2 {
			kill = &KillReport{Replica: lr.killed, AtSeconds: el.Seconds()}
			lr.killAt.Store(time.Now().UnixNano())
			reps[lr.killed].cmd.Process.Signal(syscall.SIGKILL)
			progress("kill -9 replica %d (pid %d) at %.0f s", lr.killed, reps[lr.killed].cmd.Process.Pid, el.Seconds())
		}
		if o.Progress != nil && int(el.Seconds())%10 == 0 && el > time.Second {
			progress("%3.0fs  acked batches %d, streams open %d, reports received %d, load average %s", el.Seconds(), lr.nAcked.Load(),
				streams.open.Load(), streams.reports.Load(), loadAverages())
		}
	}
	tick.Stop()
	rep.Seconds = time.Since(start).Seconds()
	if pgCPU != nil {
		rep.PostgresCPUSeconds = pgCPU.used(ctx).Seconds()
	}
	rep.Generator.CPUSeconds = (processCPU() - genCPU0).Seconds()
	sched1 := schedLatencies()
	rep.Generator.SchedP50MS, rep.Generator.SchedP99MS = schedQuantile(sched0, sched1, 0.5)*1000, schedQuantile(sched0, sched1, 0.99)*1000
	rep.StreamsHeld = int(streams.open.Load())
	rep.StreamsMinHeld = max(minHeld, 0)
	cancel()
	streams.wg.Wait()
	rep.StreamReports = streams.reports.Load()
	rep.StreamErrors = int(streams.errs.Load())
	if ctx.Err() != nil {
		return rep, ctx.Err()
	}

	rep.Ingest, rep.Page, rep.Forecast = ingest.latency(rep.Seconds), page.latency(rep.Seconds), forecast.latency(rep.Seconds)
	rep.IngestLines = int(lr.ackLines.Load())
	rep.IngestLinesPerS = float64(rep.IngestLines) / rep.Seconds
	reqs := rep.Ingest.Requests + rep.Page.Requests + rep.Forecast.Requests
	errs := rep.Ingest.Errors + rep.Page.Errors + rep.Forecast.Errors
	if reqs > 0 {
		rep.ErrorRate = float64(errs) / float64(reqs)
	}
	for _, t := range []*tally{ingest, page, forecast} {
		rep.LastErrors = append(rep.LastErrors, t.last...)
	}
	if kill != nil {
		kill.FailedOver = ingest.skipped + page.skipped + forecast.skipped
		kill.StreamsMoved = int(streams.moved.Load())
		rep.Kill = kill
	}
	for i, r := range reps {
		rr := ReplicaReport{URL: r.url, PID: r.cmd.Process.Pid, Killed: kill != nil && kill.Replica == i, PeakRSSBytes: peak[i], EndRSSBytes: endRSS[i],
			CPUSeconds: (cpu[i] - cpu0[i]).Seconds()}
		for _, t := range []*tally{ingest, page, forecast} {
			rr.Requests += t.perRep[i]
		}
		rep.Replica = append(rep.Replica, rr)
		rep.ReplicaCPUSeconds += rr.CPUSeconds
	}
	if rep.IngestLines > 0 {
		rep.CPUMSPerLine = 1000 * (rep.ReplicaCPUSeconds + rep.PostgresCPUSeconds) / float64(rep.IngestLines)
	}

	// 5. Every acknowledged line, searched for on a surviving replica.
	survivor := reps[0]
	rep.Durability = lr.verify(ctx, survivor)
	progress("durability: %d of %d acknowledged lines found (%d batches) on %s", rep.Durability.FoundLines, rep.Durability.AckedLines,
		rep.Durability.AckedBatches, survivor.url)
	for i, r := range reps {
		if kill == nil || i != kill.Replica {
			r.stop()
		}
	}
	reps = nil
	rep.LoadAvgEnd = loadAverages()
	rep.Floors = floors(rep)
	return rep, nil
}

func minHeldOr(cur, v int) int {
	if cur < 0 || v < cur {
		return v
	}
	return cur
}

// floors are the bars: no errors, every acknowledged line found,
// forecast p99 < 50 ms, project page p99 < 300 ms, every stream held.
func floors(r LoadReport) []Floor {
	d := r.Durability
	return []Floor{
		{Name: "errors", Value: float64(r.Ingest.Errors + r.Page.Errors + r.Forecast.Errors + r.StreamErrors), Limit: "= 0",
			Pass: r.Ingest.Errors+r.Page.Errors+r.Forecast.Errors+r.StreamErrors == 0},
		{Name: "acknowledged lines found", Value: float64(d.FoundLines), Limit: fmt.Sprintf("= %d", d.AckedLines),
			Pass: d.FoundLines == d.AckedLines && d.MissingBatches == 0 && d.AckedBatches > 0},
		{Name: "forecast p99 ms", Value: r.Forecast.P99MS, Limit: "< 50", Pass: r.Forecast.Requests > 0 && r.Forecast.P99MS < 50},
		{Name: "project page p99 ms", Value: r.Page.P99MS, Limit: "< 300", Pass: r.Page.Requests > 0 && r.Page.P99MS < 300},
		{Name: "live streams held at the end", Value: float64(r.StreamsHeld), Limit: fmt.Sprintf("= %d", r.StreamsWanted),
			Pass: r.StreamsHeld == r.StreamsWanted},
	}
}

func (lr *loadRun) newTally() *tally { return &tally{perRep: make([]int, len(lr.rt.reps))} }

// ingestTargeter hands out shipper batches round robin over shippers and
// replicas. The batch's marker rides in the target URL's fragment, which
// is never sent to the server but comes back in the result.
func (lr *loadRun) ingestTargeter() vegeta.Targeter {
	var seq atomic.Int64
	id := runID()
	return func(t *vegeta.Target) error {
		n := seq.Add(1) - 1
		shipper := int(n % int64(lr.o.Shippers))
		marker := fmt.Sprintf("lm%sb%dx", id, n)
		rng := rand.New(rand.NewPCG(lr.o.Seed, uint64(n)))
		now := time.Now()
		_, r := lr.rt.pick()
		t.Method = "POST"
		t.URL = r.url + "/api/ingest#" + strconv.Itoa(shipper) + ":" + strconv.Itoa(lr.o.BatchLines) + ":" + marker
		t.Body = loadBatch(rng, lr.o.BatchLines, now.Add(-time.Second), now, marker)
		t.Header = http.Header{"Authorization": {"Bearer " + lr.world.tokens[shipper]}, "Content-Type": {"text/plain"}}
		return nil
	}
}

// ack records an acknowledged batch.
func (lr *loadRun) ack(res *vegeta.Result) {
	_, frag, _ := strings.Cut(res.URL, "#")
	parts := strings.SplitN(frag, ":", 3)
	if len(parts) != 3 {
		return
	}
	shipper, _ := strconv.Atoi(parts[0])
	lines, _ := strconv.Atoi(parts[1])
	lr.acked.Store(parts[2], ackedBatch{shipper: shipper, lines: lines})
	lr.nAcked.Add(1)
	lr.ackLines.Add(int64(lines))
}

// userTargeter makes the dashboard users' reads: user n mod Users, of
// their own project, or of the big project one time in ten.
func (lr *loadRun) userTargeter(pathf string) vegeta.Targeter {
	var seq atomic.Int64
	return func(t *vegeta.Target) error {
		n := seq.Add(1) - 1
		u := int(n % int64(lr.o.Users))
		p := lr.world.home(u)
		if (n/int64(lr.o.Users))%10 == int64(u%10) {
			p = lr.world.projects[0]
		}
		_, r := lr.rt.pick()
		t.Method = "GET"
		t.URL = r.url + fmt.Sprintf(pathf, p)
		t.Header = http.Header{"Cookie": {"cloudsage_session=" + lr.world.cookies[u]}}
		return nil
	}
}

// fill sends the big project's events in FillBatch-line requests, spread
// over the last seven days, two requests in flight.
func (lr *loadRun) fill(ctx context.Context, rep *LoadReport) error {
	o := lr.o
	if o.BigEvents <= 0 {
		return nil
	}
	batches := (o.BigEvents + o.FillBatch - 1) / o.FillBatch
	end := time.Now().Add(-time.Minute)
	begin := end.Add(-7 * 24 * time.Hour)
	span := end.Sub(begin) / time.Duration(batches)
	cl := &http.Client{Timeout: 10 * time.Minute}
	t0 := time.Now()
	r := lr.rt.reps[0]
	err := parallel(ctx, batches, 2, func(i int) error {
		n := min(o.FillBatch, o.BigEvents-i*o.FillBatch)
		body := loadBatch(rand.New(rand.NewPCG(o.Seed, 1<<40+uint64(i))), n, begin.Add(time.Duration(i)*span), begin.Add(time.Duration(i+1)*span), "")
		req, _ := http.NewRequestWithContext(ctx, "POST", r.url+"/api/ingest", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+lr.world.bigToken)
		req.Header.Set("Content-Type", "text/plain")
		res, err := cl.Do(req)
		if err != nil {
			return fmt.Errorf("fill batch %d: %w", i, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			return fmt.Errorf("fill batch %d: %d %.300s", i, res.StatusCode, b)
		}
		return nil
	})
	if err != nil {
		return err
	}
	rep.FillSeconds = time.Since(t0).Seconds()
	var p struct{ Events int64 }
	if err := getJSON(ctx, cl, r.url+fmt.Sprintf("/api/projects/%d", lr.world.projects[0]), lr.world.bigToken, &p); err != nil {
		return err
	}
	rep.BigEvents = p.Events
	rep.FillLinesPerSec = float64(o.BigEvents) / rep.FillSeconds
	return nil
}

func getJSON(ctx context.Context, cl *http.Client, u, token string, v any) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := cl.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		return fmt.Errorf("GET %s: %d %.300s", u, res.StatusCode, b)
	}
	return json.Unmarshal(b, v)
}

// streamSet holds the live streams.
type streamSet struct {
	wg      sync.WaitGroup
	open    atomic.Int64
	reports atomic.Int64
	errs    atomic.Int64
	moved   atomic.Int64
}

func (s *streamSet) waitOpen(n int, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if int(s.open.Load()) >= n {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

// openStreams opens o.Streams long-lived GETs of /api/projects/:id/stream,
// one per user (cycling when there are more streams than users), each on
// the next replica; a stream that ends is reopened on the next live
// replica. They are not rate-driven: they are held and counted.
func (lr *loadRun) openStreams(ctx context.Context) *streamSet {
	s := &streamSet{}
	tr := &http.Transport{MaxIdleConnsPerHost: -1, DisableCompression: true}
	cl := &http.Client{Transport: tr}
	for i := range lr.o.Streams {
		u := i % lr.o.Users
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			time.Sleep(time.Duration(i%100) * 5 * time.Millisecond) // not all in the same millisecond
			for ctx.Err() == nil {
				ri, r := lr.rt.pick()
				req, _ := http.NewRequestWithContext(ctx, "GET", r.url+fmt.Sprintf("/api/projects/%d/stream", lr.world.home(u)), nil)
				req.Header.Set("Cookie", "cloudsage_session="+lr.world.cookies[u])
				req.Header.Set("Accept", "text/event-stream")
				res, err := cl.Do(req)
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					if lr.killAt.Load() != 0 && ri == lr.killed {
						r.down.Store(true) // refused by the killed replica: move on
						s.moved.Add(1)
						continue
					}
					s.errs.Add(1)
					sleep(ctx, time.Second)
					continue
				}
				if res.StatusCode != 200 {
					res.Body.Close()
					s.errs.Add(1)
					sleep(ctx, time.Second)
					continue
				}
				s.open.Add(1)
				sc := bufio.NewScanner(res.Body)
				for sc.Scan() {
					if sc.Text() == "event: report" {
						s.reports.Add(1)
					}
				}
				s.open.Add(-1)
				res.Body.Close()
				if ctx.Err() != nil {
					return
				}
				if lr.killAt.Load() != 0 && ri == lr.killed {
					s.moved.Add(1) // the killed replica dropped it: reopen elsewhere
					continue
				}
				s.errs.Add(1) // a live replica ended a stream mid-run
			}
		}()
	}
	return s
}

// verify searches the surviving replica for each acknowledged batch's
// marker and counts the lines found.
func (lr *loadRun) verify(ctx context.Context, r *replica) Durability {
	d := Durability{CheckedOn: r.url}
	type job struct {
		marker string
		b      ackedBatch
	}
	var jobs []job
	lr.acked.Range(func(k, v any) bool {
		jobs = append(jobs, job{k.(string), v.(ackedBatch)})
		return true
	})
	slices.SortFunc(jobs, func(a, b job) int { return strings.Compare(a.marker, b.marker) })
	d.AckedBatches = len(jobs)
	found := make([]int, len(jobs))
	cl := &http.Client{Timeout: 2 * time.Minute}
	var mu sync.Mutex
	parallel(ctx, len(jobs), 8, func(i int) error {
		j := jobs[i]
		u := fmt.Sprintf("%s/api/projects/%d/logs?q=%s&limit=%d", r.url, lr.world.projects[1+j.b.shipper], url.QueryEscape(j.marker), j.b.lines+1)
		var page struct {
			Events []struct {
				Message string `json:"message"`
			} `json:"events"`
		}
		for attempt := 0; ; attempt++ {
			err := getJSON(ctx, cl, u, lr.world.tokens[j.b.shipper], &page)
			if err == nil || attempt == 2 {
				if err != nil {
					mu.Lock()
					d.Errors++
					d.LastError = err.Error()
					mu.Unlock()
				}
				break
			}
			sleep(ctx, time.Second)
		}
		for _, e := range page.Events {
			if strings.Contains(e.Message, j.marker) {
				found[i]++
			}
		}
		return nil
	})
	for i, j := range jobs {
		d.AckedLines += j.b.lines
		d.FoundLines += min(found[i], j.b.lines)
		if found[i] < j.b.lines {
			d.MissingBatches++
			if len(d.Missing) < 5 {
				d.Missing = append(d.Missing, fmt.Sprintf("%s: %d of %d lines", j.marker, found[i], j.b.lines))
			}
		}
	}
	return d
}
