-- OpenID Connect: clients an operator added at run time, and the grants behind access and
-- refresh tokens. Only hashes of refresh tokens are stored; a used one stays (used_at set)
-- so that presenting it again is recognised as reuse and revokes its grant.
CREATE TABLE oidc_clients (
    id                        TEXT PRIMARY KEY,
    secret_hash               TEXT NOT NULL,
    redirect_uris             TEXT NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL,
    public                    INTEGER NOT NULL,
    scopes                    TEXT NOT NULL,
    created_at                INTEGER NOT NULL
) STRICT;
CREATE TABLE oidc_grants (
    id         TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    amr        TEXT NOT NULL,
    acr        TEXT NOT NULL,
    auth_time  INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
) STRICT;
CREATE INDEX oidc_grants_client ON oidc_grants (client_id);
CREATE INDEX oidc_grants_user ON oidc_grants (user_id);
CREATE INDEX oidc_grants_expires_at ON oidc_grants (expires_at);
CREATE TABLE oidc_refresh_tokens (
    hash     BLOB PRIMARY KEY,
    grant_id TEXT NOT NULL REFERENCES oidc_grants (id) ON DELETE CASCADE,
    used_at  INTEGER
) STRICT;
CREATE INDEX oidc_refresh_tokens_grant ON oidc_refresh_tokens (grant_id);
