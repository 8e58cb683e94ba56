package engine

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/parse"
	"github.com/cloudsage/cloudsage/internal/testenv"
	"github.com/google/go-cmp/cmp"
)

func scenarioByName(tb testing.TB, name string) scenario {
	tb.Helper()
	for _, sc := range scenarios {
		if sc.name == name {
			return sc
		}
	}
	tb.Fatalf("no scenario %q", name)
	return scenario{}
}

func TestAddLinesSetsPatterns(t *testing.T) {
	e := New(DefaultConfig())
	lines := []string{
		`{"time":"2026-04-14T10:00:00Z","level":"ERROR","msg":"dial tcp 10.0.0.7:5432: connect: connection refused"}`,
		`{"time":"2026-04-14T10:00:01Z","level":"ERROR","msg":"dial tcp 10.0.0.9:5432: connect: connection refused"}`,
		`2026-04-14 10:00:02,000 ERROR [app] Traceback (most recent call last):`,
		`  File "/app/x.py", line 3, in f`,
		`ValueError: bad`,
	}
	evs := e.AddLines(lines)
	evs = append(evs, e.Flush()...)
	if len(evs) != 3 {
		t.Fatalf("AddLines+Flush returned %d events, want 3 (the traceback is one)", len(evs))
	}
	for _, ev := range evs {
		if ev.Pattern == "" {
			t.Errorf("event %q has no pattern", ev.Message)
		}
	}
	if evs[0].Pattern != evs[1].Pattern {
		t.Errorf("the two connection errors got patterns %s and %s, want one", evs[0].Pattern, evs[1].Pattern)
	}
	if e.Events() != 3 || !e.LastEventTime().Equal(time.Date(2026, 4, 14, 10, 0, 2, 0, time.UTC)) {
		t.Errorf("Events = %d, LastEventTime = %v", e.Events(), e.LastEventTime())
	}
}

func TestAddEvents(t *testing.T) {
	e := New(DefaultConfig())
	at := time.Date(2026, 4, 14, 10, 0, 0, 0, time.UTC)
	evs := make([]cloudsage.Event, 50)
	for i := range evs {
		evs[i] = cloudsage.Event{Time: at.Add(time.Duration(i) * time.Second), Level: cloudsage.LevelError,
			Message: fmt.Sprintf("payment %d declined", i), Format: "otlp"}
	}
	e.AddEvents(evs)
	if evs[0].Pattern == "" || evs[0].Pattern != evs[49].Pattern {
		t.Errorf("patterns %q and %q, want one non-empty id", evs[0].Pattern, evs[49].Pattern)
	}
	r := e.Report(e.LastEventTime(), 24)
	if r.Events != 50 || r.Formats["otlp"] != 50 || len(r.Patterns) != 1 || r.Patterns[0].Errors != 50 {
		t.Errorf("report: events %d formats %v patterns %d", r.Events, r.Formats, len(r.Patterns))
	}
}

