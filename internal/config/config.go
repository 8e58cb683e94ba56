// Package config is the server's configuration: defaults, then CLOUDSAGE_*
// environment variables, then flags; Validate reports every problem at
// once. Nothing reads configuration globally: cli builds one Config and
// passes it to constructors.
package config

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage/internal/mail"
)

// Secret is a string that never shows itself in logs or output.
type Secret string

// String redacts the secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// LogValue redacts the secret in slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Reveal returns the secret's value, for the one place that needs it.
func (s Secret) Reveal() string { return string(s) }

// Config is everything `cloudsage serve` can be told.
type Config struct {
	Addr         string        // listen address
	DataDir      string        // SQLite file and other local state
	DatabaseURL  Secret        // postgres://... selects PostgreSQL; empty means SQLite in DataDir
	RedisURL     Secret        // redis:// or rediss://: limits and live updates shared by replicas; empty: this process alone
	LogLevel     string        // debug, info, warn, error
	RateLimit    int           // ingest requests per minute per project
	MaxBodyBytes int64         // largest ingest body, after decompression
	MaxLineBytes int           // longest accepted log line
	SessionTTL   time.Duration // how long a login lasts
	Retention    time.Duration // how often old events are deleted
	CORSOrigins  []string      // origins allowed to call the API cross-site; empty: CORS off
	TrustProxy   bool          // trust X-Forwarded-Proto/For from a reverse proxy
	Demo         bool          // create a demo user and project with sample logs
	DebugAddr    string        // listen address of net/http/pprof (profiling a running replica); empty: off
	// Batches a replica stores at once (0: four per core, at most 8) and how many may
	// wait for a turn (0: 64 per slot) before shippers get 429.
	IngestConcurrency int
	IngestQueue       int

	// Log shippers (OTLP, Loki push, Elasticsearch _bulk, syslog).
	ShipLinesPerSecond int    // shipper budget per project: lines a second (0: unlimited)
	ShipBytesPerSecond int64  // and bytes a second (0: unlimited)
	SyslogTCP          string // syslog TCP listen address; empty: off
	SyslogUDP          string // syslog UDP listen address; empty: off
	SyslogProject      int64  // project of syslog messages without a token; 0: a token is required
	SyslogTLSCert      string // PEM certificate file: the TCP listener speaks TLS (RFC 5425)
	SyslogTLSKey       string // its PEM key file
	// Notifications (issue 9).
	BaseURL            string // the dashboard's public URL, for links in notifications; empty: http://<addr>
	WebhookDenyPrivate bool   // refuse webhook/Slack/Discord targets on loopback, private or link-local addresses
	SMTPHost           string // SMTP server for email notifications; empty: email off
	SMTPPort           int    // 0: 587 (starttls), 465 (tls), 25 (none)
	SMTPUsername       string
	SMTPPassword       Secret
	SMTPFrom           string        // the sender address
	SMTPTLS            string        // starttls, tls or none
	NotifyRetryBase    time.Duration // first retry delay of a failed notification (doubles per attempt)
	// Optional narrative from a language model (issue 11): an
	// OpenAI-compatible chat-completions endpoint; empty: off.
	LLMURL     string
	LLMModel   string
	LLMAPIKey  Secret
	LLMTimeout time.Duration
	// Sign-in (issue 13; signin.go).
	Require2FA bool           // every account must set up a TOTP second factor before using the dashboard or API
	OIDC       []OIDCProvider // single sign-on providers
	// The optional paid plan (issue 13): off unless StripeSecretKey is set.
	StripeSecretKey     Secret
	StripeWebhookSecret Secret // the webhook endpoint's signing secret (whsec_...)
	StripePricePro      string // the Stripe price id of the Pro plan
	StripeAPIURL        string // another Stripe API base URL (stripe-mock); empty: Stripe's
}

// Default returns the defaults.
func Default() Config {
	return Config{
		Addr:         "127.0.0.1:8080",
		DataDir:      "./cloudsage-data",
		LogLevel:     "info",
		RateLimit:    100,
		MaxBodyBytes: 64 << 20,
		MaxLineBytes: 64 << 10,
		SessionTTL:   30 * 24 * time.Hour,
		Retention:    time.Hour,

		ShipLinesPerSecond: 50000,
		ShipBytesPerSecond: 64 << 20,
		SMTPTLS:            "starttls",
		NotifyRetryBase:    30 * time.Second,
		LLMModel:           "llama3.2",
		LLMTimeout:         10 * time.Second,
	}
}

