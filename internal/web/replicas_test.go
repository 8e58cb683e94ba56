package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/cluster"
	"github.com/cloudsage/cloudsage/internal/config"
	"github.com/cloudsage/cloudsage/internal/ingest"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/store/storetest"
	"github.com/cloudsage/cloudsage/internal/testenv"
	"github.com/cloudsage/cloudsage/internal/web"
)

// startReplica runs a server on st with Redis at redisURL, as `serve`
// wires it (the key namespace from the database's secret), with its
// background work (Redis probe, live fan-out) running.
func startReplica(t testing.TB, st store.Store, redisURL string, mod func(*config.Config)) *env {
	t.Helper()
	cfg := config.Default()
	if mod != nil {
		mod(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ns, err := st.Secret(ctx, "cluster-namespace", 8)
	if err != nil {
		t.Fatal(err)
	}
	rdb, err := cluster.Open(ctx, redisURL, cluster.Namespace(ns), nil)
	if err != nil {
		t.Fatal(err)
	}
	svc := ingest.NewService(st, ingest.NewEngine, time.Now, nil)
	srv, err := web.New(web.Options{Config: cfg, Store: st, Ingest: svc, Redis: rdb, StreamHeartbeat: 200 * time.Millisecond,
		Password: auth.Params{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { srv.RunBackground(ctx); close(done) }()
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.CloseLive()
		hs.Close()
		cancel()
		<-done
		rdb.Close()
	})
	return &env{t: t, url: hs.URL, store: st, srv: srv, skew: new(atomic.Int64)}
}

// on is c's login (cookie jar) and token used against replica e.
func (c *client) on(e *env) *client { return &client{e: e, hc: c.hc, token: c.token} }

// sseReader reads a text/event-stream: next returns the next event's type
// and data, or a comment as type ":".
type sseReader struct {
	t      *testing.T
	res    *http.Response
	events chan [2]string // closed at the end of the stream
	stop   context.CancelFunc
}

func openStream(t *testing.T, c *client, path string) (*sseReader, int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", c.e.url+path, nil)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := (&http.Client{Jar: c.hc.Jar}).Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	r := &sseReader{t: t, res: res, events: make(chan [2]string, 1024), stop: cancel}
	go func() {
		defer close(r.events)
		sc := bufio.NewScanner(res.Body)
		var ev, dat string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, ":"):
				r.events <- [2]string{":", line}
			case strings.HasPrefix(line, "event:"):
				ev = strings.TrimSpace(line[6:])
			case strings.HasPrefix(line, "data:"):
				dat = strings.TrimSpace(line[5:])
			case line == "" && ev != "":
				r.events <- [2]string{ev, dat}
				ev, dat = "", ""
			}
		}
	}()
	t.Cleanup(r.close)
	return r, res.StatusCode
}

func (r *sseReader) close() { r.stop(); r.res.Body.Close() }

// next returns the next event (or comment) within d; ok is false on
// timeout or at the end of the stream.
func (r *sseReader) next(d time.Duration) (typ, data string, ok bool) {
	select {
	case g, ok := <-r.events:
		return g[0], g[1], ok
	case <-time.After(d):
		return "", "", false
	}
}

// report waits for the "report" event of batch id.
func (r *sseReader) report(id float64, d time.Duration) (map[string]any, bool) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		typ, data, ok := r.next(time.Until(deadline))
		if !ok {
			return nil, false
		}
		if typ != "report" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(data), &m); err != nil {
			r.t.Fatalf("report data is not JSON: %v: %s", err, data)
		}
		if m["batch_id"] == id {
			return m, true
		}
	}
	return nil, false
}

