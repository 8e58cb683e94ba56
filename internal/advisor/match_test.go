package advisor

import (
	"testing"
	"time"
)

func viewOf(p PatternStat) *view {
	e := &env{window: 15 * time.Minute, beforeSpan: 24 * time.Hour}
	return e.newView(&p)
}

func TestExtractors(t *testing.T) {
	tests := []struct {
		name                  string
		p                     PatternStat
		status, route, ip, hp string
		exc                   string
	}{
		{
			name:   "combined access log",
			p:      PatternStat{Template: `<*> - - [<*>] "GET /api/orders/<*> HTTP/1.1" 503 <*>`, Samples: []string{`10.0.0.7 - - [04/Mar/2025:14:16:03 +0000] "GET /api/orders/123?x=1 HTTP/1.1" 503 12 "-" "curl"`}},
			status: "503", route: "/api/orders/:id", ip: "10.0.0.7",
		},
		{
			name:   "fully masked path takes the sample's",
			p:      PatternStat{Template: `"POST <*> HTTP/1.1" 502`, Samples: []string{`"POST /v1/pay/8f3a9c2e11 HTTP/1.1" 502`}},
			status: "502", route: "/v1/pay/:id",
		},
		{
			name:   "fields win",
			p:      PatternStat{Template: "request failed", Fields: map[string]string{"status": "500", "route": "/users/{id}", "client_ip": "192.0.2.1"}},
			status: "500", route: "/users/{id}", ip: "192.0.2.1",
		},
		{
			name:   "logfmt status and host:port",
			p:      PatternStat{Template: "call failed", Samples: []string{`level=error status=429 upstream=api.example.com:443 msg="call failed"`}},
			status: "429", hp: "api.example.com:443",
		},
		{
			name: "times and versions are not host:port",
			p:    PatternStat{Template: "x", Samples: []string{"2025-03-04T14:16:02Z started v1.2:3 at 10:15:32"}},
		},
		{
			name: "samples disagree on the address",
			p:    PatternStat{Template: "Failed password from <*>", Samples: []string{"Failed password for a from 203.0.113.9 port 1", "Failed password for b from 203.0.113.10 port 2"}},
		},
		{
			name: "java exception",
			p:    PatternStat{Template: "Unhandled", Samples: []string{"Exception in thread \"main\" java.lang.IllegalStateException: boom"}},
			exc:  "java.lang.IllegalStateException",
		},
		{
			name: "python exception",
			p:    PatternStat{Template: "KeyError: <*>", Samples: []string{"KeyError: 'user_id'"}},
			exc:  "KeyError",
		},
		{
			name: "status word without a code",
			p:    PatternStat{Template: "status ok", Samples: []string{"status: healthy, returned 3 rows"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := viewOf(tt.p)
			if v.status != tt.status {
				t.Errorf("status = %q, want %q", v.status, tt.status)
			}
			if got := routeOf(v); got != tt.route {
				t.Errorf("routeOf = %q, want %q", got, tt.route)
			}
			if got := ipOf(v); got != tt.ip {
				t.Errorf("ipOf = %q, want %q", got, tt.ip)
			}
			if got := hostPortOf(v); got != tt.hp {
				t.Errorf("hostPortOf = %q, want %q", got, tt.hp)
			}
			if got := exceptionOf(v); got != tt.exc {
				t.Errorf("exceptionOf = %q, want %q", got, tt.exc)
			}
		})
	}
}

func TestScanStatus(t *testing.T) {
	tests := map[string]string{
		`"get / http/1.1" 404 12`:       "404",
		`http/2 500`:                    "500",
		`{"status":502,"msg":"x"}`:      "502",
		`status_code = "503"`:           "503",
		`response code 429 from api`:    "429",
		`the request returned 401`:      "401",
		`status=2000`:                   "",
		`substatus=500`:                 "",
		`http/1.1" 999`:                 "",
		`statuses: 500`:                 "",
		`status=ok status=504`:          "504",
		`no code here`:                  "",
		`"get / http/1.1" 200 status=5`: "200",
	}
	for in, want := range tests {
		if got := scanStatus(in); got != want {
			t.Errorf("scanStatus(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRuleMatch(t *testing.T) {
	kb := DefaultKB()
	entry := func(key string) *Entry {
		for _, e := range kb.Entries {
			if e.Key == key {
				return e
			}
		}
		t.Fatalf("no entry %s", key)
		return nil
	}
	e := &env{window: 15 * time.Minute, beforeSpan: 24 * time.Hour}
	tests := []struct {
		name  string
		key   string
		p     PatternStat
		match bool
	}{
		{"keyword at error", "db_pool_exhaustion", PatternStat{Template: "too many clients already", Errors: 3}, true},
		{"keyword needs warn level", "db_pool_exhaustion", PatternStat{Template: "connection pool size set to <*>"}, false},
		{"error words make it warn", "db_pool_exhaustion", PatternStat{Template: "could not get connection from db connection pool: timeout"}, true},
		{"a pool without a database word", "db_pool_exhaustion", PatternStat{Template: "could not get connection from connection pool: timeout", Errors: 1}, false},
		{"the cache's pool is not the database's", "db_pool_exhaustion", PatternStat{Template: `cache get failed err="redis: connection pool timeout"`, Errors: 1}, false},
		{"the cache's pool is the cache's", "cache_outage", PatternStat{Template: `cache get failed err="redis: connection pool timeout"`, Errors: 1}, true},
		{"a cache port is not a database", "db_pool_exhaustion", PatternStat{Template: "sql: connection pool exhausted dialing 10.0.0.5:6379", Errors: 1}, false},
		{"hikari names the database pool", "db_pool_exhaustion", PatternStat{Template: "HikariPool-1 - Connection is not available, request timed out after 30000ms.", Errors: 1}, true},
		{"a driver names the database pool", "db_pool_exhaustion", PatternStat{Template: "pgx: connection pool exhausted", Errors: 1}, true},
		{"a database port names the database pool", "db_pool_exhaustion", PatternStat{Template: "dial tcp 10.0.0.5:5432: connect: connection refused", Errors: 1}, true},
		{"regex on port", "db_pool_exhaustion", PatternStat{Template: "connect ECONNREFUSED 10.0.0.1:5432", Errors: 1}, true},
		{"status rule", "http_5xx_burst", PatternStat{Template: `"GET /x HTTP/1.1" 500 1`}, true},
		{"status only in samples of an info pattern", "http_5xx_burst", PatternStat{Template: `"GET /x HTTP/1.1" <*> 1`, Samples: []string{`"GET /x HTTP/1.1" 500 1`}}, false},
		{"status in samples of an error pattern", "http_5xx_burst", PatternStat{Template: `"GET /x HTTP/1.1" <*> 1`, Errors: 2, Samples: []string{`"GET /x HTTP/1.1" 500 1`}}, true},
		{"2xx is not 5xx", "http_5xx_burst", PatternStat{Template: `"GET /x HTTP/1.1" 200 1`, Errors: 1}, false},
		{"startup banner needs a surge", "crash_loop", PatternStat{Template: "Server listening on <*>", Recent: 4, Before: 4000}, false},
		{"startup banner surging", "crash_loop", PatternStat{Template: "Server listening on <*>", Recent: 4, Before: 1}, true},
		{"new errors", "deploy_error_spike", PatternStat{Template: "boom", New: true, Errors: 1}, true},
		{"new but no errors", "deploy_error_spike", PatternStat{Template: "boom", New: true}, false},
		{"lag as a word", "queue_backlog", PatternStat{Template: "consumer group lag is 5000"}, true},
		{"flag is not lag", "queue_backlog", PatternStat{Template: "feature flag enabled"}, false},
		{"ECS auth failure fields", "auth_bruteforce", PatternStat{Template: "user <*> login", Fields: map[string]string{"event.category": "authentication", "event.outcome": "failure"}}, true},
		{"ECS auth success fields", "auth_bruteforce", PatternStat{Template: "user <*> login", Fields: map[string]string{"event.category": "authentication", "event.outcome": "success"}}, false},
		{"restarting transaction is not a crash", "crash_loop", PatternStat{Template: "Deadlock found; try restarting transaction", Errors: 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := e.newView(&tt.p)
			if _, ok := entry(tt.key).matchView(v, e); ok != tt.match {
				t.Errorf("%s.matchView(%q) = %v, want %v", tt.key, tt.p.Template, ok, tt.match)
			}
		})
	}
}

func TestSpecificityExclusion(t *testing.T) {
	in := input(50, factors(), pat("r", "redis: dial tcp <*>: i/o timeout", 10, 0, 10, "redis: dial tcp 10.0.0.9:6379: i/o timeout"))
	e := newEnv(normalise(in))
	kb := DefaultKB()
	got := map[string]bool{}
	for i, ms := range matchPatterns(kb, e) {
		for _, m := range ms {
			if m.v.id == "r" {
				got[kb.Entries[i].Key] = true
			}
		}
	}
	if !got["cache_outage"] || got["upstream_timeout"] {
		t.Errorf("redis timeout matched %v, want cache_outage and not upstream_timeout", got)
	}
}

func TestSurge(t *testing.T) {
	e := &env{window: 15 * time.Minute, beforeSpan: 24 * time.Hour}
	tests := []struct {
		recent, before int64
		span           time.Duration
		ratio          float64
		fresh          bool
	}{
		{96, 0, 24 * time.Hour, 0, true},
		{10, 960, 24 * time.Hour, 1, false},
		{100, 96, 24 * time.Hour, 100, false},
		{5, 0, 10 * time.Minute, 0, false}, // too little history to call it new
		{0, 50, 24 * time.Hour, 0, false},
	}
	for _, tt := range tests {
		e.beforeSpan = tt.span
		r, f := e.surge(tt.recent, tt.before)
		if (r-tt.ratio) > 1e-9 || (tt.ratio-r) > 1e-9 || f != tt.fresh {
			t.Errorf("surge(%d, %d over %v) = %v, %v; want %v, %v", tt.recent, tt.before, tt.span, r, f, tt.ratio, tt.fresh)
		}
	}
}

func TestFactorRule(t *testing.T) {
	e := newEnv(Input{Factors: []FactorState{{Name: "log_volume", Value: 0.5, Baseline: 300, Status: "high"}, {Name: "memory", Value: 50, Baseline: 0, Status: "elevated"}}})
	tests := []struct {
		rule FactorRule
		want bool
	}{
		{FactorRule{Name: "log_volume", MaxRatio: 0.1, MinBaseline: 1}, true},
		{FactorRule{Name: "log_volume", MaxRatio: 0.1, MinBaseline: 500}, false},
		{FactorRule{Name: "log_volume", Status: []string{"elevated"}}, false},
		{FactorRule{Name: "memory", MinRatio: 1.1}, true}, // zero baseline: any value is above it
		{FactorRule{Name: "cpu"}, false},
	}
	for _, tt := range tests {
		if _, _, ok := tt.rule.match(e); ok != tt.want {
			t.Errorf("%+v.match = %v, want %v", tt.rule, ok, tt.want)
		}
	}
}

func TestGrams(t *testing.T) {
	var g grams
	g.add("the quick brown fox")
	for _, w := range []string{"quick", "brown fox", "he"} {
		if !g.mayContain(gramBits(w)) {
			t.Errorf("filter rules out %q, which is in the text", w)
		}
	}
	misses := 0
	for _, w := range []string{"too many clients", "deadlock", "x509", "no space left"} {
		if !g.mayContain(gramBits(w)) {
			misses++
		}
	}
	if misses < 3 {
		t.Errorf("filter ruled out only %d of 4 absent keywords", misses)
	}
}

// TestRuleAlsoUnless pins the db pool rule's whole-text conditions: a
// generic pool phrase matches only beside a database word, and never on a
// line that names a cache.
func TestRuleAlsoUnless(t *testing.T) {
	var ent *Entry
	for _, x := range DefaultKB().Entries {
		if x.Key == "db_pool_exhaustion" {
			ent = x
		}
	}
	if ent == nil {
		t.Fatal("no db_pool_exhaustion entry")
	}
	tests := []struct {
		line string
		want bool
	}{
		{"ERROR timeout waiting for connection from pool (postgres orders-db:5432)", true},
		{"ERROR timeout waiting for connection from pool", false},
		{"ERROR redis: timeout waiting for connection from pool (postgres)", false},
		{"ERROR too many clients already", true},
		{"ERROR too many clients already (redis :6379)", false},
	}
	for _, tt := range tests {
		e := newEnv(Input{Patterns: []PatternStat{{ID: "p", Template: tt.line, Count: 1, Errors: 1}}})
		if _, got := ent.matchView(e.views[0], e); got != tt.want {
			t.Errorf("%q: match = %v, want %v", tt.line, got, tt.want)
		}
	}
}
