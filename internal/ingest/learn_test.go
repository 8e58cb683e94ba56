package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/learn"
	"github.com/cloudsage/cloudsage/internal/store"
)

// twoProblems is an hour of logs with two distinct problems surging in its
// last minutes — a database refusing connections and a full disk — over a
// calm request log.
func twoProblems(end time.Time, off time.Duration) []string {
	var out []string
	for i := 0; i < 3600; i += 2 {
		ts := end.Add(off - time.Duration(3600-i)*time.Second).UTC().Format(time.RFC3339)
		out = append(out, fmt.Sprintf("%s INFO api request served path=/orders/%d took=%dms", ts, i%50, 20+i%30))
		if i > 3000 {
			switch i % 6 {
			case 0:
				out = append(out, fmt.Sprintf("%s ERROR db pq: sorry, too many clients already (53300) conn=%d", ts, i))
			case 2:
				out = append(out, fmt.Sprintf("%s ERROR storage write /var/lib/app/chunk-%d failed: no space left on device", ts, i))
			}
		}
	}
	return out
}

type reportActions struct {
	Actions []struct {
		ID    string  `json:"id"`
		Key   string  `json:"key"`
		Title string  `json:"title"`
		Score float64 `json:"score"`
	} `json:"actions"`
}

func firstActions(t *testing.T, svc *Service, pr store.Project) reportActions {
	t.Helper()
	body, _, err := svc.Report(context.Background(), pr, 24)
	if err != nil {
		t.Fatal(err)
	}
	var r reportActions
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Actions) < 2 {
		t.Fatalf("want at least 2 actions, got %+v", r.Actions)
	}
	return r
}

// Feedback on an action type re-ranks the next report: the type marked not
// relevant sinks below the other; removing the feedback restores the order.
func TestFeedbackChangesRanking(t *testing.T) {
	ctx := context.Background()
	db, pr := openStore(t)
	now := time.Now().UTC().Truncate(time.Second)
	clock := now
	svc := NewService(db, NewEngine, func() time.Time { return clock }, nil)
	ingest := func(off time.Duration) reportActions {
		t.Helper()
		clock = now.Add(off)
		if _, err := svc.Ingest(ctx, pr, Body{Lines: twoProblems(now, off)}); err != nil {
			t.Fatal(err)
		}
		return firstActions(t, svc, pr)
	}
	before := ingest(0)
	top := before.Actions[0]
	t.Logf("before: %+v", before.Actions)
	if err := db.SetActionStatus(ctx, store.ActionStatus{ProjectID: pr.ID, ActionID: top.ID, Key: top.Key, Status: store.ActionNotRelevant}); err != nil {
		t.Fatal(err)
	}
	after := ingest(time.Minute)
	t.Logf("after: %+v", after.Actions)
	if after.Actions[0].Key == top.Key {
		t.Fatalf("after marking %q not relevant it still ranks first: %+v", top.Key, after.Actions)
	}
	prefs, err := svc.Preferences(ctx, pr.ID)
	if err != nil || prefs[top.Key] >= 1 {
		t.Fatalf("preferences %v, %v: want %q below 1", prefs, err, top.Key)
	}
	if err := db.DeleteActionStatus(ctx, pr.ID, top.ID); err != nil {
		t.Fatal(err)
	}
	reverted := ingest(2 * time.Minute)
	if reverted.Actions[0].Key != top.Key {
		t.Fatalf("after removing the feedback %q should rank first again: %+v", top.Key, reverted.Actions)
	}
}

// Overrides re-rank the next report and revert when removed: after a
// dismissal the first action changes; pinning the dismissed type brings it
// back to first; muting the new first type removes it; removing both
// overrides returns to the ranking the feedback alone gives.
func TestOverridesChangeRankingAndRevert(t *testing.T) {
	ctx := context.Background()
	db, pr := openStore(t)
	now := time.Now().UTC().Truncate(time.Second)
	clock := now
	svc := NewService(db, NewEngine, func() time.Time { return clock }, nil)
	step := 0
	ingest := func() reportActions {
		t.Helper()
		step++
		off := time.Duration(step) * time.Minute
		clock = now.Add(off)
		if _, err := svc.Ingest(ctx, pr, Body{Lines: twoProblems(now, off)}); err != nil {
			t.Fatal(err)
		}
		return firstActions(t, svc, pr)
	}
	set := func(kind, target string) {
		t.Helper()
		if err := db.SetOverride(ctx, pr.ID, store.Override{Override: learn.Override{Kind: kind, Target: target}}); err != nil {
			t.Fatal(err)
		}
	}
	del := func(kind, target string) {
		t.Helper()
		if err := db.DeleteOverride(ctx, pr.ID, kind, target); err != nil {
			t.Fatal(err)
		}
	}
	keys := func(r reportActions) []string {
		var ks []string
		for _, a := range r.Actions {
			ks = append(ks, a.Key)
		}
		return ks
	}

	first := ingest().Actions[0]
	if err := db.SetActionStatus(ctx, store.ActionStatus{ProjectID: pr.ID, ActionID: first.ID, Key: first.Key, Status: store.ActionDismissed}); err != nil {
		t.Fatal(err)
	}
	fed := ingest()
	if fed.Actions[0].Key == first.Key {
		t.Fatalf("after dismissing %q it still ranks first: %v", first.Key, keys(fed))
	}
	second := fed.Actions[0].Key

	set(learn.Pin, first.Key)
	if got := ingest(); got.Actions[0].Key != first.Key {
		t.Fatalf("pinned %q, first is %v", first.Key, keys(got))
	}
	set(learn.Mute, second)
	muted := ingest()
	for _, a := range muted.Actions {
		if a.Key == second {
			t.Fatalf("muted %q still proposed: %v", second, keys(muted))
		}
	}
	del(learn.Pin, first.Key)
	del(learn.Mute, second)
	if got := ingest(); got.Actions[0].Key != second {
		t.Fatalf("after removing the overrides the feedback's ranking (%q first) should be back: %v", second, keys(got))
	}
}

