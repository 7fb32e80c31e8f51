package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/passkeyd/passkeyd"
)

// recordLogin is a sign-in's whole write as one statement: the conditional update (the etags
// the sign-in was decided on, the counter rule), and, only when it matched, the session, the
// audit event and its webhook deliveries.
// One statement outside BEGIN … COMMIT is its own transaction, so it is as atomic as the
// five-statement transaction it replaces, at one round trip instead of five (pgx prepares
// it once per connection). A failing insert (a UNIQUE violation) fails the statement and
// so undoes the counter update too.
const recordLogin = `WITH upd AS (
	UPDATE passkeys SET sign_count = $2, backed_up = $3, last_used_at = $4
	WHERE id = $1 AND etag = $37 AND (sign_count < $2 OR ($2 = 0 AND sign_count = 0))
		AND EXISTS (SELECT 1 FROM users WHERE users.id = passkeys.user_id AND users.etag = $38)
	RETURNING id
), sess AS (
	INSERT INTO sessions (` + sessionColumns + `)
	SELECT $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17 FROM upd WHERE $5
	RETURNING 1
), ev AS (
	INSERT INTO audit_events (id, user_id, type, method, credential_id, ip, user_agent, outcome, reason, at)
	SELECT $19, $20, $21, $22, $23, $24, $25, $26, $27, $28 FROM upd WHERE $18
	RETURNING 1
), hooks AS (
	INSERT INTO webhook_outbox (id, event_id, url, type, user_id, body, state, created_at, since, next_attempt_at)
	SELECT d.id, d.event_id, d.url, d.type, d.user_id, d.body, 'pending', d.created_at, d.created_at, d.next_attempt_at
	FROM upd, unnest($29::text[], $30::text[], $31::text[], $32::text[], $33::text[], $34::bytea[], $35::timestamptz[], $36::timestamptz[])
		AS d (id, event_id, url, type, user_id, body, created_at, next_attempt_at)
	RETURNING 1
)
SELECT count(*) FROM upd`

// recordLoginWithoutWebhooks is recordLogin for a sign-in that causes no webhook delivery
// (none configured, the usual case): without the outbox CTE and its eight array parameters,
// whose encoding was a third of pgx's work on every sign-in. Its etags are $29 and $30.
var recordLoginWithoutWebhooks = func() string {
	q := recordLogin
	start, end := strings.Index(q, "), hooks AS ("), strings.Index(q, ")\nSELECT count(*) FROM upd")
	q = q[:start] + q[end:]
	return strings.NewReplacer("$37", "$29", "$38", "$30").Replace(q)
}()

// whyNotRecorded tells, after recordLogin updated nothing, which condition failed. It is a
// statement of its own on purpose: under READ COMMITTED an UPDATE that waited for a
// concurrent change re-checks its condition on the changed row, while the rest of its
// statement still sees the snapshot from before, which could show the old etag (and so a
// counter regression where the passkey was in fact renamed, or deleted).
const whyNotRecorded = `SELECT p.etag = $2 AND u.etag = $3 FROM passkeys p JOIN users u ON u.id = p.user_id WHERE p.id = $1`

// RecordLogin implements passkeyd.PasskeyStore. The UPDATE's WHERE clause holds the etags
// and the counter rule, so concurrent logins on any number of instances cannot move a
// counter backwards, nor apply a sign-in decided on a passkey that has changed since. A
// sign-in that is applied costs one statement; one that is refused, two.
func (db *DB) RecordLogin(ctx context.Context, id []byte, use passkeyd.PasskeyUse, s *passkeyd.Session, e *passkeyd.AuditEvent, webhooks ...*passkeyd.WebhookDelivery) error {
	args := make([]any, 0, 38)
	args = append(args, id, int64(use.SignCount), use.BackedUp, use.UsedAt)
	if s != nil {
		created := s.CreatedAt
		if created.IsZero() {
			created = s.AuthenticatedAt
		}
		amr := s.AMR
		if amr == nil {
			amr = []string{}
		}
		var cred []byte
		if len(s.CredentialID) > 0 {
			cred = s.CredentialID
		}
		args = append(args, true, s.ID, s.TokenHash, s.UserID, string(s.Method), s.AuthenticatedAt, s.ExpiresAt, created, cred, s.UserVerified, amr, s.UserAgent, s.IP)
	} else {
		args = append(args, false, "", []byte{}, "", "", time.Time{}, time.Time{}, time.Time{}, []byte(nil), false, []string{}, "", "")
	}
	if e != nil {
		var userID *string
		if e.UserID != "" {
			userID = &e.UserID
		}
		args = append(args, true, e.ID, userID, e.Type, e.Method, e.CredentialID, e.IP, e.UserAgent, e.Outcome, e.Reason, e.At)
	} else {
		webhooks = nil
		args = append(args, false, "", (*string)(nil), "", "", []byte(nil), "", "", "", "", time.Time{})
	}
	query := recordLoginWithoutWebhooks
	if n := len(webhooks); n > 0 {
		query = recordLogin
		ids, events, urls, types, users := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		bodies, created, next := make([][]byte, n), make([]time.Time, n), make([]time.Time, n)
		for i, d := range webhooks {
			ids[i], events[i], urls[i], types[i], users[i], bodies[i], created[i], next[i] = d.ID, d.EventID, d.URL, d.Type, d.UserID, d.Body, d.CreatedAt, d.NextAttemptAt
			if next[i].IsZero() {
				next[i] = d.CreatedAt
			}
		}
		args = append(args, ids, events, urls, types, users, bodies, created, next)
	}
	// The etags follow: $37 and $38 after the webhook arrays, $29 and $30 without them.
	args = append(args, use.ETag, use.UserETag)
	_, err := do(ctx, db, func(ctx context.Context) (struct{}, error) {
		var updated int64
		if err := db.pool.QueryRow(ctx, query, args...).Scan(&updated); err != nil {
			return struct{}{}, mapErr(err)
		}
		if updated == 1 {
			return struct{}{}, nil
		}
		var current bool
		if err := db.pool.QueryRow(ctx, whyNotRecorded, id, use.ETag, use.UserETag).Scan(&current); err != nil {
			return struct{}{}, mapErr(err) // ErrNotFound: the passkey is gone
		}
		if !current {
			return struct{}{}, passkeyd.ErrStale
		}
		return struct{}{}, passkeyd.ErrCounterRegression
	})
	return err
}
