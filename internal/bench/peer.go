package bench

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/parse"
	"github.com/cloudsage/cloudsage/internal/toolscache"
)

// The cost comparison ("cloudsage bench --peer victoria-logs") runs
// CloudSage and a peer log store as separate server processes on this
// machine, one after the other, sends each the same lines in the same
// batches over loopback HTTP, and measures each server the same way: the
// CPU its process (and, for PostgreSQL, the database backends serving it)
// used from the first batch until it went idle again (background merging
// and compaction included), the bytes its data takes on disk once idle,
// its peak resident memory, and the wall-clock latency of the first 100
// hits of searches asked of all of them in turn. Nothing is a constant: a
// peer that is not there is reported as not measured.

// PeerOptions configure a cost comparison.
type PeerOptions struct {
	// Serve returns the CloudSage server command without address and data
	// folder (set through CLOUDSAGE_ADDR, CLOUDSAGE_DATA_DIR and
	// CLOUDSAGE_DATABASE_URL), e.g. exec.Command(os.Args[0], "serve").
	Serve func() *exec.Cmd
	// Stores are the CloudSage stores to measure: "sqlite", "postgres".
	Stores []string
	// PostgresURL is the database the postgres store gets a fresh schema
	// in (dropped afterwards).
	PostgresURL string
	// VictoriaLogs is the victoria-logs binary ("": the peer is not
	// measured; Missing says why).
	VictoriaLogs string
	Missing      string
	// Batch is the lines per ingest request (HTTPBatch when 0).
	Batch int
	// Rounds is how many times each search is asked of each server (3
	// when 0).
	Rounds int
	// SettleTimeout bounds the wait for a server to go idle after the
	// last batch (3 minutes when 0).
	SettleTimeout time.Duration
	// Progress, when set, gets a line per step.
	Progress io.Writer
}

// PeerSide is what one server measured.
type PeerSide struct {
	Name     string  `json:"name"`
	Lines    int     `json:"lines"`
	Accepted int     `json:"accepted,omitempty"` // events the server said it stored
	CPU      float64 `json:"cpu_seconds"`        // ingest until idle
	// DBCPU is the part of CPU spent in PostgreSQL backends.
	DBCPU          float64 `json:"db_cpu_seconds,omitempty"`
	IngestSeconds  float64 `json:"ingest_seconds"`
	SettleSeconds  float64 `json:"settle_seconds"`
	LinesPerCPUSec float64 `json:"lines_per_cpu_sec"`
	DiskBytes      int64   `json:"disk_bytes"`
	DiskNote       string  `json:"disk_note,omitempty"`
	PeakRSSBytes   int64   `json:"peak_rss_bytes"`
	// SearchP50MS is the p50 latency (ms) of each kind of search, Hits the
	// hits the first 100 held, summed over the kind's queries.
	SearchP50MS map[string]float64 `json:"search_p50_ms"`
	Hits        map[string]int     `json:"hits"`
	QueryHits   map[string]int     `json:"query_hits"` // per query
	Note        string             `json:"note,omitempty"`
}

// PeerReport is a whole comparison.
type PeerReport struct {
	Lines   int        `json:"lines"`
	Batch   int        `json:"batch"`
	Sides   []PeerSide `json:"sides"`
	Peer    string     `json:"peer,omitempty"`    // the peer's version line
	Missing string     `json:"missing,omitempty"` // why the peer was not measured
	// Queries are the searches asked, per kind, as CloudSage reads them.
	Queries     map[string][]string `json:"queries"`
	LoadAverage []string            `json:"load_average"` // before and after
}

// SearchKinds are the kinds of search the comparison times, in order.
var SearchKinds = []string{"one-word", "two-word", "level:error+word"}

// peerServer is one server under measurement.
type peerServer interface {
	name() string
	ingest(lines []string, levels []cloudsage.Level) (accepted int, err error)
	// search asks for the first 100 hits of words (and level, when not
	// LevelUnknown) and returns how many came back.
	search(words []string, level cloudsage.Level) (int, error)
	cpu() (total, db time.Duration)
	disk() (int64, string, error)
	peakRSS() int64
	close()
}

