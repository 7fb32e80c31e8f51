package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/passkeyd/passkeyd"
)

func insertRecoveryCodes(ctx context.Context, tx pgx.Tx, userID string, hashes [][]byte) error {
	if len(hashes) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO recovery_codes (user_id, code_hash) SELECT $1, unnest($2::bytea[])`, userID, hashes)
	return err
}

// ReplaceRecoveryCodes implements passkeyd.RecoveryCodeStore.
func (db *DB) ReplaceRecoveryCodes(ctx context.Context, userID string, hashes [][]byte) error {
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, userID).Scan(&one); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
			return err
		}
		return insertRecoveryCodes(ctx, tx, userID, hashes)
	})
}

// UseRecoveryCode implements passkeyd.RecoveryCodeStore (the conditional UPDATE makes
// concurrent uses of one code succeed at most once).
func (db *DB) UseRecoveryCode(ctx context.Context, userID string, hash []byte, now time.Time) error {
	tag, err := do(ctx, db, func(ctx context.Context) (pgconn.CommandTag, error) {
		return db.pool.Exec(ctx, `UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`, userID, hash, now)
	})
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return passkeyd.ErrNotFound
	}
	return nil
}

// RecoveryCodesLeft implements passkeyd.RecoveryCodeStore.
func (db *DB) RecoveryCodesLeft(ctx context.Context, userID string) (int, error) {
	return retryRead(ctx, db, func(ctx context.Context) (int, error) {
		var n int
		err := db.pool.QueryRow(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`, userID).Scan(&n)
		return n, mapErr(err)
	})
}
