package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/snappy"
	commonv1 "go.opentelemetry.io/proto/otlp/common/v1"
	logsv1 "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcev1 "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/config"
	"github.com/cloudsage/cloudsage/internal/shipper"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/syslogd"
	"github.com/cloudsage/cloudsage/internal/web"
)

// The ship-* stages measure each log-shipper protocol end to end into
// SQLite: the real server on loopback, bodies built before timing as a
// shipper has them ready, HTTPBatch lines a request (syslog: one TCP
// connection, octet-counted frames, timed until every line is stored).
// Compare with http-sqlite (plain POST /api/ingest) in the same run.
func init() {
	for _, p := range []struct{ name, about string }{
		{"ship-otlp", "POST /v1/logs, OTLP protobuf, one record per line"},
		{"ship-loki", "POST /loki/api/v1/push, protobuf + snappy, one stream"},
		{"ship-esbulk", "POST /_bulk, NDJSON create actions with {\"message\": line}"},
		{"ship-syslog", "syslog over TCP (RFC 5424, octet-counted), until all lines are stored"},
	} {
		Register(Stage{Name: p.name, About: p.about + "; into SQLite in a temp folder (all cores)", Run: shipStage(p.name)})
	}
}

func shipStage(name string) func(context.Context, *Corpus) (Result, error) {
	return func(ctx context.Context, c *Corpus) (Result, error) {
		prev := runtime.GOMAXPROCS(runtime.NumCPU())
		defer runtime.GOMAXPROCS(prev)
		st, closeStore, err := openBenchSQLite(ctx)
		if err != nil {
			return Result{}, err
		}
		defer closeStore()
		cfg := config.Default()
		cfg.RateLimit, cfg.ShipLinesPerSecond, cfg.ShipBytesPerSecond = 1<<30, 0, 0
		cfg.MaxBodyBytes = 256 << 20
		srv, base, closeServer, err := serveLoopback(cfg, st)
		if err != nil {
			return Result{}, err
		}
		defer closeServer()
		project, token, jar, err := benchToken(base)
		if err != nil {
			return Result{}, err
		}
		var batches [][]string
		for off := 0; off < len(c.Raw); off += HTTPBatch {
			batches = append(batches, c.Raw[off:min(off+HTTPBatch, len(c.Raw))])
		}
		// The same forecast reads as http-sqlite's while ingesting, so
		// the ratios to it compare the same work.
		reads := func() func() []time.Duration { return forecastReads(base, jar, int64(project)) }
		if name == "ship-syslog" {
			return syslogRun(ctx, st, srv, project, batches, reads)
		}
		var path, ctype string
		var build func([]string) []byte
		switch name {
		case "ship-otlp":
			path, ctype, build = "/v1/logs", "application/x-protobuf", otlpBody
		case "ship-loki":
			path, ctype, build = "/loki/api/v1/push", "application/x-protobuf", lokiBody
		default:
			path, ctype, build = "/bench/_bulk", "application/x-ndjson", bulkBody
		}
		bodies := make([][]byte, len(batches))
		for i, b := range batches {
			bodies[i] = build(b)
		}
		cl := &http.Client{Timeout: 5 * time.Minute}
		stopProfile, err := profileFromEnv()
		if err != nil {
			return Result{}, err
		}
		defer stopProfile()
		stopReads := reads()
		defer stopReads()
		cpu0 := processCPU()
		start := time.Now()
		n := 0
		for i, body := range bodies {
			if ctx.Err() != nil {
				break
			}
			req, _ := http.NewRequest("POST", base+path, bytes.NewReader(body))
			req.Header.Set("Content-Type", ctype)
			req.Header.Set("Authorization", "Bearer "+token)
			res, err := cl.Do(req)
			if err != nil {
				return Result{}, err
			}
			out, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode/100 != 2 || bytes.Contains(out, []byte(`"errors":true`)) {
				return Result{}, fmt.Errorf("%s batch %d: %d %.200s", path, i, res.StatusCode, out)
			}
			n += len(batches[i])
		}
		secs, cpu := time.Since(start).Seconds(), processCPU()-cpu0
		lat := stopReads()
		stored, err := storedLines(ctx, st, project)
		if err != nil {
			return Result{}, err
		}
		if blank := blankLines(c.Raw); stored < n-blank || stored > n {
			return Result{}, fmt.Errorf("%s: %d lines sent (%d blank), %d stored", name, n, blank, stored)
		}
		return Result{Lines: n, Seconds: secs, ServerCPUSeconds: cpu.Seconds(), LinesPerServerCPUSec: perCPU(n, cpu), Note: fmt.Sprintf("%d requests of %d lines; %s; %s", len(bodies), HTTPBatch, readsNote(lat), cpuNote(n, cpu, 0))}, nil
	}
}

