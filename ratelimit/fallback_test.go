package ratelimit_test

import (
	"context"
	"net"
	"testing"

	"github.com/passkeyd/passkeyd/ratelimit"
	"github.com/passkeyd/passkeyd/redis"
)

// closedPort is a loopback port nothing listens on: a Redis that is really unreachable.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestFallbackLimitsWhenRedisIsUnreachable: the shared limiter's store is down, so the
// instance's bucket decides — the limit still refuses past its burst — and it says so.
func TestFallbackLimitsWhenRedisIsUnreachable(t *testing.T) {
	c, err := redis.Open("redis://" + closedPort(t) + "/0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b := &ratelimit.Breaker{Name: "ip"}
	f := &ratelimit.Fallback{Shared: c.NewRateLimiter(0.001, 3), Local: ratelimit.NewLocal(0.001, 3, nil), Breaker: b}
	for i := 0; i < 3; i++ {
		if ok, _, err := f.Allow(context.Background(), "203.0.113.7"); !ok || err != nil {
			t.Fatalf("request %d refused within the burst: %v", i+1, err)
		}
	}
	ok, wait, err := f.Allow(context.Background(), "203.0.113.7")
	if ok || err != nil || wait <= 0 {
		t.Fatalf("past the burst with Redis down: ok=%v wait=%v err=%v; the limit failed open", ok, wait, err)
	}
	if !b.Degraded() || b.Fallbacks() != 4 {
		t.Fatalf("degraded=%v fallbacks=%d, want true and 4", b.Degraded(), b.Fallbacks())
	}
}
