package advisor

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cloudsage/cloudsage"
)

var at = time.Date(2025, 3, 4, 14, 30, 0, 0, time.UTC)

// pat builds a pattern seen for two days, with recent lines in the last
// 15 minutes and before lines in the 24 h before them.
func pat(id, tmpl string, recent, before, errors int64, samples ...string) PatternStat {
	return PatternStat{
		ID: cloudsage.PatternID(id), Template: tmpl, Count: recent + before + 10, Recent: recent, Before: before,
		Errors: errors, FirstSeen: at.Add(-48 * time.Hour), LastSeen: at, Samples: samples,
	}
}

// newPat is a pattern first seen minutes ago.
func newPat(id, tmpl string, recent, errors int64, samples ...string) PatternStat {
	p := pat(id, tmpl, recent, 0, errors, samples...)
	p.Count = recent
	p.New = true
	p.FirstSeen = at.Add(-12 * time.Minute)
	return p
}

func factors(over ...FactorState) []FactorState {
	fs := []FactorState{
		{Name: "error_rate", Weight: 40, Value: 0.01, Baseline: 0.01, Unit: "ratio", Status: "normal"},
		{Name: "log_volume", Weight: 25, Value: 400, Baseline: 400, Unit: "lines/min", Status: "normal"},
		{Name: "latency", Weight: 20, Value: 120, Baseline: 120, Unit: "ms", Status: "normal"},
		{Name: "memory", Weight: 10, Value: 40, Baseline: 40, Unit: "%", Status: "normal"},
		{Name: "cpu", Weight: 5, Value: 30, Baseline: 30, Unit: "%", Status: "normal"},
	}
	for _, o := range over {
		for i := range fs {
			if fs[i].Name == o.Name {
				fs[i] = o
			}
		}
	}
	return fs
}

// calm is background traffic every service has.
var calm = []PatternStat{
	pat("bg1", "GET /health HTTP/1.1\" 200 <*>", 900, 86000, 0, `10.0.0.1 - - [04/Mar/2025:14:20:00 +0000] "GET /health HTTP/1.1" 200 2`),
	pat("bg2", "request completed in <*> ms", 5000, 480000, 0, "request completed in 12 ms"),
	pat("bg3", "user <*> logged in", 40, 3900, 0, "user 42 logged in"),
}

func input(score float64, fs []FactorState, pats ...PatternStat) Input {
	return Input{
		At: at, Score: score, Trend: 0, Factors: fs, PHigh: 0.2, PeakScore: score + 5, HorizonHours: 24,
		Patterns: append(append([]PatternStat{}, pats...), calm...), RecentWindow: 15 * time.Minute,
	}
}

