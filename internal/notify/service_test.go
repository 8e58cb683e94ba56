package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/engine"
	"github.com/cloudsage/cloudsage/internal/ingest"
	"github.com/cloudsage/cloudsage/internal/notify"
	"github.com/cloudsage/cloudsage/internal/risk"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/store/postgres"
	"github.com/cloudsage/cloudsage/internal/store/sqlite"
	"github.com/cloudsage/cloudsage/internal/store/storetest"
)

// clock is a settable clock shared by the ingest service and the notifier.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// scripted is an ingest.Analyzer whose report says what the batch's one
// line says ("high 80"): it lets a test drive labels and flaps exactly.
// The engine itself is exercised by the web and cli tests.
type scripted struct {
	label string
	score float64
	at    time.Time
}

func (s *scripted) SetDefaultTime(t time.Time) { s.at = t }
func (s *scripted) AddLines(lines []string) []cloudsage.Event {
	f := strings.Fields(lines[len(lines)-1])
	s.label = f[0]
	s.score, _ = strconv.ParseFloat(f[1], 64)
	return []cloudsage.Event{{Time: s.at, Message: lines[0], Level: cloudsage.LevelInfo}}
}
func (s *scripted) Flush() []cloudsage.Event { return nil }
func (s *scripted) LastEventTime() time.Time { return s.at }
func (s *scripted) MarshalBinary() ([]byte, error) {
	return []byte(s.label + " " + strconv.FormatFloat(s.score, 'f', -1, 64)), nil
}
func (s *scripted) UnmarshalBinary(b []byte) error { return nil }
func (s *scripted) Analyze(at time.Time, h int) (ingest.Analysis, error) {
	rep := &engine.Report{At: at, Risk: engine.Risk{Score: s.score, Label: s.label, Top: []string{"error_rate"},
		Factors: []risk.Factor{{Name: "error_rate", Value: s.score / 100, Baseline: 0.01, Unit: "ratio", Status: s.label}}}}
	body, _ := json.Marshal(rep)
	return ingest.Analysis{Score: s.score, Label: s.label, Body: body, Report: rep}, nil
}

// rig is a project in a real store with the ingest service and a notifier.
type rig struct {
	t     testing.TB
	st    store.Store
	clk   *clock
	svc   *ingest.Service
	n     *notify.Service
	pr    store.Project
	opts  notify.Options
	guard *notify.Guard
	seq   int
}

