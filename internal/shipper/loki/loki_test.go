package loki

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/snappy"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/cloudsage/cloudsage/internal/shipper"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC)

func wantRecords() []shipper.Record {
	return []shipper.Record{
		{Time: t0, Level: "error", Service: "api", Host: "node-1", Message: "upstream timeout",
			Fields: map[string]string{"app": "api", "level": "error", "host": "node-1", "job": "default/api", "trace_id": "abc"}},
		{Time: t0.Add(time.Second), Service: "api", Host: "node-1", Message: "second line",
			Fields: map[string]string{"app": "api", "level": "error", "host": "node-1", "job": "default/api"}},
	}
}

func TestDecodeJSON(t *testing.T) {
	body := `{"streams":[{"stream":{"app":"api","level":"error","host":"node-1","job":"default/api"},"values":[
		["1772600767123456789","upstream timeout\n",{"trace_id":"abc"}],
		["1772600768123456789","second line"],
		["soon","bad timestamp"]]}]}`
	got, err := DecodeJSON([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := wantRecords()
	want[1].Level = "error"
	if d := cmp.Diff(want, got.Records); d != "" {
		t.Errorf("records (-want +got):\n%s", d)
	}
	if got.Rejected != 1 {
		t.Errorf("rejected = %d, want 1 (%v)", got.Rejected, got.Reasons)
	}
	for _, bad := range []string{`{"streams":[`, `{"streams":{}}`, `[]`} {
		if _, err := DecodeJSON([]byte(bad)); err == nil {
			t.Errorf("DecodeJSON(%s) = nil error", bad)
		}
	}
}

// encodePush is a PushRequest written field by field from Loki's push.proto
// (the nested-module test in loki/compat checks the same bytes against
// Loki's own pkg/push types).
func encodePush(labels string, entries ...[3]any) []byte {
	var stream []byte
	stream = protowire.AppendTag(stream, 1, protowire.BytesType)
	stream = protowire.AppendString(stream, labels)
	for _, e := range entries {
		t := e[0].(time.Time)
		var ts, ent []byte
		ts = protowire.AppendTag(ts, 1, protowire.VarintType)
		ts = protowire.AppendVarint(ts, uint64(t.Unix()))
		ts = protowire.AppendTag(ts, 2, protowire.VarintType)
		ts = protowire.AppendVarint(ts, uint64(t.Nanosecond()))
		ent = protowire.AppendTag(ent, 1, protowire.BytesType)
		ent = protowire.AppendBytes(ent, ts)
		ent = protowire.AppendTag(ent, 2, protowire.BytesType)
		ent = protowire.AppendString(ent, e[1].(string))
		for k, v := range e[2].(map[string]string) {
			var lp []byte
			lp = protowire.AppendTag(lp, 1, protowire.BytesType)
			lp = protowire.AppendString(lp, k)
			lp = protowire.AppendTag(lp, 2, protowire.BytesType)
			lp = protowire.AppendString(lp, v)
			ent = protowire.AppendTag(ent, 3, protowire.BytesType)
			ent = protowire.AppendBytes(ent, lp)
		}
		stream = protowire.AppendTag(stream, 2, protowire.BytesType)
		stream = protowire.AppendBytes(stream, ent)
	}
	var req []byte
	req = protowire.AppendTag(req, 1, protowire.BytesType)
	return protowire.AppendBytes(req, stream)
}

func TestDecodeProtobuf(t *testing.T) {
	raw := encodePush(`{app="api", host="node-1", job="default/api", level="error"}`,
		[3]any{t0, "upstream timeout", map[string]string{"trace_id": "abc"}},
		[3]any{t0.Add(time.Second), "second line", map[string]string{}})
	got, err := DecodeProtobuf(snappy.Encode(nil, raw))
	if err != nil {
		t.Fatal(err)
	}
	want := wantRecords()
	want[1].Level = "error"
	if d := cmp.Diff(want, got.Records); d != "" {
		t.Errorf("records (-want +got):\n%s", d)
	}
	if _, err := DecodeProtobuf(raw); err == nil {
		t.Error("DecodeProtobuf(not snappy) = nil error")
	}
	if _, err := DecodeProtobuf(snappy.Encode(nil, raw[:len(raw)-4])); err == nil {
		t.Error("DecodeProtobuf(truncated) = nil error")
	}
	got, err = DecodeProtobuf(snappy.Encode(nil, encodePush(`app="no braces"`, [3]any{t0, "x", map[string]string{}})))
	if err != nil || got.Rejected != 1 || len(got.Records) != 0 {
		t.Errorf("bad labels: %+v, %v; want the entry rejected", got, err)
	}
}

func TestParseLabels(t *testing.T) {
	got, err := ParseLabels(`{a="1", b_2 = "x \"y\" \\ z",c=""}`)
	want := [][2]string{{"a", "1"}, {"b_2", `x "y" \ z`}, {"c", ""}}
	if err != nil || !cmp.Equal(want, got) {
		t.Errorf("ParseLabels = %v, %v; want %v", got, err, want)
	}
	if got, err := ParseLabels("{}"); err != nil || len(got) != 0 {
		t.Errorf("ParseLabels({}) = %v, %v", got, err)
	}
	for _, bad := range []string{``, `a="1"`, `{a=1}`, `{a="1" b="2"}`, `{1a="x"}`, `{a="unterminated}`} {
		if _, err := ParseLabels(bad); err == nil {
			t.Errorf("ParseLabels(%s) = nil error", bad)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(snappy.Encode(nil, encodePush(`{app="a"}`, [3]any{t0, "x", map[string]string{"k": "v"}})), false)
	f.Add([]byte(`{"streams":[{"stream":{"job":"x"},"values":[["1","line",{"a":"b"}]]}]}`), true)
	f.Fuzz(func(t *testing.T, data []byte, isJSON bool) {
		dec := DecodeProtobuf
		if isJSON {
			dec = DecodeJSON
		}
		res, err := dec(data)
		if err != nil {
			return
		}
		for _, r := range res.Records {
			if !json.Valid([]byte(r.Line())) {
				t.Fatalf("record line is not JSON: %s", r.Line())
			}
		}
	})
}

func BenchmarkDecodeProtobuf(b *testing.B) {
	var es [][3]any
	for i := range 1000 {
		es = append(es, [3]any{t0.Add(time.Duration(i)), "GET /api/items 200 12ms", map[string]string{}})
	}
	data := snappy.Encode(nil, encodePush(`{app="api", level="info"}`, es...))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := DecodeProtobuf(data); err != nil {
			b.Fatal(err)
		}
	}
}
