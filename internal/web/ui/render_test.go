package ui

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/engine"
	"github.com/cloudsage/cloudsage/internal/store"
)

var testNow = time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC)

// sampleReport runs the real engine over the sample logs, as an ingest would.
func sampleReport(tb testing.TB) Report {
	tb.Helper()
	e := engine.New(engine.DefaultConfig())
	e.AddLines(SampleLogs(testNow, 3, 7))
	e.Flush()
	body, err := json.Marshal(e.Report(e.LastEventTime(), 24))
	if err != nil {
		tb.Fatal(err)
	}
	rep, err := DecodeReport(body)
	if err != nil {
		tb.Fatal(err)
	}
	return rep
}

func testProject() store.Project {
	at := testNow.Add(-2 * time.Minute)
	return store.Project{ID: 7, Name: "shop <api>", Settings: store.DefaultSettings(), Role: store.RoleAdmin,
		Score: 72, Label: "high", Events: 2345, LastIngestAt: &at}
}

func history() []store.RiskPoint {
	var ps []store.RiskPoint
	for i := 0; i < 40; i++ {
		ps = append(ps, store.RiskPoint{At: testNow.Add(-time.Duration(40-i) * 12 * time.Hour), Score: float64(20 + i), Label: "low"})
	}
	return ps
}

