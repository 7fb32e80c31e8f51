package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/passkeyd/passkeyd"
)

const passkeyColumns = `id, user_id, name, public_key, algorithm, sign_count, aaguid, transports, attestation_format,
	attestation_type, backup_eligible, backed_up, user_verified, discoverable, clone_warning, created_at, last_used_at, etag`

func insertPasskey(ctx context.Context, tx wtx, p *passkeyd.Passkey) error {
	var disc sql.NullInt64
	if p.Discoverable != nil {
		disc = sql.NullInt64{Int64: int64(b2i(*p.Discoverable)), Valid: true}
	}
	aaguid := p.AAGUID
	if aaguid == nil {
		aaguid = []byte{}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO passkeys (`+passkeyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.UserID, p.Name, p.PublicKey, p.Algorithm, int64(p.SignCount), aaguid, strings.Join(p.Transports, ","), p.AttestationFormat,
		p.AttestationType, b2i(p.BackupEligible), b2i(p.BackedUp), b2i(p.UserVerified), disc, b2i(p.CloneWarning), micros(p.CreatedAt), nullMicros(p.LastUsedAt),
		passkeyd.NewETag())
	return err
}

type scanner interface{ Scan(dest ...any) error }

func scanPasskey(row scanner) (*passkeyd.Passkey, error) {
	var p passkeyd.Passkey
	var count, created int64
	var transports string
	var be, bs, uv, clone int
	var disc, lastUsed sql.NullInt64
	if err := row.Scan(&p.ID, &p.UserID, &p.Name, &p.PublicKey, &p.Algorithm, &count, &p.AAGUID, &transports, &p.AttestationFormat,
		&p.AttestationType, &be, &bs, &uv, &disc, &clone, &created, &lastUsed, &p.ETag); err != nil {
		return nil, mapErr(err)
	}
	p.SignCount = uint32(count)
	p.Transports = []string{}
	if transports != "" {
		p.Transports = strings.Split(transports, ",")
	}
	p.BackupEligible, p.BackedUp, p.UserVerified, p.CloneWarning = be == 1, bs == 1, uv == 1, clone == 1
	if disc.Valid {
		d := disc.Int64 == 1
		p.Discoverable = &d
	}
	p.CreatedAt = fromMicros(created)
	if lastUsed.Valid {
		p.LastUsedAt = fromMicros(lastUsed.Int64)
	}
	return &p, nil
}

// AddPasskey implements passkeyd.PasskeyStore.
func (db *DB) AddPasskey(ctx context.Context, p *passkeyd.Passkey) error {
	return db.tx(ctx, func(tx wtx) error { return insertPasskey(ctx, tx, p) })
}

// Passkey implements passkeyd.PasskeyStore.
func (db *DB) Passkey(ctx context.Context, id []byte) (*passkeyd.Passkey, error) {
	return scanPasskey(db.lookup(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE id = ?`, id))
}

