package otlp

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	commonv1 "go.opentelemetry.io/proto/otlp/common/v1"
	logsv1 "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcev1 "go.opentelemetry.io/proto/otlp/resource/v1"
)

// The OTLP JSON encoding is protobuf's JSON mapping with two exceptions
// (trace and span ids are hex, not base64; enums are integers), so it is
// read with these small structs instead of protojson. 64-bit integers may
// be strings or numbers.

type jsonRequest struct {
	ResourceLogs []struct {
		Resource *struct {
			Attributes []jsonKV `json:"attributes"`
		} `json:"resource"`
		ScopeLogs []struct {
			Scope *struct {
				Name    string `json:"name"`
				Version string `json:"version"`
			} `json:"scope"`
			LogRecords []jsonRecord `json:"logRecords"`
		} `json:"scopeLogs"`
	} `json:"resourceLogs"`
}

type jsonRecord struct {
	TimeUnixNano         jsonUint   `json:"timeUnixNano"`
	ObservedTimeUnixNano jsonUint   `json:"observedTimeUnixNano"`
	SeverityNumber       jsonEnum   `json:"severityNumber"`
	SeverityText         string     `json:"severityText"`
	Body                 *jsonValue `json:"body"`
	Attributes           []jsonKV   `json:"attributes"`
	TraceID              string     `json:"traceId"`
	SpanID               string     `json:"spanId"`
	EventName            string     `json:"eventName"`
}

type jsonKV struct {
	Key   string     `json:"key"`
	Value *jsonValue `json:"value"`
}

type jsonValue struct {
	StringValue *string  `json:"stringValue"`
	BoolValue   *bool    `json:"boolValue"`
	IntValue    *jsonInt `json:"intValue"`
	DoubleValue *float64 `json:"doubleValue"`
	BytesValue  *string  `json:"bytesValue"`
	ArrayValue  *struct {
		Values []*jsonValue `json:"values"`
	} `json:"arrayValue"`
	KvlistValue *struct {
		Values []jsonKV `json:"values"`
	} `json:"kvlistValue"`
}

// jsonUint is a uint64 written as a JSON string or number.
type jsonUint uint64

func (u *jsonUint) UnmarshalJSON(b []byte) error {
	s := string(bytes.Trim(b, `"`))
	if s == "" || s == "null" {
		return nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%s is not an unsigned 64-bit integer", b)
	}
	*u = jsonUint(n)
	return nil
}

// jsonInt is an int64 written as a JSON string or number.
type jsonInt int64

func (i *jsonInt) UnmarshalJSON(b []byte) error {
	s := string(bytes.Trim(b, `"`))
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%s is not a 64-bit integer", b)
	}
	*i = jsonInt(n)
	return nil
}

// jsonEnum is a severity number as an integer or its enum name.
type jsonEnum int32

func (e *jsonEnum) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var name string
		if err := json.Unmarshal(b, &name); err != nil {
			return err
		}
		if v, ok := logsv1.SeverityNumber_value[name]; ok {
			*e = jsonEnum(v)
			return nil
		}
		n, err := strconv.ParseInt(name, 10, 32)
		if err != nil {
			return fmt.Errorf("unknown severityNumber %q", name)
		}
		*e = jsonEnum(n)
		return nil
	}
	n, err := strconv.ParseInt(string(b), 10, 32)
	if err != nil {
		return fmt.Errorf("severityNumber %s is not an integer", b)
	}
	*e = jsonEnum(n)
	return nil
}

// decodeJSON reads the JSON encoding into req.
func decodeJSON(data []byte, req *logsv1.LogsData) error {
	var jr jsonRequest
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&jr); err != nil {
		return fmt.Errorf("invalid OTLP JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return fmt.Errorf("invalid OTLP JSON: more than one value")
	}
	for _, rl := range jr.ResourceLogs {
		prl := &logsv1.ResourceLogs{}
		if rl.Resource != nil {
			prl.Resource = &resourcev1.Resource{Attributes: kvs(rl.Resource.Attributes, 0)}
		}
		for _, sl := range rl.ScopeLogs {
			psl := &logsv1.ScopeLogs{}
			if sl.Scope != nil {
				psl.Scope = &commonv1.InstrumentationScope{Name: sl.Scope.Name, Version: sl.Scope.Version}
			}
			for _, r := range sl.LogRecords {
				lr := &logsv1.LogRecord{
					TimeUnixNano: uint64(r.TimeUnixNano), ObservedTimeUnixNano: uint64(r.ObservedTimeUnixNano),
					SeverityNumber: logsv1.SeverityNumber(r.SeverityNumber), SeverityText: r.SeverityText,
					Body: r.Body.proto(0), Attributes: kvs(r.Attributes, 0), EventName: r.EventName,
				}
				// Ids are hex in OTLP JSON; an id that is not hex is dropped, not fatal.
				if id, err := hex.DecodeString(r.TraceID); err == nil {
					lr.TraceId = id
				}
				if id, err := hex.DecodeString(r.SpanID); err == nil {
					lr.SpanId = id
				}
				psl.LogRecords = append(psl.LogRecords, lr)
			}
			prl.ScopeLogs = append(prl.ScopeLogs, psl)
		}
		req.ResourceLogs = append(req.ResourceLogs, prl)
	}
	return nil
}

func kvs(in []jsonKV, depth int) []*commonv1.KeyValue {
	out := make([]*commonv1.KeyValue, 0, len(in))
	for _, kv := range in {
		out = append(out, &commonv1.KeyValue{Key: kv.Key, Value: kv.Value.proto(depth + 1)})
	}
	return out
}

// proto converts v; past a nesting depth values are dropped.
func (v *jsonValue) proto(depth int) *commonv1.AnyValue {
	if v == nil || depth > 32 {
		return nil
	}
	switch {
	case v.StringValue != nil:
		return &commonv1.AnyValue{Value: &commonv1.AnyValue_StringValue{StringValue: *v.StringValue}}
	case v.BoolValue != nil:
		return &commonv1.AnyValue{Value: &commonv1.AnyValue_BoolValue{BoolValue: *v.BoolValue}}
	case v.IntValue != nil:
		return &commonv1.AnyValue{Value: &commonv1.AnyValue_IntValue{IntValue: int64(*v.IntValue)}}
	case v.DoubleValue != nil:
		return &commonv1.AnyValue{Value: &commonv1.AnyValue_DoubleValue{DoubleValue: *v.DoubleValue}}
	case v.BytesValue != nil:
		b, err := base64.StdEncoding.DecodeString(*v.BytesValue)
		if err != nil {
			return &commonv1.AnyValue{Value: &commonv1.AnyValue_StringValue{StringValue: *v.BytesValue}}
		}
		return &commonv1.AnyValue{Value: &commonv1.AnyValue_BytesValue{BytesValue: b}}
	case v.ArrayValue != nil:
		a := &commonv1.ArrayValue{}
		for _, e := range v.ArrayValue.Values {
			a.Values = append(a.Values, e.proto(depth+1))
		}
		return &commonv1.AnyValue{Value: &commonv1.AnyValue_ArrayValue{ArrayValue: a}}
	case v.KvlistValue != nil:
		return &commonv1.AnyValue{Value: &commonv1.AnyValue_KvlistValue{KvlistValue: &commonv1.KeyValueList{Values: kvs(v.KvlistValue.Values, depth)}}}
	}
	return nil
}
