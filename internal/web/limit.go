package web

import (
	"context"
	"math"
	"sync"
	"time"
)

// Limiter decides whether a request under key may proceed. An in-process
// TokenBucket serves one replica; a shared one (Redis) can implement the
// same interface for several.
type Limiter interface {
	// Allow takes one token for key; when none is left it reports how long
	// until one is.
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
}

// TokenBucket allows bursts of up to rate requests and refills rate per
// period, per key. Safe for concurrent use.
type TokenBucket struct {
	rate   float64
	period time.Duration
	now    func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewTokenBucket returns a limiter of rate requests per period.
func NewTokenBucket(rate int, period time.Duration, now func() time.Time) *TokenBucket {
	return &TokenBucket{rate: float64(rate), period: period, now: now, buckets: map[string]*bucket{}}
}

// Allow implements Limiter.
func (tb *TokenBucket) Allow(_ context.Context, key string) (bool, time.Duration, error) {
	now := tb.now()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	b := tb.buckets[key]
	if b == nil {
		if len(tb.buckets) > 100000 {
			tb.sweep(now)
		}
		b = &bucket{tokens: tb.rate, at: now}
		tb.buckets[key] = b
	}
	perSec := tb.rate / tb.period.Seconds()
	b.tokens = math.Min(tb.rate, b.tokens+now.Sub(b.at).Seconds()*perSec)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0, nil
	}
	wait := time.Duration((1 - b.tokens) / perSec * float64(time.Second))
	return false, wait, nil
}

// sweep drops full buckets.
func (tb *TokenBucket) sweep(now time.Time) {
	for k, b := range tb.buckets {
		if now.Sub(b.at) >= tb.period {
			delete(tb.buckets, k)
		}
	}
}
