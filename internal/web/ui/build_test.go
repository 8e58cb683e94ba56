package ui

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
)

func TestHighlight(t *testing.T) {
	tests := []struct {
		msg, q string
		want   []Part
	}{
		{"pool exhausted", "", []Part{{Text: "pool exhausted"}}},
		{"Pool exhausted on db", "pool", []Part{{Text: "Pool", Hit: true}, {Text: " exhausted on db"}}},
		{"too many clients, clients!", "CLIENTS", []Part{{Text: "too many "}, {Text: "clients", Hit: true}, {Text: ", "}, {Text: "clients", Hit: true}, {Text: "!"}}},
		{"a b", "a b", []Part{{Text: "a", Hit: true}, {Text: " "}, {Text: "b", Hit: true}}},
		{"timeout error", `"timeout" -error`, []Part{{Text: "timeout", Hit: true}, {Text: " error"}}},
		{"ǅ x", "x", []Part{{Text: "ǅ "}, {Text: "x", Hit: true}}},
	}
	for _, tt := range tests {
		if got := Highlight(tt.msg, tt.q); !cmp.Equal(got, tt.want) {
			t.Errorf("Highlight(%q, %q) = %v, want %v", tt.msg, tt.q, got, tt.want)
		}
		var b strings.Builder
		for _, p := range Highlight(tt.msg, tt.q) {
			b.WriteString(p.Text)
		}
		if b.String() != tt.msg {
			t.Errorf("Highlight(%q, %q) parts join to %q", tt.msg, tt.q, b.String())
		}
	}
}

func FuzzHighlight(f *testing.F) {
	f.Add("too many clients already", "clients")
	f.Add("İstanbul ǅ", "i")
	f.Fuzz(func(t *testing.T, msg, q string) {
		var b strings.Builder
		for _, p := range Highlight(msg, q) {
			b.WriteString(p.Text)
		}
		if b.String() != msg {
			t.Fatalf("Highlight(%q, %q) parts join to %q", msg, q, b.String())
		}
	})
}

func TestNewSparkline(t *testing.T) {
	from := testNow.Add(-7 * 24 * time.Hour)
	f := func(name string, pts []store.RiskPoint, wantEmpty bool, wantPoints string) {
		t.Helper()
		s := NewSparkline(pts, from, testNow)
		if s.Empty != wantEmpty || (wantPoints != "" && s.Points != wantPoints) {
			t.Errorf("%s: NewSparkline = %+v, want empty %v points %q", name, s, wantEmpty, wantPoints)
		}
	}
	f("none", nil, true, "")
	f("outside the week", []store.RiskPoint{{At: from.Add(-time.Hour), Score: 50}}, true, "")
	f("one point is a flat line", []store.RiskPoint{{At: testNow, Score: 100}}, false, "0,1 120,1")
	f("two points, sorted", []store.RiskPoint{{At: testNow, Score: 0}, {At: from, Score: 100}}, false, "0,1 120,31")
}

func TestHistoryChart(t *testing.T) {
	var pts []store.RiskPoint
	for i := range 2000 { // one every 10 minutes, more than the chart draws
		pts = append(pts, store.RiskPoint{At: testNow.Add(-time.Duration(i) * 10 * time.Minute), Score: float64(i % 100)})
	}
	c := HistoryChart(pts, testNow.Add(-30*24*time.Hour), testNow, 70)
	var d struct {
		X         []int64
		Score     []float64
		Threshold float64
	}
	if err := json.Unmarshal([]byte(c.JSON), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.X) > maxHistoryPoints || len(d.X) != len(d.Score) || len(d.X) < 300 {
		t.Errorf("history chart has %d x and %d scores, want the same count, at most %d", len(d.X), len(d.Score), maxHistoryPoints)
	}
	for i := 1; i < len(d.X); i++ {
		if d.X[i] <= d.X[i-1] {
			t.Fatalf("x not increasing at %d", i)
		}
	}
	if d.Threshold != 70 || c.Empty {
		t.Errorf("threshold %v, empty %v", d.Threshold, c.Empty)
	}
	if e := HistoryChart(nil, testNow.Add(-time.Hour), testNow, 70); !e.Empty {
		t.Errorf("an empty history is not Empty")
	}
}

