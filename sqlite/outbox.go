package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"time"

	"github.com/passkeyd/passkeyd"
)

// enqueueWebhooks inserts deliveries inside the caller's transaction.
func enqueueWebhooks(ctx context.Context, tx wtx, ds []*passkeyd.WebhookDelivery) error {
	for _, d := range ds {
		next := d.NextAttemptAt
		if next.IsZero() {
			next = d.CreatedAt
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_outbox (id, event_id, url, type, user_id, body, state, created_at, since, next_attempt_at)
			VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`, d.ID, d.EventID, d.URL, d.Type, d.UserID, d.Body, micros(d.CreatedAt), micros(d.CreatedAt), micros(next)); err != nil {
			return err
		}
	}
	return nil
}

const deliveryColumns = `seq, id, event_id, url, type, user_id, body, state, attempts, created_at, next_attempt_at, last_error, delivered_at`

func scanDelivery(r scanner) (int64, *passkeyd.WebhookDelivery, error) {
	var d passkeyd.WebhookDelivery
	var seq, created, next int64
	var delivered sql.NullInt64
	if err := r.Scan(&seq, &d.ID, &d.EventID, &d.URL, &d.Type, &d.UserID, &d.Body, &d.State, &d.Attempts, &created, &next, &d.LastError, &delivered); err != nil {
		return 0, nil, err
	}
	d.CreatedAt, d.NextAttemptAt = fromMicros(created), fromMicros(next)
	if delivered.Valid {
		d.DeliveredAt = fromMicros(delivered.Int64)
	}
	return seq, &d, nil
}

// LeaseWebhooks implements passkeyd.OutboxStore. SQLite has one writer, so the select and
// the update inside one write transaction cannot interleave with another lease.
func (db *DB) LeaseWebhooks(ctx context.Context, token string, now time.Time, lease time.Duration, limit int) ([]*passkeyd.WebhookDelivery, error) {
	type leased struct {
		seq int64
		d   *passkeyd.WebhookDelivery
	}
	var got []leased
	err := db.tx(ctx, func(tx wtx) error {
		got = got[:0]
		rows, err := tx.QueryContext(ctx, `UPDATE webhook_outbox SET lease_token = ?, lease_until = ?
			WHERE seq IN (SELECT seq FROM webhook_outbox WHERE state = 'pending' AND next_attempt_at <= ? AND lease_until <= ? ORDER BY seq LIMIT ?)
			RETURNING `+deliveryColumns, token, micros(now.Add(lease)), micros(now), micros(now), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			seq, d, err := scanDelivery(rows)
			if err != nil {
				return err
			}
			got = append(got, leased{seq, d})
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	// RETURNING has no order: put them back oldest first.
	slices.SortFunc(got, func(a, b leased) int { return cmp.Compare(a.seq, b.seq) })
	out := make([]*passkeyd.WebhookDelivery, len(got))
	for i, l := range got {
		out[i] = l.d
	}
	return out, nil
}

// MarkWebhookDelivered implements passkeyd.OutboxStore.
func (db *DB) MarkWebhookDelivered(ctx context.Context, id string, at time.Time) error {
	return db.tx(ctx, func(tx wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhook_outbox SET state = 'delivered', delivered_at = ?, lease_token = '', lease_until = 0
			WHERE id = ? AND state <> 'delivered'`, micros(at), id)
		return affected(res, err)
	})
}

// MarkWebhookFailed implements passkeyd.OutboxStore.
func (db *DB) MarkWebhookFailed(ctx context.Context, id, token string, f passkeyd.WebhookFailure) (bool, error) {
	var state string
	err := db.tx(ctx, func(tx wtx) error {
		return tx.QueryRowContext(ctx, `UPDATE webhook_outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, lease_token = '', lease_until = 0,
				state = CASE WHEN attempts + 1 >= ? OR since < ? THEN 'dead' ELSE 'pending' END
			WHERE id = ? AND state = 'pending' AND lease_token = ? RETURNING state`,
			micros(f.NextAttempt), f.Error, f.MaxAttempts, micros(f.At.Add(-f.MaxAge)), id, token).Scan(&state)
	})
	return state == string(passkeyd.WebhookDead), err
}

// DeadWebhooks implements passkeyd.OutboxStore.
func (db *DB) DeadWebhooks(ctx context.Context, limit int) ([]*passkeyd.WebhookDelivery, error) {
	rows, err := db.query(ctx, `SELECT `+deliveryColumns+` FROM webhook_outbox WHERE state = 'dead' ORDER BY seq LIMIT ?`, limit)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []*passkeyd.WebhookDelivery{}
	for rows.Next() {
		_, d, err := scanDelivery(rows)
		if err != nil {
			return nil, mapErr(err)
		}
		out = append(out, d)
	}
	return out, mapErr(rows.Err())
}

// RetryWebhook implements passkeyd.OutboxStore.
func (db *DB) RetryWebhook(ctx context.Context, id string, now time.Time) error {
	return db.tx(ctx, func(tx wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhook_outbox SET state = 'pending', attempts = 0, since = ?, next_attempt_at = ? WHERE id = ? AND state = 'dead'`, micros(now), micros(now), id)
		return affected(res, err)
	})
}

// PruneWebhooks implements passkeyd.OutboxStore.
func (db *DB) PruneWebhooks(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := db.tx(ctx, func(tx wtx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM webhook_outbox WHERE state = 'delivered' AND delivered_at < ?`, micros(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// OutboxStats implements passkeyd.OutboxStore.
func (db *DB) OutboxStats(ctx context.Context) (passkeyd.OutboxStats, error) {
	var st passkeyd.OutboxStats
	var oldest sql.NullInt64
	err := db.queryRow(ctx, `SELECT
			(SELECT COUNT(*) FROM webhook_outbox WHERE state = 'pending'),
			(SELECT COUNT(*) FROM webhook_outbox WHERE state = 'dead'),
			(SELECT MIN(created_at) FROM webhook_outbox WHERE state = 'pending')`).Scan(&st.Pending, &st.Dead, &oldest)
	if oldest.Valid {
		st.OldestPending = fromMicros(oldest.Int64)
	}
	return st, mapErr(err)
}

func affected(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return passkeyd.ErrNotFound
	}
	return nil
}
