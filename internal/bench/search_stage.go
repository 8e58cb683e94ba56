package bench

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/config"
	"github.com/cloudsage/cloudsage/internal/parse"
	"github.com/cloudsage/cloudsage/internal/store"
)

// SearchPages is how many pages of limit=1000 the search stages read per
// word at most.
var SearchPages = 200

// SearchBudget is the p99 a page of GET /api/projects/:id/logs?q=&limit=1000
// must stay under in a 1 M-event project.
var SearchBudget = 100 * time.Millisecond

func init() {
	Register(Stage{Name: "search-sqlite", About: "the corpus stored as events (10k-line batches) in SQLite, then GET /api/projects/:id/logs?q=<word>&limit=1000 paged through for a common and a rare word: p50/p99 per page (budget p99 < 100 ms at 1 M events)",
		Run: searchStage(openBenchSQLite)})
	Register(Stage{Name: "search-postgres", About: "the same in PostgreSQL; skipped when unreachable",
		Run: searchStage(openBenchPostgres)})
}

// searchStage stores the corpus straight through the store (parsed events,
// no engine: the stage measures search, not ingest), serves it with the
// real server and pages through searches over HTTP as the logs page does.
func searchStage(open func(context.Context) (store.Store, func(), error)) func(context.Context, *Corpus) (Result, error) {
	return func(ctx context.Context, c *Corpus) (Result, error) {
		prev := runtime.GOMAXPROCS(runtime.NumCPU())
		defer runtime.GOMAXPROCS(prev)
		st, closeStore, err := open(ctx)
		if err, ok := err.(errSkip); ok {
			return Result{Note: "skipped: " + err.why}, nil
		}
		if err != nil {
			return Result{}, err
		}
		defer closeStore()
		u, err := st.CreateUser(ctx, store.User{Email: "bench@example.com", PasswordHash: "-"})
		if err != nil {
			return Result{}, err
		}
		pr, err := st.CreateProject(ctx, u.ID, store.Project{Name: "search", Settings: store.DefaultSettings()})
		if err != nil {
			return Result{}, err
		}
		fill0 := time.Now()
		n, err := storeCorpus(ctx, st, pr.ID, c.Raw)
		if err != nil {
			return Result{}, err
		}
		fill := time.Since(fill0)
		// Compaction runs in the background as batches arrive; the pages
		// are read once it has caught up, and the time it needed after the
		// last batch is reported.
		compact0 := time.Now()
		if cs, ok := st.(interface {
			CompactEvents(context.Context, cloudsage.ProjectID) error
		}); ok {
			if err := cs.CompactEvents(ctx, pr.ID); err != nil {
				return Result{}, fmt.Errorf("compact: %w", err)
			}
		}
		compaction := time.Since(compact0)

		cfg := config.Default()
		cfg.RateLimit = 1 << 30
		secret, hash := auth.NewSecret(auth.TokenPrefix)
		if _, err := st.CreateToken(ctx, store.Token{ProjectID: pr.ID, Name: "bench", Prefix: auth.DisplayPrefix(secret), Hash: hash,
			Scopes: []store.Scope{store.ScopeRead}, CreatedBy: u.ID}); err != nil {
			return Result{}, err
		}
		timed := &timedSearch{Store: st}
		_, base, closeServer, err := serveLoopback(cfg, timed)
		if err != nil {
			return Result{}, err
		}
		defer closeServer()
		jar, _ := cookiejar.New(nil)
		cl := &http.Client{Jar: jar, Timeout: time.Minute}

		common, rare := searchWords(c.Content)
		stopProfile, err := profileFromEnv()
		if err != nil {
			return Result{}, err
		}
		defer stopProfile()
		// First pages (a cold cache: each word is a new query) of words
		// spread over the frequencies, then every page of a common and a
		// rare word.
		spread := spreadWords(wordCounts(c.Content), FirstPageWords)
		start, cpu0 := time.Now(), processCPU()
		timed.reset()
		var firsts []time.Duration
		var slowest, first string // the first request comes right after the fill
		for _, w := range spread {
			lat, err := fetchPage(ctx, cl, fmt.Sprintf("%s/api/projects/%d/logs?q=%s&limit=1000", base, pr.ID, url.QueryEscape(w)), secret, &searchPage{})
			if err != nil {
				return Result{}, fmt.Errorf("search %q: %w", w, err)
			}
			if len(firsts) == 0 {
				first = fmt.Sprintf("%q %.1f ms", w, float64(lat.Microseconds())/1000)
			}
			if len(firsts) == 0 || lat > slices.Max(firsts) {
				slowest = fmt.Sprintf("%q %.1f ms", w, float64(lat.Microseconds())/1000)
			}
			firsts = append(firsts, lat)
		}
		var all []time.Duration
		var parts []string
		for _, w := range []string{common, rare} {
			if w == "" {
				continue
			}
			lat, events, err := pageThrough(ctx, cl, base, pr.ID, secret, w)
			if err != nil {
				return Result{}, err
			}
			all = append(all, lat...)
			p50, p99 := quantiles(lat)
			parts = append(parts, fmt.Sprintf("%q: %d pages (%d events) p50 %.1f ms p99 %.1f ms", w, len(lat), events, p50, p99))
		}
		secs := time.Since(start).Seconds()
		cpuPerPage := 0.0
		if len(all) > 0 {
			cpuPerPage = float64((processCPU() - cpu0).Microseconds()) / 1000 / float64(len(all))
		}
		p50, p99 := quantiles(all)
		f50, f99 := quantiles(firsts)
		s50, s99 := quantiles(timed.reset())
		budget := float64(SearchBudget.Milliseconds())
		verdict, over := "within", ""
		if p99 > budget || f99 > budget {
			verdict = "OVER"
			over = fmt.Sprintf("%s: page p99 %.1f ms, first-page p99 %.1f ms, budget %d ms", st.Dialect(), p99, f99, SearchBudget.Milliseconds())
		}
		return Result{Lines: n, Seconds: secs, OverBudget: over,
			Note: fmt.Sprintf("%d events stored in %.1f s, compaction caught up %.1f s later; first pages (limit=1000, %d words): p50 %.1f ms, p99 %.1f ms (slowest %s, the first request %s); every page: p50 %.1f ms, p99 %.1f ms over %d pages (%s the %d ms budget), %.1f ms of CPU (server and client) per page; the store's SearchEvents of all those pages: p50 %.1f ms, p99 %.1f ms; %s; store %s; load average %s",
				n, fill.Seconds(), compaction.Seconds(), len(firsts), f50, f99, slowest, first, p50, p99, len(all), verdict, SearchBudget.Milliseconds(), cpuPerPage, s50, s99, strings.Join(parts, "; "), st.Dialect(), loadAverage())}, nil
	}
}

