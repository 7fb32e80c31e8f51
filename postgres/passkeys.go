package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/passkeyd/passkeyd"
)

// passkeyColumns are the columns an insert names; a read adds the etag, which the database
// draws (column default and trigger, migration 0010).
const passkeyColumns = `id, user_id, name, public_key, algorithm, sign_count, aaguid, transports, attestation_format,
	attestation_type, backup_eligible, backed_up, user_verified, discoverable, clone_warning, created_at, last_used_at`

const passkeyRead = passkeyColumns + `, etag`

func insertPasskey(ctx context.Context, tx pgx.Tx, p *passkeyd.Passkey) error {
	aaguid := p.AAGUID
	if aaguid == nil {
		aaguid = []byte{}
	}
	transports := p.Transports
	if transports == nil {
		transports = []string{}
	}
	var lastUsed *time.Time
	if !p.LastUsedAt.IsZero() {
		lastUsed = &p.LastUsedAt
	}
	_, err := tx.Exec(ctx, `INSERT INTO passkeys (`+passkeyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
		p.ID, p.UserID, p.Name, p.PublicKey, p.Algorithm, int64(p.SignCount), aaguid, transports, p.AttestationFormat,
		p.AttestationType, p.BackupEligible, p.BackedUp, p.UserVerified, p.Discoverable, p.CloneWarning, p.CreatedAt, lastUsed)
	return err
}

func scanPasskey(row pgx.Row) (*passkeyd.Passkey, error) {
	var p passkeyd.Passkey
	var count int64
	var lastUsed *time.Time
	if err := row.Scan(&p.ID, &p.UserID, &p.Name, &p.PublicKey, &p.Algorithm, &count, &p.AAGUID, &p.Transports, &p.AttestationFormat,
		&p.AttestationType, &p.BackupEligible, &p.BackedUp, &p.UserVerified, &p.Discoverable, &p.CloneWarning, &p.CreatedAt, &lastUsed, &p.ETag); err != nil {
		return nil, mapErr(err)
	}
	p.SignCount = uint32(count)
	p.CreatedAt = utc(p.CreatedAt)
	if lastUsed != nil {
		p.LastUsedAt = utc(*lastUsed)
	}
	if p.Transports == nil {
		p.Transports = []string{}
	}
	return &p, nil
}

// AddPasskey implements passkeyd.PasskeyStore.
func (db *DB) AddPasskey(ctx context.Context, p *passkeyd.Passkey) error {
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error { return insertPasskey(ctx, tx, p) })
}

// Passkey implements passkeyd.PasskeyStore.
func (db *DB) Passkey(ctx context.Context, id []byte) (*passkeyd.Passkey, error) {
	return retryRead(ctx, db, func(ctx context.Context) (*passkeyd.Passkey, error) {
		return scanPasskey(db.pool.QueryRow(ctx, `SELECT `+passkeyRead+` FROM passkeys WHERE id = $1`, id))
	})
}

// Passkeys implements passkeyd.PasskeyStore.
func (db *DB) Passkeys(ctx context.Context, userID string) ([]*passkeyd.Passkey, error) {
	return retryRead(ctx, db, func(ctx context.Context) ([]*passkeyd.Passkey, error) { return db.passkeys(ctx, userID) })
}

func (db *DB) passkeys(ctx context.Context, userID string) ([]*passkeyd.Passkey, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+passkeyRead+` FROM passkeys WHERE user_id = $1 ORDER BY created_at DESC, seq DESC`, userID)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []*passkeyd.Passkey{}
	for rows.Next() {
		p, err := scanPasskey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, mapErr(rows.Err())
}

// SetCloneWarning implements passkeyd.PasskeyStore.
func (db *DB) SetCloneWarning(ctx context.Context, id []byte, flagged bool) error {
	tag, err := do(ctx, db, func(ctx context.Context) (pgconn.CommandTag, error) {
		return db.pool.Exec(ctx, `UPDATE passkeys SET clone_warning = $2 WHERE id = $1`, id, flagged)
	})
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return passkeyd.ErrNotFound
	}
	return nil
}

// RenamePasskey implements passkeyd.PasskeyStore.
func (db *DB) RenamePasskey(ctx context.Context, userID string, id []byte, name string) (*passkeyd.Passkey, error) {
	return do(ctx, db, func(ctx context.Context) (*passkeyd.Passkey, error) {
		return scanPasskey(db.pool.QueryRow(ctx, `UPDATE passkeys SET name = $3 WHERE id = $1 AND user_id = $2 RETURNING `+passkeyRead, id, userID, name))
	})
}

// DeletePasskey implements passkeyd.PasskeyStore. The user's row is locked FOR UPDATE, so
// concurrent deletes of one user's passkeys (on any instance) run one after the other and
// the last-way-in count is never stale.
func (db *DB) DeletePasskey(ctx context.Context, userID string, id []byte) error {
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var hasPassword bool
		if err := tx.QueryRow(ctx, `SELECT COALESCE(password_hash, '') <> '' FROM users WHERE id = $1 FOR UPDATE`, userID).Scan(&hasPassword); err != nil {
			return err
		}
		var mine bool
		var others int
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM passkeys WHERE id = $2 AND user_id = $1),
				(SELECT COUNT(*) FROM passkeys WHERE user_id = $1 AND id <> $2)`, userID, id).Scan(&mine, &others); err != nil {
			return err
		}
		if !mine {
			return passkeyd.ErrNotFound
		}
		if others == 0 && !hasPassword {
			return passkeyd.ErrLastCredential
		}
		if _, err := tx.Exec(ctx, `DELETE FROM passkeys WHERE id = $1 AND user_id = $2`, id, userID); err != nil {
			return err
		}
		return deleteCredentialSessions(ctx, tx, userID, id)
	})
}

// deleteCredentialSessions ends the sessions a deleted passkey of userID signed in, found by
// the (user_id, credential_id) index: sessions have no index on the credential alone.
func deleteCredentialSessions(ctx context.Context, tx pgx.Tx, userID string, id []byte) error {
	_, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND credential_id = $2`, userID, id)
	return err
}

// RevokePasskey implements passkeyd.PasskeyStore.
func (db *DB) RevokePasskey(ctx context.Context, userID string, id []byte) error {
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM passkeys WHERE id = $1 AND user_id = $2`, id, userID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return passkeyd.ErrNotFound
		}
		return deleteCredentialSessions(ctx, tx, userID, id)
	})
}
