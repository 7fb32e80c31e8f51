package memory

import (
	"bytes"
	"context"
	"time"

	"github.com/passkeyd/passkeyd"
)

type outboxRow struct {
	d          passkeyd.WebhookDelivery
	leaseToken string
	leaseUntil time.Time
	since      time.Time // the start of the age MaxAge limits: creation or the last retry
}

func cloneDelivery(d *passkeyd.WebhookDelivery) *passkeyd.WebhookDelivery {
	cp := *d
	cp.Body = bytes.Clone(d.Body)
	return &cp
}

// enqueue adds deliveries; s.mu is held.
func (s *Store) enqueue(ds []*passkeyd.WebhookDelivery) {
	for _, d := range ds {
		r := &outboxRow{d: *cloneDelivery(d), since: d.CreatedAt}
		r.d.State, r.d.Attempts = passkeyd.WebhookPending, 0
		if r.d.NextAttemptAt.IsZero() {
			r.d.NextAttemptAt = r.d.CreatedAt
		}
		s.outbox = append(s.outbox, r)
	}
}

func (s *Store) outboxRow(id string) *outboxRow {
	for _, r := range s.outbox {
		if r.d.ID == id {
			return r
		}
	}
	return nil
}

// LeaseWebhooks implements passkeyd.OutboxStore.
func (s *Store) LeaseWebhooks(ctx context.Context, token string, now time.Time, lease time.Duration, limit int) ([]*passkeyd.WebhookDelivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var due []*outboxRow
	for _, r := range s.outbox {
		if r.d.State == passkeyd.WebhookPending && !r.d.NextAttemptAt.After(now) && !r.leaseUntil.After(now) {
			due = append(due, r)
		}
	}
	// s.outbox is in creation order: oldest first, as the contract says.
	out := []*passkeyd.WebhookDelivery{}
	for _, r := range due {
		if len(out) == limit {
			break
		}
		r.leaseToken, r.leaseUntil = token, now.Add(lease)
		out = append(out, cloneDelivery(&r.d))
	}
	return out, nil
}

// MarkWebhookDelivered implements passkeyd.OutboxStore.
func (s *Store) MarkWebhookDelivered(ctx context.Context, id string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.outboxRow(id)
	if r == nil || r.d.State == passkeyd.WebhookDelivered {
		return passkeyd.ErrNotFound
	}
	r.d.State, r.d.DeliveredAt, r.leaseToken, r.leaseUntil = passkeyd.WebhookDelivered, at, "", time.Time{}
	return nil
}

// MarkWebhookFailed implements passkeyd.OutboxStore.
func (s *Store) MarkWebhookFailed(ctx context.Context, id, token string, f passkeyd.WebhookFailure) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.outboxRow(id)
	if r == nil || r.d.State != passkeyd.WebhookPending || r.leaseToken != token {
		return false, passkeyd.ErrNotFound
	}
	r.d.Attempts++
	r.d.NextAttemptAt, r.d.LastError, r.leaseToken, r.leaseUntil = f.NextAttempt, f.Error, "", time.Time{}
	if r.d.Attempts >= f.MaxAttempts || f.At.Sub(r.since) > f.MaxAge {
		r.d.State = passkeyd.WebhookDead
	}
	return r.d.State == passkeyd.WebhookDead, nil
}

// DeadWebhooks implements passkeyd.OutboxStore.
func (s *Store) DeadWebhooks(ctx context.Context, limit int) ([]*passkeyd.WebhookDelivery, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []*passkeyd.WebhookDelivery{}
	for _, r := range s.outbox {
		if r.d.State == passkeyd.WebhookDead && len(out) < limit {
			out = append(out, cloneDelivery(&r.d))
		}
	}
	return out, nil
}

// RetryWebhook implements passkeyd.OutboxStore.
func (s *Store) RetryWebhook(ctx context.Context, id string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.outboxRow(id)
	if r == nil || r.d.State != passkeyd.WebhookDead {
		return passkeyd.ErrNotFound
	}
	r.d.State, r.d.Attempts, r.d.NextAttemptAt, r.since = passkeyd.WebhookPending, 0, now, now
	return nil
}

// PruneWebhooks implements passkeyd.OutboxStore.
func (s *Store) PruneWebhooks(ctx context.Context, before time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.outbox[:0]
	n := 0
	for _, r := range s.outbox {
		if r.d.State == passkeyd.WebhookDelivered && r.d.DeliveredAt.Before(before) {
			n++
			continue
		}
		kept = append(kept, r)
	}
	clear(s.outbox[len(kept):])
	s.outbox = kept
	return n, nil
}

// OutboxStats implements passkeyd.OutboxStore.
func (s *Store) OutboxStats(ctx context.Context) (passkeyd.OutboxStats, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var st passkeyd.OutboxStats
	for _, r := range s.outbox {
		switch r.d.State {
		case passkeyd.WebhookPending:
			if st.Pending == 0 || r.d.CreatedAt.Before(st.OldestPending) {
				st.OldestPending = r.d.CreatedAt
			}
			st.Pending++
		case passkeyd.WebhookDead:
			st.Dead++
		}
	}
	return st, nil
}
