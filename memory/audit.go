package memory

import (
	"bytes"
	"context"
	"fmt"

	"github.com/passkeyd/passkeyd"
)

// RecordEvent implements passkeyd.AuditStore.
func (s *Store) RecordEvent(ctx context.Context, e *passkeyd.AuditEvent, webhooks ...*passkeyd.WebhookDelivery) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkDeliveries(webhooks); err != nil {
		return err
	}
	s.recordEvent(e, webhooks)
	return nil
}

// checkDeliveries refuses delivery ids that exist, as a UNIQUE constraint would in SQL.
func (s *Store) checkDeliveries(webhooks []*passkeyd.WebhookDelivery) error {
	for _, d := range webhooks {
		if s.outboxRow(d.ID) != nil {
			return fmt.Errorf("memory: webhook delivery %s exists", d.ID)
		}
	}
	return nil
}

// recordEvent stores e and its deliveries; s.mu is held.
func (s *Store) recordEvent(e *passkeyd.AuditEvent, webhooks []*passkeyd.WebhookDelivery) {
	cp := *e
	cp.CredentialID = bytes.Clone(e.CredentialID)
	s.events = append(s.events, &cp)
	s.enqueue(webhooks)
}

// Events implements passkeyd.AuditStore.
func (s *Store) Events(ctx context.Context, userID string, limit int) ([]*passkeyd.AuditEvent, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []*passkeyd.AuditEvent{}
	for i := len(s.events) - 1; i >= 0 && len(out) < limit; i-- {
		if e := s.events[i]; e.UserID == userID {
			cp := *e
			cp.CredentialID = bytes.Clone(e.CredentialID)
			out = append(out, &cp)
		}
	}
	return out, nil
}
