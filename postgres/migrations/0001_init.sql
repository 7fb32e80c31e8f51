CREATE TABLE users (
    id            text PRIMARY KEY,
    handle        bytea NOT NULL UNIQUE,
    username      text NOT NULL,
    username_key  text NOT NULL,
    display_name  text NOT NULL,
    password_hash text,
    created_at    timestamptz NOT NULL,
    CONSTRAINT users_username_key_unique UNIQUE (username_key)
);

CREATE TABLE passkeys (
    id                 bytea PRIMARY KEY,
    seq                bigint GENERATED ALWAYS AS IDENTITY,
    user_id            text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name               text NOT NULL,
    public_key         bytea NOT NULL,
    algorithm          bigint NOT NULL,
    sign_count         bigint NOT NULL,
    aaguid             bytea NOT NULL,
    transports         text[] NOT NULL,
    attestation_format text NOT NULL,
    attestation_type   text NOT NULL,
    backup_eligible    boolean NOT NULL,
    backed_up          boolean NOT NULL,
    user_verified      boolean NOT NULL,
    discoverable       boolean,
    clone_warning      boolean NOT NULL DEFAULT false,
    created_at         timestamptz NOT NULL,
    last_used_at       timestamptz
);
CREATE INDEX passkeys_by_user ON passkeys (user_id, created_at DESC, seq DESC);

CREATE TABLE sessions (
    id               text PRIMARY KEY,
    token_hash       bytea NOT NULL UNIQUE,
    user_id          text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    method           text NOT NULL,
    authenticated_at timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE secrets (
    name  text PRIMARY KEY,
    value bytea NOT NULL
);
