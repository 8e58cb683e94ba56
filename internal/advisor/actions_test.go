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
	// 5xx on two routes and nothing that tells them apart: one symptom, one
	// action led by the busiest route (both its patterns: 350), the other
	// route a step inside it
	var acts []Action
	for _, a := range res.Actions {
		if a.Key == "http_5xx_burst" {
			acts = append(acts, a)
		}
	}
	if len(acts) != 1 {
		t.Fatalf("want one 5xx action, got %d: %s", len(acts), describe(res.Actions))
	}
	if a := acts[0]; !strings.Contains(a.Title, "/api/cart") || !strings.Contains(a.Title, "350") ||
		len(a.Steps) != 1 || !strings.Contains(a.Steps[0].Title, "/api/pay") {
		t.Errorf("5xx action %q steps %+v; want /api/cart (350) with /api/pay as a step", a.Title, a.Steps)
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

// A symptom (latency up, 5xx on a route) the logs show a cause for in the
// same window is one problem with it: a step inside the cause's action,
// naming the cause; without a cause it is an action of its own and keeps
// its rank.
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
	if c != 0 || l >= 0 {
		t.Fatalf("cache at %d, latency at %d; want the cause first and latency inside it: %s", c, l, describe(res.Actions))
	}
	a := res.Actions[0]
	if len(a.Steps) == 0 || a.Steps[0].Key != "latency_regression" || !strings.Contains(a.Steps[0].Title, "cache") {
		t.Errorf("cache action steps %+v; want the latency step naming the cache", a.Steps)
	}
	if _, ok := a.Evidence.Numbers["latency_value"]; !ok {
		t.Errorf("cache action evidence %v lacks the latency it explains", a.Evidence.Numbers)
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

// Actions that share their evidence are one problem: one action, the
// others' steps inside it, so the top three are three problems.
func TestOneActionPerProblem(t *testing.T) {
	pool := pat("p", "pq: sorry, too many clients already", 300, 0, 300, "ERROR pq: sorry, too many clients already")
	oom := pat("o", "Out of memory: Killed process <*> (java)", 12, 0, 12, "kernel: Out of memory: Killed process 4242 (java) total-vm:8123456kB")
	disk := pat("d", "No space left on device", 40, 0, 40, "OSError: [Errno 28] No space left on device: '/var/tmp'")
	res := Advise(input(80, factors(), pool, oom, disk), nil)
	seen := map[string]string{}
	for i, a := range res.Actions {
		for _, id := range a.Evidence.Patterns {
			if k, dup := seen[string(id)]; dup {
				t.Errorf("action %d (%s) shares pattern %s with %s: %s", i+1, a.Key, id, k, describe(res.Actions))
			}
			seen[string(id)] = a.Key
		}
	}
	keys := map[string]int{}
	for _, a := range res.Actions {
		keys[a.Key]++
	}
	for k, n := range keys {
		if n > 1 {
			t.Errorf("%d actions of %s: %s", n, k, describe(res.Actions))
		}
	}
	if len(res.Actions) < 3 {
		t.Errorf("%d actions, want at least 3", len(res.Actions))
	}
}

// An action names a host only when one dominates the lines behind it, and
// then that one; otherwise it lists the hosts with their counts. The
// latest sample's host field (whoever logged last) never decides.
func TestHostNamedOnlyWhenDominant(t *testing.T) {
	oom := func(hosts map[string]int64) PatternStat {
		p := pat("o", "java.lang.OutOfMemoryError: Java heap space", 15, 0, 15, "ERROR java.lang.OutOfMemoryError: Java heap space")
		p.Fields = map[string]string{"host": "api-2"}
		p.Hosts = hosts
		return p
	}
	find := func(acts []Action) Action {
		for _, a := range acts {
			if a.Key == "oom_kill" {
				return a
			}
		}
		t.Fatalf("no oom_kill action: %s", describe(acts))
		return Action{}
	}
	a := find(Advise(input(60, factors(), oom(map[string]int64{"api-3": 7, "api-1": 5, "api-2": 3})), nil).Actions)
	if strings.Contains(a.Title, "api-") {
		t.Errorf("spread over three hosts, the title names one: %q", a.Title)
	}
	if !strings.Contains(a.Why, "api-3 7, api-1 5, api-2 3") {
		t.Errorf("why %q does not list the hosts with their counts", a.Why)
	}
	a = find(Advise(input(60, factors(), oom(map[string]int64{"api-3": 12, "api-1": 2, "api-2": 1})), nil).Actions)
	if !strings.Contains(a.Title, "api-3") || strings.Contains(a.Title, "api-2") {
		t.Errorf("api-3 has 12 of 15 lines: title %q, want it named", a.Title)
	}
	if !strings.Contains(a.Why, "12 of 15 lines on api-3") {
		t.Errorf("why %q does not say how many lines are on api-3", a.Why)
	}
}

// A fallback never restates a problem an action already covers: with the
// cache failing and the errors it causes, "bring the error rate down" is
// not a second action.
func TestFallbackSkipsCoveredFactor(t *testing.T) {
	errs := FactorState{Name: "error_rate", Weight: 40, Points: 40, Value: 0.3, Baseline: 0.01, Unit: "ratio", Status: "high"}
	cache := pat("c", "dial tcp <*> i/o timeout", 120, 100, 120, "dial tcp 10.1.0.7:6379: i/o timeout")
	res := Advise(input(75, factors(errs), cache), nil)
	for _, a := range res.Actions {
		if a.Key == "top_factor" {
			t.Errorf("error-rate fallback beside the cache action that explains the errors: %s", describe(res.Actions))
		}
	}
	// without a cause in the logs it is the top action's subject
	res = Advise(input(75, factors(errs)), nil)
	if len(res.Actions) == 0 || res.Actions[0].Key != "top_factor" {
		t.Errorf("errors alone: %s; want the error-rate action first", describe(res.Actions))
	}
}
