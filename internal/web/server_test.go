package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/config"
	"github.com/cloudsage/cloudsage/internal/ingest"
	"github.com/cloudsage/cloudsage/internal/mail"
	"github.com/cloudsage/cloudsage/internal/notify"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/store/postgres"
	"github.com/cloudsage/cloudsage/internal/store/sqlite"
	"github.com/cloudsage/cloudsage/internal/store/storetest"
	"github.com/cloudsage/cloudsage/internal/web"
)

// env is a running server and its store.
type env struct {
	t      testing.TB
	url    string
	store  store.Store
	srv    *web.Server
	skew   *atomic.Int64 // added to the server's clock (advance)
	notify *notify.Service
}

// now is the server's clock.
func (e *env) now() time.Time { return time.Now().Add(time.Duration(e.skew.Load())) }

// advance moves the server's clock on by d.
func (e *env) advance(d time.Duration) { e.skew.Add(int64(d)) }

func openSQLite(t *testing.T) store.Store {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "cloudsage.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func openPostgres(t *testing.T) store.Store {
	return openPostgresAt(t, storetest.PostgresSchema(t))
}

// openPostgresAt opens the PostgreSQL store at dsn, closed when the test ends.
func openPostgresAt(t testing.TB, dsn string) store.Store {
	t.Helper()
	db, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// start runs the real server (real engine, real store) on a loopback port.
func start(t *testing.T, st store.Store, mod func(*config.Config)) *env {
	t.Helper()
	return startOn(t, nil, st, mod)
}

// startOn is start on ln (nil: a new loopback port), for a test that needs
// the server's URL before it starts (an identity provider's redirect URI).
func startOn(t *testing.T, ln net.Listener, st store.Store, mod func(*config.Config)) *env {
	t.Helper()
	cfg := config.Default()
	cfg.RateLimit = 1000
	if mod != nil {
		mod(&cfg)
	}
	svc := ingest.NewService(st, ingest.NewEngine, time.Now, nil)
	e := &env{t: t, store: st, skew: new(atomic.Int64)}
	var mailer *mail.Sender // email channels and invitation mail, when a test sets an SMTP server
	if cfg.SMTPHost != "" {
		mailer = mail.New(cfg.Mail())
	}
	nt := notify.New(st, notify.NewSender(&notify.Guard{DenyPrivate: cfg.WebhookDenyPrivate}, mailer, time.Now), notify.Options{BaseURL: "http://cloudsage.test"})
	svc.SetNotifier(nt)
	e.notify = nt
	srv, err := web.New(web.Options{Config: cfg, Store: st, Ingest: svc, Now: e.now, Notify: nt, Password: auth.Params{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(srv)
	if ln != nil {
		hs.Listener.Close()
		hs.Listener = ln
	}
	hs.Start()
	t.Cleanup(hs.Close)
	e.url, e.srv = hs.URL, srv
	return e
}

// client is a user's HTTP client with a cookie jar.
type client struct {
	e     *env
	hc    *http.Client
	token string
}

type resp struct {
	code int
	hdr  http.Header
	body []byte
}

func (r resp) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("answer is not a JSON object: %v: %.300s", err, r.body)
	}
	return m
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, hc: &http.Client{Jar: jar, Timeout: 60 * time.Second}}
}

func (c *client) do(method, path, ctype string, body io.Reader, hdr ...string) resp {
	c.e.t.Helper()
	req, err := http.NewRequest(method, c.e.url+path, body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, b}
}

func (c *client) get(path string) resp { return c.do("GET", path, "", nil) }

func (c *client) send(method, path string, v any) resp {
	b, _ := json.Marshal(v)
	return c.do(method, path, "application/json", bytes.NewReader(b))
}

func (c *client) text(path, body string) resp {
	return c.do("POST", path, "text/plain", strings.NewReader(body))
}

func want(t testing.TB, what string, r resp, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("%s: status %d, want %d: %.400s", what, r.code, code, r.body)
	}
	if code >= 400 {
		var m map[string]any
		if err := json.Unmarshal(r.body, &m); err != nil || m["error"] == nil || m["error"] == "" {
			t.Fatalf("%s: error answer is not JSON {\"error\": ...}: %.300s", what, r.body)
		}
	}
}

// user registers and returns a logged-in client.
func (e *env) user(name string) *client {
	e.t.Helper()
	c := e.client()
	cred := map[string]string{"email": name + "@example.com", "password": "a long passphrase for " + name}
	r := c.send("POST", "/api/auth/register", cred)
	want(e.t, "register "+name, r, http.StatusCreated)
	r = c.send("POST", "/api/auth/login", cred)
	want(e.t, "login "+name, r, http.StatusOK)
	return c
}

func (c *client) project(name string) string {
	c.e.t.Helper()
	r := c.send("POST", "/api/projects", map[string]string{"name": name})
	want(c.e.t, "create project", r, http.StatusCreated)
	return fmt.Sprint(r.json(c.e.t)["id"])
}

// sampleLogs returns n lines over the last hour: access logs, app logs, errors.
func sampleLogs(n int, marker string) string {
	var sb strings.Builder
	now := time.Now().UTC()
	for i := range n {
		t := now.Add(-time.Hour + time.Duration(i)*time.Hour/time.Duration(n))
		switch i % 4 {
		case 0:
			fmt.Fprintf(&sb, "10.0.0.%d - - [%s] \"GET /api/items/%d HTTP/1.1\" %d 512 \"-\" \"curl\" 0.%03d\n", i%250, t.Format("02/Jan/2006:15:04:05 -0700"), i, []int{200, 200, 503}[i%3], i%900)
		case 1:
			fmt.Fprintf(&sb, "%s INFO [worker] job %d finished %s\n", t.Format("2006-01-02 15:04:05.000"), i, marker)
		case 2:
			fmt.Fprintf(&sb, "{\"time\":%q,\"level\":\"ERROR\",\"msg\":\"db timeout after %dms\",\"service\":\"api\"}\n", t.Format(time.RFC3339Nano), 100+i)
		default:
			fmt.Fprintf(&sb, "ts=%s level=warn msg=\"slow request\" route=/checkout took=%dms\n", t.Format(time.RFC3339Nano), 500+i)
		}
	}
	return sb.String()
}

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func TestSweepEnforcesRetention(t *testing.T) {
	st := openSQLite(t)
	e := start(t, st, nil)
	ann := e.user("ann")
	p := ann.project("shop")
	old := time.Now().Add(-40 * 24 * time.Hour).UTC()
	lines := fmt.Sprintf("%s ERROR ancient failure\n%s INFO fresh line\n", old.Format("2006-01-02 15:04:05"), time.Now().UTC().Format("2006-01-02 15:04:05"))
	want(t, "ingest", ann.text("/api/ingest/"+p, lines), 200)
	e.srv.Sweep(context.Background())
	r := ann.get("/api/projects/" + p + "/logs")
	evs := r.json(t)["events"].([]any)
	if len(evs) != 1 || !strings.Contains(fmt.Sprint(evs[0]), "fresh line") {
		t.Errorf("after retention sweep: %s, want only the fresh line", r.body)
	}
}
