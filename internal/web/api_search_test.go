package web_test

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// testRetry: a retried body is answered with the first batch's summary and
// "duplicate": true and stores nothing, gzip or not, concurrent or not; an
// Idempotency-Key decides alone.
func testRetry(t *testing.T, e *env) {
	ann := e.user("ann")
	p := ann.project("shop")
	body := sampleLogs(400, "retrymarker")
	first := ann.text("/api/ingest/"+p, body)
	want(t, "first ingest", first, 200)
	a := first.json(t)
	if a["duplicate"] != false {
		t.Errorf("first ingest answer has duplicate = %v", a["duplicate"])
	}
	for name, r := range map[string]resp{
		"same body":         ann.text("/api/ingest/"+p, body),
		"same body gzipped": ann.do("POST", "/api/ingest/"+p, "text/plain", bytes.NewReader(gz(body)), "Content-Encoding", "gzip"),
	} {
		want(t, name, r, 200)
		b := r.json(t)
		if b["duplicate"] != true || b["batch_id"] != a["batch_id"] || b["events"] != a["events"] || b["accepted"] != a["accepted"] ||
			fmt.Sprint(b["risk"]) != fmt.Sprint(a["risk"]) || fmt.Sprint(b["formats"]) != fmt.Sprint(a["formats"]) {
			t.Errorf("%s: answer %s, want the first batch's summary %s with duplicate true", name, r.body, first.body)
		}
	}
	// Concurrent identical posts of a new body: one batch.
	body2 := sampleLogs(50, "concurrentmarker")
	var wg sync.WaitGroup
	ids := make([]any, 6)
	for i := range ids {
		wg.Go(func() {
			r := ann.text("/api/ingest/"+p, body2)
			if r.code == 200 {
				ids[i] = r.json(t)["batch_id"]
			}
		})
	}
	wg.Wait()
	for i := range ids {
		if ids[i] == nil || ids[i] != ids[0] {
			t.Fatalf("6 concurrent identical posts answered batches %v, want one", ids)
		}
	}
	r := ann.get("/api/ingest/" + p)
	want(t, "batches", r, 200)
	if bs := r.json(t)["batches"].([]any); len(bs) != 2 {
		t.Errorf("after retries %d batches are stored, want 2", len(bs))
	}
	r = ann.get("/api/projects/" + p + "/logs?q=retrymarker&limit=1000")
	if n := len(r.json(t)["events"].([]any)); n != 100 {
		t.Errorf("retrymarker events = %d, want 100 (stored once)", n)
	}

	// Idempotency-Key: the same lines under another key are new; the same
	// key and body is the first; the key with another body is refused.
	key := func(k, b string) resp {
		return ann.do("POST", "/api/ingest/"+p, "text/plain", strings.NewReader(b), "Idempotency-Key", k)
	}
	k1 := key("k-1", body)
	want(t, "new key, stored body", k1, 200)
	if k1.json(t)["duplicate"] != false {
		t.Errorf("a new Idempotency-Key was answered as a duplicate: %s", k1.body)
	}
	again := key("k-1", body)
	want(t, "same key", again, 200)
	if m := again.json(t); m["duplicate"] != true || m["batch_id"] != k1.json(t)["batch_id"] {
		t.Errorf("same key again = %s", again.body)
	}
	want(t, "same key, other body", key("k-1", "another body"), 409)
	want(t, "blank key", key(" ", body), 400)
	want(t, "key with a space", key("a b", body), 400)
	want(t, "long key", key(strings.Repeat("k", 256), body), 400)

	// The forwarders' POST /api/ingest (the token's project) answers a retry the same way.
	r = ann.send("POST", "/api/projects/"+p+"/tokens", map[string]string{"name": "forwarder"})
	want(t, "token", r, 201)
	fwd := e.client()
	fwd.token = r.json(t)["token"].(string)
	body3 := sampleLogs(20, "forwardmarker")
	f1, f2 := fwd.text("/api/ingest", body3), fwd.text("/api/ingest", body3)
	want(t, "forward", f1, 200)
	want(t, "forward again", f2, 200)
	if a, b := f1.json(t), f2.json(t); a["duplicate"] != false || b["duplicate"] != true || a["batch_id"] != b["batch_id"] {
		t.Errorf("the same body forwarded twice: %s then %s; want the second a duplicate of the first", f1.body, f2.body)
	}
}