// TestAdviseKnowledgeBase feeds each signature a hand-built situation and
// wants its action among the top three, with concrete names and numbers in
// the title.
func TestAdviseKnowledgeBase(t *testing.T) {
	errRate := FactorState{Name: "error_rate", Weight: 40, Points: 30, Value: 0.2, Baseline: 0.01, Unit: "ratio", Status: "high"}
	tests := []struct {
		name      string
		in        Input
		key       string
		titleHas  []string
		notInTop3 string // a key that must not take the place of the right one
	}{
		{
			name: "postgres too many clients",
			in: input(78, factors(errRate), pat("db1", "FATAL: sorry, too many clients already", 1204, 0, 1204,
				`2025-03-04T14:16:02Z ERROR orders-api pq: sorry, too many clients already (database "orders")`)),
			key: "db_pool_exhaustion", titleHas: []string{"orders database", "1,204", "too many clients", "15 min", "none in the 24 h before"},
		},
		{
			name: "mysql refused on 3306",
			in: input(60, factors(errRate), pat("db2", "Error: connect ECONNREFUSED <*>", 80, 2, 82,
				"Error: connect ECONNREFUSED 10.0.0.5:3306")),
			key: "db_pool_exhaustion", titleHas: []string{"database connection pool", "80"}, notInTop3: "upstream_timeout",
		},
		{
			name: "lock wait timeout",
			in: input(45, factors(), pat("db3", "Lock wait timeout exceeded; try restarting transaction", 30, 3, 33,
				"ERROR 1205 (HY000): Lock wait timeout exceeded; try restarting transaction")),
			key: "db_pool_exhaustion", titleHas: []string{"30", "Lock wait timeout"}, notInTop3: "crash_loop",
		},
		{
			name: "nginx upstream timed out",
			in: input(66, factors(errRate), pat("up1", "upstream timed out (110: Connection timed out) while reading response header from upstream <*>", 340, 12, 352,
				`2025/03/04 14:20:01 [error] 31#31: *9 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 1.2.3.4, server: api, request: "GET /v1/pay HTTP/1.1", upstream: "http://10.0.3.4:8080/v1/pay"`)),
			key: "upstream_timeout", titleHas: []string{"10.0.3.4:8080", "340"},
		},
		{
			name: "go context deadline",
			in: input(50, factors(), pat("up2", "charge failed: Get <*>: context deadline exceeded", 55, 0, 55,
				`level=error msg="charge failed: Get \"https://payments.internal/charge\": context deadline exceeded"`)),
			key: "upstream_timeout", titleHas: []string{"payments.internal", "55", "context deadline exceeded"},
		},
		{
			name: "redis timeout",
			in: input(58, factors(), pat("c1", "redis: dial tcp <*>: i/o timeout", 210, 0, 210,
				"ERROR cache: redis: dial tcp 10.0.0.9:6379: i/o timeout")),
			key: "cache_outage", titleHas: []string{"10.0.0.9:6379", "210"}, notInTop3: "upstream_timeout",
		},
		{
			name: "5xx burst on one route",
			in: input(72, factors(errRate), pat("h1", "POST /api/checkout HTTP/1.1\" 502 <*>", 430, 4, 434,
				`10.1.1.1 - - [04/Mar/2025:14:21:09 +0000] "POST /api/checkout HTTP/1.1" 502 166 "-" "Mozilla/5.0"`)),
			key: "http_5xx_burst", titleHas: []string{"/api/checkout", "502", "430"},
		},
		{
			name: "5xx from json fields",
			in: func() Input {
				p := pat("h2", "request failed", 120, 0, 120, `{"msg":"request failed","status":500,"path":"/v2/users/981"}`)
				p.Fields = map[string]string{"status": "500", "path": "/v2/users/981"}
				return input(55, factors(), p)
			}(),
			key: "http_5xx_burst", titleHas: []string{"/v2/users/:id", "500", "120"},
		},
		{
			name: "latency factor high",
			in:   input(61, factors(FactorState{Name: "latency", Weight: 20, Points: 18, Value: 1200, Baseline: 150, Unit: "ms", Status: "high"})),
			key:  "latency_regression", titleHas: []string{"1,200 ms", "150 ms", "×8"},
		},
		{
			name: "slow queries without the factor",
			in: input(30, factors(), pat("s1", "Slow query: <*> took <*> ms", 25, 2, 0,
				"WARN Slow query: SELECT * FROM orders WHERE customer_id = 7 took 5234 ms")),
			key: "latency_regression", titleHas: []string{"Slow query", "25"},
		},
		{
			name: "java heap oom",
			in: input(74, factors(errRate), pat("m1", "java.lang.OutOfMemoryError: Java heap space", 12, 0, 12,
				"Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap space")),
			key: "oom_kill", titleHas: []string{"OutOfMemoryError", "12"},
		},
		{
			name: "kernel oom kill",
			in: input(70, factors(), pat("m2", "Out of memory: Killed process <*> (java) <*>", 3, 0, 3,
				"kernel: Out of memory: Killed process 1234 (java) total-vm:8123456kB")),
			key: "oom_kill", titleHas: []string{"java", "3"},
		},
		{
			name: "memory rising",
			in:   input(52, factors(FactorState{Name: "memory", Weight: 10, Points: 8, Value: 1800, Baseline: 900, Unit: "MB", Status: "elevated"})),
			key:  "memory_leak", titleHas: []string{"1,800 MB", "900 MB", "×2"},
		},
		{
			name: "cpu saturated",
			in:   input(44, factors(FactorState{Name: "cpu", Weight: 5, Points: 5, Value: 97, Baseline: 40, Unit: "%", Status: "high"})),
			key:  "cpu_saturation", titleHas: []string{"97%", "40%"},
		},
		{
			name: "disk full",
			in: input(68, factors(errRate), pat("d1", "could not write to file <*>: No space left on device", 77, 0, 77,
				`ERROR: could not write to file "/var/lib/postgresql/data/base/pgsql_tmp/t1": No space left on device`)),
			key: "disk_full", titleHas: []string{"/var/lib/postgresql/data/base/pgsql_tmp/t1", "77", "No space left on device"},
		},
		{
			name: "expired certificate",
			in: input(63, factors(), pat("t1", "Get <*>: x509: certificate has expired or is not yet valid", 40, 0, 40,
				`ERROR Get "https://api.partner.com/v1/orders": x509: certificate has expired or is not yet valid`)),
			key: "tls_certificate", titleHas: []string{"api.partner.com", "40"},
		},
		{
			name: "ssh brute force from one address",
			in: input(35, factors(), pat("a1", "Failed password for invalid user <*> from <*> port <*> ssh2", 900, 10, 0,
				"sshd[811]: Failed password for invalid user admin from 203.0.113.9 port 52144 ssh2",
				"sshd[811]: Failed password for invalid user oracle from 203.0.113.9 port 52146 ssh2",
				"sshd[811]: Failed password for invalid user test from 203.0.113.9 port 52150 ssh2")),
			key: "auth_bruteforce", titleHas: []string{"203.0.113.9", "900", "Failed password"},
		},
		{
			name: "401 burst in access log",
			in: func() Input {
				p := pat("a2", "POST /login HTTP/1.1\" 401 <*>", 500, 20, 0, `198.51.100.4 - - [04/Mar/2025:14:22:00 +0000] "POST /login HTTP/1.1" 401 0 "-" "python-requests"`)
				p.Warns = 520
				p.Fields = map[string]string{"client_ip": "198.51.100.4"}
				return input(40, factors(), p)
			}(),
			key: "auth_bruteforce", titleHas: []string{"198.51.100.4", "500"},
		},
		{
			name: "third-party 429",
			in: input(41, factors(), pat("r1", "openai call failed status=429 <*>", 65, 1, 66,
				"ERROR openai call failed status=429 url=https://api.openai.com/v1/chat/completions")),
			key: "rate_limited", titleHas: []string{"api.openai.com", "65"},
		},
		{
			name: "crash loop back-off",
			in: input(71, factors(), pat("k1", "Back-off restarting failed container <*> in pod <*>", 14, 1, 15,
				"Warning BackOff Back-off restarting failed container api in pod api-7d9f5c-x2x (default)")),
			key: "crash_loop", titleHas: []string{"api-7d9f5c-x2x", "14"},
		},
		{
			name: "go panic",
			in: input(60, factors(), newPat("k2", "panic: runtime error: invalid memory address or nil pointer dereference", 9, 9,
				"panic: runtime error: invalid memory address or nil pointer dereference")),
			key: "crash_loop", titleHas: []string{"9", "panic:"},
		},
		{
			name: "repeated startup banners",
			in:   input(38, factors(), pat("k3", "Server listening on <*>", 12, 1, 0, "INFO Server listening on :8080")),
			key:  "crash_loop", titleHas: []string{"12", "listening on"},
		},
		{
			name: "consumer lag",
			in: input(47, factors(), pat("q1", "consumer lag for group <*> is <*> messages", 30, 40, 0,
				"WARN consumer lag for group billing is 120000 messages")),
			key: "queue_backlog", titleHas: []string{"billing", "30"},
		},
		{
			name: "new error pattern after a deploy",
			in: input(57, factors(errRate), newPat("n1", "NullPointerException in CheckoutService.applyCoupon", 260, 260,
				"ERROR java.lang.NullPointerException in CheckoutService.applyCoupon")),
			key: "deploy_error_spike", titleHas: []string{"14:18 UTC", "NullPointerException", "260"},
		},
		{
			name: "sudden silence",
			in:   input(48, factors(FactorState{Name: "log_volume", Weight: 25, Points: 20, Value: 0.2, Baseline: 400, Unit: "lines/min", Status: "high"})),
			key:  "sudden_silence", titleHas: []string{"0.2 lines/min", "400 lines/min"},
		},
		{
			name: "log flood",
			in: input(50, factors(FactorState{Name: "log_volume", Weight: 25, Points: 20, Value: 20000, Baseline: 400, Unit: "lines/min", Status: "high"}),
				pat("f1", "retrying job <*>", 250000, 100, 0, "INFO retrying job 77")),
			key: "log_flood", titleHas: []string{"20,000 lines/min", "retrying job"},
		},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Advise(tt.in, nil)
			top := res.Actions[:min(3, len(res.Actions))]
			var found *Action
			for i := range top {
				if top[i].Key == tt.key && found == nil {
					found = &top[i]
				}
				if tt.notInTop3 != "" && top[i].Key == tt.notInTop3 {
					t.Errorf("Advise() top 3 has %s: %s", tt.notInTop3, describe(top))
				}
			}
			if found == nil {
				t.Fatalf("Advise() top 3 = %s, want %s among them", describe(top), tt.key)
			}
			covered[tt.key] = true
			for _, s := range tt.titleHas {
				if !strings.Contains(found.Title, s) {
					t.Errorf("title %q does not contain %q", found.Title, s)
				}
			}
			if found.Why == "" || len(found.Evidence.Numbers) == 0 {
				t.Errorf("action %s has no why or numbers: %+v", found.Key, found)
			}
		})
	}
	for _, e := range DefaultKB().Entries {
		if !covered[e.Key] {
			t.Errorf("knowledge-base entry %s has no scenario in this test", e.Key)
		}
	}
}