// FirstPageWords is how many words the search stages time a first page of.
var FirstPageWords = 40

// spreadWords returns n words (of those in at least 3 lines) spread evenly
// from the most to the least frequent.
func spreadWords(counts map[string]int, n int) []string {
	var ws []string
	for w, k := range counts {
		if k >= 3 {
			ws = append(ws, w)
		}
	}
	slices.SortFunc(ws, func(a, b string) int { return cmp.Or(cmp.Compare(counts[b], counts[a]), strings.Compare(a, b)) })
	if len(ws) <= n {
		return ws
	}
	out := make([]string, n)
	for i := range out {
		out[i] = ws[i*(len(ws)-1)/max(1, n-1)]
	}
	return out
}

// storeCorpus parses lines into events and stores them in batches of
// HTTPBatch, as ingest would (lines without a time get one a millisecond
// apart, like the ingest clock). It returns the events stored.
func storeCorpus(ctx context.Context, st store.Store, p cloudsage.ProjectID, lines []string) (int, error) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	n := 0
	var version int64
	for off := 0; off < len(lines); off += HTTPBatch {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		evs := parse.Text(strings.Join(lines[off:min(off+HTTPBatch, len(lines))], "\n"))
		for i := range evs {
			clock = clock.Add(time.Millisecond)
			if evs[i].Time.IsZero() || evs[i].TimeGuessed {
				evs[i].Time, evs[i].TimeGuessed = clock, true
			}
		}
		res, err := st.Ingest(ctx, p, version, func(store.State) (store.Write, error) {
			return store.Write{Batch: store.Batch{Status: "committed", Source: "bench", Received: len(evs), Accepted: len(evs),
				Formats: map[string]int{}}, Events: evs}, nil
		})
		if err != nil {
			return n, err
		}
		version = res.Version
		n += len(evs)
	}
	return n, nil
}

