// Package web is CloudSage's HTTP server: the JSON API of PRD section 11.1
// (accounts, projects, tokens, ingestion, logs, forecasts, actions,
// analytics, status), health and metrics endpoints, and — from the
// dashboard's page_*.go files — the HTML pages. Every route is listed in
// routes.go; API handlers live in api_*.go and return errors that errors.go
// maps to a status in one place.
package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/billing"
	"github.com/cloudsage/cloudsage/internal/cluster"
	"github.com/cloudsage/cloudsage/internal/config"
	"github.com/cloudsage/cloudsage/internal/ingest"
	"github.com/cloudsage/cloudsage/internal/mail"
	"github.com/cloudsage/cloudsage/internal/metrics"
	"github.com/cloudsage/cloudsage/internal/narrate"
	"github.com/cloudsage/cloudsage/internal/notify"
	"github.com/cloudsage/cloudsage/internal/pdfreport"
	"github.com/cloudsage/cloudsage/internal/sso"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/web/ui"
)

// Options are what a Server is built from.
type Options struct {
	Config   config.Config
	Store    store.Store
	Ingest   *ingest.Service
	Metrics  *metrics.Metrics // nil: a fresh registry
	Limiter  Limiter          // nil: an in-process token bucket at Config.RateLimit a minute
	Logger   *slog.Logger     // nil: discard
	Now      func() time.Time // nil: time.Now
	Password auth.Params      // zero: auth.DefaultParams
	Notify   *notify.Service  // nil: notifications off (the API answers 503)
	Mail     *mail.Sender     // account mail (magic links); nil: from Config's SMTP settings, if any
	// Redis, when set, shares the ingest limits and live updates with the
	// other replicas (package cluster); nil: this replica alone.
	Redis *cluster.Redis
	// StreamHeartbeat is how often an idle API stream sends a comment (0: 15 s).
	StreamHeartbeat time.Duration
}

// Server serves the API. Create it with New.
type Server struct {
	calls       forecastCalls // what kept forecasts said, for their accuracy
	docs        forecastDocs  // stored reports decoded for GET /api/forecast
	reads       *readCache    // sessions, users, memberships, action statuses (readcache.go)
	cfg         config.Config
	store       store.Store
	ingest      *ingest.Service
	metrics     *metrics.Metrics
	limiter     Limiter
	shipBudget  ShipBudget  // lines and bytes a second per project, for the shipper endpoints
	gate        *ingestGate // batches stored at once on this replica
	redis       *cluster.Redis
	hub         *cluster.Hub // live updates across replicas (nil without Redis)
	heartbeat   time.Duration
	log         *slog.Logger
	now         func() time.Time
	password    auth.Params
	notify      *notify.Service
	pdf         pdfreport.Renderer // report.pdf
	narrator    *narrate.Narrator  // the forecast's narrative (a model when CLOUDSAGE_LLM_URL is set)
	billing     *billing.Billing   // nil: billing off, no plan limits
	throttle    *auth.Throttle
	mail        *mail.Sender   // nil: no SMTP server, no magic links
	linkByEmail *auth.Throttle // magic-link requests per address
	linkByIP    *auth.Throttle // and per caller
	sso         []*sso.Provider
	background  sync.WaitGroup // mail sent after the answer
	dummy       string         // a password hash to check when the user does not exist, so timing reveals nothing
	started     time.Time

	lastIngest atomic.Int64 // Unix nanoseconds of the last ingest on this replica

	ingestSeenMu sync.Mutex
	ingestSeen   map[string]time.Time // project/protocol -> its last ingest in the activity (recordIngest)
	handler      http.Handler
	pages        pageState // the dashboard: templates, static files, live updates (page_*.go)
}

