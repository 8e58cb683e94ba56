package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/cluster"
	"github.com/cloudsage/cloudsage/internal/config"
	"github.com/cloudsage/cloudsage/internal/ingest"
	"github.com/cloudsage/cloudsage/internal/mail"
	"github.com/cloudsage/cloudsage/internal/metrics"
	"github.com/cloudsage/cloudsage/internal/notify"
	"github.com/cloudsage/cloudsage/internal/shipper"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/store/postgres"
	"github.com/cloudsage/cloudsage/internal/store/sqlite"
	"github.com/cloudsage/cloudsage/internal/syslogd"
	"github.com/cloudsage/cloudsage/internal/web"
)

// loadConfig reads the server configuration (defaults, CLOUDSAGE_* env, then
// args parsed with fs, which may hold a command's own flags too) and validates it.
func loadConfig(fs *flag.FlagSet, args []string) (config.Config, error) {
	cfg, err := config.Load(fs, args, os.Getenv)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, err
		}
		return cfg, usageError{err.Error()}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, usageError{"invalid configuration:\n" + err.Error()}
	}
	return cfg, nil
}

// openStore opens PostgreSQL when the configuration names it, else SQLite
// in the data folder; both migrate on open.
func openStore(ctx context.Context, cfg config.Config) (store.Store, error) {
	if cfg.Postgres() {
		return postgres.Open(ctx, cfg.DatabaseURL.Reveal())
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	return sqlite.Open(ctx, filepath.Join(cfg.DataDir, "cloudsage.db"))
}

func newLogger(cfg config.Config, stdio Stdio) *slog.Logger {
	var lv slog.Level
	lv.UnmarshalText([]byte(cfg.LogLevel))
	return slog.New(slog.NewTextHandler(stdio.Err, &slog.HandlerOptions{Level: lv}))
}

// storeCloseWait is how long the exit waits for the store to close.
const storeCloseWait = 300 * time.Millisecond

// closeStore closes st but waits for it at most storeCloseWait. It runs
// once every request has finished and the background work has stopped, so
// every write is committed; what may remain is SQLite freeing its page
// caches page by page (seconds, once a million events have been read),
// which the process exit does at once. Leaving it is what a kill -9 after
// the last answer would do, which the durability tests show loses nothing.
func closeStore(st store.Store, log *slog.Logger) {
	done := make(chan error, 1)
	go func() { done <- st.Close() }()
	select {
	case err := <-done:
		if err != nil {
			log.Error("close store", "error", err)
		}
	case <-time.After(storeCloseWait):
		log.Info("store still closing at exit; every write was committed")
	}
}

// runServe starts the server and runs until ctx ends (SIGINT/SIGTERM), then
// shuts down gracefully: in-flight requests finish, then the store closes.
func runServe(ctx context.Context, args []string, stdio Stdio) error {
	cfg, err := loadConfig(newFlagSet("serve", "[flags]", stdio), args)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stdio)
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeStore(st, log)
	m := metrics.New()
	svc := ingest.NewService(st, ingest.NewEngine, time.Now, log)
	notifier := newNotifier(cfg, st, log)
	svc.SetNotifier(notifier)
	rdb, err := openRedis(ctx, cfg, st, log)
	if err != nil {
		return err
	}
	if rdb != nil {
		defer rdb.Close()
	}
	srv, err := web.New(web.Options{Config: cfg, Store: st, Ingest: svc, Metrics: m, Logger: log, Notify: notifier, Redis: rdb})
	if err != nil {
		return err
	}
	if cfg.Demo {
		if err := createDemo(ctx, st, svc, stdio); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute,
		WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	hs.RegisterOnShutdown(srv.CloseLive) // end live-update streams so Shutdown need not wait for them
	fmt.Fprintf(stdio.Out, "cloudsage %s serving on http://%s (store: %s)\n", cloudsage.Version, ln.Addr(), st.Dialect())
	log.Info("started", "config", cfg)

	sl, err := startSyslog(cfg, st, srv, log)
	if err != nil {
		ln.Close()
		return err
	}

	g, gctx := errgroup.WithContext(ctx)
	if cfg.DebugAddr != "" {
		dl, err := net.Listen("tcp", cfg.DebugAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("debug listen: %w", err)
		}
		log.Info("profiler listening", "addr", dl.Addr().String())
		ds := &http.Server{Handler: debugMux(), ReadHeaderTimeout: 10 * time.Second}
		g.Go(func() error { ds.Serve(dl); return nil })
		g.Go(func() error { <-gctx.Done(); return ds.Close() })
	}
	if sl != nil {
		g.Go(func() error { return sl.Serve(gctx) })
	}
	g.Go(func() error {
		if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error { srv.RunBackground(gctx); return nil })
	g.Go(func() error { notifier.Run(gctx); return nil })
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
		defer cancel()
		log.Info("shutting down")
		return hs.Shutdown(sctx)
	})
	err = g.Wait()
	log.Info("stopped")
	return err
}