// benchToken registers a user, creates a project and an API token for it;
// the jar holds the user's session.
func benchToken(base string) (cloudsage.ProjectID, string, http.CookieJar, error) {
	jar, _ := cookiejar.New(nil)
	cl := &http.Client{Jar: jar, Timeout: time.Minute}
	post := func(path, body string, v any) error {
		res, err := cl.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			return err
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode/100 != 2 {
			return fmt.Errorf("POST %s: %d %s", path, res.StatusCode, b)
		}
		return json.Unmarshal(b, v)
	}
	var u, p struct{ ID int64 }
	var t struct{ Token string }
	if err := post("/api/auth/register", `{"email":"bench@example.com","password":"a long bench password"}`, &u); err != nil {
		return 0, "", nil, err
	}
	if err := post("/api/projects", `{"name":"bench"}`, &p); err != nil {
		return 0, "", nil, err
	}
	if err := post(fmt.Sprintf("/api/projects/%d/tokens", p.ID), `{"name":"bench"}`, &t); err != nil {
		return 0, "", nil, err
	}
	return cloudsage.ProjectID(p.ID), t.Token, jar, nil
}

// storedLines is how many lines the project's batches accepted.
func storedLines(ctx context.Context, st store.Store, p cloudsage.ProjectID) (int, error) {
	bs, err := st.Batches(ctx, p, 1000000)
	n := 0
	for _, b := range bs {
		n += b.Accepted
	}
	return n, err
}

// blankLines counts the lines a protocol may drop as empty records.
func blankLines(lines []string) int {
	n := 0
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			n++
		}
	}
	return n
}

func otlpBody(lines []string) []byte {
	recs := make([]*logsv1.LogRecord, len(lines))
	now := uint64(time.Now().UnixNano())
	for i, l := range lines {
		recs[i] = &logsv1.LogRecord{ObservedTimeUnixNano: now, Body: &commonv1.AnyValue{Value: &commonv1.AnyValue_StringValue{StringValue: l}}}
	}
	b, _ := proto.Marshal(&logsv1.LogsData{ResourceLogs: []*logsv1.ResourceLogs{{
		Resource:  &resourcev1.Resource{Attributes: []*commonv1.KeyValue{{Key: "service.name", Value: &commonv1.AnyValue{Value: &commonv1.AnyValue_StringValue{StringValue: "bench"}}}}},
		ScopeLogs: []*logsv1.ScopeLogs{{LogRecords: recs}},
	}}})
	return b
}

func lokiBody(lines []string) []byte {
	var stream []byte
	stream = protowire.AppendTag(stream, 1, protowire.BytesType)
	stream = protowire.AppendString(stream, `{job="bench"}`)
	now := time.Now()
	for _, l := range lines {
		var ts, ent []byte
		ts = protowire.AppendTag(ts, 1, protowire.VarintType)
		ts = protowire.AppendVarint(ts, uint64(now.Unix()))
		ent = protowire.AppendTag(ent, 1, protowire.BytesType)
		ent = protowire.AppendBytes(ent, ts)
		ent = protowire.AppendTag(ent, 2, protowire.BytesType)
		ent = protowire.AppendString(ent, l)
		stream = protowire.AppendTag(stream, 2, protowire.BytesType)
		stream = protowire.AppendBytes(stream, ent)
	}
	var req []byte
	req = protowire.AppendTag(req, 1, protowire.BytesType)
	return snappy.Encode(nil, protowire.AppendBytes(req, stream))
}

