package cluster_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/cluster"
	"github.com/cloudsage/cloudsage/internal/testenv"
	"github.com/cloudsage/cloudsage/internal/web/ui"
)

// namespace is a fresh deployment name, so tests never share keys.
func namespace() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func open(t *testing.T, url, ns string) *cluster.Redis {
	t.Helper()
	r, err := cluster.Open(context.Background(), url, ns, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// localAlways is a local limiter that always allows, so a test sees when
// the Redis one is bypassed.
type localAlways struct{ calls int }

func (l *localAlways) Allow(context.Context, string) (bool, time.Duration, error) {
	l.calls++
	return true, 0, nil
}

func (l *localAlways) Take(context.Context, string, int64, int64) (bool, time.Duration) {
	l.calls++
	return true, 0
}

func TestValidateURL(t *testing.T) {
	for _, u := range []string{"redis://127.0.0.1:6379/0", "rediss://user:pw@cache.example:6380/2", "redis://localhost"} {
		if err := cluster.ValidateURL(u); err != nil {
			t.Errorf("ValidateURL(%q) = %v, want nil", u, err)
		}
	}
	for _, u := range []string{"", "127.0.0.1:6379", "http://127.0.0.1:6379", "redis://", "redis://h:1/notadb", "redis://h:1/0?bogus=1"} {
		if err := cluster.ValidateURL(u); err == nil {
			t.Errorf("ValidateURL(%q) = nil, want an error", u)
		}
	}
}

func TestLimiterShared(t *testing.T) {
	srv := testenv.StartRedis(t)
	ns := namespace()
	a, b := open(t, srv.URL, ns), open(t, srv.URL, ns)
	la, lb := &localAlways{}, &localAlways{}
	ra, rb := cluster.NewLimiter(a, 3, time.Minute, la), cluster.NewLimiter(b, 3, time.Minute, lb)
	ctx := context.Background()
	allowed := 0
	for i := 0; i < 4; i++ {
		for _, l := range []*cluster.Limiter{ra, rb} {
			ok, wait, err := l.Allow(ctx, "ingest:1")
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				allowed++
			} else if wait <= 0 || wait > 20*time.Second {
				t.Errorf("refused with retry after %v, want about 20 s", wait)
			}
		}
	}
	if allowed != 3 || la.calls+lb.calls != 0 {
		t.Errorf("8 requests on two replicas with a shared limit of 3: %d allowed (local limiter used %d times), want 3 and 0", allowed, la.calls+lb.calls)
	}
	// Another key, and another deployment on the same Redis, have their own.
	if ok, _, _ := ra.Allow(ctx, "ingest:2"); !ok {
		t.Error("another project was limited")
	}
	other := cluster.NewLimiter(open(t, srv.URL, namespace()), 3, time.Minute, &localAlways{})
	if ok, _, _ := other.Allow(ctx, "ingest:1"); !ok {
		t.Error("another deployment's project 1 was limited by this one's")
	}
}

func TestBudgetDebt(t *testing.T) {
	srv := testenv.StartRedis(t)
	r := open(t, srv.URL, namespace())
	local := &localAlways{}
	b := cluster.NewBudget(r, 10, 1000, time.Second, local) // 10 lines and 1000 bytes a second, 1 s burst
	ctx := context.Background()
	// A batch larger than the burst goes through while there is budget ...
	if ok, _ := b.Take(ctx, "p", 100, 100); !ok {
		t.Fatal("a 100-line batch with a full 10-line budget was refused; want it let through, in debt")
	}
	// ... and its debt (90 lines) holds the next back for about 9 s.
	ok, wait := b.Take(ctx, "p", 1, 1)
	if ok || wait < 8*time.Second || wait > 10*time.Second {
		t.Errorf("after the debt: ok=%v wait=%v, want refused for about 9 s", ok, wait)
	}
	// Bytes are limited too.
	if ok, _ := b.Take(ctx, "q", 1, 5000); !ok {
		t.Fatal("first byte-heavy batch refused")
	}
	if ok, _ := b.Take(ctx, "q", 1, 1); ok {
		t.Error("a key 4000 bytes in debt was let through")
	}
	if local.calls != 0 {
		t.Errorf("local budget used %d times while Redis was up", local.calls)
	}
	// Unlimited dimensions cost nothing.
	free := cluster.NewBudget(r, 0, 0, time.Second, local)
	for i := 0; i < 3; i++ {
		if ok, _ := free.Take(ctx, "p", 1e6, 1e9); !ok {
			t.Fatal("an unlimited budget refused")
		}
	}
}

// TestRedisLoss: a replica that loses Redis falls back to its own limits
// at once, says so, and uses Redis again when it returns.
func TestRedisLoss(t *testing.T) {
	srv := testenv.StartRedis(t)
	r := open(t, srv.URL, namespace())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)
	local := &localAlways{}
	l := cluster.NewLimiter(r, 1, time.Minute, local)
	if ok, _, _ := l.Allow(ctx, "k"); !ok || r.Status().Status != "ok" || r.Status().Mode != "shared" {
		t.Fatalf("before the loss: status %+v", r.Status())
	}
	srv.Stop()
	ok, _, err := l.Allow(ctx, "k")
	if !ok || err != nil || local.calls != 1 {
		t.Errorf("first request after the loss: ok=%v err=%v local calls=%d, want served by the local limiter", ok, err, local.calls)
	}
	st := r.Status()
	if st.Status != "down" || st.Mode != "local" || st.Error == "" {
		t.Errorf("status after the loss = %+v, want down, local, with the error", st)
	}
	srv.Start()
	deadline := time.Now().Add(10 * time.Second)
	for r.Status().Status != "ok" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if st := r.Status(); st.Status != "ok" {
		t.Fatalf("status 10 s after Redis returned = %+v, want ok", st)
	}
	// The new Redis is empty: the key has its full limit there again, and
	// the second request is refused by Redis, not waved through locally.
	calls := local.calls
	first, _, _ := l.Allow(ctx, "k")
	second, _, _ := l.Allow(ctx, "k")
	if !first || second || local.calls != calls {
		t.Errorf("after recovery: %v then %v (local calls +%d), want true then false from Redis", first, second, local.calls-calls)
	}
}