// pages returns one filled view model per page.
func pages(tb testing.TB) map[string]any {
	rep := sampleReport(tb)
	p := testProject()
	ref := &ProjectRef{ID: p.ID, Name: p.Name, Role: p.Role}
	lay := func(tab string) Layout {
		return Layout{Title: tab, User: "ann@example.com", Project: ref, Tab: tab, Now: testNow}
	}
	batch := NewBatchView(store.Batch{ID: 3, CreatedAt: testNow.Add(-time.Minute), Source: "text", Bytes: 4096, Received: 100,
		Accepted: 99, Rejected: 1, Formats: map[string]int{"json": 60, "access": 39}, NewPatterns: 2, Score: 72, Label: "high"})
	ev := store.Event{ID: 1, Event: cloudsage.Event{Time: testNow, Level: cloudsage.LevelError, Service: "shop-api",
		Message: "pq: sorry, too many clients already <script>", Pattern: "p1"}}
	return map[string]any{
		"login":     AuthPage{Layout: Layout{Title: "Log in", Now: testNow}, Email: "ann@example.com", Error: "wrong email or password"},
		"register":  AuthPage{Layout: Layout{Title: "Welcome", Now: testNow}, FirstRun: true},
		"login-2fa": AuthPage{Layout: Layout{Title: "Two-factor sign-in", Now: testNow}, Next: "/projects", Error: "Wrong or already used code."},
		"magic":     AuthPage{Layout: Layout{Title: "Sign in by link", Now: testNow}, Email: "ann@example.com", Token: "csm_x"},
		"account": AccountPage{Layout: Layout{Title: "Account", User: "ann@example.com", Now: testNow}, HasPassword: true,
			Sessions:    []SessionRow{{ID: "0123456789abcdef", Created: testNow, LastSeen: testNow, IP: "127.0.0.1", UserAgent: "Firefox <b>", Current: true}},
			SetupSecret: "JBSWY3DPEHPK3PXP", SetupQR: "data:image/png;base64,iVBORw0KGgo="},
		"error": ErrorPage{Layout: Layout{User: "ann@example.com", Now: testNow}, Status: 404, Message: "project not found", RequestID: "abc"},
		"projects": ProjectsPage{
			Layout: Layout{Title: "Projects", User: "ann@example.com", Now: testNow},
			Cards:  []ProjectCard{NewProjectCard(p, history(), testNow), NewProjectCard(store.Project{ID: 8, Name: "empty"}, nil, testNow)},
			Activity: NewActivity([]store.Project{p}, map[cloudsage.ProjectID][]store.Batch{p.ID: {
				{CreatedAt: testNow.Add(-time.Hour), Accepted: 10, Score: 20, Label: "low"},
				{CreatedAt: testNow.Add(-time.Minute), Accepted: 99, Score: 72, Label: "high", NewPatterns: 2}}}, 10),
			Engine: EngineStatus{Healthy: true, Text: "Healthy", Store: "sqlite", LatencyMS: 0.4, Version: "dev"},
		},
		"members": membersPage(lay("members")),
		"invite": InvitePage{Layout: Layout{Title: "Invitation", Now: testNow}, ProjectName: "shop <b>", Inviter: "ann@example.com", Role: store.RoleViewer,
			Email: "bob@example.com", Expires: testNow.Add(time.Hour), LoginURL: "/login?next=/invite/csi_x", SignupURL: "/register?next=/invite/csi_x"},
		"project": NewProjectPage(p, &rep, []store.ActionStatus{{ActionID: rep.Actions[0].ID, Status: store.ActionDone}}, history(), testNow),
		"ingest":  IngestPage{Layout: lay("ingest"), APIURL: "/api/ingest/7", Batches: []BatchView{batch}, Result: &batch, MaxBytes: 64 << 20},
		"logs": LogsPage{Layout: lay("logs"), Filter: LogFilter{Q: "clients"}, Lines: []LogLine{NewLogLine(p.ID, ev, "clients")},
			Levels: []Facet{{Name: "error", Title: "error", Count: 3, URL: "/x", Active: true}}, Tail: true, SelfURL: "/projects/7/logs?q=clients", TailURL: "/projects/7/logs?tail=0"},
		"settings": SettingsPage{Layout: lay("settings"), Settings: p.Settings, NewToken: "cs_tok_secret",
			Tokens: []TokenView{{ID: 1, Name: "ci", Prefix: "cs_abc", Scopes: "ingest", Creator: "ann@example.com", Created: testNow}}, CurlLine: CurlLine("http://127.0.0.1:8080", p.ID, ""),
			Notify: NotifyView{On: true, Types: []string{"email", "webhook"}, NewSecret: "whsec_x",
				Channels: []ChannelView{{ID: 1, Type: "webhook", Name: "pager", Target: "https://example.com/hook", SecretHint: "…abcd", Quiet: "22:00–07:00", MaxPerHour: 20, Enabled: true}},
				Rules:    []RuleView{{ID: 1, Name: "Risk becomes high", Kind: "label", When: "the label becomes high", Channels: "all channels", Enabled: true}},
				History: []NotificationView{{Created: testNow, Channel: "pager", Title: "shop: risk is now HIGH", Status: "pending", Held: "retry", Next: testNow, Attempts: 2, LastError: "the receiver answered 500"},
					{Created: testNow, Channel: "pager", Title: "shop: incident opened", Status: "sent", Grouped: 2, Attempts: 1}},
				Test: &NotificationView{Channel: "pager", Status: "failed", LastError: "connection refused"}}},
	}
}

var (
	inlineEvent = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
	styleAttr   = regexp.MustCompile(`(?i)\sstyle\s*=`)
)

func TestEveryPageRenders(t *testing.T) {
	r, err := New()
	if err != nil {
		t.Fatal(err)
	}
	data := pages(t)
	for _, name := range Pages {
		t.Run(name, func(t *testing.T) {
			d, ok := data[name]
			if !ok {
				t.Fatalf("no view model for page %s in the test", name)
			}
			w := httptest.NewRecorder()
			if err := r.Page(w, http.StatusOK, name, d); err != nil {
				t.Fatalf("Page(%s) = %v", name, err)
			}
			body := w.Body.String()
			if got := w.Header().Get("Content-Security-Policy"); got != CSP {
				t.Errorf("CSP header = %q, want %q", got, CSP)
			}
			for _, re := range []*regexp.Regexp{inlineEvent, styleAttr} {
				if m := re.FindString(body); m != "" {
					t.Errorf("page %s has %q (CSP forbids it)", name, m)
				}
			}
			for _, m := range regexp.MustCompile(`(?is)<script[^>]*>`).FindAllString(body, -1) {
				if !strings.Contains(m, "src=") {
					t.Errorf("page %s has an inline script: %s", name, m)
				}
			}
			if strings.Contains(body, "<script>") && name == "logs" {
				t.Errorf("page %s did not escape a log line", name)
			}
			if !strings.Contains(body, "</html>") {
				t.Errorf("page %s is cut short", name)
			}
		})
	}
}

