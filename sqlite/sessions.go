package sqlite

import (
	"context"
	"time"

	"github.com/passkeyd/passkeyd"
)

func insertSession(ctx context.Context, tx wtx, s *passkeyd.Session) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, token_hash, user_id, method, authenticated_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		s.ID, s.TokenHash, s.UserID, string(s.Method), micros(s.AuthenticatedAt), micros(s.ExpiresAt))
	return err
}

// CreateSession implements passkeyd.SessionStore.
func (db *DB) CreateSession(ctx context.Context, s *passkeyd.Session) error {
	return db.tx(ctx, func(tx wtx) error { return insertSession(ctx, tx, s) })
}

// SessionByTokenHash implements passkeyd.SessionStore.
func (db *DB) SessionByTokenHash(ctx context.Context, hash []byte, now time.Time) (*passkeyd.Session, error) {
	var s passkeyd.Session
	var method string
	var auth, exp int64
	err := db.queryRow(ctx, `SELECT id, token_hash, user_id, method, authenticated_at, expires_at FROM sessions WHERE token_hash = ? AND expires_at > ?`,
		hash, micros(now)).Scan(&s.ID, &s.TokenHash, &s.UserID, &method, &auth, &exp)
	if err != nil {
		return nil, mapErr(err)
	}
	s.Method, s.AuthenticatedAt, s.ExpiresAt = passkeyd.SessionMethod(method), fromMicros(auth), fromMicros(exp)
	return &s, nil
}

// DeleteSession implements passkeyd.SessionStore.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	return db.tx(ctx, func(tx wtx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id)
		return err
	})
}

// DeleteExpiredSessions implements passkeyd.SessionStore.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := db.tx(ctx, func(tx wtx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, micros(now))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}

// DeleteUserSessions implements passkeyd.SessionStore.
func (db *DB) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	var n int64
	err := db.tx(ctx, func(tx wtx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}
