package memory

import (
	"bytes"
	"context"
	"time"

	"github.com/passkeyd/passkeyd"
)

type ticket struct {
	value     []byte
	expiresAt time.Time
}

var _ passkeyd.TicketStore = (*Challenges)(nil)

// PutTicket implements passkeyd.TicketStore.
func (c *Challenges) PutTicket(ctx context.Context, key string, value []byte, expiresAt time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.tickets[key]; !ok && len(c.tickets) >= maxChallenges {
		return passkeyd.ErrUnavailable
	}
	c.tickets[key] = ticket{value: bytes.Clone(value), expiresAt: expiresAt}
	return nil
}

// Ticket implements passkeyd.TicketStore.
func (c *Challenges) Ticket(ctx context.Context, key string, now time.Time) ([]byte, error) {
	c.mu.Lock()
	t, ok := c.tickets[key]
	c.mu.Unlock()
	if !ok || !now.Before(t.expiresAt) {
		return nil, passkeyd.ErrNotFound
	}
	return bytes.Clone(t.value), nil
}

// TakeTicket implements passkeyd.TicketStore.
func (c *Challenges) TakeTicket(ctx context.Context, key string, now time.Time) ([]byte, error) {
	c.mu.Lock()
	t, ok := c.tickets[key]
	delete(c.tickets, key)
	c.mu.Unlock()
	if !ok || !now.Before(t.expiresAt) {
		return nil, passkeyd.ErrNotFound
	}
	return t.value, nil
}

// AddTicket implements passkeyd.TicketStore.
func (c *Challenges) AddTicket(ctx context.Context, key string, value []byte, now, expiresAt time.Time) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.tickets[key]
	if ok && now.Before(t.expiresAt) {
		return false, nil
	}
	if !ok && len(c.tickets) >= maxChallenges {
		return false, passkeyd.ErrUnavailable
	}
	c.tickets[key] = ticket{value: bytes.Clone(value), expiresAt: expiresAt}
	return true, nil
}
