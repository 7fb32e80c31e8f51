package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/passkeyd/passkeyd"
)

// RecordEvent implements passkeyd.AuditStore.
func (db *DB) RecordEvent(ctx context.Context, e *passkeyd.AuditEvent, webhooks ...*passkeyd.WebhookDelivery) error {
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error { return insertEvent(ctx, tx, e, webhooks) })
}

// insertEvent writes e and its webhook deliveries inside the caller's transaction.
func insertEvent(ctx context.Context, tx pgx.Tx, e *passkeyd.AuditEvent, webhooks []*passkeyd.WebhookDelivery) error {
	var userID *string
	if e.UserID != "" {
		userID = &e.UserID
	}
	_, err := tx.Exec(ctx, `INSERT INTO audit_events (id, user_id, type, method, credential_id, ip, user_agent, outcome, reason, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, e.ID, userID, e.Type, e.Method, e.CredentialID, e.IP, e.UserAgent, e.Outcome, e.Reason, e.At)
	if err != nil {
		return err
	}
	return enqueueWebhooks(ctx, tx, webhooks)
}

// Events implements passkeyd.AuditStore.
func (db *DB) Events(ctx context.Context, userID string, limit int) ([]*passkeyd.AuditEvent, error) {
	return retryRead(ctx, db, func(ctx context.Context) ([]*passkeyd.AuditEvent, error) {
		rows, err := db.pool.Query(ctx, `SELECT id, COALESCE(user_id, ''), type, method, credential_id, ip, user_agent, outcome, reason, at
			FROM audit_events WHERE user_id = $1 ORDER BY seq DESC LIMIT $2`, userID, limit)
		if err != nil {
			return nil, mapErr(err)
		}
		defer rows.Close()
		out := []*passkeyd.AuditEvent{}
		for rows.Next() {
			var e passkeyd.AuditEvent
			if err := rows.Scan(&e.ID, &e.UserID, &e.Type, &e.Method, &e.CredentialID, &e.IP, &e.UserAgent, &e.Outcome, &e.Reason, &e.At); err != nil {
				return nil, mapErr(err)
			}
			e.At = utc(e.At)
			out = append(out, &e)
		}
		return out, mapErr(rows.Err())
	})
}
