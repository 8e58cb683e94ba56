package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandlerExposesCollectors(t *testing.T) {
	m := New()
	m.IngestLines.WithLabelValues("http").Add(42)
	m.HTTPDuration.WithLabelValues("GET /healthz", "GET", "200").Observe(0.001)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`cloudsage_ingest_lines_total{protocol="http"} 42`,
		`cloudsage_http_request_duration_seconds_count{code="200",method="GET",route="GET /healthz"} 1`,
		"go_goroutines",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