// pageThrough reads GET /api/projects/:id/logs?q=word&limit=1000 page
// after page (at most SearchPages), timing each.
func pageThrough(ctx context.Context, cl *http.Client, base string, project cloudsage.ProjectID, token, word string) ([]time.Duration, int, error) {
	path := fmt.Sprintf("%s/api/projects/%d/logs?q=%s&limit=1000", base, project, url.QueryEscape(word))
	next := path
	var lat []time.Duration
	events := 0
	for range SearchPages {
		if ctx.Err() != nil {
			break
		}
		var page searchPage
		d, err := fetchPage(ctx, cl, next, token, &page)
		lat = append(lat, d)
		if err != nil {
			return lat, events, fmt.Errorf("search %q: %w", word, err)
		}
		events += len(page.Events)
		if page.NextCursor == "" {
			break
		}
		next = path + "&cursor=" + url.QueryEscape(page.NextCursor)
	}
	return lat, events, nil
}

// timedSearch times the store's SearchEvents calls: the search itself,
// apart from HTTP and JSON on both sides.
type timedSearch struct {
	store.Store
	mu  sync.Mutex
	lat []time.Duration
}

func (t *timedSearch) SearchEvents(ctx context.Context, q store.EventQuery) (store.EventPage, error) {
	t0 := time.Now()
	page, err := t.Store.SearchEvents(ctx, q)
	d := time.Since(t0)
	t.mu.Lock()
	t.lat = append(t.lat, d)
	t.mu.Unlock()
	return page, err
}

// reset returns the times so far and forgets them.
func (t *timedSearch) reset() []time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	lat := t.lat
	t.lat = nil
	return lat
}

// loadAverage is the machine's 1-minute load average ("n/a" where
// unknown): wall-clock latencies on a shared machine are read against it.
func loadAverage() string { return strings.Fields(loadAverages())[0] }

// searchPage is a page of GET /api/projects/:id/logs.
type searchPage struct {
	Events     []json.RawMessage `json:"events"`
	NextCursor string            `json:"next_cursor"`
}

// fetchPage reads one page with token into page and times it (request to
// the body decoded).
func fetchPage(ctx context.Context, cl *http.Client, url, token string, page *searchPage) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	t0 := time.Now()
	res, err := cl.Do(req)
	if err != nil {
		return 0, err
	}
	err = json.NewDecoder(res.Body).Decode(page)
	res.Body.Close()
	d := time.Since(t0)
	if res.StatusCode != 200 || err != nil {
		return d, fmt.Errorf("%d %v", res.StatusCode, err)
	}
	return d, nil
}

// quantiles are the p50 and p99 of ds in milliseconds.
func quantiles(ds []time.Duration) (p50, p99 float64) {
	if len(ds) == 0 {
		return 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	q := func(p float64) float64 {
		return float64(s[min(len(s)-1, int(p*float64(len(s))))].Microseconds()) / 1000
	}
	return q(0.5), q(0.99)
}
