package passkeyd

import (
	"context"
	"time"
)

// Stores are split by noun so that a deployment can keep challenges in Redis and the rest in
// PostgreSQL. Every implementation passes the shared behaviour suite in storetest/.
//
// Contract for all methods: a missing row is ErrNotFound (wrapped or not); a backing service
// that cannot be reached is ErrUnavailable; writes are durable when they return nil. Every
// write that changes a user or a passkey gives the row a new ETag (see NewETag), but for
// RecordLogin's own update.

// UserStore keeps accounts.
type UserStore interface {
	// CreateAccount stores a new user with their first passkey and session, atomically:
	// either all of it exists afterwards or none. ErrUsernameTaken when UsernameKey exists,
	// ErrCredentialExists when the passkey id is registered.
	CreateAccount(ctx context.Context, a NewAccount) error
	UserByID(ctx context.Context, id string) (*User, error)
	UserByUsername(ctx context.Context, usernameKey string) (*User, error)
	UserByHandle(ctx context.Context, handle []byte) (*User, error)
	// SearchUsers lists users whose username key starts with prefix, in key order, at
	// most limit (the operator API's search).
	SearchUsers(ctx context.Context, prefix string, limit int) ([]*User, error)
	// SetPasswordHash sets the user's password hash (a rehash at sign-in: no session is
	// revoked). ErrNotFound when the user does not exist.
	SetPasswordHash(ctx context.Context, userID, hash string) error
	// ReplacePassword sets (hash != "") or removes (hash == "") the user's password and, in
	// the same transaction, revokes every session of the user but keepSession: a session
	// that a thief holds does not survive the owner changing what it stands on. Removing is
	// refused with ErrLastCredential when the user has no passkey (the last-way-in rule, in
	// the same transaction as the write). ErrNotFound when the user does not exist.
	ReplacePassword(ctx context.Context, userID, hash, keepSession string) error
	// DeleteAccount deletes the user with their passkeys, sessions, TOTP, recovery codes and
	// password, so the username is free again; their audit events stay, without IP and user
	// agent. ErrNotFound when the user does not exist.
	DeleteAccount(ctx context.Context, userID string) error
}

// PasskeyStore keeps WebAuthn credentials.
type PasskeyStore interface {
	// AddPasskey registers another passkey for an existing user. ErrCredentialExists when the
	// id is registered (to anyone); ErrNotFound when the user does not exist.
	AddPasskey(ctx context.Context, p *Passkey) error
	Passkey(ctx context.Context, id []byte) (*Passkey, error)
	// Passkeys lists a user's passkeys, newest first.
	Passkeys(ctx context.Context, userID string) ([]*Passkey, error)
	// RecordLogin applies a successful assertion and, in the same transaction, creates its
	// session (when s is not nil) and records its audit event e (when not nil) with the
	// webhook deliveries e causes: a sign-in costs one durable write, and its session never
	// exists without its audit row (nor the other way round). The update is conditional,
	// and when a condition fails nothing is written: the passkey must exist (ErrNotFound)
	// and it and its owner must still have the etags use.ETag and use.UserETag that the
	// sign-in was decided on (ErrStale); and, so that concurrent logins can never move a
	// counter backwards, unless use.SignCount and the stored count are both zero,
	// use.SignCount must be greater than the stored count (ErrCounterRegression). The
	// update leaves the etags as they are: a sign-in is not a change that makes a read of
	// the passkey stale.
	RecordLogin(ctx context.Context, id []byte, use PasskeyUse, s *Session, e *AuditEvent, webhooks ...*WebhookDelivery) error
	// SetCloneWarning sets or clears a passkey's clone warning flag.
	SetCloneWarning(ctx context.Context, id []byte, flagged bool) error
	// RenamePasskey renames one of userID's passkeys and returns it. ErrNotFound when the
	// passkey does not exist or belongs to someone else.
	RenamePasskey(ctx context.Context, userID string, id []byte, name string) (*Passkey, error)
	// DeletePasskey deletes one of userID's passkeys and the sessions it signed in. It
	// enforces the last-way-in rule in the same transaction, so two concurrent deletes
	// cannot both pass the check: ErrLastCredential when the user would be left with no
	// passkey and no password.
	DeletePasskey(ctx context.Context, userID string, id []byte) error
	// RevokePasskey deletes one of userID's passkeys, and the sessions it signed in, without
	// the last-way-in rule: an operator removing a lost or stolen authenticator. ErrNotFound
	// as for DeletePasskey.
	RevokePasskey(ctx context.Context, userID string, id []byte) error
}

