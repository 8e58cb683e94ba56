package cli

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sampleLog writes a small log: an hour of a calm service, then ten minutes
// of database errors.
func sampleLog(tb testing.TB, dir string) string {
	tb.Helper()
	var b strings.Builder
	start := time.Date(2026, 4, 14, 10, 0, 0, 0, time.UTC)
	for i := 0; i < 70*6; i++ {
		t := start.Add(time.Duration(i) * 10 * time.Second)
		fmt.Fprintf(&b, "%s level=info msg=\"request served\" path=/api/items status=200 duration_ms=%d\n", t.Format(time.RFC3339), 40+i%30)
		if i >= 60*6 {
			fmt.Fprintf(&b, "%s level=error msg=\"query failed\" err=\"pq: sorry, too many clients already\" db=orders\n", t.Add(time.Second).Format(time.RFC3339))
		}
	}
	p := filepath.Join(dir, "app.log")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

func run(args []string, stdin string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, Stdio{In: strings.NewReader(stdin), Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}

func TestAnalyzeErrors(t *testing.T) {
	dir := t.TempDir()
	log := sampleLog(t, dir)
	tests := []struct {
		name    string
		args    []string
		code    int
		errWant string
	}{
		{"missing file", []string{"analyze", filepath.Join(dir, "nope.log")}, 1, "no such file"},
		{"missing second file", []string{"analyze", log, filepath.Join(dir, "nope.log")}, 1, "nope.log"},
		{"a directory", []string{"analyze", dir}, 1, "is a directory"},
		{"bad flag", []string{"analyze", "--colour", log}, 2, "flag provided but not defined"},
		{"bad horizon", []string{"analyze", "--horizon", "12h", log}, 2, "want 24h, 48h or 72h"},
		{"no input", []string{"analyze"}, 2, "no input"},
		{"empty input", []string{"analyze", "-"}, 1, "no log events"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(tc.args, "")
			if code != tc.code || !strings.Contains(stderr, tc.errWant) {
				t.Errorf("Run(%q) = %d, stderr %q; want %d and %q", tc.args, code, stderr, tc.code, tc.errWant)
			}
		})
	}
}

func TestAnalyzeJSON(t *testing.T) {
	dir := t.TempDir()
	log := sampleLog(t, dir)
	raw, _ := os.ReadFile(log)
	gz := filepath.Join(dir, "app.log.gz")
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write(raw)
	zw.Close()
	os.WriteFile(gz, zb.Bytes(), 0o644)

	decode := func(t *testing.T, args []string, stdin string) map[string]any {
		t.Helper()
		code, out, stderr := run(args, stdin)
		if code != 0 {
			t.Fatalf("Run(%q) = %d: %s", args, code, stderr)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, out)
		}
		return m
	}
	plain := decode(t, []string{"analyze", "--json", log}, "")
	tests := []struct {
		name  string
		args  []string
		stdin string
		ev    float64
	}{
		{"gzip", []string{"analyze", "--json", gz}, "", plain["events"].(float64)},
		{"stdin", []string{"analyze", "--json", "-"}, string(raw), plain["events"].(float64)},
		{"byte-order mark", []string{"analyze", "--json", "-"}, "\ufeff" + string(raw), plain["events"].(float64)},
		{"flags after files, two files", []string{"analyze", log, gz, "--json", "--horizon", "72h"}, "", 2 * plain["events"].(float64)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := decode(t, tc.args, tc.stdin)
			if m["events"].(float64) != tc.ev {
				t.Errorf("events = %v, want %v", m["events"], tc.ev)
			}
		})
	}

	// the names issue 3 lists
	r := plain["risk"].(map[string]any)
	if r["label"] == "low" || len(r["top"].([]any)) != 3 || len(r["factors"].([]any)) != 5 {
		t.Errorf("risk = label %v top %v, %d factors; want the errors noticed", r["label"], r["top"], len(r["factors"].([]any)))
	}
	fc := plain["forecast"].(map[string]any)
	if fc["horizon_hours"].(float64) != 24 || len(fc["points"].([]any)) != 24 {
		t.Errorf("forecast horizon %v, %d points", fc["horizon_hours"], len(fc["points"].([]any)))
	}
	for _, k := range []string{"time", "score", "low", "high"} {
		if _, ok := fc["points"].([]any)[0].(map[string]any)[k]; !ok {
			t.Errorf("forecast point lacks %q", k)
		}
	}
	acts := plain["actions"].([]any)
	if len(acts) < 3 {
		t.Fatalf("%d actions", len(acts))
	}
	for _, k := range []string{"id", "title", "why", "priority", "evidence"} {
		if _, ok := acts[0].(map[string]any)[k]; !ok {
			t.Errorf("action lacks %q", k)
		}
	}
	if top := strings.ToLower(fmt.Sprint(acts[:3])); !strings.Contains(top, "too many clients") && !strings.Contains(top, "database") {
		t.Errorf("top three actions do not name the database problem: %s", top)
	}
	span := plain["span"].(map[string]any)
	if span["from"] != "2026-04-14T10:00:00Z" {
		t.Errorf("span.from = %v", span["from"])
	}
}

func TestAnalyzeText(t *testing.T) {
	log := sampleLog(t, t.TempDir())
	code, out, stderr := run([]string{"analyze", log}, "")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"events", "formats  ", "RISK", "error_rate", "log_volume", "latency", "memory", "cpu",
		"top:", "PATTERNS", "too many clients", "FORECAST", "P(high)", "CHAIN", "context_analysis", "action_generation", "ACTIONS", "why:"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("colour codes in output that is not a terminal")
	}
}

