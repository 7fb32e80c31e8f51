// Wrappers for every store method, one per method of the interfaces in store.go (see
// instrument.go). Ping and Close are in instrument.go.

package instrument

import (
	"context"
	"time"

	"github.com/passkeyd/passkeyd"
)

// CreateAccount calls the wrapped store inside a span and a latency observation.
func (w *Store) CreateAccount(ctx context.Context, a passkeyd.NewAccount) (err error) {
	ctx, end := w.start(ctx, "CreateAccount")
	defer func(t time.Time) { end(t, err) }(time.Now())
	err = w.next.CreateAccount(ctx, a)
	return
}

// UserByID calls the wrapped store inside a span and a latency observation.
func (w *Store) UserByID(ctx context.Context, id string) (v0 *passkeyd.User, err error) {
	ctx, end := w.start(ctx, "UserByID")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.UserByID(ctx, id)
	return
}

// UserByUsername calls the wrapped store inside a span and a latency observation.
func (w *Store) UserByUsername(ctx context.Context, usernameKey string) (v0 *passkeyd.User, err error) {
	ctx, end := w.start(ctx, "UserByUsername")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.UserByUsername(ctx, usernameKey)
	return
}

// UserByHandle calls the wrapped store inside a span and a latency observation.
func (w *Store) UserByHandle(ctx context.Context, handle []byte) (v0 *passkeyd.User, err error) {
	ctx, end := w.start(ctx, "UserByHandle")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.UserByHandle(ctx, handle)
	return
}

// SetPasswordHash calls the wrapped store inside a span and a latency observation.
func (w *Store) SetPasswordHash(ctx context.Context, userID, hash string) (err error) {
	ctx, end := w.start(ctx, "SetPasswordHash")
	defer func(t time.Time) { end(t, err) }(time.Now())
	err = w.next.SetPasswordHash(ctx, userID, hash)
	return
}

// AddPasskey calls the wrapped store inside a span and a latency observation.
func (w *Store) AddPasskey(ctx context.Context, p *passkeyd.Passkey) (err error) {
	ctx, end := w.start(ctx, "AddPasskey")
	defer func(t time.Time) { end(t, err) }(time.Now())
	err = w.next.AddPasskey(ctx, p)
	return
}

// Passkey calls the wrapped store inside a span and a latency observation.
func (w *Store) Passkey(ctx context.Context, id []byte) (v0 *passkeyd.Passkey, err error) {
	ctx, end := w.start(ctx, "Passkey")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.Passkey(ctx, id)
	return
}

// Passkeys calls the wrapped store inside a span and a latency observation.
func (w *Store) Passkeys(ctx context.Context, userID string) (v0 []*passkeyd.Passkey, err error) {
	ctx, end := w.start(ctx, "Passkeys")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.Passkeys(ctx, userID)
	return
}

// RecordLogin calls the wrapped store inside a span and a latency observation.
func (w *Store) RecordLogin(ctx context.Context, id []byte, use passkeyd.PasskeyUse, s *passkeyd.Session, e *passkeyd.AuditEvent, webhooks ...*passkeyd.WebhookDelivery) (err error) {
	ctx, end := w.start(ctx, "RecordLogin")
	defer func(t time.Time) { end(t, err) }(time.Now())
	err = w.next.RecordLogin(ctx, id, use, s, e, webhooks...)
	return
}

// SetCloneWarning calls the wrapped store inside a span and a latency observation.
func (w *Store) SetCloneWarning(ctx context.Context, id []byte, flagged bool) (err error) {
	ctx, end := w.start(ctx, "SetCloneWarning")
	defer func(t time.Time) { end(t, err) }(time.Now())
	err = w.next.SetCloneWarning(ctx, id, flagged)
	return
}

// RenamePasskey calls the wrapped store inside a span and a latency observation.
func (w *Store) RenamePasskey(ctx context.Context, userID string, id []byte, name string) (v0 *passkeyd.Passkey, err error) {
	ctx, end := w.start(ctx, "RenamePasskey")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.RenamePasskey(ctx, userID, id, name)
	return
}

// DeletePasskey calls the wrapped store inside a span and a latency observation.
func (w *Store) DeletePasskey(ctx context.Context, userID string, id []byte) (err error) {
	ctx, end := w.start(ctx, "DeletePasskey")
	defer func(t time.Time) { end(t, err) }(time.Now())
	err = w.next.DeletePasskey(ctx, userID, id)
	return
}

