// Package loki decodes Loki push requests (POST /loki/api/v1/push) into
// shipper records: the JSON form and the protobuf form (snappy block
// compressed, as Promtail, Alloy, Fluent Bit and Vector send it). The
// protobuf is read with protowire against Loki's push.proto schema, so no
// Loki module is imported. Pure: no I/O.
package loki

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/snappy"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/cloudsage/cloudsage/internal/shipper"
)

// serviceLabels name the event's service, first found wins.
var serviceLabels = []string{"service_name", "service", "app", "application", "job", "container", "container_name"}

// levelLabels name its level.
var levelLabels = []string{"level", "detected_level", "severity", "lvl", "loglevel"}

// hostLabels name its host.
var hostLabels = []string{"host", "hostname", "node", "instance"}

// entry is one line of a stream.
type entry struct {
	t    time.Time
	line string
	meta [][2]string // structured metadata
	// noFields: record leaves Fields to the caller (streamRecords)
	noFields bool
}

// streamRecords appends the records of a stream's entries to res. The
// entries without structured metadata share one Fields map, the stream's
// labels (records are read-only once decoded): a map a record cost a
// tenth of the decode.
func streamRecords(res *shipper.Result, labels [][2]string, entries []entry) {
	var shared map[string]string
	for _, e := range entries {
		if len(e.meta) > 0 {
			res.Records = append(res.Records, record(labels, e))
			continue
		}
		rec := record(labels, entry{t: e.t, line: e.line, noFields: true})
		if shared == nil {
			for _, l := range labels {
				rec.Set(l[0], l[1])
			}
			shared = rec.Fields
		}
		rec.Fields = shared
		res.Records = append(res.Records, rec)
	}
}

// record builds one record from a stream's labels and an entry.
func record(labels [][2]string, e entry) shipper.Record {
	rec := shipper.Record{Time: e.t, Message: strings.TrimRight(e.line, "\r\n")}
	pick := func(names []string) string {
		for _, n := range names {
			for _, l := range labels {
				if l[0] == n && l[1] != "" {
					return l[1]
				}
			}
			for _, l := range e.meta {
				if l[0] == n && l[1] != "" {
					return l[1]
				}
			}
		}
		return ""
	}
	rec.Service = pick(serviceLabels)
	rec.Host = pick(hostLabels)
	rec.Level = shipper.SeverityLevel(pick(levelLabels))
	if e.noFields {
		return rec
	}
	for _, l := range e.meta {
		rec.Set(l[0], l[1])
	}
	for _, l := range labels {
		rec.Set(l[0], l[1])
	}
	return rec
}

