package sqlite

import (
	"context"
	"strings"
	"time"

	"github.com/passkeyd/passkeyd"
)

const sessionColumns = `id, token_hash, user_id, method, authenticated_at, expires_at, created_at, credential_id, user_verified, amr, user_agent, ip`

func insertSession(ctx context.Context, tx wtx, s *passkeyd.Session) error {
	created := s.CreatedAt
	if created.IsZero() {
		created = s.AuthenticatedAt
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO sessions (`+sessionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.TokenHash, s.UserID, string(s.Method), micros(s.AuthenticatedAt), micros(s.ExpiresAt),
		micros(created), nullBytes(s.CredentialID), s.UserVerified, strings.Join(s.AMR, " "), s.UserAgent, s.IP)
	return err
}

func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

func scanSession(row interface{ Scan(...any) error }) (*passkeyd.Session, error) {
	var s passkeyd.Session
	var method, amr string
	var auth, exp, created int64
	if err := row.Scan(&s.ID, &s.TokenHash, &s.UserID, &method, &auth, &exp, &created, &s.CredentialID, &s.UserVerified, &amr, &s.UserAgent, &s.IP); err != nil {
		return nil, mapErr(err)
	}
	s.Method, s.AuthenticatedAt, s.ExpiresAt, s.CreatedAt = passkeyd.SessionMethod(method), fromMicros(auth), fromMicros(exp), fromMicros(created)
	if amr != "" {
		s.AMR = strings.Fields(amr)
	}
	return &s, nil
}

// CreateSession implements passkeyd.SessionStore.
func (db *DB) CreateSession(ctx context.Context, s *passkeyd.Session) error {
	return db.tx(ctx, func(tx wtx) error { return insertSession(ctx, tx, s) })
}

// SessionByTokenHash implements passkeyd.SessionStore.
func (db *DB) SessionByTokenHash(ctx context.Context, hash []byte, now time.Time) (*passkeyd.Session, error) {
	return scanSession(db.lookup(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE token_hash = ? AND expires_at > ?`, hash, micros(now)))
}

// Sessions implements passkeyd.SessionStore.
func (db *DB) Sessions(ctx context.Context, userID string, now time.Time) ([]*passkeyd.Session, error) {
	rows, err := db.query(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE user_id = ? AND expires_at > ? ORDER BY created_at DESC, authenticated_at DESC`, userID, micros(now))
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
}

// DeleteSession implements passkeyd.SessionStore.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	_, err := db.exec(ctx, `DELETE FROM sessions WHERE id = ?`, id)
	return err
}

// DeleteUserSession implements passkeyd.SessionStore.
func (db *DB) DeleteUserSession(ctx context.Context, userID, id string) error {
	n, err := db.exec(ctx, `DELETE FROM sessions WHERE id = ? AND user_id = ?`, id, userID)
	if err == nil && n == 0 {
		return passkeyd.ErrNotFound
	}
	return err
}

// DeleteOtherSessions implements passkeyd.SessionStore.
func (db *DB) DeleteOtherSessions(ctx context.Context, userID, keepID string) (int, error) {
	n, err := db.exec(ctx, `DELETE FROM sessions WHERE user_id = ? AND id <> ?`, userID, keepID)
	return int(n), err
}

// ReauthenticateSession implements passkeyd.SessionStore.
func (db *DB) ReauthenticateSession(ctx context.Context, id string, at time.Time, userVerified bool) error {
	n, err := db.exec(ctx, `UPDATE sessions SET authenticated_at = ?, user_verified = (user_verified OR ?) WHERE id = ?`, micros(at), userVerified, id)
	if err == nil && n == 0 {
		return passkeyd.ErrNotFound
	}
	return err
}

// DeleteExpiredSessions implements passkeyd.SessionStore.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	n, err := db.exec(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, micros(now))
	return int(n), err
}

// DeleteUserSessions implements passkeyd.SessionStore.
func (db *DB) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	n, err := db.exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
	return int(n), err
}

// exec runs one statement in a write transaction and says how many rows it touched.
func (db *DB) exec(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	err := db.tx(ctx, func(tx wtx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}
