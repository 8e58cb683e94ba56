package auth

import (
	"sync"
	"time"
)

// Throttle slows down password guessing: after Max failures for a key
// (an email, an IP address) within Window, the key is locked for Lockout.
// Safe for concurrent use; in-process only.
type Throttle struct {
	Max     int
	Window  time.Duration
	Lockout time.Duration

	mu   sync.Mutex
	keys map[string]*attempts
}

type attempts struct {
	first  time.Time
	n      int
	locked time.Time // locked until
}

// NewThrottle returns a throttle allowing max failures per window.
func NewThrottle(max int, window, lockout time.Duration) *Throttle {
	return &Throttle{Max: max, Window: window, Lockout: lockout, keys: map[string]*attempts{}}
}

// Allow reports whether key may try now, and if not, how long to wait.
func (t *Throttle) Allow(key string, now time.Time) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	a := t.keys[key]
	if a == nil || !now.Before(a.locked) {
		return true, 0
	}
	return false, a.locked.Sub(now)
}

// Fail records a failed attempt for key.
func (t *Throttle) Fail(key string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.keys) > 100000 {
		t.sweep(now)
	}
	a := t.keys[key]
	if a == nil || now.Sub(a.first) > t.Window {
		a = &attempts{first: now}
		t.keys[key] = a
	}
	a.n++
	if a.n >= t.Max {
		a.locked = now.Add(t.Lockout)
		a.n, a.first = 0, now
	}
}

// Success forgets key's failures.
func (t *Throttle) Success(key string) {
	t.mu.Lock()
	delete(t.keys, key)
	t.mu.Unlock()
}

func (t *Throttle) sweep(now time.Time) {
	for k, a := range t.keys {
		if now.Sub(a.first) > t.Window && !now.Before(a.locked) {
			delete(t.keys, k)
		}
	}
}
