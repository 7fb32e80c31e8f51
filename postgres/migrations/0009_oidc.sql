-- OpenID Connect: clients an operator added at run time, and the grants behind access and
-- refresh tokens. Only hashes of refresh tokens are stored; a used one stays (used_at set)
-- so that presenting it again is recognised as reuse and revokes its grant.
CREATE TABLE oidc_clients (
    id                        text PRIMARY KEY,
    secret_hash               text NOT NULL,
    redirect_uris             text[] NOT NULL,
    post_logout_redirect_uris text[] NOT NULL,
    public                    boolean NOT NULL,
    scopes                    text[] NOT NULL,
    created_at                timestamptz NOT NULL
);
CREATE TABLE oidc_grants (
    id         text PRIMARY KEY,
    client_id  text NOT NULL,
    user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id text NOT NULL,
    scopes     text[] NOT NULL,
    amr        text[] NOT NULL,
    acr        text NOT NULL,
    auth_time  timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX oidc_grants_client ON oidc_grants (client_id);
CREATE INDEX oidc_grants_user ON oidc_grants (user_id);
CREATE INDEX oidc_grants_expires_at ON oidc_grants (expires_at);
CREATE TABLE oidc_refresh_tokens (
    hash     bytea PRIMARY KEY,
    grant_id text NOT NULL REFERENCES oidc_grants (id) ON DELETE CASCADE,
    used_at  timestamptz
);
CREATE INDEX oidc_refresh_tokens_grant ON oidc_refresh_tokens (grant_id);
