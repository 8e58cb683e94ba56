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

	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/billing"
	"github.com/cloudsage/cloudsage/internal/config"
	"github.com/cloudsage/cloudsage/internal/ingest"
	"github.com/cloudsage/cloudsage/internal/mail"
	"github.com/cloudsage/cloudsage/internal/metrics"
	"github.com/cloudsage/cloudsage/internal/narrate"
	"github.com/cloudsage/cloudsage/internal/notify"
	"github.com/cloudsage/cloudsage/internal/pdfreport"
	"github.com/cloudsage/cloudsage/internal/sso"
	"github.com/cloudsage/cloudsage/internal/store"
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
}

// Server serves the API. Create it with New.
type Server struct {
	cfg         config.Config
	store       store.Store
	ingest      *ingest.Service
	metrics     *metrics.Metrics
	limiter     Limiter
	shipBudget  *Budget // lines and bytes a second per project, for the shipper endpoints
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
		log: o.Logger, now: o.Now, password: o.Password, notify: o.Notify, pdf: pdfreport.New()}
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
	if s.limiter == nil {
		s.limiter = NewTokenBucket(max(s.cfg.RateLimit, 1), time.Minute, s.now)
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
	s.shipBudget = NewBudget(int64(s.cfg.ShipLinesPerSecond), s.cfg.ShipBytesPerSecond, 5*time.Second, s.now)
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
	s.billing = billing.New(billing.Config{SecretKey: s.cfg.StripeSecretKey.Reveal(), WebhookSecret: s.cfg.StripeWebhookSecret.Reveal(),
		PricePro: s.cfg.StripePricePro, APIURL: s.cfg.StripeAPIURL, BaseURL: s.publicURL()})
	s.started = s.now()
	s.handler = s.routes()
	return s, nil
}

// Wait waits for the work started after answers (mail) to finish.
func (s *Server) Wait() { s.background.Wait() }

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// RunBackground runs the periodic work — deleting events past each
// project's retention, expired sessions — until ctx ends.
func (s *Server) RunBackground(ctx context.Context) {
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

// Sweep enforces retention once: each project's events older than its
// retention_days are deleted; expired sessions too.
func (s *Server) Sweep(ctx context.Context) {
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