// Load returns the configuration from defaults, then env (CLOUDSAGE_*,
// read through getenv), then args parsed with fs. It does not validate.
func Load(fs *flag.FlagSet, args []string, getenv func(string) string) (Config, error) {
	c := Default()
	if err := c.fromEnv(getenv); err != nil {
		return c, err
	}
	c.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	return c, nil
}

func (c *Config) fromEnv(getenv func(string) string) error {
	var errs []error
	str := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	num := func(name string, set func(int64)) {
		if v := getenv(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s=%q is not a number", name, v))
				return
			}
			set(n)
		}
	}
	dur := func(name string, dst *time.Duration) {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s=%q is not a duration", name, v))
				return
			}
			*dst = d
		}
	}
	boolean := func(name string, dst *bool) {
		if v := getenv(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s=%q is not true or false", name, v))
				return
			}
			*dst = b
		}
	}
	str("CLOUDSAGE_ADDR", &c.Addr)
	str("CLOUDSAGE_DATA_DIR", &c.DataDir)
	if v := getenv("CLOUDSAGE_DATABASE_URL"); v != "" {
		c.DatabaseURL = Secret(v)
	}
	if v := getenv("CLOUDSAGE_REDIS_URL"); v != "" {
		c.RedisURL = Secret(v)
	}
	str("CLOUDSAGE_LOG_LEVEL", &c.LogLevel)
	num("CLOUDSAGE_RATE_LIMIT", func(n int64) { c.RateLimit = int(n) })
	num("CLOUDSAGE_MAX_BODY_BYTES", func(n int64) { c.MaxBodyBytes = n })
	num("CLOUDSAGE_MAX_LINE_BYTES", func(n int64) { c.MaxLineBytes = int(n) })
	dur("CLOUDSAGE_SESSION_TTL", &c.SessionTTL)
	dur("CLOUDSAGE_RETENTION_INTERVAL", &c.Retention)
	if v := getenv("CLOUDSAGE_CORS_ORIGINS"); v != "" {
		c.CORSOrigins = splitList(v)
	}
	boolean("CLOUDSAGE_TRUST_PROXY", &c.TrustProxy)
	boolean("CLOUDSAGE_DEMO", &c.Demo)
	str("CLOUDSAGE_DEBUG_ADDR", &c.DebugAddr)
	num("CLOUDSAGE_INGEST_CONCURRENCY", func(n int64) { c.IngestConcurrency = int(n) })
	num("CLOUDSAGE_INGEST_QUEUE", func(n int64) { c.IngestQueue = int(n) })
	num("CLOUDSAGE_SHIP_LINES_PER_SECOND", func(n int64) { c.ShipLinesPerSecond = int(n) })
	num("CLOUDSAGE_SHIP_BYTES_PER_SECOND", func(n int64) { c.ShipBytesPerSecond = n })
	str("CLOUDSAGE_SYSLOG_TCP", &c.SyslogTCP)
	str("CLOUDSAGE_SYSLOG_UDP", &c.SyslogUDP)
	num("CLOUDSAGE_SYSLOG_PROJECT", func(n int64) { c.SyslogProject = n })
	str("CLOUDSAGE_SYSLOG_TLS_CERT", &c.SyslogTLSCert)
	str("CLOUDSAGE_SYSLOG_TLS_KEY", &c.SyslogTLSKey)
	str("CLOUDSAGE_BASE_URL", &c.BaseURL)
	boolean("CLOUDSAGE_WEBHOOK_DENY_PRIVATE", &c.WebhookDenyPrivate)
	str("CLOUDSAGE_SMTP_HOST", &c.SMTPHost)
	num("CLOUDSAGE_SMTP_PORT", func(n int64) { c.SMTPPort = int(n) })
	str("CLOUDSAGE_SMTP_USERNAME", &c.SMTPUsername)
	if v := getenv("CLOUDSAGE_SMTP_PASSWORD"); v != "" {
		c.SMTPPassword = Secret(v)
	}
	str("CLOUDSAGE_SMTP_FROM", &c.SMTPFrom)
	str("CLOUDSAGE_SMTP_TLS", &c.SMTPTLS)
	dur("CLOUDSAGE_NOTIFY_RETRY_BASE", &c.NotifyRetryBase)
	str("CLOUDSAGE_LLM_URL", &c.LLMURL)
	str("CLOUDSAGE_LLM_MODEL", &c.LLMModel)
	if v := getenv("CLOUDSAGE_LLM_API_KEY"); v != "" {
		c.LLMAPIKey = Secret(v)
	}
	dur("CLOUDSAGE_LLM_TIMEOUT", &c.LLMTimeout)
	if v := getenv("CLOUDSAGE_STRIPE_SECRET_KEY"); v != "" {
		c.StripeSecretKey = Secret(v)
	}
	if v := getenv("CLOUDSAGE_STRIPE_WEBHOOK_SECRET"); v != "" {
		c.StripeWebhookSecret = Secret(v)
	}
	str("CLOUDSAGE_STRIPE_PRICE_PRO", &c.StripePricePro)
	str("CLOUDSAGE_STRIPE_API_URL", &c.StripeAPIURL)
	boolean("CLOUDSAGE_REQUIRE_2FA", &c.Require2FA)
	errs = append(errs, c.oidcFromEnv(getenv))
	return errors.Join(errs...)
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// secretFlag lets a flag set a Secret without printing its default.
type secretFlag struct{ s *Secret }