// SessionStore keeps server-side sessions.
type SessionStore interface {
	CreateSession(ctx context.Context, s *Session) error
	// SessionByTokenHash returns the live session with that token hash; expired sessions
	// are ErrNotFound.
	SessionByTokenHash(ctx context.Context, tokenHash []byte, now time.Time) (*Session, error)
	// DeleteSession revokes a session. Deleting a missing session is not an error.
	DeleteSession(ctx context.Context, id string) error
	// DeleteExpiredSessions removes sessions that expired before now and says how many.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error)
	// DeleteUserSessions revokes every session of a user and says how many.
	DeleteUserSessions(ctx context.Context, userID string) (int, error)
	// Sessions lists the user's live sessions, newest first.
	Sessions(ctx context.Context, userID string, now time.Time) ([]*Session, error)
	// DeleteUserSession revokes one of userID's sessions. ErrNotFound when there is no such
	// session or it belongs to someone else.
	DeleteUserSession(ctx context.Context, userID, id string) error
	// DeleteOtherSessions revokes every session of the user but keepID and says how many.
	DeleteOtherSessions(ctx context.Context, userID, keepID string) (int, error)
	// ReauthenticateSession records a re-authentication on a live session, in place (same
	// id and token): AuthenticatedAt becomes at, and UserVerified becomes true when the
	// re-authentication verified the user. ErrNotFound when the session does not exist.
	ReauthenticateSession(ctx context.Context, id string, at time.Time, userVerified bool) error
}

// ChallengeStore keeps in-flight ceremony state.
type ChallengeStore interface {
	// PutChallenge stores c until c.ExpiresAt.
	PutChallenge(ctx context.Context, c *Challenge) error
	// ConsumeChallenge removes and returns the challenge with that value, atomically: of
	// concurrent calls with the same value at most one gets it. Unknown, used and expired
	// challenges are ErrNotFound.
	ConsumeChallenge(ctx context.Context, value []byte, now time.Time) (*Challenge, error)
}

// RecoveryCodeStore keeps the hashes of users' single-use recovery codes.
type RecoveryCodeStore interface {
	// ReplaceRecoveryCodes makes hashes the user's only recovery codes (old ones stop
	// working). ErrNotFound when the user does not exist.
	ReplaceRecoveryCodes(ctx context.Context, userID string, hashes [][]byte) error
	// UseRecoveryCode marks the user's unused code with that hash as used, atomically: of
	// concurrent calls with one code at most one succeeds. ErrNotFound when there is no
	// such unused code.
	UseRecoveryCode(ctx context.Context, userID string, hash []byte, now time.Time) error
	// RecoveryCodesLeft counts the user's unused codes.
	RecoveryCodesLeft(ctx context.Context, userID string) (int, error)
}

// TOTPStore keeps users' TOTP second factors.
type TOTPStore interface {
	// PutTOTP stores a new, unconfirmed TOTP secret for the user, replacing an unconfirmed
	// one (a confirmed one must be deleted first: ErrCredentialExists).
	PutTOTP(ctx context.Context, userID string, secret []byte) error
	// TOTP returns the user's TOTP; ErrNotFound when there is none.
	TOTP(ctx context.Context, userID string) (*TOTP, error)
	// UseTOTPStep records that a code for step was accepted and confirms the TOTP. It is
	// conditional — the stored LastStep must be lower — so a code (or an older one) is
	// accepted at most once even under concurrent use: ErrNotFound otherwise.
	UseTOTPStep(ctx context.Context, userID string, step int64) error
	// DeleteTOTP removes the user's TOTP; ErrNotFound when there is none.
	DeleteTOTP(ctx context.Context, userID string) error
}

// AuditStore keeps the audit log.
type AuditStore interface {
	// RecordEvent stores e and, in the same transaction, the webhook deliveries it causes:
	// a webhook is durable exactly when its audit event is, and neither exists without the
	// other.
	RecordEvent(ctx context.Context, e *AuditEvent, webhooks ...*WebhookDelivery) error
	// Events returns the user's most recent events, newest first, at most limit.
	Events(ctx context.Context, userID string, limit int) ([]*AuditEvent, error)
}

