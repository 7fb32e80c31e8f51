package account

import (
	"context"
	"sync"
	"time"

	"github.com/passkeyd/passkeyd/ratelimit"
)

// LockoutFallback is a lockout shared by every instance (Shared, e.g. redis.Lockouts) that
// counts with this instance's own *Lockout (Local) whenever the shared store cannot answer.
// Letting guesses through unlimited while Redis is down would make an outage an attacker's
// window; per-instance counts allow at most N instances × MaxFailures guesses. Breaker says
// whether it is degraded.
//
// A lock the shared store reports is copied into Local (when it is a *Lockout), so that an
// instance that has seen an account locked keeps it locked through an outage; a lock this
// instance never saw is unknown to it while the store is down. A guess reserved locally is
// settled locally: its Succeed must not lift the shared store's lock once it answers again.
type LockoutFallback struct {
	Shared, Local LockoutStore
	Breaker       *ratelimit.Breaker

	mu    sync.Mutex
	local map[string]int // keys with guesses reserved in Local and not yet settled
}

var _ LockoutStore = (*LockoutFallback)(nil)

// Reserve implements LockoutStore.
func (f *LockoutFallback) Reserve(ctx context.Context, key string) (time.Duration, error) {
	if f.Breaker.Use() {
		wait, err := f.Shared.Reserve(ctx, key)
		if err == nil {
			f.Breaker.Succeeded()
			if l, ok := f.Local.(*Lockout); ok && wait > 0 {
				l.lockFor(key, wait)
			}
			return wait, nil
		}
		f.Breaker.Failed(ctx, err)
	} else {
		f.Breaker.Skipped()
	}
	wait, err := f.Local.Reserve(ctx, key)
	if err == nil && wait == 0 {
		f.mu.Lock()
		if f.local == nil {
			f.local = map[string]int{}
		}
		f.local[key]++
		f.mu.Unlock()
	}
	return wait, err
}

// settledLocally reports (and forgets) one guess of key reserved in Local.
func (f *LockoutFallback) settledLocally(key string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.local[key] == 0 {
		return false
	}
	if f.local[key]--; f.local[key] == 0 {
		delete(f.local, key)
	}
	return true
}

// Succeed implements LockoutStore: the failures are forgotten in both places.
func (f *LockoutFallback) Succeed(ctx context.Context, key string) error {
	_ = f.Local.Succeed(ctx, key)
	if f.settledLocally(key) || !f.Breaker.Use() {
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
	if f.settledLocally(key) || f.Breaker.Degraded() {
		return f.Local.Release(ctx, key)
	}
	if err := f.Shared.Release(ctx, key); err != nil {
		f.Breaker.Failed(ctx, err)
		return f.Local.Release(ctx, key)
	}
	return nil
}
