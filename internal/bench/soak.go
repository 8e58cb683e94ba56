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
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// SoakOptions configure a soak run: one `cloudsage serve` process driven
// for Duration by a mixed load, sampled every Interval.
type SoakOptions struct {
	// Command returns the server command to start, without its address and
	// data folder, which the soak sets through CLOUDSAGE_ADDR and
	// CLOUDSAGE_DATA_DIR (e.g. exec.Command(os.Args[0], "serve")).
	Command     func() *exec.Cmd
	DatabaseURL string // PostgreSQL instead of SQLite in a temp folder
	Duration    time.Duration
	Interval    time.Duration
	IngestEvery time.Duration // one batch of BatchLines each
	BatchLines  int
	Streams     int    // live (SSE) connections held, each reconnecting every few seconds
	Seed        uint64 // of the generated lines
	Progress    io.Writer
}

// SoakSample is what the server looked like over one interval.
type SoakSample struct {
	AtSeconds  float64            `json:"at_seconds"`
	RSSBytes   float64            `json:"rss_bytes"`
	HeapBytes  float64            `json:"heap_inuse_bytes"`
	Goroutines float64            `json:"goroutines"`
	OpenFiles  float64            `json:"open_fds"`
	Events     int64              `json:"events"`
	Requests   int                `json:"requests"`
	Errors     int                `json:"errors"`
	P99MS      map[string]float64 `json:"p99_ms"` // per kind of request, over the interval
}

// SoakReport is a whole run.
type SoakReport struct {
	Store   string       `json:"store"`
	Seconds float64      `json:"seconds"`
	Samples []SoakSample `json:"samples"`
	// Growth compares the last quarter of the run with the first (medians;
	// the first sample is left out as warm-up): last/first.
	Growth map[string]float64 `json:"growth"`
	Errors int                `json:"errors"`
	// ShutdownSeconds is how long the server took to exit after SIGTERM at
	// the end, with no request in flight (-1: not within 30 s).
	ShutdownSeconds float64 `json:"shutdown_seconds"`
}

// soakKinds are the kinds of request a soak makes, in report order.
var soakKinds = []string{"ingest", "search", "page", "sse"}

type latencies struct {
	mu   sync.Mutex
	by   map[string][]time.Duration
	reqs int
	errs int
	last string // the last error
}

func (l *latencies) add(kind string, d time.Duration, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs++
	if err != nil {
		l.errs++
		l.last = kind + ": " + err.Error()
		return
	}
	l.by[kind] = append(l.by[kind], d)
}

// take returns the interval's p99 per kind, requests and errors, and resets.
func (l *latencies) take() (map[string]float64, int, int, string) {
	l.mu.Lock()
	by, reqs, errs, last := l.by, l.reqs, l.errs, l.last
	l.by, l.reqs, l.errs, l.last = map[string][]time.Duration{}, 0, 0, ""
	l.mu.Unlock()
	p99 := map[string]float64{}
	for k, ds := range by {
		slices.Sort(ds)
		p99[k] = float64(ds[min(len(ds)-1, len(ds)*99/100)].Microseconds()) / 1000
	}
	return p99, reqs, errs, last
}

var servingRe = regexp.MustCompile(`serving on (http://\S+)`)