// OutboxStore is the webhook outbox: deliveries are written by AuditStore.RecordEvent and
// sent by workers on any instance, which lease them so that two workers never send the
// same delivery while a lease holds.
type OutboxStore interface {
	// LeaseWebhooks claims up to limit pending deliveries that are due at now and not under
	// another live lease, oldest first, until now+lease. Concurrent callers (also on other
	// instances) never get the same delivery. token names the lease for MarkWebhookFailed.
	LeaseWebhooks(ctx context.Context, token string, now time.Time, lease time.Duration, limit int) ([]*WebhookDelivery, error)
	// MarkWebhookDelivered records that a receiver accepted the delivery (whoever holds the
	// lease: it was delivered either way). ErrNotFound when there is no such undelivered
	// delivery.
	MarkWebhookDelivered(ctx context.Context, id string, at time.Time) error
	// MarkWebhookFailed records a failed attempt by the holder of lease token: one more
	// attempt, due again at f.NextAttempt, lease released; or dead (see WebhookFailure). It
	// says whether the delivery is now dead. ErrNotFound when the delivery is not pending
	// under that lease (it expired and another worker took it).
	MarkWebhookFailed(ctx context.Context, id, token string, f WebhookFailure) (dead bool, err error)
	// DeadWebhooks lists dead deliveries, oldest first, at most limit.
	DeadWebhooks(ctx context.Context, limit int) ([]*WebhookDelivery, error)
	// RetryWebhook makes a dead delivery pending again, due at now, with no attempts
	// counted and its age (for MaxAge) counted from now. ErrNotFound when there is no dead delivery with that id.
	RetryWebhook(ctx context.Context, id string, now time.Time) error
	// PruneWebhooks deletes deliveries delivered before before and says how many.
	PruneWebhooks(ctx context.Context, before time.Time) (int, error)
	// OutboxStats counts pending and dead deliveries.
	OutboxStats(ctx context.Context) (OutboxStats, error)
}

// SecretStore keeps server-wide secrets shared by every instance.
type SecretStore interface {
	// Secret returns the secret stored under name, first storing fresh if there is none.
	// Concurrent callers (also on other instances) all get the same value.
	Secret(ctx context.Context, name string, fresh []byte) ([]byte, error)
}

// SigningKeyStore keeps the keys of signed access tokens, shared by every instance.
type SigningKeyStore interface {
	// AddSigningKey stores k unless a key with the same NotBefore exists, and returns the
	// key stored for that NotBefore: of concurrent callers for one slot (on any instance)
	// one wins and all get its key, so instances never sign one slot with different keys.
	AddSigningKey(ctx context.Context, k *SigningKey) (*SigningKey, error)
	// SigningKeys returns the keys whose ExpiresAt is after now, by NotBefore.
	SigningKeys(ctx context.Context, now time.Time) ([]*SigningKey, error)
	// DeleteExpiredSigningKeys removes the keys whose ExpiresAt is not after now and says
	// how many.
	DeleteExpiredSigningKeys(ctx context.Context, now time.Time) (int, error)
}

// TicketStore keeps the short-lived state of multi-step flows that any instance may serve
// the next step of: OpenID Connect authorization requests (while the user signs in) and
// authorization codes. It lives beside the challenges (Redis when configured).
type TicketStore interface {
	// PutTicket stores value under key until expiresAt, replacing what was there.
	PutTicket(ctx context.Context, key string, value []byte, expiresAt time.Time) error
	// AddTicket stores value under key until expiresAt unless a value that is live at now
	// is there, atomically: of concurrent calls with one key at most one adds (true).
	AddTicket(ctx context.Context, key string, value []byte, now, expiresAt time.Time) (bool, error)
	// Ticket returns the value under key; ErrNotFound when there is none or it expired.
	Ticket(ctx context.Context, key string, now time.Time) ([]byte, error)
	// TakeTicket removes and returns the value under key, atomically: of concurrent calls
	// with one key at most one gets it. ErrNotFound when there is none or it expired.
	TakeTicket(ctx context.Context, key string, now time.Time) ([]byte, error)
}

