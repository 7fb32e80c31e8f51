package account_test

import (
	"context"
	"net"
	"testing"

	"github.com/passkeyd/passkeyd/account"
	"github.com/passkeyd/passkeyd/ratelimit"
	"github.com/passkeyd/passkeyd/redis"
)

// TestLockoutFallbackWhenRedisIsUnreachable: with the shared lockout's Redis down, guesses
// are counted in process: the sixth is refused, not let through.
func TestLockoutFallbackWhenRedisIsUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := redis.Open("redis://" + addr + "/0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b := &ratelimit.Breaker{Name: "lockout"}
	f := &account.LockoutFallback{Shared: c.NewLockouts(), Local: account.NewLockout(), Breaker: b}
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if wait, err := f.Reserve(ctx, "acct:lee"); wait != 0 || err != nil {
			t.Fatalf("guess %d refused: %v %v", i+1, wait, err)
		}
	}
	// A released slot is given back locally, where it was taken.
	_ = f.Release(ctx, "acct:lee")
	if wait, _ := f.Reserve(ctx, "acct:lee"); wait != 0 {
		t.Fatalf("released slot still counted")
	}
	if wait, err := f.Reserve(ctx, "acct:lee"); wait <= 0 || err != nil {
		t.Fatalf("sixth guess with Redis down: wait=%v err=%v; the lockout failed open", wait, err)
	}
	if !b.Degraded() || b.Fallbacks() < 7 {
		t.Fatalf("degraded=%v fallbacks=%d", b.Degraded(), b.Fallbacks())
	}
}