func describe(acts []Action) string {
	var b strings.Builder
	for i, a := range acts {
		fmt.Fprintf(&b, "\n  %d. [%s %s %.3f] %s", i+1, a.Key, a.Priority, a.Score, a.Title)
	}
	return b.String()
}

func TestAdviseAlwaysThreeConcreteActions(t *testing.T) {
	tests := []struct {
		name string
		in   Input
	}{
		{"zero input", Input{}},
		{"only a score", Input{Score: 90}},
		{"rising, no data", Input{Score: 55, Trend: 1}},
		{"calm service", input(8, factors())},
		{"one info pattern", Input{At: at, Patterns: []PatternStat{pat("x", "hello <*>", 1, 1, 0)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Advise(tt.in, nil)
			if len(res.Actions) < 3 {
				t.Fatalf("Advise() gave %d actions, want >= 3: %s", len(res.Actions), describe(res.Actions))
			}
			ids := map[string]bool{}
			for _, a := range res.Actions {
				if a.ID == "" || a.Key == "" || a.Title == "" || a.Why == "" || a.Priority == "" {
					t.Errorf("incomplete action %+v", a)
				}
				if len(a.Evidence.Numbers) == 0 {
					t.Errorf("action %s has no evidence numbers", a.Key)
				}
				if !strings.ContainsAny(a.Title, "0123456789") {
					t.Errorf("title %q has no number in it", a.Title)
				}
				if strings.Contains(strings.ToLower(a.Title), "investigate errors") {
					t.Errorf("vague title %q", a.Title)
				}
				if ids[a.ID] {
					t.Errorf("duplicate action id %s", a.ID)
				}
				ids[a.ID] = true
			}
			for i := 1; i < len(res.Actions); i++ {
				if res.Actions[i].Score > res.Actions[i-1].Score {
					t.Errorf("actions not best first: %s", describe(res.Actions))
				}
			}
		})
	}
}

// TestAdviseDeterministic: the same situation, with patterns in any order,
// gives byte-identical output.
func TestAdviseDeterministic(t *testing.T) {
	in := input(82, factors(FactorState{Name: "latency", Weight: 20, Points: 18, Value: 1200, Baseline: 150, Unit: "ms", Status: "high"}),
		pat("db1", "FATAL: sorry, too many clients already", 1204, 0, 1204, `pq: sorry, too many clients already (database "orders")`),
		pat("h1", "POST /api/checkout HTTP/1.1\" 502 <*>", 430, 4, 434, `"POST /api/checkout HTTP/1.1" 502 166`),
		newPat("n1", "NullPointerException in CheckoutService.applyCoupon", 260, 260),
		pat("c1", "redis: dial tcp <*>: i/o timeout", 210, 0, 210, "redis: dial tcp 10.0.0.9:6379: i/o timeout"),
	)
	want, err := json.Marshal(Advise(in, nil))
	if err != nil {
		t.Fatal(err)
	}
	rev := in
	rev.Patterns = append([]PatternStat(nil), in.Patterns...)
	for i, j := 0, len(rev.Patterns)-1; i < j; i, j = i+1, j-1 {
		rev.Patterns[i], rev.Patterns[j] = rev.Patterns[j], rev.Patterns[i]
	}
	for i := 0; i < 5; i++ {
		for _, x := range []Input{in, rev} {
			got, err := json.Marshal(Advise(x, nil))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Fatalf("Advise() not deterministic:\n got %s\nwant %s", got, want)
			}
		}
	}
}

