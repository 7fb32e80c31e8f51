package sqlite

import (
	"context"
	"time"

	"github.com/passkeyd/passkeyd"
)

const signingKeyColumns = `id, algorithm, public_key, private_key, not_before, not_after, expires_at, created_at`

// AddSigningKey implements passkeyd.SigningKeyStore: the insert does nothing when the slot
// has a key, and the read in the same transaction returns whichever key holds it.
func (db *DB) AddSigningKey(ctx context.Context, k *passkeyd.SigningKey) (*passkeyd.SigningKey, error) {
	var out *passkeyd.SigningKey
	err := db.tx(ctx, func(tx wtx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO signing_keys (`+signingKeyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (not_before) DO NOTHING`,
			k.ID, k.Algorithm, k.PublicKey, k.PrivateKey, micros(k.NotBefore), micros(k.NotAfter), micros(k.ExpiresAt), micros(k.CreatedAt)); err != nil {
			return err
		}
		var err error
		out, err = scanSigningKey(tx.QueryRowContext(ctx, `SELECT `+signingKeyColumns+` FROM signing_keys WHERE not_before = ?`, micros(k.NotBefore)))
		return err
	})
	if err != nil {
		return nil, mapErr(err)
	}
	return out, nil
}

// SigningKeys implements passkeyd.SigningKeyStore.
func (db *DB) SigningKeys(ctx context.Context, now time.Time) ([]*passkeyd.SigningKey, error) {
	rows, err := db.query(ctx, `SELECT `+signingKeyColumns+` FROM signing_keys WHERE expires_at > ? ORDER BY not_before`, micros(now))
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
}

// DeleteExpiredSigningKeys implements passkeyd.SigningKeyStore.
func (db *DB) DeleteExpiredSigningKeys(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := db.tx(ctx, func(tx wtx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM signing_keys WHERE expires_at <= ?`, micros(now))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), mapErr(err)
}

func scanSigningKey(row interface{ Scan(...any) error }) (*passkeyd.SigningKey, error) {
	k := &passkeyd.SigningKey{}
	var nb, na, exp, created int64
	if err := row.Scan(&k.ID, &k.Algorithm, &k.PublicKey, &k.PrivateKey, &nb, &na, &exp, &created); err != nil {
		return nil, err
	}
	k.NotBefore, k.NotAfter, k.ExpiresAt, k.CreatedAt = fromMicros(nb), fromMicros(na), fromMicros(exp), fromMicros(created)
	return k, nil
}
