package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/cloudsage/cloudsage"
)

type ctxKey int

const reqInfoKey ctxKey = iota

// reqInfo is per-request state the outer middleware reads after the handler.
type reqInfo struct {
	id     string
	route  string // the ServeMux pattern that matched
	ingest bool   // an ingest request: it does not flush the read cache
}

// markIngest notes that r is an ingest request (see flushAfterWrites).
func markIngest(r *http.Request) {
	if ri, ok := r.Context().Value(reqInfoKey).(*reqInfo); ok {
		ri.ingest = true
	}
}

func requestID(ctx context.Context) string {
	if ri, ok := ctx.Value(reqInfoKey).(*reqInfo); ok {
		return ri.id
	}
	return ""
}

func routeOf(r *http.Request) string {
	if ri, ok := r.Context().Value(reqInfoKey).(*reqInfo); ok && ri.route != "" {
		return ri.route
	}
	if r.Pattern != "" {
		return r.Pattern
	}
	return "unmatched"
}

// statusWriter records the status code written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe gives each request an id, recovers panics, logs it and records
// its latency by route.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		b := make([]byte, 8)
		rand.Read(b)
		ri := &reqInfo{id: hex.EncodeToString(b)}
		r = r.WithContext(context.WithValue(r.Context(), reqInfoKey, ri))
		sw := &statusWriter{ResponseWriter: w}
		sw.Header().Set("X-Request-Id", ri.id)
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "request_id", ri.id, "path", r.URL.Path, "panic", fmt.Sprint(v))
				if sw.code == 0 {
					s.writeError(sw, r, fmt.Errorf("panic: %v", v))
				}
			}
			code := sw.code
			if code == 0 {
				code = http.StatusOK
			}
			d := time.Since(start)
			s.metrics.HTTPDuration.WithLabelValues(routeOf(r), r.Method, strconv.Itoa(code)).Observe(d.Seconds())
			s.log.Debug("request", "request_id", ri.id, "method", r.Method, "path", r.URL.Path, "status", code, "duration", d)
		}()
		next.ServeHTTP(sw, r)
	})
}

// secureHeaders sets headers every answer carries.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

// cors answers the configured origins' cross-site calls; with none
// configured it does nothing (CORS off).
func (s *Server) cors(next http.Handler) http.Handler {
	if len(s.cfg.CORSOrigins) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && slices.Contains(s.cfg.CORSOrigins, origin) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Add("Vary", "Origin")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Content-Encoding")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// crossOrigin refuses browsers' cross-site state-changing requests (403),
// letting same-origin browsers and non-browser clients (no Origin or
// Sec-Fetch-Site header) through: net/http's CrossOriginProtection.
func (s *Server) crossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	for _, o := range s.cfg.CORSOrigins {
		if err := cop.AddTrustedOrigin(o); err != nil {
			s.log.Warn("cors origin not trusted", "origin", o, "error", err)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, cloudsage.Errorf(cloudsage.Forbidden, "cross-site request refused"))
	}))
	return cop.Handler(next)
}

// apiFunc is an API handler: it parses, calls and writes, or returns an error.
type apiFunc func(w http.ResponseWriter, r *http.Request) error

// api adapts an apiFunc: it records the route and answers a returned error as JSON.
func (s *Server) api(f apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ri, ok := r.Context().Value(reqInfoKey).(*reqInfo); ok {
			ri.route = r.Pattern
		}
		if err := f(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}