func TestAdviseCriticalRanksUserFacingFirst(t *testing.T) {
	// Both a disk warning from long ago and an active 5xx burst: in the
	// critical chain the burst users see now comes first.
	old := pat("d1", "No space left on device", 0, 0, 400, "write /data/x: no space left on device")
	old.LastSeen = at.Add(-20 * time.Hour)
	burst := pat("h1", "GET /api/cart HTTP/1.1\" 503 <*>", 300, 2, 302, `"GET /api/cart HTTP/1.1" 503 10`)
	res := Advise(input(85, factors(), old, burst), nil)
	if res.Chain.Name != ChainCritical {
		t.Fatalf("chain = %s, want critical", res.Chain.Name)
	}
	if res.Actions[0].Key != "http_5xx_burst" || res.Actions[0].Priority != "critical" {
		t.Errorf("first action = %s/%s, want http_5xx_burst/critical: %s", res.Actions[0].Key, res.Actions[0].Priority, describe(res.Actions))
	}
	for _, a := range res.Actions {
		if a.Key == "disk_full" && !strings.Contains(a.Title, "earlier") {
			t.Errorf("inactive disk_full title should say it was earlier: %q", a.Title)
		}
	}
}

func TestAdvisePreventiveRanksBuildUpFirst(t *testing.T) {
	in := input(58, factors(FactorState{Name: "memory", Weight: 10, Points: 7, Value: 1700, Baseline: 900, Unit: "MB", Status: "elevated"}),
		pat("u1", "upstream timed out while reading response header from upstream <*>", 3, 30, 3, `upstream timed out, upstream: "http://10.0.3.4:8080/x"`))
	in.Trend = 2
	res := Advise(in, nil)
	if res.Chain.Name != ChainPreventive || res.Chain.LookaheadHours != 168 {
		t.Fatalf("chain = %s/%d, want preventive/168", res.Chain.Name, res.Chain.LookaheadHours)
	}
	if res.Actions[0].Key != "memory_leak" {
		t.Errorf("first action = %s, want memory_leak: %s", res.Actions[0].Key, describe(res.Actions))
	}
	if s := res.Chain.Steps[2].Summary; !strings.Contains(s, "7-day") || !strings.Contains(s, "6 h") {
		t.Errorf("risk_assessment summary %q should mention the 7-day look-ahead and the 6 h to high", s)
	}
}