// ComparePeer runs the comparison over the corpus lines.
func ComparePeer(ctx context.Context, c *Corpus, o PeerOptions) (PeerReport, error) {
	if o.Batch <= 0 {
		o.Batch = HTTPBatch
	}
	if o.Rounds <= 0 {
		o.Rounds = 3
	}
	if o.SettleTimeout <= 0 {
		o.SettleTimeout = 3 * time.Minute
	}
	progress := func(format string, a ...any) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, format+"\n", a...)
		}
	}
	rep := PeerReport{Lines: c.Len(), Batch: o.Batch, Missing: o.Missing, LoadAverage: []string{loadAverage()}}
	// VictoriaLogs gets each line with the level the parser reads in it
	// alone; CloudSage reads a batch as a whole, where a line may continue
	// the event before it (a stack trace's).
	levels := make([]cloudsage.Level, c.Len())
	for i, l := range c.Raw {
		if evs := parse.Text(l); len(evs) > 0 {
			levels[i] = evs[0].Level
		}
	}
	var events []cloudsage.Event
	for off := 0; off < c.Len(); off += o.Batch {
		for _, ev := range parse.Text(strings.Join(c.Raw[off:min(off+o.Batch, c.Len())], "\n")) {
			events = append(events, cloudsage.Event{Message: ev.Message, Level: ev.Level})
		}
	}
	qs := pickQueries(c.Raw, levels, events)
	rep.Queries = map[string][]string{}
	for _, k := range SearchKinds {
		for _, q := range qs[k] {
			rep.Queries[k] = append(rep.Queries[k], q.String())
		}
	}

	var servers []peerServer
	defer func() {
		for _, s := range servers {
			s.close()
		}
	}()
	measureOne := func(s peerServer) error {
		servers = append(servers, s)
		side := PeerSide{Name: s.name(), Lines: c.Len()}
		progress("cost: %s: ingesting %d lines in batches of %d", s.name(), c.Len(), o.Batch)
		cpu0, db0 := s.cpu()
		t0 := time.Now()
		for off := 0; off < c.Len(); off += o.Batch {
			if err := ctx.Err(); err != nil {
				return err
			}
			end := min(off+o.Batch, c.Len())
			n, err := s.ingest(c.Raw[off:end], levels[off:end])
			if err != nil {
				return fmt.Errorf("%s: batch at line %d: %w", s.name(), off, err)
			}
			side.Accepted += n
		}
		side.IngestSeconds = time.Since(t0).Seconds()
		t1 := time.Now()
		settle(ctx, s, o.SettleTimeout, t1.Add(MinSettle))
		side.SettleSeconds = time.Since(t1).Seconds()
		cpu, db := s.cpu()
		side.CPU, side.DBCPU = (cpu - cpu0).Seconds(), (db - db0).Seconds()
		if side.CPU > 0 {
			side.LinesPerCPUSec = float64(c.Len()) / side.CPU
		}
		side.PeakRSSBytes = s.peakRSS()
		var err error
		if side.DiskBytes, side.DiskNote, err = s.disk(); err != nil {
			return fmt.Errorf("%s: bytes on disk: %w", s.name(), err)
		}
		progress("cost: %s: %.1f s ingest, idle %.1f s later, %.1f s CPU, %.1f MB on disk, peak RSS %.1f MB",
			s.name(), side.IngestSeconds, side.SettleSeconds, side.CPU, float64(side.DiskBytes)/1e6, float64(side.PeakRSSBytes)/1e6)
		rep.Sides = append(rep.Sides, side)
		return nil
	}

	if o.VictoriaLogs != "" {
		vl, version, err := startVictoriaLogs(ctx, o.VictoriaLogs)
		if err != nil {
			return rep, err
		}
		rep.Peer = version
		if err := measureOne(vl); err != nil {
			return rep, err
		}
	}
	for _, store := range o.Stores {
		s, err := startCloudSage(ctx, o, store)
		if errors.As(err, new(errSkip)) {
			rep.Sides = append(rep.Sides, PeerSide{Name: "CloudSage " + store, Note: "skipped: " + err.Error()})
			continue
		}
		if err != nil {
			return rep, err
		}
		if err := measureOne(s); err != nil {
			return rep, err
		}
	}

	// Searches, each asked of every server in turn so that the load of
	// the machine weighs on all alike.
	progress("cost: searching (%d rounds)", o.Rounds)
	lat := map[string]map[string][]time.Duration{}
	for _, s := range servers {
		lat[s.name()] = map[string][]time.Duration{}
	}
	hits := map[string]map[string]int{}
	queryHits := map[string]map[string]int{}
	failures := map[string][]string{}
	for round := range o.Rounds {
		for _, k := range SearchKinds {
			for _, q := range qs[k] {
				for _, s := range servers {
					// A failed search is asked again (up to 3 times, each
					// timed alone): at 4 M lines VictoriaLogs' streamed
					// answer was seen to break off now and then ("chunked
					// line ends with bare LF" in Go's client). Failures are
					// named in the side's note, never hidden, and a query
					// that keeps failing is left out of that server's
					// latency instead of ending the whole comparison.
					var n int
					var took time.Duration
					var err error
					for attempt := 1; attempt <= 3; attempt++ {
						t0 := time.Now()
						n, err = s.search(q.words, q.level)
						took = time.Since(t0)
						if err == nil {
							break
						}
						failures[s.name()] = append(failures[s.name()], fmt.Sprintf("search %s (attempt %d): %v", q, attempt, err))
					}
					if err != nil {
						continue
					}
					lat[s.name()][k] = append(lat[s.name()][k], took)
					if round == 0 {
						if hits[s.name()] == nil {
							hits[s.name()], queryHits[s.name()] = map[string]int{}, map[string]int{}
						}
						hits[s.name()][k] += n
						queryHits[s.name()][q.String()] = n
					}
				}
			}
		}
	}
	for i := range rep.Sides {
		sd := &rep.Sides[i]
		if lat[sd.Name] == nil {
			continue
		}
		sd.SearchP50MS = map[string]float64{}
		for _, k := range SearchKinds {
			if ds := lat[sd.Name][k]; len(ds) > 0 {
				p50, _ := quantiles(ds)
				sd.SearchP50MS[k] = p50
			}
		}
		sd.Hits, sd.QueryHits = hits[sd.Name], queryHits[sd.Name]
		if f := failures[sd.Name]; len(f) > 0 {
			sd.Note = strings.TrimPrefix(sd.Note+"; ", "; ") + fmt.Sprintf("%d failed searches, first: %s", len(f), f[0])
		}
	}
	rep.LoadAverage = append(rep.LoadAverage, loadAverage())
	return rep, nil
}