// Passkeys implements passkeyd.PasskeyStore.
func (db *DB) Passkeys(ctx context.Context, userID string) ([]*passkeyd.Passkey, error) {
	rows, err := db.query(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE user_id = ? ORDER BY created_at DESC, rowid DESC`, userID)
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

// RecordLogin implements passkeyd.PasskeyStore: the conditions are in the UPDATE, and the
// write transactions of the one writer run one after the other, so no interleaving of
// logins can move a counter backwards or apply a use decided on an old read.
func (db *DB) RecordLogin(ctx context.Context, id []byte, use passkeyd.PasskeyUse, s *passkeyd.Session, e *passkeyd.AuditEvent, webhooks ...*passkeyd.WebhookDelivery) error {
	return db.tx(ctx, func(tx wtx) error {
		n := int64(use.SignCount)
		res, err := tx.ExecContext(ctx, `UPDATE passkeys SET sign_count = ?1, backed_up = ?2, last_used_at = ?3
			WHERE id = ?4 AND etag = ?5 AND (sign_count < ?1 OR (?1 = 0 AND sign_count = 0))
				AND EXISTS (SELECT 1 FROM users WHERE users.id = passkeys.user_id AND users.etag = ?6)`,
			n, b2i(use.BackedUp), micros(use.UsedAt), id, use.ETag, use.UserETag)
		if err != nil {
			return err
		}
		if affected, _ := res.RowsAffected(); affected == 0 {
			var current bool
			if err := tx.QueryRowContext(ctx, `SELECT p.etag = ?2 AND u.etag = ?3 FROM passkeys p JOIN users u ON u.id = p.user_id WHERE p.id = ?1`,
				id, use.ETag, use.UserETag).Scan(&current); err != nil {
				return err // ErrNotFound after mapping
			}
			if !current {
				return passkeyd.ErrStale
			}
			return passkeyd.ErrCounterRegression
		}
		if s != nil {
			if err := insertSession(ctx, tx, s); err != nil {
				return err
			}
		}
		if e != nil {
			return insertEvent(ctx, tx, e, webhooks)
		}
		return nil
	})
}

// SetCloneWarning implements passkeyd.PasskeyStore.
func (db *DB) SetCloneWarning(ctx context.Context, id []byte, flagged bool) error {
	return db.tx(ctx, func(tx wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE passkeys SET clone_warning = ? WHERE id = ?`, b2i(flagged), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return passkeyd.ErrNotFound
		}
		return nil
	})
}

// RenamePasskey implements passkeyd.PasskeyStore. The passkey is read after the update, not
// returned by it: RETURNING would not see the etag the trigger draws.
func (db *DB) RenamePasskey(ctx context.Context, userID string, id []byte, name string) (*passkeyd.Passkey, error) {
	var p *passkeyd.Passkey
	err := db.tx(ctx, func(tx wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE passkeys SET name = ? WHERE id = ? AND user_id = ?`, name, id, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return passkeyd.ErrNotFound
		}
		p, err = scanPasskey(tx.QueryRowContext(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE id = ?`, id))
		return err
	})
	return p, err
}

// DeletePasskey implements passkeyd.PasskeyStore. The count and the delete share one
// IMMEDIATE transaction, so concurrent deletes of a user's last two passkeys serialise and
// the second sees one left.
func (db *DB) DeletePasskey(ctx context.Context, userID string, id []byte) error {
	return db.tx(ctx, func(tx wtx) error {
		var others int
		var hasPassword bool
		err := tx.QueryRowContext(ctx, `SELECT
				(SELECT COUNT(*) FROM passkeys WHERE user_id = ?1 AND id <> ?2),
				(SELECT COALESCE(password_hash, '') <> '' FROM users WHERE id = ?1)
			FROM passkeys WHERE id = ?2 AND user_id = ?1`, userID, id).Scan(&others, &hasPassword)
		if err != nil {
			return err
		}
		if others == 0 && !hasPassword {
			return passkeyd.ErrLastCredential
		}
		if _, err = tx.ExecContext(ctx, `DELETE FROM passkeys WHERE id = ? AND user_id = ?`, id, userID); err != nil {
			return err
		}
		return deleteCredentialSessions(ctx, tx, userID, id)
	})
}

// deleteCredentialSessions ends the sessions a deleted passkey of userID signed in: found by
// the (user_id, credential_id) index, since sessions have no index on the credential alone.
func deleteCredentialSessions(ctx context.Context, tx wtx, userID string, id []byte) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND credential_id = ?`, userID, id)
	return err
}

// RevokePasskey implements passkeyd.PasskeyStore.
func (db *DB) RevokePasskey(ctx context.Context, userID string, id []byte) error {
	return db.tx(ctx, func(tx wtx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM passkeys WHERE id = ? AND user_id = ?`, id, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return passkeyd.ErrNotFound
		}
		return deleteCredentialSessions(ctx, tx, userID, id)
	})
}
