package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/passkeyd/passkeyd"
)

// Lists are stored space-separated: redirect URIs, scopes and amr values never contain
// white space (the configuration refuses such URIs).
func words(v string) []string {
	if v == "" {
		return []string{}
	}
	return strings.Fields(v)
}

const clientColumns = `id, secret_hash, redirect_uris, post_logout_redirect_uris, public, scopes, created_at`

// AddOIDCClient implements passkeyd.OIDCStore.
func (db *DB) AddOIDCClient(ctx context.Context, c *passkeyd.OIDCClient) error {
	return mapErr(db.tx(ctx, func(tx wtx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO oidc_clients (`+clientColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.SecretHash, strings.Join(c.RedirectURIs, " "), strings.Join(c.PostLogoutRedirectURIs, " "), b2i(c.Public), strings.Join(c.Scopes, " "), micros(c.CreatedAt))
		return err
	}))
}

func scanClient(row interface{ Scan(...any) error }) (*passkeyd.OIDCClient, error) {
	c := &passkeyd.OIDCClient{}
	var redirects, logouts, scopes string
	var created int64
	if err := row.Scan(&c.ID, &c.SecretHash, &redirects, &logouts, &c.Public, &scopes, &created); err != nil {
		return nil, err
	}
	c.RedirectURIs, c.PostLogoutRedirectURIs, c.Scopes, c.CreatedAt = words(redirects), words(logouts), words(scopes), fromMicros(created)
	return c, nil
}

// OIDCClient implements passkeyd.OIDCStore.
func (db *DB) OIDCClient(ctx context.Context, id string) (*passkeyd.OIDCClient, error) {
	c, err := scanClient(db.lookup(ctx, `SELECT `+clientColumns+` FROM oidc_clients WHERE id = ?`, id))
	return c, mapErr(err)
}

// OIDCClients implements passkeyd.OIDCStore.
func (db *DB) OIDCClients(ctx context.Context) ([]*passkeyd.OIDCClient, error) {
	rows, err := db.query(ctx, `SELECT `+clientColumns+` FROM oidc_clients ORDER BY id`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []*passkeyd.OIDCClient{}
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, mapErr(err)
		}
		out = append(out, c)
	}
	return out, mapErr(rows.Err())
}

// DeleteOIDCClient implements passkeyd.OIDCStore.
func (db *DB) DeleteOIDCClient(ctx context.Context, id string) error {
	return mapErr(db.tx(ctx, func(tx wtx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM oidc_clients WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return passkeyd.ErrNotFound
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM oidc_grants WHERE client_id = ?`, id)
		return err
	}))
}

const grantColumns = `id, client_id, user_id, session_id, scopes, amr, acr, auth_time, created_at, expires_at`

// CreateOIDCGrant implements passkeyd.OIDCStore.
func (db *DB) CreateOIDCGrant(ctx context.Context, g *passkeyd.OIDCGrant, refreshHash []byte) error {
	return mapErr(db.tx(ctx, func(tx wtx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO oidc_grants (`+grantColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			g.ID, g.ClientID, g.UserID, g.SessionID, strings.Join(g.Scopes, " "), strings.Join(g.AMR, " "), g.ACR,
			micros(g.AuthTime), micros(g.CreatedAt), micros(g.ExpiresAt)); err != nil {
			return err
		}
		if refreshHash == nil {
			return nil
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO oidc_refresh_tokens (hash, grant_id) VALUES (?, ?)`, refreshHash, g.ID)
		return err
	}))
}

func scanGrant(row interface{ Scan(...any) error }) (*passkeyd.OIDCGrant, error) {
	g := &passkeyd.OIDCGrant{}
	var scopes, amr string
	var auth, created, exp int64
	if err := row.Scan(&g.ID, &g.ClientID, &g.UserID, &g.SessionID, &scopes, &amr, &g.ACR, &auth, &created, &exp); err != nil {
		return nil, err
	}
	g.Scopes, g.AMR = words(scopes), words(amr)
	g.AuthTime, g.CreatedAt, g.ExpiresAt = fromMicros(auth), fromMicros(created), fromMicros(exp)
	return g, nil
}

// OIDCGrant implements passkeyd.OIDCStore.
func (db *DB) OIDCGrant(ctx context.Context, id string, now time.Time) (*passkeyd.OIDCGrant, error) {
	g, err := scanGrant(db.lookup(ctx, `SELECT `+grantColumns+` FROM oidc_grants WHERE id = ? AND revoked_at IS NULL AND expires_at > ?`, id, micros(now)))
	return g, mapErr(err)
}

// OIDCRefresh implements passkeyd.OIDCStore.
func (db *DB) OIDCRefresh(ctx context.Context, hash []byte, now time.Time) (*passkeyd.OIDCGrant, error) {
	return db.refresh(ctx, hash, nil, now)
}

// RotateOIDCRefresh implements passkeyd.OIDCStore.
func (db *DB) RotateOIDCRefresh(ctx context.Context, oldHash, newHash []byte, now time.Time) (*passkeyd.OIDCGrant, error) {
	return db.refresh(ctx, oldHash, newHash, now)
}

// refresh looks a refresh token up (and rotates it when newHash is set) in one write
// transaction, so that the check for reuse and the rotation cannot interleave with another.
func (db *DB) refresh(ctx context.Context, hash, newHash []byte, now time.Time) (*passkeyd.OIDCGrant, error) {
	var g *passkeyd.OIDCGrant
	reused := false
	err := db.tx(ctx, func(tx wtx) error {
		var grantID string
		var used sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT grant_id, used_at FROM oidc_refresh_tokens WHERE hash = ?`, hash).Scan(&grantID, &used); err != nil {
			return err
		}
		if used.Valid {
			reused = true
			_, err := tx.ExecContext(ctx, `UPDATE oidc_grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, micros(now), grantID)
			return err
		}
		var err error
		g, err = scanGrant(tx.QueryRowContext(ctx, `SELECT `+grantColumns+` FROM oidc_grants WHERE id = ? AND revoked_at IS NULL AND expires_at > ?`, grantID, micros(now)))
		if err != nil || newHash == nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE oidc_refresh_tokens SET used_at = ? WHERE hash = ?`, micros(now), hash); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO oidc_refresh_tokens (hash, grant_id) VALUES (?, ?)`, newHash, grantID)
		return err
	})
	if err != nil {
		return nil, mapErr(err)
	}
	if reused {
		return nil, passkeyd.ErrTokenReused
	}
	return g, nil
}

// RevokeOIDCGrant implements passkeyd.OIDCStore.
func (db *DB) RevokeOIDCGrant(ctx context.Context, id string, now time.Time) error {
	return mapErr(db.tx(ctx, func(tx wtx) error {
		_, err := tx.ExecContext(ctx, `UPDATE oidc_grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, micros(now), id)
		return err
	}))
}

// DeleteExpiredOIDCGrants implements passkeyd.OIDCStore.
func (db *DB) DeleteExpiredOIDCGrants(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := db.tx(ctx, func(tx wtx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM oidc_grants WHERE expires_at <= ? OR revoked_at < ?`, micros(now), micros(now))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), mapErr(err)
}