// calm is an hour of healthy request logs ending at end.
func calm(end time.Time) []string {
	var out []string
	for i := 0; i < 3600; i += 2 {
		ts := end.Add(-time.Duration(3600-i) * time.Second).UTC().Format(time.RFC3339)
		out = append(out, fmt.Sprintf("%s INFO api request served path=/orders/%d took=%dms", ts, i%50, 20+i%30))
	}
	return out
}

// Incident memory end to end: trouble opens an incident with a signature,
// a calm stretch closes it, people describe it, and when the same trouble
// starts again the report names it with its fix.
func TestIncidentMemory(t *testing.T) {
	ctx := context.Background()
	db, pr := openStore(t)
	start := time.Now().UTC().Truncate(time.Second).Add(-6 * time.Hour)
	clock := start
	svc := NewService(db, NewEngine, func() time.Time { return clock }, nil)
	ingest := func(at time.Time, lines []string) {
		t.Helper()
		clock = at
		if _, err := svc.Ingest(ctx, pr, Body{Lines: lines}); err != nil {
			t.Fatal(err)
		}
	}
	ingest(start, twoProblems(start, 0))
	incs, err := db.Incidents(ctx, pr.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(incs) != 1 || incs[0].ClosedAt != nil || len(incs[0].Signature.Patterns) == 0 {
		latest, _ := db.LatestReport(ctx, pr.ID)
		t.Fatalf("after the trouble (label %s) incidents = %+v, want one open with a signature", latest.Label, incs)
	}
	// Calm for over an hour: low, then closed after learn.CloseAfter.
	for _, off := range []time.Duration{time.Hour, time.Hour + 20*time.Minute, time.Hour + 40*time.Minute} {
		ingest(start.Add(off), calm(start.Add(off)))
	}
	if incs, _ = db.Incidents(ctx, pr.ID, 10); len(incs) != 1 || incs[0].ClosedAt == nil {
		latest, _ := db.LatestReport(ctx, pr.ID)
		t.Fatalf("after calm (label %s) incidents = %+v, want the one closed", latest.Label, incs)
	}
	if _, err := db.AnnotateIncident(ctx, pr.ID, incs[0].ID, store.Notes{Title: "orders DB pool exhausted", Fix: "raising max_connections"}); err != nil {
		t.Fatal(err)
	}
	again := start.Add(3 * time.Hour)
	ingest(again, twoProblems(again, 0))
	body, _, err := svc.Report(ctx, pr, 24)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Risk struct {
			RollingAverage float64 `json:"rolling_average"`
			RollingN       int     `json:"rolling_n"`
		} `json:"risk"`
		Similar []struct {
			ID         int64   `json:"id"`
			Fix        string  `json:"fix"`
			Similarity float64 `json:"similarity"`
		} `json:"similar_incidents"`
	}
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Similar) == 0 || rep.Similar[0].ID != int64(incs[0].ID) || rep.Similar[0].Fix != "raising max_connections" || rep.Similar[0].Similarity < 0.5 {
		t.Fatalf("the same trouble again: similar incidents %+v, want incident %d with its fix", rep.Similar, incs[0].ID)
	}
	// the rolling baseline averages the four kept scores before: one high, three low
	if rep.Risk.RollingN != 4 || rep.Risk.RollingAverage <= 0 || rep.Risk.RollingAverage >= 70 {
		t.Errorf("rolling average %v over %d scores, want 4 scores averaging between 0 and 70", rep.Risk.RollingAverage, rep.Risk.RollingN)
	}
	if !strings.Contains(string(body), "Looks like 'orders DB pool exhausted'") {
		t.Errorf("the chain's pattern-matching step does not name the past incident")
	}
	if incs, _ = db.Incidents(ctx, pr.ID, 10); len(incs) != 2 || incs[0].ClosedAt != nil {
		t.Errorf("the trouble again opens a second incident: %+v", incs)
	}
}
