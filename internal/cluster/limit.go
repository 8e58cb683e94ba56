package cluster

import (
	"context"
	"time"

	"github.com/go-redis/redis_rate/v10"
)

// LocalLimiter is the in-process request limiter a Limiter falls back to
// (web.TokenBucket).
type LocalLimiter interface {
	Allow(ctx context.Context, key string) (bool, time.Duration, error)
}

// Limiter limits requests per key across replicas: GCRA in Redis
// (redis_rate), rate requests per period with a burst of rate, the same
// shape as the in-process token bucket it falls back to while Redis is down.
type Limiter struct {
	r     *Redis
	rl    *redis_rate.Limiter
	limit redis_rate.Limit
	local LocalLimiter
}

// NewLimiter returns a Limiter of rate requests per period.
func NewLimiter(r *Redis, rate int, period time.Duration, local LocalLimiter) *Limiter {
	return &Limiter{r: r, rl: redis_rate.NewLimiter(r.rdb), limit: redis_rate.Limit{Rate: rate, Burst: rate, Period: period}, local: local}
}

// Allow takes one request for key, or reports how long until one is free.
func (l *Limiter) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	if !l.r.Up() {
		return l.local.Allow(ctx, key)
	}
	res, err := l.rl.Allow(ctx, l.r.Key(key), l.limit)
	l.r.observe(err)
	if err != nil {
		return l.local.Allow(ctx, key)
	}
	return res.Allowed > 0, max(res.RetryAfter, 0), nil
}

// LocalBudget is the in-process budget a Budget falls back to (web.Budget).
type LocalBudget interface {
	Take(ctx context.Context, key string, lines, bytes int64) (bool, time.Duration)
}

// Budget limits lines and bytes a second per key across replicas, with a
// burst of a few seconds' worth, like web.Budget: a request goes through
// while the key has any budget left and is charged in full, so one batch
// larger than the burst is not refused forever; its debt delays the next.
type Budget struct {
	r            *Redis
	rl           *redis_rate.Limiter
	lines, bytes int64 // a second; 0: unlimited
	burst        int64 // seconds
	local        LocalBudget
}

// NewBudget returns a Budget of lines and bytes a second (0: unlimited)
// with a burst of burst.
func NewBudget(r *Redis, lines, bytes int64, burst time.Duration, local LocalBudget) *Budget {
	return &Budget{r: r, rl: redis_rate.NewLimiter(r.rdb), lines: lines, bytes: bytes, burst: max(int64(burst/time.Second), 1), local: local}
}

// Take charges lines and bytes to key, or reports how long until the key
// has budget again. Lines are charged first: a request refused for its
// bytes has still spent its lines, which only errs on the strict side.
func (b *Budget) Take(ctx context.Context, key string, lines, bytes int64) (bool, time.Duration) {
	if !b.r.Up() {
		return b.local.Take(ctx, key, lines, bytes)
	}
	for _, d := range []struct {
		name    string
		rate, n int64
	}{{"lines:", b.lines, lines}, {"bytes:", b.bytes, bytes}} {
		if d.rate <= 0 || d.n <= 0 {
			continue
		}
		ok, wait, err := b.charge(ctx, d.name+key, d.rate, d.n)
		b.r.observe(err)
		if err != nil {
			return b.local.Take(ctx, key, lines, bytes)
		}
		if !ok {
			return false, wait
		}
	}
	return true, 0
}

// charge spends n of a rate-a-second GCRA budget. GCRA refuses a cost that
// would overdraw the burst; widening the burst by n-1 for this call makes it
// refuse only when less than one unit is left, and charge all n otherwise —
// the "any budget left, then debt" rule, with the library's own script.
func (b *Budget) charge(ctx context.Context, key string, rate, n int64) (bool, time.Duration, error) {
	limit := redis_rate.Limit{Rate: int(rate), Period: time.Second, Burst: int(rate*b.burst + n - 1)}
	res, err := b.rl.AllowN(ctx, b.r.Key(key), limit, int(n))
	if err != nil {
		return false, 0, err
	}
	return res.Allowed > 0, max(res.RetryAfter, 0), nil
}