func bulkBody(lines []string) []byte {
	var b bytes.Buffer
	for _, l := range lines {
		m, _ := json.Marshal(l)
		b.WriteString("{\"create\":{}}\n{\"message\":")
		b.Write(m)
		b.WriteString("}\n")
	}
	return b.Bytes()
}

// syslogRun sends every line over one TCP connection to the syslog
// listener and waits until all are stored: the listener's deliver func
// counts the stored records and says when the last one is in, so waiting
// costs no CPU that the figure would charge to syslog.
func syslogRun(ctx context.Context, st store.Store, srv *web.Server, project cloudsage.ProjectID, batches [][]string, reads func() func() []time.Duration) (Result, error) {
	pr, err := st.ProjectByID(ctx, project)
	if err != nil {
		return Result{}, err
	}
	var frames []byte
	n, blank := 0, 0
	for _, b := range batches {
		for _, l := range b {
			msg := "<14>1 - bench app - - - " + strings.ReplaceAll(l, "\n", " ")
			frames = strconv.AppendInt(frames, int64(len(msg)), 10)
			frames = append(frames, ' ')
			frames = append(frames, msg...)
			n++
		}
		blank += blankLines(b)
	}
	var stored atomic.Int64
	all := make(chan struct{})
	var once sync.Once
	sl, err := syslogd.Listen(syslogd.Config{TCP: "127.0.0.1:0", FlushLines: HTTPBatch}, func(ctx context.Context, _ string, res shipper.Result) error {
		if _, _, err := srv.IngestRecords(ctx, pr, "syslog", res, time.Now()); err != nil {
			return err
		}
		if stored.Add(int64(len(res.Records))) >= int64(n-blank) {
			once.Do(func() { close(all) })
		}
		return nil
	}, nil)
	if err != nil {
		return Result{}, err
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { sl.Serve(sctx); close(done) }()
	defer func() { stop(); <-done }()
	stopProfile, err := profileFromEnv()
	if err != nil {
		return Result{}, err
	}
	defer stopProfile()
	stopReads := reads()
	defer stopReads()
	cpu0 := processCPU()
	start := time.Now()
	conn, err := net.Dial("tcp", sl.TCPAddr().String())
	if err != nil {
		return Result{}, err
	}
	if _, err := conn.Write(frames); err != nil {
		return Result{}, err
	}
	conn.Close()
	select {
	case <-all:
	case <-ctx.Done():
		return Result{}, ctx.Err()
	case <-time.After(10 * time.Minute):
		return Result{}, fmt.Errorf("syslog: %d of %d lines stored after 10 minutes", stored.Load(), n)
	}
	secs, cpu := time.Since(start).Seconds(), processCPU()-cpu0
	lat := stopReads()
	if got, err := storedLines(ctx, st, project); err != nil || got < n-blank || got > n {
		return Result{}, fmt.Errorf("syslog: %d lines sent (%d blank), %d stored (%v)", n, blank, got, err)
	}
	return Result{Lines: n, Seconds: secs, ServerCPUSeconds: cpu.Seconds(), LinesPerServerCPUSec: perCPU(n, cpu), Note: "one TCP connection, octet-counted RFC 5424; " + readsNote(lat) + "; " + cpuNote(n, cpu, 0)}, nil
}

// readsNote sums up the forecast reads made while shipping.
func readsNote(lat []time.Duration) string {
	p50, p99 := quantiles(lat)
	return fmt.Sprintf("GET /api/forecast p50 %.1f ms, p99 %.1f ms over %d reads", p50, p99, len(lat))
}