// Soak runs the server under a mixed load: batches of generated lines
// posted with an ingest token, searches paged through with a read token,
// dashboard pages read with a login, and live-update streams opened and
// closed. Every interval it reads the server's /metrics (resident memory,
// heap in use, goroutines, open files) and the p99 of each kind of request.
func Soak(ctx context.Context, o SoakOptions) (SoakReport, error) {
	rep := SoakReport{Store: "sqlite"}
	dir, err := os.MkdirTemp("", "cloudsage-soak-")
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(dir)
	cmd := o.Command()
	cmd.Env = append(cmd.Environ(), "CLOUDSAGE_ADDR=127.0.0.1:0", "CLOUDSAGE_DATA_DIR="+dir, "CLOUDSAGE_RATE_LIMIT=1000000",
		"CLOUDSAGE_LOG_LEVEL=warn", "CLOUDSAGE_DATABASE_URL="+o.DatabaseURL, "CLOUDSAGE_DEMO=false")
	if o.DatabaseURL != "" {
		rep.Store = "postgres"
	}
	logf, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		return rep, err
	}
	defer logf.Close()
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return rep, err
	}
	if err := cmd.Start(); err != nil {
		return rep, fmt.Errorf("start server: %w", err)
	}
	defer cmd.Process.Kill() // if the run ends early
	base, err := serverURL(stdout, 60*time.Second)
	if err != nil {
		b, _ := os.ReadFile(logf.Name())
		return rep, fmt.Errorf("%w: %s", err, b)
	}

	jar, _ := cookiejar.New(nil)
	cl := &http.Client{Jar: jar, Timeout: time.Minute}
	s := &soaker{base: base, cl: cl, lat: &latencies{by: map[string][]time.Duration{}}}
	if err := s.setup(); err != nil {
		return rep, err
	}
	corpus := Generate(max(o.BatchLines*20, 10000), o.Seed)
	common, rare := searchWords(corpus.Content)
	words := []string{common, rare, "error", "timeout"}

	runCtx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	var wg sync.WaitGroup
	workers := uint64(0)
	worker := func(f func(ctx context.Context, rng *rand.Rand)) {
		wg.Add(1)
		workers++
		rng := rand.New(rand.NewPCG(o.Seed, workers))
		go func() { defer wg.Done(); f(runCtx, rng) }()
	}
	worker(func(ctx context.Context, rng *rand.Rand) { s.ingestLoop(ctx, corpus.Raw, o.BatchLines, o.IngestEvery) })
	for range 2 {
		worker(func(ctx context.Context, rng *rand.Rand) { s.searchLoop(ctx, rng, words) })
	}
	worker(func(ctx context.Context, rng *rand.Rand) { s.pageLoop(ctx, rng, words) })
	for range o.Streams {
		worker(func(ctx context.Context, rng *rand.Rand) { s.sseLoop(ctx, rng) })
	}

	start := time.Now()
	tick := time.NewTicker(o.Interval)
	defer tick.Stop()
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "soak: %s store, %s, sampled every %s (server %s, pid %d)\n", rep.Store, o.Duration, o.Interval, base, cmd.Process.Pid)
		fmt.Fprintf(o.Progress, "%8s %9s %9s %6s %5s %9s %6s %5s  %s\n", "t", "rss MiB", "heap MiB", "gorout", "fds", "events", "reqs", "errs", "p99 ms "+strings.Join(soakKinds, "/"))
	}
	for done := false; !done; {
		select {
		case <-runCtx.Done():
			done = true
		case <-tick.C:
		}
		smp, last := s.sample(time.Since(start))
		rep.Samples = append(rep.Samples, smp)
		rep.Errors += smp.Errors
		if o.Progress != nil {
			var ps []string
			for _, k := range soakKinds {
				ps = append(ps, strconv.FormatFloat(smp.P99MS[k], 'f', 1, 64))
			}
			fmt.Fprintf(o.Progress, "%7.0fs %9.1f %9.1f %6.0f %5.0f %9d %6d %5d  %s\n", smp.AtSeconds, smp.RSSBytes/(1<<20), smp.HeapBytes/(1<<20),
				smp.Goroutines, smp.OpenFiles, smp.Events, smp.Requests, smp.Errors, strings.Join(ps, " / "))
			if last != "" {
				fmt.Fprintf(o.Progress, "         last error: %.200s\n", last)
			}
		}
	}
	cancel()
	wg.Wait()
	rep.Seconds = time.Since(start).Seconds()
	rep.Growth = growth(rep.Samples)
	// With no request in flight, SIGTERM: how long the server takes to exit.
	exited := make(chan error, 1)
	t0 := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err == nil {
		go func() { exited <- cmd.Wait() }()
		select {
		case err := <-exited:
			rep.ShutdownSeconds = time.Since(t0).Seconds()
			if err != nil {
				logf.Sync()
				tail, _ := os.ReadFile(logf.Name())
				if len(tail) > 4000 {
					tail = tail[len(tail)-4000:]
				}
				return rep, fmt.Errorf("server exit after SIGTERM: %w; the end of its log:\n%s", err, tail)
			}
		case <-time.After(30 * time.Second):
			rep.ShutdownSeconds = -1
		}
	}
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "SIGTERM with nothing in flight: exited after %.2f s\n", rep.ShutdownSeconds)
	}
	return rep, nil
}