func TestReportShape(t *testing.T) {
	tests := []struct {
		name    string
		lines   []string
		horizon int
	}{
		{"empty", nil, 24},
		{"one line", []string{"2026-04-14T10:00:00Z hello"}, 48},
		{"lines without time", []string{"hello", "world", "hello again"}, 72},
		{"scenario", scenarioByName(t, "disk_full").generate(), 72},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := New(DefaultConfig())
			e.SetDefaultTime(time.Date(2026, 4, 14, 9, 0, 0, 0, time.UTC))
			for _, l := range tc.lines {
				e.AddLine(l)
			}
			e.Flush()
			at := e.LastEventTime()
			if at.IsZero() {
				at = time.Date(2026, 4, 14, 9, 0, 0, 0, time.UTC)
			}
			r := e.Report(at, tc.horizon)
			if len(r.Risk.Factors) != 5 || len(r.Risk.Top) != 3 {
				t.Errorf("%d factors, %d top", len(r.Risk.Factors), len(r.Risk.Top))
			}
			if len(r.Forecast.Points) != tc.horizon || r.Forecast.HorizonHours != tc.horizon {
				t.Errorf("%d forecast points for horizon %d", len(r.Forecast.Points), tc.horizon)
			}
			for i, p := range r.Forecast.Points {
				if !(p.Low <= p.Score && p.Score <= p.High) || p.Low < 0 || p.High > 100 {
					t.Errorf("point %d = %+v: want 0 <= low <= score <= high <= 100", i, p)
				}
				if i > 0 && !p.Time.After(r.Forecast.Points[i-1].Time) {
					t.Errorf("point %d time %v not after the previous", i, p.Time)
				}
			}
			if r.Forecast.PHigh < 0 || r.Forecast.PHigh > 1 || r.Forecast.Confidence < 0 || r.Forecast.Confidence > 1 {
				t.Errorf("p_high %v, confidence %v", r.Forecast.PHigh, r.Forecast.Confidence)
			}
			if len(r.Actions) < 3 || len(r.Chain.Steps) != 4 {
				t.Errorf("%d actions, %d steps", len(r.Actions), len(r.Chain.Steps))
			}
			// the JSON carries the names issue 3 lists
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			json.Unmarshal(b, &m)
			for _, k := range []string{"events", "formats", "span", "risk", "patterns", "forecast", "chain", "actions"} {
				if _, ok := m[k]; !ok {
					t.Errorf("JSON lacks %q", k)
				}
			}
			risk := m["risk"].(map[string]any)
			f0 := risk["factors"].([]any)[0].(map[string]any)
			for _, k := range []string{"name", "weight", "points", "value", "baseline"} {
				if _, ok := f0[k]; !ok {
					t.Errorf("factor JSON lacks %q", k)
				}
			}
			fc := m["forecast"].(map[string]any)
			for _, k := range []string{"horizon_hours", "points", "p_high", "confidence"} {
				if _, ok := fc[k]; !ok {
					t.Errorf("forecast JSON lacks %q", k)
				}
			}
		})
	}
}

func TestNewPatternDetection(t *testing.T) {
	sc := scenarioByName(t, "deploy_error_spike")
	e := New(DefaultConfig())
	for _, l := range sc.generate() {
		e.AddLine(l)
	}
	e.Flush()
	r := e.Report(e.LastEventTime(), 24)
	var found bool
	for _, p := range r.Patterns {
		if strings.Contains(p.Template, "customer_tier") {
			found = true
			if !p.New || p.Trend != "new" || p.FirstSeen.Before(r.At.Add(-30*time.Minute)) || p.Errors == 0 || p.Count != p.Recent+p.Before {
				t.Errorf("deploy error pattern: new %v trend %s first %v count %d = %d recent + %d before? errors %d",
					p.New, p.Trend, p.FirstSeen, p.Count, p.Recent, p.Before, p.Errors)
			}
		} else if _, _, st, http := splitKey(p.Template); p.New && !(http && st[0] == '5') {
			// a route's first 5xx since the deploy is new too: it never happened before
			t.Errorf("pattern %q is new, want only the deploy's error (and its deploy line, and first 5xx per route) new", p.Template)
		}
	}
	if !found {
		t.Fatalf("no pattern for the deploy's KeyError among %d", len(r.Patterns))
	}
	// the same engine asked about an hour before the incident sees nothing new
	early := e.Report(e.LastEventTime().Add(-2*time.Hour), 24)
	for _, p := range early.Patterns {
		if p.New || strings.Contains(p.Template, "customer_tier") {
			t.Errorf("two hours earlier, pattern %q (new %v) should not show", p.Template, p.New)
		}
	}
	if early.Risk.Label != "low" {
		t.Errorf("two hours earlier the label is %s, want low", early.Risk.Label)
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	lines := scenarioByName(t, "upstream_timeout").generate()
	half := len(lines) / 2
	whole := New(DefaultConfig())
	for _, l := range lines {
		whole.AddLine(l)
	}
	whole.Flush()

	first := New(DefaultConfig())
	for _, l := range lines[:half] {
		first.AddLine(l)
	}
	first.Flush()
	data, err := first.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	resumed := New(DefaultConfig())
	if err := resumed.UnmarshalBinary(data); err != nil {
		t.Fatalf("UnmarshalBinary: %v", err)
	}
	for _, l := range lines[half:] {
		resumed.AddLine(l)
	}
	resumed.Flush()
	at := whole.LastEventTime()
	a, b := whole.Report(at, 24), resumed.Report(at, 24)
	// step durations differ by nature; nothing else may
	opt := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".DurationMS" }, cmp.Ignore())
	if d := cmp.Diff(a, b, opt, cmp.AllowUnexported(Pattern{})); d != "" {
		t.Errorf("report after a snapshot and resume differs (-whole +resumed):\n%s", d)
	}
	if len(data) > 2<<20 {
		t.Errorf("snapshot is %d bytes", len(data))
	}
	if err := resumed.UnmarshalBinary(data[:len(data)/2]); err == nil {
		t.Errorf("UnmarshalBinary(truncated) = nil, want an error")
	}
}

