// Package otlp decodes OTLP/HTTP log export requests (protobuf and JSON
// encodings, https://opentelemetry.io/docs/specs/otlp/) into shipper
// records, and encodes the export response and error status the OTLP
// exporters read. Pure: no I/O.
package otlp

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	commonv1 "go.opentelemetry.io/proto/otlp/common/v1"
	logsv1 "go.opentelemetry.io/proto/otlp/logs/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/cloudsage/cloudsage/internal/shipper"
)

// Encoding is an OTLP/HTTP body encoding.
type Encoding int

// Encodings, chosen by Content-Type.
const (
	Protobuf Encoding = iota + 1 // application/x-protobuf
	JSON                         // application/json
)

// ContentType is the media type of e, used for the response too.
func (e Encoding) ContentType() string {
	if e == JSON {
		return "application/json"
	}
	return "application/x-protobuf"
}

// EncodingOf returns the encoding of a request's media type (parameters
// already stripped), or 0 when OTLP/HTTP does not define it.
func EncodingOf(mediaType string) Encoding {
	switch mediaType {
	case "application/x-protobuf", "application/protobuf":
		return Protobuf
	case "application/json":
		return JSON
	}
	return 0
}

// Decode reads an ExportLogsServiceRequest. An error means the payload is
// unreadable as a whole (nothing of it may be stored); records that are
// readable but empty are counted as rejected.
func Decode(data []byte, enc Encoding) (shipper.Result, error) {
	var req logsv1.LogsData // same wire shape as ExportLogsServiceRequest: 1 = repeated ResourceLogs
	switch enc {
	case Protobuf:
		if err := (proto.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(data, &req); err != nil {
			return shipper.Result{}, fmt.Errorf("invalid OTLP protobuf: %w", err)
		}
	case JSON:
		if err := decodeJSON(data, &req); err != nil {
			return shipper.Result{}, err
		}
	default:
		return shipper.Result{}, errors.New("unsupported OTLP encoding")
	}
	return records(&req), nil
}

// records turns the decoded request into records.
func records(req *logsv1.LogsData) shipper.Result {
	var res shipper.Result
	for _, rl := range req.ResourceLogs {
		var service, host string
		var resAttrs []*commonv1.KeyValue
		if r := rl.GetResource(); r != nil {
			resAttrs = r.Attributes
			for _, kv := range resAttrs {
				switch kv.GetKey() {
				case "service.name":
					service = valueString(kv.GetValue())
				case "host.name":
					host = valueString(kv.GetValue())
				}
			}
		}
		for _, sl := range rl.ScopeLogs {
			scope := sl.GetScope().GetName()
			for _, lr := range sl.LogRecords {
				if lr == nil {
					continue
				}
				rec := shipper.Record{Service: service, Host: host, Level: level(lr.SeverityNumber, lr.SeverityText)}
				switch {
				case lr.TimeUnixNano != 0:
					rec.Time = unixNano(lr.TimeUnixNano)
				case lr.ObservedTimeUnixNano != 0:
					rec.Time = unixNano(lr.ObservedTimeUnixNano)
				}
				body(&rec, lr.Body)
				for _, kv := range lr.Attributes {
					rec.Set(kv.GetKey(), valueString(kv.GetValue()))
				}
				if len(lr.TraceId) > 0 {
					rec.Set("trace_id", hex.EncodeToString(lr.TraceId))
				}
				if len(lr.SpanId) > 0 {
					rec.Set("span_id", hex.EncodeToString(lr.SpanId))
				}
				if lr.EventName != "" {
					rec.Set("event.name", lr.EventName)
				}
				if rec.Empty() {
					res.Reject("log record has neither a body nor attributes")
					continue
				}
				if scope != "" {
					rec.Set("otel.scope.name", scope)
				}
				for _, kv := range resAttrs {
					if k := kv.GetKey(); k != "service.name" && k != "host.name" {
						rec.Set(k, valueString(kv.GetValue()))
					}
				}
				res.Records = append(res.Records, rec)
			}
		}
	}
	return res
}

func unixNano(ns uint64) time.Time {
	if ns > math.MaxInt64 {
		ns = math.MaxInt64
	}
	return time.Unix(0, int64(ns)).UTC()
}

// level maps the OTLP severity number (its ranges, per the logs data
// model), else the severity text.
func level(n logsv1.SeverityNumber, text string) string {
	switch {
	case n >= 1 && n <= 4:
		return "trace"
	case n >= 5 && n <= 8:
		return "debug"
	case n >= 9 && n <= 12:
		return "info"
	case n >= 13 && n <= 16:
		return "warn"
	case n >= 17 && n <= 20:
		return "error"
	case n >= 21 && n <= 24:
		return "fatal"
	}
	return shipper.SeverityLevel(text)
}

// body sets the message from a log body: a string as it is; a map (a
// structured log) spreads into fields, its "message" or "msg" entry being
// the message; anything else is its JSON text.
func body(rec *shipper.Record, v *commonv1.AnyValue) {
	if v == nil {
		return
	}
	kv, ok := v.Value.(*commonv1.AnyValue_KvlistValue)
	if !ok {
		rec.Message = valueString(v)
		return
	}
	for _, e := range kv.KvlistValue.GetValues() {
		k, s := e.GetKey(), valueString(e.GetValue())
		if (k == "message" || k == "msg") && rec.Message == "" {
			rec.Message = s
			continue
		}
		rec.Set(k, s)
	}
}

// valueString renders an AnyValue as a field value: scalars as text,
// bytes as base64, arrays and maps as JSON.
func valueString(v *commonv1.AnyValue) string {
	if v == nil {
		return ""
	}
	switch x := v.Value.(type) {
	case *commonv1.AnyValue_StringValue:
		return x.StringValue
	case *commonv1.AnyValue_BoolValue:
		return strconv.FormatBool(x.BoolValue)
	case *commonv1.AnyValue_IntValue:
		return strconv.FormatInt(x.IntValue, 10)
	case *commonv1.AnyValue_DoubleValue:
		return strconv.FormatFloat(x.DoubleValue, 'g', -1, 64)
	case *commonv1.AnyValue_BytesValue:
		return base64.StdEncoding.EncodeToString(x.BytesValue)
	case *commonv1.AnyValue_ArrayValue, *commonv1.AnyValue_KvlistValue:
		var b strings.Builder
		appendJSON(&b, v, 0)
		return b.String()
	}
	return ""
}

// appendJSON writes v as JSON, nested at most a few levels deep.
func appendJSON(b *strings.Builder, v *commonv1.AnyValue, depth int) {
	if depth > 8 {
		b.WriteString("null")
		return
	}
	switch x := v.GetValue().(type) {
	case *commonv1.AnyValue_ArrayValue:
		b.WriteByte('[')
		for i, e := range x.ArrayValue.GetValues() {
			if i > 0 {
				b.WriteByte(',')
			}
			appendJSON(b, e, depth+1)
		}
		b.WriteByte(']')
	case *commonv1.AnyValue_KvlistValue:
		b.WriteByte('{')
		for i, e := range x.KvlistValue.GetValues() {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(jsonString(e.GetKey()))
			b.WriteByte(':')
			appendJSON(b, e.GetValue(), depth+1)
		}
		b.WriteByte('}')
	case *commonv1.AnyValue_BoolValue, *commonv1.AnyValue_IntValue:
		b.WriteString(valueString(v))
	case *commonv1.AnyValue_DoubleValue:
		if math.IsInf(x.DoubleValue, 0) || math.IsNaN(x.DoubleValue) {
			b.WriteString("null")
			return
		}
		b.WriteString(valueString(v))
	case nil:
		b.WriteString("null")
	default:
		b.WriteString(jsonString(valueString(v)))
	}
}

// Response encodes an ExportLogsServiceResponse: empty on full success,
// with partial_success when records were rejected.
func Response(enc Encoding, rejected int, message string) []byte {
	if enc == JSON {
		if rejected == 0 {
			return []byte("{}")
		}
		return fmt.Appendf(nil, `{"partialSuccess":{"rejectedLogRecords":"%d","errorMessage":%s}}`, rejected, jsonString(message))
	}
	if rejected == 0 {
		return []byte{}
	}
	var ps []byte
	ps = protowire.AppendTag(ps, 1, protowire.VarintType)
	ps = protowire.AppendVarint(ps, uint64(rejected))
	if message != "" {
		ps = protowire.AppendTag(ps, 2, protowire.BytesType)
		ps = protowire.AppendString(ps, message)
	}
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	return protowire.AppendBytes(b, ps)
}

// jsonString is s as a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Status encodes the google.rpc.Status an OTLP/HTTP error response carries.
// code is a gRPC status code (3 InvalidArgument, 16 Unauthenticated, ...).
func Status(enc Encoding, code int, message string) []byte {
	if enc == JSON {
		return fmt.Appendf(nil, `{"code":%d,"message":%s}`, code, jsonString(message))
	}
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(code))
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	return protowire.AppendString(b, message)
}
