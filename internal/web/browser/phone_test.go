package browser

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cloudsage/cloudsage/internal/web/ui"
)

// On a 390 px phone nothing is wider than the screen, the forecast comes
// before the list of actions, old logs are labelled as old, and a search
// is saved and found again from the logs page.
func TestPhoneLayout(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: skipped with -short")
	}
	base := serve(t)
	ctx := browser(t)
	shots := artifacts(t)
	projectPath := signUpWithProject(t, ctx, base, "pat", "orders-api")
	// Logs that ended 13 days ago, with hosts, and a long unbroken line.
	end := time.Now().Add(-13 * 24 * time.Hour)
	lines := ui.SampleLogs(end, 3, 7)
	for i := range 30 {
		lines = append(lines, fmt.Sprintf(`{"time":%q,"level":"error","host":"api-%d","service":"orders","msg":"too many clients already %s"}`,
			end.Add(-time.Duration(i)*time.Minute).UTC().Format(time.RFC3339), i%3+1, strings.Repeat("x", 120)))
	}
	err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("logs"), strings.Join(lines, "\n")),
		chromedp.Click(chromedp.CSS(`#paste-form button[type=submit]:not([formaction])`)),
		chromedp.WaitVisible(chromedp.CSS(".batch")),
	)
	if err != nil {
		t.Fatalf("paste logs: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	fits := func(page string) {
		t.Helper()
		w, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if w > 390 {
			wide, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll("body *")).filter(function(e){return e.getBoundingClientRect().right > 391}).slice(0, 5).map(function(e){return e.tagName + "." + e.className + "#" + e.id + " " + JSON.stringify((e.textContent || "").trim().slice(0, 40))}).join(", ")`))
			t.Errorf("%s on a 390 px screen is %d px wide: %s", page, w, wide)
		}
	}

	// The project page: the forecast before the actions, the old data said.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+projectPath), chromedp.WaitVisible(chromedp.ID("score"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "charts", `document.querySelectorAll(".uplot").length >= 2`)
	fits("the project page")
	pos, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`["forecast", "actions"].map(function(id){return document.getElementById(id).getBoundingClientRect().top + window.scrollY})`))
	if err != nil {
		t.Fatal(err)
	}
	if pos[0] > pos[1] || pos[0] > 3000 {
		t.Errorf("on a phone the forecast starts at %.0f px, the actions at %.0f px; want the forecast first, within 3000 px", pos[0], pos[1])
	}
	if note := text(t, ctx, "#stale-note"); !strings.Contains(note, "Old data") || !strings.Contains(note, "13 d ago") {
		t.Errorf("the project page over 13-day-old logs says %q, want it to say the data is old", note)
	}
	if s := text(t, ctx, "#score .score-meta"); !strings.Contains(s, "data to") {
		t.Errorf("the score says %q, want the time of its data", s)
	}
	waitFor(t, ctx, "the live status", `document.querySelector("#live-status").dataset.state === "open"`)
	if s := text(t, ctx, "#live-status"); !strings.Contains(s, "no recent logs") {
		t.Errorf("the live status over old logs says %q", s)
	}
	shoot(t, ctx, shots, "phone-project")

	// The logs page: a field search, host facets, saving the search.
	q := `host:api-2 level:error "too many clients"`
	err = chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(base+projectPath+"/logs"),
		chromedp.WaitVisible(chromedp.ID("q")),
		chromedp.SendKeys(chromedp.ID("q"), q),
		chromedp.Submit(chromedp.ID("q")),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the search results", `location.search.includes("host%3Aapi-2") && document.readyState === "complete" && document.getElementById("loglines")`)
	fits("the logs page")
	if n := count(t, ctx, "#loglines li"); n != 10 {
		t.Errorf("%s found %d lines, want 10", q, n)
	}
	if hosts := text(t, ctx, ".facets"); !strings.Contains(hosts, "api-2") || strings.Contains(hosts, "api-1") {
		t.Errorf("facets of %s = %q, want api-2 and not api-1", q, hosts)
	}
	if !strings.Contains(text(t, ctx, "#stale-note"), "Old data") {
		t.Errorf("the logs page over old logs does not say so")
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("save-name"), "api-2 pool"),
		chromedp.Submit(chromedp.ID("save-name")),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the saved search", `document.readyState === "complete" && document.querySelector(".saved a[aria-current]")`)
	if s := text(t, ctx, ".saved a[aria-current]"); s != "api-2 pool" {
		t.Errorf("the saved search reads %q", s)
	}
	shoot(t, ctx, shots, "phone-logs")
}