// testSearchSyntax: host= beside service=, field:value, phrases and
// exclusions in q, facets over the search, batch ids, saved searches.
func testSearchSyntax(t *testing.T, e *env) {
	ann := e.user("ann")
	p := ann.project("shop")
	base := "/api/projects/" + p
	now := time.Now().UTC()
	var sb strings.Builder
	// api-1: 6 lines (2 errors), api-2: 3 lines (1 error), web-1: 3 info.
	for i, h := range []string{"api-1", "api-1", "api-1", "api-2", "api-2", "api-2", "web-1", "web-1", "web-1", "api-1", "api-1", "api-1"} {
		lvl, msg := "info", "request served"
		if i%3 == 0 && !strings.HasPrefix(h, "web") {
			lvl, msg = "error", "too many clients already"
		}
		svc := "orders"
		if strings.HasPrefix(h, "web") {
			svc = "frontend"
		}
		fmt.Fprintf(&sb, `{"time":%q,"level":%q,"host":%q,"service":%q,"msg":"%s n%d","tenant":"t%d"}`+"\n", now.Add(time.Duration(i)*time.Second).Format(time.RFC3339Nano), lvl, h, svc, msg, i, i%2)
	}
	r := ann.do("POST", "/api/ingest/"+p, "application/x-ndjson", strings.NewReader(sb.String()))
	want(t, "ingest", r, 200)
	batch := r.json(t)["batch_id"]
	count := func(q string) int {
		t.Helper()
		r := ann.get(base + "/logs?limit=1000&" + q)
		want(t, "logs?"+q, r, 200)
		evs := r.json(t)["events"].([]any)
		for _, ev := range evs {
			if b := ev.(map[string]any)["batch_id"]; b != batch {
				t.Fatalf("logs?%s: event with batch_id %v, want %v", q, b, batch)
			}
		}
		return len(evs)
	}
	q := func(s string) string { return "q=" + url.QueryEscape(s) }
	for _, c := range []struct {
		query string
		n     int
	}{
		{"host=api-2", 3},
		{"host=api-2&service=orders", 3},
		{"host=api-2&service=frontend", 0},
		{"service=api-2", 0},
		{q("host:api-1"), 6},
		{q("host:api-1 host:api-2"), 9},
		{q("-host:api-1"), 6},
		{q(`host:api-1 level:error "too many clients"`), 2},
		{q(`level:error`), 3},
		{q(`-level:error service:orders`), 6},
		{q(`tenant:t1`), 6},
		{q(`tenant:t1 -host:web-1`), 5},
		{q(`"clients too many"`), 0},
		{q(`served -n4`), 8},
		{q("host:api-1") + "&host=api-2", 0},
	} {
		if got := count(c.query); got != c.n {
			t.Errorf("logs?%s found %d events, want %d", c.query, got, c.n)
		}
	}
	for _, bad := range []string{q(`"unclosed`), q("level:loud")} {
		want(t, "logs?"+bad, ann.get(base+"/logs?"+bad), 400)
		want(t, "facets?"+bad, ann.get(base+"/logs/facets?"+bad), 400)
	}

	r = ann.get(base + "/logs/facets?" + q("service:orders"))
	want(t, "facets", r, 200)
	f := r.json(t)
	if fmt.Sprint(f["levels"]) != "map[error:3 info:6]" || fmt.Sprint(f["hosts"]) != "map[api-1:6 api-2:3]" ||
		fmt.Sprint(f["services"]) != "map[orders:9]" || f["counted"] != 9.0 || f["complete"] != true {
		t.Errorf("facets of service:orders = %s", r.body)
	}

	// Saved searches: members save and delete, viewers read.
	r = ann.send("POST", base+"/searches", map[string]string{"name": "api errors", "query": q("host:api-1 level:error") + "&service=orders&junk=1"})
	want(t, "save search", r, 201)
	saved := r.json(t)
	if saved["query"] != "q=host%3Aapi-1+level%3Aerror&service=orders" {
		t.Errorf("saved query = %v, want only the search parameters", saved["query"])
	}
	want(t, "same name", ann.send("POST", base+"/searches", map[string]string{"name": "api errors", "query": "q=x"}), 409)
	want(t, "bad query", ann.send("POST", base+"/searches", map[string]string{"name": "bad", "query": q(`"unclosed`)}), 400)
	want(t, "empty query", ann.send("POST", base+"/searches", map[string]string{"name": "empty", "query": "junk=1"}), 400)
	want(t, "no name", ann.send("POST", base+"/searches", map[string]string{"name": "", "query": "q=x"}), 400)
	r = ann.get(base + "/searches")
	want(t, "list searches", r, 200)
	if ss := r.json(t)["searches"].([]any); len(ss) != 1 {
		t.Errorf("searches = %s", r.body)
	}
	bob := e.user("bob")
	want(t, "other user's searches", bob.get(base+"/searches"), 404)
	want(t, "other user deletes", bob.do("DELETE", fmt.Sprintf("%s/searches/%v", base, saved["id"]), "", nil), 404)
	want(t, "delete search", ann.do("DELETE", fmt.Sprintf("%s/searches/%v", base, saved["id"]), "", nil), 204)
	want(t, "delete again", ann.do("DELETE", fmt.Sprintf("%s/searches/%v", base, saved["id"]), "", nil), 404)
}
