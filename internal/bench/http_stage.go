package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cloudsage/cloudsage/internal/config"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/store/postgres"
	"github.com/cloudsage/cloudsage/internal/store/sqlite"
)

// HTTPBatch is how many lines one ingest request of the http stages carries.
var HTTPBatch = 10000

func init() {
	Register(Stage{Name: "http-sqlite", About: "cloudsage serve on loopback, SQLite in a temp folder: POST /api/ingest batches of 10k lines, with GET /api/forecast/:id p50/p99 while ingesting (all cores)",
		Run: httpStage(openBenchSQLite)})
	Register(Stage{Name: "http-postgres", About: "the same into PostgreSQL ($CLOUDSAGE_BENCH_POSTGRES, default postgres://postgres@127.0.0.1:5432/test, a fresh schema); skipped when unreachable",
		Run: httpStage(openBenchPostgres)})
}

func openBenchSQLite(ctx context.Context) (store.Store, func(), error) {
	dir, err := os.MkdirTemp("", "cloudsage-bench-")
	if err != nil {
		return nil, nil, err
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "cloudsage.db"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	return st, func() { st.Close(); os.RemoveAll(dir) }, nil
}

// PostgresURL is the database the PostgreSQL stages and the cost
// comparison make a fresh schema in: $CLOUDSAGE_BENCH_POSTGRES, else the
// local test database.
func PostgresURL() string {
	if url := os.Getenv("CLOUDSAGE_BENCH_POSTGRES"); url != "" {
		return url
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

func openBenchPostgres(ctx context.Context) (store.Store, func(), error) {
	admin, schema, url, err := freshSchema(ctx, PostgresURL(), "bench")
	if err != nil {
		return nil, nil, errSkip{fmt.Sprintf("PostgreSQL unreachable (%v)", err)}
	}
	drop := func() { dropSchema(admin, schema) }
	// The store's connections are named, so that the CPU of their backends
	// (and only theirs) is counted as the database's (see backendCPU).
	st, err := postgres.Open(ctx, url+"&application_name="+schema)
	if err != nil {
		drop()
		return nil, nil, err
	}
	dbMeters.Store(st, &backendCPU{admin: admin, app: schema})
	return st, func() { dbMeters.Delete(st); st.Close(); drop() }, nil
}

// dbMeters maps a bench store to the meter of its database's CPU (absent:
// the database runs in-process, SQLite).
var dbMeters sync.Map // store.Store -> *backendCPU

type errSkip struct{ why string }

func (e errSkip) Error() string { return e.why }

// httpStage runs the real server in-process on a loopback port and drives
// it over HTTP like a log shipper would.
func httpStage(open func(context.Context) (store.Store, func(), error)) func(context.Context, *Corpus) (Result, error) {
	return func(ctx context.Context, c *Corpus) (Result, error) {
		prev := runtime.GOMAXPROCS(runtime.NumCPU()) // client and server share the machine
		defer runtime.GOMAXPROCS(prev)
		st, closeStore, err := open(ctx)
		if err, ok := err.(errSkip); ok {
			return Result{Note: "skipped: " + err.why}, nil
		}
		if err != nil {
			return Result{}, err
		}
		defer closeStore()
		cfg := config.Default()
		cfg.RateLimit = 1 << 30
		cfg.MaxBodyBytes = 256 << 20
		_, base, closeServer, err := serveLoopback(cfg, st)
		if err != nil {
			return Result{}, err
		}
		defer closeServer()
		jar, _ := cookiejar.New(nil)
		cl := &http.Client{Jar: jar, Timeout: 5 * time.Minute}
		post := func(path, ctype string, body []byte) ([]byte, error) {
			res, err := cl.Post(base+path, ctype, bytes.NewReader(body))
			if err != nil {
				return nil, err
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode/100 != 2 {
				return nil, fmt.Errorf("POST %s: %d %s", path, res.StatusCode, b)
			}
			return b, nil
		}
		if _, err := post("/api/auth/register", "application/json", []byte(`{"email":"bench@example.com","password":"a long bench password"}`)); err != nil {
			return Result{}, err
		}
		b, err := post("/api/projects", "application/json", []byte(`{"name":"bench"}`))
		if err != nil {
			return Result{}, err
		}
		var p struct{ ID int64 }
		json.Unmarshal(b, &p)
		// Bodies are built before timing: a shipper has them ready.
		var bodies [][]byte
		for off := 0; off < len(c.Raw); off += HTTPBatch {
			bodies = append(bodies, []byte(strings.Join(c.Raw[off:min(off+HTTPBatch, len(c.Raw))], "\n")))
		}
		// Forecast reads while ingesting (the ship stages make the same
		// reads, so their ratios to this stage compare like with like).
		stopReads := forecastReads(base, jar, p.ID)
		stopProfile, err := profileFromEnv()
		if err != nil {
			return Result{}, err
		}
		defer stopProfile()
		meter, _ := dbMeters.Load(st)
		dbm, _ := meter.(*backendCPU)
		if dbm != nil {
			dbm.start(ctx)
		}
		holds0 := len(writeHolds(st))
		cpu0 := processCPU()
		start := time.Now()
		n := 0
		var rep struct {
			Accepted int
			Risk     struct {
				Score float64
				Label string
			}
		}
		for i, body := range bodies {
			if ctx.Err() != nil {
				break
			}
			out, err := post(fmt.Sprintf("/api/ingest/%d", p.ID), "text/plain", body)
			if err != nil {
				stopReads()
				return Result{}, fmt.Errorf("batch %d: %w", i, err)
			}
			json.Unmarshal(out, &rep)
			n += rep.Accepted
		}
		secs := time.Since(start).Seconds()
		cpu := processCPU() - cpu0
		var dbc time.Duration
		if dbm != nil {
			dbc = dbm.used(ctx)
		}
		holds := writeHolds(st)[holds0:]
		lat := stopReads()
		pprof.StopCPUProfile()
		search := searchLatency(cl, base, p.ID, c.Content)
		f50, f99 := quantiles(lat)
		return Result{Lines: n, Seconds: secs, ServerCPUSeconds: (cpu + dbc).Seconds(), LinesPerServerCPUSec: perCPU(n, cpu+dbc),
			Note: fmt.Sprintf("%d requests of %d lines; GET /api/forecast p50 %.1f ms, p99 %.1f ms over %d reads; final score %.0f (%s); store %s; %s; %s; %s",
				len(bodies), HTTPBatch, f50, f99, len(lat), rep.Risk.Score, rep.Risk.Label, st.Dialect(), cpuNote(n, cpu, dbc), holdNote(holds), search)}, nil
	}
}

// writeHolds is the hold times of st's ingest write transactions so far
// (nil for a store that does not record them).
func writeHolds(st store.Store) []time.Duration {
	if h, ok := st.(interface{ WriteHolds(string) []time.Duration }); ok {
		return h.WriteHolds("ingest")
	}
	return nil
}

// holdNote summarises how long the ingest write transactions held the
// store's writer (SQLite) or the project's row lock (PostgreSQL).
func holdNote(ds []time.Duration) string {
	if len(ds) == 0 {
		return "write-transaction hold not measured"
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return fmt.Sprintf("ingest write transaction held %.1f ms p50, %.1f ms p99, %.1f ms max, %.2f s in all over %d batches",
		ms(ds[len(ds)/2]), ms(ds[min(len(ds)-1, len(ds)*99/100)]), ms(ds[len(ds)-1]), sum.Seconds(), len(ds))
}

// perCPU is lines per second of cpu (0 when cpu is).
func perCPU(lines int, cpu time.Duration) float64 {
	if cpu <= 0 {
		return 0
	}
	return float64(lines) / cpu.Seconds()
}

// cpuNote reports the server's CPU per line: this process (the server, plus
// the light client that posts prepared bodies) and the database's backends
// serving it (PostgreSQL; see backendCPU).
func cpuNote(lines int, proc, db time.Duration) string {
	total := (proc + db).Seconds()
	if lines == 0 || total <= 0 {
		return "server CPU not measured"
	}
	per := float64(lines) / total
	s := fmt.Sprintf("server CPU %.1f s", proc.Seconds())
	if db > 0 {
		s += fmt.Sprintf(" + database %.1f s", db.Seconds())
	}
	// No peer ratio here: a peer's figure must come from the same run on the
	// same machine, and this stage does not run one.
	return s + fmt.Sprintf(" = %.2f µs/line, %.0f lines per CPU-second", total*1e6/float64(lines), per)
}

// searchWords picks, from the corpus lines' contents (what the index sees,
// without headers), a common word (in the most lines) and a rare one (in a
// handful of lines) to search the ingested project for.
func searchWords(lines []string) (common, rare string) {
	counts := wordCounts(lines)
	best, rareN := 0, 0
	for w, n := range counts {
		if n > best || n == best && w < common {
			common, best = w, n
		}
		if n >= 3 && n <= 20 && (rare == "" || n < rareN || n == rareN && w < rare) {
			rare, rareN = w, n
		}
	}
	return common, rare
}

// wordCounts counts, for each word of five letters or more (lowercased),
// the lines that hold it.
func wordCounts(lines []string) map[string]int {
	counts := map[string]int{}
	for _, l := range lines {
		seen := map[string]bool{}
		for _, w := range strings.FieldsFunc(l, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') }) {
			if len(w) >= 5 && !seen[w] && strings.Trim(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == "" {
				seen[w] = true
				counts[strings.ToLower(w)]++
			}
		}
	}
	return counts
}

// searchLatency times GET /api/projects/:id/logs (limit 100) for a rare and
// a common word of the corpus: the median of 5 requests each.
func searchLatency(cl *http.Client, base string, project int64, lines []string) string {
	common, rare := searchWords(lines)
	var parts []string
	for _, w := range []string{rare, common} {
		if w == "" {
			continue
		}
		var ds []time.Duration
		found := 0
		for range 5 {
			t0 := time.Now()
			res, err := cl.Get(fmt.Sprintf("%s/api/projects/%d/logs?q=%s&limit=100", base, project, w))
			if err != nil {
				return "search failed: " + err.Error()
			}
			var page struct{ Events []json.RawMessage }
			json.NewDecoder(res.Body).Decode(&page)
			res.Body.Close()
			ds = append(ds, time.Since(t0))
			found = len(page.Events)
		}
		slices.Sort(ds)
		parts = append(parts, fmt.Sprintf("%q %.1f ms (%d shown)", w, float64(ds[2].Microseconds())/1000, found))
	}
	return "search " + strings.Join(parts, ", ")
}

// forecastReads reads the project's forecast every 20 ms, as a dashboard
// open during ingest would, until the returned stop is called; stop
// returns the latencies of the answered reads.
func forecastReads(base string, jar http.CookieJar, project int64) (stop func() []time.Duration) {
	done := make(chan struct{})
	var lat []time.Duration
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		rc := &http.Client{Jar: jar, Timeout: time.Minute}
		for {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
			t0 := time.Now()
			res, err := rc.Get(fmt.Sprintf("%s/api/forecast/%d", base, project))
			if err != nil {
				continue
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == 200 {
				lat = append(lat, time.Since(t0))
			}
		}
	}()
	var once sync.Once
	return func() []time.Duration {
		once.Do(func() { close(done); wg.Wait() })
		return lat
	}
}