// MinSettle is the least time after the last batch before a server's CPU,
// memory and disk are read: VictoriaLogs keeps recent rows in memory for up
// to its -inmemoryDataFlushInterval (5 s) before writing them out.
var MinSettle = 10 * time.Second

// settle waits until the server has used under 2% of a core for three
// seconds in a row and notBefore has passed (or until timeout): what its
// ingest set off in the background (compaction, merges, checkpoints,
// flushes) is counted as its cost.
func settle(ctx context.Context, s peerServer, timeout time.Duration, notBefore time.Time) {
	deadline := time.Now().Add(timeout)
	prev, _ := s.cpu()
	quiet := 0
	for (quiet < 3 || time.Now().Before(notBefore)) && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(time.Second)
		now, _ := s.cpu()
		if now-prev < 20*time.Millisecond {
			quiet++
		} else {
			quiet = 0
		}
		prev = now
	}
}

// peerQuery is one search: words, all required, and a level or none.
type peerQuery struct {
	words []string
	level cloudsage.Level
}

func (q peerQuery) String() string {
	s := strings.Join(q.words, " ")
	if q.level != cloudsage.LevelUnknown {
		s = "level:" + q.level.String() + " " + s
	}
	return s
}

// QueriesPerKind is how many searches of each kind are timed.
var QueriesPerKind = 6