func TestProjectPageContent(t *testing.T) {
	r := MustNew()
	pg := pages(t)["project"].(ProjectPage)
	var b bytes.Buffer
	if err := r.Execute(&b, "project", pg); err != nil {
		t.Fatal(err)
	}
	body := b.String()
	if len(pg.Factors) != 5 {
		t.Errorf("factors = %d, want 5", len(pg.Factors))
	}
	if pg.Hidden != 1 {
		t.Errorf("hidden actions = %d, want 1 (one marked done)", pg.Hidden)
	}
	if len(pg.Actions) < 2 {
		t.Errorf("actions = %d, want at least 2 after hiding one", len(pg.Actions))
	}
	want := []string{
		"Error rate", "Chain:", pg.Forecast.Chain, "Context analysis", "Action generation",
		`data-chart="forecast"`, `data-chart="history"`, "Done", "Dismiss", "Snooze",
		"/projects/7/logs?", "shop &lt;api&gt;", `sse-connect="/projects/7/live"`, `hx-trigger="sse:score"`,
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("project page lacks %q", w)
		}
	}
	if done := `id="action-` + sampleReport(t).Actions[0].ID + `"`; strings.Contains(body, done) {
		t.Errorf("the action marked done is still listed (%s)", done)
	}
}

func TestFragmentsRender(t *testing.T) {
	r := MustNew()
	pg := pages(t)["project"].(ProjectPage)
	cases := map[string]any{
		"score": pg.Score, "factors": pg, "forecast": pg.Forecast, "actions": pg, "patterns": pg, "history": pg,
		"loglines": pages(t)["logs"], "batch": NewBatchView(store.Batch{ID: 1}), "tokens": pages(t)["settings"],
		"live-note": "New logs <b>",
	}
	for _, name := range Fragments {
		d, ok := cases[name]
		if !ok {
			t.Errorf("no test data for fragment %s", name)
			continue
		}
		var b bytes.Buffer
		if err := r.ExecuteFragment(&b, name, d); err != nil {
			t.Errorf("ExecuteFragment(%s) = %v", name, err)
		}
		if strings.Contains(b.String(), "<b>") {
			t.Errorf("fragment %s did not escape its data", name)
		}
	}
}

func TestAgo(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "just now"}, {-time.Minute, "just now"}, {2 * time.Minute, "2 m ago"}, {59 * time.Minute, "59 m ago"},
		{3 * time.Hour, "3 h ago"}, {47 * time.Hour, "47 h ago"}, {5 * 24 * time.Hour, "5 d ago"},
	}
	for _, tt := range tests {
		if got := Ago(testNow.Add(-tt.d), testNow); got != tt.want {
			t.Errorf("Ago(now-%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
	if got := Ago(time.Time{}, testNow); got != "never" {
		t.Errorf("Ago(zero) = %q, want never", got)
	}
}

// BenchmarkProjectPage renders the project page from a decoded report, as
// GET /projects/{id} does after its store reads.
func BenchmarkProjectPage(b *testing.B) {
	r := MustNew()
	rep := sampleReport(b)
	p := testProject()
	hist := history()
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		pg := NewProjectPage(p, &rep, nil, hist, testNow)
		if err := r.Execute(&buf, "project", pg); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}