func TestAdvisePreferences(t *testing.T) {
	in := input(75, factors(),
		pat("db1", "FATAL: sorry, too many clients already", 500, 0, 500, "pq: sorry, too many clients already"),
		pat("t1", "x509: certificate has expired", 450, 0, 450, "x509: certificate has expired"))
	first := Advise(in, nil).Actions[0].Key
	other := "tls_certificate"
	if first == other {
		other = "db_pool_exhaustion"
	}
	in.Preferences = map[string]float64{first: 0.2}
	res := Advise(in, nil)
	if res.Actions[0].Key != other {
		t.Errorf("with %s dismissed (0.2), first = %s, want %s: %s", first, res.Actions[0].Key, other, describe(res.Actions))
	}
	if n := res.Chain.Steps[3].Inputs["preferences_applied"]; n != 1 {
		t.Errorf("preferences_applied = %v, want 1", n)
	}
}

func TestAdviseActionIDsStable(t *testing.T) {
	mk := func(recent int64, extra ...PatternStat) Input {
		return input(70, factors(), append([]PatternStat{pat("db1", "FATAL: sorry, too many clients already", recent, 0, recent, "too many clients")}, extra...)...)
	}
	id := func(in Input, key string) string {
		for _, a := range Advise(in, nil).Actions {
			if a.Key == key {
				return a.ID
			}
		}
		t.Fatalf("no %s action", key)
		return ""
	}
	a := id(mk(100), "db_pool_exhaustion")
	if b := id(mk(2000), "db_pool_exhaustion"); a != b {
		t.Errorf("id changed with the counts: %s -> %s", a, b)
	}
	other := input(70, factors(), pat("db9", "FATAL: remaining connection slots are reserved", 100, 0, 100))
	if c := id(other, "db_pool_exhaustion"); c == a {
		t.Errorf("different evidence patterns gave the same id %s", c)
	}
}