func TestNewActivity(t *testing.T) {
	p := store.Project{ID: 1, Name: "api"}
	bs := []store.Batch{
		{CreatedAt: testNow.Add(-3 * time.Hour), Accepted: 1000, Score: 20, Label: "low"},
		{CreatedAt: testNow.Add(-2 * time.Hour), Accepted: 5, Score: 22, Label: "low"},
		{CreatedAt: testNow.Add(-time.Hour), Accepted: 1234, Score: 75, Label: "high", NewPatterns: 2},
	}
	got := NewActivity([]store.Project{p}, map[cloudsage.ProjectID][]store.Batch{1: bs}, 10)
	var texts []string
	for _, a := range got {
		texts = append(texts, a.Text)
	}
	want := []string{
		"ingested 1,234 lines (0 rejected)", "2 new log patterns", "risk rose from low to high (score 75)",
		"ingested 5 lines (0 rejected)",
		"ingested 1,000 lines (0 rejected)", "first risk score: 20",
	}
	if diff := cmp.Diff(want, texts); diff != "" {
		t.Errorf("NewActivity texts (-want +got):\n%s", diff)
	}
	if got := NewActivity([]store.Project{p}, map[cloudsage.ProjectID][]store.Batch{1: bs}, 2); len(got) != 2 {
		t.Errorf("limit 2: %d lines", len(got))
	}
}

func TestLogsURL(t *testing.T) {
	tests := []struct {
		kv   []string
		want string
	}{
		{nil, "/projects/3/logs"},
		{[]string{"pattern", "p1", "q", ""}, "/projects/3/logs?pattern=p1"},
		{[]string{"q", "a&b", "level", "error"}, "/projects/3/logs?level=error&q=a%26b"},
	}
	for _, tt := range tests {
		if got := LogsURL(3, tt.kv...); got != tt.want {
			t.Errorf("LogsURL(3, %q) = %q, want %q", tt.kv, got, tt.want)
		}
	}
}

func TestNewProjectPageWithoutReport(t *testing.T) {
	p := testProject()
	pg := NewProjectPage(p, nil, nil, nil, testNow)
	if pg.HasReport || len(pg.Actions) != 0 || !pg.Forecast.Chart.Empty || !pg.History.Empty {
		t.Errorf("a project without logs: %+v", pg)
	}
	var b strings.Builder
	if err := MustNew().Execute(&b, "project", pg); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "No logs yet") {
		t.Errorf("a project without logs does not invite to send some")
	}
}

func TestCurlLine(t *testing.T) {
	got := CurlLine("http://h:8080/", 4, "")
	want := "curl -sS -H 'Authorization: Bearer $CLOUDSAGE_TOKEN' -H 'Content-Type: text/plain' --data-binary @app.log http://h:8080/api/ingest/4"
	if got != want {
		t.Errorf("CurlLine = %q, want %q", got, want)
	}
}

// During an episode the chart draws each scenario with its band instead of
// the mixed band, names them in its legend and lists them in its table.
func TestForecastChartScenarios(t *testing.T) {
	rep := Report{}
	rep.Risk.History = []struct {
		Time  time.Time `json:"time"`
		Score float64   `json:"score"`
	}{{Time: testNow, Score: 75}}
	for i := 1; i <= 3; i++ {
		at := testNow.Add(time.Duration(i) * time.Hour)
		rep.Forecast.Points = append(rep.Forecast.Points, ReportPoint{Time: at, Score: 60, Low: 0, High: 75})
	}
	add := func(name, title string, score float64) {
		sc := struct {
			Name        string        `json:"name"`
			Title       string        `json:"title"`
			Probability float64       `json:"probability"`
			Points      []ReportPoint `json:"points"`
		}{Name: name, Title: title}
		for _, p := range rep.Forecast.Points {
			sc.Points = append(sc.Points, ReportPoint{Time: p.Time, Score: score, Low: score - 5, High: score + 5})
		}
		rep.Forecast.Scenarios = append(rep.Forecast.Scenarios, sc)
	}
	add("persists", "If it persists (84%)", 75)
	add("resolved", "If it is resolved now (16%)", 5)
	c := forecastChart(rep, 70)
	var d struct {
		X         []int64 `json:"x"`
		Scenarios []struct {
			Name string     `json:"name"`
			Mean []*float64 `json:"mean"`
			Low  []*float64 `json:"low"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal([]byte(c.JSON), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Scenarios) != 2 || len(d.Scenarios[1].Mean) != len(d.X) || d.Scenarios[1].Mean[0] == nil ||
		*d.Scenarios[1].Mean[0] != 75 || *d.Scenarios[1].Mean[1] != 5 || *d.Scenarios[1].Low[1] != 0 {
		t.Errorf("scenarios %s; want two, aligned with x, joined to the last observed score", c.JSON)
	}
	if len(c.Scenarios) != 2 || c.Scenarios[0].Title != "If it persists (84%)" {
		t.Errorf("legend %+v", c.Scenarios)
	}
	if !strings.Contains(c.Table[len(c.Table)-1].Value, "if it is resolved now (16%) 5 (0–10)") {
		t.Errorf("table row %q does not list the scenarios", c.Table[len(c.Table)-1].Value)
	}
}
