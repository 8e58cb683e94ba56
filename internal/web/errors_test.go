package web

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/metrics"
	"github.com/cloudsage/cloudsage/internal/store"
)

func TestStatusOf(t *testing.T) {
	cases := map[cloudsage.ErrorKind]int{
		cloudsage.Invalid: 400, cloudsage.Unauthorized: 401, cloudsage.Forbidden: 403, cloudsage.NotFound: 404,
		cloudsage.Conflict: 409, cloudsage.TooLarge: 413, cloudsage.RateLimited: 429, cloudsage.Unavailable: 503,
		cloudsage.Internal: 500, "": 500,
	}
	for k, want := range cases {
		if got := statusOf(k); got != want {
			t.Errorf("statusOf(%q) = %d, want %d", k, got, want)
		}
	}
}

func TestWriteErrorHidesInternals(t *testing.T) {
	s := &Server{metrics: metrics.New(), log: discard()}
	rec := httptest.NewRecorder()
	s.writeError(rec, httptest.NewRequest("GET", "/api/x", nil), errors.New("pq: password authentication failed for user root"))
	var body map[string]any
	json.Unmarshal(rec.Body.Bytes(), &body)
	if rec.Code != 500 || body["error"] != "internal error" || strings.Contains(rec.Body.String(), "pq:") {
		t.Errorf("internal error answered %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	s.writeError(rec, httptest.NewRequest("GET", "/api/x", nil), &cloudsage.Error{Kind: cloudsage.TooLarge, Message: "too big", Detail: map[string]int{"max_bytes": 5}})
	if rec.Code != 413 || !strings.Contains(rec.Body.String(), `"max_bytes":5`) {
		t.Errorf("TooLarge answered %d %s", rec.Code, rec.Body)
	}
}

func TestFilterActions(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	later, earlier := now.Add(time.Hour), now.Add(-time.Hour)
	body := []byte(`{"risk":{"score":50},"actions":[{"id":"a"},{"id":"b"},{"id":"c"},{"id":"d"}]}`)
	st := []store.ActionStatus{
		{ActionID: "a", Status: store.ActionDone},
		{ActionID: "b", Status: store.ActionSnoozed, Until: &later},
		{ActionID: "c", Status: store.ActionSnoozed, Until: &earlier},
	}
	m, err := filterActions(body, st, now)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(m["actions"]); got != `[{"id":"c"},{"id":"d"}]` || string(m["hidden_actions"]) != "2" {
		t.Errorf("filterActions = %s (hidden %s), want c and d", got, m["hidden_actions"])
	}
}
