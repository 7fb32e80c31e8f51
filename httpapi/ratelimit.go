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

// clientIP is the address a request comes from, for logs and the audit log. Behind a load
// balancer every connection comes from the balancer, so X-Forwarded-For is read — but only
// when the peer is one of the configured trusted proxies, and then from the right, skipping
// trusted hops: the leftmost entries are whatever the client chose to send.
func (s *server) clientIP(r *http.Request) string {
	if a := s.clientAddr(r); a.IsValid() {
		return a.String()
	}
	// Not an IP (a unix socket, a test's RemoteAddr): log what there is.
	peer, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		peer = r.RemoteAddr
	}
	return peer
}

// clientAddr is clientIP parsed: IPv4-mapped IPv6 is unmapped and zones are dropped, so one
// client has one spelling. The zero Addr when the peer is not an IP.
func (s *server) clientAddr(r *http.Request) netip.Addr {
	peer := parseAddr(r.RemoteAddr)
	if !peer.IsValid() || len(s.TrustedProxies) == 0 || !s.trusted(peer) {
		return peer
	}
	hops := r.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			ip := parseAddr(strings.TrimSpace(parts[j]))
			if !ip.IsValid() {
				return peer // a malformed chain: trust nothing in it
			}
			if !s.trusted(ip) {
				return ip
			}
		}
	}
	return peer
}

// parseAddr reads "ip" or "ip:port" / "[ip]:port".
func parseAddr(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone("")
	}
	return netip.Addr{}
}

// rateKey is the per-IP limit's key for a client: its IPv4 address, or its IPv6 /64 — one
// subscriber usually holds a whole /64, so per-address buckets would give an attacker 2^64
// of them.
func rateKey(a netip.Addr, fallback string) string {
	if !a.IsValid() {
		return "raw:" + fallback
	}
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

func (s *server) trusted(addr netip.Addr) bool {
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
// shared limiter comes wrapped in ratelimit.Fallback (cmd/passkeyd), so an outage of its
// store limits with this instance's buckets; one that still cannot decide falls back to the
// in-process bucket here, and without one refuses (503): a limit must not fail open.
func (s *server) limited(next http.Handler) http.Handler {
	if s.rateLimiter == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := rateKey(s.clientAddr(r), r.RemoteAddr)
		ok, wait, err := s.rateLimiter.Allow(r.Context(), key)
		if err != nil {
			s.Logger.WarnContext(r.Context(), "rate limiter unavailable; limiting in process", "err", err)
			if s.localLimiter == nil {
				s.writeError(w, r, &passkeyd.Error{Code: passkeyd.CodeUnavailable, Detail: "the rate limiter is unavailable; retry shortly", Err: err})
				return
			}
			ok, wait, _ = s.localLimiter.Allow(r.Context(), key)
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
