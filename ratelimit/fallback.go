package ratelimit

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Fallback is a limit shared by every instance (Shared, e.g. redis.RateLimiter) that falls
// back to this instance's own bucket (Local) whenever the shared store cannot answer. A
// limit must fail safe, not open: letting everything through while Redis is down would hand
// an attacker the outage as a window. Per-instance counts are weaker (N instances allow N
// times the rate) but are never no limit. Breaker says whether it is degraded.
type Fallback struct {
	Shared, Local Limiter
	Breaker       *Breaker
}

var _ Limiter = (*Fallback)(nil)

// Allow implements Limiter.
func (f *Fallback) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	if f.Breaker.Use() {
		ok, wait, err := f.Shared.Allow(ctx, key)
		if err == nil {
			f.Breaker.Succeeded()
			return ok, wait, nil
		}
		f.Breaker.Failed(ctx, err)
	} else {
		f.Breaker.Skipped()
	}
	return f.Local.Allow(ctx, key)
}

// Breaker tracks the health of a shared limit store for a fallback wrapper (Fallback,
// account.LockoutFallback): after a failure the store is left alone for Pause, so that an
// outage does not cost every request a timeout, and every decision made locally is counted.
// A nil *Breaker always uses the shared store and records nothing.
type Breaker struct {
	// Name says which limit this is in logs and metrics (ip, account, lockout).
	Name string
	// Pause is how long the shared store is skipped after a failure; 0 means a second.
	Pause time.Duration
	Log   *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu        sync.Mutex
	retryAt   time.Time
	degraded  bool
	fallbacks atomic.Uint64
}

func (b *Breaker) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

// Use reports whether to ask the shared store now: false while pausing after a failure.
func (b *Breaker) Use() bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return !b.degraded || !b.now().Before(b.retryAt)
}

// Succeeded records an answer from the shared store: the limit is shared again.
func (b *Breaker) Succeeded() {
	if b == nil {
		return
	}
	b.mu.Lock()
	was := b.degraded
	b.degraded = false
	b.mu.Unlock()
	if was && b.Log != nil {
		b.Log.Info("shared limit store answers again; limit shared across instances", "limit", b.Name)
	}
}

// Failed records that the shared store could not answer: this decision is made locally,
// and the store is skipped for Pause. A request cancelled by its client says nothing about
// the store, so it is counted but does not degrade the limit.
func (b *Breaker) Failed(ctx context.Context, err error) {
	if b == nil {
		return
	}
	b.fallbacks.Add(1)
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return
	}
	pause := b.Pause
	if pause <= 0 {
		pause = time.Second
	}
	b.mu.Lock()
	was := b.degraded
	b.degraded, b.retryAt = true, b.now().Add(pause)
	b.mu.Unlock()
	if !was && b.Log != nil {
		b.Log.Warn("shared limit store unavailable; limiting with this instance's counts", "limit", b.Name, "err", err)
	}
}

// Skipped records a decision made locally without asking the shared store (Use was false).
func (b *Breaker) Skipped() {
	if b != nil {
		b.fallbacks.Add(1)
	}
}

// Degraded reports whether the limit is currently kept in process only.
func (b *Breaker) Degraded() bool {
	if b == nil {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.degraded
}

// Fallbacks is how many decisions were made locally because the shared store could not
// answer (passkeyd_limit_fallback_total).
func (b *Breaker) Fallbacks() uint64 {
	if b == nil {
		return 0
	}
	return b.fallbacks.Load()
}
