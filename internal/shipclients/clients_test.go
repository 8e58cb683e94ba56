package shipclients

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esutil"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
)

// The OpenTelemetry Go SDK's OTLP/HTTP log exporter (protobuf + gzip), as
// an instrumented service ships its logs.
func TestOTelSDK(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	newExporter := func(token string) *otlploghttp.Exporter {
		exp, err := otlploghttp.New(ctx, otlploghttp.WithEndpoint(hostOf(e.url)), otlploghttp.WithInsecure(),
			otlploghttp.WithCompression(otlploghttp.GzipCompression),
			otlploghttp.WithHeaders(map[string]string{"Authorization": "Bearer " + token}),
			otlploghttp.WithRetry(otlploghttp.RetryConfig{Enabled: false}))
		if err != nil {
			t.Fatal(err)
		}
		return exp
	}
	res := resource.NewSchemaless(attribute.String("service.name", "checkout"), attribute.String("host.name", "web-7"))
	lp := sdklog.NewLoggerProvider(sdklog.WithResource(res), sdklog.WithProcessor(sdklog.NewSimpleProcessor(newExporter(e.token))))
	logger := lp.Logger("shop/payments")
	for i, sev := range []otellog.Severity{otellog.SeverityError, otellog.SeverityWarn, otellog.SeverityInfo} {
		var r otellog.Record
		r.SetTimestamp(time.Now())
		r.SetSeverity(sev)
		r.SetBody(attribute.StringValue(fmt.Sprintf("sdkmark payment %d declined", i)))
		r.AddAttributes(attribute.String("order.id", fmt.Sprintf("o-%d", i)), attribute.Int("attempt", i+1))
		logger.Emit(ctx, r)
	}
	if err := lp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	evs := e.events("sdkmark")
	if len(evs) != 3 {
		t.Fatalf("%d events from the SDK, want 3", len(evs))
	}
	levels := map[string]bool{}
	for _, ev := range evs {
		levels[ev.Level] = true
		if ev.Service != "checkout" || ev.Host != "web-7" || !strings.HasPrefix(ev.Fields["order.id"], "o-") ||
			ev.Fields["attempt"] == "" || ev.Fields["otel.scope.name"] != "shop/payments" {
			t.Errorf("SDK event = %+v", ev)
		}
	}
	if !levels["error"] || !levels["warn"] || !levels["info"] {
		t.Errorf("levels = %v, want error, warn and info", levels)
	}

	// A wrong token: the exporter gets an error and nothing is stored.
	var r sdklog.Record
	r.SetBody(attribute.StringValue("intrudermark"))
	if err := newExporter("cs_wrong").Export(ctx, []sdklog.Record{r}); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("export with a wrong token: %v, want a 401 error", err)
	}
	if n := len(e.events("intrudermark")); n != 0 {
		t.Errorf("wrong-token export stored %d events", n)
	}
}

// The official Elasticsearch client: its product check on responses, and
// the bulk indexer reading our per-item answers.
func TestGoElasticsearch(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	es, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{e.url}, Username: "elastic", Password: e.token})
	if err != nil {
		t.Fatal(err)
	}
	info, err := es.Info()
	if err != nil || info.IsError() {
		t.Fatalf("Info: %v %v", info, err)
	}
	info.Body.Close()
	var failures, refused atomic.Int32
	var firstErr atomic.Value
	bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{Client: es, Index: "app-logs", NumWorkers: 2, FlushBytes: 4096,
		OnError: func(_ context.Context, err error) { firstErr.CompareAndSwap(nil, err) }})
	if err != nil {
		t.Fatal(err)
	}
	const n = 120
	for i := range n {
		doc := fmt.Sprintf(`{"@timestamp":%q,"message":"esmark request %d failed","log":{"level":"error"},"service":{"name":"gateway"}}`, time.Now().UTC().Format(time.RFC3339Nano), i)
		err := bi.Add(ctx, esutil.BulkIndexerItem{Action: "create", Body: strings.NewReader(doc),
			OnFailure: func(_ context.Context, _ esutil.BulkIndexerItem, res esutil.BulkIndexerResponseItem, err error) {
				failures.Add(1)
				firstErr.CompareAndSwap(nil, fmt.Errorf("%v %s", err, res.Error.Reason))
			}})
		if err != nil {
			t.Fatal(err)
		}
	}
	// An update is refused per item (logs are append-only): the indexer must read that item's error.
	bi.Add(ctx, esutil.BulkIndexerItem{Action: "update", DocumentID: "x", Body: strings.NewReader(`{"doc":{"message":"esmark changed"}}`),
		OnFailure: func(context.Context, esutil.BulkIndexerItem, esutil.BulkIndexerResponseItem, error) { refused.Add(1) }})
	if err := bi.Close(ctx); err != nil {
		t.Fatal(err)
	}
	st := bi.Stats()
	if st.NumCreated != n || failures.Load() != 0 || refused.Load() != 1 || st.NumFailed != 1 {
		t.Fatalf("bulk indexer stats %+v, %d failures (%v), %d refused updates", st, failures.Load(), firstErr.Load(), refused.Load())
	}
	evs := e.events("esmark")
	if len(evs) != n {
		t.Fatalf("%d events stored, want %d", len(evs), n)
	}
	if ev := evs[0]; ev.Level != "error" || ev.Service != "gateway" || ev.Fields["_index"] != "app-logs" {
		t.Errorf("bulk event = %+v", ev)
	}

	// Wrong credentials: the client sees a 401, nothing is stored.
	wrong, _ := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{e.url}, Username: "elastic", Password: "cs_wrong"})
	res, err := wrong.Bulk(strings.NewReader("{\"create\":{\"_index\":\"x\"}}\n{\"message\":\"intrudermark\"}\n"))
	if err != nil || res.StatusCode != 401 {
		t.Errorf("bulk with a wrong password: %v %v, want 401", res, err)
	} else {
		res.Body.Close()
	}
	if len(e.events("intrudermark")) != 0 {
		t.Error("the wrong-credential bulk was stored")
	}
}
