package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/passkeyd/passkeyd"
)

// PutTOTP implements passkeyd.TOTPStore.
func (db *DB) PutTOTP(ctx context.Context, userID string, secret []byte) error {
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var confirmed bool
		err := tx.QueryRow(ctx, `SELECT confirmed FROM totp WHERE user_id = $1 FOR UPDATE`, userID).Scan(&confirmed)
		if err == nil && confirmed {
			return passkeyd.ErrCredentialExists
		}
		_, err = tx.Exec(ctx, `INSERT INTO totp (user_id, secret) VALUES ($1, $2)
			ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, confirmed = false, last_step = 0`, userID, secret)
		return err
	})
}

// TOTP implements passkeyd.TOTPStore.
func (db *DB) TOTP(ctx context.Context, userID string) (*passkeyd.TOTP, error) {
	return retryRead(ctx, db, func(ctx context.Context) (*passkeyd.TOTP, error) {
		t := &passkeyd.TOTP{UserID: userID}
		if err := db.pool.QueryRow(ctx, `SELECT secret, confirmed, last_step FROM totp WHERE user_id = $1`, userID).Scan(&t.Secret, &t.Confirmed, &t.LastStep); err != nil {
			return nil, mapErr(err)
		}
		return t, nil
	})
}

// UseTOTPStep implements passkeyd.TOTPStore.
func (db *DB) UseTOTPStep(ctx context.Context, userID string, step int64) error {
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE totp SET last_step = $2, confirmed = true WHERE user_id = $1 AND last_step < $2`, userID, step)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return passkeyd.ErrNotFound
		}
		return nil
	})
}

// DeleteTOTP implements passkeyd.TOTPStore.
func (db *DB) DeleteTOTP(ctx context.Context, userID string) error {
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM totp WHERE user_id = $1`, userID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return passkeyd.ErrNotFound
		}
		return nil
	})
}