// New returns a Server.
func New(o Options) (*Server, error) {
	if o.Store == nil || o.Ingest == nil {
		return nil, errors.New("web: Store and Ingest are required")
	}
	s := &Server{cfg: o.Config, store: o.Store, ingest: o.Ingest, metrics: o.Metrics, limiter: o.Limiter,
		log: o.Logger, now: o.Now, password: o.Password, notify: o.Notify, pdf: pdfreport.New(),
		redis: o.Redis, heartbeat: o.StreamHeartbeat, gate: newIngestGate(o.Config.IngestConcurrency, o.Config.IngestQueue)}
	s.narrator = narrate.New(narrate.Config{URL: o.Config.LLMURL, Model: o.Config.LLMModel, APIKey: o.Config.LLMAPIKey.Reveal(),
		Timeout: o.Config.LLMTimeout}, o.Logger)
	if s.metrics == nil {
		s.metrics = metrics.New()
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.password == (auth.Params{}) {
		s.password = auth.DefaultParams
	}
	if s.heartbeat <= 0 {
		s.heartbeat = streamHeartbeat
	}
	if s.limiter == nil {
		local := NewTokenBucket(max(s.cfg.RateLimit, 1), time.Minute, s.now)
		s.limiter = local
		if s.redis != nil {
			s.limiter = cluster.NewLimiter(s.redis, max(s.cfg.RateLimit, 1), time.Minute, local)
		}
	}
	if s.cfg.SessionTTL <= 0 {
		s.cfg.SessionTTL = config.Default().SessionTTL
	}
	if s.cfg.MaxBodyBytes <= 0 {
		s.cfg.MaxBodyBytes = config.Default().MaxBodyBytes
	}
	if s.cfg.MaxLineBytes <= 0 {
		s.cfg.MaxLineBytes = config.Default().MaxLineBytes
	}
	budget := NewBudget(int64(s.cfg.ShipLinesPerSecond), s.cfg.ShipBytesPerSecond, shipBurst, s.now)
	s.shipBudget = budget
	if s.redis != nil {
		s.shipBudget = cluster.NewBudget(s.redis, int64(s.cfg.ShipLinesPerSecond), s.cfg.ShipBytesPerSecond, shipBurst, budget)
	}
	s.throttle = auth.NewThrottle(5, 15*time.Minute, 5*time.Minute)
	s.linkByEmail = auth.NewThrottle(3, 15*time.Minute, 15*time.Minute)
	s.linkByIP = auth.NewThrottle(20, 15*time.Minute, 15*time.Minute)
	s.mail = o.Mail
	if s.mail == nil && s.cfg.Mail().Enabled() {
		s.mail = mail.New(s.cfg.Mail())
	}
	s.sso = s.newSSO()
	var err error
	if s.dummy, err = auth.HashPassword("not a real password", s.password); err != nil {
		return nil, err
	}
	s.billing = billing.New(billing.Config{SecretKey: s.cfg.StripeSecretKey.Reveal(), WebhookSecret: s.cfg.StripeWebhookSecret.Reveal(),
		PricePro: s.cfg.StripePricePro, APIURL: s.cfg.StripeAPIURL, BaseURL: s.publicURL()})
	s.started = s.now()
	switch r := s.redis; {
	case s.store.Dialect() == "sqlite": // this process is the only writer
		s.reads = newReadCache(func() (bool, time.Time) { return true, time.Time{} })
	case r != nil: // other replicas' writes arrive as flushes through the hub
		s.reads = newReadCache(func() (bool, time.Time) { st := r.Status(); return st.Status == "ok", st.Since })
	default: // PostgreSQL without Redis: other replicas' writes go unseen
		s.reads = newReadCache(nil)
	}
	s.handler = s.routes()
	if s.redis != nil {
		broker, ok := s.pages.hub.(*ui.Broker)
		if !ok {
			return nil, errors.New("web: live updates need the in-process broker under the Redis fan-out")
		}
		s.hub = cluster.NewHub(s.redis, broker, s.remoteEvent, s.log)
		s.hub.OnFlush(s.reads.flush)
		s.pages.hub = s.hub
	}
	switch r := s.redis; {
	case s.store.Dialect() == "sqlite": // this process is the only writer
		s.ingest.CacheReports(func() (bool, time.Time) { return true, time.Time{} })
	case r != nil: // other replicas' batches arrive through the hub (remoteEvent)
		s.ingest.CacheReports(func() (bool, time.Time) { st := r.Status(); return st.Status == "ok", st.Since })
	}
	return s, nil
}

// Wait waits for the work started after answers (mail) to finish.
func (s *Server) Wait() { s.background.Wait() }

// remoteEvent is a live event another replica published: a stored batch
// there makes what this replica holds of the project (engine, cached
// forecasts) stale.
func (s *Server) remoteEvent(e ui.Event) {
	if e.Type == ui.EventBatch {
		s.ingest.Invalidate(e.Project)
	}
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// RunBackground runs the periodic work — deleting events past each
// project's retention, expired sessions; with Redis, its health probe and
// the live-update fan-out — until ctx ends.
func (s *Server) RunBackground(ctx context.Context) {
	if s.redis != nil {
		var wg sync.WaitGroup
		defer wg.Wait()
		wg.Add(2)
		go func() { defer wg.Done(); s.redis.Run(ctx) }()
		go func() { defer wg.Done(); s.hub.Run(ctx) }()
	}
	every := s.cfg.Retention
	if every <= 0 {
		every = time.Hour
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s.Sweep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sweepLock names the cluster-wide lock of Sweep.
const sweepLock = "retention"

// exclusive is a store that can run a job on one replica at a time
// (PostgreSQL: an advisory lock; a lock held by a replica that dies is
// released with its connection).
type exclusive interface {
	Exclusive(ctx context.Context, name string, fn func(context.Context) error) (ran bool, err error)
}

// retirer is a store that enforces every project's retention at once
// (sqlstore: on PostgreSQL by dropping whole day partitions).
type retirer interface {
	RetireEvents(ctx context.Context, cuts map[cloudsage.ProjectID]time.Time) (map[cloudsage.ProjectID]int64, error)
}

// Sweep enforces retention once: each project's events older than its
// retention_days are deleted; expired sessions too. Across replicas one
// runs it at a time; the others skip their turn.
func (s *Server) Sweep(ctx context.Context) {
	ex, ok := s.store.(exclusive)
	if !ok {
		s.sweep(ctx)
		return
	}
	ran, err := ex.Exclusive(ctx, sweepLock, func(ctx context.Context) error { s.sweep(ctx); return nil })
	if err != nil {
		s.log.Error("retention: lock", "error", err)
	} else if !ran {
		s.log.Debug("retention: another replica is sweeping; skipped")
	}
}

func (s *Server) sweep(ctx context.Context) {
	now := s.now()
	if _, err := s.store.DeleteExpiredLoginTokens(ctx, now); err != nil {
		s.log.Error("delete expired login tokens", "error", err)
	}
	if n, err := s.store.DeleteExpiredSessions(ctx, now); err != nil {
		s.log.Error("delete expired sessions", "error", err)
	} else if n > 0 {
		s.log.Info("expired sessions deleted", "sessions", n)
	}
	ps, err := s.store.AllProjects(ctx)
	if err != nil {
		s.log.Error("retention: list projects", "error", err)
		return
	}
	if r, ok := s.store.(retirer); ok {
		cuts := make(map[cloudsage.ProjectID]time.Time, len(ps))
		for _, p := range ps {
			cuts[p.ID] = now.Add(-time.Duration(p.Settings.RetentionDays) * 24 * time.Hour)
		}
		counts, err := r.RetireEvents(ctx, cuts)
		if err != nil {
			s.log.Error("retention", "error", err)
		}
		for _, p := range ps {
			if n := counts[p.ID]; n > 0 {
				s.log.Info("retention: old events deleted", "project_id", p.ID, "events", n)
			}
		}
		return
	}
	for _, p := range ps {
		cut := now.Add(-time.Duration(p.Settings.RetentionDays) * 24 * time.Hour)
		n, err := s.store.DeleteEventsBefore(ctx, p.ID, cut)
		if err != nil {
			s.log.Error("retention", "project_id", p.ID, "error", err)
			continue
		}
		if n > 0 {
			s.log.Info("retention: old events deleted", "project_id", p.ID, "events", n)
		}
	}
}
