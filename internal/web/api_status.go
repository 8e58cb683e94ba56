package web

import (
	"context"
	"net/http"
	"time"

	"github.com/cloudsage/cloudsage/internal/cluster"
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
	rs := s.redisStatus()
	if rs.Status == "down" {
		state = "degraded"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"redis":       rs,
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

// redisStatus is Redis as this replica sees it; "off" without Redis.
func (s *Server) redisStatus() cluster.Status {
	if s.redis == nil {
		return cluster.Status{Status: "off", Mode: "local"}
	}
	return s.redis.Status()
}

// GET /readyz: the database and Redis, each. Only the database decides
// readiness (503 when it does not answer): a replica without Redis still
// serves, on its own limits, so a load balancer should keep sending to it.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	db := map[string]string{"status": "ok", "dialect": s.store.Dialect()}
	dbErr := s.store.Ping(ctx)
	if dbErr != nil {
		db["status"], db["error"] = "down", "not reachable"
		s.log.Error("readyz: database ping", "error", dbErr)
	}
	if s.redis != nil {
		_ = s.redis.Ping(ctx)
	}
	answer := map[string]any{"status": "ready", "database": db, "redis": s.redisStatus()}
	code := http.StatusOK
	if dbErr != nil {
		code, answer["status"], answer["error"] = http.StatusServiceUnavailable, "not ready", "database not reachable"
	}
	writeJSON(w, code, answer)
	return nil
}
