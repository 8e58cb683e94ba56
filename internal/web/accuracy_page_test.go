package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// After a day and a half of logs replayed hour by hour, with the clock moved
// past the horizon, the kept forecasts are scored: the accuracy API and the
// project page's "Forecast accuracy" show the same real figures.
func TestAccuracyAfterReplay(t *testing.T) {
	e := start(t, openSQLite(t), nil)
	ann := e.user("ann")
	p := ann.project("replay")
	start := time.Now().UTC().Add(-36 * time.Hour).Truncate(time.Hour)
	for h := range 36 {
		var sb strings.Builder
		for i := range 120 {
			ts := start.Add(time.Duration(h)*time.Hour + time.Duration(i)*30*time.Second).Format(time.RFC3339)
			if h >= 30 && i%2 == 0 { // the last six hours fail: the project reaches high
				fmt.Fprintf(&sb, "%s ERROR [db] query failed: connection refused host=db-1:5432\n", ts)
			} else {
				fmt.Fprintf(&sb, "%s INFO [worker] job %d finished in %dms\n", ts, i, 20+i%7)
			}
		}
		want(t, fmt.Sprintf("ingest of hour %d", h), ann.text("/api/ingest/"+p, sb.String()), 200)
	}
	e.advance(25 * time.Hour)
	r := ann.get("/api/forecast/" + p + "/accuracy")
	want(t, "accuracy", r, 200)
	acc := r.json(t)
	scored, _ := acc["scored"].(float64)
	if scored < 1 {
		t.Fatalf("no forecast scored after the replay: %s", r.body)
	}
	t.Logf("accuracy: %.300s", r.body)
	page := ann.get("/projects/" + p)
	want(t, "project page", page, 200)
	body := string(page.body)
	for _, s := range []string{"Forecast accuracy", "Hit rate", "Brier score", "Band coverage", fmt.Sprintf("%d forecast", int(scored))} {
		if !strings.Contains(body, s) {
			t.Errorf("the project page lacks %q after the replay (API: %s)", s, r.body)
		}
	}
	if strings.Contains(body, "No forecast scored yet") {
		t.Errorf("the project page says no forecast is scored while the API scored %v", scored)
	}
}