// DecodeJSON reads the JSON push body.
func DecodeJSON(data []byte) (shipper.Result, error) {
	var req struct {
		Streams []struct {
			Stream map[string]string   `json:"stream"`
			Values [][]json.RawMessage `json:"values"`
		} `json:"streams"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&req); err != nil {
		return shipper.Result{}, fmt.Errorf("invalid Loki push JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return shipper.Result{}, errors.New("invalid Loki push JSON: more than one value")
	}
	var res shipper.Result
	for _, s := range req.Streams {
		labels := make([][2]string, 0, len(s.Stream))
		for k, v := range s.Stream {
			labels = append(labels, [2]string{k, v})
		}
		for _, v := range s.Values {
			e, err := jsonEntry(v)
			if err != nil {
				res.Reject(err.Error())
				continue
			}
			res.Records = append(res.Records, record(labels, e))
		}
	}
	return res, nil
}

// jsonEntry reads ["<unix ns>", "<line>"] or ["<unix ns>", "<line>", {metadata}].
func jsonEntry(v []json.RawMessage) (entry, error) {
	var e entry
	if len(v) < 2 || len(v) > 3 {
		return e, fmt.Errorf("a value must be [timestamp, line] or [timestamp, line, metadata], got %d elements", len(v))
	}
	var ts string
	if err := json.Unmarshal(v[0], &ts); err != nil {
		return e, errors.New("a value's timestamp must be a string of Unix nanoseconds")
	}
	ns, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || ns < 0 {
		return e, fmt.Errorf("timestamp %q is not Unix nanoseconds", ts)
	}
	if ns > 0 {
		e.t = time.Unix(0, ns).UTC()
	}
	if err := json.Unmarshal(v[1], &e.line); err != nil {
		return e, errors.New("a value's line must be a string")
	}
	if len(v) == 3 {
		var meta map[string]string
		if err := json.Unmarshal(v[2], &meta); err != nil {
			return e, errors.New("a value's structured metadata must be an object of strings")
		}
		for k, m := range meta {
			e.meta = append(e.meta, [2]string{k, m})
		}
	}
	return e, nil
}

// DecodeProtobuf reads the snappy-compressed protobuf push body.
func DecodeProtobuf(data []byte) (shipper.Result, error) {
	n, err := snappy.DecodedLen(data)
	if err != nil {
		return shipper.Result{}, errors.New("the protobuf push body is not snappy-compressed")
	}
	if n > 1<<30 {
		return shipper.Result{}, errors.New("the protobuf push body decompresses to more than 1 GiB")
	}
	raw, err := snappy.Decode(nil, data)
	if err != nil {
		return shipper.Result{}, fmt.Errorf("the protobuf push body is not valid snappy: %w", err)
	}
	return DecodeProtobufRaw(raw)
}

// DecodeProtobufRaw reads an uncompressed PushRequest:
//
//	PushRequest{1: repeated Stream}
//	Stream{1: labels string, 2: repeated Entry, 3: hash uint64}
//	Entry{1: google.protobuf.Timestamp, 2: line, 3: repeated LabelPair structuredMetadata}
//	Timestamp{1: seconds int64, 2: nanos int32}; LabelPair{1: name, 2: value}
func DecodeProtobufRaw(b []byte) (shipper.Result, error) {
	var res shipper.Result
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if num != 1 || typ != protowire.BytesType {
			return nil
		}
		var labelText string
		var entries []entry
		err := fields(v, func(num protowire.Number, typ protowire.Type, v []byte) error {
			switch {
			case num == 1 && typ == protowire.BytesType:
				labelText = string(v)
			case num == 2 && typ == protowire.BytesType:
				e, err := protoEntry(v)
				if err != nil {
					return err
				}
				entries = append(entries, e)
			}
			return nil
		})
		if err != nil {
			return err
		}
		labels, err := ParseLabels(labelText)
		if err != nil {
			for range entries {
				res.Reject(err.Error())
			}
			return nil
		}
		streamRecords(&res, labels, entries)
		return nil
	})
	if err != nil {
		return shipper.Result{}, fmt.Errorf("invalid Loki push protobuf: %w", err)
	}
	return res, nil
}

func protoEntry(b []byte) (entry, error) {
	var e entry
	var sec, nsec int64
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			return fields(v, func(num protowire.Number, typ protowire.Type, v []byte) error {
				if typ != protowire.VarintType {
					return nil
				}
				x, _ := protowire.ConsumeVarint(v)
				switch num {
				case 1:
					sec = int64(x)
				case 2:
					nsec = int64(int32(x))
				}
				return nil
			})
		case num == 2 && typ == protowire.BytesType:
			e.line = string(v)
		case num == 3 && typ == protowire.BytesType:
			var pair [2]string
			err := fields(v, func(num protowire.Number, typ protowire.Type, v []byte) error {
				if typ == protowire.BytesType && (num == 1 || num == 2) {
					pair[num-1] = string(v)
				}
				return nil
			})
			if err != nil {
				return err
			}
			e.meta = append(e.meta, pair)
		}
		return nil
	})
	if sec != 0 || nsec != 0 {
		e.t = time.Unix(sec, nsec).UTC()
	}
	return e, err
}

// fields walks the fields of a protobuf message. For varint fields v holds
// the varint's bytes; for length-delimited fields, the content.
func fields(b []byte, fn func(protowire.Number, protowire.Type, []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v []byte
		switch typ {
		case protowire.BytesType:
			c, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return protowire.ParseError(m)
			}
			v, n = c, m
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return protowire.ParseError(n)
			}
			v = b[:n]
		}
		if err := fn(num, typ, v); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// ParseLabels reads a Prometheus label set as Loki streams carry it:
// {name="value", other="a \"quoted\" value"}.
func ParseLabels(s string) ([][2]string, error) {
	bad := func(why string) ([][2]string, error) {
		return nil, fmt.Errorf("invalid stream labels %q: %s", trunc(s, 80), why)
	}
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return bad("want {name=\"value\", ...}")
	}
	s = s[1 : len(s)-1]
	var out [][2]string
	for {
		s = strings.TrimLeft(s, " \t\n")
		if s == "" {
			return out, nil
		}
		i := 0
		for i < len(s) && (s[i] == '_' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || i > 0 && s[i] >= '0' && s[i] <= '9') {
			i++
		}
		if i == 0 {
			return bad("a label name must start with a letter or _")
		}
		name := s[:i]
		s = strings.TrimLeft(s[i:], " \t")
		if s == "" || s[0] != '=' {
			return bad("want = after " + name)
		}
		s = strings.TrimLeft(s[1:], " \t")
		if s == "" || s[0] != '"' {
			return bad("a label value must be quoted")
		}
		j := 1
		for j < len(s) && s[j] != '"' {
			if s[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(s) {
			return bad("unterminated label value")
		}
		val, err := strconv.Unquote(s[:j+1])
		if err != nil {
			return bad("invalid escape in label value")
		}
		out = append(out, [2]string{name, val})
		s = strings.TrimLeft(s[j+1:], " \t\n")
		if s != "" {
			if s[0] != ',' {
				return bad("want , between labels")
			}
			s = s[1:]
		}
	}
}

func trunc(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