// TestReplicas runs two servers on one PostgreSQL database and one Redis
// and checks they act as one service: a batch stored on A reaches a stream
// open on B, the ingest limit is shared, a lost Redis leaves each replica
// serving on its own limits and saying so, and its return is noticed.
func TestReplicas(t *testing.T) {
	rs := testenv.StartRedis(t)
	a, b := replicaPair(t, rs.URL, func(c *config.Config) { c.RateLimit = 6 })

	ann := a.user("ann")
	p := ann.project("shop")
	annB := ann.on(b)
	tok := ann.send("POST", "/api/projects/"+p+"/tokens", map[string]any{"name": "reader", "scopes": []string{"read"}})
	want(t, "read token", tok, 201)
	reader := &client{e: b, hc: &http.Client{Timeout: time.Minute}, token: fmt.Sprint(tok.json(t)["token"])}
	tok = ann.send("POST", "/api/projects/"+p+"/tokens", map[string]any{"name": "shipper", "scopes": []string{"ingest"}})
	want(t, "ingest token", tok, 201)
	shipper := &client{e: b, hc: &http.Client{Timeout: time.Minute}, token: fmt.Sprint(tok.json(t)["token"])}

	// Only a reader of the project may open its stream.
	if r, code := openStream(t, shipper, "/api/projects/"+p+"/stream"); code != 403 {
		t.Errorf("stream with an ingest-only token: status %d, want 403", code)
	} else {
		r.close()
	}
	if r, code := openStream(t, b.user("bob"), "/api/projects/"+p+"/stream"); code != 404 {
		t.Errorf("stream of another user's project: status %d, want 404", code)
	} else {
		r.close()
	}

	byToken, code := openStream(t, reader, "/api/projects/"+p+"/stream")
	bySession, code2 := openStream(t, annB, "/api/projects/"+p+"/stream")
	if code != 200 || code2 != 200 || byToken.res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("streams on B: %d and %d (%s), want 200 text/event-stream", code, code2, byToken.res.Header.Get("Content-Type"))
	}
	// Heartbeats are comments.
	if typ, line, ok := byToken.next(5 * time.Second); !ok || typ != ":" {
		t.Fatalf("first thing on the stream = %q %q, want a comment", typ, line)
	}

	// A batch stored on A reaches both streams on B, once subscribed:
	// the Redis subscription is asynchronous, so allow a few batches.
	var rep map[string]any
	sent := 0
	for i := 0; i < 3 && rep == nil; i++ {
		r := ann.text("/api/ingest/"+p, sampleLogs(40, fmt.Sprint("replicamark", i)))
		want(t, "ingest on A", r, 200)
		sent++
		id := r.json(t)["batch_id"].(float64)
		var ok bool
		if rep, ok = byToken.report(id, 5*time.Second); ok {
			if _, ok := bySession.report(id, 5*time.Second); !ok {
				t.Errorf("the session stream on B did not get batch %v", id)
			}
			risk := r.json(t)["risk"].(map[string]any)
			if rep["score"] != risk["score"] || rep["label"] != risk["label"] || fmt.Sprint(rep["project_id"]) != p {
				t.Errorf("report on B = %v, want the ingest answer's risk %v in project %s", rep, risk, p)
			}
		}
	}
	if rep == nil {
		t.Fatal("no batch ingested on A reached the stream open on B")
	}

	// The limit (6 a minute) is shared: 12 more requests over both
	// replicas are mostly refused, whichever replica they reach.
	okN := sent
	for i := 0; i < 6; i++ {
		for _, c := range []*client{ann, annB} {
			r := c.text("/api/ingest/"+p, fmt.Sprintf("level=info msg=\"burst %d on %s\"", i, c.e.url))
			switch r.code {
			case 200:
				okN++
			case 429:
				if r.hdr.Get("Retry-After") == "" {
					t.Error("429 without Retry-After")
				}
			default:
				t.Fatalf("burst: status %d: %s", r.code, r.body)
			}
		}
	}
	if okN > 7 { // 6, plus one token refilled if the machine is slow
		t.Errorf("%d requests accepted over two replicas with a shared limit of 6 a minute", okN)
	}

	// Readiness and status report the database and Redis apart.
	r := a.client().get("/readyz")
	want(t, "readyz", r, 200)
	m := r.json(t)
	if m["database"].(map[string]any)["status"] != "ok" || m["redis"].(map[string]any)["status"] != "ok" {
		t.Errorf("readyz = %s", r.body)
	}

	// Redis is lost: A keeps serving on its own limits and says so.
	rs.Stop()
	deadline := time.Now().Add(10 * time.Second)
	var st map[string]any
	for time.Now().Before(deadline) {
		st = ann.get("/api/status").json(t)
		if st["redis"].(map[string]any)["status"] == "down" {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if rd := st["redis"].(map[string]any); rd["status"] != "down" || rd["mode"] != "local" || st["status"] != "degraded" {
		t.Fatalf("status after Redis was lost = %v, want redis down, mode local, status degraded", st)
	}
	r = a.client().get("/readyz")
	want(t, "readyz without Redis", r, 200)
	if m := r.json(t); m["redis"].(map[string]any)["status"] != "down" || m["database"].(map[string]any)["status"] != "ok" {
		t.Errorf("readyz without Redis = %s", r.body)
	}
	want(t, "ingest on A without Redis (local limit)", ann.text("/api/ingest/"+p, "level=error msg=\"while redis is away\""), 200)

	// Redis returns: both replicas use it again, and the fan-out resumes.
	rs.Start()
	for _, e := range []*env{a, b} {
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) {
			if ann.on(e).get("/api/status").json(t)["redis"].(map[string]any)["status"] == "ok" {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if s := ann.on(e).get("/api/status").json(t); s["redis"].(map[string]any)["status"] != "ok" {
			t.Fatalf("status 15 s after Redis returned = %v", s)
		}
	}
	// B resubscribes within a second or two of Redis answering; until then
	// an event published on A reaches only A's pages.
	again, code := openStream(t, annB, "/api/projects/"+p+"/stream")
	if code != 200 {
		t.Fatalf("stream on B after Redis returned: status %d", code)
	}
	got := false
	var codes []int
	for i := 0; i < 5 && !got; i++ {
		r := ann.text("/api/ingest/"+p, fmt.Sprintf("level=error msg=\"after redis returned %d\"", i))
		codes = append(codes, r.code)
		if r.code != 200 {
			time.Sleep(time.Second)
			continue
		}
		_, got = again.report(r.json(t)["batch_id"].(float64), 3*time.Second)
	}
	if !got {
		t.Errorf("after Redis returned, no batch from A reached a stream on B (ingest answers %v)", codes)
	}
}

// TestReplicasForecastCache: replica B keeps a project's latest report in
// memory between reads; a batch stored on A reaches B's readers all the
// same (the Redis fan-out drops B's copy), and so does one stored on B.
func TestReplicasForecastCache(t *testing.T) {
	a, b := replicaPair(t, testenv.StartRedis(t).URL, nil)
	ann := a.user("ann")
	p := ann.project("shop")
	annB := ann.on(b)
	events := func(c *client) float64 {
		t.Helper()
		r := c.get("/api/forecast/" + p)
		want(t, "forecast", r, 200)
		n, _ := r.json(t)["events"].(float64)
		return n
	}
	wantEvents := func(c *client, n float64, what string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		got := events(c)
		for got != n && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			got = events(c)
		}
		if got != n {
			t.Fatalf("%s: forecast on %s counts %v events, want %v", what, c.e.url, got, n)
		}
	}
	want(t, "ingest on A", ann.text("/api/ingest/"+p, sampleLogs(30, "cachemark0")), 200)
	wantEvents(annB, 30, "first batch")
	wantEvents(annB, 30, "read again (from B's cache)")
	// The Redis subscription is asynchronous: once B has seen a batch from
	// A through it, every later one reaches B's cache too.
	want(t, "ingest on A", ann.text("/api/ingest/"+p, sampleLogs(20, "cachemark1")), 200)
	wantEvents(annB, 50, "a batch stored on A")
	for i, n := range []int{7, 5, 3} {
		want(t, "ingest on A", ann.text("/api/ingest/"+p, sampleLogs(n, fmt.Sprint("cachemark", 2+i))), 200)
		total := float64(50 + []int{7, 12, 15}[i])
		// No sleep-and-hope: B's answer must move within the fan-out's delay.
		wantEvents(annB, total, "a batch stored on A")
	}
	want(t, "ingest on B", annB.text("/api/ingest/"+p, sampleLogs(4, "cachemarkB")), 200)
	if n := events(annB); n != 69 {
		t.Errorf("right after a batch stored on B, B's forecast counts %v events, want 69", n)
	}
	wantEvents(ann, 69, "a batch stored on B, read on A")
}

// TestReplicasReadCache: replica B serves sessions, memberships and action
// statuses from memory, yet a sign-out, a revoked session or a removed
// member made through A stops working on B as soon as A's flush crosses
// Redis (polled, no sleep-and-hope), and the next reads on B see the new
// state.
func TestReplicasReadCache(t *testing.T) {
	a, b := replicaPair(t, testenv.StartRedis(t).URL, nil)
	ann := a.user("ann")
	p := ann.project("shop")
	want(t, "ingest on A", ann.text("/api/ingest/"+p, sampleLogs(30, "readcache")), 200)
	bob := a.user("bob")
	want(t, "bob joins", ann.send("PUT", "/api/projects/"+p+"/members", map[string]string{"email": "bob@example.com", "role": "viewer"}), 200)
	ann2 := a.client()
	want(t, "ann's second session", ann2.login("ann"), 200)
	ann3 := a.client()
	want(t, "ann's third session", ann3.login("ann"), 200)

	// Warm B's cache: each reads the forecast (and the page) twice.
	for _, c := range []*client{ann, bob, ann2, ann3} {
		for range 2 {
			want(t, "forecast on B", c.on(b).get("/api/forecast/"+p), 200)
			want(t, "page on B", c.on(b).get("/projects/"+p), 200)
		}
	}
	// until polls c's forecast on B until it answers code.
	until := func(what string, c *client, code int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		r := c.on(b).get("/api/forecast/" + p)
		for r.code != code && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			r = c.on(b).get("/api/forecast/" + p)
		}
		if r.code != code {
			t.Fatalf("%s: forecast on B answers %d, want %d: %.300s", what, r.code, code, r.body)
		}
	}

	// A member removed on A loses the project on B.
	var bobID string
	for _, m := range ann.get("/api/projects/" + p + "/members").json(t)["members"].([]any) {
		if m := m.(map[string]any); m["email"] == "bob@example.com" {
			bobID = fmt.Sprint(m["user_id"])
		}
	}
	want(t, "remove bob", ann.do("DELETE", "/api/projects/"+p+"/members/"+bobID, "", nil), 204)
	until("removed member", bob, 404)

	// A sign-out on A ends the session on B.
	want(t, "ann2 logs out on A", ann2.do("POST", "/api/auth/logout", "", nil), 200)
	until("signed-out session", ann2, 401)

	// Revoking the other sessions on A ends them on B; the one kept works.
	want(t, "revoke others on A", ann.send("POST", "/api/auth/sessions/revoke-others", nil), 200)
	until("revoked session", ann3, 401)
	want(t, "the kept session on B", ann.on(b).get("/api/forecast/"+p), 200)

	// An action marked done on A leaves B's forecast.
	f := ann.on(b).get("/api/forecast/" + p).json(t)
	acts, _ := f["actions"].([]any)
	if len(acts) == 0 {
		t.Skip("the sample's report has no action to mark done")
	}
	id := fmt.Sprint(acts[0].(map[string]any)["id"])
	want(t, "done on A", ann.send("POST", "/api/projects/"+p+"/actions/"+id, map[string]string{"status": "done"}), 200)
	deadline := time.Now().Add(10 * time.Second)
	for {
		f := ann.on(b).get("/api/forecast/" + p).json(t)
		if f["hidden_actions"] == float64(1) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s after an action was marked done on A, B's forecast hides %v actions, want 1", f["hidden_actions"])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// replicaPair starts two replicas on one fresh PostgreSQL schema and the
// Redis at redisURL.
func replicaPair(t *testing.T, redisURL string, mod func(*config.Config)) (a, b *env) {
	t.Helper()
	dsn := storetest.PostgresSchema(t)
	return startReplica(t, openPostgresAt(t, dsn), redisURL, mod), startReplica(t, openPostgresAt(t, dsn), redisURL, mod)
}