// OIDCStore keeps the OpenID provider's durable state: clients added at run time and the
// grants behind access and refresh tokens, shared by every instance.
type OIDCStore interface {
	// AddOIDCClient stores a client; ErrCredentialExists when the id is taken.
	AddOIDCClient(ctx context.Context, c *OIDCClient) error
	// OIDCClient returns a client; ErrNotFound when there is none.
	OIDCClient(ctx context.Context, id string) (*OIDCClient, error)
	// OIDCClients lists the clients by id.
	OIDCClients(ctx context.Context) ([]*OIDCClient, error)
	// DeleteOIDCClient removes a client and, in the same transaction, its grants (so its
	// refresh tokens stop working). ErrNotFound when there is none.
	DeleteOIDCClient(ctx context.Context, id string) error

	// CreateOIDCGrant stores a grant and, when refreshHash is not nil, its first refresh
	// token (only the SHA-256 of a token is stored).
	CreateOIDCGrant(ctx context.Context, g *OIDCGrant, refreshHash []byte) error
	// OIDCGrant returns a live grant: not revoked, not expired at now; else ErrNotFound.
	OIDCGrant(ctx context.Context, id string, now time.Time) (*OIDCGrant, error)
	// OIDCRefresh returns the live grant whose current refresh token has that hash. A hash
	// that was rotated already is reuse: the grant is revoked and the error is
	// ErrTokenReused. Unknown hashes and dead grants are ErrNotFound.
	OIDCRefresh(ctx context.Context, hash []byte, now time.Time) (*OIDCGrant, error)
	// RotateOIDCRefresh replaces the current refresh token oldHash of a live grant with
	// newHash, atomically: of concurrent rotations of one token at most one succeeds and
	// the others are reuse (ErrTokenReused, grant revoked), as in OIDCRefresh.
	RotateOIDCRefresh(ctx context.Context, oldHash, newHash []byte, now time.Time) (*OIDCGrant, error)
	// RevokeOIDCGrant revokes a grant; revoking a missing or revoked one is not an error.
	RevokeOIDCGrant(ctx context.Context, id string, now time.Time) error
	// DeleteExpiredOIDCGrants removes grants that expired or were revoked before now, and
	// says how many.
	DeleteExpiredOIDCGrants(ctx context.Context, now time.Time) (int, error)
}

// AAGUIDStore keeps the run-time AAGUID allow and deny lists, which every instance reads,
// and finds the passkeys of one authenticator model (for when that model is found
// compromised).
type AAGUIDStore interface {
	// PutAAGUIDRule puts r on its list, replacing the rule the AAGUID has: an AAGUID is on
	// one run-time list at a time.
	PutAAGUIDRule(ctx context.Context, r *AAGUIDRule) error
	// DeleteAAGUIDRule removes the AAGUID's rule. ErrNotFound when it has none.
	DeleteAAGUIDRule(ctx context.Context, aaguid [16]byte) error
	// AAGUIDRules lists every rule, by AAGUID.
	AAGUIDRules(ctx context.Context) ([]*AAGUIDRule, error)
	// PasskeysByAAGUID returns a page of the users holding passkeys with that AAGUID: the
	// first limit such users whose id sorts after afterUser, each with all their passkeys of
	// the model, ordered by user id and then credential id.
	PasskeysByAAGUID(ctx context.Context, aaguid [16]byte, afterUser string, limit int) ([]*Passkey, error)
}

// StatsStore counts what the adoption dashboards show.
type StatsStore interface {
	// AdoptionStats counts users, users with a passkey, and passkeys by device type and by
	// AAGUID. The counts are aggregates over whole tables, not one snapshot: call it every
	// minute or so, never per request.
	AdoptionStats(ctx context.Context) (*AdoptionStats, error)
}

// Store is a database that keeps everything but, possibly, challenges.
type Store interface {
	UserStore
	PasskeyStore
	SessionStore
	RecoveryCodeStore
	TOTPStore
	AuditStore
	OutboxStore
	SecretStore
	SigningKeyStore
	OIDCStore
	AAGUIDStore
	StatsStore
	// Ping reports whether the store can serve requests (for /readyz).
	Ping(ctx context.Context) error
	Close() error
}
