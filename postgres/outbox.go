package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passkeyd/passkeyd"
)

// enqueueWebhooks inserts deliveries inside the caller's transaction.
func enqueueWebhooks(ctx context.Context, tx pgx.Tx, ds []*passkeyd.WebhookDelivery) error {
	for _, d := range ds {
		next := d.NextAttemptAt
		if next.IsZero() {
			next = d.CreatedAt
		}
		if _, err := tx.Exec(ctx, `INSERT INTO webhook_outbox (id, event_id, url, type, user_id, body, state, created_at, since, next_attempt_at)
			VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7, $8)`, d.ID, d.EventID, d.URL, d.Type, d.UserID, d.Body, d.CreatedAt, next); err != nil {
			return err
		}
	}
	return nil
}

const deliveryColumns = `id, event_id, url, type, user_id, body, state, attempts, created_at, next_attempt_at, last_error, delivered_at`

func scanDeliveries(rows pgx.Rows) ([]*passkeyd.WebhookDelivery, error) {
	defer rows.Close()
	out := []*passkeyd.WebhookDelivery{}
	for rows.Next() {
		var d passkeyd.WebhookDelivery
		var delivered *time.Time
		if err := rows.Scan(&d.ID, &d.EventID, &d.URL, &d.Type, &d.UserID, &d.Body, &d.State, &d.Attempts, &d.CreatedAt, &d.NextAttemptAt, &d.LastError, &delivered); err != nil {
			return nil, mapErr(err)
		}
		d.CreatedAt, d.NextAttemptAt = utc(d.CreatedAt), utc(d.NextAttemptAt)
		if delivered != nil {
			d.DeliveredAt = utc(*delivered)
		}
		out = append(out, &d)
	}
	return out, mapErr(rows.Err())
}

// LeaseWebhooks implements passkeyd.OutboxStore. FOR UPDATE SKIP LOCKED lets instances
// lease side by side: a row another transaction is leasing is skipped, not waited for, and
// the row lock re-checks the conditions on the latest version, so a row leased and
// committed meanwhile is not leased twice.
func (db *DB) LeaseWebhooks(ctx context.Context, token string, now time.Time, lease time.Duration, limit int) ([]*passkeyd.WebhookDelivery, error) {
	return do(ctx, db, func(ctx context.Context) ([]*passkeyd.WebhookDelivery, error) {
		rows, err := db.pool.Query(ctx, `WITH due AS (
				SELECT seq FROM webhook_outbox WHERE state = 'pending' AND next_attempt_at <= $3 AND lease_until <= $3
				ORDER BY seq LIMIT $4 FOR UPDATE SKIP LOCKED),
			leased AS (
				UPDATE webhook_outbox o SET lease_token = $1, lease_until = $2 FROM due WHERE o.seq = due.seq RETURNING o.*)
			SELECT `+deliveryColumns+` FROM leased ORDER BY seq`, token, now.Add(lease), now, limit)
		if err != nil {
			return nil, mapErr(err)
		}
		return scanDeliveries(rows)
	})
}

// MarkWebhookDelivered implements passkeyd.OutboxStore.
func (db *DB) MarkWebhookDelivered(ctx context.Context, id string, at time.Time) error {
	return db.exec1(ctx, `UPDATE webhook_outbox SET state = 'delivered', delivered_at = $2, lease_token = '', lease_until = '-infinity'
		WHERE id = $1 AND state <> 'delivered'`, id, at)
}

// MarkWebhookFailed implements passkeyd.OutboxStore.
func (db *DB) MarkWebhookFailed(ctx context.Context, id, token string, f passkeyd.WebhookFailure) (bool, error) {
	state, err := do(ctx, db, func(ctx context.Context) (string, error) {
		var state string
		err := db.pool.QueryRow(ctx, `UPDATE webhook_outbox SET attempts = attempts + 1, next_attempt_at = $3, last_error = $4, lease_token = '', lease_until = '-infinity',
				state = CASE WHEN attempts + 1 >= $5 OR since < $6 THEN 'dead' ELSE 'pending' END
			WHERE id = $1 AND state = 'pending' AND lease_token = $2 RETURNING state`,
			id, token, f.NextAttempt, f.Error, f.MaxAttempts, f.At.Add(-f.MaxAge)).Scan(&state)
		return state, mapErr(err)
	})
	return state == string(passkeyd.WebhookDead), err
}

// DeadWebhooks implements passkeyd.OutboxStore.
func (db *DB) DeadWebhooks(ctx context.Context, limit int) ([]*passkeyd.WebhookDelivery, error) {
	return retryRead(ctx, db, func(ctx context.Context) ([]*passkeyd.WebhookDelivery, error) {
		rows, err := db.pool.Query(ctx, `SELECT `+deliveryColumns+` FROM webhook_outbox WHERE state = 'dead' ORDER BY seq LIMIT $1`, limit)
		if err != nil {
			return nil, mapErr(err)
		}
		return scanDeliveries(rows)
	})
}

// RetryWebhook implements passkeyd.OutboxStore.
func (db *DB) RetryWebhook(ctx context.Context, id string, now time.Time) error {
	return db.exec1(ctx, `UPDATE webhook_outbox SET state = 'pending', attempts = 0, since = $2, next_attempt_at = $2 WHERE id = $1 AND state = 'dead'`, id, now)
}

// PruneWebhooks implements passkeyd.OutboxStore.
func (db *DB) PruneWebhooks(ctx context.Context, before time.Time) (int, error) {
	return db.maintain(ctx, `DELETE FROM webhook_outbox WHERE state = 'delivered' AND delivered_at < $1`, before)
}

// OutboxStats implements passkeyd.OutboxStore.
func (db *DB) OutboxStats(ctx context.Context) (passkeyd.OutboxStats, error) {
	return retryRead(ctx, db, func(ctx context.Context) (passkeyd.OutboxStats, error) {
		var st passkeyd.OutboxStats
		var oldest *time.Time
		err := db.pool.QueryRow(ctx, `SELECT
				count(*) FILTER (WHERE state = 'pending'),
				count(*) FILTER (WHERE state = 'dead'),
				min(created_at) FILTER (WHERE state = 'pending')
			FROM webhook_outbox WHERE state <> 'delivered'`).Scan(&st.Pending, &st.Dead, &oldest)
		if oldest != nil {
			st.OldestPending = utc(*oldest)
		}
		return st, mapErr(err)
	})
}

// exec1 runs one statement that must change a row: ErrNotFound when it changed none.
func (db *DB) exec1(ctx context.Context, sql string, args ...any) error {
	_, err := do(ctx, db, func(ctx context.Context) (struct{}, error) {
		tag, err := db.pool.Exec(ctx, sql, args...)
		if err == nil && tag.RowsAffected() == 0 {
			return struct{}{}, passkeyd.ErrNotFound
		}
		return struct{}{}, mapErr(err)
	})
	return err
}
