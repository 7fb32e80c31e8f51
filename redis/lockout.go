package redis

import (
	"context"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Lockouts keeps the account lockout's failures in Redis, so that every instance counts the
// same failures: N instances must not allow N times the guesses. It implements
// account.LockoutStore with the same policy as account.Lockout.
type Lockouts struct {
	client      goredis.UniversalClient
	prefix      string
	maxFailures int
	window      time.Duration
	firstPause  time.Duration
	maxPause    time.Duration
}

// NewLockouts returns the default policy (5 failures in 15 minutes lock for 1 minute,
// doubling up to an hour) on c's connection.
func (c *Challenges) NewLockouts() *Lockouts {
	return &Lockouts{client: c.client, prefix: "passkeyd:lockout:", maxFailures: 5, window: 15 * time.Minute, firstPause: time.Minute, maxPause: time.Hour}
}

// LockedFor implements account.LockoutStore.
func (l *Lockouts) LockedFor(ctx context.Context, key string) (time.Duration, error) {
	ms, err := l.client.PTTL(ctx, l.prefix+key+":until").Result()
	if err != nil {
		return 0, mapErr(err)
	}
	if ms <= 0 {
		return 0, nil
	}
	return ms, nil
}

// recordFailure adds a failure at Redis's clock, drops those older than the window, and
// when there are too many locks the key for a pause that doubles with each lockout.
var recordFailure = goredis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window, maxf = tonumber(ARGV[1]), tonumber(ARGV[2])
local first, maxp = tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZADD', KEYS[1], now, now)
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, now - window * 1000)
redis.call('PEXPIRE', KEYS[1], window)
if redis.call('ZCARD', KEYS[1]) >= maxf then
  local n = redis.call('INCR', KEYS[2])
  redis.call('PEXPIRE', KEYS[2], maxp * 24)
  local pause = first * (2 ^ math.min(n - 1, 16))
  if pause > maxp then pause = maxp end
  redis.call('SET', KEYS[3], '1', 'PX', pause)
  redis.call('DEL', KEYS[1])
end
return 0
`)

// Fail implements account.LockoutStore.
func (l *Lockouts) Fail(ctx context.Context, key string) error {
	k := l.prefix + key
	return mapErr(recordFailure.Run(ctx, l.client, []string{k + ":fails", k + ":count", k + ":until"},
		strconv.FormatInt(l.window.Milliseconds(), 10), strconv.Itoa(l.maxFailures),
		strconv.FormatInt(l.firstPause.Milliseconds(), 10), strconv.FormatInt(l.maxPause.Milliseconds(), 10)).Err())
}

// Clear implements account.LockoutStore.
func (l *Lockouts) Clear(ctx context.Context, key string) error {
	return mapErr(l.client.Del(ctx, l.prefix+key+":fails").Err())
}
