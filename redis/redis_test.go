package redis_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/redis"
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
