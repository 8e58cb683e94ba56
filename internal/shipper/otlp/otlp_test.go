package otlp

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	commonv1 "go.opentelemetry.io/proto/otlp/common/v1"
	logsv1 "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcev1 "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/cloudsage/cloudsage/internal/shipper"
)

func str(s string) *commonv1.AnyValue {
	return &commonv1.AnyValue{Value: &commonv1.AnyValue_StringValue{StringValue: s}}
}

func kv(k string, v *commonv1.AnyValue) *commonv1.KeyValue {
	return &commonv1.KeyValue{Key: k, Value: v}
}

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 890, time.UTC)

func sample() *logsv1.LogsData {
	return &logsv1.LogsData{ResourceLogs: []*logsv1.ResourceLogs{{
		Resource: &resourcev1.Resource{Attributes: []*commonv1.KeyValue{
			kv("service.name", str("checkout")), kv("host.name", str("web-1")), kv("deployment.environment", str("prod"))}},
		ScopeLogs: []*logsv1.ScopeLogs{{
			Scope: &commonv1.InstrumentationScope{Name: "app/logger"},
			LogRecords: []*logsv1.LogRecord{
				{TimeUnixNano: uint64(t0.UnixNano()), SeverityNumber: logsv1.SeverityNumber_SEVERITY_NUMBER_ERROR, SeverityText: "ERROR",
					Body: str("payment declined"), TraceId: []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
					Attributes: []*commonv1.KeyValue{kv("order_id", &commonv1.AnyValue{Value: &commonv1.AnyValue_IntValue{IntValue: 42}}),
						kv("tags", &commonv1.AnyValue{Value: &commonv1.AnyValue_ArrayValue{ArrayValue: &commonv1.ArrayValue{Values: []*commonv1.AnyValue{str("a"), {Value: &commonv1.AnyValue_BoolValue{BoolValue: true}}}}}})}},
				{ObservedTimeUnixNano: uint64(t0.UnixNano()), SeverityText: "Warning", Body: &commonv1.AnyValue{Value: &commonv1.AnyValue_KvlistValue{KvlistValue: &commonv1.KeyValueList{
					Values: []*commonv1.KeyValue{kv("msg", str("structured")), kv("latency_ms", &commonv1.AnyValue{Value: &commonv1.AnyValue_DoubleValue{DoubleValue: 12.5}})}}}}},
				{}, // nothing in it: rejected
			},
		}},
	}}}
}

func wantSample() shipper.Result {
	common := map[string]string{"otel.scope.name": "app/logger", "deployment.environment": "prod"}
	with := func(m map[string]string) map[string]string {
		for k, v := range common {
			m[k] = v
		}
		return m
	}
	return shipper.Result{
		Records: []shipper.Record{
			{Time: t0, Level: "error", Service: "checkout", Host: "web-1", Message: "payment declined",
				Fields: with(map[string]string{"order_id": "42", "tags": `["a",true]`, "trace_id": "0102030405060708090a0b0c0d0e0f10"})},
			{Time: t0, Level: "warn", Service: "checkout", Host: "web-1", Message: "structured",
				Fields: with(map[string]string{"latency_ms": "12.5"})},
		},
		Rejected: 1, Reasons: []string{"log record has neither a body nor attributes"},
	}
}

func TestDecodeProtobuf(t *testing.T) {
	b, err := proto.Marshal(sample())
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(b, Protobuf)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(wantSample(), got); d != "" {
		t.Errorf("Decode (-want +got):\n%s", d)
	}
	if _, err := Decode(b[:len(b)-3], Protobuf); err == nil {
		t.Error("Decode(truncated protobuf) = nil error")
	}
}

