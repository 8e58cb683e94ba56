package engine

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
)

func TestNormaliseRoute(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/v1/feed", "/v1/feed"},
		{"/v1/items/4242", "/v1/items/<*>"},
		{"/v1/search?q=shoes&page=2", "/v1/search"},
		{"/users/3f2b8c1e-9d4a-4b6f-8e2a-1c5d7e9f0a3b/orders", "/users/<*>/orders"},
		{"/blobs/deadbeefcafe0123", "/blobs/<*>"},
		{"/s/aZ9kQ2xL7mP4wR8t", "/s/<*>"},
		{"https://api.example.com/v2/users/17?x=1", "/v2/users/<*>"},
		{"/healthz", "/healthz"},
		{"/static/app.css", "/static/app.css"},
		{"/v1/orders/", "/v1/orders/"},
		{"/", "/"},
		{"*", ""},
		{"feed", ""},
	}
	for _, tt := range tests {
		if got := normaliseRoute(tt.in); got != tt.want {
			t.Errorf("normaliseRoute(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRouteKey(t *testing.T) {
	ev := func(format, msg string, status int, fields ...string) *cloudsage.Event {
		e := &cloudsage.Event{Format: format, Message: msg, Signals: cloudsage.Signals{Status: status}, Fields: map[string]string{}}
		for i := 0; i+1 < len(fields); i += 2 {
			e.Fields[fields[i]] = fields[i+1]
		}
		return e
	}
	tests := []struct {
		name string
		ev   *cloudsage.Event
		want string // "" when not keyed
	}{
		{"access 502", ev("access", "GET /v1/feed 502", 502, "method", "GET", "path", "/v1/feed"), "GET /v1/feed 502"},
		{"access 200 is a class", ev("access", "GET /v1/items/7 200", 200, "method", "GET", "path", "/v1/items/7"), "GET /v1/items/<*> 2xx"},
		{"access 404 exact", ev("access", "GET /x 404", 404, "method", "GET", "path", "/x"), "GET /x 404"},
		{"access 301 class", ev("access", "GET /x 301", 301, "method", "GET", "path", "/x"), "GET /x 3xx"},
		{"json request log", ev("json", "request completed", 503, "http.method", "post", "http.route", "/v1/pay"), "POST /v1/pay 503"},
		{"json with a sentence is mined", ev("json", "payment declined by the card provider", 502, "method", "POST", "route", "/v1/pay"), ""},
		{"no status", ev("json", "request", 0, "method", "GET", "route", "/x"), ""},
		{"no method", ev("json", "request served", 200, "route", "/x"), ""},
		{"not a method", ev("logfmt", "done", 200, "method", "rpc", "route", "/x"), ""},
		{"no route", ev("json", "done", 200, "method", "GET"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := newRouteKeys().key(tt.ev)
			if ok != (tt.want != "") || got != tt.want {
				t.Errorf("key(%s %q) = %q, %v, want %q", tt.ev.Format, tt.ev.Message, got, ok, tt.want)
			}
		})
	}
}

func TestRouteKeyCap(t *testing.T) {
	k := newRouteKeys()
	var last string
	for i := range maxRoutes + 5 {
		e := &cloudsage.Event{Format: "access", Signals: cloudsage.Signals{Status: 404},
			Fields: map[string]string{"method": "GET", "path": fmt.Sprintf("/probe/x%c%c", 'a'+i%26, 'a'+i/26)}}
		last, _ = k.key(e)
	}
	if want := "GET " + otherRoute + " 404"; last != want {
		t.Errorf("key past the route cap = %q, want %q", last, want)
	}
	if len(k.routes) != maxRoutes {
		t.Errorf("%d routes kept, want %d", len(k.routes), maxRoutes)
	}
	// a known route still gets its own key past the cap
	e := &cloudsage.Event{Format: "access", Signals: cloudsage.Signals{Status: 500}, Fields: map[string]string{"method": "GET", "path": "/probe/xaa"}}
	if got, _ := k.key(e); got != "GET /probe/xaa 500" {
		t.Errorf("known route past the cap = %q", got)
	}
}

func TestSplitKey(t *testing.T) {
	m, r, s, ok := splitKey("GET /v1/items/<*> 2xx")
	if !ok || m != "GET" || r != "/v1/items/<*>" || s != "2xx" {
		t.Errorf("splitKey = %q %q %q %v", m, r, s, ok)
	}
	for _, bad := range []string{"cache get failed", "GET", "FOO /x 500", "GET /x 5000"} {
		if _, _, _, ok := splitKey(bad); ok {
			t.Errorf("splitKey(%q) ok, want not a key", bad)
		}
	}
}

// The engine keeps one pattern per route and status, with exact counts.
func TestEngineHTTPPatterns(t *testing.T) {
	e := New(DefaultConfig())
	base := "192.168.0.1 - - [20/Nov/2026:17:%02d:00 +0000] \"%s %s HTTP/1.1\" %d 12 \"-\" \"curl\" 0.010"
	want := map[string]int64{}
	for i := range 60 {
		lines := []struct {
			method, path string
			status       int
			key          string
		}{
			{"GET", fmt.Sprintf("/v1/items/%d", i), 200, "GET /v1/items/<*> 2xx"},
			{"GET", "/v1/feed?page=2", 502, "GET /v1/feed 502"},
			{"POST", "/v1/feed", 200, "POST /v1/feed 2xx"},
		}
		for _, l := range lines {
			if l.status == 502 && i%3 != 0 {
				continue
			}
			e.AddLine(fmt.Sprintf(base, i, l.method, l.path, l.status))
			want[l.key]++
		}
	}
	e.Flush()
	got := map[string]int64{}
	for _, p := range e.miner.Patterns() {
		got[p.Template] = p.Count
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("pattern %q has %d lines, want %d (all: %v)", k, got[k], n, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d patterns, want %d: %v", len(got), len(want), got)
	}
	// restored from a snapshot, the same keys get the same ids and the route set is rebuilt
	snap, err := e.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	r := New(DefaultConfig())
	if err := r.UnmarshalBinary(snap); err != nil {
		t.Fatal(err)
	}
	if len(r.routes.routes) != len(e.routes.routes) {
		t.Errorf("restored %d routes, want %d", len(r.routes.routes), len(e.routes.routes))
	}
}

// The 5xx action of a burst on one route among healthy ones names that
// route, and its numbers are exactly the lines behind it, counted here
// from the log itself.
func TestHTTPBurstNumbers(t *testing.T) {
	lines := scenarioByName(t, "5xx_one_route_access_log").generate()
	e := New(DefaultConfig())
	for _, l := range lines {
		e.AddLine(l)
	}
	e.Flush()
	at := e.LastEventTime()
	r := e.Report(at, 24)
	from := at.Add(time.Second).Truncate(time.Second).Add(-e.Config().Risk.Window)
	re := regexp.MustCompile(`\[([^\]]+)\] "(GET|POST) (/api/orders/\d+) HTTP/1.1" (5\d\d) `)
	var recent, total int64
	for _, l := range lines {
		m := re.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		ts, err := time.Parse("02/Jan/2006:15:04:05 -0700", m[1])
		if err != nil {
			t.Fatal(err)
		}
		total++
		if !ts.Before(from) && !ts.After(at) {
			recent++
		}
	}
	for _, a := range r.Actions {
		if a.Key != "http_5xx_burst" {
			continue
		}
		if !strings.Contains(a.Title, "/api/orders/:id") {
			t.Errorf("5xx action %q does not name /api/orders/:id", a.Title)
		}
		if got := a.Evidence.Numbers["recent"]; got != float64(recent) {
			t.Errorf("5xx action recent = %v, want %d (the route's 5xx lines in the window)", got, recent)
		}
		if got := a.Evidence.Numbers["count"]; got != float64(total) {
			t.Errorf("5xx action count = %v, want %d (all the route's 5xx lines)", got, total)
		}
		if !strings.Contains(a.Title, fmt.Sprintf(": %d HTTP 5xx (", recent)) {
			t.Errorf("title %q does not say %d HTTP 5xx", a.Title, recent)
		}
		return
	}
	t.Fatalf("no http_5xx_burst action among %d", len(r.Actions))
}

// Spring Boot's "4242 --- [thread] class :" header is not part of any
// pattern: it is parsed as header.
func TestSpringBootTemplates(t *testing.T) {
	e := New(DefaultConfig())
	for _, l := range scenarioByName(t, "spring_boot_npe").generate() {
		e.AddLine(l)
	}
	e.Flush()
	found := false
	for _, p := range e.miner.Patterns() {
		if strings.Contains(p.Template, " --- ") {
			t.Errorf("template %q keeps the Spring Boot header", p.Template)
		}
		if strings.HasPrefix(p.Template, "Servlet.service() for servlet [dispatcherServlet] threw exception") {
			found = true
		}
	}
	if !found {
		t.Errorf("no pattern starts with the exception's message")
	}
}

func FuzzRouteKey(f *testing.F) {
	for _, s := range []string{"/v1/items/4242?x=1", "https://h/x/3f2b8c1e-9d4a-4b6f-8e2a-1c5d7e9f0a3b", "*", "", "/\xff/..", "//a//b/"} {
		f.Add("GET", s, 502)
	}
	f.Fuzz(func(t *testing.T, method, path string, status int) {
		k := newRouteKeys()
		ev := &cloudsage.Event{Format: "access", Signals: cloudsage.Signals{Status: status}, Fields: map[string]string{"method": method, "path": path}}
		key, ok := k.key(ev)
		if !ok {
			return
		}
		m, route, st, ok2 := splitKey(key)
		if !ok2 || m != strings.ToUpper(method) || !strings.HasPrefix(route, "/") && route != otherRoute || len(st) != 3 {
			t.Fatalf("key(%q %q %d) = %q does not split back (%q %q %q %v)", method, path, status, key, m, route, st, ok2)
		}
		if strings.ContainsAny(route, "?#") || len(route) > maxRouteLen+len(routeIDToken)+2 {
			t.Fatalf("route %q keeps a query or is too long", route)
		}
		if again, _ := k.key(ev); again != key {
			t.Fatalf("key not stable: %q then %q", key, again)
		}
	})
}
