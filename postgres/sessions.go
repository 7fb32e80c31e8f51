package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/passkeyd/passkeyd"
)

func insertSession(ctx context.Context, tx pgx.Tx, s *passkeyd.Session) error {
	_, err := tx.Exec(ctx, `INSERT INTO sessions (id, token_hash, user_id, method, authenticated_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		s.ID, s.TokenHash, s.UserID, string(s.Method), s.AuthenticatedAt, s.ExpiresAt)
	return err
}

// CreateSession implements passkeyd.SessionStore.
func (db *DB) CreateSession(ctx context.Context, s *passkeyd.Session) error {
	return db.tx(ctx, func(tx pgx.Tx) error { return insertSession(ctx, tx, s) })
}

// SessionByTokenHash implements passkeyd.SessionStore.
func (db *DB) SessionByTokenHash(ctx context.Context, hash []byte, now time.Time) (*passkeyd.Session, error) {
	return retryRead(ctx, db, func() (*passkeyd.Session, error) { return db.sessionByTokenHash(ctx, hash, now) })
}

func (db *DB) sessionByTokenHash(ctx context.Context, hash []byte, now time.Time) (*passkeyd.Session, error) {
	var s passkeyd.Session
	var method string
	err := db.pool.QueryRow(ctx, `SELECT id, token_hash, user_id, method, authenticated_at, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2`,
		hash, now).Scan(&s.ID, &s.TokenHash, &s.UserID, &method, &s.AuthenticatedAt, &s.ExpiresAt)
	if err != nil {
		return nil, mapErr(err)
	}
	s.Method, s.AuthenticatedAt, s.ExpiresAt = passkeyd.SessionMethod(method), utc(s.AuthenticatedAt), utc(s.ExpiresAt)
	return &s, nil
}

// DeleteSession implements passkeyd.SessionStore.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	_, err := do(ctx, db, func() (pgconn.CommandTag, error) { return db.pool.Exec(ctx, `DELETE FROM sessions WHERE id = $1`, id) })
	return mapErr(err)
}

// DeleteExpiredSessions implements passkeyd.SessionStore.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	tag, err := do(ctx, db, func() (pgconn.CommandTag, error) {
		return db.pool.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, now)
	})
	if err != nil {
		return 0, mapErr(err)
	}
	return int(tag.RowsAffected()), nil
}

// DeleteUserSessions implements passkeyd.SessionStore.
func (db *DB) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	tag, err := do(ctx, db, func() (pgconn.CommandTag, error) {
		return db.pool.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	})
	if err != nil {
		return 0, mapErr(err)
	}
	return int(tag.RowsAffected()), nil
}
