// Package ratelimit is passkeyd's token bucket: the Limiter interface the HTTP layer (per
// client address) and the account service (per username) use, and its in-process
// implementation. redis.RateLimiter implements it across instances; Fallback keeps a limit
// when the shared store is down.
package ratelimit

import (
	"context"
	"math"
	"sync"
	"time"
)

// Limiter takes a token for a key, or says how long until one is free. An error means the
// limiter could not decide; a shared limiter is wrapped in Fallback so that it then decides
// with this instance's bucket, never with no limit.
type Limiter interface {
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
}

// Local is an in-process token bucket per key: rate tokens a second, at most burst saved.
type Local struct {
	rate  float64
	burst float64
	now   func() time.Time
	mu    sync.Mutex
	m     map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxBuckets bounds memory under a flood of distinct keys; past it, full buckets are
// dropped (a dropped bucket is a full one, so nobody gains by it).
const maxBuckets = 100_000

// NewLocal returns a limiter, or nil when rate is not positive (no limit). now is the clock;
// nil means time.Now.
func NewLocal(rate float64, burst int, now func() time.Time) *Local {
	if rate <= 0 {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	return &Local{rate: rate, burst: float64(max(burst, 1)), now: now, m: map[string]*bucket{}}
}

// Allow implements Limiter.
func (l *Local) Allow(_ context.Context, key string) (bool, time.Duration, error) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.m[key]
	if !ok {
		if len(l.m) >= maxBuckets {
			for k, b := range l.m {
				if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
					delete(l.m, k)
				}
			}
		}
		b = &bucket{tokens: l.burst, last: now}
		l.m[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0, nil
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second)), nil
}