// debugMux serves the Go profiler on its own listener (--debug-addr), never
// on the public one.
func debugMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// openRedis connects to the configured Redis (nil when none). Its keys are
// named after a secret kept in the database, the same for every replica of
// one deployment and different for any other sharing the Redis.
func openRedis(ctx context.Context, cfg config.Config, st store.Store, log *slog.Logger) (*cluster.Redis, error) {
	if cfg.RedisURL == "" {
		return nil, nil
	}
	ns, err := st.Secret(ctx, "cluster-namespace", 8)
	if err != nil {
		return nil, err
	}
	return cluster.Open(ctx, cfg.RedisURL.Reveal(), cluster.Namespace(ns), log)
}

// startSyslog opens the syslog listeners when configured (nil when off).
func startSyslog(cfg config.Config, st store.Store, srv *web.Server, log *slog.Logger) (*syslogd.Server, error) {
	if cfg.SyslogTCP == "" && cfg.SyslogUDP == "" {
		return nil, nil
	}
	sc := syslogd.Config{TCP: cfg.SyslogTCP, UDP: cfg.SyslogUDP}
	if cfg.SyslogTLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.SyslogTLSCert, cfg.SyslogTLSKey)
		if err != nil {
			return nil, fmt.Errorf("syslog TLS: %w", err)
		}
		sc.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	deliver := func(ctx context.Context, token string, res shipper.Result) error {
		var pr store.Project
		var err error
		switch {
		case token != "":
			pr, err = srv.ProjectForToken(ctx, token, "syslog")
		case cfg.SyslogProject > 0:
			pr, err = st.ProjectByID(ctx, cloudsage.ProjectID(cfg.SyslogProject))
			if store.IsNotFound(err) {
				err = cloudsage.Errorf(cloudsage.NotFound, "syslog-project %d does not exist", cfg.SyslogProject)
			}
		default:
			err = cloudsage.Errorf(cloudsage.Unauthorized, "syslog message without a [cloudsage token=\"...\"] structured-data token, and no --syslog-project")
		}
		if err != nil {
			return err
		}
		_, _, err = srv.IngestRecords(ctx, pr, "syslog", res, time.Now())
		return err
	}
	sl, err := syslogd.Listen(sc, deliver, log)
	if err != nil {
		return nil, fmt.Errorf("syslog listen: %w", err)
	}
	log.Info("syslog listening", "tcp", sl.TCPAddr(), "udp", sl.UDPAddr(), "tls", sc.TLS != nil)
	return sl, nil
}

// newNotifier builds the notification service: email through the
// configured SMTP server (if any), webhooks through the SSRF guard, links
// to the base URL (default http://<addr>).
func newNotifier(cfg config.Config, st store.Store, log *slog.Logger) *notify.Service {
	var mailer *mail.Sender
	if cfg.SMTPHost != "" {
		mailer = mail.New(cfg.Mail())
	}
	base := cfg.BaseURL
	if base == "" {
		base = "http://" + cfg.Addr
	}
	send := notify.NewSender(&notify.Guard{DenyPrivate: cfg.WebhookDenyPrivate}, mailer, time.Now)
	return notify.New(st, send, notify.Options{BaseURL: base, RetryBase: cfg.NotifyRetryBase, Logger: log})
}