// pickQueries chooses the searches from the lines: words of five or more
// lowercase letters that are whole tokens for both stores (between
// characters that are neither letters, digits nor '_') and are in as many
// lines (at level error: as many lines at level error) as CloudSage's
// events (its messages) hold them in, so that both stores have the same
// lines to find: VictoriaLogs searches whole lines, CloudSage messages,
// and a stack trace's lines are one event. They are spread from the most
// to the least frequent; a second word for each is the one most often in
// the same lines; and words spread over the lines at level error.
func pickQueries(lines []string, levels []cloudsage.Level, events []cloudsage.Event) map[string][]peerQuery {
	counts := map[string]int{}
	errCounts := map[string]int{}
	for i, l := range lines {
		for _, w := range plainWords(l) {
			counts[w]++
			if levels[i] == cloudsage.LevelError {
				errCounts[w]++
			}
		}
	}
	evCounts := map[string]int{}
	evErrCounts := map[string]int{}
	for _, ev := range events {
		for _, w := range plainWords(ev.Message) {
			evCounts[w]++
			if ev.Level == cloudsage.LevelError {
				evErrCounts[w]++
			}
		}
	}
	outside := map[string]bool{} // counted differently by the two
	for w, n := range counts {
		if evCounts[w] != n {
			outside[w] = true
			delete(counts, w)
		}
	}
	for w, n := range errCounts {
		if evErrCounts[w] != n || outside[w] {
			delete(errCounts, w)
		}
	}
	out := map[string][]peerQuery{}
	ones := spreadWords(counts, QueriesPerKind)
	for _, w := range ones {
		out["one-word"] = append(out["one-word"], peerQuery{words: []string{w}})
	}
	// The partner of each word: the word most often in its lines (a
	// sample of them is enough).
	want := map[string]map[string]int{}
	for _, w := range ones {
		want[w] = map[string]int{}
	}
	seen := map[string]int{}
	for _, l := range lines {
		ws := plainWords(l)
		for _, w := range ws {
			if outside[w] {
				continue
			}
			co, ok := want[w]
			if !ok || seen[w] >= 2000 {
				continue
			}
			seen[w]++
			for _, x := range ws {
				if x != w && !outside[x] {
					co[x]++
				}
			}
		}
	}
	for _, w := range ones {
		best := ""
		for x, n := range want[w] {
			if best == "" || n > want[w][best] || n == want[w][best] && x < best {
				best = x
			}
		}
		if best != "" {
			out["two-word"] = append(out["two-word"], peerQuery{words: []string{w, best}})
		}
	}
	for _, w := range spreadWords(errCounts, QueriesPerKind) {
		out["level:error+word"] = append(out["level:error+word"], peerQuery{words: []string{w}, level: cloudsage.LevelError})
	}
	return out
}

// plainWords returns the distinct words of l that both stores read as one
// token: [a-z]{5,} between bytes that are not letters, digits or '_'.
func plainWords(l string) []string {
	var out []string
	word := func(b byte) bool {
		return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b >= 0x80
	}
	for i := 0; i < len(l); {
		if !word(l[i]) {
			i++
			continue
		}
		j := i
		lower := true
		for j < len(l) && word(l[j]) {
			if l[j] < 'a' || l[j] > 'z' {
				lower = false
			}
			j++
		}
		if lower && j-i >= 5 && !slices.Contains(out, l[i:j]) {
			out = append(out, l[i:j])
		}
		i = j
	}
	return out
}

// --- CloudSage as a server process ---

type cloudSageServer struct {
	label    string
	cmd      *exec.Cmd
	dir      string // data folder (SQLite) or log folder
	s        *soaker
	pg       *pgBackends // nil for SQLite
	waitDone chan struct{}
}