func (f secretFlag) String() string {
	if f.s == nil {
		return ""
	}
	return f.s.String()
}
func (f secretFlag) Set(v string) error { *f.s = Secret(v); return nil }

type listFlag struct{ l *[]string }

func (f listFlag) String() string {
	if f.l == nil {
		return ""
	}
	return strings.Join(*f.l, ",")
}
func (f listFlag) Set(v string) error { *f.l = splitList(v); return nil }

// RegisterFlags defines c's flags on fs, with c's current values as defaults.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address (CLOUDSAGE_ADDR)")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "data folder for SQLite (CLOUDSAGE_DATA_DIR)")
	fs.Var(secretFlag{&c.DatabaseURL}, "database-url", "postgres:// URL to use PostgreSQL instead of SQLite (CLOUDSAGE_DATABASE_URL)")
	fs.Var(secretFlag{&c.RedisURL}, "redis-url", "redis:// or rediss:// URL of a Redis or Valkey shared by replicas: rate limits and live updates across them (CLOUDSAGE_REDIS_URL)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (CLOUDSAGE_LOG_LEVEL)")
	fs.IntVar(&c.RateLimit, "rate-limit", c.RateLimit, "ingest requests per minute per project (CLOUDSAGE_RATE_LIMIT)")
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", c.MaxBodyBytes, "largest ingest body after decompression (CLOUDSAGE_MAX_BODY_BYTES)")
	fs.IntVar(&c.MaxLineBytes, "max-line-bytes", c.MaxLineBytes, "longest accepted log line (CLOUDSAGE_MAX_LINE_BYTES)")
	fs.DurationVar(&c.SessionTTL, "session-ttl", c.SessionTTL, "how long a login lasts (CLOUDSAGE_SESSION_TTL)")
	fs.DurationVar(&c.Retention, "retention-interval", c.Retention, "how often old events are deleted (CLOUDSAGE_RETENTION_INTERVAL)")
	fs.Var(listFlag{&c.CORSOrigins}, "cors-origins", "comma-separated origins allowed cross-site; empty disables CORS (CLOUDSAGE_CORS_ORIGINS)")
	fs.BoolVar(&c.TrustProxy, "trust-proxy", c.TrustProxy, "trust X-Forwarded-Proto/-For from a reverse proxy (CLOUDSAGE_TRUST_PROXY)")
	fs.BoolVar(&c.Demo, "demo", c.Demo, "create a demo user and project with sample logs (CLOUDSAGE_DEMO)")
	fs.IntVar(&c.IngestConcurrency, "ingest-concurrency", c.IngestConcurrency, "batches this server stores at once; 0 is four per core, at most 8 (CLOUDSAGE_INGEST_CONCURRENCY)")
	fs.IntVar(&c.IngestQueue, "ingest-queue", c.IngestQueue, "batches that may wait for a turn before shippers get 429 and Retry-After; 0 is 64 per concurrent batch (CLOUDSAGE_INGEST_QUEUE)")
	fs.StringVar(&c.DebugAddr, "debug-addr", c.DebugAddr, "listen address of the Go profiler (/debug/pprof/), e.g. 127.0.0.1:6060; keep it private; empty is off (CLOUDSAGE_DEBUG_ADDR)")
	fs.IntVar(&c.ShipLinesPerSecond, "ship-lines-per-second", c.ShipLinesPerSecond, "log-shipper budget per project, lines a second; 0 is unlimited (CLOUDSAGE_SHIP_LINES_PER_SECOND)")
	fs.Int64Var(&c.ShipBytesPerSecond, "ship-bytes-per-second", c.ShipBytesPerSecond, "log-shipper budget per project, bytes a second; 0 is unlimited (CLOUDSAGE_SHIP_BYTES_PER_SECOND)")
	fs.StringVar(&c.SyslogTCP, "syslog-tcp", c.SyslogTCP, "syslog TCP listen address, e.g. :6514; empty is off (CLOUDSAGE_SYSLOG_TCP)")
	fs.StringVar(&c.SyslogUDP, "syslog-udp", c.SyslogUDP, "syslog UDP listen address, e.g. :5514; empty is off (CLOUDSAGE_SYSLOG_UDP)")
	fs.Int64Var(&c.SyslogProject, "syslog-project", c.SyslogProject, "project id for syslog messages that carry no [cloudsage token=\"...\"] structured data (CLOUDSAGE_SYSLOG_PROJECT)")
	fs.StringVar(&c.SyslogTLSCert, "syslog-tls-cert", c.SyslogTLSCert, "PEM certificate: the syslog TCP listener speaks TLS (CLOUDSAGE_SYSLOG_TLS_CERT)")
	fs.StringVar(&c.SyslogTLSKey, "syslog-tls-key", c.SyslogTLSKey, "PEM key of syslog-tls-cert (CLOUDSAGE_SYSLOG_TLS_KEY)")
	fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "the dashboard's public URL, for links in notifications (CLOUDSAGE_BASE_URL)")
	fs.BoolVar(&c.WebhookDenyPrivate, "webhook-deny-private", c.WebhookDenyPrivate, "refuse webhook targets on loopback, private or link-local addresses (CLOUDSAGE_WEBHOOK_DENY_PRIVATE)")
	fs.StringVar(&c.SMTPHost, "smtp-host", c.SMTPHost, "SMTP server for email notifications (CLOUDSAGE_SMTP_HOST)")
	fs.IntVar(&c.SMTPPort, "smtp-port", c.SMTPPort, "SMTP port; 0: 587, 465 with smtp-tls=tls, 25 with none (CLOUDSAGE_SMTP_PORT)")
	fs.StringVar(&c.SMTPUsername, "smtp-username", c.SMTPUsername, "SMTP user name (CLOUDSAGE_SMTP_USERNAME)")
	fs.Var(secretFlag{&c.SMTPPassword}, "smtp-password", "SMTP password (CLOUDSAGE_SMTP_PASSWORD)")
	fs.StringVar(&c.SMTPFrom, "smtp-from", c.SMTPFrom, "sender address of notification mail (CLOUDSAGE_SMTP_FROM)")
	fs.StringVar(&c.SMTPTLS, "smtp-tls", c.SMTPTLS, "starttls, tls or none (CLOUDSAGE_SMTP_TLS)")
	fs.BoolVar(&c.Require2FA, "require-2fa", c.Require2FA, "every account must set up a TOTP second factor (CLOUDSAGE_REQUIRE_2FA)")
	fs.DurationVar(&c.NotifyRetryBase, "notify-retry-base", c.NotifyRetryBase, "first retry delay of a failed notification, doubling per attempt (CLOUDSAGE_NOTIFY_RETRY_BASE)")
}