func TestEachLine(t *testing.T) {
	long := strings.Repeat("x", maxLine+5000)
	in := "a\r\n\nb\n" + long + "\nc"
	var got []string
	err := eachLine(bufio.NewReaderSize(strings.NewReader(in), 16), func(b []byte) bool {
		got = append(got, string(b))
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[0] != "a" || got[1] != "b" || len(got[2]) != maxLine || got[3] != "c" {
		t.Errorf("eachLine = %d lines: %q %q len %d %q", len(got), got[0], got[1], len(got[2]), got[len(got)-1])
	}
}

func TestParseHorizon(t *testing.T) {
	for in, want := range map[string]int{"24h": 24, "48h": 48, "72H": 72, "72": 72, "2d": 48} {
		if got, err := parseHorizon(in); got != want || err != nil {
			t.Errorf("parseHorizon(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	if _, err := parseHorizon("1w"); err == nil {
		t.Errorf("parseHorizon(1w) = nil error")
	}
}

// TestFmtValue pins the factor table's values: risk.Format's, but for a
// narrower lines/min.
func TestFmtValue(t *testing.T) {
	tests := []struct {
		name string
		v    float64
		unit string
		want string
	}{
		{"zero ratio", 0, "ratio", "0%"},
		{"small ratio", 0.005, "ratio", "0.50%"},
		{"ratio under 10%", 0.05, "ratio", "5.0%"},
		{"ratio", 0.35, "ratio", "35%"},
		{"percent", 87.4, "%", "87%"},
		{"milliseconds", 840, "ms", "840 ms"},
		{"seconds", 12500, "ms", "12.5 s"},
		{"megabytes", 512.2, "MB", "512 MB"},
		{"slow volume", 2.25, "lines/min", "2.2/min"},
		{"volume", 250, "lines/min", "250.0/min"},
		{"other unit", 3, "req", "3 req"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fmtValue(tt.v, tt.unit); got != tt.want {
				t.Errorf("fmtValue(%v, %q) = %q, want %q", tt.v, tt.unit, got, tt.want)
			}
		})
	}
}

// TestAnalyzeSkipped pins the line about events out of time order: one line
// stamped a year before the rest is older than the hourly history kept.
func TestAnalyzeSkipped(t *testing.T) {
	dir := t.TempDir()
	log := sampleLog(t, dir)
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, "2025-04-14T10:00:00Z level=info msg=\"request served\" path=/api/items status=200\n"...)
	if err := os.WriteFile(log, b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run([]string{"analyze", log}, "")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := "skipped  1 events out of time order: 1 older than the 30 days of hourly history kept, 0 over 30 days ahead of the events before (or before 1990 / after 2200)"
	if !strings.Contains(out, want) {
		t.Errorf("report lacks %q:\n%s", want, out)
	}
}

// analyze --state applies a learned state: feedback re-ranks, a mute
// removes a type, a past incident is matched; a bad state file is refused.
func TestAnalyzeState(t *testing.T) {
	dir := t.TempDir()
	log := sampleLog(t, dir)
	report := func(args ...string) map[string]any {
		t.Helper()
		code, out, stderr := run(append([]string{"analyze", "--json"}, args...), "")
		if code != 0 {
			t.Fatalf("analyze %q = %d: %s", args, code, stderr)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	firstKey := func(m map[string]any) string { return m["actions"].([]any)[0].(map[string]any)["key"].(string) }
	plain := report(log)
	top := firstKey(plain)
	sig, _ := json.Marshal(plain["signature"])
	state := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	muted := report("--state", state("mute.json", fmt.Sprintf(`{"version": 1, "feedback": [], "overrides": {"muted": [%q]}}`, top)), log)
	for _, a := range muted["actions"].([]any) {
		if a.(map[string]any)["key"] == top {
			t.Errorf("muted %q still proposed", top)
		}
	}
	fb := report("--state", state("fb.json", fmt.Sprintf(`{"version": 1, "feedback": [{"key": %q, "status": "not_relevant"}, {"key": %q, "status": "not_relevant"}]}`, top, top)), log)
	score := func(m map[string]any) float64 {
		for _, a := range m["actions"].([]any) {
			if a := a.(map[string]any); a["key"] == top {
				return a["score"].(float64)
			}
		}
		return -1
	}
	if b, a := score(plain), score(fb); !(a >= 0 && a < b/2) {
		t.Errorf("%q marked not relevant twice: ranking score %v -> %v, want under half", top, b, a)
	}
	inc := report("--state", state("inc.json", fmt.Sprintf(`{"version": 1, "feedback": [], "incidents": [{"id": 3, "opened_at": "2026-03-01T10:00:00Z",
		"title": "orders DB out of connections", "fix": "raising max_connections", "signature": %s}]}`, sig)), log)
	if s, _ := inc["similar_incidents"].([]any); len(s) != 1 {
		t.Errorf("similar_incidents = %v, want the past incident (label %v)", inc["similar_incidents"], inc["risk"].(map[string]any)["label"])
	}
	for _, tc := range []struct{ body, want string }{
		{`{"version": 9, "feedback": []}`, "version 9"},
		{`{"version": 1, "overrides": {"thresholds": {"speed": 3}}}`, "unknown factor"},
		{`not json`, "read learned state"},
	} {
		code, _, stderr := run([]string{"analyze", "--state", state("bad.json", tc.body), log}, "")
		if code != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("analyze --state %s = %d, %q; want 1 and %q", tc.body, code, stderr, tc.want)
		}
	}
	if code, _, stderr := run([]string{"analyze", "--state", filepath.Join(dir, "none.json"), log}, ""); code != 1 || !strings.Contains(stderr, "no such file") {
		t.Errorf("missing state file: %d %q", code, stderr)
	}
}
