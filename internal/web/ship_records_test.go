package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/snappy"
	commonv1 "go.opentelemetry.io/proto/otlp/common/v1"
	logsv1 "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcev1 "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/config"
	"github.com/cloudsage/cloudsage/internal/shipper"
	"github.com/cloudsage/cloudsage/internal/shipper/loki"
	"github.com/cloudsage/cloudsage/internal/shipper/otlp"
	"github.com/cloudsage/cloudsage/internal/shipper/syslog"
)

// shippedLog is one log record the comparison sends through every
// shipper: a few operations with varying numbers (so they mine into
// patterns), errors with causes, HTTP statuses and latencies, a stack
// trace, and records without a time of their own.
type shippedLog struct {
	at       time.Time // zero: none
	severity int       // syslog severity 0..7
	msg      string
	attrs    map[string]string
}

func shippedLogs(n int) []shippedLog {
	// two hours back: reports are evaluated at the newest event's time, so
	// both sides of the comparison are analysed at the same moment
	t0 := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	var out []shippedLog
	for i := range n {
		l := shippedLog{at: t0.Add(time.Duration(i) * 1300 * time.Millisecond), severity: 6}
		switch i % 7 {
		case 0:
			l.msg = fmt.Sprintf("GET /api/orders/%d 200 in %dms", 1000+i, 5+i%40)
			l.attrs = map[string]string{"route": "/api/orders/{id}", "status": "200"}
		case 1:
			l.msg = fmt.Sprintf("user %d signed in from 10.0.%d.%d", i, i%255, (i*7)%255)
		case 2:
			l.severity = 3
			l.msg = fmt.Sprintf("payment %d failed: card declined", 5000+i)
			l.attrs = map[string]string{"error": "issuer unavailable", "order_id": fmt.Sprint("o-", i)}
		case 3:
			l.severity = 4
			l.msg = fmt.Sprintf("slow query took %dms rows=%d", 800+i, i*3)
			l.at = time.Time{} // the previous record's time
		case 4:
			l.msg = fmt.Sprintf("cache hit ratio %d%% memory 71%% cpu %d%%", 50+i%50, 10+i%80)
		case 5:
			l.severity = 3
			l.msg = fmt.Sprintf("java.lang.IllegalStateException: worker %d stopped\n\tat a.b.Worker.run(Worker.java:%d)\n\tat java.lang.Thread.run(Thread.java:750)", i%5, 40+i%9)
		default:
			l.msg = fmt.Sprintf("upstream returned status=%d latency_ms=%d", []int{200, 503, 404}[i%3], 20+i%300)
			l.attrs = map[string]string{"upstream": "billing"}
		}
		out = append(out, l)
	}
	return out
}

func otlpPayload(logs []shippedLog) []byte {
	s := func(v string) *commonv1.AnyValue {
		return &commonv1.AnyValue{Value: &commonv1.AnyValue_StringValue{StringValue: v}}
	}
	recs := make([]*logsv1.LogRecord, len(logs))
	for i, l := range logs {
		r := &logsv1.LogRecord{Body: s(l.msg), SeverityNumber: logsv1.SeverityNumber([]int{21, 21, 21, 17, 13, 9, 9, 5}[l.severity])}
		if !l.at.IsZero() {
			r.TimeUnixNano = uint64(l.at.UnixNano())
		}
		for k, v := range l.attrs {
			r.Attributes = append(r.Attributes, &commonv1.KeyValue{Key: k, Value: s(v)})
		}
		recs[i] = r
	}
	b, _ := proto.Marshal(&logsv1.LogsData{ResourceLogs: []*logsv1.ResourceLogs{{
		Resource: &resourcev1.Resource{Attributes: []*commonv1.KeyValue{
			{Key: "service.name", Value: s("checkout")}, {Key: "host.name", Value: s("web-1")}, {Key: "deployment.environment", Value: s("prod")}}},
		ScopeLogs: []*logsv1.ScopeLogs{{Scope: &commonv1.InstrumentationScope{Name: "app"}, LogRecords: recs}},
	}}})
	return b
}