func openSQLite(t *testing.T, path string) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newRig(t testing.TB, st store.Store, tz string) *rig {
	t.Helper()
	ctx := context.Background()
	u, err := st.CreateUser(ctx, store.User{Email: "ann@example.com", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	set := store.DefaultSettings()
	set.TimeZone = tz
	pr, err := st.CreateProject(ctx, u.ID, store.Project{Name: "shop", Settings: set})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, st: st, clk: &clock{t: time.Now().UTC().Truncate(time.Second)}, pr: pr}
	r.opts = notify.Options{BaseURL: "http://cs.test", RetryBase: 20 * time.Millisecond, RetryMax: 100 * time.Millisecond, Now: r.clk.Now}
	r.svc = ingest.NewService(st, func(store.Settings) (ingest.Analyzer, error) { return &scripted{}, nil }, r.clk.Now, nil)
	r.n = r.notifier()
	r.svc.SetNotifier(r.n)
	return r
}

func (r *rig) notifier() *notify.Service {
	return notify.New(r.st, notify.NewSender(r.guard, nil, r.clk.Now), r.opts)
}

// report ingests a batch whose report has label and score.
func (r *rig) report(label string, score float64) {
	r.t.Helper()
	r.seq++ // every body differs: the ingest service drops repeated bodies
	_, err := r.svc.Ingest(context.Background(), r.pr, ingest.Body{Lines: []string{fmt.Sprintf("batch %d", r.seq), fmt.Sprintf("%s %g", label, score)}, Source: "text"})
	if err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) channel(c store.Channel) store.Channel {
	r.t.Helper()
	c.ProjectID, c.Enabled = r.pr.ID, true
	c, err := r.st.CreateChannel(context.Background(), c, notify.DefaultRules())
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

func (r *rig) deliver() int {
	r.t.Helper()
	n, err := r.n.Deliver(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	return n
}

func (r *rig) history() []store.Notification {
	r.t.Helper()
	ns, err := r.st.Notifications(context.Background(), r.pr.ID, 1000)
	if err != nil {
		r.t.Fatal(err)
	}
	return ns
}

// receiver is a local webhook receiver that checks the signature of every
// call and can fail on purpose.
type receiver struct {
	t      *testing.T
	secret string
	now    func() time.Time // the senders' clock, for the signature's age
	mu     sync.Mutex
	calls  int
	fail   int // answer 500 to this many calls first
	status int // then answer this (default 200)
	got    []notify.WebhookBody
	srv    *httptest.Server
}

func newReceiver(t *testing.T, secret string) *receiver {
	rc := &receiver{t: t, secret: secret, status: 200, now: time.Now}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.calls++
	if err := notify.Verify(rc.secret, r.Header.Get(notify.SignatureHeader), body, rc.now(), 5*time.Minute); err != nil {
		rc.t.Errorf("receiver: %v", err)
		w.WriteHeader(400)
		return
	}
	if rc.fail > 0 {
		rc.fail--
		w.WriteHeader(500)
		return
	}
	var b notify.WebhookBody
	if err := json.Unmarshal(body, &b); err != nil {
		rc.t.Errorf("receiver: body %v: %s", err, body)
	}
	rc.got = append(rc.got, b)
	w.WriteHeader(rc.status)
}

func (rc *receiver) messages() []notify.WebhookBody {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]notify.WebhookBody(nil), rc.got...)
}

// TestOutboxInIngestTransaction: the rows are stored with the batch that
// caused them, and a failed batch leaves neither.
func TestOutboxInIngestTransaction(t *testing.T) {
	r := newRig(t, openSQLite(t, filepath.Join(t.TempDir(), "cs.db")), "UTC")
	rc := newReceiver(t, "k")
	rc.now = r.clk.Now
	r.channel(store.Channel{Type: notify.Webhook, Name: "hook", Target: rc.srv.URL, Secret: "k"})
	r.report("low", 10)
	if h := r.history(); len(h) != 0 {
		t.Fatalf("a low report queued %d notifications", len(h))
	}
	r.report("high", 85)
	h := r.history()
	if len(h) != 2 || h[0].Status != store.NotifyPending {
		t.Fatalf("after turning high: %+v", h)
	}
	// A batch that fails after planning stores no notification.
	bad := ingest.NewService(r.st, func(store.Settings) (ingest.Analyzer, error) { return &scripted{}, nil }, r.clk.Now, nil)
	bad.SetNotifier(failingAfterPlan{r.n})
	if _, err := bad.Ingest(context.Background(), r.pr, ingest.Body{Lines: []string{"failing batch", "low 5"}}); err == nil {
		t.Fatal("the failing notifier did not fail the batch")
	}
	if h := r.history(); len(h) != 2 {
		t.Errorf("a failed batch left %d notifications, want the 2 before it", len(h))
	}
	if n := r.deliver(); n != 1 {
		t.Fatalf("delivered %d messages, want 1 (two events grouped)", n)
	}
	msgs := rc.messages()
	if len(msgs) != 1 || msgs[0].Count != 2 || msgs[0].Events[0].URL != fmt.Sprintf("http://cs.test/projects/%d", r.pr.ID) {
		t.Fatalf("receiver got %+v", msgs)
	}
	for _, n := range r.history() {
		if n.Status != store.NotifySent || n.Attempts != 1 || n.Grouped != 2 || n.SentAt == nil {
			t.Errorf("history row %+v", n)
		}
	}
	if r.deliver() != 0 || len(rc.messages()) != 1 {
		t.Errorf("a second pass sent again")
	}
}

// failingAfterPlan plans normally, then fails the batch.
type failingAfterPlan struct{ n *notify.Service }

func (f failingAfterPlan) Plan(ctx context.Context, pr store.Project, prev []byte, rep *engine.Report) ([]byte, []store.Notification, error) {
	return nil, nil, fmt.Errorf("boom")
}

// TestRetryThenDeliveredOnce: a receiver failing three times gets the
// message on the fourth attempt, and only once.
func TestRetryThenDeliveredOnce(t *testing.T) {
	r := newRig(t, openSQLite(t, filepath.Join(t.TempDir(), "cs.db")), "UTC")
	rc := newReceiver(t, "k")
	rc.now = r.clk.Now
	rc.fail = 3
	r.channel(store.Channel{Type: notify.Webhook, Target: rc.srv.URL, Secret: "k"})
	r.report("high", 90)
	for i := 0; i < 20 && len(rc.messages()) == 0; i++ {
		r.deliver()
		r.clk.Add(time.Second) // past any backoff
	}
	r.clk.Add(time.Hour)
	r.deliver()
	if rc.calls != 4 || len(rc.messages()) != 1 {
		t.Fatalf("receiver calls %d, messages %d; want 4 calls, 1 message", rc.calls, len(rc.messages()))
	}
	for _, n := range r.history() {
		if n.Status != store.NotifySent || n.Attempts != 4 || n.LastError != "" {
			t.Errorf("history row %+v", n)
		}
	}
}

// TestPermanentAndRetryAfter: a 4xx stops at once; a 429 waits for its
// Retry-After.
func TestPermanentAndRetryAfter(t *testing.T) {
	r := newRig(t, openSQLite(t, filepath.Join(t.TempDir(), "cs.db")), "UTC")
	gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(404) }))
	defer gone.Close()
	calls := 0
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls++
		if calls == 1 {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(429)
		}
	}))
	defer busy.Close()
	a := r.channel(store.Channel{Type: notify.Slack, Name: "gone", Target: gone.URL})
	b := r.channel(store.Channel{Type: notify.Discord, Name: "busy", Target: busy.URL})
	r.report("high", 90)
	r.deliver()
	start := r.clk.Now()
	for _, n := range r.history() {
		switch n.ChannelID {
		case a.ID:
			if n.Status != store.NotifyFailed || n.Attempts != 1 || !strings.Contains(n.LastError, "404") {
				t.Errorf("404 channel: %+v", n)
			}
		case b.ID:
			if n.Status != store.NotifyPending || n.Held != "retry" || !n.NextAt.Equal(start.Add(120*time.Second)) {
				t.Errorf("429 channel: %+v (next at %s, want %s)", n, n.NextAt, start.Add(120*time.Second))
			}
		}
	}
	r.clk.Add(119 * time.Second)
	if r.deliver() != 0 || calls != 1 {
		t.Errorf("sent before Retry-After ran out")
	}
	r.clk.Add(time.Second)
	if r.deliver() != 1 || calls != 2 {
		t.Errorf("not sent when Retry-After ran out (calls %d)", calls)
	}
}