// serverURL reads the server's "serving on" line.
func serverURL(stdout io.Reader, wait time.Duration) (string, error) {
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := servingRe.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				break
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case u := <-found:
		return u, nil
	case <-time.After(wait):
		return "", fmt.Errorf("the server did not say where it serves within %s", wait)
	}
}

// growth is, per gauge, the median of the last quarter of samples over the
// median of the first quarter (after the first sample).
func growth(ss []SoakSample) map[string]float64 {
	if len(ss) < 5 {
		return nil
	}
	ss = ss[1:]
	q := max(1, len(ss)/4)
	med := func(part []SoakSample, f func(SoakSample) float64) float64 {
		v := make([]float64, len(part))
		for i, s := range part {
			v[i] = f(s)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	out := map[string]float64{}
	for name, f := range map[string]func(SoakSample) float64{
		"rss": func(s SoakSample) float64 { return s.RSSBytes }, "heap": func(s SoakSample) float64 { return s.HeapBytes },
		"goroutines": func(s SoakSample) float64 { return s.Goroutines }, "open_fds": func(s SoakSample) float64 { return s.OpenFiles },
		"p99_search": func(s SoakSample) float64 { return s.P99MS["search"] }, "p99_page": func(s SoakSample) float64 { return s.P99MS["page"] },
		"p99_ingest": func(s SoakSample) float64 { return s.P99MS["ingest"] },
	} {
		if a := med(ss[:q], f); a > 0 {
			out[name] = med(ss[len(ss)-q:], f) / a
		}
	}
	return out
}

type soaker struct {
	base         string
	cl           *http.Client // logged in
	project      int64
	ingest, read string // API tokens
	lat          *latencies
}

func (s *soaker) do(method, path, token, ctype string, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(method, s.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	cl := s.cl
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
		cl = http.DefaultClient
	}
	res, err := cl.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err == nil && res.StatusCode/100 != 2 {
		err = fmt.Errorf("%s %s: %d %.200s", method, path, res.StatusCode, b)
	}
	return res.StatusCode, b, err
}

func (s *soaker) setup() error {
	if _, _, err := s.do("POST", "/api/auth/register", "", "application/json", []byte(`{"email":"soak@example.com","password":"a long soak password"}`)); err != nil {
		return err
	}
	_, b, err := s.do("POST", "/api/projects", "", "application/json", []byte(`{"name":"soak"}`))
	if err != nil {
		return err
	}
	var p struct{ ID int64 }
	json.Unmarshal(b, &p)
	s.project = p.ID
	for _, tk := range []struct {
		scopes string
		dst    *string
	}{{`["ingest"]`, &s.ingest}, {`["read"]`, &s.read}} {
		_, b, err := s.do("POST", fmt.Sprintf("/api/projects/%d/tokens", p.ID), "", "application/json", []byte(`{"name":"soak","scopes":`+tk.scopes+`}`))
		if err != nil {
			return err
		}
		var t struct{ Token string }
		json.Unmarshal(b, &t)
		*tk.dst = t.Token
	}
	return nil
}

// ingestLoop posts batch lines every every, cycling through lines.
func (s *soaker) ingestLoop(ctx context.Context, lines []string, batch int, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for off := 0; ; off = (off + batch) % len(lines) {
		end := min(off+batch, len(lines))
		body := []byte(strings.Join(lines[off:end], "\n"))
		t0 := time.Now()
		_, _, err := s.do("POST", fmt.Sprintf("/api/ingest/%d", s.project), s.ingest, "text/plain", body)
		s.lat.add("ingest", time.Since(t0), err)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// searchLoop pages through up to three pages of a search, with the read token.
func (s *soaker) searchLoop(ctx context.Context, rng *rand.Rand, words []string) {
	for ctx.Err() == nil {
		w := words[rng.IntN(len(words))]
		path := fmt.Sprintf("/api/projects/%d/logs?q=%s&limit=100", s.project, url.QueryEscape(w))
		next := path
		for range 3 {
			t0 := time.Now()
			_, b, err := s.do("GET", next, s.read, "", nil)
			s.lat.add("search", time.Since(t0), err)
			var page struct {
				NextCursor string `json:"next_cursor"`
			}
			if err != nil || json.Unmarshal(b, &page) != nil || page.NextCursor == "" {
				break
			}
			next = path + "&cursor=" + url.QueryEscape(page.NextCursor)
		}
		sleep(ctx, 50*time.Millisecond)
	}
}

// pageLoop reads the dashboard's pages as a logged-in user.
func (s *soaker) pageLoop(ctx context.Context, rng *rand.Rand, words []string) {
	pages := []string{"", "/logs", "/logs?q=" + url.QueryEscape(words[0]), "/settings", "/ingest"}
	for ctx.Err() == nil {
		p := fmt.Sprintf("/projects/%d%s", s.project, pages[rng.IntN(len(pages))])
		t0 := time.Now()
		_, _, err := s.do("GET", p, "", "", nil)
		s.lat.add("page", time.Since(t0), err)
		sleep(ctx, 200*time.Millisecond)
	}
}

// sseLoop holds a live-update stream open for 2 to 10 s, reads what comes,
// closes it and opens another; the latency is the time to the headers.
func (s *soaker) sseLoop(ctx context.Context, rng *rand.Rand) {
	for ctx.Err() == nil {
		hold := time.Duration(2000+rng.IntN(8000)) * time.Millisecond
		sctx, cancel := context.WithTimeout(ctx, hold)
		req, _ := http.NewRequestWithContext(sctx, "GET", fmt.Sprintf("%s/projects/%d/live", s.base, s.project), nil)
		req.Header.Set("Accept", "text/event-stream")
		cl := &http.Client{Jar: s.cl.Jar}
		t0 := time.Now()
		res, err := cl.Do(req)
		if err == nil && res.StatusCode != 200 {
			err = fmt.Errorf("live: %d", res.StatusCode)
		}
		if ctx.Err() != nil {
			cancel()
			if res != nil {
				res.Body.Close()
			}
			return
		}
		s.lat.add("sse", time.Since(t0), err)
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
		cancel()
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// metricRe matches the gauges a soak follows in the Prometheus text format.
var metricRe = regexp.MustCompile(`(?m)^(process_resident_memory_bytes|go_memstats_heap_inuse_bytes|go_goroutines|process_open_fds) (\S+)$`)

// sample reads /metrics and the project's event count, and takes the
// interval's latencies.
func (s *soaker) sample(at time.Duration) (SoakSample, string) {
	smp := SoakSample{AtSeconds: at.Seconds()}
	var last string
	smp.P99MS, smp.Requests, smp.Errors, last = s.lat.take()
	if _, b, err := s.do("GET", "/metrics", "", "", nil); err == nil {
		for _, m := range metricRe.FindAllStringSubmatch(string(b), -1) {
			v, _ := strconv.ParseFloat(m[2], 64)
			switch m[1] {
			case "process_resident_memory_bytes":
				smp.RSSBytes = v
			case "go_memstats_heap_inuse_bytes":
				smp.HeapBytes = v
			case "go_goroutines":
				smp.Goroutines = v
			case "process_open_fds":
				smp.OpenFiles = v
			}
		}
	}
	if _, b, err := s.do("GET", fmt.Sprintf("/api/projects/%d", s.project), s.read, "", nil); err == nil {
		var p struct{ Events int64 }
		json.Unmarshal(b, &p)
		smp.Events = p.Events
	}
	return smp, last
}
