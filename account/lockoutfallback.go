package account

import (
	"context"
	"time"

	"github.com/passkeyd/passkeyd/ratelimit"
)

// LockoutFallback is a lockout shared by every instance (Shared, e.g. redis.Lockouts) that
// counts with this instance's own *Lockout (Local) whenever the shared store cannot answer.
// Letting guesses through unlimited while Redis is down would make an outage an attacker's
// window; per-instance counts allow at most N instances × MaxFailures guesses. Breaker says
// whether it is degraded.
type LockoutFallback struct {
	Shared, Local LockoutStore
	Breaker       *ratelimit.Breaker
}

var _ LockoutStore = (*LockoutFallback)(nil)

// Reserve implements LockoutStore.
func (f *LockoutFallback) Reserve(ctx context.Context, key string) (time.Duration, error) {
	if f.Breaker.Use() {
		wait, err := f.Shared.Reserve(ctx, key)
		if err == nil {
			f.Breaker.Succeeded()
			return wait, nil
		}
		f.Breaker.Failed(ctx, err)
	} else {
		f.Breaker.Skipped()
	}
	return f.Local.Reserve(ctx, key)
}

// Succeed implements LockoutStore: the failures are forgotten in both places.
func (f *LockoutFallback) Succeed(ctx context.Context, key string) error {
	_ = f.Local.Succeed(ctx, key)
	if !f.Breaker.Use() {
		return nil
	}
	if err := f.Shared.Succeed(ctx, key); err != nil {
		f.Breaker.Failed(ctx, err)
	}
	return nil
}

// Release implements LockoutStore. Slots are not named, so the slot is given back where
// reservations are being made now: locally while degraded, else in the shared store.
func (f *LockoutFallback) Release(ctx context.Context, key string) error {
	if f.Breaker.Degraded() {
		return f.Local.Release(ctx, key)
	}
	if err := f.Shared.Release(ctx, key); err != nil {
		f.Breaker.Failed(ctx, err)
		return f.Local.Release(ctx, key)
	}
	return nil
}