func startCloudSage(ctx context.Context, o PeerOptions, store string) (*cloudSageServer, error) {
	dir, err := os.MkdirTemp("", "cloudsage-cost-")
	if err != nil {
		return nil, err
	}
	cs := &cloudSageServer{label: "CloudSage " + store, dir: dir}
	dbURL := ""
	switch store {
	case "sqlite":
	case "postgres":
		pg, u, err := newPGBackends(ctx, o.PostgresURL)
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		cs.pg, dbURL = pg, u
	default:
		os.RemoveAll(dir)
		return nil, fmt.Errorf("unknown store %q (want sqlite or postgres)", store)
	}
	cmd := o.Serve()
	cmd.Env = append(cmd.Environ(), "CLOUDSAGE_ADDR=127.0.0.1:0", "CLOUDSAGE_DATA_DIR="+filepath.Join(dir, "data"), "CLOUDSAGE_RATE_LIMIT=1000000",
		"CLOUDSAGE_MAX_BODY_BYTES=268435456", "CLOUDSAGE_LOG_LEVEL=warn", "CLOUDSAGE_DATABASE_URL="+dbURL, "CLOUDSAGE_DEMO=false")
	logf, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		cs.close()
		return nil, err
	}
	defer logf.Close()
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cs.close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		cs.close()
		return nil, fmt.Errorf("start cloudsage serve: %w", err)
	}
	cs.cmd = cmd
	cs.waitDone = make(chan struct{})
	go func() { cmd.Wait(); close(cs.waitDone) }()
	base, err := serverURL(stdout, 60*time.Second)
	if err != nil {
		b, _ := os.ReadFile(logf.Name())
		cs.close()
		return nil, fmt.Errorf("%w: %s", err, b)
	}
	cs.s = &soaker{base: base, cl: &http.Client{Timeout: 10 * time.Minute}, lat: &latencies{by: map[string][]time.Duration{}}}
	cs.s.cl.Jar = newJar()
	if err := cs.s.setup(); err != nil {
		cs.close()
		return nil, err
	}
	return cs, nil
}

func (c *cloudSageServer) name() string { return c.label }

func (c *cloudSageServer) ingest(lines []string, _ []cloudsage.Level) (int, error) {
	body := []byte(strings.Join(lines, "\n"))
	_, b, err := c.s.do("POST", fmt.Sprintf("/api/ingest/%d", c.s.project), c.s.ingest, "text/plain", body)
	if err != nil {
		return 0, err
	}
	var rep struct{ Accepted int }
	json.Unmarshal(b, &rep)
	return rep.Accepted, nil
}

func (c *cloudSageServer) search(words []string, level cloudsage.Level) (int, error) {
	q := strings.Join(words, " ")
	if level != cloudsage.LevelUnknown {
		q = "level:" + level.String() + " " + q
	}
	_, b, err := c.s.do("GET", fmt.Sprintf("/api/projects/%d/logs?q=%s&limit=100", c.s.project, url.QueryEscape(q)), c.s.read, "", nil)
	if err != nil {
		return 0, err
	}
	var page searchPage
	if err := json.Unmarshal(b, &page); err != nil {
		return 0, err
	}
	return len(page.Events), nil
}

func (c *cloudSageServer) cpu() (time.Duration, time.Duration) {
	own, _ := pidCPU(c.cmd.Process.Pid)
	if c.pg == nil {
		return own, 0
	}
	db := c.pg.cpu()
	return own + db, db
}

func (c *cloudSageServer) disk() (int64, string, error) {
	if c.pg != nil {
		return c.pg.relationBytes()
	}
	n, files, err := dirBytes(filepath.Join(c.dir, "data"))
	return n, "data folder (" + files + ")", err
}

func (c *cloudSageServer) peakRSS() int64 { return pidPeakRSS(c.cmd.Process.Pid) }

func (c *cloudSageServer) close() {
	if c.cmd != nil && c.cmd.Process != nil {
		c.cmd.Process.Signal(os.Interrupt)
		select {
		case <-c.waitDone:
		case <-time.After(30 * time.Second):
			c.cmd.Process.Kill()
			<-c.waitDone
		}
	}
	if c.pg != nil {
		c.pg.close()
	}
	os.RemoveAll(c.dir)
}

// pgBackends follows the PostgreSQL backends of one CloudSage server (its
// connections carry an application_name of their own) and adds up their
// CPU from /proc: a backend seen for the first time counts from its start.
type pgBackends struct {
	admin  *sql.DB
	schema string
	app    string
	meter  *backendCPU
	wal0   string
}

func newPGBackends(ctx context.Context, base string) (*pgBackends, string, error) {
	admin, schema, url, err := freshSchema(ctx, base, "bench_cost")
	if err != nil {
		return nil, "", errSkip{fmt.Sprintf("PostgreSQL unreachable (%v)", err)}
	}
	p := &pgBackends{admin: admin, schema: schema, app: "cloudsage-" + schema}
	admin.QueryRowContext(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&p.wal0)
	p.meter = &backendCPU{admin: admin, app: p.app}
	p.meter.start(ctx)
	return p, url + "&application_name=" + p.app, nil
}