// TestQuietHoursDigest: outside a critical rule, what happens during quiet
// hours is held and sent as one digest when they end, in the project's
// time zone; a critical rule breaks through.
func TestQuietHoursDigest(t *testing.T) {
	r := newRig(t, openSQLite(t, filepath.Join(t.TempDir(), "cs.db")), "Asia/Tokyo")
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	now := r.clk.Now().In(tokyo)
	r.clk.t = time.Date(now.Year(), now.Month(), now.Day()+1, 23, 0, 0, 0, tokyo).UTC() // 23:00 in Tokyo
	rc := newReceiver(t, "k")
	rc.now = r.clk.Now
	c := r.channel(store.Channel{Type: notify.Webhook, Target: rc.srv.URL, Secret: "k", QuietStart: "22:00", QuietEnd: "07:00"})
	ctx := context.Background()
	if _, err := r.st.CreateRule(ctx, store.Rule{ProjectID: r.pr.ID, Kind: notify.KindScore, Name: "score 95", Params: store.RuleParams{Threshold: 95},
		Critical: true, Enabled: true, Channels: []store.ChannelID{c.ID}}); err != nil {
		t.Fatal(err)
	}
	r.report("high", 80) // label + incident: held
	r.deliver()
	r.clk.Add(30 * time.Minute)
	r.report("medium", 60)
	r.report("high", 82) // label again: held
	r.deliver()
	if len(rc.messages()) != 0 {
		t.Fatalf("sent during quiet hours: %+v", rc.messages())
	}
	for _, n := range r.history() {
		if n.Held != "quiet hours" || n.NextAt.In(tokyo).Hour() != 7 {
			t.Errorf("not held until 07:00 Tokyo: %+v (next %s)", n, n.NextAt.In(tokyo))
		}
	}
	r.clk.Add(10 * time.Minute)
	r.report("high", 97) // the critical rule breaks through
	r.deliver()
	if m := rc.messages(); len(m) != 1 || m[0].Count != 1 || m[0].Events[0].Kind != notify.KindScore {
		t.Fatalf("critical rule during quiet hours: %+v", m)
	}
	r.clk.t = time.Date(now.Year(), now.Month(), now.Day()+2, 7, 0, 0, 0, tokyo).UTC()
	r.deliver()
	m := rc.messages()
	if len(m) != 2 || m[1].Type != "digest" || m[1].Count != 3 {
		t.Fatalf("after quiet hours want one digest of 3, got %+v", m)
	}
	for _, n := range r.history() {
		if n.Status != store.NotifySent {
			t.Errorf("not sent after quiet hours: %+v", n)
		}
	}
}