func lokiPayload(logs []shippedLog) []byte {
	var stream []byte
	stream = protowire.AppendTag(stream, 1, protowire.BytesType)
	stream = protowire.AppendString(stream, `{service_name="checkout", host="web-1", env="prod"}`)
	for _, l := range logs {
		var ts, ent []byte
		if !l.at.IsZero() {
			ts = protowire.AppendTag(ts, 1, protowire.VarintType)
			ts = protowire.AppendVarint(ts, uint64(l.at.Unix()))
			ts = protowire.AppendTag(ts, 2, protowire.VarintType)
			ts = protowire.AppendVarint(ts, uint64(l.at.Nanosecond()))
			ent = protowire.AppendTag(ent, 1, protowire.BytesType)
			ent = protowire.AppendBytes(ent, ts)
		}
		ent = protowire.AppendTag(ent, 2, protowire.BytesType)
		ent = protowire.AppendString(ent, l.msg)
		for k, v := range l.attrs {
			var pair []byte
			pair = protowire.AppendTag(pair, 1, protowire.BytesType)
			pair = protowire.AppendString(pair, k)
			pair = protowire.AppendTag(pair, 2, protowire.BytesType)
			pair = protowire.AppendString(pair, v)
			ent = protowire.AppendTag(ent, 3, protowire.BytesType)
			ent = protowire.AppendBytes(ent, pair)
		}
		stream = protowire.AppendTag(stream, 2, protowire.BytesType)
		stream = protowire.AppendBytes(stream, ent)
	}
	var req []byte
	req = protowire.AppendTag(req, 1, protowire.BytesType)
	return snappy.Encode(nil, protowire.AppendBytes(req, stream))
}

