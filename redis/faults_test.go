package redis_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/internal/faultnet"
	"github.com/passkeyd/passkeyd/redis"
)

// TestConnectionFaults: a faultnet proxy between the challenge store and the real Redis
// resets every connection, stalls (forwards nothing) and refuses. Each fault is
// unavailable (503 to clients, never a wrong verdict; a reset may also be retried away by
// go-redis) and, with a 300 ms timeout, arrives within a small multiple of it — dials
// included.
func TestConnectionFaults(t *testing.T) {
	u, err := url.Parse(testURL())
	if err != nil {
		t.Fatal(err)
	}
	proxy, err := faultnet.Listen(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	target := u.Host
	u.Host = proxy.Addr()
	const timeout = 300 * time.Millisecond
	c, err := redis.OpenTimeout(u.String(), timeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if err := c.Ping(ctx); err != nil {
		if required() {
			t.Fatalf("Redis unreachable at %s: %v", target, err)
		}
		t.Skipf("Redis unreachable at %s: %v", target, err)
	}
	put := func() error {
		return c.PutChallenge(ctx, &passkeyd.Challenge{Value: []byte(randomPrefix("fault")), Ceremony: passkeyd.CeremonyAuthentication, ExpiresAt: time.Now().Add(time.Minute), IssuedAt: time.Now()})
	}
	for _, f := range []struct {
		name        string
		start, stop func()
	}{
		{"reset", func() { proxy.Stall(true) }, func() {}}, // the command is held, then its connection reset
		{"stall", func() { proxy.Stall(true) }, func() { proxy.Stall(false) }},
		{"refused", func() { proxy.Refuse(true); proxy.Reset() }, func() { proxy.Refuse(false) }},
	} {
		t.Run(f.name, func(t *testing.T) {
			f.start()
			if f.name == "reset" {
				go func() { time.Sleep(100 * time.Millisecond); proxy.Reset(); proxy.Stall(false) }()
			}
			began := time.Now()
			err := put()
			took := time.Since(began)
			f.stop()
			// go-redis retries a command whose connection was reset on a new one, so a
			// reset may go unnoticed; anything else must be unavailable.
			if (err != nil || f.name != "reset") && passkeyd.ErrorCode(err) != passkeyd.CodeUnavailable {
				t.Fatalf("PutChallenge during %s: %v (code %s), want unavailable", f.name, err, passkeyd.ErrorCode(err))
			}
			if took > 4*timeout {
				t.Fatalf("%s took %v to fail with a %v timeout", f.name, took, timeout)
			}
			proxy.Reset()
			deadline := time.Now().Add(5 * time.Second)
			for put() != nil {
				if time.Now().After(deadline) {
					t.Fatalf("no recovery after %s", f.name)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

// TestLatency: answers slower than the timeout fail unavailable within a small multiple of
// it; answers slower than usual but within it succeed (the 2 s Redis of the fault test's
// redis_latency drill, scaled down).
func TestLatency(t *testing.T) {
	u, err := url.Parse(testURL())
	if err != nil {
		t.Fatal(err)
	}
	proxy, err := faultnet.Listen(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	target := u.Host
	u.Host = proxy.Addr()
	const timeout = 300 * time.Millisecond
	c, err := redis.OpenTimeout(u.String(), timeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if err := c.Ping(ctx); err != nil {
		if required() {
			t.Fatalf("Redis unreachable at %s: %v", target, err)
		}
		t.Skipf("Redis unreachable at %s: %v", target, err)
	}
	put := func() error {
		return c.PutChallenge(ctx, &passkeyd.Challenge{Value: []byte(randomPrefix("latency")), Ceremony: passkeyd.CeremonyAuthentication, ExpiresAt: time.Now().Add(time.Minute), IssuedAt: time.Now()})
	}
	proxy.Latency(2 * timeout)
	began := time.Now()
	err = put()
	took := time.Since(began)
	if passkeyd.ErrorCode(err) != passkeyd.CodeUnavailable {
		t.Fatalf("PutChallenge with answers %v late: %v (code %s), want unavailable", 2*timeout, err, passkeyd.ErrorCode(err))
	}
	if took > 4*timeout {
		t.Fatalf("took %v to fail with a %v timeout", took, timeout)
	}
	proxy.Latency(timeout / 3)
	proxy.Reset() // the timed-out connections are discarded by go-redis anyway
	time.Sleep(3 * timeout)
	began = time.Now()
	if err := put(); err != nil {
		t.Fatalf("PutChallenge with answers %v late and a %v timeout: %v", timeout/3, timeout, err)
	}
	if took := time.Since(began); took < timeout/3 {
		t.Fatalf("answered in %v: the latency was not applied", took)
	}
}
