// Package metrics holds CloudSage's Prometheus registry and collectors:
// HTTP request latency, ingest requests/lines/bytes/rejections/latency per
// protocol, and store errors. Names follow cloudsage_<area>_<what>_<unit>.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the server's collectors.
type Metrics struct {
	Registry *prometheus.Registry

	HTTPDuration   *prometheus.HistogramVec // route, method, code
	IngestRequests *prometheus.CounterVec   // protocol, outcome
	IngestLines    *prometheus.CounterVec   // protocol
	IngestBytes    *prometheus.CounterVec   // protocol
	IngestEvents   *prometheus.CounterVec   // protocol
	IngestRejected *prometheus.CounterVec   // protocol
	IngestDuration *prometheus.HistogramVec // protocol
	StoreErrors    *prometheus.CounterVec   // op
	RateLimited    prometheus.Counter
}

// New returns collectors registered on a fresh registry, with the Go and
// process collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "cloudsage_http_request_duration_seconds", Help: "HTTP request latency by route pattern, method and status code.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method", "code"}),
		IngestRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cloudsage_ingest_requests_total", Help: "Ingest requests by protocol and outcome (ok, error, rejected).",
		}, []string{"protocol", "outcome"}),
		IngestLines: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cloudsage_ingest_lines_total", Help: "Log lines accepted.",
		}, []string{"protocol"}),
		IngestBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cloudsage_ingest_bytes_total", Help: "Decoded bytes received.",
		}, []string{"protocol"}),
		IngestEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cloudsage_ingest_events_total", Help: "Events stored (multi-line records count once).",
		}, []string{"protocol"}),
		IngestRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cloudsage_ingest_rejected_lines_total", Help: "Lines refused (too long, malformed items).",
		}, []string{"protocol"}),
		IngestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "cloudsage_ingest_duration_seconds", Help: "Time from request to durable commit.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"protocol"}),
		StoreErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cloudsage_store_errors_total", Help: "Store operations that failed with an internal error.",
		}, []string{"op"}),
		RateLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cloudsage_ingest_rate_limited_total", Help: "Ingest requests refused by the rate limit.",
		}),
	}
	reg.MustRegister(m.HTTPDuration, m.IngestRequests, m.IngestLines, m.IngestBytes, m.IngestEvents,
		m.IngestRejected, m.IngestDuration, m.StoreErrors, m.RateLimited,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}
