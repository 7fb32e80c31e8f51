package account

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/passkeyd/passkeyd"
)

// ClientInfo is who is on the other end of a request, for the audit log.
type ClientInfo struct {
	IP        string
	UserAgent string
}

type clientKey struct{}

// WithClient returns ctx carrying the request's client, which audit events record.
func WithClient(ctx context.Context, c ClientInfo) context.Context {
	if len(c.UserAgent) > 256 {
		c.UserAgent = c.UserAgent[:256]
	}
	return context.WithValue(ctx, clientKey{}, c)
}

// auditWriter writes audit events in the background, so that the log costs a sign-in no
// extra durable commit on its path (the store batches queued writes into shared commits).
// A full queue makes the caller write synchronously: events are never dropped. Several
// writers drain the queue, because one commit at a time (a synchronous standby's round
// trip each) fell behind under load and left thousands of events to write at shutdown,
// past the stop timeout. A flush is a barrier (see flushAudit).
type auditItem struct {
	e        *passkeyd.AuditEvent
	webhooks []*passkeyd.WebhookDelivery
	flush    *auditBarrier
}

// auditWriters is how many events are written at once.
const auditWriters = 4

// auditBarrier holds each writer that reaches it until all have: by then every event
// queued before the barrier has been written.
type auditBarrier struct {
	arrived sync.WaitGroup
	release chan struct{}
}

func (s *Service) runAuditWriter() {
	for it := range s.auditQ {
		if it.flush != nil {
			it.flush.arrived.Done()
			<-it.flush.release
			continue
		}
		s.writeEvent(it.e, it.webhooks)
	}
}

func (s *Service) writeEvent(e *passkeyd.AuditEvent, webhooks []*passkeyd.WebhookDelivery) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.store.RecordEvent(ctx, e, webhooks...); err != nil {
		s.log.Warn("audit event not recorded", "type", e.Type, "err", err)
	}
}

// flushAudit waits until every event queued so far is written: one barrier item per
// writer, and a writer that took one takes nothing else until every writer has one, so
// each of them has finished what it took before.
func (s *Service) flushAudit() {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	b := &auditBarrier{release: make(chan struct{})}
	b.arrived.Add(auditWriters)
	for i := 0; i < auditWriters; i++ {
		s.auditQ <- auditItem{flush: b}
	}
	b.arrived.Wait()
	close(b.release)
}

// Close writes the queued audit events and stops the writer.
func (s *Service) Close() {
	s.closeOnce.Do(func() {
		s.flushAudit()
		close(s.auditQ)
	})
}

// audit records one event. The audit log must not turn a sign-in that succeeded into a
// failure, so a failed write is logged and otherwise ignored.
func (s *Service) audit(ctx context.Context, userID, typ, method string, credID []byte, cause error) {
	e, webhooks := s.newEvent(ctx, userID, typ, method, credID, cause)
	s.emitted(e)
	if len(webhooks) > 0 && !signInAttempts[typ] {
		// A change to the account (a passkey added, a password changed, sessions revoked)
		// is rare and its webhook is what tells the apps: it is durable before the client
		// hears of the change, at the cost of one commit. Sign-in attempts stay in the
		// background, where they cost the sign-in nothing (see docs/webhooks.md).
		s.writeEvent(e, webhooks)
		return
	}
	select {
	case s.auditQ <- auditItem{e: e, webhooks: webhooks}:
	default:
		s.writeEvent(e, webhooks)
	}
}

// newEvent builds an audit event and the webhook deliveries it causes, without recording
// it: a successful sign-in writes its event in the sign-in's own transaction.
func (s *Service) newEvent(ctx context.Context, userID, typ, method string, credID []byte, cause error) (*passkeyd.AuditEvent, []*passkeyd.WebhookDelivery) {
	c, _ := ctx.Value(clientKey{}).(ClientInfo)
	now := s.Now().UTC()
	e := &passkeyd.AuditEvent{
		ID: orderedID(now), UserID: userID, Type: typ, Method: method, CredentialID: credID,
		IP: c.IP, UserAgent: c.UserAgent, Outcome: "success", At: now,
	}
	if cause != nil {
		var mfa *MFARequired
		if errors.As(cause, &mfa) {
			e.Outcome, e.Reason = "second_factor_required", string(passkeyd.CodeMFARequired)
		} else {
			e.Outcome, e.Reason = "failure", string(passkeyd.ErrorCode(cause))
		}
	}
	var webhooks []*passkeyd.WebhookDelivery
	if s.cfg.Webhooks != nil {
		webhooks = s.cfg.Webhooks(e)
	}
	return e, webhooks
}

// emitted tells OnEvent (the metrics) about an event that happened.
func (s *Service) emitted(e *passkeyd.AuditEvent) {
	if s.cfg.OnEvent != nil {
		s.cfg.OnEvent(e)
	}
}

// signInAttempts are the audit types written on the sign-in path.
var signInAttempts = map[string]bool{
	"sign_in": true, "sign_in_failed": true, "second_factor_failed": true,
	"sign_in_clone_warning": true, "counter_regression": true,
}

// auditAnonymous records an event of a deleted account: kept for operators, without the
// client's IP and user agent.
func (s *Service) auditAnonymous(ctx context.Context, userID, typ string) {
	s.audit(context.WithValue(ctx, clientKey{}, ClientInfo{}), userID, typ, "", nil, nil)
}

// Activity returns the user's recent audit events, newest first.
func (s *Service) Activity(ctx context.Context, userID string) ([]*passkeyd.AuditEvent, error) {
	s.flushAudit() // the user's own latest actions belong in their activity
	return s.store.Events(ctx, userID, 50)
}
