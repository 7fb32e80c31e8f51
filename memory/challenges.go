// Package memory implements passkeyd's stores in process memory: the default challenge
// store of a single instance, and a full store for tests.
package memory

import (
	"context"
	"sync"
	"time"

	"github.com/passkeyd/passkeyd"
)

// maxChallenges bounds memory use: an attacker can ask for options as fast as rate limits
// allow, and each stays until it expires.
const maxChallenges = 1_000_000

// Challenges is an in-process ChallengeStore. Consume is atomic under one mutex; expired
// challenges are swept every minute.
type Challenges struct {
	mu sync.Mutex
	m  map[string]*passkeyd.Challenge
	// tickets are the TicketStore's values, bounded and swept with the challenges.
	tickets map[string]ticket
	stop    chan struct{}
	once    sync.Once
}

// NewChallenges returns an empty store with its sweeper running; Close stops it.
func NewChallenges() *Challenges {
	c := &Challenges{m: make(map[string]*passkeyd.Challenge), tickets: map[string]ticket{}, stop: make(chan struct{})}
	go c.sweep(time.Minute)
	return c
}

// PutChallenge stores a copy of ch.
func (c *Challenges) PutChallenge(ctx context.Context, ch *passkeyd.Challenge) error {
	cp := cloneChallenge(ch)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxChallenges {
		return passkeyd.ErrUnavailable
	}
	c.m[string(ch.Value)] = cp
	return nil
}

// ConsumeChallenge removes and returns the challenge with that value.
func (c *Challenges) ConsumeChallenge(ctx context.Context, value []byte, now time.Time) (*passkeyd.Challenge, error) {
	c.mu.Lock()
	ch, ok := c.m[string(value)]
	if ok {
		delete(c.m, string(value))
	}
	c.mu.Unlock()
	if !ok || !now.Before(ch.ExpiresAt) {
		return nil, passkeyd.ErrNotFound
	}
	return ch, nil
}

// Close stops the sweeper.
func (c *Challenges) Close() error {
	c.once.Do(func() { close(c.stop) })
	return nil
}

func (c *Challenges) sweep(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case now := <-t.C:
			c.mu.Lock()
			for k, ch := range c.m {
				if !now.Before(ch.ExpiresAt) {
					delete(c.m, k)
				}
			}
			for k, t := range c.tickets {
				if !now.Before(t.expiresAt) {
					delete(c.tickets, k)
				}
			}
			c.mu.Unlock()
		}
	}
}

func cloneChallenge(ch *passkeyd.Challenge) *passkeyd.Challenge {
	cp := *ch
	cp.Value = append([]byte(nil), ch.Value...)
	if ch.NewUser != nil {
		u := cloneUser(ch.NewUser)
		cp.NewUser = u
	}
	return &cp
}