func TestAdviseStepsRecorded(t *testing.T) {
	tick := at
	clock := func() time.Time { tick = tick.Add(1500 * time.Microsecond); return tick }
	res := Advise(input(82, factors(), pat("db1", "too many clients", 10, 0, 10)), clock)
	want := []string{StepContext, StepMatching, StepRisk, StepActions}
	if len(res.Chain.Steps) != len(want) {
		t.Fatalf("%d steps, want %d", len(res.Chain.Steps), len(want))
	}
	for i, s := range res.Chain.Steps {
		if s.Name != want[i] {
			t.Errorf("step %d = %s, want %s", i, s.Name, want[i])
		}
		if s.Summary == "" || len(s.Inputs) == 0 || len(s.Outputs) == 0 {
			t.Errorf("step %s incomplete: %+v", s.Name, s)
		}
		if s.DurationMS != 1.5 {
			t.Errorf("step %s duration = %v ms, want 1.5", s.Name, s.DurationMS)
		}
	}
	if s := res.Chain.Steps[0].Summary; !strings.Contains(s, "Score 82") || !strings.Contains(s, "P(high) 20%") {
		t.Errorf("context summary %q lacks the numbers", s)
	}
	for _, s := range Advise(Input{}, nil).Chain.Steps {
		if s.DurationMS != 0 {
			t.Errorf("nil clock: step %s duration %v, want 0", s.Name, s.DurationMS)
		}
	}
}

