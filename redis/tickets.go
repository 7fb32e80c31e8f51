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