// Mail is the SMTP configuration for the mail package.
func (c Config) Mail() mail.Config {
	return mail.Config{Host: c.SMTPHost, Port: c.SMTPPort, Username: c.SMTPUsername, Password: c.SMTPPassword.Reveal(),
		From: c.SMTPFrom, TLS: c.SMTPTLS}
}

// Postgres reports whether the configuration selects PostgreSQL.
func (c Config) Postgres() bool {
	u := c.DatabaseURL.Reveal()
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

// Validate returns every problem with c, joined.
func (c Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr %q: want host:port", c.Addr))
	}
	if c.DatabaseURL != "" && !c.Postgres() {
		errs = append(errs, errors.New("database-url: only postgres:// URLs are supported (leave it empty for SQLite)"))
	} else if c.DatabaseURL != "" {
		if _, err := url.Parse(c.DatabaseURL.Reveal()); err != nil {
			errs = append(errs, errors.New("database-url is not a valid URL"))
		}
	}
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL.Reveal()); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			errs = append(errs, errors.New("redis-url: want redis://[user:password@]host:port[/db] or rediss://... (TLS)"))
		}
	}
	if c.DatabaseURL == "" && c.DataDir == "" {
		errs = append(errs, errors.New("data-dir must be set when no database-url is given"))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log-level %q: want debug, info, warn or error", c.LogLevel))
	}
	if c.RateLimit < 1 {
		errs = append(errs, errors.New("rate-limit must be at least 1 request a minute"))
	}
	if c.MaxBodyBytes < 1024 {
		errs = append(errs, errors.New("max-body-bytes must be at least 1024"))
	}
	if c.MaxLineBytes < 256 || int64(c.MaxLineBytes) > c.MaxBodyBytes {
		errs = append(errs, errors.New("max-line-bytes must be at least 256 and at most max-body-bytes"))
	}
	if c.SessionTTL < time.Minute {
		errs = append(errs, errors.New("session-ttl must be at least 1m"))
	}
	if c.Retention < time.Second {
		errs = append(errs, errors.New("retention-interval must be at least 1s"))
	}
	if c.ShipLinesPerSecond < 0 || c.ShipBytesPerSecond < 0 {
		errs = append(errs, errors.New("ship-lines-per-second and ship-bytes-per-second must be 0 (unlimited) or more"))
	}
	for name, a := range map[string]string{"syslog-tcp": c.SyslogTCP, "syslog-udp": c.SyslogUDP, "debug-addr": c.DebugAddr} {
		if _, _, err := net.SplitHostPort(a); a != "" && err != nil {
			errs = append(errs, fmt.Errorf("%s %q: want host:port", name, a))
		}
	}
	if c.IngestConcurrency < 0 || c.IngestQueue < 0 {
		errs = append(errs, errors.New("ingest-concurrency and ingest-queue must be 0 (the default) or more"))
	}
	if c.SyslogProject < 0 {
		errs = append(errs, errors.New("syslog-project must be a project id"))
	}
	if (c.SyslogTLSCert == "") != (c.SyslogTLSKey == "") {
		errs = append(errs, errors.New("syslog-tls-cert and syslog-tls-key go together"))
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("base-url %q: want an http(s) URL like https://cloudsage.example.com", c.BaseURL))
		}
	}
	if c.NotifyRetryBase < 100*time.Millisecond || c.NotifyRetryBase > time.Hour {
		errs = append(errs, errors.New("notify-retry-base must be between 100ms and 1h"))
	}
	if err := c.Mail().Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.StripeSecretKey != "" && (c.StripeWebhookSecret == "" || c.StripePricePro == "") {
		errs = append(errs, errors.New("billing: CLOUDSAGE_STRIPE_SECRET_KEY needs CLOUDSAGE_STRIPE_WEBHOOK_SECRET and CLOUDSAGE_STRIPE_PRICE_PRO"))
	}
	errs = append(errs, c.validateOIDC())
	for _, o := range c.CORSOrigins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
			errs = append(errs, fmt.Errorf("cors-origins: %q is not an origin like https://example.com", o))
		}
	}
	return errors.Join(errs...)
}

