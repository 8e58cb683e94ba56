package web

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/cloudsage/cloudsage"
)

// statusOf is THE mapping from an application error kind to an HTTP status.
func statusOf(k cloudsage.ErrorKind) int {
	switch k {
	case cloudsage.Invalid:
		return http.StatusBadRequest
	case cloudsage.Unauthorized:
		return http.StatusUnauthorized
	case cloudsage.Forbidden:
		return http.StatusForbidden
	case cloudsage.NotFound:
		return http.StatusNotFound
	case cloudsage.Conflict:
		return http.StatusConflict
	case cloudsage.TooLarge:
		return http.StatusRequestEntityTooLarge
	case cloudsage.Unsupported:
		return http.StatusUnsupportedMediaType
	case cloudsage.RateLimited:
		return http.StatusTooManyRequests
	case cloudsage.PaymentRequired:
		return http.StatusPaymentRequired
	case cloudsage.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// errorBody is every error's JSON.
type errorBody struct {
	Error     string `json:"error"`
	Detail    any    `json:"detail,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// writeError answers err as JSON. Only internal errors are logged, with
// their detail; the user sees "internal error" and the request id.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	k, code := s.failure(r, "request failed", err)
	body := errorBody{Error: cloudsage.MessageOf(err), RequestID: requestID(r.Context())}
	var ce *cloudsage.Error
	if errors.As(err, &ce) && k != cloudsage.Internal {
		body.Detail = ce.Detail
	}
	if w.Header().Get("Retry-After") == "" {
		retryAfter(w, err)
	}
	writeJSON(w, code, body)
}

// failure is err's kind and HTTP status; a server error (5xx) is logged as
// msg with its detail, and an internal one counted in the store errors.
func (s *Server) failure(r *http.Request, msg string, err error) (cloudsage.ErrorKind, int) {
	k := cloudsage.KindOf(err)
	code := statusOf(k)
	if code >= 500 {
		s.log.Error(msg, "request_id", requestID(r.Context()), "method", r.Method, "path", r.URL.Path, "error", err)
		if k == cloudsage.Internal {
			s.metrics.StoreErrors.WithLabelValues(routeOf(r)).Inc()
		}
	}
	return k, code
}

// writeJSON answers v as JSON with status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// notFound answers unknown /api/ paths as JSON.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) error {
	return cloudsage.Errorf(cloudsage.NotFound, "no such API route: %s %s", r.Method, r.URL.Path)
}
