package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passkeyd/passkeyd"
)

const signingKeyColumns = `id, algorithm, public_key, private_key, not_before, not_after, expires_at, created_at`

// AddSigningKey implements passkeyd.SigningKeyStore. ON CONFLICT DO NOTHING on the unique
// not_before makes instances creating a slot's key at once agree on the first one stored.
func (db *DB) AddSigningKey(ctx context.Context, k *passkeyd.SigningKey) (*passkeyd.SigningKey, error) {
	var out *passkeyd.SigningKey
	err := db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO signing_keys (`+signingKeyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (not_before) DO NOTHING`,
			k.ID, k.Algorithm, k.PublicKey, k.PrivateKey, k.NotBefore.UTC(), k.NotAfter.UTC(), k.ExpiresAt.UTC(), k.CreatedAt.UTC()); err != nil {
			return err
		}
		var err error
		out, err = scanSigningKey(tx.QueryRow(ctx, `SELECT `+signingKeyColumns+` FROM signing_keys WHERE not_before = $1`, k.NotBefore.UTC()))
		return err
	})
	if err != nil {
		return nil, mapErr(err)
	}
	return out, nil
}

// SigningKeys implements passkeyd.SigningKeyStore.
func (db *DB) SigningKeys(ctx context.Context, now time.Time) ([]*passkeyd.SigningKey, error) {
	return retryRead(ctx, db, func(ctx context.Context) ([]*passkeyd.SigningKey, error) {
		rows, err := db.pool.Query(ctx, `SELECT `+signingKeyColumns+` FROM signing_keys WHERE expires_at > $1 ORDER BY not_before`, now.UTC())
		if err != nil {
			return nil, mapErr(err)
		}
		defer rows.Close()
		out := []*passkeyd.SigningKey{}
		for rows.Next() {
			k, err := scanSigningKey(rows)
			if err != nil {
				return nil, mapErr(err)
			}
			out = append(out, k)
		}
		return out, mapErr(rows.Err())
	})
}

// DeleteExpiredSigningKeys implements passkeyd.SigningKeyStore.
func (db *DB) DeleteExpiredSigningKeys(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM signing_keys WHERE expires_at <= $1`, now.UTC())
		n = tag.RowsAffected()
		return err
	})
	return int(n), err
}

func scanSigningKey(row pgx.Row) (*passkeyd.SigningKey, error) {
	k := &passkeyd.SigningKey{}
	if err := row.Scan(&k.ID, &k.Algorithm, &k.PublicKey, &k.PrivateKey, &k.NotBefore, &k.NotAfter, &k.ExpiresAt, &k.CreatedAt); err != nil {
		return nil, err
	}
	k.NotBefore, k.NotAfter, k.ExpiresAt, k.CreatedAt = k.NotBefore.UTC(), k.NotAfter.UTC(), k.ExpiresAt.UTC(), k.CreatedAt.UTC()
	return k, nil
}
