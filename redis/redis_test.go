package redis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/redis"
	"github.com/passkeyd/passkeyd/storetest"
)

func testURL() string {
	if u := os.Getenv("PASSKEYD_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

func required() bool {
	v := os.Getenv("PASSKEYD_TEST_REQUIRE")
	return strings.Contains(v, "all") || strings.Contains(v, "redis")
}

func TestChallenges(t *testing.T) {
	opts, err := redis.ParseURL(testURL())
	if err != nil {
		t.Fatal(err)
	}
	client := goredis.NewUniversalClient(opts)
	defer client.Close()
	if err := client.Ping(context.Background()).Err(); err != nil {
		if required() {
			t.Fatalf("Redis unreachable at %s: %v", testURL(), err)
		}
		t.Skipf("Redis unreachable at %s (set PASSKEYD_TEST_REDIS_URL): %v", testURL(), err)
	}
	storetest.RunChallenges(t, func(t *testing.T) passkeyd.ChallengeStore {
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		return redis.New(client, "passkeyd-test:"+hex.EncodeToString(b)+":")
	})
}

func TestUnavailableIsCoded(t *testing.T) {
	c, err := redis.Open("redis://127.0.0.1:1/0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.ConsumeChallenge(context.Background(), []byte("x"), timeNow())
	if passkeyd.ErrorCode(err) != passkeyd.CodeUnavailable {
		t.Fatalf("unreachable Redis: %v, want unavailable", err)
	}
}

func TestParseURL(t *testing.T) {
	for raw, want := range map[string]string{
		"redis://:pw@cache:6380/2":                         "cache:6380 db=2 master= cluster=false",
		"redis-sentinel://s1:26379,s2:26379/mymaster?db=1": "s1:26379,s2:26379 db=1 master=mymaster cluster=false",
		"redis-cluster://n1:6379,n2:6379":                  "n1:6379,n2:6379 db=0 master= cluster=true",
	} {
		o, err := redis.ParseURL(raw)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		got := strings.Join(o.Addrs, ",") + " db=" + itoa(o.DB) + " master=" + o.MasterName + " cluster=" + boolStr(o.IsClusterMode)
		if got != want {
			t.Errorf("%s: %s, want %s", raw, got, want)
		}
	}
	for _, bad := range []string{"http://x", "redis-sentinel://s1:26379", "redis-sentinel://s1/m?db=x"} {
		if _, err := redis.ParseURL(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestSharedRateLimit(t *testing.T) {
	opts, _ := redis.ParseURL(testURL())
	client := goredis.NewUniversalClient(opts)
	defer client.Close()
	if err := client.Ping(context.Background()).Err(); err != nil {
		if required() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	// Two "instances" share the bucket.
	a := redis.New(client, "").NewRateLimiter(1, 3)
	b := redis.New(client, "").NewRateLimiter(1, 3)
	key := "test-" + strings.ReplaceAll(timeNow().Format("150405.000000000"), ".", "")
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
}

func TestSharedLockout(t *testing.T) {
	opts, _ := redis.ParseURL(testURL())
	client := goredis.NewUniversalClient(opts)
	defer client.Close()
	if err := client.Ping(context.Background()).Err(); err != nil {
		if required() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	ctx := context.Background()
	a, b := redis.New(client, "").NewLockouts(), redis.New(client, "").NewLockouts()
	key := "acct:test-" + strings.ReplaceAll(timeNow().Format("150405.000000000"), ".", "")
	defer client.Del(ctx, "passkeyd:lockout:"+key+":count", "passkeyd:lockout:"+key+":until")
	for i := 0; i < 4; i++ { // alternate instances: the failures add up
		l := a
		if i%2 == 1 {
			l = b
		}
		if err := l.Fail(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	if wait, _ := b.LockedFor(ctx, key); wait != 0 {
		t.Fatalf("locked after 4 failures (%v)", wait)
	}
	_ = a.Fail(ctx, key)
	if wait, err := b.LockedFor(ctx, key); err != nil || wait < 55*time.Second || wait > time.Minute {
		t.Fatalf("after 5 failures on two instances: locked for %v, %v; want about a minute", wait, err)
	}
	// Clear forgets failures (not the lock itself).
	other := key + "-2"
	_ = a.Fail(ctx, other)
	_ = a.Clear(ctx, other)
	for i := 0; i < 4; i++ {
		_ = b.Fail(ctx, other)
	}
	if wait, _ := a.LockedFor(ctx, other); wait != 0 {
		t.Fatal("a cleared failure still counted")
	}
}
