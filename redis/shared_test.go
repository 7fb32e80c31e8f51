package redis_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/redis"
	"github.com/passkeyd/passkeyd/storetest"
)

// TestChallenges: the shared challenge-store suite on a single node, Sentinel and Cluster.
func TestChallenges(t *testing.T) {
	forEachTopology(t, func(t *testing.T, _ *redis.Challenges, client goredis.UniversalClient) {
		storetest.RunChallenges(t, func(t *testing.T) passkeyd.ChallengeStore {
			return redis.New(client, randomPrefix("challenge"))
		})
	})
}

// TestTickets: the shared ticket-store suite (OpenID authorization requests and codes).
func TestTickets(t *testing.T) {
	forEachTopology(t, func(t *testing.T, _ *redis.Challenges, client goredis.UniversalClient) {
		storetest.RunTickets(t, func(t *testing.T) passkeyd.TicketStore {
			return redis.New(client, randomPrefix("ticket"))
		})
	})
}

// TestSharedRateLimit: two "instances" draw from one bucket.
func TestSharedRateLimit(t *testing.T) {
	forEachTopology(t, func(t *testing.T, c *redis.Challenges, client goredis.UniversalClient) {
		a := redis.New(client, "").NewRateLimiter(1, 3)
		b := redis.New(client, "").NewRateLimiter(1, 3)
		key := randomPrefix("ip")
		allowed := 0
		for i := 0; i < 6; i++ {
			l := a
			if i%2 == 1 {
				l = b
			}
			ok, wait, err := l.Allow(context.Background(), key)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				allowed++
			} else if wait <= 0 || wait > 1100*time.Millisecond {
				t.Fatalf("wait %v", wait)
			}
		}
		if allowed != 3 {
			t.Fatalf("%d of 6 allowed across two instances with burst 3, want 3", allowed)
		}
	})
}

func lockouts(c *redis.Challenges, prefix string) *redis.Lockouts {
	return c.NewLockouts().WithPrefix(prefix)
}

// TestSharedLockout: failures reserved on two instances add up to a lock of about a minute;
// Succeed forgets failures; Release gives a slot back.
func TestSharedLockout(t *testing.T) {
	ctx := context.Background()
	forEachTopology(t, func(t *testing.T, c *redis.Challenges, client goredis.UniversalClient) {
		prefix := randomPrefix("lockout")
		a, b := lockouts(c, prefix), lockouts(redis.New(client, ""), prefix)
		reserve := func(l *redis.Lockouts, key string) time.Duration {
			t.Helper()
			wait, err := l.Reserve(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			return wait
		}
		key := "acct:alice"
		for i := 0; i < 5; i++ { // alternate instances: the failures add up
			l := a
			if i%2 == 1 {
				l = b
			}
			if wait := reserve(l, key); wait != 0 {
				t.Fatalf("guess %d refused (%v)", i+1, wait)
			}
		}
		if wait := reserve(b, key); wait < 55*time.Second || wait > time.Minute {
			t.Fatalf("after 5 failures on two instances: locked for %v; want about a minute", wait)
		}

		// Succeed forgets the failures.
		other := "acct:bob"
		reserve(a, other)
		if err := a.Succeed(ctx, other); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 4; i++ {
			reserve(b, other)
		}
		// Release gives a slot back: the fifth slot locks provisionally, its release
		// lifts the lock again.
		reserve(b, other)
		if err := b.Release(ctx, other); err != nil {
			t.Fatal(err)
		}
		if wait := reserve(a, other); wait != 0 {
			t.Fatalf("a released slot still counted (locked %v)", wait)
		}
		// A right guess in the batch that set the lock lifts it, and the next lockout is
		// still the first one's length.
		if err := a.Succeed(ctx, other); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			reserve(a, other)
		}
		if wait := reserve(a, other); wait < 55*time.Second || wait > time.Minute {
			t.Fatalf("locked for %v after a lifted provisional lock; want the first pause", wait)
		}
		// Braces in a key do not split its Redis keys across cluster slots.
		for i := 0; i < 6; i++ {
			reserve(a, "acct:{x}y}")
		}
	})
}

// TestLockoutIsAtomic: of 40 simultaneous guesses for one account, on two instances, exactly
// MaxFailures (5) get a slot; the other 35 are refused as locked.
func TestLockoutIsAtomic(t *testing.T) {
	forEachTopology(t, func(t *testing.T, c *redis.Challenges, client goredis.UniversalClient) {
		prefix := randomPrefix("lockout")
		insts := []*redis.Lockouts{lockouts(c, prefix), lockouts(redis.New(client, ""), prefix)}
		var granted, refused atomic.Int32
		var wg sync.WaitGroup
		startLine := make(chan struct{})
		for i := 0; i < 40; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-startLine
				wait, err := insts[i%2].Reserve(context.Background(), "acct:carol")
				switch {
				case err != nil:
					t.Error(err)
				case wait > 0:
					refused.Add(1)
				default:
					granted.Add(1)
				}
			}()
		}
		close(startLine)
		wg.Wait()
		if granted.Load() != 5 || refused.Load() != 35 {
			t.Fatalf("%d guesses evaluated, %d refused; want 5 and 35", granted.Load(), refused.Load())
		}
	})
}