// TestHubFanOut: an event published on one replica reaches the pages open
// on another once, and the other replica is told to drop its cache.
func TestHubFanOut(t *testing.T) {
	srv := testenv.StartRedis(t)
	ns := namespace()
	var mu sync.Mutex
	var remote []ui.Event
	ha := cluster.NewHub(open(t, srv.URL, ns), ui.NewBroker(), nil, nil)
	hb := cluster.NewHub(open(t, srv.URL, ns), ui.NewBroker(), func(e ui.Event) { mu.Lock(); remote = append(remote, e); mu.Unlock() }, nil)
	hc := cluster.NewHub(open(t, srv.URL, namespace()), ui.NewBroker(), nil, nil) // another deployment
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, h := range []*cluster.Hub{ha, hb, hc} {
		go h.Run(ctx)
	}
	const p = cloudsage.ProjectID(7)
	onA, stopA := ha.Subscribe(p)
	defer stopA()
	onB, stopB := hb.Subscribe(p)
	defer stopB()
	onC, stopC := hc.Subscribe(p)
	defer stopC()
	// The subscription is asynchronous: publish until B hears one.
	e := ui.Event{Type: ui.EventBatch, Project: p, Score: 42, Label: "medium", BatchID: 99}
	var got ui.Event
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	ha.Publish(e)
wait:
	for {
		select {
		case got = <-onB:
			break wait
		case <-tick.C:
			ha.Publish(e)
		case <-deadline:
			t.Fatal("replica B never received replica A's event")
		}
	}
	if got.BatchID != 99 || got.Score != 42 || got.Label != "medium" || got.Project != p {
		t.Errorf("B got %+v, want %+v", got, e)
	}
	select {
	case <-onA:
	case <-time.After(time.Second):
		t.Error("A's own page did not get A's event")
	}
	mu.Lock()
	n := len(remote)
	mu.Unlock()
	if n == 0 {
		t.Error("B's onRemote was not called")
	}
	// A does not get its own event back from Redis: after draining what
	// it published, nothing more arrives.
	time.Sleep(300 * time.Millisecond)
	for len(onA) > 0 {
		<-onA
	}
	hb.Publish(ui.Event{Type: ui.EventAction, Project: p, Action: "x", Status: "done"})
	select {
	case e := <-onA:
		if e.Type != ui.EventAction {
			t.Errorf("A got %+v, want B's action event", e)
		}
	case <-time.After(5 * time.Second):
		t.Error("A did not get B's event")
	}
	select {
	case e := <-onA:
		t.Errorf("A got a second event %+v: an event echoed back", e)
	case <-time.After(300 * time.Millisecond):
	}
	select {
	case e := <-onC:
		t.Errorf("another deployment's page got %+v", e)
	default:
	}
}
