package httpapi

import (
	"context"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/passkeyd/passkeyd"
)

// limiter is a token bucket per client IP for the endpoints anyone can call: it bounds how
// fast one address can mint challenges, probe usernames or hammer verification. It is in
// process; with several instances each enforces its own share.
type limiter struct {
	rate  float64 // tokens per second
	burst float64
	mu    sync.Mutex
	m     map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxBuckets bounds memory under a flood of distinct addresses; past it, idle buckets are
// dropped (a dropped bucket is a full one, so nobody gains by it).
const maxBuckets = 100_000

func newLimiter(perSecond float64, burst int) *limiter {
	if perSecond <= 0 {
		return nil
	}
	return &limiter{rate: perSecond, burst: float64(max(burst, 1)), m: map[string]*bucket{}}
}

// allow takes a token for key, or says how long until one is available.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.m[key]
	if !ok {
		if len(l.m) >= maxBuckets {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.m[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

func (l *limiter) sweep(now time.Time) {
	for k, b := range l.m {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.m, k)
		}
	}
}

// clientIP is the address a request comes from. Behind a load balancer every connection
// comes from the balancer, so X-Forwarded-For is read — but only when the peer is one of the
// configured trusted proxies, and then from the right, skipping trusted hops: the leftmost
// entries are whatever the client chose to send.
func (s *server) clientIP(r *http.Request) string {
	peer, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		peer = r.RemoteAddr
	}
	if len(s.TrustedProxies) == 0 || !s.trusted(peer) {
		return peer
	}
	hops := r.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			ip := strings.TrimSpace(parts[j])
			if net.ParseIP(ip) == nil {
				return peer // a malformed chain: trust nothing in it
			}
			if !s.trusted(ip) {
				return ip
			}
		}
	}
	return peer
}

func (s *server) trusted(ip string) bool {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range s.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// RateLimiter takes a token for a key (a client address). passkeyd uses an in-process bucket,
// or with Redis configured one shared by every instance.
type RateLimiter interface {
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
}

type localLimiter struct {
	l   *limiter
	now func() time.Time
}

func (l localLimiter) Allow(_ context.Context, key string) (bool, time.Duration, error) {
	ok, wait := l.l.allow(key, l.now())
	return ok, wait, nil
}

// limited applies the per-IP limit: 429 rate_limited with Retry-After when exceeded. A
// limiter that cannot answer (Redis down) lets the request through: the limit protects the
// service, and refusing everyone would be the outage it guards against.
func (s *server) limited(next http.Handler) http.Handler {
	if s.rateLimiter == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok, wait, err := s.rateLimiter.Allow(r.Context(), s.clientIP(r))
		if err != nil {
			s.Logger.WarnContext(r.Context(), "rate limiter unavailable; request let through", "err", err)
		}
		if !ok {
			secs := int(math.Ceil(wait.Seconds()))
			w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
			s.writeError(w, r, passkeyd.Errorf(passkeyd.CodeRateLimited, "too many requests from this address; retry in %d s", max(secs, 1)))
			return
		}
		next.ServeHTTP(w, r)
	})
}
