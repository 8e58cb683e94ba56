package lokicompat

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"
	"github.com/klauspost/compress/snappy"

	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/web/webtest"
)

// post sends a Loki protobuf push body and returns the status and answer.
func post(t *testing.T, url, token, ctype string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", url+"/loki/api/v1/push", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// encode marshals req with pkg/push's gogo-generated code and compresses
// it with the snappy block format, as Promtail's client does.
func encode(t *testing.T, req *push.PushRequest) []byte {
	t.Helper()
	b, err := req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return snappy.Encode(nil, b)
}

func TestPushProtobuf(t *testing.T) {
	s := webtest.Start(t, "lokicompat")
	events := func(word string) []store.Event {
		t.Helper()
		page, err := s.Store.SearchEvents(context.Background(), store.EventQuery{Project: s.Project.ID, Q: word, Limit: store.MaxEventLimit})
		if err != nil {
			t.Fatal(err)
		}
		return page.Events
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	req := &push.PushRequest{Streams: []push.Stream{
		{Labels: `{app="checkout", level="error", host="web-3", env="prod"}`, Entries: []push.Entry{
			{Timestamp: now, Line: "pushmark payment declined for order 17",
				StructuredMetadata: push.LabelsAdapter{{Name: "trace_id", Value: "4bf92f3577b34da6"}}},
			{Timestamp: now.Add(time.Millisecond), Line: "pushmark payment declined for order 18"},
		}},
		{Labels: `{job="varlogs", filename="/var/log/syslog"}`, Entries: []push.Entry{
			{Timestamp: now, Line: "pushmark disk 91% full"},
		}},
	}}
	if code, out := post(t, s.URL, s.Token, "application/x-protobuf", encode(t, req)); code != http.StatusNoContent {
		t.Fatalf("push: %d %s, want 204", code, out)
	}
	evs := events("pushmark")
	if len(evs) != 3 {
		t.Fatalf("%d events stored, want 3", len(evs))
	}
	byMsg := map[string]store.Event{}
	for _, ev := range evs {
		byMsg[ev.Message] = ev
	}
	ev, ok := byMsg["pushmark payment declined for order 17"]
	if !ok || ev.Service != "checkout" || ev.Host != "web-3" || ev.Level.String() != "error" ||
		ev.Fields["env"] != "prod" || ev.Fields["trace_id"] != "4bf92f3577b34da6" || !ev.Time.Equal(now) {
		t.Errorf("first entry = %+v (time %v, want %v)", ev, ev.Time, now)
	}
	if ev := byMsg["pushmark disk 91% full"]; ev.Service != "varlogs" || ev.Fields["filename"] != "/var/log/syslog" {
		t.Errorf("second stream's entry = %+v", ev)
	}

	// Bad payloads get the status Loki's clients read (400 is not retried,
	// 401 is an auth failure) and store nothing.
	one := &push.PushRequest{Streams: []push.Stream{{Labels: `{app="x"}`, Entries: []push.Entry{{Timestamp: now, Line: "badmark"}}}}}
	raw, err := one.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, token, ctype string
		body               []byte
		want               int
	}{
		{"truncated protobuf", s.Token, "application/x-protobuf", snappy.Encode(nil, raw[:len(raw)-4]), http.StatusBadRequest},
		{"not snappy", s.Token, "application/x-protobuf", raw, http.StatusBadRequest},
		{"protobuf sent as JSON", s.Token, "application/json", encode(t, one), http.StatusBadRequest},
		{"wrong content type", s.Token, "text/csv", encode(t, one), http.StatusUnsupportedMediaType},
		{"wrong token", "cs_wrong", "application/x-protobuf", encode(t, one), http.StatusUnauthorized},
	} {
		if code, out := post(t, s.URL, c.token, c.ctype, c.body); code != c.want || strings.TrimSpace(out) == "" {
			t.Errorf("%s: %d %q, want %d and a message", c.name, code, out, c.want)
		}
	}
	if n := len(events("badmark")); n != 0 {
		t.Errorf("bad payloads stored %d events", n)
	}
}
