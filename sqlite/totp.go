package sqlite

import (
	"context"

	"github.com/passkeyd/passkeyd"
)

// PutTOTP implements passkeyd.TOTPStore.
func (db *DB) PutTOTP(ctx context.Context, userID string, secret []byte) error {
	return db.tx(ctx, func(tx wtx) error {
		var confirmed int
		err := tx.QueryRowContext(ctx, `SELECT confirmed FROM totp WHERE user_id = ?`, userID).Scan(&confirmed)
		if err == nil && confirmed == 1 {
			return passkeyd.ErrCredentialExists
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO totp (user_id, secret) VALUES (?, ?)
			ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, confirmed = 0, last_step = 0`, userID, secret)
		return err
	})
}

// TOTP implements passkeyd.TOTPStore.
func (db *DB) TOTP(ctx context.Context, userID string) (*passkeyd.TOTP, error) {
	t := &passkeyd.TOTP{UserID: userID}
	var confirmed int
	if err := db.lookup(ctx, `SELECT secret, confirmed, last_step FROM totp WHERE user_id = ?`, userID).Scan(&t.Secret, &confirmed, &t.LastStep); err != nil {
		return nil, mapErr(err)
	}
	t.Confirmed = confirmed == 1
	return t, nil
}

// UseTOTPStep implements passkeyd.TOTPStore.
func (db *DB) UseTOTPStep(ctx context.Context, userID string, step int64) error {
	return db.tx(ctx, func(tx wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE totp SET last_step = ?, confirmed = 1 WHERE user_id = ? AND last_step < ?`, step, userID, step)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return passkeyd.ErrNotFound
		}
		return nil
	})
}

// DeleteTOTP implements passkeyd.TOTPStore.
func (db *DB) DeleteTOTP(ctx context.Context, userID string) error {
	return db.tx(ctx, func(tx wtx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM totp WHERE user_id = ?`, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return passkeyd.ErrNotFound
		}
		return nil
	})
}
