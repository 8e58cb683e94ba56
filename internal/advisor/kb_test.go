package advisor

import (
	"strings"
	"testing"
)

// TestEmbeddedKB checks that the shipped knowledge base parses and that
// every entry has what it needs.
func TestEmbeddedKB(t *testing.T) {
	kb, err := ParseKB(kbJSON)
	if err != nil {
		t.Fatalf("ParseKB(kb.json) = %v", err)
	}
	required := []string{
		"db_pool_exhaustion", "upstream_timeout", "cache_outage", "http_5xx_burst", "latency_regression",
		"memory_leak", "oom_kill", "cpu_saturation", "disk_full", "tls_certificate", "auth_bruteforce",
		"rate_limited", "crash_loop", "queue_backlog", "deploy_error_spike", "sudden_silence",
	}
	keys := map[string]*Entry{}
	for _, e := range kb.Entries {
		keys[e.Key] = e
		if len(e.tmpls) != len(e.Actions) {
			t.Errorf("%s: %d of %d action templates parsed", e.Key, len(e.tmpls), len(e.Actions))
		}
		for _, a := range e.Actions {
			if strings.Contains(strings.ToLower(a.Title), "investigate") {
				t.Errorf("%s: vague title %q", e.Key, a.Title)
			}
			if !strings.Contains(a.Title, "{") {
				t.Errorf("%s: title %q has no parameter, so no evidence in it", e.Key, a.Title)
			}
		}
		if e.Factor == nil && !strings.Contains(e.Actions[0].Title, "{activity}") {
			t.Errorf("%s: a pattern signature's main title should carry {activity} (counts and change)", e.Key)
		}
	}
	for _, k := range required {
		if keys[k] == nil {
			t.Errorf("knowledge base lacks %s", k)
		}
	}
	// The keywords the issue names must each reach their entry.
	phrases := map[string][]string{
		"db_pool_exhaustion": {"too many clients", "database connection pool", "remaining connection slots", "deadlock detected", "lock wait timeout exceeded", "postgres: connection pool exhausted"},
		"upstream_timeout":   {"i/o timeout", "context deadline exceeded", "upstream timed out", "etimedout", "read timed out"},
		"cache_outage":       {"redis", "memcache"},
		"oom_kill":           {"out of memory", "oomkilled", "java.lang.outofmemoryerror", "killed process"},
		"disk_full":          {"no space left on device", "enospc", "disk quota"},
		"tls_certificate":    {"x509", "certificate has expired", "handshake failure", "ssl"},
		"auth_bruteforce":    {"failed password", "invalid credentials", "authentication failure"},
		"rate_limited":       {"rate limit", "too many requests", "throttl"},
		"crash_loop":         {"crashloopbackoff", "exited with code", "panic:", "segmentation fault"},
		"queue_backlog":      {"queue depth", "backlog", "consumer lag", "messages pending"},
	}
	for key, ps := range phrases {
		e := keys[key]
		if e == nil {
			continue
		}
		for _, p := range ps {
			v := (&env{}).newView(&PatternStat{Template: "ERROR " + p, Errors: 1})
			if _, ok := e.matchView(v, &env{}); !ok {
				t.Errorf("%s does not match %q", key, p)
			}
		}
	}
	if len(kb.Fallbacks) < minActions {
		t.Errorf("%d fallbacks, want >= %d", len(kb.Fallbacks), minActions)
	}
}

