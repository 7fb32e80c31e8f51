package account

import (
	"context"
	"errors"

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

// audit records one event. The audit log must not turn a sign-in that succeeded into a
// failure, so a failed write is logged and otherwise ignored.
func (s *Service) audit(ctx context.Context, userID, typ, method string, credID []byte, cause error) {
	c, _ := ctx.Value(clientKey{}).(ClientInfo)
	e := &passkeyd.AuditEvent{
		ID: randomID(12), UserID: userID, Type: typ, Method: method, CredentialID: credID,
		IP: c.IP, UserAgent: c.UserAgent, Outcome: "success", At: s.Now().UTC(),
	}
	if cause != nil {
		var mfa *MFARequired
		if errors.As(cause, &mfa) {
			e.Outcome, e.Reason = "second_factor_required", string(passkeyd.CodeMFARequired)
		} else {
			e.Outcome, e.Reason = "failure", string(passkeyd.ErrorCode(cause))
		}
	}
	if err := s.store.RecordEvent(context.WithoutCancel(ctx), e); err != nil {
		s.log.WarnContext(ctx, "audit event not recorded", "type", typ, "err", err)
	}
}

// Activity returns the user's recent audit events, newest first.
func (s *Service) Activity(ctx context.Context, userID string) ([]*passkeyd.AuditEvent, error) {
	return s.store.Events(ctx, userID, 50)
}