func FuzzAdvise(f *testing.F) {
	f.Add("FATAL: sorry, too many clients already", `pq: too many clients (database "orders") orders-db:5432`, "/api/x", "503", 82.0, 3.0, int64(10), int64(0))
	f.Add("GET /a HTTP/1.1\" 502 <*>", `1.2.3.4 - - "GET /a/1 HTTP/1.1" 502 1`, "", "", 40.0, -1.0, int64(-5), int64(1<<62))
	f.Add("{[}]|{a,b|c}", "\xff\xfe\x00\n\u2028 panic: x509 ENOSPC", "<*>", "abc", 1e308, 1e308, int64(1), int64(1))
	f.Fuzz(func(t *testing.T, tmpl, sample, route, status string, score, trend float64, recent, before int64) {
		in := input(score, factors(FactorState{Name: "latency", Weight: 20, Points: score / 5, Value: trend, Baseline: score, Unit: status, Status: "high"}),
			PatternStat{ID: cloudsage.PatternID(tmpl), Template: tmpl, Count: recent + before, Recent: recent, Before: before, Errors: recent,
				New: recent%2 == 0, FirstSeen: at.Add(-time.Duration(before)), LastSeen: at, Samples: []string{sample, sample + tmpl},
				Fields: map[string]string{"route": route, "status": status, "client_ip": sample}})
		in.Trend = trend
		in.PHigh = trend
		in.Preferences = map[string]float64{"db_pool_exhaustion": trend, "top_error_pattern": score}
		res := Advise(in, nil)
		if len(res.Actions) < 3 {
			t.Fatalf("%d actions", len(res.Actions))
		}
		if _, err := json.Marshal(res); err != nil {
			t.Fatalf("marshal: %v", err)
		}
		for _, a := range res.Actions {
			if !utf8.ValidString(a.Title) || !utf8.ValidString(a.Why) || strings.ContainsAny(a.Title, "\n\r\x00") {
				t.Fatalf("bad title %q", a.Title)
			}
		}
	})
}

func BenchmarkAdvise(b *testing.B) {
	var pats []PatternStat
	kinds := []string{
		"FATAL: sorry, too many clients already (database \"orders\") orders-db:5432",
		"upstream timed out (110: Connection timed out) upstream: \"http://10.0.3.4:8080/v1\"",
		`10.1.1.1 - - [04/Mar/2025:14:21:09 +0000] "POST /api/checkout/%d HTTP/1.1" 502 166 "-" "Mozilla/5.0"`,
		"INFO request %d completed in 12 ms for user 42 with a fairly long message body to match against",
		"WARN consumer lag for group billing is 120000 messages",
	}
	for i := 0; i < 50; i++ {
		s := fmt.Sprintf(kinds[i%len(kinds)], i)
		p := pat(fmt.Sprintf("p%02d", i), s, int64(10*i), int64(100*i), int64(i%3), s, s+" again", s+" and again")
		pats = append(pats, p)
	}
	in := input(78, factors(FactorState{Name: "latency", Weight: 20, Points: 18, Value: 1200, Baseline: 150, Unit: "ms", Status: "high"}), pats...)
	b.ReportAllocs()
	for b.Loop() {
		Advise(in, nil)
	}
}

func TestAdvisePreventiveFastRiseKeepsUserFacingFirst(t *testing.T) {
	// Rising 18/h from 60: high within the hour, so the active database
	// failure outranks the latency it causes.
	in := input(60, factors(FactorState{Name: "latency", Weight: 20, Points: 20, Value: 4951, Baseline: 75, Unit: "ms", Status: "high"}),
		pat("db1", "pq: sorry, too many clients already", 420, 0, 420, `pq: sorry, too many clients already (database "orders")`))
	in.Trend = 18
	res := Advise(in, nil)
	if res.Chain.Name != ChainPreventive {
		t.Fatalf("chain = %s, want preventive", res.Chain.Name)
	}
	if res.Actions[0].Key != "db_pool_exhaustion" {
		t.Errorf("first = %s, want db_pool_exhaustion: %s", res.Actions[0].Key, describe(res.Actions))
	}
}