// RevokePasskey calls the wrapped store inside a span and a latency observation.
func (w *Store) RevokePasskey(ctx context.Context, userID string, id []byte) (err error) {
	ctx, end := w.start(ctx, "RevokePasskey")
	defer func(t time.Time) { end(t, err) }(time.Now())
	err = w.next.RevokePasskey(ctx, userID, id)
	return
}

// CreateSession calls the wrapped store inside a span and a latency observation.
func (w *Store) CreateSession(ctx context.Context, s *passkeyd.Session) (err error) {
	ctx, end := w.start(ctx, "CreateSession")
	defer func(t time.Time) { end(t, err) }(time.Now())
	err = w.next.CreateSession(ctx, s)
	return
}

// SessionByTokenHash calls the wrapped store inside a span and a latency observation.
func (w *Store) SessionByTokenHash(ctx context.Context, tokenHash []byte, now time.Time) (v0 *passkeyd.Session, err error) {
	ctx, end := w.start(ctx, "SessionByTokenHash")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.SessionByTokenHash(ctx, tokenHash, now)
	return
}

// DeleteSession calls the wrapped store inside a span and a latency observation.
func (w *Store) DeleteSession(ctx context.Context, id string) (err error) {
	ctx, end := w.start(ctx, "DeleteSession")
	defer func(t time.Time) { end(t, err) }(time.Now())
	err = w.next.DeleteSession(ctx, id)
	return
}

