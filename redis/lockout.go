package redis

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Lockouts keeps the account lockout's failures in Redis, so that every instance counts the
// same failures: N instances must not allow N times the guesses. It implements
// account.LockoutStore with the same policy as account.Lockout: each step is one script, so
// the check and the count of a guess are atomic across every instance.
//
// A key's two Redis keys share a hash tag, so that on Redis Cluster they live in one slot
// (a script over keys of several slots is refused with CROSSSLOT).
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

// WithPrefix returns a copy of l whose keys start with prefix (tests keep apart that way).
func (l *Lockouts) WithPrefix(prefix string) *Lockouts {
	c := *l
	c.prefix = prefix
	return &c
}

// WithPolicy returns a copy of l with another policy (the OpenID provider's client lockout
// is milder than the account one).
func (l *Lockouts) WithPolicy(maxFailures int, window, firstPause, maxPause time.Duration) *Lockouts {
	c := *l
	c.maxFailures, c.window, c.firstPause, c.maxPause = maxFailures, window, firstPause, maxPause
	return &c
}

// keys are the sorted set of reserved slots (scored by Redis time) and the hash of the
// lockout state (n: lockouts so far, until: end of the pause, seq: slot numbers).
func (l *Lockouts) keys(key string) []string {
	k := l.prefix + hashTag(key)
	return []string{k + ":fails", k + ":state"}
}

// hashTag wraps key in braces so that every Redis key made from it hashes to one cluster
// slot. A key that has braces of its own would end the tag early, or empty it (then Redis
// hashes the whole name and the keys part); such a key is tagged by its digest instead.
func hashTag(key string) string {
	if strings.ContainsAny(key, "{}") || key == "" {
		sum := sha256.Sum256([]byte(key))
		key = "h:" + hex.EncodeToString(sum[:16])
	}
	return "{" + key + "}"
}

// The scripts read the clock from Redis (milliseconds), so instances with skewed clocks
// agree. ARGV: window, max failures, first pause, max pause (ms).
const lockoutPrelude = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window, maxf = tonumber(ARGV[1]), tonumber(ARGV[2])
local first, maxp = tonumber(ARGV[3]), tonumber(ARGV[4])
local locked = tonumber(redis.call('HGET', KEYS[2], 'until') or '0')
local function unlock()
  if now < locked then
    redis.call('HDEL', KEYS[2], 'until')
    if tonumber(redis.call('HGET', KEYS[2], 'n') or '0') > 0 then redis.call('HINCRBY', KEYS[2], 'n', -1) end
  end
end
`

// reserve: refuse while locked (returning the milliseconds left); else count one slot, and
// lock when that makes MaxFailures. After a pause its batch no longer counts.
var reserve = goredis.NewScript(lockoutPrelude + `
if now < locked then return locked - now end
if locked > 0 then
  redis.call('DEL', KEYS[1])
  redis.call('HDEL', KEYS[2], 'until')
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local seq = redis.call('HINCRBY', KEYS[2], 'seq', 1)
redis.call('ZADD', KEYS[1], now, now .. ':' .. seq)
redis.call('PEXPIRE', KEYS[1], window)
if redis.call('ZCARD', KEYS[1]) >= maxf then
  local n = redis.call('HINCRBY', KEYS[2], 'n', 1)
  local pause = first * (2 ^ math.min(n - 1, 16))
  if pause > maxp then pause = maxp end
  redis.call('HSET', KEYS[2], 'until', tostring(math.floor(now + pause)))
end
redis.call('PEXPIRE', KEYS[2], maxp * 24)
return 0
`)

// release: give back the newest slot; a lock that slot's batch set is lifted when the batch
// no longer reaches MaxFailures.
var release = goredis.NewScript(lockoutPrelude + `
local popped = redis.call('ZPOPMAX', KEYS[1])
if #popped > 0 and redis.call('ZCARD', KEYS[1]) < maxf then unlock() end
return 0
`)

// succeed: forget the failures, and lift a lock set by the right guess's own batch.
var succeed = goredis.NewScript(lockoutPrelude + `
redis.call('DEL', KEYS[1])
unlock()
return 0
`)

func (l *Lockouts) run(ctx context.Context, s *goredis.Script, key string) (int64, error) {
	n, err := s.Run(ctx, l.client, l.keys(key),
		strconv.FormatInt(l.window.Milliseconds(), 10), strconv.Itoa(l.maxFailures),
		strconv.FormatInt(l.firstPause.Milliseconds(), 10), strconv.FormatInt(l.maxPause.Milliseconds(), 10)).Int64()
	return n, mapErr(err)
}

// Reserve implements account.LockoutStore.
func (l *Lockouts) Reserve(ctx context.Context, key string) (time.Duration, error) {
	ms, err := l.run(ctx, reserve, key)
	if err != nil {
		return 0, err
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// Succeed implements account.LockoutStore.
func (l *Lockouts) Succeed(ctx context.Context, key string) error {
	_, err := l.run(ctx, succeed, key)
	return err
}

// Release implements account.LockoutStore. Slots are not named, so it gives back the newest:
// the count is what matters, not which guess held it.
func (l *Lockouts) Release(ctx context.Context, key string) error {
	_, err := l.run(ctx, release, key)
	return err
}