// cpu is the CPU time of the backends serving the server so far.
func (p *pgBackends) cpu() time.Duration { return p.meter.sofar(context.Background()) }

// relationBytes is the size of the schema's tables with their indexes and
// TOAST; the WAL the server wrote meanwhile (for every database on it) is
// told apart, as PostgreSQL recycles it at checkpoints.
func (p *pgBackends) relationBytes() (int64, string, error) {
	var n int64
	err := p.admin.QueryRow(`SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
		JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = $1 AND c.relkind IN ('r', 'm')`, p.schema).Scan(&n)
	if err != nil {
		return 0, "", err
	}
	note := "the schema's tables, indexes and TOAST (pg_total_relation_size)"
	var wal int64
	if p.wal0 != "" && p.admin.QueryRow(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint`, p.wal0).Scan(&wal) == nil {
		note += fmt.Sprintf("; WAL written meanwhile by the whole server: %.1f MB, recycled at checkpoints, not counted", float64(wal)/1e6)
	}
	return n, note, nil
}

func (p *pgBackends) close() {
	p.meter.used(context.Background())
	dropSchema(p.admin, p.schema)
}

// --- VictoriaLogs as a server process ---

type victoriaServer struct {
	cmd      *exec.Cmd
	dir      string
	base     string
	cl       *http.Client
	waitDone chan struct{}
	buf      bytes.Buffer
}

// startVictoriaLogs starts bin on a free loopback port with its data in a
// temp folder and waits until it answers /health.
func startVictoriaLogs(ctx context.Context, bin string) (*victoriaServer, string, error) {
	version := ""
	if out, err := exec.CommandContext(ctx, bin, "-version").Output(); err == nil {
		version = strings.TrimSpace(string(out))
	}
	dir, err := os.MkdirTemp("", "cloudsage-cost-vl-")
	if err != nil {
		return nil, "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(dir)
		return nil, "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	v := &victoriaServer{dir: dir, base: "http://" + addr, cl: &http.Client{Timeout: 10 * time.Minute}, waitDone: make(chan struct{})}
	cmd := exec.Command(bin, "-httpListenAddr="+addr, "-storageDataPath="+filepath.Join(dir, "data"), "-retentionPeriod=100y", "-loggerLevel=WARN")
	logf, err := os.Create(filepath.Join(dir, "victoria-logs.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, "", err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, "", fmt.Errorf("start %s: %w", bin, err)
	}
	v.cmd = cmd
	go func() { cmd.Wait(); close(v.waitDone) }()
	for deadline := time.Now().Add(60 * time.Second); ; {
		res, err := v.cl.Get(v.base + "/health")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		select {
		case <-v.waitDone:
			b, _ := os.ReadFile(logf.Name())
			v.close()
			return nil, "", fmt.Errorf("%s exited: %s", bin, b)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			v.close()
			return nil, "", fmt.Errorf("%s did not answer /health within a minute", bin)
		}
	}
	return v, version, nil
}

func (v *victoriaServer) name() string { return "VictoriaLogs" }

// ingest posts the lines as JSON lines: the whole line as _msg and the
// level CloudSage's parser reads in it, so that a level:error search means
// the same to both (the parsing is the client's, not counted as the
// peer's CPU); the time is the peer's arrival time.
func (v *victoriaServer) ingest(lines []string, levels []cloudsage.Level) (int, error) {
	v.buf.Reset()
	for i, l := range lines {
		v.buf.WriteString(`{"_msg":`)
		m, _ := json.Marshal(l)
		v.buf.Write(m)
		if levels[i] != cloudsage.LevelUnknown {
			v.buf.WriteString(`,"level":"` + levels[i].String() + `"`)
		}
		v.buf.WriteString("}\n")
	}
	res, err := v.cl.Post(v.base+"/insert/jsonline", "application/stream+json", bytes.NewReader(v.buf.Bytes()))
	if err != nil {
		return 0, err
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		return 0, fmt.Errorf("POST /insert/jsonline: %d %.200s", res.StatusCode, b)
	}
	return len(lines), nil
}

func (v *victoriaServer) search(words []string, level cloudsage.Level) (int, error) {
	q := strings.Join(words, " ")
	if level != cloudsage.LevelUnknown {
		q = "level:" + level.String() + " " + q
	}
	res, err := v.cl.Get(v.base + "/select/logsql/query?limit=100&query=" + url.QueryEscape(q))
	if err != nil {
		return 0, err
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return 0, err
	}
	if res.StatusCode != 200 {
		return 0, fmt.Errorf("%d %.200s", res.StatusCode, b)
	}
	return bytes.Count(b, []byte("\n")), nil
}

func (v *victoriaServer) cpu() (time.Duration, time.Duration) {
	t, _ := pidCPU(v.cmd.Process.Pid)
	return t, 0
}

func (v *victoriaServer) disk() (int64, string, error) {
	if res, err := v.cl.Get(v.base + "/internal/force_flush"); err == nil {
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	n, files, err := dirBytes(filepath.Join(v.dir, "data"))
	return n, "data folder after /internal/force_flush (" + files + ")", err
}

func (v *victoriaServer) peakRSS() int64 { return pidPeakRSS(v.cmd.Process.Pid) }

func (v *victoriaServer) close() {
	if v.cmd != nil && v.cmd.Process != nil {
		v.cmd.Process.Signal(os.Interrupt)
		select {
		case <-v.waitDone:
		case <-time.After(30 * time.Second):
			v.cmd.Process.Kill()
			<-v.waitDone
		}
	}
	os.RemoveAll(v.dir)
}

// dirBytes adds up the sizes of the files under dir, and names the
// largest few.
func dirBytes(dir string) (int64, string, error) {
	var total int64
	type file struct {
		name string
		size int64
	}
	var files []file
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil // a part merged away meanwhile
				}
				return err
			}
			total += info.Size()
			rel, _ := filepath.Rel(dir, path)
			files = append(files, file{rel, info.Size()})
		}
		return nil
	})
	slices.SortFunc(files, func(a, b file) int { return cmp.Compare(b.size, a.size) })
	var parts []string
	for _, f := range files[:min(3, len(files))] {
		parts = append(parts, fmt.Sprintf("%s %.1f MB", f.name, float64(f.size)/1e6))
	}
	if len(files) > 3 {
		parts = append(parts, fmt.Sprintf("%d more files", len(files)-3))
	}
	return total, strings.Join(parts, ", "), err
}

// FindVictoriaLogs returns the victoria-logs binary to measure: path when
// given, else the one on PATH, else the newest in the tools cache
// (<cache>/victoria-logs-<version>/victoria-logs). It never downloads; why
// says where it looked when there is none.
func FindVictoriaLogs(path string) (bin, why string) {
	if path != "" {
		if st, err := os.Stat(path); err != nil || st.IsDir() {
			return "", fmt.Sprintf("no victoria-logs binary at %s", path)
		}
		return path, ""
	}
	if p, err := exec.LookPath("victoria-logs"); err == nil {
		return p, ""
	}
	cache := toolscache.Dir()
	found, _ := filepath.Glob(filepath.Join(cache, "victoria-logs-*", "victoria-logs"))
	if len(found) > 0 {
		slices.SortFunc(found, func(a, b string) int {
			return compareVersions(filepath.Base(filepath.Dir(b)), filepath.Base(filepath.Dir(a)))
		})
		return found[0], ""
	}
	return "", fmt.Sprintf("no victoria-logs on PATH nor in %s/victoria-logs-<version>/ (install: GOBIN=%s/victoria-logs-v1.52.1 go install github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs@v1.52.1)", cache, cache)
}

// compareVersions orders "victoria-logs-v1.52.1"-like names by their
// numbers.
func compareVersions(a, b string) int {
	num := func(s string) []int {
		var out []int
		for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r < '0' || r > '9' }) {
			n, _ := strconv.Atoi(f)
			out = append(out, n)
		}
		return out
	}
	return slices.Compare(num(a), num(b))
}