// DeleteExpiredSessions calls the wrapped store inside a span and a latency observation.
func (w *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (v0 int, err error) {
	ctx, end := w.start(ctx, "DeleteExpiredSessions")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.DeleteExpiredSessions(ctx, now)
	return
}

// DeleteUserSessions calls the wrapped store inside a span and a latency observation.
func (w *Store) DeleteUserSessions(ctx context.Context, userID string) (v0 int, err error) {
	ctx, end := w.start(ctx, "DeleteUserSessions")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.DeleteUserSessions(ctx, userID)
	return
}

// PutChallenge calls the wrapped store inside a span and a latency observation.
func (w *Challenges) PutChallenge(ctx context.Context, c *passkeyd.Challenge) (err error) {
	ctx, end := w.start(ctx, "PutChallenge")
	defer func(t time.Time) { end(t, err) }(time.Now())
	err = w.next.PutChallenge(ctx, c)
	return
}

// ConsumeChallenge calls the wrapped store inside a span and a latency observation.
func (w *Challenges) ConsumeChallenge(ctx context.Context, value []byte, now time.Time) (v0 *passkeyd.Challenge, err error) {
	ctx, end := w.start(ctx, "ConsumeChallenge")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.ConsumeChallenge(ctx, value, now)
	return
}

// ReplaceRecoveryCodes calls the wrapped store inside a span and a latency observation.
func (w *Store) ReplaceRecoveryCodes(ctx context.Context, userID string, hashes [][]byte) (err error) {
	ctx, end := w.start(ctx, "ReplaceRecoveryCodes")
	defer func(t time.Time) { end(t, err) }(time.Now())
	err = w.next.ReplaceRecoveryCodes(ctx, userID, hashes)
	return
}

// UseRecoveryCode calls the wrapped store inside a span and a latency observation.
func (w *Store) UseRecoveryCode(ctx context.Context, userID string, hash []byte, now time.Time) (err error) {
	ctx, end := w.start(ctx, "UseRecoveryCode")
	defer func(t time.Time) { end(t, err) }(time.Now())
	err = w.next.UseRecoveryCode(ctx, userID, hash, now)
	return
}

// RecoveryCodesLeft calls the wrapped store inside a span and a latency observation.
func (w *Store) RecoveryCodesLeft(ctx context.Context, userID string) (v0 int, err error) {
	ctx, end := w.start(ctx, "RecoveryCodesLeft")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.RecoveryCodesLeft(ctx, userID)
	return
}

// PutTOTP calls the wrapped store inside a span and a latency observation.
func (w *Store) PutTOTP(ctx context.Context, userID string, secret []byte) (err error) {
	ctx, end := w.start(ctx, "PutTOTP")
	defer func(t time.Time) { end(t, err) }(time.Now())
	err = w.next.PutTOTP(ctx, userID, secret)
	return
}

// TOTP calls the wrapped store inside a span and a latency observation.
func (w *Store) TOTP(ctx context.Context, userID string) (v0 *passkeyd.TOTP, err error) {
	ctx, end := w.start(ctx, "TOTP")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.TOTP(ctx, userID)
	return
}

// UseTOTPStep calls the wrapped store inside a span and a latency observation.
func (w *Store) UseTOTPStep(ctx context.Context, userID string, step int64) (err error) {
	ctx, end := w.start(ctx, "UseTOTPStep")
	defer func(t time.Time) { end(t, err) }(time.Now())
	err = w.next.UseTOTPStep(ctx, userID, step)
	return
}

// DeleteTOTP calls the wrapped store inside a span and a latency observation.
func (w *Store) DeleteTOTP(ctx context.Context, userID string) (err error) {
	ctx, end := w.start(ctx, "DeleteTOTP")
	defer func(t time.Time) { end(t, err) }(time.Now())
	err = w.next.DeleteTOTP(ctx, userID)
	return
}

// RecordEvent calls the wrapped store inside a span and a latency observation.
func (w *Store) RecordEvent(ctx context.Context, e *passkeyd.AuditEvent, webhooks ...*passkeyd.WebhookDelivery) (err error) {
	ctx, end := w.start(ctx, "RecordEvent")
	defer func(t time.Time) { end(t, err) }(time.Now())
	err = w.next.RecordEvent(ctx, e, webhooks...)
	return
}

// Events calls the wrapped store inside a span and a latency observation.
func (w *Store) Events(ctx context.Context, userID string, limit int) (v0 []*passkeyd.AuditEvent, err error) {
	ctx, end := w.start(ctx, "Events")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.Events(ctx, userID, limit)
	return
}

// LeaseWebhooks calls the wrapped store inside a span and a latency observation.
func (w *Store) LeaseWebhooks(ctx context.Context, token string, now time.Time, lease time.Duration, limit int) (v0 []*passkeyd.WebhookDelivery, err error) {
	ctx, end := w.start(ctx, "LeaseWebhooks")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.LeaseWebhooks(ctx, token, now, lease, limit)
	return
}

// MarkWebhookDelivered calls the wrapped store inside a span and a latency observation.
func (w *Store) MarkWebhookDelivered(ctx context.Context, id string, at time.Time) (err error) {
	ctx, end := w.start(ctx, "MarkWebhookDelivered")
	defer func(t time.Time) { end(t, err) }(time.Now())
	err = w.next.MarkWebhookDelivered(ctx, id, at)
	return
}

// MarkWebhookFailed calls the wrapped store inside a span and a latency observation.
func (w *Store) MarkWebhookFailed(ctx context.Context, id, token string, f passkeyd.WebhookFailure) (v0 bool, err error) {
	ctx, end := w.start(ctx, "MarkWebhookFailed")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.MarkWebhookFailed(ctx, id, token, f)
	return
}

// DeadWebhooks calls the wrapped store inside a span and a latency observation.
func (w *Store) DeadWebhooks(ctx context.Context, limit int) (v0 []*passkeyd.WebhookDelivery, err error) {
	ctx, end := w.start(ctx, "DeadWebhooks")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.DeadWebhooks(ctx, limit)
	return
}

// RetryWebhook calls the wrapped store inside a span and a latency observation.
func (w *Store) RetryWebhook(ctx context.Context, id string, now time.Time) (err error) {
	ctx, end := w.start(ctx, "RetryWebhook")
	defer func(t time.Time) { end(t, err) }(time.Now())
	err = w.next.RetryWebhook(ctx, id, now)
	return
}

// PruneWebhooks calls the wrapped store inside a span and a latency observation.
func (w *Store) PruneWebhooks(ctx context.Context, before time.Time) (v0 int, err error) {
	ctx, end := w.start(ctx, "PruneWebhooks")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.PruneWebhooks(ctx, before)
	return
}

// OutboxStats calls the wrapped store inside a span and a latency observation.
func (w *Store) OutboxStats(ctx context.Context) (v0 passkeyd.OutboxStats, err error) {
	ctx, end := w.start(ctx, "OutboxStats")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.OutboxStats(ctx)
	return
}

// AdoptionStats calls the wrapped store inside a span and a latency observation.
func (w *Store) AdoptionStats(ctx context.Context) (v0 *passkeyd.AdoptionStats, err error) {
	ctx, end := w.start(ctx, "AdoptionStats")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.AdoptionStats(ctx)
	return
}

// Secret calls the wrapped store inside a span and a latency observation.
func (w *Store) Secret(ctx context.Context, name string, fresh []byte) (v0 []byte, err error) {
	ctx, end := w.start(ctx, "Secret")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.Secret(ctx, name, fresh)
	return
}

// SearchUsers calls the wrapped store inside a span and a latency observation.
func (w *Store) SearchUsers(ctx context.Context, prefix string, limit int) (v0 []*passkeyd.User, err error) {
	ctx, end := w.start(ctx, "SearchUsers")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.SearchUsers(ctx, prefix, limit)
	return
}

// ReplacePassword calls the wrapped store inside a span and a latency observation.
func (w *Store) ReplacePassword(ctx context.Context, userID, hash, keepSession string) (err error) {
	ctx, end := w.start(ctx, "ReplacePassword")
	defer func(t time.Time) { end(t, err) }(time.Now())
	err = w.next.ReplacePassword(ctx, userID, hash, keepSession)
	return
}

// DeleteAccount calls the wrapped store inside a span and a latency observation.
func (w *Store) DeleteAccount(ctx context.Context, userID string) (err error) {
	ctx, end := w.start(ctx, "DeleteAccount")
	defer func(t time.Time) { end(t, err) }(time.Now())
	err = w.next.DeleteAccount(ctx, userID)
	return
}

// Sessions calls the wrapped store inside a span and a latency observation.
func (w *Store) Sessions(ctx context.Context, userID string, now time.Time) (v0 []*passkeyd.Session, err error) {
	ctx, end := w.start(ctx, "Sessions")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.Sessions(ctx, userID, now)
	return
}

// DeleteUserSession calls the wrapped store inside a span and a latency observation.
func (w *Store) DeleteUserSession(ctx context.Context, userID, id string) (err error) {
	ctx, end := w.start(ctx, "DeleteUserSession")
	defer func(t time.Time) { end(t, err) }(time.Now())
	err = w.next.DeleteUserSession(ctx, userID, id)
	return
}

// DeleteOtherSessions calls the wrapped store inside a span and a latency observation.
func (w *Store) DeleteOtherSessions(ctx context.Context, userID, keepID string) (v0 int, err error) {
	ctx, end := w.start(ctx, "DeleteOtherSessions")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.DeleteOtherSessions(ctx, userID, keepID)
	return
}

// ReauthenticateSession calls the wrapped store inside a span and a latency observation.
func (w *Store) ReauthenticateSession(ctx context.Context, id string, at time.Time, userVerified bool) (err error) {
	ctx, end := w.start(ctx, "ReauthenticateSession")
	defer func(t time.Time) { end(t, err) }(time.Now())
	err = w.next.ReauthenticateSession(ctx, id, at, userVerified)
	return
}

// AddSigningKey calls the wrapped store inside a span and a latency observation.
func (w *Store) AddSigningKey(ctx context.Context, k *passkeyd.SigningKey) (v0 *passkeyd.SigningKey, err error) {
	ctx, end := w.start(ctx, "AddSigningKey")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.AddSigningKey(ctx, k)
	return
}

// SigningKeys calls the wrapped store inside a span and a latency observation.
func (w *Store) SigningKeys(ctx context.Context, now time.Time) (v0 []*passkeyd.SigningKey, err error) {
	ctx, end := w.start(ctx, "SigningKeys")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.SigningKeys(ctx, now)
	return
}

// DeleteExpiredSigningKeys calls the wrapped store inside a span and a latency observation.
func (w *Store) DeleteExpiredSigningKeys(ctx context.Context, now time.Time) (v0 int, err error) {
	ctx, end := w.start(ctx, "DeleteExpiredSigningKeys")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.DeleteExpiredSigningKeys(ctx, now)
	return
}

// AddOIDCClient calls the wrapped store inside a span and a latency observation.
func (w *Store) AddOIDCClient(ctx context.Context, c *passkeyd.OIDCClient) (err error) {
	ctx, end := w.start(ctx, "AddOIDCClient")
	defer func(t time.Time) { end(t, err) }(time.Now())
	err = w.next.AddOIDCClient(ctx, c)
	return
}

// OIDCClient calls the wrapped store inside a span and a latency observation.
func (w *Store) OIDCClient(ctx context.Context, id string) (v0 *passkeyd.OIDCClient, err error) {
	ctx, end := w.start(ctx, "OIDCClient")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.OIDCClient(ctx, id)
	return
}

// OIDCClients calls the wrapped store inside a span and a latency observation.
func (w *Store) OIDCClients(ctx context.Context) (v0 []*passkeyd.OIDCClient, err error) {
	ctx, end := w.start(ctx, "OIDCClients")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.OIDCClients(ctx)
	return
}

// DeleteOIDCClient calls the wrapped store inside a span and a latency observation.
func (w *Store) DeleteOIDCClient(ctx context.Context, id string) (err error) {
	ctx, end := w.start(ctx, "DeleteOIDCClient")
	defer func(t time.Time) { end(t, err) }(time.Now())
	err = w.next.DeleteOIDCClient(ctx, id)
	return
}

// CreateOIDCGrant calls the wrapped store inside a span and a latency observation.
func (w *Store) CreateOIDCGrant(ctx context.Context, g *passkeyd.OIDCGrant, refreshHash []byte) (err error) {
	ctx, end := w.start(ctx, "CreateOIDCGrant")
	defer func(t time.Time) { end(t, err) }(time.Now())
	err = w.next.CreateOIDCGrant(ctx, g, refreshHash)
	return
}

// OIDCGrant calls the wrapped store inside a span and a latency observation.
func (w *Store) OIDCGrant(ctx context.Context, id string, now time.Time) (v0 *passkeyd.OIDCGrant, err error) {
	ctx, end := w.start(ctx, "OIDCGrant")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.OIDCGrant(ctx, id, now)
	return
}

// OIDCRefresh calls the wrapped store inside a span and a latency observation.
func (w *Store) OIDCRefresh(ctx context.Context, hash []byte, now time.Time) (v0 *passkeyd.OIDCGrant, err error) {
	ctx, end := w.start(ctx, "OIDCRefresh")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.OIDCRefresh(ctx, hash, now)
	return
}

// RotateOIDCRefresh calls the wrapped store inside a span and a latency observation.
func (w *Store) RotateOIDCRefresh(ctx context.Context, oldHash, newHash []byte, now time.Time) (v0 *passkeyd.OIDCGrant, err error) {
	ctx, end := w.start(ctx, "RotateOIDCRefresh")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.RotateOIDCRefresh(ctx, oldHash, newHash, now)
	return
}

// RevokeOIDCGrant calls the wrapped store inside a span and a latency observation.
func (w *Store) RevokeOIDCGrant(ctx context.Context, id string, now time.Time) (err error) {
	ctx, end := w.start(ctx, "RevokeOIDCGrant")
	defer func(t time.Time) { end(t, err) }(time.Now())
	err = w.next.RevokeOIDCGrant(ctx, id, now)
	return
}

// DeleteExpiredOIDCGrants calls the wrapped store inside a span and a latency observation.
func (w *Store) DeleteExpiredOIDCGrants(ctx context.Context, now time.Time) (v0 int, err error) {
	ctx, end := w.start(ctx, "DeleteExpiredOIDCGrants")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.DeleteExpiredOIDCGrants(ctx, now)
	return
}

// PutAAGUIDRule calls the wrapped store inside a span and a latency observation.
func (w *Store) PutAAGUIDRule(ctx context.Context, r *passkeyd.AAGUIDRule) (err error) {
	ctx, end := w.start(ctx, "PutAAGUIDRule")
	defer func(t time.Time) { end(t, err) }(time.Now())
	err = w.next.PutAAGUIDRule(ctx, r)
	return
}

// DeleteAAGUIDRule calls the wrapped store inside a span and a latency observation.
func (w *Store) DeleteAAGUIDRule(ctx context.Context, aaguid [16]byte) (err error) {
	ctx, end := w.start(ctx, "DeleteAAGUIDRule")
	defer func(t time.Time) { end(t, err) }(time.Now())
	err = w.next.DeleteAAGUIDRule(ctx, aaguid)
	return
}

// AAGUIDRules calls the wrapped store inside a span and a latency observation.
func (w *Store) AAGUIDRules(ctx context.Context) (v0 []*passkeyd.AAGUIDRule, err error) {
	ctx, end := w.start(ctx, "AAGUIDRules")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.AAGUIDRules(ctx)
	return
}

// PasskeysByAAGUID calls the wrapped store inside a span and a latency observation.
func (w *Store) PasskeysByAAGUID(ctx context.Context, aaguid [16]byte, afterUser string, limit int) (v0 []*passkeyd.Passkey, err error) {
	ctx, end := w.start(ctx, "PasskeysByAAGUID")
	defer func(t time.Time) { end(t, err) }(time.Now())
	v0, err = w.next.PasskeysByAAGUID(ctx, aaguid, afterUser, limit)
	return
}