// TestAddLineReusesFields checks AddLine, which hands each event's Fields
// map back to the parser for the next line, against AddLines, which keeps
// every event's map: the same state (snapshot) and the same report.
func TestAddLineReusesFields(t *testing.T) {
	lines := parse.Corpus(20000, 5)
	lines = append(lines, scenarioByName(t, "upstream_timeout").generate()...)
	one, all := New(DefaultConfig()), New(DefaultConfig())
	for _, l := range lines {
		one.AddLine(l)
	}
	one.Flush()
	evs := all.AddLines(lines)
	evs = append(evs, all.Flush()...)
	if len(evs) == 0 || evs[0].Fields == nil && evs[1].Fields == nil && evs[2].Fields == nil {
		t.Fatalf("corpus gave %d events, the first without fields", len(evs))
	}
	a, err := one.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	b, err := all.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Errorf("AddLine and AddLines end in different states (snapshots of %d and %d bytes differ)", len(a), len(b))
	}
	at := all.LastEventTime()
	opt := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".DurationMS" }, cmp.Ignore())
	if d := cmp.Diff(all.Report(at, 24), one.Report(at, 24), opt, cmp.AllowUnexported(Pattern{})); d != "" {
		t.Errorf("report (-AddLines +AddLine):\n%s", d)
	}
}

func TestBoundedOnRandomInput(t *testing.T) {
	e := New(DefaultConfig())
	r := rand.New(rand.NewPCG(1, 1))
	at := time.Date(2026, 4, 14, 0, 0, 0, 0, time.UTC)
	n := 60000
	if testing.Short() {
		n = 10000
	}
	for i := 0; i < n; i++ {
		// unique random words: every line a new template candidate
		e.AddLine(fmt.Sprintf("%s level=error msg=\"%x %x %x\"", at.Add(time.Duration(i)*time.Second).Format(time.RFC3339), r.Uint64(), r.Uint32(), r.Uint64()))
	}
	e.Flush()
	data, _ := e.MarshalBinary()
	if len(data) > 64<<20 {
		t.Errorf("snapshot of random input is %d bytes", len(data))
	}
	rep := e.Report(e.LastEventTime(), 24)
	if len(rep.Patterns) > DefaultConfig().ReportPatterns {
		t.Errorf("%d patterns in the report", len(rep.Patterns))
	}
}

func FuzzEngine(f *testing.F) {
	f.Add("2026-04-14T10:00:00Z ERROR db: too many clients\nnext line")
	f.Add(`{"time":"2026-04-14T10:00:00Z","level":"error","msg":"x","duration_ms":1e308}`)
	f.Add("<34>Oct 11 22:14:15 mymachine su: 'su root' failed\n\tat x.y(Z.java:1)")
	f.Fuzz(func(t *testing.T, s string) {
		e := New(DefaultConfig())
		for _, l := range strings.Split(s, "\n") {
			e.AddLine(l)
		}
		e.Flush()
		at := e.LastEventTime()
		r := e.Report(at, 24)
		if r.Risk.Score < 0 || r.Risk.Score > 100 || len(r.Forecast.Points) != 24 {
			t.Fatalf("score %v, %d points", r.Risk.Score, len(r.Forecast.Points))
		}
		if _, err := json.Marshal(r); err != nil {
			t.Fatalf("report does not encode: %v", err)
		}
	})
}

