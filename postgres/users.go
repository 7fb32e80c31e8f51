package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/passkeyd/passkeyd"
)

const userColumns = `id, handle, username, username_key, display_name, COALESCE(password_hash, ''), created_at, etag`

// CreateAccount implements passkeyd.UserStore.
func (db *DB) CreateAccount(ctx context.Context, a passkeyd.NewAccount) error {
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		u := a.User
		var pw *string
		if u.PasswordHash != "" {
			pw = &u.PasswordHash
		}
		if _, err := tx.Exec(ctx, `INSERT INTO users (id, handle, username, username_key, display_name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			u.ID, u.Handle, u.Username, u.UsernameKey, u.DisplayName, pw, u.CreatedAt); err != nil {
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
			if _, err := tx.Exec(ctx, `INSERT INTO totp (user_id, secret, confirmed, last_step) VALUES ($1, $2, $3, $4)`, u.ID, t.Secret, t.Confirmed, t.LastStep); err != nil {
				return err
			}
		}
		return insertRecoveryCodes(ctx, tx, u.ID, a.RecoveryCodes)
	})
}

func scanUser(row pgx.Row) (*passkeyd.User, error) {
	var u passkeyd.User
	if err := row.Scan(&u.ID, &u.Handle, &u.Username, &u.UsernameKey, &u.DisplayName, &u.PasswordHash, &u.CreatedAt, &u.ETag); err != nil {
		return nil, mapErr(err)
	}
	u.CreatedAt = utc(u.CreatedAt)
	return &u, nil
}

// UserByID implements passkeyd.UserStore.
func (db *DB) UserByID(ctx context.Context, id string) (*passkeyd.User, error) {
	return retryRead(ctx, db, func(ctx context.Context) (*passkeyd.User, error) {
		return scanUser(db.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	})
}

// UserByUsername implements passkeyd.UserStore.
func (db *DB) UserByUsername(ctx context.Context, key string) (*passkeyd.User, error) {
	return retryRead(ctx, db, func(ctx context.Context) (*passkeyd.User, error) {
		return scanUser(db.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE username_key = $1`, key))
	})
}

// UserByHandle implements passkeyd.UserStore.
func (db *DB) UserByHandle(ctx context.Context, handle []byte) (*passkeyd.User, error) {
	return retryRead(ctx, db, func(ctx context.Context) (*passkeyd.User, error) {
		return scanUser(db.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE handle = $1`, handle))
	})
}

// Secret implements passkeyd.SecretStore. ON CONFLICT DO NOTHING makes concurrent first
// calls (on several instances) agree on one value.
func (db *DB) Secret(ctx context.Context, name string, fresh []byte) ([]byte, error) {
	var v []byte
	err := db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, fresh); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&v)
	})
	return v, err
}

// SetPasswordHash implements passkeyd.UserStore.
func (db *DB) SetPasswordHash(ctx context.Context, userID, hash string) error {
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, userID, hash)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return passkeyd.ErrNotFound
		}
		return nil
	})
}

// SearchUsers implements passkeyd.UserStore.
func (db *DB) SearchUsers(ctx context.Context, prefix string, limit int) ([]*passkeyd.User, error) {
	return retryRead(ctx, db, func(ctx context.Context) ([]*passkeyd.User, error) {
		rows, err := db.pool.Query(ctx, `SELECT `+userColumns+` FROM users WHERE left(username_key, char_length($1)) = $1 ORDER BY username_key COLLATE "C" LIMIT $2`, prefix, limit)
		if err != nil {
			return nil, mapErr(err)
		}
		defer rows.Close()
		out := []*passkeyd.User{}
		for rows.Next() {
			u, err := scanUser(rows)
			if err != nil {
				return nil, err
			}
			out = append(out, u)
		}
		return out, mapErr(rows.Err())
	})
}

// ReplacePassword implements passkeyd.UserStore. The user's row is locked first, as in
// DeletePasskey, so the last-way-in check cannot race a concurrent passkey deletion.
func (db *DB) ReplacePassword(ctx context.Context, userID, hash, keepSession string) error {
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, userID).Scan(&one); err != nil {
			return err
		}
		if hash == "" {
			var has bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM passkeys WHERE user_id = $1)`, userID).Scan(&has); err != nil {
				return err
			}
			if !has {
				return passkeyd.ErrLastCredential
			}
		}
		var pw *string
		if hash != "" {
			pw = &hash
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, userID, pw); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id <> $2`, userID, keepSession)
		return err
	})
}

// DeleteAccount implements passkeyd.UserStore. Passkeys, sessions, TOTP and recovery codes
// go with the user row (ON DELETE CASCADE).
func (db *DB) DeleteAccount(ctx context.Context, userID string) error {
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM users WHERE id = $1`, userID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return passkeyd.ErrNotFound
		}
		_, err = tx.Exec(ctx, `UPDATE audit_events SET ip = '', user_agent = '' WHERE user_id = $1`, userID)
		return err
	})
}
