// Package cluster is what several `cloudsage serve` replicas share through
// Redis or Valkey (CLOUDSAGE_REDIS_URL): ingest rate limits (GCRA in Redis
// through go-redis/redis_rate), live updates (pub/sub fan-out) and the
// invalidation of each replica's cached forecasts. Without Redis, or while
// it is unreachable, every piece falls back to its in-process version, so
// one replica behaves exactly as a server without Redis.
package cluster

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// CheckEvery is how often the connection is probed: how soon a replica
// notices Redis is back (and, when idle, that it is gone).
const CheckEvery = time.Second

// Redis is the connection to the Redis (or Valkey) the replicas share, with
// its health as this replica sees it. Keys and channels are named under a
// prefix unique to the deployment's database, so deployments (or test
// runs) sharing one Redis never see each other's limits or events.
type Redis struct {
	rdb    *redis.Client
	prefix string
	log    *slog.Logger

	mu      sync.Mutex
	up      bool
	since   time.Time // when up last changed
	lastErr string
}

// ValidateURL checks a CLOUDSAGE_REDIS_URL: redis:// or rediss:// (TLS),
// with an optional user:password, host:port and /db number.
func ValidateURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return errors.New("want redis://[user:password@]host:port[/db] or rediss://... for TLS")
	}
	if _, err := redis.ParseURL(raw); err != nil {
		return errors.New(err.Error())
	}
	return nil
}

// Open connects to the Redis at rawURL. namespace names the deployment (the
// same for every replica of one database, see Namespace). An unreachable
// Redis is not an error: the replica starts on local limits, logs it, and
// Run reconnects when Redis answers.
func Open(ctx context.Context, rawURL, namespace string, log *slog.Logger) (*Redis, error) {
	if err := ValidateURL(rawURL); err != nil {
		return nil, fmt.Errorf("redis url: %w", err)
	}
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redis url: %w", err)
	}
	// Short timeouts: a Redis that stops answering must cost a request a
	// fraction of a second, once, before the replica falls back to local limits.
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout, opt.PoolTimeout = time.Second, 500*time.Millisecond, 500*time.Millisecond, time.Second
	opt.MaxRetries = 0
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	quietDriver.Do(func() { redis.SetLogger(driverLog{log}) })
	r := &Redis{rdb: redis.NewClient(opt), prefix: "cloudsage:" + namespace + ":", log: log, since: time.Now()}
	r.check(ctx)
	if !r.Up() {
		log.Warn("redis unreachable at start: serving with local rate limits and live updates until it answers", "error", r.Err())
	}
	return r, nil
}

// quietDriver sets go-redis's own logger once (it is process-wide): it
// would print every failed dial while Redis is down, which the transitions
// logged by observe already say once.
var quietDriver sync.Once

// driverLog sends go-redis's messages to debug.
type driverLog struct{ log *slog.Logger }

func (d driverLog) Printf(ctx context.Context, format string, v ...any) {
	d.log.DebugContext(ctx, "redis driver: "+fmt.Sprintf(format, v...))
}

// Namespace turns a deployment's shared secret bytes (store.Secret) into a
// short key prefix.
func Namespace(secret []byte) string {
	if len(secret) > 8 {
		secret = secret[:8]
	}
	return hex.EncodeToString(secret)
}

// Close closes the connection pool.
func (r *Redis) Close() error { return r.rdb.Close() }

// Key is name under the deployment's prefix.
func (r *Redis) Key(name string) string { return r.prefix + name }

// Up reports whether Redis answered the last command or probe.
func (r *Redis) Up() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.up
}

// Err is the last error that made Redis count as down ("" when up).
func (r *Redis) Err() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastErr
}

// Status is Redis as this replica sees it, for /api/status and /readyz.
type Status struct {
	Status string    `json:"status"` // ok or down
	Mode   string    `json:"mode"`   // shared (limits and live updates go through Redis) or local (this replica alone)
	Since  time.Time `json:"since"`  // when the status last changed
	Error  string    `json:"error,omitempty"`
}

// Status returns the current status.
func (r *Redis) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.up {
		return Status{Status: "ok", Mode: "shared", Since: r.since.UTC()}
	}
	return Status{Status: "down", Mode: "local", Since: r.since.UTC(), Error: r.lastErr}
}

// Ping asks Redis now (for /readyz) and records the outcome.
func (r *Redis) Ping(ctx context.Context) error {
	err := r.rdb.Ping(ctx).Err()
	r.observe(err)
	return err
}

// check probes Redis, recording the outcome.
func (r *Redis) check(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_ = r.Ping(ctx)
}

// observe records a command's outcome: a connection-level failure marks
// Redis down (logged once), a success while down marks it up again. A
// Redis error reply (a script error, a wrong type) says Redis answers.
func (r *Redis) observe(err error) {
	up := err == nil || isReply(err)
	r.mu.Lock()
	if up == r.up {
		r.mu.Unlock()
		return
	}
	r.up, r.since = up, time.Now()
	if up {
		r.lastErr = ""
	} else {
		r.lastErr = err.Error()
	}
	r.mu.Unlock()
	if up {
		r.log.Info("redis reachable: rate limits and live updates are shared across replicas")
	} else {
		r.log.Error("redis unreachable: serving with this replica's own rate limits and live updates", "error", err)
	}
}

// isReply reports whether err is an error reply from a Redis that answered.
func isReply(err error) bool {
	var re redis.Error
	return errors.As(err, &re)
}

// Run probes Redis every CheckEvery until ctx ends, so a lost Redis is
// noticed while idle and a returning one is used again.
func (r *Redis) Run(ctx context.Context) {
	t := time.NewTicker(CheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.check(ctx)
		}
	}
}