// LogValue lists the configuration for a start-up log line, secrets redacted.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("addr", c.Addr), slog.String("data_dir", c.DataDir),
		slog.Any("database_url", c.DatabaseURL), slog.Any("redis_url", c.RedisURL), slog.String("log_level", c.LogLevel),
		slog.Int("rate_limit", c.RateLimit), slog.Int64("max_body_bytes", c.MaxBodyBytes),
		slog.Int("max_line_bytes", c.MaxLineBytes), slog.Duration("session_ttl", c.SessionTTL),
		slog.Any("cors_origins", c.CORSOrigins), slog.Bool("trust_proxy", c.TrustProxy), slog.Bool("demo", c.Demo),
		slog.String("debug_addr", c.DebugAddr), slog.Int("ingest_concurrency", c.IngestConcurrency), slog.Int("ingest_queue", c.IngestQueue),
		slog.Int("ship_lines_per_second", c.ShipLinesPerSecond), slog.Int64("ship_bytes_per_second", c.ShipBytesPerSecond),
		slog.String("syslog_tcp", c.SyslogTCP), slog.String("syslog_udp", c.SyslogUDP), slog.Int64("syslog_project", c.SyslogProject),
		slog.String("base_url", c.BaseURL), slog.Bool("webhook_deny_private", c.WebhookDenyPrivate),
		slog.String("smtp_host", c.SMTPHost), slog.Int("smtp_port", c.SMTPPort), slog.String("smtp_username", c.SMTPUsername),
		slog.Any("smtp_password", c.SMTPPassword), slog.String("smtp_from", c.SMTPFrom), slog.String("smtp_tls", c.SMTPTLS),
		slog.Duration("notify_retry_base", c.NotifyRetryBase),
		slog.Bool("require_2fa", c.Require2FA), slog.Any("oidc", c.OIDC),
	)
}
