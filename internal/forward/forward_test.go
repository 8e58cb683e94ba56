package forward

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/web/webtest"
)

// server is a real CloudSage server with one project and its API token.
type server struct {
	url, token string
	st         store.Store
	project    store.Project
}

func startServer(t *testing.T) *server {
	s := webtest.Start(t, "fwd")
	return &server{url: s.URL, token: s.Token, st: s.Store, project: s.Project}
}

// stored returns the messages of the project's events, in order.
func (s *server) stored(t *testing.T) []string {
	t.Helper()
	var out []string
	q := store.EventQuery{Project: s.project.ID, Limit: store.MaxEventLimit}
	for {
		page, err := s.st.SearchEvents(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			out = append(out, e.Message)
		}
		if page.NextCursor == "" {
			return out
		}
		q.Cursor = page.NextCursor
	}
}

func lines(from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "2026-01-02 03:04:05 INFO line %05d\n", i)
	}
	return b.String()
}

// wantLines checks every line from..to-1 is stored exactly once.
func wantLines(t *testing.T, s *server, n int) {
	t.Helper()
	seen := map[string]int{}
	for _, m := range s.stored(t) {
		seen[m]++
	}
	for i := range n {
		if c := seen[fmt.Sprintf("line %05d", i)]; c != 1 {
			t.Errorf("line %05d stored %d times", i, c)
		}
	}
	if len(seen) != n {
		t.Errorf("%d distinct lines stored, want %d", len(seen), n)
	}
}

func TestFileResumes(t *testing.T) {
	s := startServer(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	os.WriteFile(path, []byte(lines(0, 300)), 0o644)
	cfg := Config{URL: s.url, Token: s.token, Project: fmt.Sprint(s.project.ID), Path: path, StateFile: filepath.Join(dir, "state.json"), BatchSize: 4096}
	st, err := Run(context.Background(), cfg)
	if err != nil || st.Lines != 300 || st.Batches < 2 {
		t.Fatalf("first run: %+v %v", st, err)
	}
	// A restart sends nothing again, then only what was appended.
	if st, err = Run(context.Background(), cfg); err != nil || st.Lines != 0 {
		t.Fatalf("second run: %+v %v", st, err)
	}
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(lines(300, 310))
	f.Close()
	if st, err = Run(context.Background(), cfg); err != nil || st.Lines != 10 {
		t.Fatalf("after append: %+v %v", st, err)
	}
	wantLines(t, s, 310)

	// A wrong token or project is refused for good, not retried.
	bad := cfg
	bad.Token, bad.StateFile = "cs_wrong", ""
	if _, err := Run(context.Background(), bad); !IsFatal(err) {
		t.Errorf("wrong token: %v, want a fatal refusal", err)
	}
	bad = cfg
	bad.Project, bad.StateFile = "999", ""
	if _, err := Run(context.Background(), bad); !IsFatal(err) || !strings.Contains(err.Error(), "403") {
		t.Errorf("other project: %v, want a 403 refusal", err)
	}
}

func TestStdin(t *testing.T) {
	s := startServer(t)
	st, err := Run(context.Background(), Config{URL: s.url, Token: s.token, Path: "-", In: strings.NewReader(lines(0, 50) + "2026-01-02 03:04:05 INFO line 00050")})
	if err != nil || st.Lines != 51 {
		t.Fatalf("stdin: %+v %v", st, err)
	}
	wantLines(t, s, 51)
}

// Following a file across a rename rotation, a truncation and a restart
// stores every line exactly once.
func TestFollowRotation(t *testing.T) {
	s := startServer(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	os.WriteFile(path, []byte(lines(0, 100)), 0o644)
	cfg := Config{URL: s.url, Token: s.token, Path: path, StateFile: filepath.Join(dir, "state.json"), Follow: true, Logf: t.Logf,
		Poll: 10 * time.Millisecond, BatchWait: 20 * time.Millisecond}
	run := func() (stop func() Stats) {
		ctx, cancel := context.WithCancel(context.Background())
		var st Stats
		var err error
		var wg sync.WaitGroup
		wg.Go(func() { st, err = Run(ctx, cfg) })
		return func() Stats {
			cancel()
			wg.Wait()
			if err != nil {
				t.Fatalf("follow: %v", err)
			}
			return st
		}
	}
	waitFor := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if len(s.stored(t)) >= n {
				return
			}
		}
		t.Fatalf("stored %d lines, want %d", len(s.stored(t)), n)
	}
	appendTo := func(p, text string) {
		f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(text)
		f.Close()
	}
	stop := run()
	waitFor(100)
	appendTo(path, lines(100, 150)+"2026-01-02 03:04:05 INFO line 0015") // a half-written line
	time.Sleep(50 * time.Millisecond)
	appendTo(path, "0\n"+lines(151, 160))
	os.Rename(path, path+".1") // logrotate's create mode
	appendTo(path+".1", lines(160, 170))
	appendTo(path, lines(170, 200))
	waitFor(200)
	stop()

	// Stopped: the file is rotated again, and written to, before the restart.
	appendTo(path, lines(200, 220))
	os.Rename(path, path+".1")
	appendTo(path, lines(220, 240))
	stop = run()
	waitFor(240)
	stop()
	wantLines(t, s, 240)
}

func TestRetries(t *testing.T) {
	var calls atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			w.Header().Set("Retry-After", "7")
			http.Error(w, `{"error":"slow down"}`, http.StatusTooManyRequests)
		case 2:
			http.Error(w, `{"error":"store unavailable"}`, http.StatusServiceUnavailable)
		default:
			w.Write([]byte(`{}`))
		}
	}))
	defer hs.Close()
	var slept []time.Duration
	cfg := Config{URL: hs.URL, Token: "t", Path: "-", In: strings.NewReader("a\nb\n"), sleep: func(d time.Duration) bool { slept = append(slept, d); return true }}
	st, err := Run(context.Background(), cfg)
	if err != nil || st.Lines != 2 || st.Retries != 2 || calls.Load() != 3 {
		t.Fatalf("retries: %+v %v (%d calls)", st, err, calls.Load())
	}
	if len(slept) != 2 || slept[0] != 7*time.Second || slept[1] < 500*time.Millisecond || slept[1] > 700*time.Millisecond {
		t.Errorf("waits = %v, want Retry-After 7s then a ~500ms backoff", slept)
	}
	if d := parseRetryAfter(time.Unix(100, 0).UTC().Format(http.TimeFormat), time.Unix(90, 0)); d != 10*time.Second {
		t.Errorf("Retry-After as a date = %v", d)
	}
}

// Lines that repeat without timestamps (a heartbeat) are occurrences, not
// retries: every batch of them is stored, each under its own
// Idempotency-Key, even when two batches hold the same bytes.
func TestUntimedRepeatsAllStored(t *testing.T) {
	s := startServer(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "beat.log")
	os.WriteFile(path, []byte(strings.Repeat("heartbeat ok\n", 6)), 0o644)
	cfg := Config{URL: s.url, Token: s.token, Path: path, StateFile: filepath.Join(dir, "state.json"), BatchSize: 26}
	st, err := Run(context.Background(), cfg)
	if err != nil || st.Batches != 3 || st.Lines != 6 {
		t.Fatalf("run: %+v %v; want 3 batches of 2 lines", st, err)
	}
	if got := s.stored(t); len(got) != 6 {
		t.Errorf("stored %d events of 6 heartbeat lines: %q", len(got), got)
	}
}