// TestRateLimitGroupsFlaps: a flapping score sends one message, then one
// grouped message with the flaps when the hour's window rolls.
func TestRateLimitGroupsFlaps(t *testing.T) {
	r := newRig(t, openSQLite(t, filepath.Join(t.TempDir(), "cs.db")), "UTC")
	rc := newReceiver(t, "k")
	rc.now = r.clk.Now
	r.channel(store.Channel{Type: notify.Webhook, Target: rc.srv.URL, Secret: "k", MaxPerHour: 1})
	r.report("high", 80)
	r.deliver()
	for range 10 { // flaps: medium, high, medium, high, ...
		r.clk.Add(2 * time.Minute)
		r.report("medium", 65)
		r.clk.Add(2 * time.Minute)
		r.report("high", 72)
		r.deliver()
	}
	if m := rc.messages(); len(m) != 1 {
		t.Fatalf("within the hour sent %d messages, want 1", len(m))
	}
	r.clk.Add(time.Hour)
	r.deliver()
	m := rc.messages()
	if len(m) != 2 || m[1].Count != 10 {
		t.Fatalf("after the window want one grouped message of 10 flaps, got %d messages %+v", len(m), m)
	}
	for _, n := range r.history() {
		if n.Status != store.NotifySent {
			t.Errorf("left behind: %+v", n)
		}
	}
}

// TestRestartDelivers: a receiver that is down while the server stops
// (even mid-delivery, holding a lease) gets the message once after a
// restart on the same database.
func TestRestartDelivers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cs.db")
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, st, "UTC")
	rc := newReceiver(t, "k")
	rc.now = r.clk.Now
	target := rc.srv.URL
	rc.srv.Close() // down
	r.channel(store.Channel{Type: notify.Webhook, Target: target, Secret: "k"})
	r.report("high", 90)
	r.deliver() // fails: connection refused
	h := r.history()
	if h[0].Status != store.NotifyPending || h[0].Attempts != 1 || h[0].LastError == "" {
		t.Fatalf("after a refused connection: %+v", h[0])
	}
	// A worker claims the channel and dies before finishing.
	r.clk.Add(time.Second)
	if _, err := st.ClaimNotifications(context.Background(), "dead-worker", r.clk.Now(), 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	st.Close()

	// The receiver comes back; the server restarts on the same file.
	rc2 := newReceiver(t, "k")
	rc2.now = r.clk.Now
	rc2.srv.Close()
	rc2.srv = httptest.NewUnstartedServer(http.HandlerFunc(rc2.serve))
	ln, err := listenOn(target)
	if err != nil {
		t.Skipf("cannot listen again on %s: %v", target, err)
	}
	rc2.srv.Listener = ln
	rc2.srv.Start()
	defer rc2.srv.Close()
	r.st = openSQLite(t, path)
	r.n = r.notifier()
	if r.deliver() != 0 {
		t.Errorf("delivered while the dead worker's lease held")
	}
	r.clk.Add(2*time.Minute + time.Second)
	if r.deliver() != 1 {
		t.Errorf("not delivered after the lease ran out")
	}
	r.clk.Add(time.Hour)
	r.deliver()
	if m := rc2.messages(); len(m) != 1 || m[0].Count != 2 {
		t.Fatalf("after restart the receiver got %+v", m)
	}
}

