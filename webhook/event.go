// Package webhook tells the apps behind passkeyd about security events: it turns audit
// events into signed JSON deliveries in the store's outbox (Publisher), sends them with
// retries and dead letters from a worker that any instance may run (Worker), and gives
// receivers the signature check (Verify).
package webhook

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/passkeyd/passkeyd"
)

// Event is the JSON body of a webhook. Receivers drop duplicates by ID: delivery is at
// least once.
type Event struct {
	ID     string    `json:"id"`
	Type   string    `json:"type"`
	Time   time.Time `json:"time"` // RFC 3339, UTC
	UserID string    `json:"userId"`
	Data   EventData `json:"data"`
}

// EventData is what the audit log knows about the event.
type EventData struct {
	Method       string `json:"method,omitempty"`       // passkey, password, totp, recovery_code, password+totp, …
	CredentialID string `json:"credentialId,omitempty"` // base64url, for passkey events
	Outcome      string `json:"outcome"`                // success | failure
	Reason       string `json:"reason,omitempty"`       // the API's error code when it failed
	IP           string `json:"ip,omitempty"`
	UserAgent    string `json:"userAgent,omitempty"`
}

// The public event types. They are a contract with receivers: add, never rename.
const (
	SignInSucceeded          = "sign_in.succeeded"
	SignInFailed             = "sign_in.failed"
	AccountCreated           = "account.created"
	AccountDeleted           = "account.deleted"
	PasskeyAdded             = "passkey.added"
	PasskeyDeleted           = "passkey.deleted"
	PasskeyRevoked           = "passkey.revoked"
	PasswordSet              = "password.set"
	PasswordChanged          = "password.changed"
	PasswordRemoved          = "password.removed"
	TOTPEnrolled             = "totp.enrolled"
	TOTPRemoved              = "totp.removed"
	RecoveryCodesUsed        = "recovery_codes.used"
	RecoveryCodesRegenerated = "recovery_codes.regenerated"
	CloneWarning             = "clone_warning"
	SessionsRevoked          = "sessions.revoked"
)

// auditTypes maps the audit log's event types to the public ones. Audit types not listed
// (sign_out, passkey_renamed, refused changes, …) send nothing.
var auditTypes = map[string]string{
	"sign_in":                      SignInSucceeded,
	"sign_in_failed":               SignInFailed,
	"second_factor_failed":         SignInFailed,
	"account_created":              AccountCreated,
	"account_deleted":              AccountDeleted,
	"passkey_added":                PasskeyAdded,
	"passkey_deleted":              PasskeyDeleted,
	"passkey_revoked":              PasskeyRevoked,
	"passkey_revoked_by_operator":  PasskeyRevoked,
	"password_set":                 PasswordSet,
	"password_changed":             PasswordChanged,
	"password_removed":             PasswordRemoved,
	"totp_enrolled":                TOTPEnrolled,
	"totp_removed":                 TOTPRemoved,
	"recovery_codes_generated":     RecoveryCodesRegenerated,
	"recovery_codes_regenerated":   RecoveryCodesRegenerated,
	"recovery_code_used":           RecoveryCodesUsed,
	"sign_in_clone_warning":        CloneWarning,
	"counter_regression":           CloneWarning,
	"sessions_revoked":             SessionsRevoked,
	"sessions_revoked_by_operator": SessionsRevoked,
}

// Types returns the public event types an audit event becomes, none for events receivers
// are not told about. A sign-in with a recovery code is two: the sign-in, and the use of a
// code (apps may want to prompt for a new passkey).
func Types(e *passkeyd.AuditEvent) []string {
	if e.UserID == "" {
		return nil // a failed sign-in for an unknown username concerns no user of the app
	}
	typ, ok := auditTypes[e.Type]
	if !ok {
		return nil
	}
	if typ == SignInSucceeded {
		if e.Outcome != "success" {
			return nil // the first factor of a sign-in that still needs the second
		}
		if e.Method == "recovery_code" {
			return []string{SignInSucceeded, RecoveryCodesUsed}
		}
	}
	return []string{typ}
}

// Publisher turns audit events into outbox deliveries, one per event per URL.
type Publisher struct {
	URLs []string
}

// Deliveries returns the outbox rows of e (nil when it sends nothing), for
// passkeyd.AuditStore.RecordEvent. The event id is the audit event's id, so a receiver can
// match a webhook with the account's activity; a second event derived from the same audit
// event gets a suffix.
func (p *Publisher) Deliveries(e *passkeyd.AuditEvent) []*passkeyd.WebhookDelivery {
	if p == nil || len(p.URLs) == 0 {
		return nil
	}
	var out []*passkeyd.WebhookDelivery
	for i, typ := range Types(e) {
		ev := Event{ID: e.ID, Type: typ, Time: e.At.UTC(), UserID: e.UserID, Data: EventData{
			Method: e.Method, Outcome: e.Outcome, Reason: e.Reason, IP: e.IP, UserAgent: e.UserAgent,
		}}
		if i > 0 {
			ev.ID = fmt.Sprintf("%s.%d", e.ID, i)
		}
		if len(e.CredentialID) > 0 {
			ev.Data.CredentialID = base64.RawURLEncoding.EncodeToString(e.CredentialID)
		}
		body, err := json.Marshal(ev)
		if err != nil {
			continue // cannot happen: every field is a string or a time
		}
		for _, u := range p.URLs {
			out = append(out, &passkeyd.WebhookDelivery{
				ID: newID(), EventID: ev.ID, URL: u, Type: typ, UserID: e.UserID, Body: body,
				CreatedAt: ev.Time, NextAttemptAt: ev.Time,
			})
		}
	}
	return out
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
