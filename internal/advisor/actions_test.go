package advisor

import (
	"strings"
	"testing"
	"time"
)

func TestActivityText(t *testing.T) {
	e := &env{window: 15 * time.Minute, beforeSpan: 24 * time.Hour, in: Input{At: at}}
	tests := []struct {
		name string
		a    aggregate
		want string
	}{
		{"new", aggregate{recent: 1204}, "1,204 'x' errors in 15 min, none in the 24 h before"},
		{"surge", aggregate{recent: 100, before: 96}, "100 'x' errors in 15 min, ×100 the rate of the 24 h before (96)"},
		{"usual", aggregate{recent: 10, before: 960}, "10 'x' errors in 15 min, about the usual rate (960 in the 24 h before)"},
		{"lower", aggregate{recent: 1, before: 960}, "1 'x' errors in 15 min, below the rate of the 24 h before (960)"},
		{"earlier", aggregate{count: 40, last: at.Add(-3 * time.Hour)}, "40 'x' errors earlier (last 11:30 UTC), none in the last 15 min"},
	}
	for _, tt := range tests {
		a := tt.a
		a.surge, a.fresh = e.surge(a.recent, a.before)
		p := map[string]string{"kind": "errors", "phrase": "'x'", "last_seen": fmtTime(a.last, at)}
		p["change"] = changeText(e, a)
		if got := activityText(e, a, p); got != tt.want {
			t.Errorf("%s: activityText = %q, want %q", tt.name, got, tt.want)
		}
	}
	short := &env{window: 15 * time.Minute}
	if got := changeText(short, aggregate{recent: 5}); got != "no earlier history to compare" {
		t.Errorf("changeText without history = %q", got)
	}
}

func TestGroupByRoute(t *testing.T) {
	in := input(72, factors(),
		pat("a", `"GET /api/cart HTTP/1.1" 503 <*>`, 300, 0, 300, `"GET /api/cart HTTP/1.1" 503 1`),
		pat("b", `"POST /api/pay HTTP/1.1" 500 <*>`, 200, 0, 200, `"POST /api/pay HTTP/1.1" 500 1`),
		pat("c", `"GET /api/cart HTTP/1.1" 502 <*>`, 50, 0, 50, `"GET /api/cart HTTP/1.1" 502 1`))
	res := Advise(in, nil)
	routes := map[string]string{}
	for _, a := range res.Actions {
		if a.Key == "http_5xx_burst" {
			routes[a.ID] = a.Title
		}
	}
	if len(routes) != 2 {
		t.Fatalf("want one 5xx action per route (2), got %d: %s", len(routes), describe(res.Actions))
	}
	var cart string
	for _, title := range routes {
		if strings.Contains(title, "/api/cart") {
			cart = title
		}
	}
	if !strings.Contains(cart, "350") {
		t.Errorf("cart action %q should add both cart patterns (350)", cart)
	}
}

func TestPriorities(t *testing.T) {
	tests := []struct {
		name string
		in   Input
		want string // priority of the first action
	}{
		{"critical chain, strong user-facing evidence", input(85, factors(), pat("db", "too many clients", 2000, 0, 2000)), "critical"},
		{"standard chain never says critical", input(30, factors(), pat("db", "too many clients", 2000, 0, 2000)), "high"},
		{"weak old evidence", input(20, factors(), func() PatternStat {
			p := pat("db", "too many clients", 0, 0, 1)
			p.Count = 1
			return p
		}()), "low"},
	}
	for _, tt := range tests {
		res := Advise(tt.in, nil)
		if got := res.Actions[0].Priority; got != tt.want {
			t.Errorf("%s: priority = %s, want %s: %s", tt.name, got, tt.want, describe(res.Actions))
		}
	}
	// At most two criticals, however many signatures fire.
	many := input(95, factors(),
		pat("a", "too many clients", 900, 0, 900), pat("b", "x509: certificate has expired", 900, 0, 900),
		pat("c", "No space left on device", 900, 0, 900), pat("d", "OOMKilled", 900, 0, 900))
	n := 0
	for _, a := range Advise(many, nil).Actions {
		if a.Priority == "critical" {
			n++
		}
	}
	if n > maxCritical {
		t.Errorf("%d critical actions, want at most %d", n, maxCritical)
	}
}