// TestSkipLockedReplicas: two replicas on PostgreSQL deliver concurrently
// and every notification reaches the receiver exactly once.
func TestSkipLockedReplicas(t *testing.T) {
	url := storetest.PostgresSchema(t)
	ctx := context.Background()
	open := func() store.Store {
		st, err := postgres.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	r := newRig(t, open(), "UTC")
	var mu sync.Mutex
	seen := map[string]int{}
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var b notify.WebhookBody
		json.NewDecoder(req.Body).Decode(&b)
		time.Sleep(2 * time.Millisecond)
		mu.Lock()
		for _, e := range b.Events {
			seen[fmt.Sprintf("%s|%s", req.URL.Path, e.Title)]++
		}
		mu.Unlock()
	}))
	defer rcv.Close()
	const channels = 30
	for i := range channels {
		r.channel(store.Channel{Type: notify.Webhook, Target: fmt.Sprintf("%s/c%d", rcv.URL, i), Secret: "k"})
	}
	for i := range 3 { // 3 x (label + incident or label) per channel
		r.report("high", 80+float64(i))
		r.clk.Add(time.Minute)
		r.report("medium", 60)
		r.clk.Add(time.Minute)
	}
	want := len(r.history())
	if want != channels*4 {
		t.Fatalf("queued %d notifications, want %d", want, channels*4)
	}
	replicas := []*notify.Service{notify.New(r.st, notify.NewSender(nil, nil, r.clk.Now), r.opts), notify.New(open(), notify.NewSender(nil, nil, r.clk.Now), r.opts)}
	var wg sync.WaitGroup
	sent := make([]int, len(replicas))
	for i, n := range replicas {
		wg.Go(func() {
			var err error
			sent[i], err = n.Deliver(ctx)
			if err != nil {
				t.Errorf("replica %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	total := 0
	for k, n := range seen {
		total += n
		if n != 1 {
			t.Errorf("%s delivered %d times", k, n)
		}
	}
	if total != want {
		t.Errorf("receivers saw %d notifications, want %d", total, want)
	}
	if sent[0]+sent[1] != channels {
		t.Errorf("replicas sent %v messages, want %d in all (one per channel)", sent, channels)
	}
	t.Logf("messages per replica: %v", sent)
}

func listenOn(rawURL string) (net.Listener, error) {
	return net.Listen("tcp", strings.TrimPrefix(rawURL, "http://"))
}

// BenchmarkIngestWithNotifier: what planning adds to an ingest (a project
// with one channel and the default rules), against the same ingest without
// a notifier, on SQLite.
func BenchmarkIngestWithNotifier(b *testing.B) {
	for _, with := range []bool{false, true} {
		b.Run(fmt.Sprintf("notifier=%v", with), func(b *testing.B) {
			st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "cs.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			r := newRig(b, st, "UTC")
			if !with {
				r.svc = ingest.NewService(st, func(store.Settings) (ingest.Analyzer, error) { return &scripted{}, nil }, r.clk.Now, nil)
			}
			r.channel(store.Channel{Type: notify.Webhook, Target: "http://127.0.0.1:9/", Secret: "k"})
			labels := []string{"low 10", "medium 50"}
			b.ResetTimer()
			for i := range b.N {
				if _, err := r.svc.Ingest(context.Background(), r.pr, ingest.Body{Lines: []string{fmt.Sprint("batch ", i), labels[i%2]}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
