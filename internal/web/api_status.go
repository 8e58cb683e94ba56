package web

import (
	"context"
	"net/http"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/version"
)

// GET /api/status (and /api/vultr/status, the predecessor's path): engine,
// store and version.
func (s *Server) status(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	storeOK, storeErr := true, ""
	if err := s.store.Ping(ctx); err != nil {
		storeOK, storeErr = false, "unreachable"
		s.log.Error("status: store ping", "error", err)
	}
	var last *time.Time
	if n := s.lastIngest.Load(); n != 0 {
		t := time.Unix(0, n).UTC()
		last = &t
	}
	state := "ok"
	if !storeOK {
		state = "degraded"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"status":      state,
		"version":     version.String(),
		"uptime_s":    int(s.now().Sub(s.started).Seconds()),
		"engine":      map[string]any{"status": "ok", "mode": "in-process"},
		"store":       map[string]any{"status": map[bool]string{true: "ok", false: "down"}[storeOK], "dialect": s.store.Dialect(), "error": storeErr},
		"queue":       map[string]any{"status": "ok", "mode": "synchronous"},
		"last_ingest": last,
	})
	return nil
}

// GET /healthz: the process answers.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// GET /readyz: the store answers too.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		return &cloudsage.Error{Kind: cloudsage.Unavailable, Message: "store not reachable", Err: err}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}
