package esbulk

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ids() func() string {
	n := 0
	return func() string { n++; return "gen" + string(rune('0'+n)) }
}

func TestDecode(t *testing.T) {
	body := `{"index":{"_index":"logs","_id":"a1"}}
{"@timestamp":"2026-01-02T03:04:05Z","message":"disk full","log":{"level":"error"}}
{"create":{}}
{ "message":"default index" }

{"delete":{"_index":"logs","_id":"x"}}
{"update":{"_id":"y"}}
{"doc":{"message":"changed"}}
{"create":{"_index":"logs"}}
not json
{"index":{"_index":"logs"}}
{}
`
	got, err := Decode([]byte(body), "app", ids())
	if err != nil {
		t.Fatal(err)
	}
	wantLines := []string{
		`{"_index":"logs","@timestamp":"2026-01-02T03:04:05Z","message":"disk full","log":{"level":"error"}}`,
		`{"_index":"app","message":"default index" }`,
		`{"_index":"logs"}`,
	}
	if d := cmp.Diff(wantLines, got.Lines); d != "" {
		t.Errorf("lines (-want +got):\n%s", d)
	}
	var status []int
	for _, it := range got.Items {
		status = append(status, it.Status)
	}
	if d := cmp.Diff([]int{201, 201, 400, 400, 400, 201}, status); d != "" {
		t.Errorf("item status (-want +got):\n%s", d)
	}
	if got.Items[1].ID != "gen1" || got.Items[0].ID != "a1" || got.Errors() != 3 {
		t.Errorf("items = %+v", got.Items)
	}
	if _, err := Decode([]byte(`{"index":{"_index":"x"}}`), "", ids()); err == nil {
		t.Error("an action without its document: nil error")
	}
	for _, bad := range []string{"", "\n\n", `{"explode":{}}` + "\n{}\n", "[1]\n{}\n", `{"index":{"_index":1}}` + "\n{}\n"} {
		if _, err := Decode([]byte(bad), "", ids()); err == nil {
			t.Errorf("Decode(%q) = nil error", bad)
		}
	}
	// No index anywhere: that item fails, the rest is stored.
	got, err = Decode([]byte("{\"index\":{}}\n{\"message\":\"x\"}\n"), "", ids())
	if err != nil || got.Items[0].Status != 400 || len(got.Lines) != 0 {
		t.Errorf("no index: %+v, %v", got, err)
	}
}

func TestResponse(t *testing.T) {
	items := []Item{{Action: "create", Index: "logs", ID: "a", Status: 201}, {Action: "update", Index: "logs", ID: "b", Status: 400, Type: "illegal_argument_exception", Reason: "no \"updates\""}}
	var r struct {
		Errors bool
		Items  []map[string]struct {
			Index  string `json:"_index"`
			ID     string `json:"_id"`
			Result string
			SeqNo  *int `json:"_seq_no"`
			Status int
			Error  *struct{ Type, Reason string }
		}
	}
	if err := json.Unmarshal(Response(items, 5, 7), &r); err != nil {
		t.Fatalf("Response is not JSON: %v", err)
	}
	if !r.Errors || len(r.Items) != 2 || r.Items[0]["create"].Result != "created" || *r.Items[0]["create"].SeqNo != 7 ||
		r.Items[1]["update"].Error.Reason != `no "updates"` || r.Items[1]["update"].Status != 400 {
		t.Errorf("Response = %s", Response(items, 5, 7))
	}
	if !strings.Contains(string(Response(items[:1], 1, 0)), `"errors":false`) {
		t.Errorf("Response without failures = %s", Response(items[:1], 1, 0))
	}
	var e map[string]any
	if err := json.Unmarshal(Error(413, "content_too_long_exception", "big"), &e); err != nil || e["status"] != 413.0 {
		t.Errorf("Error = %s", Error(413, "x", "big"))
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte("{\"index\":{\"_index\":\"logs\"}}\n{\"message\":\"x\"}\n"), "")
	f.Add([]byte("{\"create\":{}}\n{}\n{\"delete\":{\"_id\":\"1\"}}\n"), "idx")
	f.Fuzz(func(t *testing.T, data []byte, index string) {
		req, err := Decode(data, index, func() string { return "id" })
		if err != nil {
			return
		}
		for _, l := range req.Lines {
			if !json.Valid([]byte(l)) {
				t.Fatalf("stored line is not JSON: %s", l)
			}
		}
		if !json.Valid(Response(req.Items, 1, 0)) {
			t.Fatalf("response is not JSON: %s", Response(req.Items, 1, 0))
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	var sb strings.Builder
	for range 1000 {
		sb.WriteString("{\"create\":{\"_index\":\"logs\"}}\n{\"@timestamp\":\"2026-01-02T03:04:05Z\",\"message\":\"GET /api/items 200 12ms\",\"log.level\":\"info\"}\n")
	}
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Decode(data, "", func() string { return "id" }); err != nil {
			b.Fatal(err)
		}
	}
}

// The hand-read action shapes must mean what encoding/json reads.
func FuzzParseAction(f *testing.F) {
	for _, s := range []string{`{"create":{}}`, `{"index":{"_index":"logs"}}`, `{"index":{"_index":"logs","_id":"a1"}}`,
		`{"delete":{"_id":"x"}}`, `{"update":{"_id":"y","_index":"z"}}`, `{"index":{"_index":"a\"b"}}`, `{"index":{"_index":"x",}}`,
		`{"create":{"_index":""}}`, `{"index":{}} `, `{"index":{"_index":"x"}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		name, meta, ok := quickAction(b)
		if !ok {
			return
		}
		var a map[string]actionMeta
		if err := json.Unmarshal(b, &a); err != nil || len(a) != 1 || a[name] != meta {
			t.Fatalf("quickAction(%s) = %q %+v, encoding/json reads %v %v", b, name, meta, a, err)
		}
	})
}