func TestParseKBErrors(t *testing.T) {
	entry := func(extra string) string {
		return `{"version":1,"entries":[{"key":"x","name":"x","severity":0.5,` + extra + `}],"fallbacks":` + fallbacks + `}`
	}
	rules := `"rules":[{"keywords":["boom"]}],`
	acts := `"actions":[{"title":"Fix {activity}","why":"{activity_long}"}]`
	tests := []struct {
		name, data, want string
	}{
		{"not json", `{`, "parse knowledge base"},
		{"unknown field", entry(rules + acts + `,"colour":"red"`), "unknown field"},
		{"no entries", `{"version":1,"entries":[],"fallbacks":` + fallbacks + `}`, "no entries"},
		{"bad regex", entry(`"rules":[{"regexes":["(unclosed"]}],` + acts), "regex"},
		{"upper-case regex", entry(`"rules":[{"regexes":["Boom \\d+"]}],` + acts), "lowercase"},
		{"bad also", entry(`"rules":[{"keywords":["a"],"also":"(x"}],` + acts), "also"},
		{"upper-case unless", entry(`"rules":[{"keywords":["a"],"unless":"Redis"}],` + acts), "lowercase"},
		{"unknown parameter", entry(rules + `"actions":[{"title":"Fix {nope}","why":"x"}]`), "unknown parameter {nope}"},
		{"unclosed brace", entry(rules + `"actions":[{"title":"Fix {activity","why":"x"}]`), "unclosed {"},
		{"unclosed section", entry(rules + `"actions":[{"title":"Fix [{route} now","why":"x"}]`), "unclosed ["},
		{"no actions", entry(strings.TrimSuffix(rules, ",")), "no actions"},
		{"never matches", entry(acts), "can never match"},
		{"empty rule", entry(`"rules":[{}],` + acts), "no condition"},
		{"bad severity", strings.Replace(entry(rules+acts), `"severity":0.5`, `"severity":3`, 1), "severity"},
		{"bad factor", entry(rules + `"factor":{"name":"disk"},` + acts), "unknown factor"},
		{"bad level", entry(`"rules":[{"keywords":["a"],"min_level":"loud"}],` + acts), "min_level"},
		{"group_by unknown", entry(rules + `"group_by":"colour",` + acts), "group_by"},
		{"param two groups", entry(rules + `"params":{"db":["(a)(b)"]},` + acts), "2 groups"},
		{"duplicate key", `{"version":1,"entries":[{"key":"x","name":"x","severity":0.5,` + rules + acts + `},{"key":"x","name":"x","severity":0.5,` + rules + acts + `}],"fallbacks":` + fallbacks + `}`, "duplicate key"},
		{"too few fallbacks", `{"version":1,"entries":[{"key":"x","name":"x","severity":0.5,` + rules + acts + `}],"fallbacks":[]}`, "fallbacks"},
		{"bad selector", strings.Replace(entry(rules+acts), `"select":"coverage"`, `"select":"nothing"`, 1), "select"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseKB([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseKB() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if _, err := ParseKB([]byte(entry(rules + acts))); err != nil {
		t.Errorf("ParseKB(valid) = %v", err)
	}
}

const fallbacks = `[
 {"key":"f1","name":"f","select":"forecast","severity":0.1,"actions":[{"title":"Watch {peak}","why":"x {score}"}]},
 {"key":"f2","name":"f","select":"baseline","severity":0.1,"actions":[{"title":"Learn {events}","why":"x"}]},
 {"key":"f3","name":"f","select":"coverage","severity":0.1,"actions":[{"title":"Cover {events}","why":"x"}]}]`

func TestRequiredLiterals(t *testing.T) {
	tests := []struct {
		re   string
		want []string
	}{
		{`econnrefused\s+\S*:5432`, []string{"econnrefused"}},
		{`(took|elapsed) \d+ms`, []string{"took", "elapsed"}},
		{`\blag\b`, []string{"lag"}},
		{`\d+`, nil},
		{`a|\d`, nil},
	}
	for _, tt := range tests {
		got := requiredLiterals(tt.re)
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("requiredLiterals(%q) = %q, want %q", tt.re, got, tt.want)
		}
	}
}

// TestKBAdviseCustom shows a knowledge base other than the embedded one
// drives the same chain.
func TestKBAdviseCustom(t *testing.T) {
	kb, err := ParseKB([]byte(`{"version":1,"entries":[{"key":"boom","name":"boom","severity":0.9,"rules":[{"keywords":["kaboom"]}],
		"actions":[{"title":"Defuse {activity}","why":"{activity_long}"}]}],"fallbacks":` + fallbacks + `}`))
	if err != nil {
		t.Fatal(err)
	}
	res := kb.Advise(input(50, factors(), pat("b", "KABOOM at <*>", 7, 0, 7, "KABOOM at dock 4")), nil)
	if res.Actions[0].Key != "boom" || !strings.Contains(res.Actions[0].Title, "7 'KABOOM' errors in 15 min") {
		t.Errorf("first action = %+v", res.Actions[0])
	}
	if len(res.Actions) < 3 {
		t.Errorf("%d actions, want >= 3", len(res.Actions))
	}
}
