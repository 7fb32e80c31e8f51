package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/passkeyd/passkeyd"
)

const sessionColumns = `id, token_hash, user_id, method, authenticated_at, expires_at, created_at, credential_id, user_verified, amr, user_agent, ip`

func insertSession(ctx context.Context, tx pgx.Tx, s *passkeyd.Session) error {
	created := s.CreatedAt
	if created.IsZero() {
		created = s.AuthenticatedAt
	}
	amr := s.AMR
	if amr == nil {
		amr = []string{}
	}
	var cred []byte
	if len(s.CredentialID) > 0 {
		cred = s.CredentialID
	}
	_, err := tx.Exec(ctx, `INSERT INTO sessions (`+sessionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		s.ID, s.TokenHash, s.UserID, string(s.Method), s.AuthenticatedAt, s.ExpiresAt, created, cred, s.UserVerified, amr, s.UserAgent, s.IP)
	return err
}

func scanSession(row pgx.Row) (*passkeyd.Session, error) {
	var s passkeyd.Session
	var method string
	if err := row.Scan(&s.ID, &s.TokenHash, &s.UserID, &method, &s.AuthenticatedAt, &s.ExpiresAt, &s.CreatedAt, &s.CredentialID, &s.UserVerified, &s.AMR, &s.UserAgent, &s.IP); err != nil {
		return nil, mapErr(err)
	}
	s.Method, s.AuthenticatedAt, s.ExpiresAt, s.CreatedAt = passkeyd.SessionMethod(method), utc(s.AuthenticatedAt), utc(s.ExpiresAt), utc(s.CreatedAt)
	if len(s.AMR) == 0 {
		s.AMR = nil
	}
	return &s, nil
}

// CreateSession implements passkeyd.SessionStore.
func (db *DB) CreateSession(ctx context.Context, s *passkeyd.Session) error {
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error { return insertSession(ctx, tx, s) })
}

// SessionByTokenHash implements passkeyd.SessionStore.
func (db *DB) SessionByTokenHash(ctx context.Context, hash []byte, now time.Time) (*passkeyd.Session, error) {
	return retryRead(ctx, db, func(ctx context.Context) (*passkeyd.Session, error) {
		return scanSession(db.pool.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE token_hash = $1 AND expires_at > $2`, hash, now))
	})
}

// Sessions implements passkeyd.SessionStore.
func (db *DB) Sessions(ctx context.Context, userID string, now time.Time) ([]*passkeyd.Session, error) {
	return retryRead(ctx, db, func(ctx context.Context) ([]*passkeyd.Session, error) {
		rows, err := db.pool.Query(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC, authenticated_at DESC`, userID, now)
		if err != nil {
			return nil, mapErr(err)
		}
		defer rows.Close()
		var out []*passkeyd.Session
		for rows.Next() {
			s, err := scanSession(rows)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, mapErr(rows.Err())
	})
}

// exec runs one statement and says how many rows it touched.
func (db *DB) exec(ctx context.Context, query string, args ...any) (int, error) {
	tag, err := do(ctx, db, func(ctx context.Context) (pgconn.CommandTag, error) { return db.pool.Exec(ctx, query, args...) })
	if err != nil {
		return 0, mapErr(err)
	}
	return int(tag.RowsAffected()), nil
}

// DeleteSession implements passkeyd.SessionStore.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	_, err := db.exec(ctx, `DELETE FROM sessions WHERE id = $1`, id)
	return err
}

// DeleteUserSession implements passkeyd.SessionStore.
func (db *DB) DeleteUserSession(ctx context.Context, userID, id string) error {
	n, err := db.exec(ctx, `DELETE FROM sessions WHERE id = $1 AND user_id = $2`, id, userID)
	if err == nil && n == 0 {
		return passkeyd.ErrNotFound
	}
	return err
}

// DeleteOtherSessions implements passkeyd.SessionStore.
func (db *DB) DeleteOtherSessions(ctx context.Context, userID, keepID string) (int, error) {
	return db.exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id <> $2`, userID, keepID)
}

// ReauthenticateSession implements passkeyd.SessionStore.
func (db *DB) ReauthenticateSession(ctx context.Context, id string, at time.Time, userVerified bool) error {
	n, err := db.exec(ctx, `UPDATE sessions SET authenticated_at = $2, user_verified = (user_verified OR $3) WHERE id = $1`, id, at, userVerified)
	if err == nil && n == 0 {
		return passkeyd.ErrNotFound
	}
	return err
}

// DeleteExpiredSessions implements passkeyd.SessionStore.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	return db.maintain(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, now)
}

// DeleteUserSessions implements passkeyd.SessionStore.
func (db *DB) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	return db.exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
}
