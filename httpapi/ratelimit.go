package httpapi

import (
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/ratelimit"
)

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

// RateLimiter is the limiter of the per-IP limit (see package ratelimit).
type RateLimiter = ratelimit.Limiter

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
