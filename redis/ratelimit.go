package redis

import (
	"context"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// RateLimiter is a token bucket per key shared by every instance through Redis, so that a
// client cannot multiply its allowance by the number of instances behind the balancer.
type RateLimiter struct {
	client goredis.UniversalClient
	prefix string
	rate   float64
	burst  float64
}

// NewRateLimiter returns a limiter of rate tokens per second with the given burst, on the
// same connection as the challenge store c.
func (c *Challenges) NewRateLimiter(rate float64, burst int) *RateLimiter {
	return &RateLimiter{client: c.client, prefix: "passkeyd:ratelimit:", rate: rate, burst: float64(max(burst, 1))}
}

// takeToken refills the bucket for the time elapsed, takes one token if there is one, and
// returns {allowed, milliseconds until the next token}. Atomic in Redis; the time comes
// from Redis too, so instances with skewed clocks agree.
var takeToken = goredis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(b[1]), tonumber(b[2])
if tokens == nil then tokens, at = burst, now end
tokens = math.min(burst, tokens + (now - at) * rate / 1000)
local allowed, wait = 0, 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return {allowed, wait}
`)

// Allow takes a token for key.
func (l *RateLimiter) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	res, err := takeToken.Run(ctx, l.client, []string{l.prefix + key}, strconv.FormatFloat(l.rate, 'f', -1, 64), strconv.FormatFloat(l.burst, 'f', -1, 64)).Int64Slice()
	if err != nil {
		return true, 0, mapErr(err)
	}
	return res[0] == 1, time.Duration(res[1]) * time.Millisecond, nil
}
