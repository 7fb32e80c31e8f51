package sqlite

import (
	"context"
	"database/sql"

	"github.com/passkeyd/passkeyd"
)

const userColumns = `id, handle, username, username_key, display_name, COALESCE(password_hash, ''), created_at, etag`

// CreateAccount implements passkeyd.UserStore.
func (db *DB) CreateAccount(ctx context.Context, a passkeyd.NewAccount) error {
	return db.tx(ctx, func(tx wtx) error {
		u := a.User
		var pw sql.NullString
		if u.PasswordHash != "" {
			pw = sql.NullString{String: u.PasswordHash, Valid: true}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, handle, username, username_key, display_name, password_hash, created_at, etag) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.Handle, u.Username, u.UsernameKey, u.DisplayName, pw, micros(u.CreatedAt), passkeyd.NewETag()); err != nil {
			return err
		}
		if a.Passkey != nil {
			if err := insertPasskey(ctx, tx, a.Passkey); err != nil {
				return err
			}
		}
		if a.Session != nil {
			if err := insertSession(ctx, tx, a.Session); err != nil {
				return err
			}
		}
		if t := a.TOTP; t != nil {
			confirmed := 0
			if t.Confirmed {
				confirmed = 1
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO totp (user_id, secret, confirmed, last_step) VALUES (?, ?, ?, ?)`, u.ID, t.Secret, confirmed, t.LastStep); err != nil {
				return err
			}
		}
		return insertRecoveryCodes(ctx, tx, u.ID, a.RecoveryCodes)
	})
}

func scanUser(row *sql.Row) (*passkeyd.User, error) {
	var u passkeyd.User
	var created int64
	if err := row.Scan(&u.ID, &u.Handle, &u.Username, &u.UsernameKey, &u.DisplayName, &u.PasswordHash, &created, &u.ETag); err != nil {
		return nil, mapErr(err)
	}
	u.CreatedAt = fromMicros(created)
	return &u, nil
}

// UserByID implements passkeyd.UserStore.
func (db *DB) UserByID(ctx context.Context, id string) (*passkeyd.User, error) {
	return scanUser(db.lookup(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
}

// UserByUsername implements passkeyd.UserStore.
func (db *DB) UserByUsername(ctx context.Context, key string) (*passkeyd.User, error) {
	return scanUser(db.lookup(ctx, `SELECT `+userColumns+` FROM users WHERE username_key = ?`, key))
}

// UserByHandle implements passkeyd.UserStore.
func (db *DB) UserByHandle(ctx context.Context, handle []byte) (*passkeyd.User, error) {
	return scanUser(db.lookup(ctx, `SELECT `+userColumns+` FROM users WHERE handle = ?`, handle))
}

// Secret implements passkeyd.SecretStore.
func (db *DB) Secret(ctx context.Context, name string, fresh []byte) ([]byte, error) {
	var v []byte
	err := db.tx(ctx, func(tx wtx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, fresh); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&v)
	})
	return v, err
}

// SetPasswordHash implements passkeyd.UserStore.
func (db *DB) SetPasswordHash(ctx context.Context, userID, hash string) error {
	return db.tx(ctx, func(tx wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return passkeyd.ErrNotFound
		}
		return nil
	})
}

// SearchUsers implements passkeyd.UserStore.
func (db *DB) SearchUsers(ctx context.Context, prefix string, limit int) ([]*passkeyd.User, error) {
	rows, err := db.query(ctx, `SELECT `+userColumns+` FROM users WHERE substr(username_key, 1, length(?1)) = ?1 ORDER BY username_key LIMIT ?2`, prefix, limit)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []*passkeyd.User{}
	for rows.Next() {
		var u passkeyd.User
		var created int64
		if err := rows.Scan(&u.ID, &u.Handle, &u.Username, &u.UsernameKey, &u.DisplayName, &u.PasswordHash, &created, &u.ETag); err != nil {
			return nil, mapErr(err)
		}
		u.CreatedAt = fromMicros(created)
		out = append(out, &u)
	}
	return out, mapErr(rows.Err())
}

// ReplacePassword implements passkeyd.UserStore. The last-way-in check, the write and the
// revocation share one IMMEDIATE transaction.
func (db *DB) ReplacePassword(ctx context.Context, userID, hash, keepSession string) error {
	return db.tx(ctx, func(tx wtx) error {
		var passkeys int
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM passkeys WHERE user_id = ?1) FROM users WHERE id = ?1`, userID).Scan(&passkeys); err != nil {
			return err
		}
		if hash == "" && passkeys == 0 {
			return passkeyd.ErrLastCredential
		}
		var pw any
		if hash != "" {
			pw = hash
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, pw, userID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND id <> ?`, userID, keepSession)
		return err
	})
}

// DeleteAccount implements passkeyd.UserStore. Passkeys, sessions, TOTP and recovery codes
// go with the user row (ON DELETE CASCADE).
func (db *DB) DeleteAccount(ctx context.Context, userID string) error {
	return db.tx(ctx, func(tx wtx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return passkeyd.ErrNotFound
		}
		_, err = tx.ExecContext(ctx, `UPDATE audit_events SET ip = '', user_agent = '' WHERE user_id = ?`, userID)
		return err
	})
}