func TestEvidence(t *testing.T) {
	p := pat("db", "too many clients", 50, 0, 50, "s1", "s2", "s3")
	q := pat("db2", "remaining connection slots are reserved", 40, 0, 40, "t1", "s1")
	res := Advise(input(75, factors(), p, q), nil)
	a := res.Actions[0]
	if a.Key != "db_pool_exhaustion" {
		t.Fatalf("first = %s", a.Key)
	}
	if got := strings.Join(a.Evidence.Samples, ","); got != "s3,s1,s2" {
		t.Errorf("samples = %s, want the newest of each pattern first, no duplicates: s3,s1,s2", got)
	}
	if len(a.Evidence.Patterns) != 2 || a.Evidence.Patterns[0] != "db" {
		t.Errorf("patterns = %v, want [db db2]", a.Evidence.Patterns)
	}
	if a.Evidence.Numbers["recent"] != 90 || a.Evidence.Numbers["errors"] != 90 {
		t.Errorf("numbers = %v, want recent 90, errors 90", a.Evidence.Numbers)
	}
}

func TestDemote(t *testing.T) {
	for in, want := range map[string]string{"critical": "high", "high": "medium", "medium": "low", "low": "low"} {
		if got := demote(in); got != want {
			t.Errorf("demote(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestPreference(t *testing.T) {
	prefs := map[string]float64{"a": 2, "b": -1, "c": 100}
	for key, want := range map[string]float64{"a": 2, "b": 0, "c": 10, "missing": 1} {
		if got := preference(prefs, key); got != want {
			t.Errorf("preference(%s) = %v, want %v", key, got, want)
		}
	}
	if got := preference(nil, "a"); got != 1 {
		t.Errorf("preference(nil) = %v, want 1", got)
	}
}

func TestStatusesOfAGroup(t *testing.T) {
	in := input(72, factors(),
		pat("a", "GET /v1/feed 502", 30, 0, 30, `"GET /v1/feed HTTP/1.1" 502 1`),
		pat("b", "POST /v1/feed 503", 20, 0, 20, `"POST /v1/feed HTTP/1.1" 503 1`))
	in.Patterns[0].Fields = map[string]string{"route": "/v1/feed", "status": "502"}
	in.Patterns[1].Fields = map[string]string{"route": "/v1/feed", "status": "503"}
	res := Advise(in, nil)
	for _, a := range res.Actions {
		if a.Key != "http_5xx_burst" {
			continue
		}
		// 50 lines are 502s and 503s: the title must not call them all 502
		if want := "Fix the 5xx responses on /v1/feed: 50 HTTP 5xx (502, 503) errors"; !strings.HasPrefix(a.Title, want) {
			t.Errorf("title = %q, want it to start %q", a.Title, want)
		}
		return
	}
	t.Fatalf("no 5xx action: %s", describe(res.Actions))
}

func TestCollapseStatuses(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{[]string{"HTTP 502"}, "HTTP 502"},
		{[]string{"HTTP 503", "HTTP 500"}, "HTTP 5xx (500, 503)"},
		{[]string{"HTTP 503", "HTTP 404"}, "HTTP errors (404, 503)"},
		{[]string{"'redis'", "HTTP 503", "HTTP 500"}, "HTTP 5xx (500, 503)|'redis'"},
	}
	for _, tt := range tests {
		if got := strings.Join(collapseStatuses(tt.in), "|"); got != tt.want {
			t.Errorf("collapseStatuses(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A symptom (latency up, 5xx on a route) ranks below the cause the logs
// show in the same window, and names it; without a cause it keeps its rank.
func TestSymptomsFollowCauses(t *testing.T) {
	lat := FactorState{Name: "latency", Weight: 20, Points: 20, Value: 900, Baseline: 110, Unit: "ms", Status: "high"}
	cache := pat("c", "dial tcp <*> i/o timeout", 120, 100, 120, "dial tcp 10.1.0.7:6379: i/o timeout")
	rank := func(acts []Action, key string) int {
		for i, a := range acts {
			if a.Key == key {
				return i
			}
		}
		return -1
	}
	res := Advise(input(75, factors(lat), cache), nil)
	c, l := rank(res.Actions, "cache_outage"), rank(res.Actions, "latency_regression")
	if c < 0 || l < 0 || c > l {
		t.Fatalf("cache at %d, latency at %d; want the cause first: %s", c, l, describe(res.Actions))
	}
	if title := res.Actions[l].Title; !strings.Contains(title, "cache") {
		t.Errorf("latency title %q does not name the cache", title)
	}
	// the same latency with no cause in the logs is the top action
	res = Advise(input(75, factors(lat)), nil)
	if rank(res.Actions, "latency_regression") != 0 {
		t.Errorf("latency alone: %s; want it first", describe(res.Actions))
	}
	// a cause that is not changing (usual rate) explains nothing
	steady := pat("c", "dial tcp <*> i/o timeout", 1, 96, 97, "dial tcp 10.1.0.7:6379: i/o timeout")
	res = Advise(input(75, factors(lat), steady), nil)
	if l := rank(res.Actions, "latency_regression"); l != 0 || strings.Contains(res.Actions[0].Title, "cache") {
		t.Errorf("latency with a steady cache error: %s; want it first, naming no cause", describe(res.Actions))
	}
}
