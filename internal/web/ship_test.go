package web_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/snappy"
	commonv1 "go.opentelemetry.io/proto/otlp/common/v1"
	logsv1 "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcev1 "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/cloudsage/cloudsage/internal/config"
)

// shipEnv is a server, a project and an API token for it.
type shipEnv struct {
	*env
	owner, bot *client
	project    string
}

func startShip(t *testing.T, mod func(*config.Config)) *shipEnv {
	e := start(t, openSQLite(t), mod)
	ann := e.user("ann")
	p := ann.project("ship")
	r := ann.send("POST", "/api/projects/"+p+"/tokens", map[string]string{"name": "shipper"})
	want(t, "create token", r, http.StatusCreated)
	bot := e.client()
	bot.token = r.json(t)["token"].(string)
	return &shipEnv{env: e, owner: ann, bot: bot, project: p}
}

// events returns the stored events matching the search q.
func (s *shipEnv) events(q string) []map[string]any {
	s.t.Helper()
	r := s.owner.get("/api/projects/" + s.project + "/logs?limit=1000&q=" + q)
	want(s.t, "search "+q, r, 200)
	var out []map[string]any
	for _, e := range r.json(s.t)["events"].([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}

func (s *shipEnv) one(q string) map[string]any {
	s.t.Helper()
	evs := s.events(q)
	if len(evs) != 1 {
		s.t.Fatalf("search %q: %d events, want 1", q, len(evs))
	}
	return evs[0]
}

func field(ev map[string]any, k string) string {
	f, _ := ev["fields"].(map[string]any)
	s, _ := f[k].(string)
	return s
}

func checkEvent(t *testing.T, what string, ev map[string]any, level, service, host string) {
	t.Helper()
	if ev["level"] != level || ev["service"] != service || (host != "" && ev["host"] != host) {
		t.Errorf("%s: level %v service %v host %v, want %s %s %s (%v)", what, ev["level"], ev["service"], ev["host"], level, service, host, ev)
	}
}

func otlpRequest(body string) *logsv1.LogsData {
	s := func(v string) *commonv1.AnyValue {
		return &commonv1.AnyValue{Value: &commonv1.AnyValue_StringValue{StringValue: v}}
	}
	return &logsv1.LogsData{ResourceLogs: []*logsv1.ResourceLogs{{
		Resource: &resourcev1.Resource{Attributes: []*commonv1.KeyValue{{Key: "service.name", Value: s("checkout")}, {Key: "host.name", Value: s("web-1")}}},
		ScopeLogs: []*logsv1.ScopeLogs{{LogRecords: []*logsv1.LogRecord{
			{TimeUnixNano: uint64(time.Now().UnixNano()), SeverityNumber: logsv1.SeverityNumber_SEVERITY_NUMBER_WARN, Body: s(body),
				Attributes: []*commonv1.KeyValue{{Key: "order_id", Value: s("o-17")}}},
			{}, // empty: rejected, reported in partial_success
		}}},
	}}}
}

func TestShipOTLP(t *testing.T) {
	s := startShip(t, func(c *config.Config) { c.MaxBodyBytes = 64 << 10 })
	b, _ := proto.Marshal(otlpRequest("protomark card declined"))
	r := s.bot.do("POST", "/v1/logs", "application/x-protobuf", bytes.NewReader(gz(string(b))), "Content-Encoding", "gzip")
	if r.code != 200 || r.hdr.Get("Content-Type") != "application/x-protobuf" {
		t.Fatalf("OTLP protobuf: %d %s %x", r.code, r.hdr.Get("Content-Type"), r.body)
	}
	// ExportLogsServiceResponse.partial_success.rejected_log_records = 1
	if _, _, n := protowire.ConsumeTag(r.body); n < 0 || len(r.body) < 4 || r.body[2] != 0x08 || r.body[3] != 1 {
		t.Errorf("OTLP response = %x, want partial_success with 1 rejected", r.body)
	}
	ev := s.one("protomark")
	checkEvent(t, "OTLP protobuf", ev, "warn", "checkout", "web-1")
	if field(ev, "order_id") != "o-17" {
		t.Errorf("OTLP attributes not in fields: %v", ev)
	}

	js := `{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"billing"}}]},"scopeLogs":[{"logRecords":[` +
		`{"timeUnixNano":"` + strconv.FormatInt(time.Now().UnixNano(), 10) + `","severityNumber":17,"body":{"stringValue":"jsonmark refused"},"traceId":"5b8efff798038103d269b633813fc60c"}]}]}]}`
	r = s.bot.do("POST", "/v1/logs", "application/json", strings.NewReader(js))
	if r.code != 200 || string(bytes.TrimSpace(r.body)) != "{}" {
		t.Fatalf("OTLP JSON: %d %s", r.code, r.body)
	}
	ev = s.one("jsonmark")
	checkEvent(t, "OTLP JSON", ev, "error", "billing", "")
	if field(ev, "trace_id") != "5b8efff798038103d269b633813fc60c" {
		t.Errorf("trace id = %q", field(ev, "trace_id"))
	}

	// Bad payloads: the OTLP status codes, a google.rpc.Status body, nothing stored.
	bad := []struct {
		name, ctype string
		body        []byte
		hdr         []string
		code        int
	}{
		{"truncated protobuf", "application/x-protobuf", b[:len(b)-5], nil, 400},
		{"malformed JSON", "application/json", []byte(`{"resourceLogs":[{"badmark`), nil, 400},
		{"wrong content type", "text/plain", []byte("badmark"), nil, 415},
		{"wrong token", "application/json", []byte(js), []string{"Authorization", "Bearer cs_wrong"}, 401},
		{"no token", "application/json", []byte(js), []string{"Authorization", "Basic Og=="}, 401},
		{"bad gzip", "application/json", []byte("badmark"), []string{"Content-Encoding", "gzip"}, 400},
		{"oversized", "application/x-protobuf", bytes.Repeat(b, 64<<10/len(b)+1), nil, 413},
		{"oversized once unzipped", "application/x-protobuf", gz(strings.Repeat(string(b), 64<<10/len(b)+1)), []string{"Content-Encoding", "gzip"}, 413},
	}
	before := len(s.events("jsonmark"))
	for _, c := range bad {
		r := s.bot.do("POST", "/v1/logs", c.ctype, bytes.NewReader(c.body), c.hdr...)
		if r.code != c.code || !strings.Contains(string(r.body), "message") && c.ctype == "application/json" {
			t.Errorf("%s: %d %s, want %d with a Status", c.name, r.code, r.body, c.code)
		}
	}
	if n := len(s.events("jsonmark")); n != before {
		t.Errorf("bad payloads stored events: %d, want %d", n, before)
	}
}

// lokiProto is a snappy PushRequest with one stream and one entry.
func lokiProto(labels, line string, at time.Time) []byte {
	var ts, ent, stream, req []byte
	ts = protowire.AppendTag(ts, 1, protowire.VarintType)
	ts = protowire.AppendVarint(ts, uint64(at.Unix()))
	ent = protowire.AppendTag(ent, 1, protowire.BytesType)
	ent = protowire.AppendBytes(ent, ts)
	ent = protowire.AppendTag(ent, 2, protowire.BytesType)
	ent = protowire.AppendString(ent, line)
	stream = protowire.AppendTag(stream, 1, protowire.BytesType)
	stream = protowire.AppendString(stream, labels)
	stream = protowire.AppendTag(stream, 2, protowire.BytesType)
	stream = protowire.AppendBytes(stream, ent)
	req = protowire.AppendTag(req, 1, protowire.BytesType)
	return snappy.Encode(nil, protowire.AppendBytes(req, stream))
}

func TestShipLoki(t *testing.T) {
	s := startShip(t, func(c *config.Config) { c.MaxBodyBytes = 64 << 10 })
	now := time.Now()
	r := s.bot.do("POST", "/loki/api/v1/push", "application/x-protobuf", bytes.NewReader(lokiProto(`{job="default/api", level="warn", host="n1"}`, "lokiproto slow upstream", now)))
	want(t, "Loki protobuf", r, 204)
	checkEvent(t, "Loki protobuf", s.one("lokiproto"), "warn", "default/api", "n1")
	js := fmt.Sprintf(`{"streams":[{"stream":{"service_name":"cart","app":"web"},"values":[["%d","lokijson ERROR db down"]]}]}`, now.UnixNano())
	r = s.bot.do("POST", "/loki/api/v1/push", "application/json", bytes.NewReader(gz(js)), "Content-Encoding", "gzip",
		"Authorization", "", "X-Scope-OrgID", s.project)
	if r.code != 401 {
		t.Errorf("Loki without credentials: %d", r.code)
	}
	// Promtail's basic_auth: any user, the token as password; X-Scope-OrgID names the project.
	req, _ := http.NewRequest("POST", s.url+"/loki/api/v1/push", bytes.NewReader(gz(js)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("X-Scope-OrgID", s.project)
	req.SetBasicAuth("promtail", s.bot.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 204 {
		t.Fatalf("Loki JSON with basic auth: %v %v", res.StatusCode, err)
	}
	res.Body.Close()
	ev := s.one("lokijson")
	checkEvent(t, "Loki JSON", ev, "error", "cart", "")
	if field(ev, "app") != "web" {
		t.Errorf("labels not in fields: %v", ev)
	}
	for _, c := range []struct {
		name, ctype string
		body        []byte
		hdr         []string
		code        int
	}{
		{"truncated protobuf", "application/x-protobuf", lokiProto(`{a="b"}`, "badmark", now)[:20], nil, 400},
		{"not snappy", "application/x-protobuf", []byte("badmark"), nil, 400},
		{"wrong content type", "application/xml", []byte("<badmark/>"), nil, 415},
		{"other project", "application/json", []byte(js), []string{"X-Scope-OrgID", "999"}, 403},
		{"wrong token", "application/x-protobuf", lokiProto(`{a="b"}`, "badmark", now), []string{"Authorization", "Bearer cs_wrong"}, 401},
		{"oversized", "application/json", []byte(`{"streams":[{"stream":{},"values":[["1","badmark ` + strings.Repeat("x", 64<<10) + `"]]}]}`), nil, 413},
		{"bad entry", "application/json", []byte(`{"streams":[{"stream":{},"values":[["x","badmark"]]}]}`), nil, 400},
	} {
		r := s.bot.do("POST", "/loki/api/v1/push", c.ctype, bytes.NewReader(c.body), c.hdr...)
		if r.code != c.code {
			t.Errorf("%s: %d %s, want %d", c.name, r.code, r.body, c.code)
		}
	}
	if n := len(s.events("badmark")); n != 0 {
		t.Errorf("bad payloads stored %d events", n)
	}
}

func TestShipESBulk(t *testing.T) {
	s := startShip(t, func(c *config.Config) { c.MaxBodyBytes = 64 << 10; c.MaxLineBytes = 4 << 10 })
	ts := time.Now().UTC().Format(time.RFC3339Nano)
	body := `{"create":{"_index":"app"}}` + "\n" + `{"@timestamp":"` + ts + `","message":"bulkmark disk full","log":{"level":"error"},"service":{"name":"store"},"host":{"name":"db-1"}}` + "\n" +
		`{"delete":{"_id":"1"}}` + "\n"
	r := s.bot.do("POST", "/logs-app/_bulk", "application/x-ndjson", strings.NewReader(body))
	want(t, "bulk", r, 200)
	if r.hdr.Get("X-Elastic-Product") != "Elasticsearch" {
		t.Errorf("bulk response without X-Elastic-Product")
	}
	m := r.json(t)
	items := m["items"].([]any)
	if m["errors"] != true || len(items) != 2 || items[0].(map[string]any)["create"].(map[string]any)["status"] != 201.0 ||
		items[1].(map[string]any)["delete"].(map[string]any)["status"] != 400.0 {
		t.Errorf("bulk answer = %s", r.body)
	}
	ev := s.one("bulkmark")
	checkEvent(t, "bulk", ev, "error", "store", "db-1")
	if field(ev, "_index") != "app" {
		t.Errorf("index not kept: %v", ev)
	}
	// GET / with credentials is Elasticsearch's version probe; without, the dashboard.
	req, _ := http.NewRequest("GET", s.url+"/", nil)
	req.SetBasicAuth("elastic", s.bot.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 || res.Header.Get("X-Elastic-Product") != "Elasticsearch" {
		t.Fatalf("GET / as a shipper: %v %v", res, err)
	}
	res.Body.Close()
	r = s.client().get("/")
	if r.code != 200 || !strings.Contains(r.hdr.Get("Content-Type"), "text/html") {
		t.Errorf("GET / in a browser: %d %s", r.code, r.hdr.Get("Content-Type"))
	}
	for _, p := range []string{"/_license", "/_index_template/logs", "/_ilm/policy/logs", "/_cluster/health"} {
		want(t, "probe "+p, s.bot.get(p), 200)
	}
	want(t, "PUT template", s.bot.do("PUT", "/_index_template/logs", "application/json", strings.NewReader(`{}`)), 200)

	for _, c := range []struct {
		name, body, ctype string
		hdr               []string
		code              int
	}{
		{"wrong token", body, "application/x-ndjson", []string{"Authorization", "Bearer nope"}, 401},
		{"malformed action", "badmark\n{}\n", "application/x-ndjson", nil, 400},
		{"wrong content type", body, "image/png", nil, 406},
		{"oversized body", strings.Repeat(`{"create":{"_index":"x"}}`+"\n"+`{"message":"badmark"}`+"\n", 3000), "application/x-ndjson", nil, 413},
		{"oversized document", `{"create":{"_index":"x"}}` + "\n" + `{"message":"badmark ` + strings.Repeat("x", 5000) + `"}` + "\n", "application/x-ndjson", nil, 413},
	} {
		r := s.bot.do("POST", "/_bulk", c.ctype, strings.NewReader(strings.ReplaceAll(c.body, "bulkmark", "badmark")), c.hdr...)
		if r.code != c.code || !strings.Contains(string(r.body), `"error"`) {
			t.Errorf("%s: %d %.200s, want %d with an Elasticsearch error", c.name, r.code, r.body, c.code)
		}
	}
	if n := len(s.events("badmark")); n != 0 {
		t.Errorf("bad payloads stored %d events", n)
	}
}

// The shipper budget counts lines, not requests: many small requests pass,
// and past the budget a 429 carries Retry-After and stores nothing.
func TestShipBudget(t *testing.T) {
	s := startShip(t, func(c *config.Config) { c.ShipLinesPerSecond = 20; c.RateLimit = 5 })
	push := func(mark string, n int) resp {
		var vals []string
		for i := range n {
			vals = append(vals, fmt.Sprintf(`["%d","%s %d"]`, time.Now().UnixNano(), mark, i))
		}
		return s.bot.do("POST", "/loki/api/v1/push", "application/json", strings.NewReader(`{"streams":[{"stream":{"app":"a"},"values":[`+strings.Join(vals, ",")+`]}]}`))
	}
	for i := range 10 { // more requests than the 5-a-minute request limit of /api/ingest
		want(t, "small push "+strconv.Itoa(i), push("smallmark", 1), 204)
	}
	r := push("bigmark", 200) // the burst (5 s of 20 lines) is not used up yet: let through, charged in full
	want(t, "big push", r, 204)
	r = push("overmark", 1)
	if r.code != 429 || r.hdr.Get("Retry-After") == "" {
		t.Fatalf("over budget: %d Retry-After %q", r.code, r.hdr.Get("Retry-After"))
	}
	if n := len(s.events("overmark")); n != 0 {
		t.Errorf("a refused push stored %d events", n)
	}
}