func TestDecodeJSON(t *testing.T) {
	// The OTLP JSON encoding: hex ids, integers as strings or numbers, enums as numbers.
	body := `{"resourceLogs":[{"resource":{"attributes":[
	  {"key":"service.name","value":{"stringValue":"checkout"}},{"key":"host.name","value":{"stringValue":"web-1"}},
	  {"key":"deployment.environment","value":{"stringValue":"prod"}}]},
	 "scopeLogs":[{"scope":{"name":"app/logger"},"logRecords":[
	  {"timeUnixNano":"` + itoa(t0.UnixNano()) + `","severityNumber":17,"severityText":"ERROR","body":{"stringValue":"payment declined"},
	   "traceId":"0102030405060708090a0b0c0d0e0f10",
	   "attributes":[{"key":"order_id","value":{"intValue":"42"}},{"key":"tags","value":{"arrayValue":{"values":[{"stringValue":"a"},{"boolValue":true}]}}}]},
	  {"observedTimeUnixNano":` + itoa(t0.UnixNano()) + `,"severityText":"Warning","body":{"kvlistValue":{"values":[
	   {"key":"msg","value":{"stringValue":"structured"}},{"key":"latency_ms","value":{"doubleValue":12.5}}]}}},
	  {}]}]}]}`
	got, err := Decode([]byte(body), JSON)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(wantSample(), got); d != "" {
		t.Errorf("Decode (-want +got):\n%s", d)
	}
	for _, bad := range []string{`{"resourceLogs":[`, `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"soon"}]}]}]}`, `[1]`, `{} {}`} {
		if _, err := Decode([]byte(bad), JSON); err == nil {
			t.Errorf("Decode(%s) = nil error", bad)
		}
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestResponse(t *testing.T) {
	if got := string(Response(JSON, 0, "")); got != "{}" {
		t.Errorf("JSON full success = %s", got)
	}
	var m map[string]map[string]any
	if err := json.Unmarshal(Response(JSON, 2, "bad \"x\""), &m); err != nil || m["partialSuccess"]["rejectedLogRecords"] != "2" || m["partialSuccess"]["errorMessage"] != `bad "x"` {
		t.Errorf("JSON partial success = %v (%v)", m, err)
	}
	if b := Response(Protobuf, 0, ""); len(b) != 0 {
		t.Errorf("protobuf full success = %x", b)
	}
	// ExportLogsServiceResponse{1: ExportLogsPartialSuccess{1: rejected_log_records, 2: error_message}}
	b := Response(Protobuf, 3, "why")
	num, typ, n := protowire.ConsumeTag(b)
	ps, m2 := protowire.ConsumeBytes(b[n:])
	if num != 1 || typ != protowire.BytesType || m2 < 0 {
		t.Fatalf("protobuf partial success = %x", b)
	}
	_, _, n = protowire.ConsumeTag(ps)
	v, k := protowire.ConsumeVarint(ps[n:])
	ps = ps[n+k:]
	_, _, n = protowire.ConsumeTag(ps)
	msg, _ := protowire.ConsumeString(ps[n:])
	if v != 3 || msg != "why" {
		t.Errorf("protobuf partial success = rejected %d, message %q", v, msg)
	}
}

func FuzzDecode(f *testing.F) {
	b, _ := proto.Marshal(sample())
	f.Add(b, false)
	f.Add([]byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"x"},"severityNumber":"SEVERITY_NUMBER_WARN"}]}]}]}`), true)
	f.Add([]byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"kvlistValue":{"values":[{"key":"a","value":{"arrayValue":{"values":[null]}}}]}}}]}]}]}`), true)
	f.Fuzz(func(t *testing.T, data []byte, isJSON bool) {
		enc := Protobuf
		if isJSON {
			enc = JSON
		}
		res, err := Decode(data, enc)
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
	req := &logsv1.LogsData{ResourceLogs: sample().ResourceLogs}
	for range 9 {
		req.ResourceLogs[0].ScopeLogs[0].LogRecords = append(req.ResourceLogs[0].ScopeLogs[0].LogRecords, sample().ResourceLogs[0].ScopeLogs[0].LogRecords[:2]...)
	}
	data, _ := proto.Marshal(req)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Decode(data, Protobuf); err != nil {
			b.Fatal(err)
		}
	}
}
