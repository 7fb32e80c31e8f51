package redis

import (
	"context"
	"encoding/binary"
	"errors"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/passkeyd/passkeyd"
)

var _ passkeyd.TicketStore = (*Challenges)(nil)

// A ticket is stored as its expiry (8 bytes of Unix microseconds) then its value: the
// recorded instant decides, as for challenges, not Redis's coarser TTL.
func (c *Challenges) ticketKey(key string) string { return c.prefix + "ticket:" + key }

// PutTicket implements passkeyd.TicketStore.
func (c *Challenges) PutTicket(ctx context.Context, key string, value []byte, expiresAt time.Time) error {
	body := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(value)), uint64(expiresAt.UnixMicro()))
	body = append(body, value...)
	ttl := time.Until(expiresAt)
	if ttl < time.Second {
		ttl = time.Second
	}
	return mapErr(c.client.Set(ctx, c.ticketKey(key), body, ttl).Err())
}

// addTicket is SET NX, except that a value whose recorded expiry has passed (Redis may
// keep it up to a second longer, its TTL being rounded up) does not count as present.
// KEYS[1]: the key; ARGV: the body, its TTL in ms, now in Unix microseconds.
var addTicket = goredis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v and #v >= 8 then
  local exp = 0
  for i = 1, 8 do exp = exp * 256 + string.byte(v, i) end
  if exp > tonumber(ARGV[3]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`)

// AddTicket implements passkeyd.TicketStore with one script: the check and the write are
// atomic across every instance.
func (c *Challenges) AddTicket(ctx context.Context, key string, value []byte, now, expiresAt time.Time) (bool, error) {
	body := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(value)), uint64(expiresAt.UnixMicro()))
	body = append(body, value...)
	ttl := time.Until(expiresAt)
	if ttl < time.Second {
		ttl = time.Second
	}
	n, err := addTicket.Run(ctx, c.client, []string{c.ticketKey(key)}, body, ttl.Milliseconds(), now.UnixMicro()).Int()
	if err != nil {
		return false, mapErr(err)
	}
	return n == 1, nil
}

// Ticket implements passkeyd.TicketStore.
func (c *Challenges) Ticket(ctx context.Context, key string, now time.Time) ([]byte, error) {
	return ticketValue(c.client.Get(ctx, c.ticketKey(key)).Bytes())(now)
}

// TakeTicket implements passkeyd.TicketStore with GETDEL: of concurrent callers, on any
// instance, exactly one gets the value.
func (c *Challenges) TakeTicket(ctx context.Context, key string, now time.Time) ([]byte, error) {
	return ticketValue(c.client.GetDel(ctx, c.ticketKey(key)).Bytes())(now)
}

func ticketValue(body []byte, err error) func(time.Time) ([]byte, error) {
	return func(now time.Time) ([]byte, error) {
		if errors.Is(err, goredis.Nil) {
			return nil, passkeyd.ErrNotFound
		}
		if err != nil {
			return nil, mapErr(err)
		}
		if len(body) < 8 || !now.Before(time.UnixMicro(int64(binary.BigEndian.Uint64(body)))) {
			return nil, passkeyd.ErrNotFound
		}
		return body[8:], nil
	}
}