// BenchmarkEngine measures lines per second through parse, mine and
// aggregate on a mixed corpus (Report is measured apart).
func BenchmarkEngine(b *testing.B) {
	corpus := parse.Corpus(20000, 1)
	var bytes int64
	for _, l := range corpus {
		bytes += int64(len(l)) + 1
	}
	e := New(DefaultConfig())
	b.SetBytes(bytes / int64(len(corpus)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := testenv.StartCPU()
	for i := 0; i < b.N; i++ {
		e.AddLine(corpus[i%len(corpus)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	cpu.Report(b, b.N, "lines")
}

// BenchmarkReport recomputes risk and forecast for a project with 1,000
// patterns and 7 days of minute buckets (the budget: 20 ms).
func BenchmarkReport(b *testing.B) {
	e := New(DefaultConfig())
	end := time.Date(2026, 4, 14, 12, 0, 0, 0, time.UTC)
	start := end.Add(-7 * 24 * time.Hour)
	r := rand.New(rand.NewPCG(2, 2))
	evs := make([]cloudsage.Event, 0, 16)
	for m := 0; m < 7*24*60; m++ {
		t0 := start.Add(time.Duration(m) * time.Minute)
		evs = evs[:0]
		for i := 0; i < 10; i++ {
			p := r.IntN(1000)
			ev := cloudsage.Event{Time: t0.Add(time.Duration(i) * 5 * time.Second), Level: cloudsage.LevelInfo,
				Message: fmt.Sprintf("%s %s %s for user %d", word(p, 0), word(p, 1), word(p, 2), r.IntN(1e6)), Raw: "raw"}
			if p%17 == 0 {
				ev.Level = cloudsage.LevelError
			}
			ev.Signals.HasLatency, ev.Signals.LatencyMS = true, 20+r.Float64()*80
			ev.Signals.HasCPU, ev.Signals.CPUPct = true, 30+r.Float64()*10
			evs = append(evs, ev)
		}
		e.AddEvents(evs)
	}
	if n := e.series.PatternCount(); n < 900 {
		b.Fatalf("only %d patterns tracked, want ~1000", n)
	}
	at := e.LastEventTime()
	b.ResetTimer()
	for b.Loop() {
		e.Report(at, 72)
	}
}

// word returns a digit-free word unique to (p, i), so that every p is its own template.
func word(p, i int) string {
	b := []byte{byte('a' + i)}
	for n := p + 1; n > 0; n /= 26 {
		b = append(b, byte('a'+n%26))
	}
	return string(b)
}

func TestMineText(t *testing.T) {
	tests := []struct {
		name string
		ev   cloudsage.Event
		want string
	}{
		{"structured error joins its error field", cloudsage.Event{Format: "logfmt", Level: cloudsage.LevelError, Message: "cache get failed",
			Fields: map[string]string{"err": "redis: connection pool timeout"}}, "cache get failed: redis: connection pool timeout"},
		{"info keeps its message", cloudsage.Event{Format: "json", Level: cloudsage.LevelInfo, Message: "retrying",
			Fields: map[string]string{"error": "x"}}, "retrying"},
		{"message already names it", cloudsage.Event{Format: "json", Level: cloudsage.LevelError, Message: "dial failed: timeout",
			Fields: map[string]string{"error": "timeout"}}, "dial failed: timeout"},
		{"plain text is not structured", cloudsage.Event{Format: "app", Level: cloudsage.LevelError, Message: "boom",
			Fields: map[string]string{"error": "x"}}, "boom"},
		{"raw when no message", cloudsage.Event{Format: "plain", Raw: "raw line"}, "raw line"},
	}
	for _, tt := range tests {
		if got := mineText(&tt.ev); got != tt.want {
			t.Errorf("%s: mineText = %q, want %q", tt.name, got, tt.want)
		}
	}
}
