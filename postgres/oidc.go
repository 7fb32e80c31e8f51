package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passkeyd/passkeyd"
)

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

const clientColumns = `id, secret_hash, redirect_uris, post_logout_redirect_uris, public, scopes, created_at`

// AddOIDCClient implements passkeyd.OIDCStore.
func (db *DB) AddOIDCClient(ctx context.Context, c *passkeyd.OIDCClient) error {
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO oidc_clients (`+clientColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			c.ID, c.SecretHash, nonNil(c.RedirectURIs), nonNil(c.PostLogoutRedirectURIs), c.Public, nonNil(c.Scopes), c.CreatedAt.UTC())
		return err
	})
}

func scanClient(row pgx.Row) (*passkeyd.OIDCClient, error) {
	c := &passkeyd.OIDCClient{}
	if err := row.Scan(&c.ID, &c.SecretHash, &c.RedirectURIs, &c.PostLogoutRedirectURIs, &c.Public, &c.Scopes, &c.CreatedAt); err != nil {
		return nil, err
	}
	c.CreatedAt = c.CreatedAt.UTC()
	return c, nil
}

// OIDCClient implements passkeyd.OIDCStore.
func (db *DB) OIDCClient(ctx context.Context, id string) (*passkeyd.OIDCClient, error) {
	return retryRead(ctx, db, func(ctx context.Context) (*passkeyd.OIDCClient, error) {
		c, err := scanClient(db.pool.QueryRow(ctx, `SELECT `+clientColumns+` FROM oidc_clients WHERE id = $1`, id))
		return c, mapErr(err)
	})
}

// OIDCClients implements passkeyd.OIDCStore.
func (db *DB) OIDCClients(ctx context.Context) ([]*passkeyd.OIDCClient, error) {
	return retryRead(ctx, db, func(ctx context.Context) ([]*passkeyd.OIDCClient, error) {
		rows, err := db.pool.Query(ctx, `SELECT `+clientColumns+` FROM oidc_clients ORDER BY id`)
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
	})
}

// DeleteOIDCClient implements passkeyd.OIDCStore.
func (db *DB) DeleteOIDCClient(ctx context.Context, id string) error {
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM oidc_clients WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return passkeyd.ErrNotFound
		}
		_, err = tx.Exec(ctx, `DELETE FROM oidc_grants WHERE client_id = $1`, id)
		return err
	})
}

const grantColumns = `id, client_id, user_id, session_id, scopes, amr, acr, auth_time, created_at, expires_at`

// CreateOIDCGrant implements passkeyd.OIDCStore.
func (db *DB) CreateOIDCGrant(ctx context.Context, g *passkeyd.OIDCGrant, refreshHash []byte) error {
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO oidc_grants (`+grantColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			g.ID, g.ClientID, g.UserID, g.SessionID, nonNil(g.Scopes), nonNil(g.AMR), g.ACR, g.AuthTime.UTC(), g.CreatedAt.UTC(), g.ExpiresAt.UTC()); err != nil {
			return err
		}
		if refreshHash == nil {
			return nil
		}
		_, err := tx.Exec(ctx, `INSERT INTO oidc_refresh_tokens (hash, grant_id) VALUES ($1, $2)`, refreshHash, g.ID)
		return err
	})
}

func scanGrant(row pgx.Row) (*passkeyd.OIDCGrant, error) {
	g := &passkeyd.OIDCGrant{}
	if err := row.Scan(&g.ID, &g.ClientID, &g.UserID, &g.SessionID, &g.Scopes, &g.AMR, &g.ACR, &g.AuthTime, &g.CreatedAt, &g.ExpiresAt); err != nil {
		return nil, err
	}
	g.AuthTime, g.CreatedAt, g.ExpiresAt = g.AuthTime.UTC(), g.CreatedAt.UTC(), g.ExpiresAt.UTC()
	return g, nil
}

// OIDCGrant implements passkeyd.OIDCStore.
func (db *DB) OIDCGrant(ctx context.Context, id string, now time.Time) (*passkeyd.OIDCGrant, error) {
	return retryRead(ctx, db, func(ctx context.Context) (*passkeyd.OIDCGrant, error) {
		g, err := scanGrant(db.pool.QueryRow(ctx, `SELECT `+grantColumns+` FROM oidc_grants WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2`, id, now.UTC()))
		return g, mapErr(err)
	})
}

// OIDCRefresh implements passkeyd.OIDCStore.
func (db *DB) OIDCRefresh(ctx context.Context, hash []byte, now time.Time) (*passkeyd.OIDCGrant, error) {
	return db.refresh(ctx, hash, nil, now)
}

// RotateOIDCRefresh implements passkeyd.OIDCStore.
func (db *DB) RotateOIDCRefresh(ctx context.Context, oldHash, newHash []byte, now time.Time) (*passkeyd.OIDCGrant, error) {
	return db.refresh(ctx, oldHash, newHash, now)
}

// refresh locks the token's row (FOR UPDATE) so that concurrent rotations of one token run
// one after the other: the second sees used_at set and is reuse.
func (db *DB) refresh(ctx context.Context, hash, newHash []byte, now time.Time) (*passkeyd.OIDCGrant, error) {
	var g *passkeyd.OIDCGrant
	reused := false
	err := db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		g, reused = nil, false
		var grantID string
		var used *time.Time
		if err := tx.QueryRow(ctx, `SELECT grant_id, used_at FROM oidc_refresh_tokens WHERE hash = $1 FOR UPDATE`, hash).Scan(&grantID, &used); err != nil {
			return err
		}
		if used != nil {
			reused = true
			_, err := tx.Exec(ctx, `UPDATE oidc_grants SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, now.UTC(), grantID)
			return err
		}
		var err error
		g, err = scanGrant(tx.QueryRow(ctx, `SELECT `+grantColumns+` FROM oidc_grants WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2`, grantID, now.UTC()))
		if err != nil || newHash == nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE oidc_refresh_tokens SET used_at = $1 WHERE hash = $2`, now.UTC(), hash); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO oidc_refresh_tokens (hash, grant_id) VALUES ($1, $2)`, newHash, grantID)
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
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE oidc_grants SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`, id, now.UTC())
		return err
	})
}

// DeleteExpiredOIDCGrants implements passkeyd.OIDCStore.
func (db *DB) DeleteExpiredOIDCGrants(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM oidc_grants WHERE expires_at <= $1 OR revoked_at < $1`, now.UTC())
		n = tag.RowsAffected()
		return err
	})
	return int(n), err
}