// syslogMessages are RFC 5424 messages; a record's attributes go in
// structured data. A message's newlines become spaces (one frame each).
func syslogMessages(logs []shippedLog) [][]byte {
	var out [][]byte
	for _, l := range logs {
		ts := "-"
		if !l.at.IsZero() {
			ts = l.at.UTC().Format(time.RFC3339Nano)
		}
		sd := "-"
		if len(l.attrs) > 0 {
			keys := make([]string, 0, len(l.attrs))
			for k := range l.attrs {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			sd = "[app@32473"
			for _, k := range keys {
				sd += fmt.Sprintf(" %s=%q", strings.ReplaceAll(k, "_", ""), l.attrs[k])
			}
			sd += "]"
		}
		out = append(out, fmt.Appendf(nil, "<%d>1 %s web-1 checkout 42 - %s %s", 8+l.severity, ts, sd, strings.ReplaceAll(l.msg, "\n", " ")))
	}
	return out
}

// TestShipRecordsMatchLines: records a shipper sends reach the engine as
// they are, not as JSON lines read back; what is stored and analysed is
// what the JSON lines give (the path they took before). For OTLP, Loki
// and syslog, the same payload goes to the shipper's endpoint for one
// project and its decoded records' JSON lines to /api/ingest as NDJSON for
// another: the events (all but their raw text and ids), the patterns and
// the report's score must agree. The raw text of a shipped record is now
// its message as sent (it was the JSON line).
func TestShipRecordsMatchLines(t *testing.T) {
	s := startShip(t, func(c *config.Config) { c.MaxBodyBytes = 8 << 20 })
	logs := shippedLogs(420)
	msgs := syslogMessages(logs)
	type shipped struct {
		name string
		send func(c *client, project string) // sends the payload to the shipper
		recs []shipper.Record                // what its decoder reads of it
	}
	op := otlpPayload(logs)
	ores, err := otlp.Decode(op, otlp.Protobuf)
	if err != nil {
		t.Fatal(err)
	}
	lp := lokiPayload(logs)
	lres, err := loki.DecodeProtobuf(lp)
	if err != nil {
		t.Fatal(err)
	}
	sp := syslog.NewParser(time.UTC)
	var sres shipper.Result
	for _, m := range msgs {
		rec, _ := sp.Parse(m)
		sres.Records = append(sres.Records, rec)
	}
	for _, sh := range []shipped{
		{"otlp", func(c *client, _ string) {
			want(t, "OTLP", c.do("POST", "/v1/logs", "application/x-protobuf", bytes.NewReader(op)), 200)
		}, ores.Records},
		{"loki", func(c *client, _ string) {
			want(t, "Loki", c.do("POST", "/loki/api/v1/push", "application/x-protobuf", bytes.NewReader(lp)), 204)
		}, lres.Records},
		{"syslog", func(_ *client, project string) {
			// what the syslog listener does with a batch (cmd serve's deliver)
			pr, err := s.store.ProjectByID(context.Background(), cloudsage.ProjectID(atoi(t, project)))
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.srv.IngestRecords(context.Background(), pr, "syslog", sres, time.Now()); err != nil {
				t.Fatal(err)
			}
		}, sres.Records},
	} {
		t.Run(sh.name, func(t *testing.T) {
			if len(sh.recs) != len(logs) {
				t.Fatalf("%s decoded %d records of %d", sh.name, len(sh.recs), len(logs))
			}
			shipP, shipC := s.tokenProject(sh.name + "-records")
			lineP, lineC := s.tokenProject(sh.name + "-lines")
			sh.send(shipC, shipP)
			var nd strings.Builder
			for i := range sh.recs {
				nd.WriteString(sh.recs[i].Line())
				nd.WriteByte('\n')
			}
			want(t, "NDJSON lines", lineC.do("POST", "/api/ingest", "application/x-ndjson", strings.NewReader(nd.String())), 200)

			gotEv, wantEv := s.storedEvents(shipP), s.storedEvents(lineP)
			if len(gotEv) != len(logs) || len(wantEv) != len(logs) {
				t.Fatalf("%d events from records, %d from lines, want %d", len(gotEv), len(wantEv), len(logs))
			}
			for i := range wantEv {
				if raw := gotEv[i]["raw"]; raw != sh.recs[i].Message {
					t.Errorf("event %d: raw %q, want the message as sent %q", i, raw, sh.recs[i].Message)
				}
				delete(gotEv[i], "raw")
				delete(wantEv[i], "raw")
			}
			if d := cmp.Diff(wantEv, gotEv); d != "" {
				t.Errorf("stored events differ (-lines +records):\n%s", d)
			}
			if d := cmp.Diff(s.storedPatterns(lineP), s.storedPatterns(shipP)); d != "" {
				t.Errorf("patterns differ (-lines +records):\n%s", d)
			}
			gotR, wantR := s.report(shipP), s.report(lineP)
			if gotR["score"] != wantR["score"] || gotR["label"] != wantR["label"] {
				t.Errorf("report: score %v %v from records, %v %v from lines", gotR["score"], gotR["label"], wantR["score"], wantR["label"])
			}
			levels := map[any]int{}
			for _, ev := range gotEv {
				levels[ev["level"]]++
			}
			if levels["error"] == 0 || levels["warn"] == 0 || levels["info"] == 0 {
				t.Errorf("levels stored: %v, want info, warn and error", levels)
			}
		})
	}
}

func atoi(t *testing.T, s string) int64 {
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// tokenProject creates a project and a client with an ingest token for it.
func (s *shipEnv) tokenProject(name string) (string, *client) {
	s.t.Helper()
	p := s.owner.project(name)
	r := s.owner.send("POST", "/api/projects/"+p+"/tokens", map[string]string{"name": "shipper"})
	want(s.t, "create token", r, http.StatusCreated)
	c := s.client()
	c.token = r.json(s.t)["token"].(string)
	return p, c
}

// storedEvents are a project's events without their ids, oldest first
// (ties in the order stored).
func (s *shipEnv) storedEvents(project string) []map[string]any {
	s.t.Helper()
	r := s.owner.get("/api/projects/" + project + "/logs?limit=1000")
	want(s.t, "logs", r, 200)
	var out []map[string]any
	for _, e := range r.json(s.t)["events"].([]any) {
		ev := e.(map[string]any)
		for _, k := range []string{"id", "batch_id", "project_id"} {
			delete(ev, k)
		}
		out = append(out, ev)
	}
	// the API lists newest first
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

func (s *shipEnv) storedPatterns(project string) []any {
	s.t.Helper()
	r := s.owner.get("/api/projects/" + project + "/patterns?limit=1000")
	want(s.t, "patterns", r, 200)
	ps, _ := r.json(s.t)["patterns"].([]any)
	if len(ps) < 5 {
		s.t.Errorf("project %s: %d patterns, want the operations' (at least 5)", project, len(ps))
	}
	return ps
}

func (s *shipEnv) report(project string) map[string]any {
	s.t.Helper()
	r := s.owner.get("/api/forecast/" + project)
	want(s.t, "forecast", r, 200)
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		s.t.Fatal(err)
	}
	if risk, ok := m["risk"].(map[string]any); ok {
		return risk
	}
	return m
}
