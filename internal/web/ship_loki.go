package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage/internal/shipper"
	"github.com/cloudsage/cloudsage/internal/shipper/loki"
)

// POST /loki/api/v1/push: Loki push, JSON (optionally gzip) or protobuf
// (snappy). Answers 204 like Loki once the batch is durable; errors are
// plain text, as Loki's clients log them.
func (s *Server) lokiPush(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	const proto = "loki"
	fail := func(code int, msg string) {
		s.metrics.IngestRequests.WithLabelValues(proto, "rejected").Inc()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(code)
		w.Write([]byte(msg + "\n"))
	}
	pr, err := s.shipProject(r)
	if err != nil {
		fail(s.shipStatus(r, err))
		return
	}
	mt := mediaType(r)
	var decode func([]byte) (shipper.Result, error)
	switch mt {
	case "application/json":
		decode = loki.DecodeJSON
	case "application/x-protobuf", "application/protobuf", "":
		decode = loki.DecodeProtobuf // Promtail sends protobuf, sometimes without a Content-Type
	default:
		fail(http.StatusUnsupportedMediaType, "unsupported Content-Type "+mt+": Loki push takes application/x-protobuf (snappy) or application/json")
		return
	}
	data, _, err := s.shipBody(w, r)
	if err != nil {
		fail(s.shipStatus(r, err))
		return
	}
	res, err := decode(data)
	if err != nil {
		fail(http.StatusBadRequest, err.Error())
		return
	}
	rejected, reasons, err := s.IngestRecords(r.Context(), pr, proto, res, start)
	if err != nil {
		retryAfter(w, err)
		fail(s.shipStatus(r, err))
		return
	}
	if rejected > 0 { // as Loki does: the valid entries are stored, the invalid ones named in a 400
		fail(http.StatusBadRequest, strconv.Itoa(rejected)+" entries rejected: "+strings.Join(reasons, "; "))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// GET /loki/api/v1/status/buildinfo and /ready: the probes Grafana Alloy
// and Promtail users point at a Loki endpoint.
func (s *Server) lokiReady(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ready\n"))
}
