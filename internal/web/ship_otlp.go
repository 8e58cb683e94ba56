package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage/internal/shipper/otlp"
)

// POST /v1/logs: OTLP/HTTP logs, protobuf or JSON, optionally compressed.
// Answers the ExportLogsServiceResponse in the request's encoding, with
// partial_success counting rejected records; errors carry a
// google.rpc.Status, as OTLP exporters expect.
func (s *Server) otlpLogs(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	const proto = "otlp"
	enc := otlp.EncodingOf(mediaType(r))
	fail := func(code int, grpcCode int, msg string) {
		e := enc
		if e == 0 {
			e = otlp.JSON
		}
		s.metrics.IngestRequests.WithLabelValues(proto, "rejected").Inc()
		w.Header().Set("Content-Type", e.ContentType())
		w.WriteHeader(code)
		w.Write(otlp.Status(e, grpcCode, msg))
	}
	pr, err := s.shipProject(r)
	if err != nil {
		code, msg := s.shipStatus(r, err)
		fail(code, grpcCodeOf(code), msg)
		return
	}
	if enc == 0 {
		fail(http.StatusUnsupportedMediaType, 3, "unsupported Content-Type "+r.Header.Get("Content-Type")+": OTLP/HTTP takes application/x-protobuf or application/json")
		return
	}
	data, _, err := s.shipBody(w, r)
	if err != nil {
		code, msg := s.shipStatus(r, err)
		fail(code, grpcCodeOf(code), msg)
		return
	}
	res, err := otlp.Decode(data, enc)
	if err != nil {
		fail(http.StatusBadRequest, 3, err.Error())
		return
	}
	rejected, reasons, err := s.IngestRecords(r.Context(), pr, proto, res, start)
	if err != nil {
		retryAfter(w, err)
		code, msg := s.shipStatus(r, err)
		fail(code, grpcCodeOf(code), msg)
		return
	}
	w.Header().Set("Content-Type", enc.ContentType())
	w.WriteHeader(http.StatusOK)
	w.Write(otlp.Response(enc, rejected, strings.Join(reasons, "; ")))
}

// grpcCodeOf is the gRPC status code matching an HTTP status.
func grpcCodeOf(httpCode int) int {
	switch httpCode {
	case http.StatusBadRequest, http.StatusUnsupportedMediaType:
		return 3 // InvalidArgument
	case http.StatusUnauthorized:
		return 16 // Unauthenticated
	case http.StatusForbidden:
		return 7 // PermissionDenied
	case http.StatusNotFound:
		return 5 // NotFound
	case http.StatusRequestEntityTooLarge:
		return 11 // OutOfRange
	case http.StatusTooManyRequests:
		return 8 // ResourceExhausted
	case http.StatusServiceUnavailable:
		return 14 // Unavailable
	}
	return 13 // Internal
}

// mediaType is r's Content-Type without parameters, lower-cased.
func mediaType(r *http.Request) string {
	mt, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	return strings.ToLower(strings.TrimSpace(mt))
}
