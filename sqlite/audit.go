package sqlite

import (
	"context"
	"database/sql"

	"github.com/passkeyd/passkeyd"
)

// RecordEvent implements passkeyd.AuditStore.
func (db *DB) RecordEvent(ctx context.Context, e *passkeyd.AuditEvent, webhooks ...*passkeyd.WebhookDelivery) error {
	return db.tx(ctx, func(tx wtx) error { return insertEvent(ctx, tx, e, webhooks) })
}

// insertEvent writes e and its webhook deliveries inside the caller's transaction.
func insertEvent(ctx context.Context, tx wtx, e *passkeyd.AuditEvent, webhooks []*passkeyd.WebhookDelivery) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_events (id, user_id, type, method, credential_id, ip, user_agent, outcome, reason, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.ID, sql.NullString{String: e.UserID, Valid: e.UserID != ""}, e.Type, e.Method,
		e.CredentialID, e.IP, e.UserAgent, e.Outcome, e.Reason, micros(e.At))
	if err != nil {
		return err
	}
	return enqueueWebhooks(ctx, tx, webhooks)
}

// Events implements passkeyd.AuditStore.
func (db *DB) Events(ctx context.Context, userID string, limit int) ([]*passkeyd.AuditEvent, error) {
	rows, err := db.query(ctx, `SELECT id, COALESCE(user_id, ''), type, method, credential_id, ip, user_agent, outcome, reason, at
		FROM audit_events WHERE user_id = ? ORDER BY seq DESC LIMIT ?`, userID, limit)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []*passkeyd.AuditEvent{}
	for rows.Next() {
		var e passkeyd.AuditEvent
		var at int64
		if err := rows.Scan(&e.ID, &e.UserID, &e.Type, &e.Method, &e.CredentialID, &e.IP, &e.UserAgent, &e.Outcome, &e.Reason, &at); err != nil {
			return nil, mapErr(err)
		}
		e.At = fromMicros(at)
		out = append(out, &e)
	}
	return out, mapErr(rows.Err())
}
